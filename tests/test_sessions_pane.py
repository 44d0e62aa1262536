"""The Sessions pane on the simulator: fleets, paged sessions, in-place refresh, stale errors."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from apptest import make_app, settle, wait_for
from simctl import World
from textual.widgets import DataTable, Static

from tui.aws.session import DEMO_ACCESS_KEY_ID
from tui.ui.app import GameOpsApp
from tui.ui.panes.sessions import SessionsPane
from tui.ui.widgets.session_grid import SessionGrid

# A private frozen world per test: these tests change sessions and credentials.
pytestmark = pytest.mark.world(sessions=300)


def status_text(app: GameOpsApp) -> str:
    return str(app.query_one("#session-status", Static).render())


async def test_fleets_and_sessions_match_the_service(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        fleets = app.query_one("#fleet-table", DataTable)
        assert fleets.row_count == 5 + 1  # and the "all fleets" row
        assert pane.fleet_id  # the first fleet is chosen, not "all" (None: every session)
        expected = world.sessions(pane.fleet_id)
        table = app.query_one("#session-table", SessionGrid)
        assert {str(k.value) for k in table.rows} == set(expected)
        status = status_text(app)
        assert f"{len(expected)} sessions" in status

        # Choose the third fleet with the keyboard; its sessions replace the first fleet's.
        await pilot.press("down", "down", "enter")
        await settle(app, pilot)
        third = str(fleets.coordinate_to_cell_key(fleets.cursor_coordinate).row_key.value)
        assert pane.fleet_id == third
        assert {str(k.value) for k in table.rows} == set(world.sessions(third))

        # `a` (or the last fleet row) shows every fleet's sessions, paged concurrently.
        await pilot.press("a")
        await settle(app, pilot)
        assert pane.fleet_id == "*"
        assert {str(k.value) for k in table.rows} == set(world.sessions())
        assert "all 5 fleets" in status_text(app)


async def test_refresh_updates_rows_in_place_and_keeps_the_cursor(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        table = app.query_one("#session-table", SessionGrid)
        table.focus()
        await pilot.press("down", "down", "down")
        cursor_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        active = [sid for sid, s in world.sessions(pane.fleet_id).items()
                  if s["Status"] == "ACTIVE"]
        victim = active[0]
        client = boto3.client("gamelift", region_name="us-west-2",
                              endpoint_url=world.endpoint_url,
                              aws_access_key_id="AKIDTEST", aws_secret_access_key="x")
        client.terminate_game_session(GameSessionId=victim,
                                      TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
        world.advance(60)
        rows_before = table.row_count
        await pilot.press("r")
        await settle(app, pilot)
        assert table.row_count == rows_before
        assert "TERMINATED (graceful)" in str(table.get_cell(victim, "status"))
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == cursor_key


async def test_failed_refresh_keeps_rows_and_marks_them_stale(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.query_one("#session-table", SessionGrid)
        rows = table.row_count
        world.credentials(expired=[DEMO_ACCESS_KEY_ID])
        await pilot.press("r")
        await settle(app, pilot)
        status = status_text(app)
        assert "STALE" in status
        assert "expired" in status.lower()
        assert table.row_count == rows
        assert app.is_running


async def test_quick_filter_matches_game_properties(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        table = app.query_one("#session-table", SessionGrid)
        everything = table.row_count
        expected = {sid for sid, s in world.sessions(pane.fleet_id).items()
                    if any(p["Value"] == "winter-cup" for p in s["GameProperties"])}
        assert expected, "the demo world should have winter-cup sessions"
        await pilot.press("slash", *"winter-cup")
        await wait_for(pilot, lambda: {str(k.value) for k in table.rows} == expected)
        assert "filter 'winter-cup'" in status_text(app)
        await pilot.press("enter")
        assert app.focused is table
        await pilot.press("slash", "escape")
        await wait_for(pilot, lambda: table.row_count == everything)
        assert "filter" not in status_text(app)


async def test_enter_opens_session_detail_with_players(world: World,
                                                       home: Path) -> None:
    from tui.ui.screens.session_detail import SessionDetailScreen

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        table = app.query_one("#session-table", SessionGrid)
        truth = world.sessions(pane.fleet_id)
        active = next(k for k in (str(r.value) for r in table.rows)
                      if truth[k]["Status"] == "ACTIVE" and truth[k]["CurrentPlayerSessionCount"])
        table.focus()
        table.move_cursor(row=table.get_row_index(active))
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SessionDetailScreen)
        assert screen.session.game_session_id == active
        status = str(screen.query_one("#players-status", Static).render())
        assert f"{truth[active]['CurrentPlayerSessionCount']} active" in status
        shown = app.export_screenshot().replace("&#160;", " ")
        for prop in truth[active]["GameProperties"][:3]:
            assert prop["Key"] in shown and prop["Value"] in shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionDetailScreen))


async def _cursor_to_active(app: GameOpsApp, world: World) -> str:
    pane = app.query_one(SessionsPane)
    table = app.query_one("#session-table", SessionGrid)
    truth = world.sessions(pane.fleet_id)
    target = next(k for k in (str(r.value) for r in table.rows)
                  if truth[k]["Status"] == "ACTIVE")
    table.focus()
    table.move_cursor(row=table.get_row_index(target))
    return target


async def test_graceful_terminate_from_the_keyboard(world: World, home: Path) -> None:
    from tui.ui.screens.confirm import TerminateModal

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await _cursor_to_active(app, world)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal) and app.screen.drawn)
        assert app.focused is not None and app.focused.id == "cancel"
        await pilot.press("tab", "enter")  # Cancel → Terminate
        await settle(app, pilot)
        done = world.mutations("TerminateGameSession")
        assert [(m["target"], m["params"]["TerminationMode"]) for m in done] == [
            (target, "TRIGGER_ON_PROCESS_TERMINATE")]
        world.advance(60)
        await pilot.press("r")
        await settle(app, pilot)
        table = app.query_one("#session-table", SessionGrid)
        assert str(table.get_cell(target, "status")) == "TERMINATED (graceful)"
        # It ended as asked: nothing to warn about.
        assert not any(n.title == "Still running" for n in app._notifications)


async def test_a_graceful_terminate_that_bounces_back_to_active_is_said(
        world: World, home: Path) -> None:
    """Seed 004: a server process that never calls ProcessEnding() is not ended by a graceful
    terminate; the session plays on. The console says so when it next sees the session."""
    from tui.ui.screens.confirm import TerminateModal

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        spot = next(f["FleetId"] for f in world.fleets().values()
                    if f["Name"] == "battle-royale-spot")
        fleets = app.query_one("#fleet-table", DataTable)
        fleets.focus()
        fleets.move_cursor(row=fleets.get_row_index(spot))
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.fleet_id == spot and not pane.loaded.loading)
        await settle(app, pilot)
        stubborn = next(sid for sid, s in world.sessions(spot).items() if s["Status"] == "ACTIVE"
                        and {"Key": "build", "Value": "1.42.0"} in s["GameProperties"])
        table = app.query_one("#session-table", SessionGrid)
        table.focus()
        table.move_cursor(row=table.get_row_index(stubborn))
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal) and app.screen.drawn)
        await pilot.press("tab", "enter")  # Cancel → Terminate (graceful is the default)
        await wait_for(pilot, lambda: world.mutations("TerminateGameSession"))
        await wait_for(pilot, lambda: str(table.get_cell(stubborn, "status")) == "TERMINATING")
        world.advance(60)  # the process was asked, and did not end
        await pilot.press("r")
        await wait_for(pilot, lambda: any(n.title == "Still running"
                                          for n in app._notifications))
        warning = next(n for n in app._notifications if n.title == "Still running")
        assert "ACTIVE again after a graceful terminate" in warning.message
        assert "terminate with force" in warning.message
        assert world.sessions(spot)[stubborn]["Status"] == "ACTIVE"
        # Said once: the next refresh does not repeat it.
        await pilot.press("r")
        await settle(app, pilot)
        assert sum(n.title == "Still running" for n in app._notifications) == 1


async def test_force_terminate_needs_the_typed_suffix(world: World,
                                                      home: Path) -> None:
    from textual.widgets import RadioButton

    from tui.ui.screens.confirm import TerminateModal

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await _cursor_to_active(app, world)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal) and app.screen.drawn)
        modal = app.screen
        modal.query_one("#force", RadioButton).value = True
        await wait_for(pilot, lambda: modal.query_one("#typed").has_class("shown"))
        modal.query_one("#confirm").focus()
        await pilot.press("enter")
        # The refusal is said: the press was handled, and sent nothing.
        await wait_for(pilot, lambda: any(f"Type {target[-4:]} to confirm" in str(n.message)
                                          for n in app._notifications))
        assert app.screen is modal  # still asking: the suffix was not typed
        assert world.mutations() == []
        modal.query_one("#typed").value = target[-4:]
        modal.query_one("#confirm").focus()
        await pilot.pause(0.5)  # a Button ignores a second press during its press effect
        await pilot.press("enter")
        await settle(app, pilot)
        assert [m["params"]["TerminationMode"] for m in world.mutations()] == ["FORCE_TERMINATE"]


async def test_lock_toggle_and_read_only_refusal(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await _cursor_to_active(app, world)
        await pilot.press("l", "y")
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        assert world.sessions(pane.fleet_id)[target][
            "PlayerSessionCreationPolicy"] == "DENY_ALL"
        assert pane.sessions[target].player_session_creation_policy == "DENY_ALL"

    app = GameOpsApp(world.aws(read_only=True), simulator=world)
    before = len(world.mutations())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await _cursor_to_active(app, world)
        await pilot.press("p", "y")
        # The refusal is said (the key was handled): then nothing else happened.
        await wait_for(pilot, lambda: any("read-only: start without --read-only"
                                          in str(n.message) for n in app._notifications))
        await settle(app, pilot)
        assert app.screen is app.screen_stack[0]  # no confirmation: the key explains itself
        assert len(world.mutations()) == before


async def _confirm_with_y(app: GameOpsApp, pilot) -> None:  # noqa: ANN001
    """Edit and create are sent only from their confirmation, once it is on screen."""
    from tui.ui.screens.base import REPEAT_SECONDS
    from tui.ui.screens.confirm import ConfirmModal

    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.drawn)
    await pilot.pause(REPEAT_SECONDS)
    await pilot.press("y")


async def test_edit_session_sends_only_valid_changes(world: World, home: Path) -> None:
    from tui.ui.screens.confirm import ConfirmModal
    from tui.ui.screens.edit_session import EditSessionModal, PropertyRows

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await _cursor_to_active(app, world)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditSessionModal))
        modal = app.screen
        rows = modal.query_one(PropertyRows)
        for i in range(17):  # over the 16-property limit
            await rows.add_row(f"k{i}", "v")
        await pilot.click("#save")
        await wait_for(pilot, lambda: "at most 16" in str(modal.query_one("#problem").render()))
        assert app.screen is modal
        assert world.mutations() == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, EditSessionModal))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditSessionModal))
        modal = app.screen
        rows = modal.query_one(PropertyRows)
        modal.query_one("#max").value = "99"
        await rows.add_row("hotfix", "test")
        await rows.add_row("region.tag", "eu")
        modal.query_one("#save").focus()
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert world.mutations() == []  # a confirmation first
        await _confirm_with_y(app, pilot)
        await settle(app, pilot)
        truth = world.sessions(app.query_one(SessionsPane).fleet_id)[target]
        assert truth["MaximumPlayerSessionCount"] == 99
        got = {p["Key"]: p["Value"] for p in truth["GameProperties"]}
        assert got["hotfix"] == "test" and got["region.tag"] == "eu"
        assert len(world.mutations()) == 1


def test_edit_validation_messages() -> None:
    import datetime as dt

    import pytest

    from tui.aws.records import GameSession
    from tui.services.session_edit import EditError, plan_update

    s = GameSession(game_session_id="arn:x/gs-1", fleet_id="fleet-1", status="ACTIVE",
                    name="n", creation_time=dt.datetime.now(dt.UTC),
                    current_player_session_count=5, maximum_player_session_count=10,
                    game_properties=(("mode", "ranked"),))
    for bad, words in (("-1", "negative"), ("ten", "whole number")):
        with pytest.raises(EditError, match=words):
            plan_update(s, bad, "n", [])
    with pytest.raises(EditError, match="no key"):
        plan_update(s, "10", "n", [("", "novalue")])
    plan = plan_update(s, "3", "n", [("a.b", "1")])
    assert plan.params == {"MaximumPlayerSessionCount": 3,
                           "GameProperties": [{"Key": "a.b", "Value": "1"}]}
    assert any("connected" in w for w in plan.warnings)
    assert any("'.'" in w for w in plan.warnings)
    assert any("cannot delete" in w for w in plan.warnings)


async def test_status_filter_and_sort(world: World, home: Path) -> None:
    from tui.ui.screens.status_filter import StatusFilterModal

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        table = app.query_one("#session-table", SessionGrid)
        table.focus()
        truth = world.sessions(pane.fleet_id)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, StatusFilterModal))
        # The cursor starts on ACTIVE; space unticks it, enter applies.
        await pilot.press("space", "enter")
        await settle(app, pilot)
        shown = {str(r.value) for r in table.rows}
        assert shown == {k for k, s in truth.items() if s["Status"] != "ACTIVE"}
        pane.statuses = {"ACTIVE"}
        pane.apply_filter()
        await pilot.press("s")  # sort by players, most first
        await wait_for(pilot, lambda: "sorted by players" in status_text(app))
        counts = [truth[key]["CurrentPlayerSessionCount"] for key in table.ordered_keys]
        assert counts == sorted(counts, reverse=True) and len(counts) > 3
        assert "sorted by players" in status_text(app)


async def test_log_download_after_the_session_ended(world: World, home: Path) -> None:
    from tui import locations
    from tui.ui.screens.session_detail import SessionDetailScreen

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await _cursor_to_active(app, world)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SessionDetailScreen)
        await pilot.press("g")
        await settle(app, pilot)
        assert "no log yet" in str(app.screen.query_one("#log-status", Static).render())
        await pilot.press("escape")

        client = boto3.client("gamelift", region_name="us-west-2",
                              endpoint_url=world.endpoint_url,
                              aws_access_key_id="AKIDTEST", aws_secret_access_key="x")
        client.terminate_game_session(GameSessionId=target, TerminationMode="FORCE_TERMINATE")
        world.advance(60)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        files = list(locations.downloads_dir().iterdir())
        assert [f.name for f in files] == [target.rsplit("/", 1)[-1] + ".log.zz"]
        import zlib

        text = zlib.decompress(files[0].read_bytes()).decode()
        assert text.count("\n") == 200
        assert "saved" in str(app.screen.query_one("#log-status", Static).render())


async def test_create_session_with_one_token(world: World, home: Path) -> None:
    from tui.ui.screens.edit_session import CreateSessionModal, PropertyRows

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        app.query_one("#session-table", SessionGrid).focus()
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateSessionModal))
        modal = app.screen
        modal.query_one("#location").value = "mars-1"
        await pilot.click("#save")
        await wait_for(pilot, lambda: "location must be one of"
                       in str(modal.query_one("#problem").render()))
        assert world.mutations() == []
        modal.query_one("#location").value = modal.locations[0]
        modal.query_one("#max").value = "12"
        modal.query_one("#name").value = "hotfix-check"
        await modal.query_one(PropertyRows).add_row("mode", "test")
        modal.query_one("#save").focus()
        await pilot.pause(0.5)
        await pilot.press("enter")
        await _confirm_with_y(app, pilot)
        await settle(app, pilot)
        created = world.mutations("CreateGameSession")
        assert len(created) == 1
        assert created[0]["params"]["IdempotencyToken"] == modal.token
        session = world.sessions(pane.fleet_id)[created[0]["target"]]
        assert (session["Name"], session["MaximumPlayerSessionCount"]) == ("hotfix-check", 12)
        assert created[0]["target"] in {str(r.value) for r in
                                        app.query_one("#session-table", SessionGrid).rows}


async def test_a_fleet_with_a_creation_limit_policy_asks_for_a_creator_id(
        world: World, home: Path) -> None:
    """Seed 004: "If you add a resource creation limit policy to a fleet, the
    CreateGameSession operation requires a CreatorId." The form says so before sending."""
    from textual.widgets import Label

    from tui.ui.screens.confirm import ConfirmModal
    from tui.ui.screens.edit_session import CreateSessionModal

    first = min(world.fleets().values(), key=lambda f: f["Name"])  # the pane's first fleet
    world.aws().client("gamelift").update_fleet_attributes(
        FleetId=first["FleetId"], ResourceCreationLimitPolicy={
            "NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15})
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        assert pane.fleet_id == first["FleetId"]
        app.query_one("#session-table", SessionGrid).focus()
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, CreateSessionModal))
        modal = app.screen
        labels = " ".join(str(label.render()) for label in modal.query(Label))
        assert "Creator id (required: at most 3 new sessions per creator in 15 min)" in labels
        modal.query_one("#save").focus()
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "requires a creator id"
                       in str(modal.query_one("#problem").render()))
        assert world.mutations("CreateGameSession") == []
        modal.query_one("#creator").value = "ops-oncall"
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        shown = " ".join(str(w.render()) for w in app.screen.query("*") if hasattr(w, "render"))
        assert "--creator-id ops-oncall" in shown and "Creator id" in shown
        await _confirm_with_y(app, pilot)
        await wait_for(pilot, lambda: world.mutations("CreateGameSession"))
        created = world.mutations("CreateGameSession")
        assert created[0]["params"]["CreatorId"] == "ops-oncall"
        assert world.sessions(first["FleetId"])[created[0]["target"]]["CreatorId"] == "ops-oncall"


