"""The Search pane on the simulator: keyboard builder, raw mode, paged runs, cancel, saved
searches and the palette, actions on results, read-only refusal, snapshot.

Results are always compared with what boto3's own search_game_sessions paginator gets from the
same simulator for the same request: the service's answer, never a list written here.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import boto3
import pytest
from apptest import make_app, pane_of, settle, wait_for
from simctl import World
from textual.coordinate import Coordinate
from textual.widgets import Input, OptionList, Select, Static

from tui.models.search import SortSpec
from tui.services import filter_builder as fb
from tui.services.saved_searches import SearchStore
from tui.ui.app import GameOpsApp
from tui.ui.panes.search import SearchPane

# A private frozen world per test (tests lock sessions, add latency and count requests).
# Every comparison asks it afresh, and counts are taken as differences.
pytestmark = pytest.mark.world(sessions=300)


def client(sim: World) -> Any:
    return boto3.client("gamelift", region_name="us-west-2", endpoint_url=sim.endpoint_url,
                        aws_access_key_id="AKIDTEST", aws_secret_access_key="x")


def service_pages(sim: World, **params: str) -> list[list[str]]:
    """The service's answer: SearchGameSessions pages through boto3's own paginator."""
    paginator = client(sim).get_paginator("search_game_sessions")
    return [[s["GameSessionId"] for s in page["GameSessions"]]
            for page in paginator.paginate(**params)]


def service_answer(sim: World, **params: str) -> list[str]:
    return [sid for page in service_pages(sim, **params) for sid in page]


def biggest_fleet(sim: World) -> str:
    fleets = client(sim).list_fleets()["FleetIds"]
    return max(fleets, key=lambda f: len(service_answer(sim, FleetId=f)))


async def open_search(app: GameOpsApp, pilot) -> SearchPane:  # noqa: ANN001
    await pilot.press("2")
    await settle(app, pilot)
    return await pane_of(app, pilot, SearchPane)


def choose(pane: SearchPane, fleet_id: str) -> None:
    pane.query_one("#search-where", Select).value = f"fleet:{fleet_id}"


def shown_ids(pane: SearchPane) -> list[str]:
    """The result rows, top to bottom, as the table shows them."""
    table = pane.table
    return [str(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value)
            for row in range(table.row_count)]


def builder_lines(pane: SearchPane) -> list[str]:
    builder = pane.query_one("#search-builder", OptionList)
    return [str(builder.get_option_at_index(i).prompt) for i in range(builder.option_count)]


def preview(pane: SearchPane) -> list[str]:
    return str(pane.query_one("#search-preview", Static).render()).splitlines()


def status(pane: SearchPane) -> str:
    return str(pane.query_one("#search-status", Static).render())


def notes(app: GameOpsApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def requests(world: World) -> int:
    """Calls the service has answered (the /_sim/ controls are not counted)."""
    return int(world.state()["requests"])


# --------------------------------------------------------------------------- the builder


async def test_condition_built_with_the_keyboard_runs_and_matches_the_service(
        world: World, home: Path) -> None:
    from tui.ui.screens.search_forms import ConditionForm

    fleet = biggest_fleet(world)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        assert app.focused is pane.query_one("#search-builder")
        await pilot.press("x")  # drop the starter condition
        assert builder_lines(pane)[0].startswith("(no conditions")
        # First condition: maximumSessions >= 10.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConditionForm), timeout=5)
        assert isinstance(app.screen, ConditionForm)
        await pilot.press("shift+tab", "shift+tab", "enter", "up", "up", "enter")  # operand
        await pilot.press("tab", "enter", "down", "down", "enter")  # comparator > → >=
        await pilot.press("tab", "backspace", "1", "0", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConditionForm))
        assert builder_lines(pane)[0] == "maximumSessions >= 10"
        # Second: hasAvailablePlayerSessions = true (the comparator list shrinks to = and <>).
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConditionForm))
        form = app.screen
        await pilot.press("shift+tab", "shift+tab", "enter", "down", "enter")
        assert str(form.query_one("#comparator", Select).value) == "="
        assert form.query_one("#comparator", Select)._options[-1][0] == "<>"
        await pilot.press("tab", "tab", "backspace", *"true", "enter")
        await wait_for(pilot, lambda: builder_lines(pane)[:2] == [
            "    maximumSessions >= 10", "AND hasAvailablePlayerSessions = true"])
        text = "maximumSessions >= 10 AND hasAvailablePlayerSessions = true"
        assert preview(pane)[0] == f"filter: {text}"
        assert "search sees ACTIVE sessions only" in preview(pane)[1]
        assert preview(pane)[2] == "$ " + fb.cli_command(
            fb.SearchSpec(fleet_id=fleet, filter_expression=text), "us-west-2")

        await pilot.press("g")
        await settle(app, pilot)
        expected = service_answer(world, FleetId=fleet, FilterExpression=text)
        assert expected, "the seeded world should hold open sessions of 10 or more"
        assert sorted(shown_ids(pane)) == sorted(expected)
        assert f"{len(expected)} results" in status(pane)
        assert "search took" in status(pane)
        assert SearchStore().history()[0] == fb.SearchSpec(fleet_id=fleet,
                                                           filter_expression=text)


async def test_builder_keys_group_not_op_and_reorder(world: World,
                                                     home: Path) -> None:
    from tui.ui.screens.search_forms import ConditionForm

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        assert preview(pane)[0] == "filter: playerSessionCount > 0"
        # A adds an OR group after the cursor's row; ! negates it; o flips it to AND.
        await pilot.press("A")
        assert preview(pane)[0] == ("filter: playerSessionCount > 0 AND (playerSessionCount > 0 "
                                    "OR playerSessionCount = 0)")
        assert builder_lines(pane)[1] == "AND OR group (2)"
        await pilot.press("exclamation_mark")
        assert builder_lines(pane)[1] == "AND NOT OR group (2)"
        assert preview(pane)[0] == ("filter: playerSessionCount > 0 AND NOT (playerSessionCount "
                                    "> 0 OR playerSessionCount = 0)")
        # Down onto the group's second row: ! negates just that row, o flips its group.
        await pilot.press("down", "down", "exclamation_mark", "o")
        assert builder_lines(pane)[1:4] == ["AND NOT AND group (2)",
                                           "      playerSessionCount > 0",
                                           "  AND NOT playerSessionCount = 0"]
        assert preview(pane)[0] == ("filter: playerSessionCount > 0 AND NOT (playerSessionCount "
                                    "> 0 AND NOT playerSessionCount = 0)")
        # shift+up moves the row within its group; x removes it; the group stays.
        await pilot.press("shift+up")
        assert builder_lines(pane)[2:4] == ["      NOT playerSessionCount = 0",
                                           "  AND playerSessionCount > 0"]
        await pilot.press("x")
        assert preview(pane)[0] == ("filter: playerSessionCount > 0 AND NOT playerSessionCount "
                                    "> 0")
        # Removing the group's last row removes the empty group too.
        await pilot.press("x")
        assert builder_lines(pane) == ["playerSessionCount > 0", "↕ sort: service order"]
        # o on the top level flips the root; x on the sort line leaves the filter alone.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConditionForm))
        await pilot.press("enter")  # the form's defaults: a second, identical row
        await wait_for(pilot, lambda: builder_lines(pane)[:2] == [
            "    playerSessionCount > 0", "AND playerSessionCount > 0"])
        await pilot.press("up", "o")
        assert preview(pane)[0] == "filter: playerSessionCount > 0 OR playerSessionCount > 0"
        pane.builder.sort_spec.operand = "maximumSessions"
        pane.render_builder()
        await pilot.press("end", "x")
        assert preview(pane)[0] == "filter: playerSessionCount > 0 OR playerSessionCount > 0"
        assert builder_lines(pane)[-1] == "↕ sort: service order"


async def test_reordering_rows_that_read_the_same(world: World, home: Path) -> None:
    # Two rows can hold the same condition; keys act on the row under the cursor, not on
    # the first equal one.
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        a, b, a2 = (fb.Cond("maximumSessions", "", "=", "4"),
                    fb.Cond("playerSessionCount", "", "=", "1"),
                    fb.Cond("maximumSessions", "", "=", "4"))
        pane.builder.root = fb.Group("OR", [a, b, a2])
        pane.render_builder(2)
        assert builder_lines(pane)[:3] == ["    maximumSessions = 4",
                                           "OR playerSessionCount = 1",
                                           "OR maximumSessions = 4"]
        await pilot.press("shift+up")
        assert pane.builder.root.children[0] is a and pane.builder.root.children[1] is a2
        assert builder_lines(pane)[:3] == ["    maximumSessions = 4",
                                           "OR maximumSessions = 4",
                                           "OR playerSessionCount = 1"]
        assert pane.query_one("#search-builder", OptionList).highlighted == 1
        await pilot.press("x")
        assert pane.builder.root.children == [a, b] and pane.builder.root.children[0] is a


async def test_creation_time_in_words_shows_and_sends_the_implied_comparator(
        world: World, home: Path) -> None:
    from tui.ui.screens.search_forms import ConditionForm

    fleet = biggest_fleet(world)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        await pilot.press("enter")  # edit the starter row: playerSessionCount > 0
        await wait_for(pilot, lambda: isinstance(app.screen, ConditionForm))
        await pilot.press("shift+tab", "shift+tab", "enter", "up", "enter")  # creationTime…
        await pilot.press("tab", "tab", "backspace", *"older than 2h", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConditionForm))
        assert builder_lines(pane)[0] == "creationTimeMillis < older than 2h"
        first = preview(pane)[0]
        assert first.startswith("filter: creationTimeMillis < ")
        await pilot.press("g")
        await settle(app, pilot)
        spec = pane.search_run.last_spec
        sent = spec.filter_expression if spec else ""
        assert sent.startswith("creationTimeMillis < ")
        expected = service_answer(world, FleetId=fleet, FilterExpression=sent)
        everything = service_answer(world, FleetId=fleet)
        assert 0 < len(expected) < len(everything)  # the seeded ages straddle two hours
        assert sorted(shown_ids(pane)) == sorted(expected)


async def test_bad_input_is_explained_and_never_sent(world: World,
                                                     home: Path) -> None:
    from tui.ui.screens.search_forms import ConditionForm

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        before = requests(world)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConditionForm))
        form = app.screen
        await pilot.press("backspace", *"ten", "enter")
        await wait_for(pilot, lambda: "playerSessionCount needs a number, not 'ten'" in str(
            form.query_one("#problem", Static).render()))
        assert app.screen is form
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not form)
        assert builder_lines(pane)[:2] == ["playerSessionCount > 0", "↕ sort: service order"]

        # The form takes a long name; the preview explains why it cannot be sent.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConditionForm))
        await pilot.press("shift+tab", "shift+tab", "enter", *["up"] * 5, "enter")
        app.screen.query_one("#value", Input).value = "x" * 1030
        await pilot.press("tab", "tab", "tab", "enter")  # key (hidden) → value → OK
        await wait_for(pilot, lambda: "✗ expression is longer than 1024 characters"
                       in preview(pane))
        assert not any(line.startswith("$ aws") for line in preview(pane))
        await pilot.press("g", "c", "S")
        # Each key's refusal is said: then nothing was sent or saved.
        await wait_for(pilot, lambda: "expression is longer than 1024 characters" in notes(app)
                       and "Fix the filter before saving it." in notes(app))
        await settle(app, pilot)
        assert requests(world) == before
        assert SearchStore().history() == []


async def test_raw_mode_error_caret_and_way_back_into_the_builder(world: World,
                                                                  home: Path) -> None:
    from tui.ui.screens.search_forms import RawForm

    fleet = biggest_fleet(world)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        before = requests(world)
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, RawForm))
        form = app.screen
        box = form.query_one("#filter", Input)
        assert box.value == "playerSessionCount > 0"
        bad = "maximumSessions >= AND playerSessionCount > 1"
        box.value = bad
        await pilot.press("enter")
        said = f"expected a value after '>=' at column {bad.index('AND') + 1}"
        await wait_for(pilot, lambda: said in str(form.query_one("#problem", Static).render()))
        assert app.screen is form
        caret = form.query_one("#filter-caret", Static)
        assert str(caret.render()) == " " * bad.index("AND") + "^"
        assert caret.content_region.x == box.content_region.x  # under the input's text
        # An unterminated quote in the sort box is explained too, at its own caret.
        box.value = "gameSessionName = 'open"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "^" in str(form.query_one("#filter-caret", Static).render())
                       and str(form.query_one("#filter-caret", Static).render())
                       != " " * bad.index("AND") + "^")
        box.value = "gameSessionName = 'x'"
        form.query_one("#sort", Input).value = "maximumSessions UP"
        await pilot.press("enter")
        await wait_for(pilot, lambda: str(form.query_one("#sort-caret", Static).render())
                       == " " * len("maximumSessions ") + "^")
        assert str(form.query_one("#filter-caret", Static).render()) == ""
        assert requests(world) == before

        # A valid pair goes back into the builder as rows and the sort line; nothing is run.
        text = ("NOT (gameSessionProperties.mode = 'ranked' OR playerSessionCount >= 4) "
                "AND maximumSessions > 2")
        box.value = text
        form.query_one("#sort", Input).value = "creationTimeMillis asc"
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, RawForm))
        assert builder_lines(pane) == [
            "    NOT OR group (2)",
            "      gameSessionProperties.mode = 'ranked'",
            "  OR playerSessionCount >= 4",
            "AND maximumSessions > 2",
            "↕ sort by creationTimeMillis ASC",
        ]
        assert preview(pane)[0] == f"filter: {text}   sort: creationTimeMillis ASC"
        assert "string values are case sensitive" in preview(pane)[1]
        assert requests(world) == before

        await pilot.press("g")
        await settle(app, pilot)
        assert shown_ids(pane) == service_answer(world, FleetId=fleet, FilterExpression=text,
                                                 SortExpression="creationTimeMillis ASC")


# --------------------------------------------------------------------------- running


async def test_results_over_several_pages_all_arrive_in_service_order(
        world: World, home: Path) -> None:
    from tui.ui.screens.search_forms import SortForm

    fleet = biggest_fleet(world)
    pages = service_pages(world, FleetId=fleet, SortExpression="creationTimeMillis ASC")
    assert len(pages) >= 4 and max(len(p) for p in pages) == 20
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        await pilot.press("x", "end", "enter")  # no filter; open the sort line
        await wait_for(pilot, lambda: isinstance(app.screen, SortForm), timeout=5)
        assert isinstance(app.screen, SortForm)
        await pilot.press("enter", *["down"] * 5, "enter")  # (service order) → creationTime…
        await pilot.press("tab", "enter", "up", "enter", "tab", "enter")  # DESC → ASC, OK
        await wait_for(pilot, lambda: not isinstance(app.screen, SortForm))
        assert builder_lines(pane)[-1] == "↕ sort by creationTimeMillis ASC"
        assert preview(pane)[0] == "filter: (none)   sort: creationTimeMillis ASC"
        before = requests(world)
        await pilot.press("g")
        await settle(app, pilot)
        assert shown_ids(pane) == [sid for page in pages for sid in page]
        assert requests(world) - before == len(pages)
        assert f"{sum(map(len, pages))} results" in status(pane)

        # `r` runs the same search again on purpose: the same rows, one more round of pages.
        await pilot.press("r")
        await settle(app, pilot)
        assert shown_ids(pane) == [sid for page in pages for sid in page]
        assert requests(world) - before == 2 * len(pages)


async def test_escape_cancels_a_slow_search_and_keeps_the_rows(world: World,
                                                                home: Path) -> None:
    fleet = biggest_fleet(world)
    everything = service_answer(world, FleetId=fleet)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        await pilot.press("x")
        world.faults(latency_ms=400)
        try:
            await pilot.press("g")
            await wait_for(pilot, lambda: len(pane.sessions) >= 20)
            assert "(esc stops)" in status(pane)
            await pilot.press("escape")
            await settle(app, pilot)
            kept = shown_ids(pane)
            assert 20 <= len(kept) < len(everything)
            assert set(kept) <= set(everything)
            assert "Search cancelled; the rows so far stay." in notes(app)
            assert f"{len(kept)} results" in status(pane) and "cancelled" in status(pane)
            # The search's worker has ended (settle waited for it), short of the last page:
            # nothing is left that could ask for more.
            assert not [w for w in app.workers if w.name == "search" and not w.is_finished]
            assert shown_ids(pane) == kept
        finally:
            world.faults(latency_ms=0)  # the app's shutdown is not slowed


async def test_copied_cli_command_asks_the_service_the_same_question(
        world: World, home: Path) -> None:
    fleet = biggest_fleet(world)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        pane.builder.root = fb.Group("OR", [fb.Cond("gameSessionName", "", "<>", "it's $HOME"),
                                    fb.Cond("playerSessionCount", "", ">=", "3")])
        pane.render_builder()
        await pilot.press("c", "g")
        await settle(app, pilot)
        assert "AWS CLI command copied (OSC 52)." in notes(app)
        argv = shlex.split(app.clipboard)
        assert argv[:3] == ["aws", "gamelift", "search-game-sessions"]
        args = dict(zip(argv[3::2], argv[4::2], strict=True))
        assert args["--region"] == "us-west-2"
        answer = service_answer(world, FleetId=args["--fleet-id"],
                                FilterExpression=args["--filter-expression"])
        assert sorted(shown_ids(pane)) == sorted(answer) and answer


# --------------------------------------------------------------------------- saved searches


async def open_save_form(app: GameOpsApp, pilot, fleet: str, text: str):  # noqa: ANN001, ANN201
    """The Search pane with ``text`` built for ``fleet``, and its save form (S) up."""
    from tui.ui.screens.search_forms import NameForm

    pane = await open_search(app, pilot)
    choose(pane, fleet)
    pane.builder.root = fb.parse_raw(text, "")[0]
    pane.render_builder()
    await pilot.press("S")
    # Under a loaded CI machine the form can take more than one frame to come up.
    await wait_for(pilot, lambda: isinstance(app.screen, NameForm), timeout=5)
    assert isinstance(app.screen, NameForm)
    return app.screen


async def test_save_then_palette_loads_and_runs_it_after_a_restart(world: World,
                                                                   home: Path) -> None:
    fleet = biggest_fleet(world)
    text = "gameSessionProperties.mode = 'ranked' AND playerSessionCount > 0"
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_save_form(app, pilot, fleet, text)
        await pilot.press(*"ranked busy", "enter")
        # Written on a worker: the answer is the toast.
        await wait_for(pilot, lambda: any(n.startswith("Saved as") for n in notes(app)))
        store = SearchStore()
        assert store.saved() == {"ranked busy": fb.SearchSpec(fleet_id=fleet,
                                                              filter_expression=text)}
        assert f"Saved as 'ranked busy' in {store.saved_path}" in notes(app)

    before = requests(world)
    app = make_app(world)  # a new start of the app
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.active_pane_id() == "sessions"
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Saved search: ranked busy" in commands
        assert commands["Saved search: ranked busy"].help == text
        # Through the real palette: ctrl+p, type, enter.
        await pilot.press("ctrl+p", *"ranked busy")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        pane = app.query_one(SearchPane)
        assert app.active_pane_id() == "search"
        assert preview(pane)[0] == f"filter: {text}"
        assert str(pane.query_one("#search-where", Select).value) == f"fleet:{fleet}"
        expected = service_answer(world, FleetId=fleet, FilterExpression=text)
        assert expected and sorted(shown_ids(pane)) == sorted(expected)
        assert f"{len(expected)} results" in status(pane)
        assert requests(world) > before


async def test_saving_under_a_taken_name_asks_before_replacing(world: World,
                                                               home: Path) -> None:
    fleet = biggest_fleet(world)
    store = SearchStore()
    kept = fb.SearchSpec(fleet_id=fleet, filter_expression="playerSessionCount = 0")
    store.save("night shift", kept)
    text = "playerSessionCount > 0"
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_save_form(app, pilot, fleet, text)
        await pilot.press(*"night shift", "enter")
        # The first Save only warns; the saved search is untouched.
        await wait_for(pilot, lambda: "exists: Save again to replace it" in str(
            form.query_one("#problem", Static).render()))
        assert app.screen is form
        assert SearchStore().saved() == {"night shift": kept}
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not form, timeout=5)
        await wait_for(pilot, lambda: "Saved as 'night shift' in "
                       f"{store.saved_path}" in notes(app))
        assert SearchStore().saved() == {
            "night shift": fb.SearchSpec(fleet_id=fleet, filter_expression=text)}


async def test_saved_screen_loads_renames_and_deletes(world: World,
                                                      home: Path) -> None:
    from tui.ui.screens.saved_searches import SavedSearchesScreen
    from tui.ui.screens.search_forms import NameForm

    fleets = client(world).list_fleets()["FleetIds"]
    store = SearchStore()
    first = fb.SearchSpec(fleet_id=fleets[1], filter_expression="maximumSessions >= 10",
                          sort_expression="playerSessionCount DESC")
    second = fb.SearchSpec(fleet_id=fleets[2], filter_expression="playerSessionCount = 0")
    store.save("big rooms", first)
    store.save("empty", second)
    recent = fb.SearchSpec(fleet_id=fleets[3], filter_expression="hasAvailablePlayerSessions = "
                           "false")
    store.record(recent)
    app = make_app(world)
    async with app.run_test(size=(110, 30)) as pilot:
        pane = await open_search(app, pilot)
        before = requests(world)
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, SavedSearchesScreen), timeout=5)
        screen = app.screen
        assert isinstance(screen, SavedSearchesScreen)
        listing = screen.query_one("#saved-list", OptionList)
        prompts = [str(listing.get_option_at_index(i).prompt)
                   for i in range(listing.option_count)]
        assert prompts[0] == "── saved ──"
        assert prompts[1].startswith("★ big rooms: maximumSessions >= 10 · "
                                     "playerSessionCount DESC")
        assert prompts[2].startswith("★ empty: playerSessionCount = 0")
        assert prompts[3] == "── recent ──"
        assert prompts[4].startswith("  hasAvailablePlayerSessions = false")

        # The cursor starts on the first saved search; n renames it.
        assert listing.highlighted == 1
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NameForm))
        await pilot.press("ctrl+u", *"large rooms", "enter")
        await wait_for(pilot, lambda: app.screen is screen
                       and list(SearchStore().saved()) == ["large rooms", "empty"])
        # d deletes the highlighted one: down to "empty".
        await pilot.press("down", "d")
        await wait_for(pilot, lambda: "Deleted saved search 'empty'." in notes(app))
        assert list(SearchStore().saved()) == ["large rooms"]
        # The cursor stays near where it was: on the recent search, which enter loads into
        # the builder without running it.
        assert listing.get_option_at_index(listing.highlighted or 0).id == "history:0"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not screen)
        assert preview(pane)[0] == "filter: hasAvailablePlayerSessions = false"
        assert str(pane.query_one("#search-where", Select).value) == f"fleet:{fleets[3]}"
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, SavedSearchesScreen)
                       and app.screen is not screen)
        await pilot.press("enter")  # and the renamed saved one, with its sort
        await wait_for(pilot, lambda: preview(pane)[0] == (
            "filter: maximumSessions >= 10   sort: playerSessionCount DESC"))
        assert builder_lines(pane)[-1] == "↕ sort by playerSessionCount DESC"
        assert requests(world) == before
        await pilot.press("g")
        await settle(app, pilot)
        assert shown_ids(pane) == service_answer(world, FleetId=fleets[1],
                                                 FilterExpression="maximumSessions >= 10",
                                                 SortExpression="playerSessionCount DESC")


async def test_broken_saved_file_is_explained_and_kept(world: World,
                                                       home: Path) -> None:
    from tui.ui.screens.saved_searches import SavedSearchesScreen

    store = SearchStore()
    store.saved_path.parent.mkdir(parents=True, exist_ok=True)
    store.saved_path.write_text("[searches\nthis is not toml\n")
    app = make_app(world)
    async with app.run_test(size=(110, 30)) as pilot:
        await open_search(app, pilot)
        assert not [c for c in app.get_system_commands(app.screen)
                    if c.title.startswith("Saved search:")]
        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, SavedSearchesScreen))

        def problem() -> str:
            return str(app.screen.query_one("#saved-problem", Static).render())

        await wait_for(pilot, lambda: "not valid TOML" in problem())
        assert str(store.saved_path) in problem()
        await pilot.press("escape", "S", *"mine", "enter")
        await wait_for(pilot, lambda: any(str(store.saved_path) in n and "not valid TOML" in n
                                          for n in notes(app)))
        assert store.saved_path.read_text() == "[searches\nthis is not toml\n"


# --------------------------------------------------------------------------- actions


async def test_lock_a_result_row_and_see_its_new_state(world: World,
                                                       home: Path) -> None:
    fleet = biggest_fleet(world)
    text = "hasAvailablePlayerSessions = true"
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        pane.builder.root = fb.parse_raw(text, "")[0]
        pane.render_builder()
        await pilot.press("g")
        await settle(app, pilot)
        assert sorted(shown_ids(pane)) == sorted(service_answer(world, FleetId=fleet,
                                                                FilterExpression=text))
        target = shown_ids(pane)[2]
        pane.table.move_cursor(row=2)
        assert str(pane.table.get_cell(target, "policy")) == "open"
        before = len(world.mutations())
        await pilot.press("l", "y")
        await settle(app, pilot)
        done = [m for m in world.mutations()[before:] if m["operation"] == "UpdateGameSession"]
        assert [(m["target"], m["params"]["PlayerSessionCreationPolicy"]) for m in done] == [
            (target, "DENY_ALL")]
        assert str(pane.table.get_cell(target, "policy")) == "deny"
        assert target in shown_ids(pane)  # the row stays, showing what happened
        # The service agrees: the locked session no longer has open slots.
        assert target not in service_answer(world, FleetId=fleet, FilterExpression=text)


async def test_read_only_app_searches_an_alias_but_refuses_actions(world: World,
                                                                   home: Path) -> None:
    aliases = client(world).list_aliases()["Aliases"]
    routed = [a for a in aliases if a["RoutingStrategy"]["Type"] == "SIMPLE"]
    alias = max(routed, key=lambda a: len(service_answer(world, AliasId=a["AliasId"])))
    fleet = client(world).describe_fleet_attributes(FleetIds=[alias["RoutingStrategy"][
        "FleetId"]])["FleetAttributes"][0]
    locations = [loc["LocationState"]["Location"] for loc in client(world)
                 .describe_fleet_location_attributes(FleetId=fleet["FleetId"])[
                     "LocationAttributes"]]
    app = make_app(world, read_only=True)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_search(app, pilot)
        where = pane.query_one("#search-where", Select)
        offered = [str(value) for _, value in where._options]
        # A TERMINAL alias routes nowhere and is not offered.
        assert {v for v in offered if v.startswith("alias:")} == {
            f"alias:{a['AliasId']}" for a in routed}
        where.value = f"alias:{alias['AliasId']}"
        # Enter in the location box runs the search there.
        pane.query_one("#search-location", Input).focus()
        await pilot.press(*locations[-1], "enter")
        await settle(app, pilot)
        expected = service_answer(world, AliasId=alias["AliasId"], Location=locations[-1],
                                  FilterExpression="playerSessionCount > 0")
        assert expected and sorted(shown_ids(pane)) == sorted(expected)
        assert pane.search_run.last_spec == fb.SearchSpec(alias_id=alias["AliasId"],
                                               location=locations[-1],
                                               filter_expression="playerSessionCount > 0")
        target = shown_ids(pane)[0]
        assert str(pane.table.get_cell(target, "policy")) == "open"
        before = len(world.mutations())
        # Read-only: the keys explain themselves and open no confirmation (y does nothing).
        def refusals() -> list[str]:
            return [n for n in notes(app) if "read-only: start without --read-only" in n]

        await pilot.press("l", "y")
        await wait_for(pilot, lambda: len(refusals()) == 1)
        await pilot.press("p", "y")
        await wait_for(pilot, lambda: len(refusals()) == 2)
        await settle(app, pilot)
        assert app.screen is app.screen_stack[0]
        assert len(world.mutations()) == before
        assert len(refusals()) == 2
        assert str(pane.table.get_cell(target, "policy")) == "open"


# --------------------------------------------------------------------------- snapshot


def test_search_pane_snapshot(world: World, home: Path, snap_compare) -> None:  # noqa: ANN001
    # 80×24 on a fresh frozen seeded world: the Age column (wall-clock text) is off-screen,
    # and the elapsed time and endpoint port are pinned.
    from tui.ui.widgets.context_bar import ContextBar

    app = make_app(world)

    async def searched(pilot) -> None:  # noqa: ANN001
        pane = await open_search(app, pilot)
        pane.builder.root = fb.parse_raw(
            "maximumSessions >= 10 AND hasAvailablePlayerSessions = true", "")[0]
        pane.builder.sort_spec = SortSpec("playerSessionCount", "", "DESC")
        pane.render_builder()
        await pilot.press("g")
        await settle(app, pilot)
        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        pane.search_run.elapsed = 0.25
        pane.updated_at = None
        pane.show_status()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=searched)


async def test_a_history_that_cannot_be_written_is_named_and_the_search_still_runs(
        world: World, home: Path) -> None:
    fleet = biggest_fleet(world)
    expected = service_answer(world, FleetId=fleet)
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_search(app, pilot)
        # A folder where the history file goes: the write fails as a full or read-only disk.
        pane.store.history_path.mkdir(parents=True)
        pane.run_spec(fb.SearchSpec(fleet_id=fleet))
        await settle(app, pilot)
        assert any(n.startswith("search history not saved") for n in notes(app))
        assert sorted(shown_ids(pane)) == sorted(expected)
        assert f"{len(expected)} results" in status(pane)


async def test_protection_unknown_to_search_shows_and_is_looked_up_before_terminate(
        world: World, home: Path) -> None:
    """SearchGameSessions does not report ProtectionPolicy: a protected result is drawn "?",
    never "-" (unprotected), and t looks it up so the terminate dialog knows."""
    from tui.ui.screens.confirm import TerminateModal

    fleet = biggest_fleet(world)
    text = "playerSessionCount > 0"
    target = service_answer(world, FleetId=fleet, FilterExpression=text)[0]
    client(world).update_game_session(GameSessionId=target, ProtectionPolicy="FullProtection")
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await open_search(app, pilot)
        choose(pane, fleet)
        pane.builder.root = fb.parse_raw(text, "")[0]
        pane.render_builder()
        await pilot.press("g")
        await settle(app, pilot)
        assert target in shown_ids(pane)
        assert pane.sessions[target].protection_policy is None  # unknown, not "off"
        assert {str(pane.table.get_cell(sid, "prot")) for sid in shown_ids(pane)} == {"?"}
        pane.table.move_cursor(row=shown_ids(pane).index(target))
        before = len(world.mutations())
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal) and app.screen.drawn)
        modal = app.screen
        assert [s.protection_policy for s in modal.sessions] == ["FullProtection"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: str(pane.table.get_cell(target, "prot")) == "full")
        await settle(app, pilot)
        assert len(world.mutations()) == before + 0  # looking is not acting
