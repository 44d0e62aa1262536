"""SearchGameSessions' evaluator: which sessions a filter matches, and in what order they sort.

Only the simulator evaluates expressions, so the evaluator lives here and the grammar it reads
(``tui.services.search_expr``: parse, print, validate) stays free of the simulator. Sessions are
boto3-shaped GameSession dicts.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from tui.services.search_expr import (
    EQUALITY,
    OPERAND_HINT,
    OPERAND_TYPES,
    PROPERTIES,
    And,
    Condition,
    ExprError,
    Node,
    Not,
    Or,
    Sort,
    Value,
    format_value,
    parse_filter,
    parse_sort,
    value_kind,
)

__all__ = ["evaluate", "search_sessions", "session_value", "sort_key", "sort_sessions"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def _number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # NaN would make comparisons and sorting inconsistent; treat it as absent.
    return value if isinstance(value, int) or math.isfinite(value) else None


def _millis(value: object) -> int | None:
    if isinstance(value, dt.datetime):
        # Naive datetimes are taken as UTC, which is what the simulator stores.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (aware - _EPOCH) // dt.timedelta(milliseconds=1)
    seconds = _number(value)
    return None if seconds is None else round(seconds * 1000)


def session_value(session: Mapping[str, Any], operand: str, key: str | None = None) -> Value | None:
    """The value ``operand`` sees in a boto3-shaped GameSession dict; ``None`` means null.

    hasAvailablePlayerSessions is true only when Current < Maximum and the policy is
    ACCEPT_ALL; a missing policy counts as not accepting (it is null only when a count is
    missing).
    """
    if operand == "gameSessionName":
        name = session.get("Name")
        return name if isinstance(name, str) else None
    if operand == "gameSessionId":
        ident = session.get("GameSessionId")
        return ident if isinstance(ident, str) else None
    if operand == PROPERTIES:
        if key is None or "." in key:
            # Seed 001: "Property keys containing periods cannot be searched and will be
            # filtered out from search results": no session holds such a key for search.
            return None
        props = session.get("GameProperties")
        if not isinstance(props, list | tuple):
            return None
        for prop in props:
            if isinstance(prop, Mapping) and prop.get("Key") == key:
                found = prop.get("Value")
                return found if isinstance(found, str) else None
        return None
    if operand == "maximumSessions":
        return _number(session.get("MaximumPlayerSessionCount"))
    if operand == "playerSessionCount":
        return _number(session.get("CurrentPlayerSessionCount"))
    if operand == "creationTimeMillis":
        return _millis(session.get("CreationTime"))
    if operand == "hasAvailablePlayerSessions":
        current = _number(session.get("CurrentPlayerSessionCount"))
        maximum = _number(session.get("MaximumPlayerSessionCount"))
        if current is None or maximum is None:
            return None
        return current < maximum and session.get("PlayerSessionCreationPolicy") == "ACCEPT_ALL"
    raise ExprError(f"unknown operand {operand!r} (expected one of: {OPERAND_HINT})")


def _evaluate_condition(cond: Condition, session: Mapping[str, Any]) -> bool:
    actual = session_value(session, cond.operand, cond.key)
    if actual is None:
        # A session without the value (a missing property) is unequal to every value, so
        # `k <> 'x'` and `NOT k = 'x'` agree on it; it is never ordered.
        return cond.comparator == "<>"
    expected = OPERAND_TYPES[cond.operand]
    value, comp = cond.value, cond.comparator
    if expected == "string":
        if comp not in EQUALITY:
            return False
        # Property values are searched as strings, so a number literal is matched as text.
        text = value if isinstance(value, str) else format_value(value)
        return (actual == text) == (comp == "=")
    if value_kind(value) != expected:
        # A value of another type is never equal, hence always unequal and never ordered.
        return comp == "<>"
    if expected == "boolean" and comp not in EQUALITY:
        return False
    return _COMPARE[comp](actual, value)


def evaluate(node: Node, session: Mapping[str, Any]) -> bool:
    """Whether ``session`` (a boto3-shaped GameSession dict) matches ``node``.

    Two-valued: a missing value is unequal to everything and never ordered, so ``NOT k = v``
    and ``k <> v`` agree.
    """
    if isinstance(node, Condition):
        return _evaluate_condition(node, session)
    if isinstance(node, Not):
        return not evaluate(node.child, session)
    if isinstance(node, And):
        return all(evaluate(child, session) for child in node.children)
    if isinstance(node, Or):
        return any(evaluate(child, session) for child in node.children)
    raise TypeError(f"not a filter node: {type(node).__name__}")


class _Ordered(Protocol):
    # One sort column holds one operand's values (all str, all numbers or all bool), so any two
    # compare; Value as a union would claim str < int could happen.
    def __lt__(self, other: Any, /) -> bool: ...


class _Descending:
    """Inverts ordering so one ascending sort can put nulls last for DESC too."""

    __slots__ = ("value",)

    def __init__(self, value: _Ordered) -> None:
        self.value = value

    # Defining __eq__ leaves the class unhashable, as a sort key needs no hash.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value


def sort_key(session: Mapping[str, Any], sort: Sort) -> tuple[Any, ...]:
    """Ascending key for ``sorted`` honouring ``sort.order``, with nulls after every value."""
    value = session_value(session, sort.operand, sort.key)
    if value is None:
        return (1,)
    return (0, value if sort.order == "ASC" else _Descending(value))


def sort_sessions(sessions: Iterable[Mapping[str, Any]], sort: Sort) -> list[Mapping[str, Any]]:
    """Stable sort of ``sessions`` by ``sort``; sessions with a null sort value go last."""
    return sorted(sessions, key=lambda session: sort_key(session, sort))


def search_sessions(
    sessions: Iterable[Mapping[str, Any]],
    filter_expression: str | None = None,
    sort_expression: str | None = None,
) -> list[Mapping[str, Any]]:
    """Filter then sort, as SearchGameSessions does; ``None`` means the clause was omitted.

    Both expressions are parsed before any session is looked at, so bad input raises
    ExprError whatever the sessions are.
    """
    node = None if filter_expression is None else parse_filter(filter_expression)
    sort = None if sort_expression is None else parse_sort(sort_expression)
    matched = [s for s in sessions if node is None or evaluate(node, s)]
    return matched if sort is None else sort_sessions(matched, sort)
