"""GameLift SearchGameSessions filter/sort grammar: parsing, printing, errors, evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tui.services.search_expr import (
    MAX_LENGTH,
    OPERAND_TYPES,
    And,
    Condition,
    ExprError,
    Not,
    Or,
    Sort,
    comparators_for,
    format_filter,
    format_sort,
    normalize,
    parse_filter,
    parse_sort,
    tokenize,
    validate,
)
from tui.sim.search_eval import evaluate, search_sessions, sort_key, sort_sessions

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MAX10 = Condition("maximumSessions", None, ">=", 10)
OPEN = Condition("hasAvailablePlayerSessions", None, "=", True)
X = Condition("maximumSessions", None, "=", 1)
Y = Condition("playerSessionCount", None, "<", 2)
Z = Condition("gameSessionName", None, "=", "z")


# --------------------------------------------------------------------------- seed examples


def test_seed_filter_example() -> None:
    node = parse_filter("maximumSessions>=10 AND hasAvailablePlayerSessions=true")
    assert node == And((MAX10, OPEN))
    assert format_filter(node) == "maximumSessions >= 10 AND hasAvailablePlayerSessions = true"


def test_seed_escaped_string() -> None:
    text = "gameSessionName = 'Matt\\'s Awesome Game 1'"
    node = parse_filter(text)
    assert node == Condition("gameSessionName", None, "=", "Matt's Awesome Game 1")
    assert format_filter(node) == text


def test_seed_chain_with_not() -> None:
    text = "maximumSessions = 1 AND playerSessionCount < 2 AND NOT gameSessionName = 'z'"
    assert parse_filter(text) == And((X, Y, Not(Z)))
    assert format_filter(And((X, Y, Not(Z)))) == text


def test_seed_not_of_parenthesised_or() -> None:
    node = parse_filter("NOT (maximumSessions = 1 OR playerSessionCount < 2)")
    assert node == Not(Or((X, Y)))
    assert format_filter(node) == "NOT (maximumSessions = 1 OR playerSessionCount < 2)"


def test_seed_sort_example() -> None:
    assert parse_sort("creationTimeMillis ASC") == Sort("creationTimeMillis", None, "ASC")
    assert parse_sort("  playerSessionCount   desc ") == Sort("playerSessionCount", None, "DESC")
    sort = parse_sort("gameSessionProperties.level Desc")
    assert sort == Sort("gameSessionProperties", "level", "DESC")
    assert format_sort(sort) == "gameSessionProperties.level DESC"


def test_seed_property_with_double_quotes() -> None:
    # The AWS docs show this form; output is normalised to single quotes.
    node = parse_filter('gameSessionProperties.difficulty = "novice"')
    assert node == Condition("gameSessionProperties", "difficulty", "=", "novice")
    assert format_filter(node) == "gameSessionProperties.difficulty = 'novice'"


# --------------------------------------------------------------------------- syntax details


def test_precedence_and_binds_tighter_than_or() -> None:
    assert parse_filter(
        "maximumSessions = 1 OR playerSessionCount < 2 AND gameSessionName = 'z'"
    ) == Or((X, And((Y, Z))))
    assert parse_filter(
        "maximumSessions = 1 AND playerSessionCount < 2 OR gameSessionName = 'z'"
    ) == Or((And((X, Y)), Z))


def test_precedence_not_binds_tighter_than_and() -> None:
    assert parse_filter("NOT maximumSessions = 1 AND playerSessionCount < 2") == And((Not(X), Y))
    assert parse_filter("NOT NOT maximumSessions = 1") == Not(Not(X))


def test_parentheses_override_and_are_minimal_on_output() -> None:
    node = parse_filter("(maximumSessions = 1 OR playerSessionCount < 2) AND gameSessionName = 'z'")
    assert node == And((Or((X, Y)), Z))
    assert format_filter(node) == (
        "(maximumSessions = 1 OR playerSessionCount < 2) AND gameSessionName = 'z'"
    )
    redundant = "((maximumSessions = 1) OR (playerSessionCount < 2 AND (gameSessionName = 'z')))"
    assert format_filter(parse_filter(redundant)) == (
        "maximumSessions = 1 OR playerSessionCount < 2 AND gameSessionName = 'z'"
    )


def test_nested_chains_flatten() -> None:
    left = parse_filter(
        "(maximumSessions = 1 AND playerSessionCount < 2) AND gameSessionName = 'z'"
    )
    right = parse_filter(
        "maximumSessions = 1 AND (playerSessionCount < 2 AND gameSessionName = 'z')"
    )
    assert left == right == And((X, Y, Z))
    assert normalize(And((And((X, Y)), Z))) == And((X, Y, Z))
    assert normalize(Or((X,))) == X
    assert format_filter(And((Or((X, Or((Y, Z)))),))) == (
        "maximumSessions = 1 OR playerSessionCount < 2 OR gameSessionName = 'z'"
    )


def test_keywords_and_booleans_are_case_insensitive() -> None:
    node = parse_filter(
        "not maximumSessions = 1 and hasAvailablePlayerSessions = TRUE Or "
        "hasAvailablePlayerSessions <> False"
    )
    assert node == Or(
        (
            And((Not(X), OPEN)),
            Condition("hasAvailablePlayerSessions", None, "<>", False),
        )
    )
    assert "AND" in format_filter(node) and "false" in format_filter(node)


def test_values_numbers_and_strings() -> None:
    assert parse_filter("playerSessionCount > -3") == Condition("playerSessionCount", None, ">", -3)
    dec = parse_filter("creationTimeMillis <= 1.25")
    assert dec == Condition("creationTimeMillis", None, "<=", 1.25)
    assert parse_filter("maximumSessions = 10") != parse_filter("maximumSessions = 10.0")
    assert parse_filter("gameSessionId = 'a\\\\b'") == Condition("gameSessionId", None, "=", "a\\b")
    assert format_filter(Condition("gameSessionId", None, "=", "a\\b'c")) == (
        "gameSessionId = 'a\\\\b\\'c'"
    )
    key = parse_filter("gameSessionProperties.game-mode_2 <> 'x'")
    assert key == Condition("gameSessionProperties", "game-mode_2", "<>", "x")


def test_true_and_one_are_distinct_conditions() -> None:
    assert Condition("maximumSessions", None, "=", True) != Condition(
        "maximumSessions", None, "=", 1
    )


def test_tokenize_positions() -> None:
    tokens = tokenize("maximumSessions>=10 and (x)")
    assert [(t.kind, t.position) for t in tokens] == [
        ("OPERAND", 0),
        ("COMPARATOR", 15),
        ("NUMBER", 17),
        ("AND", 20),
        ("LPAREN", 24),
        ("OPERAND", 25),
        ("RPAREN", 26),
        ("EOF", 27),
    ]


def test_length_limit_is_inclusive() -> None:
    prefix = "gameSessionName = '"
    text = prefix + "x" * (MAX_LENGTH - len(prefix) - 1) + "'"
    assert len(text) == MAX_LENGTH
    parse_filter(text)
    with pytest.raises(ExprError) as info:
        parse_filter(text + " ")
    assert str(info.value) == "expression is longer than 1024 characters"


def test_deep_nesting_does_not_overflow() -> None:
    depth = (MAX_LENGTH - len("maximumSessions=1")) // 2
    assert parse_filter("(" * depth + "maximumSessions=1" + ")" * depth) == X
    nots = parse_filter("NOT " * 250 + "maximumSessions=1")
    assert format_filter(nots) == "NOT " * 250 + "maximumSessions = 1"


def test_comparators_for() -> None:
    assert comparators_for("maximumSessions") == ("=", "<>", "<", ">", "<=", ">=")
    assert comparators_for("gameSessionProperties") == ("=", "<>")
    assert comparators_for("hasAvailablePlayerSessions") == ("=", "<>")


# --------------------------------------------------------------------------- errors

ERRORS = [
    (
        "maximumSessions >= AND playerSessionCount = 1",
        "expected a value after '>=' at column 20",
        20,
    ),
    ("maximumSessions >=", "expected a value after '>=' at column 19", 19),
    ("gameSessionName = 'abc", "unterminated string starting at column 19", 19),
    ("gameSessionName = 'abc\\'", "unterminated string starting at column 19", 19),
    (
        "maximumSessions > 1 AND (playerSessionCount < 3",
        "unbalanced parenthesis: '(' at column 25 is never closed",
        25,
    ),
    (
        "maximumSessions > 1)",
        "unbalanced parenthesis: ')' at column 20 has no matching '('",
        20,
    ),
    ("playerCount > 1", "unknown operand 'playerCount' at column 1 (expected one of: ", 1),
    ("maximumsessions > 1", "did you mean 'maximumSessions'?", 1),
    (
        "maximumSessions = 1 OR gameSessionName < 'a'",
        "'<' at column 40 cannot compare a string; strings and booleans allow only = and <>",
        40,
    ),
    (
        "hasAvailablePlayerSessions >= true",
        "'>=' at column 28 cannot compare a boolean; strings and booleans allow only = and <>",
        28,
    ),
    ("maximumSessions = 1 AND NOT ()", "empty parentheses at column 29", 29),
    ("x" * 1025, "expression is longer than 1024 characters", 1025),
    ("", "expression is empty", 1),
    ("  \t ", "expression is empty", 1),
    (
        "maximumSessions 10",
        "expected a comparator (=, <>, <, >, <=, >=) after 'maximumSessions'",
        17,
    ),
    ("maximumSessions = 10 AND", "expected a condition after 'AND' at column 25", 25),
    ("maximumSessions = 10 and ", "expected a condition after 'AND' at column 26", 26),
    ("AND maximumSessions = 10", "expected a condition at column 1, found 'AND'", 1),
    ("maximumSessions = 1 playerSessionCount = 1", "expected AND or OR at column 21", 21),
    ("(maximumSessions = 1 2)", "expected AND, OR or ')' at column 22", 22),
    ("maximumSessions != 1", "'!=' at column 17 is not a comparator; use '<>'", 17),
    ("maximumSessions == 1", "'==' at column 17 is not a comparator; use '='", 17),
    ("maximumSessions = 1.5.2", "malformed number '1.5.2' at column 19", 19),
    ("maximumSessions = 10AND", "malformed number '10AND' at column 19", 19),
    ("maximumSessions = -", "expected digits after '-' at column 19", 19),
    ("maximumSessions = #", "unexpected character '#' at column 19", 19),
    ("gameSessionProperties = 'x'", "'gameSessionProperties' at column 1 needs a key", 1),
    ("gameSessionProperties. = 'x'", "expected a property key after", 23),
    ("maximumSessions = " + "9" * 400 + ".5", "out of range", 19),
]


@pytest.mark.parametrize(("text", "message", "column"), ERRORS)
def test_filter_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(ExprError) as info:
        parse_filter(text)
    assert message in str(info.value)
    assert info.value.column == column
    assert info.value.position == column - 1


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("creationTimeMillis", "expected ASC or DESC after 'creationTimeMillis' at column 19", 19),
        ("creationTimeMillis ASC DESC", "unexpected 'DESC' at column 24", 24),
        ("ASC", "expected an operand at column 1, found 'ASC'", 1),
        ("creationTime ASC", "unknown operand 'creationTime'", 1),
        ("", "expression is empty", 1),
    ],
)
def test_sort_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(ExprError) as info:
        parse_sort(text)
    assert message in str(info.value)
    assert info.value.column == column


def test_invalid_asts_are_rejected_at_construction() -> None:
    with pytest.raises(ExprError, match="cannot compare a string"):
        Condition("gameSessionName", None, "<", "a")
    with pytest.raises(ExprError, match="unknown operand"):
        Condition("playerCount", None, "=", 1)
    with pytest.raises(ExprError, match="needs a key"):
        Condition("gameSessionProperties", None, "=", "a")
    with pytest.raises(ExprError, match="needs a key"):
        Condition("gameSessionProperties", "", "=", "a")
    with pytest.raises(ExprError, match="finite"):
        Condition("maximumSessions", None, "=", float("nan"))
    with pytest.raises(ExprError, match="at least one"):
        And(())
    with pytest.raises(ExprError, match="ASC or DESC"):
        Sort("maximumSessions", None, "asc")


# --------------------------------------------------------------------------- validate


def test_validate_warnings_and_type_errors() -> None:
    assert validate(And((MAX10, OPEN))) == []
    dotted = validate(parse_filter("gameSessionProperties.a.b = 'x'"))
    assert [i.severity for i in dotted] == ["warning"]
    assert "contains '.'" in dotted[0].message
    assert validate(parse_sort("gameSessionProperties.a.b ASC"))[0].severity == "warning"

    wrong = validate(parse_filter("maximumSessions = 'ten' OR hasAvailablePlayerSessions = 1"))
    assert [i.severity for i in wrong] == ["error", "error"]
    assert "takes a number" in wrong[0].message
    assert "takes true or false" in wrong[1].message

    as_text = validate(parse_filter("gameSessionProperties.level = 5"))
    assert [i.severity for i in as_text] == ["warning"]
    ordered = validate(parse_filter("gameSessionProperties.level > 5"))
    assert [i.severity for i in ordered] == ["error"]

    long = Or(tuple(Condition("gameSessionName", None, "=", "n" * 30) for _ in range(40)))
    assert validate(long)[-1].message == "expression is longer than 1024 characters"


# --------------------------------------------------------------------------- round trip

KEYS = st.from_regex(r"[A-Za-z0-9_.\-]{1,10}", fullmatch=True)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    operand = draw(st.sampled_from(sorted(OPERAND_TYPES)))
    key = draw(KEYS) if operand == "gameSessionProperties" else None
    value = draw(st.one_of(NUMBERS, st.booleans(), st.text(max_size=12)))
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    comparators = ["=", "<>", "<", ">", "<=", ">="] if is_number else ["=", "<>"]
    return Condition(operand, key, draw(st.sampled_from(comparators)), value)


def trees(leaves: st.SearchStrategy[Condition]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            inner.map(Not),
            st.lists(inner, min_size=1, max_size=4).map(lambda c: And(tuple(c))),
            st.lists(inner, min_size=1, max_size=4).map(lambda c: Or(tuple(c))),
        ),
        max_leaves=10,
    )


@FAST
@given(trees(conditions()))
def test_format_then_parse_round_trips(tree: Any) -> None:
    norm = normalize(tree)
    assert normalize(norm) == norm
    text = format_filter(tree)
    assume(len(text) <= MAX_LENGTH)
    assert parse_filter(text) == norm
    assert format_filter(parse_filter(text)) == text


@FAST
@given(st.sampled_from(sorted(OPERAND_TYPES)), KEYS, st.sampled_from(["ASC", "DESC"]))
def test_sort_round_trips(operand: str, key: str, order: str) -> None:
    sort = Sort(operand, key if operand == "gameSessionProperties" else None, order)
    assert parse_sort(format_sort(sort)) == sort


# --------------------------------------------------------------------------- robustness

FRAGMENTS = [
    "maximumSessions",
    "gameSessionProperties.",
    "gameSessionProperties.k",
    "gameSessionName",
    "hasAvailablePlayerSessions",
    "=",
    "<>",
    "<",
    ">=",
    "!",
    "(",
    ")",
    " ",
    "AND",
    "or",
    "NOT",
    "asc",
    "DESC",
    "true",
    "FALSE",
    "'",
    "\\",
    '"',
    "'a\\'b'",
    "10",
    "-",
    "-1.5",
    ".",
    "1.",
    "x",
    "é",
    "\x00",
    "\n",
]


def _only_expr_errors(text: str) -> None:
    for parse in (tokenize, parse_filter, parse_sort):
        try:
            parse(text)
        except ExprError as err:
            assert err.position is not None and 0 <= err.position <= max(len(text), 1024)
            assert err.column == err.position + 1


@FAST
@given(st.text())
def test_arbitrary_text_raises_only_expr_error(text: str) -> None:
    _only_expr_errors(text)


@FAST
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_token_soup_raises_only_expr_error(text: str) -> None:
    _only_expr_errors(text)


@FAST
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map(" ".join))
def test_spaced_token_soup_raises_only_expr_error(text: str) -> None:
    _only_expr_errors(text)


def test_non_string_input_raises_expr_error() -> None:
    with pytest.raises(ExprError):
        not_text: Any = None  # what an untyped caller might pass
        parse_filter(not_text)


# --------------------------------------------------------------------------- evaluation

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NAMES = ["alpha", "beta", "Matt's", ""]
IDS = ["gs-1", "gs-2"]
PROP_KEYS = ["mode", "level"]
PROP_VALUES = ["brawl", "5", "true", "1.5", ""]


@st.composite
def sessions(draw: st.DrawFn) -> dict[str, Any]:
    session: dict[str, Any] = {"GameSessionId": draw(st.sampled_from(IDS))}
    if draw(st.booleans()):
        session["Name"] = draw(st.sampled_from(NAMES))
    millis = draw(st.integers(min_value=0, max_value=4_000_000_000_000))
    created = draw(st.sampled_from(["datetime", "naive", "seconds", "missing"]))
    if created == "datetime":
        session["CreationTime"] = EPOCH + dt.timedelta(milliseconds=millis)
    elif created == "naive":
        session["CreationTime"] = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)
    elif created == "seconds":
        session["CreationTime"] = millis / 1000
    if draw(st.booleans()):
        session["CurrentPlayerSessionCount"] = draw(st.integers(0, 6))
    if draw(st.booleans()):
        session["MaximumPlayerSessionCount"] = draw(st.integers(0, 6))
    session["PlayerSessionCreationPolicy"] = draw(st.sampled_from(["ACCEPT_ALL", "DENY_ALL"]))
    props = draw(
        st.lists(
            st.fixed_dictionaries(
                {"Key": st.sampled_from(PROP_KEYS), "Value": st.sampled_from(PROP_VALUES)}
            ),
            max_size=3,
            unique_by=lambda p: p["Key"],
        )
    )
    session["GameProperties"] = props
    return session


@st.composite
def matchy_conditions(draw: st.DrawFn) -> Condition:
    """Conditions drawn from the same small pools as the sessions, so some match."""
    operand = draw(st.sampled_from(sorted(OPERAND_TYPES)))
    key = draw(st.sampled_from(PROP_KEYS)) if operand == "gameSessionProperties" else None
    value = draw(
        st.one_of(
            st.integers(-1, 7),
            st.sampled_from([1.5, 2.5, 5.0]),
            st.integers(0, 4_000_000_000_000),
            st.booleans(),
            st.sampled_from(NAMES + IDS + PROP_VALUES),
        )
    )
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    comparators = ["=", "<>", "<", ">", "<=", ">="] if is_number else ["=", "<>"]
    return Condition(operand, key, draw(st.sampled_from(comparators)), value)


def reference_lookup(session: dict[str, Any], operand: str, key: str | None) -> Any:
    """What the documented mapping says each operand sees; None stands for null."""
    if operand == "gameSessionProperties":
        if key is None or "." in key:  # seed 001: keys with periods cannot be searched
            return None
        values = [p["Value"] for p in session.get("GameProperties", []) if p["Key"] == key]
        return values[0] if values else None
    if operand == "creationTimeMillis":
        created = session.get("CreationTime")
        if created is None:
            return None
        if isinstance(created, dt.datetime):
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            return round(created.timestamp() * 1000)
        return round(created * 1000)
    if operand == "hasAvailablePlayerSessions":
        cur = session.get("CurrentPlayerSessionCount")
        top = session.get("MaximumPlayerSessionCount")
        if cur is None or top is None:
            return None
        return cur < top and session["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
    field = {
        "gameSessionName": "Name",
        "gameSessionId": "GameSessionId",
        "maximumSessions": "MaximumPlayerSessionCount",
        "playerSessionCount": "CurrentPlayerSessionCount",
    }[operand]
    return session.get(field)


def literal_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return repr(value) if isinstance(value, float) else str(value)


def reference_condition(cond: Condition, session: dict[str, Any]) -> bool:
    seen = reference_lookup(session, cond.operand, cond.key)
    if seen is None:
        # Missing is unequal to every value (so <> and NOT = agree) and never ordered.
        return cond.comparator == "<>"
    value, comp = cond.value, cond.comparator
    if cond.operand in ("gameSessionName", "gameSessionId", "gameSessionProperties"):
        want = value if isinstance(value, str) else literal_text(value)
        if comp == "=":
            return seen == want
        return seen != want if comp == "<>" else False
    if cond.operand == "hasAvailablePlayerSessions":
        if type(value) is not bool:
            return comp == "<>"
        return {"=": seen is value, "<>": seen is not value}.get(comp, False)
    if type(value) not in (int, float):
        return comp == "<>"
    return {
        "=": seen == value,
        "<>": seen != value,
        "<": seen < value,
        ">": seen > value,
        "<=": seen <= value,
        ">=": seen >= value,
    }[comp]


def reference_eval(node: Any, session: dict[str, Any]) -> bool:
    if isinstance(node, Condition):
        return reference_condition(node, session)
    if isinstance(node, Not):
        return not reference_eval(node.child, session)
    results = [reference_eval(child, session) for child in node.children]
    return all(results) if isinstance(node, And) else any(results)


@FAST
@given(trees(matchy_conditions()), st.lists(sessions(), min_size=1, max_size=4))
def test_evaluate_agrees_with_reference(tree: Any, pool: list[dict[str, Any]]) -> None:
    text = format_filter(tree)
    assume(len(text) <= MAX_LENGTH)
    parsed = parse_filter(text)
    for session in pool:
        expected = reference_eval(tree, session)
        assert evaluate(tree, session) == expected
        assert evaluate(parsed, session) == expected


def _session(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "GameSessionId": "gs-1",
        "Name": "alpha",
        "CreationTime": EPOCH + dt.timedelta(seconds=10),
        "CurrentPlayerSessionCount": 2,
        "MaximumPlayerSessionCount": 10,
        "PlayerSessionCreationPolicy": "ACCEPT_ALL",
        "Status": "ACTIVE",
        "GameProperties": [{"Key": "mode", "Value": "brawl"}],
    }
    base.update(fields)
    return base


def test_evaluate_examples() -> None:
    seed = parse_filter("maximumSessions>=10 AND hasAvailablePlayerSessions=true")
    assert evaluate(seed, _session())
    assert not evaluate(seed, _session(CurrentPlayerSessionCount=10))
    assert not evaluate(seed, _session(PlayerSessionCreationPolicy="DENY_ALL"))
    assert evaluate(parse_filter("creationTimeMillis = 10000"), _session())
    assert evaluate(parse_filter("creationTimeMillis = 10000"), _session(CreationTime=10.0))
    # A missing property is unequal to every value: <> and NOT = agree on it (issue 17).
    assert not evaluate(parse_filter("gameSessionProperties.level = 'x'"), _session())
    assert evaluate(parse_filter("gameSessionProperties.level <> 'x'"), _session())
    assert evaluate(parse_filter("NOT gameSessionProperties.level = 'x'"), _session())
    assert evaluate(parse_filter("gameSessionProperties.mode <> 'Brawl'"), _session())
    level5 = _session(GameProperties=[{"Key": "level", "Value": "5"}])
    assert evaluate(parse_filter("gameSessionProperties.level = 5"), level5)
    assert not evaluate(parse_filter("gameSessionProperties.level > 4"), level5)


# --------------------------------------------------------------------------- sorting


def test_sort_sessions_puts_nulls_last() -> None:
    a = _session(GameSessionId="a", Name="b")
    b = _session(GameSessionId="b")
    del b["Name"]
    c = _session(GameSessionId="c", Name="a")
    d = _session(GameSessionId="d", Name="c")
    ids = [
        s["GameSessionId"] for s in sort_sessions([a, b, c, d], parse_sort("gameSessionName ASC"))
    ]
    assert ids == ["c", "a", "d", "b"]
    ids = [
        s["GameSessionId"] for s in sort_sessions([a, b, c, d], parse_sort("gameSessionName DESC"))
    ]
    assert ids == ["d", "a", "c", "b"]
    by_prop = sort_sessions(
        [b, _session(GameProperties=[])], parse_sort("gameSessionProperties.mode DESC")
    )
    assert by_prop[0] is b


@FAST
@given(
    st.lists(sessions(), max_size=8),
    st.sampled_from(sorted(OPERAND_TYPES)),
    st.sampled_from(PROP_KEYS),
    st.sampled_from(["ASC", "DESC"]),
)
def test_sort_sessions_orders_values_then_nulls(
    pool: list[dict[str, Any]], operand: str, key: str, order: str
) -> None:
    sort = Sort(operand, key if operand == "gameSessionProperties" else None, order)
    result = sort_sessions(pool, sort)
    assert sorted(map(id, result)) == sorted(map(id, pool))
    values = [reference_lookup(s, sort.operand, sort.key) for s in result]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))
    assert present == sorted(present, reverse=order == "DESC")
    assert result == sorted(pool, key=lambda s: sort_key(s, sort))


def test_search_sessions_filters_then_sorts() -> None:
    pool = [
        _session(GameSessionId="full", CurrentPlayerSessionCount=10),
        _session(GameSessionId="old", CreationTime=1.0),
        _session(GameSessionId="new", CreationTime=99.0),
    ]
    found = search_sessions(pool, "hasAvailablePlayerSessions = true", "creationTimeMillis DESC")
    assert [s["GameSessionId"] for s in found] == ["new", "old"]
    assert search_sessions(pool) == pool
    with pytest.raises(ExprError):
        search_sessions(pool, "maximumSessions >")
