"""The filter builder's model: groups of conditions the user edits, turned into the exact
FilterExpression / SortExpression strings SearchGameSessions receives, and back.

Values are kept as the text the user typed; they are typed (number, boolean, string, time) only
when the expression is built, so a half-typed row never loses what was typed.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field
from typing import Literal

from tui.services import search_expr as se

GroupOp = Literal["AND", "OR"]


@dataclass
class Cond:
    operand: str = "playerSessionCount"
    key: str = ""  # the property key, for gameSessionProperties only
    comparator: str = ">"
    value: str = "0"
    negated: bool = False


@dataclass
class Group:
    op: GroupOp = "AND"
    children: list[Cond | Group] = field(default_factory=list)
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the builder as shown: a condition or a group header, with its depth."""

    node: Cond | Group
    parent: Group | None
    depth: int


@dataclass
class SearchSpec:
    """Everything one search needs: what the user saves, loads and runs."""

    fleet_id: str = ""
    alias_id: str = ""
    location: str = ""
    filter_expression: str = ""
    sort_expression: str = ""


_RELATIVE = re.compile(r"^(older|newer)\s+than\s+(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])\s+ago$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def lines(root: Group) -> list[Line]:
    """The root's children, depth first (the root itself is the top line's implicit parent)."""
    out: list[Line] = []

    def walk(group: Group, depth: int) -> None:
        for child in group.children:
            out.append(Line(child, group, depth))
            if isinstance(child, Group):
                walk(child, depth + 1)

    walk(root, 0)
    return out


def time_millis(text: str, now: dt.datetime) -> tuple[int, str | None]:
    """creationTimeMillis from what a user types: epoch millis, a date or date-time (UTC unless
    an offset is given), "2h ago", or "older than 2h" / "newer than 30m". Returns the millis and
    the comparator the words imply ("older than" → <, "newer than" → >), if any."""
    text = text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        seconds = float(relative.group(2)) * _UNITS[relative.group(3).lower()]
        when = now - dt.timedelta(seconds=seconds)
        return int(when.timestamp() * 1000), "<" if relative.group(1).lower() == "older" else ">"
    ago = _AGO.match(text)
    if ago:
        seconds = float(ago.group(1)) * _UNITS[ago.group(2).lower()]
        return int((now - dt.timedelta(seconds=seconds)).timestamp() * 1000), None
    if re.fullmatch(r"\d{10,}", text):
        return int(text), None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise se.ExprError(
            f"creationTimeMillis: {text!r} is not a time; use epoch millis, a date like "
            "2026-11-24 or 2026-11-24T09:30, '2h ago', 'older than 2h' or 'newer than 30m'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000), None


def typed_value(cond: Cond, now: dt.datetime) -> tuple[str, se.Value]:
    """The comparator and the typed value of a row, or ExprError in the user's words."""
    kind = se.OPERAND_TYPES.get(cond.operand)
    text = cond.value
    label = f"{se.PROPERTIES}.{cond.key}" if cond.operand == se.PROPERTIES else cond.operand
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise se.ExprError(f"{label} is true or false, not {text!r}")
        return cond.comparator, lowered == "true"
    if kind == "number":
        if cond.operand == "creationTimeMillis":
            millis, implied = time_millis(text, now)
            return implied or cond.comparator, millis
        try:
            number = float(text.strip())
        except ValueError:
            raise se.ExprError(f"{label} needs a number, not {text!r}") from None
        return cond.comparator, int(number) if number.is_integer() else number
    return cond.comparator, text


def to_node(group: Group, now: dt.datetime) -> se.Node | None:
    """The AST of a group, or None when it holds no conditions."""
    parts: list[se.Node] = []
    for child in group.children:
        if isinstance(child, Group):
            node = to_node(child, now)
            if node is None:
                continue
        else:
            comparator, value = typed_value(child, now)
            key = child.key.strip() if child.operand == se.PROPERTIES else None
            node = se.Condition(child.operand, key, comparator, value)
            if child.negated:
                node = se.Not(node)
        parts.append(node)
    if not parts:
        return None
    combined: se.Node = parts[0] if len(parts) == 1 else (
        se.And(tuple(parts)) if group.op == "AND" else se.Or(tuple(parts)))
    return se.Not(combined) if group.negated else combined


def from_node(node: se.Node | None) -> Group:
    """A builder root for an expression (raw mode's way back into the builder)."""
    if node is None:
        return Group()
    root = _from(se.normalize(node))
    # The root has no line of its own, so a NOT on it would be invisible (and impossible to
    # toggle off): a negated group goes one level down, under a plain root, like a condition.
    return root if isinstance(root, Group) and not root.negated else Group("AND", [root])


def _from(node: se.Node) -> Cond | Group:
    if isinstance(node, se.Not):
        inner = _from(node.child)
        inner.negated = not inner.negated
        return inner
    if isinstance(node, se.And | se.Or):
        op: GroupOp = "AND" if isinstance(node, se.And) else "OR"
        return Group(op, [_from(child) for child in node.children])
    value = node.value
    text = ("true" if value else "false") if isinstance(value, bool) else (
        se.format_value(value) if isinstance(value, int | float) else value)
    return Cond(node.operand, node.key or "", node.comparator, text)


@dataclass(frozen=True, slots=True)
class Preview:
    filter_expression: str
    sort_expression: str
    problems: list[str]  # errors: the search cannot be sent
    warnings: list[str]  # pitfalls worth knowing; the search can be sent


def preview(root: Group, sort_operand: str, sort_key: str, sort_order: str,
            now: dt.datetime) -> Preview:
    problems: list[str] = []
    warnings: list[str] = []
    filter_text = sort_text = ""
    try:
        node = to_node(root, now)
        if node is not None:
            filter_text = se.format_filter(node)
            for issue in se.validate(node):
                (problems if issue.severity == "error" else warnings).append(issue.message)
    except se.ExprError as err:
        problems.append(err.message)
    if sort_operand:
        try:
            key = sort_key.strip() if sort_operand == se.PROPERTIES else None
            sort = se.Sort(sort_operand, key, sort_order)
            sort_text = se.format_sort(sort)
            for issue in se.validate(sort):
                (problems if issue.severity == "error" else warnings).append(issue.message)
        except se.ExprError as err:
            problems.append(err.message)
    if any(isinstance(line.node, Cond) and se.OPERAND_TYPES.get(line.node.operand) == "string"
           for line in lines(root)):
        warnings.append("string values are case sensitive")
    return Preview(filter_text, sort_text, problems, warnings)


def cli_command(spec: SearchSpec, region: str | None = None) -> str:
    """The same search as an AWS CLI command, quoted for a POSIX shell."""
    parts = ["aws", "gamelift", "search-game-sessions"]
    if spec.alias_id:
        parts += ["--alias-id", spec.alias_id]
    elif spec.fleet_id:
        parts += ["--fleet-id", spec.fleet_id]
    if spec.location:
        parts += ["--location", spec.location]
    if spec.filter_expression:
        parts += ["--filter-expression", spec.filter_expression]
    if spec.sort_expression:
        parts += ["--sort-expression", spec.sort_expression]
    if region:
        parts += ["--region", region]
    return " ".join(_shell_quote(part) for part in parts)


def _shell_quote(text: str) -> str:
    # Expressions hold single-quoted strings; double quotes keep them readable where safe.
    if "'" in text and not any(ch in text for ch in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def parse_raw(filter_text: str, sort_text: str) -> tuple[Group, se.Sort | None]:
    """Raw mode: both strings parsed, or ExprError with the position of the problem."""
    root = from_node(se.parse_filter(filter_text)) if filter_text.strip() else Group()
    sort = se.parse_sort(sort_text) if sort_text.strip() else None
    return root, sort


def describe(node: Cond | Group) -> str:
    """A builder line's text."""
    if isinstance(node, Group):
        return f"{'NOT ' if node.negated else ''}{node.op} group ({len(node.children)})"
    operand = f"{se.PROPERTIES}.{node.key or '?'}" if node.operand == se.PROPERTIES \
        else node.operand
    value = node.value
    if se.OPERAND_TYPES.get(node.operand) == "string":
        value = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f"{'NOT ' if node.negated else ''}{operand} {node.comparator} {value}"