async def test_drain_first_locks_then_terminates_when_empty(world: World,
                                                            home: Path) -> None:
    from textual.widgets import Checkbox

    from tui.ui.screens.confirm import TerminateModal

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        pane.drain_poll_seconds = 0.2
        table = app.query_one("#session-table", SessionGrid)
        truth = world.sessions(pane.fleet_id)
        target = next(k for k in (str(r.value) for r in table.rows)
                      if truth[k]["Status"] == "ACTIVE" and truth[k]["CurrentPlayerSessionCount"])
        table.focus()
        table.move_cursor(row=table.get_row_index(target))
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal) and app.screen.drawn)
        modal = app.screen
        modal.query_one("#drain", Checkbox).value = True
        await wait_for(pilot, lambda: "DENY_ALL; when empty"
                       in str(modal.query_one("#cli", Static).render()))
        await pilot.press("tab", "enter")  # Cancel → Terminate

        def done(operation: str) -> list[dict]:
            return world.mutations(operation)

        await wait_for(pilot, lambda: done("UpdateGameSession"))
        assert done("UpdateGameSession")[0]["params"]["PlayerSessionCreationPolicy"] == "DENY_ALL"
        # A look at the session found players on it: that look terminated nothing.
        await wait_for(pilot, lambda: (pane.draining or (0, -1))[1] > 0)
        assert done("TerminateGameSession") == []
        assert "draining 1" in status_text(app)

        world.set_players(target, 0)
        await wait_for(pilot, lambda: done("TerminateGameSession"))
        assert [m["target"] for m in done("TerminateGameSession")] == [target]
        await wait_for(pilot, lambda: pane.draining is None)
        await wait_for(pilot, lambda: "draining" not in status_text(app))


