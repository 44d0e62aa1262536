"""The filter builder's model: rows and groups → the exact expression sent, and back."""

from __future__ import annotations

import datetime as dt
import shlex
import subprocess

import pytest

from tui.services import filter_builder as fb
from tui.services import search_expr as se

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def nested() -> fb.Group:
    """maximumSessions >= 10 AND NOT (mode = 'ranked' OR (NOT players < 3 AND open = true))"""
    return fb.Group("AND", [
        fb.Cond("maximumSessions", "", ">=", "10"),
        fb.Group("OR", [
            fb.Cond("gameSessionProperties", "mode", "=", "ranked"),
            fb.Group("AND", [
                fb.Cond("playerSessionCount", "", "<", "3", negated=True),
                fb.Cond("hasAvailablePlayerSessions", "", "=", "TRUE"),
            ]),
        ], negated=True),
    ])


# --------------------------------------------------------------------------- round trips


def test_nested_groups_and_not_print_and_parse_back() -> None:
    root = nested()
    node = fb.to_node(root, NOW)
    text = se.format_filter(node)
    assert text == ("maximumSessions >= 10 AND NOT (gameSessionProperties.mode = 'ranked' OR "
                    "NOT playerSessionCount < 3 AND hasAvailablePlayerSessions = true)")
    back = fb.from_node(se.parse_filter(text))
    # The same rows come back (booleans in their canonical spelling) and build the same AST.
    expected = nested()
    expected.children[1].children[1].children[1].value = "true"  # type: ignore[union-attr]
    assert back == expected
    assert fb.to_node(back, NOW) == node
    assert se.format_filter(fb.to_node(back, NOW)) == text


def test_lines_walk_groups_depth_first() -> None:
    root = nested()
    shown = [(line.depth, fb.describe(line.node)) for line in fb.lines(root)]
    assert shown == [
        (0, "maximumSessions >= 10"),
        (0, "NOT OR group (2)"),
        (1, "gameSessionProperties.mode = 'ranked'"),
        (1, "AND group (2)"),
        (2, "NOT playerSessionCount < 3"),
        (2, "hasAvailablePlayerSessions = TRUE"),
    ]
    assert fb.lines(root)[4].parent is root.children[1].children[1]  # type: ignore[union-attr]


def test_a_negated_root_expression_stays_visible_in_the_lines() -> None:
    # Raw "NOT (a OR b)" must show its NOT on a builder line: the root itself has no line.
    root = fb.from_node(se.parse_filter("NOT (maximumSessions = 1 OR playerSessionCount < 2)"))
    texts = [fb.describe(line.node) for line in fb.lines(root)]
    assert texts[0] == "NOT OR group (2)"
    assert se.format_filter(fb.to_node(root, NOW)) == \
        "NOT (maximumSessions = 1 OR playerSessionCount < 2)"


def test_single_negated_condition_and_empty_groups() -> None:
    root = fb.from_node(se.parse_filter("NOT gameSessionName = 'x'"))
    assert [fb.describe(line.node) for line in fb.lines(root)] == ["NOT gameSessionName = 'x'"]
    # Empty groups add nothing; an empty builder sends no filter at all.
    empty = fb.Group("AND", [fb.Group("OR", []), fb.Cond("maximumSessions", "", "=", "4")])
    assert se.format_filter(fb.to_node(empty, NOW)) == "maximumSessions = 4"
    assert fb.to_node(fb.Group(), NOW) is None
    assert fb.preview(fb.Group(), "", "", "DESC", NOW).filter_expression == ""


def test_strings_keep_quotes_and_backslashes() -> None:
    cond = fb.Cond("gameSessionName", "", "=", "Matt's \\ game")
    text = se.format_filter(fb.to_node(fb.Group("AND", [cond]), NOW))
    assert text == "gameSessionName = 'Matt\\'s \\\\ game'"
    assert fb.from_node(se.parse_filter(text)).children == [cond]
    assert fb.describe(cond) == "gameSessionName = 'Matt\\'s \\\\ game'"


# --------------------------------------------------------------------------- typed values


