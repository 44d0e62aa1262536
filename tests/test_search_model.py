"""The Search pane's model without Textual: the builder's tree edits and the expression it
prints, a run's state, the history writer, and the calls it makes against the real simulator
(compared with what boto3's own paginator gets for the same request)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from tui.aws.session import AwsContext
from tui.models import search as model
from tui.models.search import EMPTY_LINE, SORT_LINE, Builder, SearchRun, SortSpec
from tui.services import filter_builder as fb
from tui.services.saved_searches import SearchStore
from tui.sim.server import RunningSimulator

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def texts(builder: Builder) -> list[str]:
    return [row.text for row in builder.rows()]


def line_at(builder: Builder, index: int) -> fb.Line:
    builder.rows()
    line = builder.line(str(index))
    assert line is not None
    return line


def filter_of(builder: Builder) -> str:
    return builder.preview(NOW).filter_expression


# --- the builder ----------------------------------------------------------------------------


def test_starter_row_sort_line_and_preview() -> None:
    builder = Builder()
    rows = builder.rows()
    assert [(r.text, r.id) for r in rows] == [("playerSessionCount > 0", "0"),
                                             ("↕ sort: service order", SORT_LINE)]
    assert builder.line(SORT_LINE) is None
    spec = builder.spec("fleet:fleet-1", " eu-west-1 ", NOW)
    assert spec == fb.SearchSpec(fleet_id="fleet-1", location="eu-west-1",
                                 filter_expression="playerSessionCount > 0")
    assert builder.spec("alias:alias-9", "", NOW).alias_id == "alias-9"
    lines = builder.preview_lines(spec, "us-west-2")
    assert lines == ["filter: playerSessionCount > 0",
                     "ⓘ search sees ACTIVE sessions only",
                     "$ " + fb.cli_command(spec, "us-west-2")]


def test_groups_not_op_move_and_remove() -> None:
    builder = Builder()
    index = builder.add_group(line_at(builder, 0))
    assert index == 1
    assert filter_of(builder) == ("playerSessionCount > 0 AND (playerSessionCount > 0 OR "
                                  "playerSessionCount = 0)")
    builder.negate(line_at(builder, 1))
    assert texts(builder)[1] == "AND NOT OR group (2)"
    # o on a row of the group flips that group; ! on the row negates just the row.
    builder.negate(line_at(builder, 3))
    builder.flip_op(line_at(builder, 3))
    assert texts(builder)[1:4] == ["AND NOT AND group (2)", "      playerSessionCount > 0",
                                   "  AND NOT playerSessionCount = 0"]
    assert builder.move(line_at(builder, 3), -1) == 2
    assert builder.move(line_at(builder, 2), -1) is None  # already first in its group
    assert texts(builder)[2:4] == ["      NOT playerSessionCount = 0",
                                   "  AND playerSessionCount > 0"]
    builder.remove(line_at(builder, 2))
    builder.remove(line_at(builder, 2))  # the group's last row: the empty group goes too
    assert texts(builder) == ["playerSessionCount > 0", "↕ sort: service order"]
    builder.remove(line_at(builder, 0))
    assert [r.id for r in builder.rows()] == [EMPTY_LINE, SORT_LINE]
    assert filter_of(builder) == ""
    builder.flip_op(None)  # on the placeholder: the top level
    assert builder.root.op == "OR"


def test_moving_rows_that_read_the_same_moves_the_one_under_the_cursor() -> None:
    builder = Builder()
    a, b, a2 = (fb.Cond("maximumSessions", "", "=", "4"),
                fb.Cond("playerSessionCount", "", "=", "1"),
                fb.Cond("maximumSessions", "", "=", "4"))
    builder.root = fb.Group("OR", [a, b, a2])
    assert builder.move(line_at(builder, 2), -1) == 1
    assert builder.root.children[0] is a and builder.root.children[1] is a2
    builder.remove(line_at(builder, 1))
    assert builder.root.children == [a, b] and builder.root.children[0] is a


def test_insert_where_the_cursor_is_and_edit_in_place() -> None:
    builder = Builder()
    group_index = builder.add_group(None)  # no cursor line: at the end of the top level
    group = line_at(builder, group_index)
    assert isinstance(group.node, fb.Group)
    new = fb.Cond("maximumSessions", "", ">=", "10")
    # On a group header, a new row goes into that group, last.
    index = builder.insert(builder.container(group), new)
    assert line_at(builder, index).node is new and line_at(builder, index).parent is group.node
    first = line_at(builder, 0).node
    assert isinstance(first, fb.Cond)
    first.negated = True
    builder.replace(first, fb.Cond("gameSessionName", "", "=", "it's"))
    assert texts(builder)[0] == "    NOT gameSessionName = 'it\\'s'"
    assert "string values are case sensitive" in builder.preview(NOW).warnings


def test_sort_line_raw_expression_and_problems() -> None:
    builder = Builder()
    root, sort = fb.parse_raw("NOT (maximumSessions > 2 OR playerSessionCount >= 4)",
                              "creationTimeMillis asc")
    builder.set_expression(root, sort)
    assert builder.sort_spec == SortSpec("creationTimeMillis", "", "ASC")
    assert texts(builder)[-1] == "↕ sort by creationTimeMillis ASC"
    built = builder.preview(NOW)
    assert built.sort_expression == "creationTimeMillis ASC"
    assert built.filter_expression == "NOT (maximumSessions > 2 OR playerSessionCount >= 4)"
    builder.remove(None)  # x on the sort line drops the sort, not the filter
    assert builder.preview(NOW).sort_expression == ""
    assert builder.preview(NOW).filter_expression == built.filter_expression
    builder.sort_spec = SortSpec("gameSessionProperties", "mode", "DESC")
    assert builder.sort_spec.describe() == "sort by gameSessionProperties.mode DESC"
    builder.root = fb.Group("AND", [fb.Cond("playerSessionCount", "", ">", "ten")])
    lines = builder.preview_lines(builder.spec("fleet:f", "", NOW), None)
    assert any(line.startswith("✗ ") and "needs a number" in line for line in lines)
    assert not any(line.startswith("$ ") for line in lines)  # never offered to be sent


# --- a run ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_run_state_and_its_status_line() -> None:
    clock = Clock()
    run = SearchRun(clock=clock)
    assert run.status_head() == ["g runs the search · r runs it again"]
    assert not run.stop(cancelled=False)  # not running: nothing to stop
    run.start(fb.SearchSpec(fleet_id="f"))
    clock.now += 3
    assert run.status_head() == ["searching 3s (esc stops)"]
    clock.now += 0.25
    assert run.stop(cancelled=False)
    assert run.status_head() == ["search took 3.2s"] and not run.running
    run.start(fb.SearchSpec(fleet_id="f"))
    clock.now += 1.5
    assert run.stop(cancelled=True)
    assert run.status_head() == ["search cancelled after 1.5s"]
    run.start(fb.SearchSpec(fleet_id="g"))
    run.failed()
    assert not run.running and run.last_spec == fb.SearchSpec(fleet_id="g")


# --- calls against the simulator ------------------------------------------------------------


def client(sim: RunningSimulator) -> Any:
    return boto3.client("gamelift", region_name="us-west-2", endpoint_url=sim.endpoint_url,
                        aws_access_key_id="AKIDTEST", aws_secret_access_key="x")


def service_answer(sim: RunningSimulator, **params: str) -> list[str]:
    paginator = client(sim).get_paginator("search_game_sessions")
    return [s["GameSessionId"] for page in paginator.paginate(**params)
            for s in page["GameSessions"]]


def test_search_pages_are_the_services_answer_in_order(sim: RunningSimulator,
                                                       aws: AwsContext) -> None:
    fleet = client(sim).list_fleets()["FleetIds"][0]
    spec = fb.SearchSpec(fleet_id=fleet, sort_expression="creationTimeMillis ASC")
    got = [s.game_session_id for page in model.search_pages(aws, spec, cancelled=lambda: False)
           for s in page]
    expected = service_answer(sim, FleetId=fleet, SortExpression="creationTimeMillis ASC")
    assert expected and got == expected
    paced: list[int] = []
    assert list(model.search_pages(aws, spec, cancelled=lambda: True,
                                   pace=lambda: paced.append(1))) == []
    assert paced == [1]  # paced before the first request, then cancelled before sending it


def test_targets_are_the_fleets_and_the_aliases_that_route(sim: RunningSimulator,
                                                           aws: AwsContext) -> None:
    targets = model.load_targets(aws)
    fleets = set(client(sim).list_fleets()["FleetIds"])
    aliases = client(sim).list_aliases()["Aliases"]
    routed = {a["AliasId"] for a in aliases if a["RoutingStrategy"]["Type"] == "SIMPLE"}
    values = [value for _, value in targets.options]
    assert {v for v in values if v.startswith("fleet:")} == {f"fleet:{f}" for f in fleets}
    assert {v for v in values if v.startswith("alias:")} == {f"alias:{a}" for a in routed}
    assert set(targets.compute) == fleets


def test_redescribe_keeps_what_it_finds(sim: RunningSimulator, aws: AwsContext) -> None:
    fleet = client(sim).list_fleets()["FleetIds"][0]
    ids = service_answer(sim, FleetId=fleet)[:2]
    gone = ids[0].rsplit("/", 1)[0] + "/gsess-that-never-was"
    found = model.redescribe(aws, [ids[0], gone, ids[1]])
    assert [s.game_session_id for s in found] == ids
    assert all(s.protection_policy is not None for s in found)  # known after describing


# --- the history writer ---------------------------------------------------------------------


def test_history_writes_take_turns(home: Path) -> None:
    store = SearchStore()
    specs = [fb.SearchSpec(fleet_id=f"fleet-{i}") for i in range(8)]
    threads = [threading.Thread(target=model.record_history, args=(store, spec))
               for spec in specs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(store.history(), key=lambda s: s.fleet_id) == specs  # none lost


def test_a_history_that_cannot_be_written_raises(home: Path) -> None:
    store = SearchStore()
    store.history_path.mkdir(parents=True)  # a folder where the file goes
    with pytest.raises(OSError):
        model.record_history(store, fb.SearchSpec(fleet_id="f"))


def test_saving_answers_the_name_or_the_stores_own_words(home: Path) -> None:
    store = SearchStore()
    spec = fb.SearchSpec(fleet_id="f", filter_expression="playerSessionCount > 0")
    assert model.save_search(store, "  mine ", spec) == model.Saved(name="mine")
    assert store.saved() == {"mine": spec}
    store.saved_path.write_text("[searches\nnot toml\n")
    refused = model.save_search(store, "other", spec)
    assert not refused.name and str(store.saved_path) in refused.problem
    assert "not valid TOML" in refused.problem
    assert store.saved_path.read_text() == "[searches\nnot toml\n"  # a damaged file is kept