async def test_throttled_refresh_backs_off_and_keeps_rows(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # botocore gives up fast; the pane backs off
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        rows = app.query_one("#session-table", SessionGrid).row_count
        world.faults(throttle_rate=1.0)
        await pilot.press("r")
        await settle(app, pilot)
        status = status_text(app)
        assert "STALE" in status and "next refresh in 30s" in status
        assert pane.interval == 2 * pane.refresh_seconds
        assert app.query_one("#session-table", SessionGrid).row_count == rows
        world.faults(throttle_rate=0.0)
        await pilot.press("r")
        await settle(app, pilot)
        assert pane.interval == pane.refresh_seconds
        assert "STALE" not in status_text(app)


def test_sessions_pane_snapshot(world: World, home: Path, snap_compare) -> None:  # noqa: ANN001
    # 80×24 on a frozen seeded world: the Age column (the only wall-clock text) is off-screen.
    from tui.ui.widgets.context_bar import ContextBar

    app = make_app(world)

    async def loaded(pilot) -> None:  # noqa: ANN001
        await settle(app, pilot)
        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        pane = app.query_one(SessionsPane)
        pane.updated_at = None  # "updated Ns ago" ticks with the wall clock
        pane.show_status()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)


def test_fleet_row_counts_of_a_large_fleet_are_whole_or_shortened_never_cut() -> None:
    from tui.aws.records import Fleet, FleetCapacity, FleetUtilization
    from tui.services.gamelift import FleetRow
    from tui.ui.panes.sessions import FLEET_COLUMNS, fleet_cells

    row = FleetRow(
        Fleet.from_api({"FleetId": "fleet-big", "Name": "big", "Status": "ACTIVE"}),
        FleetUtilization.from_api({"FleetId": "fleet-big", "ActiveGameSessionCount": 123_456,
                                   "CurrentPlayerSessionCount": 34_731,
                                   "MaximumPlayerSessionCount": 2_400_000}),
        FleetCapacity.from_api({"FleetId": "fleet-big",
                                "InstanceCounts": {"DESIRED": 1254, "ACTIVE": 1250}}))
    cells = dict(zip((key for key, _, _ in FLEET_COLUMNS), fleet_cells(row), strict=True))
    assert cells["instances"] == "1254/1250"
    assert cells["sessions"] == "123k"
    assert cells["players"] == "35k/2.4M"
    widths = {key: width for key, _, width in FLEET_COLUMNS}
    # The count columns size themselves to what they hold, so nothing above is cut.
    assert all(widths[key] is None for key in ("instances", "sessions", "players", "full"))


