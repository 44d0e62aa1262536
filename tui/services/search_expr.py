"""GameLift SearchGameSessions FilterExpression / SortExpression grammar.

One grammar serves both the UI's filter builder and the AWS simulator's SearchGameSessions, so
whatever the builder writes is judged by exactly the rules the simulator applies. This module is
only the language (parse, print, validate) and imports nothing of the project's; the evaluator,
which only the simulator needs, is ``tui.sim.search_eval``.

Grammar (as documented for SearchGameSessions)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | "(" or_expr ")" | condition
    condition  := operand comparator value
    operand    := gameSessionName | gameSessionId | gameSessionProperties.<key>
                | maximumSessions | creationTimeMillis | playerSessionCount
                | hasAvailablePlayerSessions
    comparator := "=" | "<>" | "<" | ">" | "<=" | ">="
    value      := number | true | false | 'string' | "string"
    sort       := operand ("ASC" | "DESC")

Keywords and true/false are case-insensitive on input; operand names are case-sensitive. Strings
use backslash escapes: a backslash makes the next character literal (``'Matt\\'s'``).
Double-quoted strings are accepted on input because the AWS documentation itself shows
``gameSessionProperties.difficulty = "novice"``; output always uses single quotes.

Normal form (what ``parse_filter`` produces and ``normalize`` returns):

* ``And`` / ``Or`` have at least two children and never a direct child of their own kind
  (nested chains are flattened, so ``(a AND b) AND c`` and ``a AND (b AND c)`` both become
  ``And((a, b, c))``); redundant parentheses leave no trace.
* ``Not`` wraps any node, including another ``Not`` (``NOT NOT x`` is kept as written).
* ``Condition`` values keep their literal type: ``10`` is ``int``, ``10.0`` is ``float``.
  Condition equality includes the value's type, so ``= true`` never equals ``= 1``.

For every AST in normal form whose formatted text fits in 1024 characters,
``parse_filter(format_filter(ast)) == ast``. ``format_filter`` normalizes first, so for any
valid AST ``parse_filter(format_filter(ast)) == normalize(ast)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

__all__ = [
    "COMPARATORS",
    "EQUALITY",
    "MAX_LENGTH",
    "OPERANDS",
    "OPERAND_HINT",
    "OPERAND_TYPES",
    "PROPERTIES",
    "And",
    "Condition",
    "ExprError",
    "Issue",
    "Node",
    "Not",
    "Or",
    "Sort",
    "Token",
    "Value",
    "comparators_for",
    "format_filter",
    "format_sort",
    "format_value",
    "normalize",
    "parse_filter",
    "parse_sort",
    "tokenize",
    "validate",
    "value_kind",
]

MAX_LENGTH = 1024
PROPERTIES = "gameSessionProperties"

OperandType: TypeAlias = Literal["string", "number", "boolean"]
Value: TypeAlias = str | int | float | bool

OPERAND_TYPES: dict[str, OperandType] = {
    "gameSessionName": "string",
    "gameSessionId": "string",
    PROPERTIES: "string",
    "maximumSessions": "number",
    "creationTimeMillis": "number",
    "playerSessionCount": "number",
    "hasAvailablePlayerSessions": "boolean",
}
OPERANDS: tuple[str, ...] = tuple(OPERAND_TYPES)
COMPARATORS: tuple[str, ...] = ("=", "<>", "<", ">", "<=", ">=")
EQUALITY: tuple[str, ...] = ("=", "<>")
SORT_ORDERS: tuple[str, ...] = ("ASC", "DESC")

# Shown in "unknown operand" messages; properties need their key spelled out to be usable.
OPERAND_HINT = ", ".join(
    f"{PROPERTIES}.<key>" if name == PROPERTIES else name for name in OPERANDS
)


def comparators_for(operand: str) -> tuple[str, ...]:
    """Comparators the type rules allow for ``operand`` (for the builder's drop-down)."""
    return COMPARATORS if OPERAND_TYPES.get(operand) == "number" else EQUALITY


class ExprError(ValueError):
    """A filter or sort expression that GameLift would reject.

    ``position`` is the 0-based character offset of the problem and ``column`` its 1-based
    column; both are ``None`` when the error concerns an AST rather than text.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.column = None if position is None else position + 1


# --------------------------------------------------------------------------- AST

# Keys are free text to GameLift (GamePropertyKey: at most 32 characters); characters outside
# this set are written with a backslash before them, as the seed asks of special characters.
_PLAIN_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _check_operand(operand: object, key: object) -> None:
    if not isinstance(operand, str) or operand not in OPERAND_TYPES:
        raise ExprError(f"unknown operand {operand!r} (expected one of: {OPERAND_HINT})")
    if operand == PROPERTIES:
        if not isinstance(key, str) or not key:
            raise ExprError(f"{PROPERTIES} needs a key of at least one character, not {key!r}")
    elif key is not None:
        raise ExprError(f"only {PROPERTIES} takes a key; {operand} was given {key!r}")


def value_kind(value: object) -> str:
    """The grammar's type of a literal: "string", "number" or "boolean" (else the Python name)."""
    # bool first: it is an int subclass but a separate type in the grammar.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


@dataclass(frozen=True, eq=False)
class Condition:
    """``operand comparator value``; ``key`` is set only for gameSessionProperties."""

    operand: str
    key: str | None
    comparator: str
    value: Value

    def __post_init__(self) -> None:
        _check_operand(self.operand, self.key)
        if self.comparator not in COMPARATORS:
            raise ExprError(
                f"unknown comparator {self.comparator!r} (expected one of: "
                f"{', '.join(COMPARATORS)})"
            )
        kind = value_kind(self.value)
        if kind not in ("boolean", "number", "string"):
            raise ExprError(f"a value must be a number, true/false or a string, not {kind}")
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise ExprError(f"a number must be finite, not {self.value!r}")
        if kind != "number" and self.comparator not in EQUALITY:
            raise ExprError(
                f"'{self.comparator}' cannot compare a {kind}; strings and booleans allow "
                "only = and <>"
            )

    def _identity(self) -> tuple[object, ...]:
        # The type is part of identity so that `= true` and `= 1` (equal in Python) differ.
        return (self.operand, self.key, self.comparator, type(self.value), self.value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


@dataclass(frozen=True)
class Not:
    child: Node

    def __post_init__(self) -> None:
        if not isinstance(self.child, _NODE_TYPES):
            raise TypeError(f"Not child must be a filter node, not {type(self.child).__name__}")


def _check_children(owner: str, children: object) -> tuple[Node, ...]:
    if not isinstance(children, tuple | list):
        raise TypeError(f"{owner} children must be a tuple of filter nodes")
    result = tuple(children)
    if not result:
        raise ExprError(f"{owner} needs at least one condition")
    for child in result:
        if not isinstance(child, _NODE_TYPES):
            raise TypeError(f"{owner} child must be a filter node, not {type(child).__name__}")
    return result


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", _check_children("AND", self.children))


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", _check_children("OR", self.children))


Node: TypeAlias = Condition | Not | And | Or
_NODE_TYPES = (Condition, Not, And, Or)


@dataclass(frozen=True)
class Sort:
    operand: str
    key: str | None
    order: str

    def __post_init__(self) -> None:
        _check_operand(self.operand, self.key)
        if self.order not in SORT_ORDERS:
            raise ExprError(f"sort order must be ASC or DESC, not {self.order!r}")


@dataclass(frozen=True)
class Issue:
    """A finding from ``validate``: ``error`` means GameLift would reject it or it can never
    match; ``warning`` means it is accepted but probably not what was meant."""

    severity: Literal["warning", "error"]
    message: str
    operand: str | None = None
    key: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


# --------------------------------------------------------------------------- tokens

OPERAND = "OPERAND"
COMPARATOR = "COMPARATOR"
NUMBER = "NUMBER"
STRING = "STRING"
BOOLEAN = "BOOLEAN"
AND = "AND"
OR = "OR"
NOT = "NOT"
ASC = "ASC"
DESC = "DESC"
LPAREN = "LPAREN"
RPAREN = "RPAREN"
EOF = "EOF"

_KEYWORDS = frozenset({AND, OR, NOT, ASC, DESC})


@dataclass(frozen=True)
class Token:
    """``kind`` is one of the module's token-kind constants; ``text`` is the source slice."""

    kind: str
    text: str
    position: int
    value: Value | None = None


# ASCII-only classes on purpose: str.isdigit()/isalpha() accept characters int() and the
# service do not.
_WHITESPACE = " \t\r\n\f\v"
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NUMBER_JUNK_RE = re.compile(r"[A-Za-z0-9_.]*")
_MISSPELT_COMPARATORS = {"==": "=", "!=": "<>", "=<": "<=", "=>": ">=", "><": "<>"}


def _match_end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """End of ``pattern`` (which may match empty) at ``pos``."""
    match = pattern.match(text, pos)
    return pos if match is None else match.end()


def _col(position: int) -> int:
    return position + 1


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``EOF`` token at ``len(text)``.

    ``gameSessionProperties.<key>`` (and any ``word.tail``) is one ``OPERAND`` token so that
    keys may contain '-' and '.' without clashing with numbers.
    """
    if not isinstance(text, str):
        raise ExprError(f"expression must be a string, not {type(text).__name__}", 0)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _WHITESPACE:
            i += 1
        elif c == "(":
            tokens.append(Token(LPAREN, c, i))
            i += 1
        elif c == ")":
            tokens.append(Token(RPAREN, c, i))
            i += 1
        elif c in "<>=!":
            pair = text[i : i + 2]
            if pair in _MISSPELT_COMPARATORS:
                raise ExprError(
                    f"'{pair}' at column {_col(i)} is not a comparator; "
                    f"use '{_MISSPELT_COMPARATORS[pair]}'",
                    i,
                )
            if pair in ("<=", ">=", "<>"):
                tokens.append(Token(COMPARATOR, pair, i, pair))
                i += 2
            elif c == "!":
                raise ExprError(f"unexpected character '!' at column {_col(i)}", i)
            else:
                tokens.append(Token(COMPARATOR, c, i, c))
                i += 1
        elif c in "'\"":
            token = _lex_string(text, i)
            tokens.append(token)
            i += len(token.text)
        elif c == "-" or "0" <= c <= "9":
            token = _lex_number(text, i)
            tokens.append(token)
            i += len(token.text)
        elif match := _WORD_RE.match(text, i):
            end = match.end()
            word = match.group()
            if end < n and text[end] == ".":
                end, key = _lex_key(text, end + 1)
                tokens.append(Token(OPERAND, text[i:end], i, f"{word}.{key}"))
            elif word.upper() in _KEYWORDS:
                tokens.append(Token(word.upper(), word, i, word.upper()))
            elif word.lower() in ("true", "false"):
                tokens.append(Token(BOOLEAN, word, i, word.lower() == "true"))
            else:
                tokens.append(Token(OPERAND, word, i, word))
            i = end
        else:
            raise ExprError(f"unexpected character {c!r} at column {_col(i)}", i)
    tokens.append(Token(EOF, "", n))
    return tokens


def _lex_key(text: str, start: int) -> tuple[int, str]:
    """End and unescaped text of a property key: plain characters, or any one after '\\'."""
    chars: list[str] = []
    j, n = start, len(text)
    while j < n:
        ch = text[j]
        if ch == "\\" and j + 1 < n:
            chars.append(text[j + 1])
            j += 2
        elif ch in _PLAIN_KEY_CHARS:
            chars.append(ch)
            j += 1
        else:
            break
    return j, "".join(chars)


def _lex_string(text: str, start: int) -> Token:
    quote = text[start]
    chars: list[str] = []
    j, n = start + 1, len(text)
    while j < n:
        ch = text[j]
        if ch == "\\":
            if j + 1 >= n:
                break
            chars.append(text[j + 1])
            j += 2
        elif ch == quote:
            return Token(STRING, text[start : j + 1], start, "".join(chars))
        else:
            chars.append(ch)
            j += 1
    raise ExprError(f"unterminated string starting at column {_col(start)}", start)


def _lex_number(text: str, start: int) -> Token:
    match = _NUMBER_RE.match(text, start)
    if match is None:
        raise ExprError(f"expected digits after '-' at column {_col(start)}", start)
    end = match.end()
    junk_end = _match_end(_NUMBER_JUNK_RE, text, end)
    if junk_end > end:
        raise ExprError(f"malformed number '{text[start:junk_end]}' at column {_col(start)}", start)
    literal = match.group()
    value: int | float
    if "." in literal:
        value = float(literal)
        if not math.isfinite(value):
            raise ExprError(f"number at column {_col(start)} is out of range", start)
    else:
        value = int(literal)
    return Token(NUMBER, literal, start, value)


# --------------------------------------------------------------------------- parsing


def _describe(token: Token) -> str:
    if token.kind == EOF:
        return "the end of the expression"
    text = token.text if len(token.text) <= 24 else token.text[:21] + "..."
    return f"'{text}'"


def _display(token: Token) -> str:
    return token.kind if token.kind in _KEYWORDS else token.text


def _tokens_for(text: str) -> list[Token]:
    if isinstance(text, str) and len(text) > MAX_LENGTH:
        # Checked before tokenizing so an oversized input fails fast.
        raise ExprError(f"expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens = tokenize(text)
    if tokens[0].kind == EOF:
        raise ExprError("expression is empty", 0)
    return tokens


def _resolve_operand(token: Token) -> tuple[str, str | None]:
    text = token.text
    base, dot, key = str(token.value).partition(".")
    if base == PROPERTIES:
        if not dot:
            raise ExprError(
                f"'{PROPERTIES}' at column {_col(token.position)} needs a key, "
                f"as in {PROPERTIES}.difficulty",
                token.position,
            )
        if not key:
            where = token.position + len(text)
            raise ExprError(
                f"expected a property key after '{PROPERTIES}.' at column {_col(where)}", where
            )
        return PROPERTIES, key
    if not dot and text in OPERAND_TYPES:
        return text, None
    near = next((name for name in OPERANDS if name.lower() == base.lower()), None)
    hint = (
        f"did you mean '{near}{dot}{key}'? operand names are case-sensitive"
        if near
        else f"expected one of: {OPERAND_HINT}"
    )
    raise ExprError(
        f"unknown operand '{text}' at column {_col(token.position)} ({hint})", token.position
    )


def _parse_condition(tokens: list[Token], i: int) -> tuple[Condition, int]:
    head = tokens[i]
    operand, key = _resolve_operand(head)
    comp = tokens[i + 1]
    if comp.kind != COMPARATOR:
        raise ExprError(
            f"expected a comparator (=, <>, <, >, <=, >=) after '{head.text}' at column "
            f"{_col(comp.position)}, found {_describe(comp)}",
            comp.position,
        )
    lit = tokens[i + 2]
    if lit.kind not in (NUMBER, STRING, BOOLEAN):
        raise ExprError(
            f"expected a value after '{comp.text}' at column {_col(lit.position)}, "
            f"found {_describe(lit)}",
            lit.position,
        )
    if lit.kind != NUMBER and comp.text not in EQUALITY:
        kind = "string" if lit.kind == STRING else "boolean"
        raise ExprError(
            f"'{comp.text}' at column {_col(comp.position)} cannot compare a {kind}; "
            "strings and booleans allow only = and <>",
            comp.position,
        )
    assert lit.value is not None
    return Condition(operand, key, comp.text, lit.value), i + 3


_PRECEDENCE = {NOT: 3, AND: 2, OR: 1}


def _combine(cls: type[And] | type[Or], left: Node, right: Node) -> Node:
    # Flattening here is what makes the parser emit the normal form directly.
    parts = left.children if isinstance(left, cls) else (left,)
    parts += right.children if isinstance(right, cls) else (right,)
    return cls(parts)


def _reduce(ops: list[Token], output: list[Node], min_precedence: int) -> None:
    while ops and ops[-1].kind != LPAREN and _PRECEDENCE[ops[-1].kind] >= min_precedence:
        op = ops.pop()
        if op.kind == NOT:
            output.append(Not(output.pop()))
        else:
            right, left = output.pop(), output.pop()
            output.append(_combine(And if op.kind == AND else Or, left, right))


def parse_filter(text: str) -> Node:
    """Parse a FilterExpression into its normal-form AST; raises ExprError on any bad input."""
    tokens = _tokens_for(text)
    # An explicit operator stack instead of recursive descent: 500 nested parentheses fit in
    # 1024 characters and would overflow Python's recursion limit.
    output: list[Node] = []
    ops: list[Token] = []
    prev: Token | None = None
    expect_condition = True
    i = 0
    while True:
        tok = tokens[i]
        if expect_condition:
            if tok.kind in (NOT, LPAREN):
                ops.append(tok)
                prev = tok
                i += 1
            elif tok.kind == OPERAND:
                node, i = _parse_condition(tokens, i)
                output.append(node)
                prev = tokens[i - 1]
                expect_condition = False
            elif tok.kind == RPAREN and prev is not None and prev.kind == LPAREN:
                raise ExprError(f"empty parentheses at column {_col(prev.position)}", prev.position)
            else:
                after = "" if prev is None else f" after '{_display(prev)}'"
                raise ExprError(
                    f"expected a condition{after} at column {_col(tok.position)}, "
                    f"found {_describe(tok)}",
                    tok.position,
                )
        elif tok.kind in (AND, OR):
            _reduce(ops, output, _PRECEDENCE[tok.kind])
            ops.append(tok)
            prev = tok
            expect_condition = True
            i += 1
        elif tok.kind == RPAREN:
            _reduce(ops, output, 0)
            if not ops:
                raise ExprError(
                    f"unbalanced parenthesis: ')' at column {_col(tok.position)} "
                    "has no matching '('",
                    tok.position,
                )
            ops.pop()
            prev = tok
            i += 1
        elif tok.kind == EOF:
            _reduce(ops, output, 0)
            if ops:
                # ops[-1] is the innermost '(' still open: the one nearest the missing ')'.
                pos = ops[-1].position
                raise ExprError(
                    f"unbalanced parenthesis: '(' at column {_col(pos)} is never closed", pos
                )
            return output[0]
        else:
            options = "AND, OR or ')'" if any(op.kind == LPAREN for op in ops) else "AND or OR"
            raise ExprError(
                f"expected {options} at column {_col(tok.position)}, found {_describe(tok)}",
                tok.position,
            )


def parse_sort(text: str) -> Sort:
    """Parse a SortExpression (``operand ASC|DESC``); raises ExprError on any bad input."""
    tokens = _tokens_for(text)
    head = tokens[0]
    if head.kind != OPERAND:
        raise ExprError(
            f"expected an operand at column {_col(head.position)}, found {_describe(head)}",
            head.position,
        )
    operand, key = _resolve_operand(head)
    order = tokens[1]
    if order.kind not in (ASC, DESC):
        raise ExprError(
            f"expected ASC or DESC after '{head.text}' at column {_col(order.position)}, "
            f"found {_describe(order)}",
            order.position,
        )
    extra = tokens[2]
    if extra.kind != EOF:
        raise ExprError(
            f"unexpected {_describe(extra)} at column {_col(extra.position)}; a sort "
            "expression is one operand followed by ASC or DESC",
            extra.position,
        )
    return Sort(operand, key, order.kind)


# --------------------------------------------------------------------------- printing


def normalize(node: Node) -> Node:
    """Return the normal form of ``node``: flattened And/Or, single-child And/Or unwrapped."""
    if isinstance(node, Condition):
        return node
    if isinstance(node, Not):
        return Not(normalize(node.child))
    if isinstance(node, And | Or):
        cls = type(node)
        parts: list[Node] = []
        for child in node.children:
            norm = normalize(child)
            if isinstance(norm, And | Or) and type(norm) is cls:
                parts.extend(norm.children)
            else:
                parts.append(norm)
        return parts[0] if len(parts) == 1 else cls(tuple(parts))
    raise TypeError(f"not a filter node: {type(node).__name__}")


def _format_number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text or "E" in text:
        # The grammar has no exponent syntax; spell the shortest round-trip decimal out.
        text = format(Decimal(text), "f")
    if "." not in text:
        # Keep a float a float across the round trip.
        text += ".0"
    return text


def format_value(value: Value) -> str:
    """The literal for ``value``: lower-case true/false, plain decimals, quoted strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _format_number(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _operand_text(operand: str, key: str | None) -> str:
    if key is None:
        return operand
    escaped = "".join(ch if ch in _PLAIN_KEY_CHARS else "\\" + ch for ch in key)
    return f"{operand}.{escaped}"


def _format(node: Node, parent_precedence: int) -> str:
    if isinstance(node, Condition):
        return (
            f"{_operand_text(node.operand, node.key)} {node.comparator} {format_value(node.value)}"
        )
    if isinstance(node, Not):
        return "NOT " + _format(node.child, _PRECEDENCE[NOT])
    keyword = AND if isinstance(node, And) else OR
    precedence = _PRECEDENCE[keyword]
    text = f" {keyword} ".join(_format(child, precedence) for child in node.children)
    return f"({text})" if parent_precedence > precedence else text


def format_filter(node: Node) -> str:
    """Canonical text for ``node`` with the fewest parentheses the precedence rules allow.

    The result may exceed 1024 characters; ``validate`` reports that case.
    """
    return _format(normalize(node), 0)


def format_sort(sort: Sort) -> str:
    return f"{_operand_text(sort.operand, sort.key)} {sort.order}"


# --------------------------------------------------------------------------- validation


def _conditions(node: Node) -> Iterable[Condition]:
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, Not):
        yield from _conditions(node.child)
    else:
        for child in node.children:
            yield from _conditions(child)


def _dotted_key_issue(operand: str, key: str | None) -> Issue | None:
    if key is not None and "." in key:
        return Issue(
            "warning",
            f"property key '{key}' contains '.', which GameLift cannot search; rename the property",
            operand,
            key,
        )
    return None


def _type_issue(cond: Condition) -> Issue | None:
    expected = OPERAND_TYPES[cond.operand]
    got = value_kind(cond.value)
    name = _operand_text(cond.operand, cond.key)
    literal = format_value(cond.value)
    if got == expected:
        if got != "number" and cond.comparator not in EQUALITY:
            # Seed 004: "Boolean and string values can only be used with the comparators = and
            # <>", and GameLift answers InvalidRequestException otherwise.
            return Issue("error", f"{name} can only be compared with = or <>, not "
                         f"'{cond.comparator}'", cond.operand, cond.key)
        return None
    if expected == "string" and got == "number":
        if cond.comparator in EQUALITY:
            return Issue(
                "warning",
                f"{name} holds text; {literal} is compared as the text '{literal}'",
                cond.operand,
                cond.key,
            )
        return Issue(
            "error",
            f"{name} holds text, which '{cond.comparator}' cannot order; "
            "GameLift refuses the search",
            cond.operand,
            cond.key,
        )
    wanted = {"string": "a string", "number": "a number", "boolean": "true or false"}[expected]
    return Issue("error", f"{name} takes {wanted}, not {got} {literal}", cond.operand, cond.key)


def validate(node: Node | Sort) -> list[Issue]:
    """Non-fatal findings, left to right: dotted property keys (warning), operand/value type
    mismatches (error, or warning for a number compared as text), and over-long filters."""
    if isinstance(node, Sort):
        issue = _dotted_key_issue(node.operand, node.key)
        return [issue] if issue else []
    issues: list[Issue] = []
    for cond in _conditions(node):
        for found in (_dotted_key_issue(cond.operand, cond.key), _type_issue(cond)):
            if found is not None:
                issues.append(found)
    if len(format_filter(node)) > MAX_LENGTH:
        issues.append(Issue("error", f"expression is longer than {MAX_LENGTH} characters"))
    return issues