@pytest.mark.parametrize(("text", "comparator", "expected"), [
    ("older than 2h", "<", NOW - dt.timedelta(hours=2)),
    ("newer than 30m", ">", NOW - dt.timedelta(minutes=30)),
    ("Older Than 1.5d", "<", NOW - dt.timedelta(days=1.5)),
    ("2h ago", "=", NOW - dt.timedelta(hours=2)),  # no words about direction: row's own
    ("2026-11-20", "=", dt.datetime(2026, 11, 20, tzinfo=dt.UTC)),
    ("2026-11-20T09:30", "=", dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)),
    ("2026-11-20T09:30+02:00", "=", dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.UTC)),
])
def test_creation_time_words_and_dates(text: str, comparator: str, expected: dt.datetime) -> None:
    cond = fb.Cond("creationTimeMillis", "", "=", text)
    assert fb.typed_value(cond, NOW) == (comparator, millis(expected))
    node = fb.to_node(fb.Group("AND", [cond]), NOW)
    assert se.format_filter(node) == f"creationTimeMillis {comparator} {millis(expected)}"


def test_creation_time_epoch_millis_kept_and_bad_text_explained() -> None:
    assert fb.time_millis("1763985600000", NOW) == (1763985600000, None)
    with pytest.raises(se.ExprError) as caught:
        fb.typed_value(fb.Cond("creationTimeMillis", "", ">", "last tuesday"), NOW)
    message = caught.value.message
    assert "'last tuesday' is not a time" in message
    assert "older than 2h" in message and "2026-11-24" in message
    problems = fb.preview(fb.Group("AND", [fb.Cond("creationTimeMillis", "", ">", "soon")]),
                          "", "", "DESC", NOW).problems
    assert problems and "'soon' is not a time" in problems[0]


def test_number_and_boolean_type_errors() -> None:
    with pytest.raises(se.ExprError, match="maximumSessions needs a number, not 'ten'"):
        fb.typed_value(fb.Cond("maximumSessions", "", ">", "ten"), NOW)
    with pytest.raises(se.ExprError,
                       match="hasAvailablePlayerSessions is true or false, not 'yes'"):
        fb.typed_value(fb.Cond("hasAvailablePlayerSessions", "", "=", "yes"), NOW)
    assert fb.typed_value(fb.Cond("playerSessionCount", "", ">", " 10.0 "), NOW) == (">", 10)
    assert fb.typed_value(fb.Cond("playerSessionCount", "", ">", "2.5"), NOW) == (">", 2.5)
    assert fb.typed_value(fb.Cond("hasAvailablePlayerSessions", "", "<>", "False"), NOW) == \
        ("<>", False)
    # Not-a-number spellings that float() would take never reach the expression.
    for bad in ("nan", "inf"):
        built = fb.preview(fb.Group("AND", [fb.Cond("maximumSessions", "", ">", bad)]),
                           "", "", "DESC", NOW)
        assert built.problems and built.filter_expression == ""
    # A property needs a key.
    built = fb.preview(fb.Group("AND", [fb.Cond("gameSessionProperties", " ", "=", "x")]),
                       "", "", "DESC", NOW)
    assert built.problems and "needs a key" in built.problems[0]


# --------------------------------------------------------------------------- preview


def test_dotted_property_key_is_a_warning_not_a_problem() -> None:
    root = fb.Group("AND", [fb.Cond("gameSessionProperties", "region.tag", "=", "eu")])
    built = fb.preview(root, "gameSessionProperties", "a.b", "ASC", NOW)
    assert built.problems == []
    assert built.filter_expression == "gameSessionProperties.region.tag = 'eu'"
    assert built.sort_expression == "gameSessionProperties.a.b ASC"
    dotted = [w for w in built.warnings if "contains '.'" in w]
    assert len(dotted) == 2 and "'region.tag'" in dotted[0] and "'a.b'" in dotted[1]


def test_every_string_operand_warns_about_case() -> None:
    for operand, key in (("gameSessionName", ""), ("gameSessionId", ""),
                         ("gameSessionProperties", "mode")):
        root = fb.Group("AND", [fb.Cond(operand, key, "=", "Ranked")])
        assert "string values are case sensitive" in fb.preview(root, "", "", "DESC", NOW).warnings
    numbers = fb.Group("AND", [fb.Cond("maximumSessions", "", "=", "4")])
    assert fb.preview(numbers, "", "", "DESC", NOW).warnings == []