async def test_columns_stay_put_and_the_view_follows_as_rows_come_and_go(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.query_one("#session-table", SessionGrid)
        assert table.row_count > table.size.height  # more rows than lines: it scrolls
        width = table.scrollable_content_region.width
        table.focus()
        await pilot.press("end")
        await wait_for(pilot, lambda: table.scroll_y > 0)
        # Down to a few rows: the view is back at the top, showing them; the columns did not
        # move (the scrollbar stays, so it cannot take or give back their room).
        await pilot.press("slash", *"winter-cup")
        await wait_for(pilot, lambda: "filter 'winter-cup'" in status_text(app)
                       and 0 < table.row_count < table.size.height and table.scroll_y == 0)
        assert table.scrollable_content_region.width == width
        first = table.rows[table.ordered_keys[0]][0]  # the first row's Session cell
        assert any(first in "".join(s.text for s in table.render_line(y))
                   for y in range(table.size.height))
        # And back to every row.
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count > table.size.height)
        assert table.scrollable_content_region.width == width


async def test_a_burst_typed_after_slash_goes_to_the_filter(world: World,
                                                            home: Path) -> None:
    # A paste or a fast typist: the keys arrive together, before the filter box has focus.
    from apptest import type_burst
    from textual.widgets import Input

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.query_one("#session-table", SessionGrid)
        table.focus()
        await pilot.pause()
        screen = app.screen
        await type_burst(app, pilot, "/winter-cup")
        box = app.query_one(f"#{SessionsPane.FILTER_ID}", Input)
        # Every key of the burst has been handled once the last one is in the filter.
        await wait_for(pilot, lambda: box.value.endswith("p")
                       and "filter 'winter-cup'" in status_text(app))
        # The "n" of "winter" did not open the New session form; every letter is the filter's.
        assert app.screen is screen
        assert box.value == "winter-cup"
        assert app.focused is box
        # Back in the table, its keys are its own again.
        await pilot.press("enter", "n")
        await wait_for(pilot, lambda: app.screen is not screen)