def test_expression_over_1024_characters_cannot_be_sent() -> None:
    prefix = len("gameSessionName = ''")

    def name_of(total: int) -> fb.Group:
        return fb.Group("AND", [fb.Cond("gameSessionName", "", "=", "x" * (total - prefix))])

    fits = fb.preview(name_of(1024), "", "", "DESC", NOW)
    assert len(fits.filter_expression) == 1024 and fits.problems == []
    too_long = fb.preview(name_of(1025), "", "", "DESC", NOW)
    assert len(too_long.filter_expression) == 1025
    assert too_long.problems == ["expression is longer than 1024 characters"]


def test_sort_preview_and_bad_sort_key() -> None:
    built = fb.preview(fb.Group(), "creationTimeMillis", "ignored", "DESC", NOW)
    assert (built.filter_expression, built.sort_expression) == ("", "creationTimeMillis DESC")
    bad = fb.preview(fb.Group(), "gameSessionProperties", "", "ASC", NOW)
    assert bad.problems and "needs a key" in bad.problems[0]


# --------------------------------------------------------------------------- CLI command


def shell_argv(command: str) -> list[str]:
    """What a real POSIX shell passes to the program for ``command``."""
    script = command.replace("aws gamelift search-game-sessions", "printf '%s\\0'", 1)
    out = subprocess.run(["/bin/sh", "-c", script], capture_output=True, check=True,
                         env={"HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}).stdout
    return ["aws", "gamelift", "search-game-sessions",
            *out.decode().split("\0")[:-1]]


@pytest.mark.parametrize("value", [
    "Matt's Awesome Game 1",     # a single quote (escaped with a backslash inside the filter)
    "costs $5 or $HOME",         # '$' must not expand
    'say "hi" `date`',           # double quotes and backticks
    "plain",                     # the readable double-quoted form
    "bang! and \\ backslash",
])
def test_cli_command_survives_the_shell(value: str) -> None:
    root = fb.Group("AND", [fb.Cond("gameSessionProperties", "title", "=", value),
                            fb.Cond("maximumSessions", "", ">=", "10")])
    built = fb.preview(root, "creationTimeMillis", "", "DESC", NOW)
    spec = fb.SearchSpec(fleet_id="fleet-1", location="us-west-2",
                         filter_expression=built.filter_expression,
                         sort_expression=built.sort_expression)
    command = fb.cli_command(spec, "us-west-2")
    expected = ["aws", "gamelift", "search-game-sessions", "--fleet-id", "fleet-1",
                "--location", "us-west-2", "--filter-expression", built.filter_expression,
                "--sort-expression", "creationTimeMillis DESC", "--region", "us-west-2"]
    assert shlex.split(command) == expected
    assert shell_argv(command) == expected
    # And the filter the shell hands over parses back to the same value.
    sent = shell_argv(command)[8]
    assert se.parse_filter(sent).children[0].value == value  # type: ignore[union-attr]


def test_cli_command_prefers_the_alias_and_skips_empty_parts() -> None:
    spec = fb.SearchSpec(fleet_id="fleet-1", alias_id="alias-1")
    assert fb.cli_command(spec) == "aws gamelift search-game-sessions --alias-id alias-1"


# --------------------------------------------------------------------------- raw mode


def test_parse_raw_returns_rows_and_sort_or_the_position() -> None:
    root, sort = fb.parse_raw("maximumSessions >= 10 AND hasAvailablePlayerSessions = true",
                              "playerSessionCount asc")
    assert root == fb.Group("AND", [fb.Cond("maximumSessions", "", ">=", "10"),
                                    fb.Cond("hasAvailablePlayerSessions", "", "=", "true")])
    assert sort == se.Sort("playerSessionCount", None, "ASC")
    assert fb.parse_raw("  ", "") == (fb.Group(), None)
    text = "maximumSessions >= AND playerSessionCount > 1"
    with pytest.raises(se.ExprError) as caught:
        fb.parse_raw(text, "")
    assert caught.value.position == text.index("AND")
    assert "expected a value after '>='" in caught.value.message
    with pytest.raises(se.ExprError) as caught:
        fb.parse_raw("", "playerSessionCount sideways")
    assert caught.value.position == len("playerSessionCount ")
