"""Every modal (and the detail screens) at 80×24, alone on a blank screen (tests/harness.py).

The records are literal (tui.aws.records dataclasses with fixed ids and times), except for the
screens that call AWS on mount: they show records of a world pinned to one moment, and get
their answers from that simulator through the app's own context.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from apptest import wait_for
from harness import FIXED_NOW, GameHarness, MakeScreen, ModalHarness
from simctl import World, WorldSpec, open_world
from textual.screen import Screen

from tui.aws.records import GameSession, Script
from tui.services.filter_builder import Cond, SearchSpec
from tui.services.saved_searches import SearchStore
from tui.services.script_archive import ArchiveEntry, ScriptArchive
from tui.services.snapshot_diff import diff_sections

SIZE = (80, 24)
WHEN = dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.UTC)
FLEET = "fleet-00000000-0000-4000-8000-000000000001"


def session(n: int, **changes: Any) -> GameSession:
    fields: dict[str, Any] = dict(
        game_session_id=f"arn:aws:gamelift:us-west-2::gamesession/{FLEET}/gs-snap-{n:04d}",
        fleet_id=FLEET, status="ACTIVE", name=f"match-{n}", creation_time=WHEN,
        current_player_session_count=n % 5, maximum_player_session_count=10,
        game_properties=(("mode", "ranked"), ("map", "dunes")), ip_address="10.0.0.7",
        port=7777, player_session_creation_policy="ACCEPT_ALL", location="us-west-2",
        protection_policy="NoProtection")
    fields.update(changes)
    return GameSession(**fields)


SCRIPT = Script(script_id="script-00000000-0000-4000-8000-00000000abcd",
                script_arn="arn:aws:gamelift:us-west-2::script/script-00000000-abcd",
                name="matchmaker", version="1.4.0", size_on_disk=48_213, creation_time=WHEN,
                node_js_version="24.x")
ENTRY = ArchiveEntry(sha256="ab" * 32, size=48_213, script_id=SCRIPT.script_id,
                     name="matchmaker", version="1.4.0", time="2026-01-01T09:30:00Z")


@pytest.fixture(scope="module")
def snap_world() -> Iterator[World]:
    # A private world pinned to FIXED_NOW: the records it serves, their times included, are
    # the same on every run, and nothing changes it meanwhile.
    with open_world(WorldSpec(sessions=10, frozen_at=FIXED_NOW)) as world:
        yield world


def world_session(world: World) -> GameSession:
    """The world's first game session (by id), as the panes read it."""
    first = min(world.sessions().values(), key=lambda item: item["GameSessionId"])
    return GameSession.from_api(first)


async def _shown(pilot: Any, app: ModalHarness | GameHarness, ready: Callable[[Screen[Any]], bool]
                 | None = None) -> None:
    await wait_for(pilot, lambda: app.shown is not None and app.screen is app.shown
                   and app.shown.is_mounted)
    screen = app.shown
    assert screen is not None
    if ready is not None:
        await wait_for(pilot, lambda: ready(screen))
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def _snap(snap_compare: Any, make: MakeScreen,
          ready: Callable[[Screen[Any]], bool] | None = None) -> bool:
    app = ModalHarness(make)

    async def arrange(pilot: Any) -> None:
        await _shown(pilot, app, ready)

    return bool(snap_compare(app, terminal_size=SIZE, run_before=arrange))


def _game_snap(snap_compare: Any, world: World, make: MakeScreen,
               ready: Callable[[Screen[Any]], bool]) -> bool:
    app = GameHarness(world.endpoint_url, make)

    async def arrange(pilot: Any) -> None:
        await _shown(pilot, app, ready)

    return bool(snap_compare(app, terminal_size=SIZE, run_before=arrange))


def _text(screen: Screen[Any], selector: str) -> str:
    from textual.widgets import Static

    return str(screen.query_one(selector, Static).render())


# --- confirmations -------------------------------------------------------------------------


def test_confirm(snap_compare: Any) -> None:
    from tui.ui.screens.confirm import ConfirmModal, describe_sessions

    assert _snap(snap_compare, lambda: ConfirmModal(
        "Lock 2 game session(s) to new players?", describe_sessions([session(1), session(2)]),
        "aws gamelift update-game-session --game-session-id <ARN> "
        "--player-session-creation-policy DENY_ALL", confirm_label="Lock"))


def test_terminate(snap_compare: Any) -> None:
    from tui.ui.screens.confirm import TerminateModal

    sessions = [session(1), session(2, protection_policy="FullProtection"),
                session(3, status="TERMINATED")]
    assert _snap(snap_compare, lambda: TerminateModal(sessions, "EC2"))


def test_stage_deploy(snap_compare: Any) -> None:
    from tui.ui.screens.stage_deploy import DeployPlan, StageDeployModal

    diff = diff_sections({"matchmaking": {"teams": 2, "size": 4}, "economy": {"gold": 10}},
                         {"matchmaking": {"teams": 2, "size": 5}, "events": {"winter": True}})
    plan = DeployPlan("deploy", "space-raiders", "prod", "snapshot-0002", "winter event",
                      "snapshot-0001", "launch", diff)
    assert _snap(snap_compare, lambda: StageDeployModal(
        plan, "aws gamesparks start-stage-deployment --game-name space-raiders "
        "--stage-name prod --snapshot-id snapshot-0002"))


def test_snapshot_create(snap_compare: Any) -> None:
    from tui.ui.screens.snapshot_create import SnapshotCreateModal

    assert _snap(snap_compare, lambda: SnapshotCreateModal("space-raiders"))


# --- forms ---------------------------------------------------------------------------------


def test_edit_session(snap_compare: Any) -> None:
    from tui.ui.screens.edit_session import EditSessionModal

    assert _snap(snap_compare, lambda: EditSessionModal(session(4)))


def test_new_session(snap_compare: Any) -> None:
    from tui.ui.screens.edit_session import CreateSessionModal

    assert _snap(snap_compare, lambda: CreateSessionModal(
        "arena-fleet", ("us-west-2", "us-east-1"), "token-0123456789abcdef", fleet_id=FLEET))


def test_script_update_form(snap_compare: Any) -> None:
    from tui.ui.screens.script_forms import ScriptFormModal

    assert _snap(snap_compare, lambda: ScriptFormModal(script=SCRIPT),
                 lambda screen: "unchanged" in _text(screen, "#script-check"))


def test_script_new_form(snap_compare: Any) -> None:
    from tui.ui.screens.script_forms import ScriptFormModal

    assert _snap(snap_compare, lambda: ScriptFormModal(name="matchmaker", version="2.0.0"))


def test_condition_form(snap_compare: Any) -> None:
    from tui.ui.screens.search_forms import ConditionForm

    assert _snap(snap_compare, lambda: ConditionForm(Cond("playerSessionCount", "", ">", "0")))


def test_sort_form(snap_compare: Any) -> None:
    from tui.ui.screens.search_forms import SortForm

    assert _snap(snap_compare, lambda: SortForm("creationTimeMillis", "", "DESC"))


def test_raw_form(snap_compare: Any) -> None:
    from tui.ui.screens.search_forms import RawForm

    assert _snap(snap_compare, lambda: RawForm("playerSessionCount > 0", "creationTimeMillis DESC"))


def test_name_form(snap_compare: Any) -> None:
    from tui.ui.screens.search_forms import NameForm

    assert _snap(snap_compare, lambda: NameForm("Save this search as", "ranked-full"))


# --- choices and lists ---------------------------------------------------------------------


def test_export_dialog(snap_compare: Any) -> None:
    from tui.ui.screens.export_dialog import ExportModal

    assert _snap(snap_compare, lambda: ExportModal("Sessions of arena-fleet (us-west-2)", 42,
                                                   "game sessions", "/home/me/exports"))


def test_help(snap_compare: Any) -> None:
    from tui.ui.screens.help import HelpScreen

    sections: list[tuple[str, list[Any]]] = [
        ("Sessions", [("t", "Terminate", "sessions.terminate", True),
                      ("e", "Edit session", "sessions.edit"), ("enter", "Details")]),
        ("App", [("1-4", "Show a pane"), ("?", "This help", "app.help"),
                 ("q", "Quit", "app.quit")]),
    ]
    assert _snap(snap_compare, lambda: HelpScreen(sections, config_path="/home/me/config.toml",
                                                  read_only=True))


def test_profile_picker(snap_compare: Any) -> None:
    from tui.ui.screens.profile_picker import ProfilePicker

    assert _snap(snap_compare, lambda: ProfilePicker(["default", "live", "staging"], "live",
                                                     demo=True))


def test_region_picker(snap_compare: Any) -> None:
    from tui.ui.screens.region_picker import RegionPicker

    assert _snap(snap_compare, lambda: RegionPicker(["eu-west-1", "us-east-1", "us-west-2"],
                                                    "us-west-2"))


def test_sso_login(snap_compare: Any) -> None:
    from tui.ui.screens.profile_sso import SsoLoginScreen

    assert _snap(snap_compare, lambda: SsoLoginScreen("live", "The SSO token has expired.",
                                                      "ctrl+r"))


def test_saved_searches(snap_compare: Any, tmp_path: Path) -> None:
    from tui.ui.screens.saved_searches import SavedSearchesScreen

    store = SearchStore(tmp_path / "searches.toml", tmp_path / "history.json")
    store.save("ranked-full", SearchSpec(fleet_id=FLEET, filter_expression="playerSessionCount"
                                         " = 10", sort_expression="creationTimeMillis DESC"))
    store.record(SearchSpec(fleet_id=FLEET, filter_expression="hasAvailablePlayerSessions = "
                            "true"))
    assert _snap(snap_compare, lambda: SavedSearchesScreen(store))


def test_status_filter(snap_compare: Any) -> None:
    from tui.ui.screens.status_filter import StatusFilterModal

    assert _snap(snap_compare, lambda: StatusFilterModal({"ACTIVE", "ACTIVATING"}))


def test_stage_pick(snap_compare: Any) -> None:
    from tui.ui.screens.stage_pick import StagePickModal

    options = [("deployment-0003", "2026-01-01 09:30  snapshot-0002  winter event  SUCCEEDED"),
               ("deployment-0002", "2025-12-20 12:00  snapshot-0001  launch       SUCCEEDED")]
    assert _snap(snap_compare, lambda: StagePickModal(
        "Roll back space-raiders/prod", "Pick the deployment whose snapshot to deploy again.",
        options))


def test_script_history(snap_compare: Any, tmp_path: Path) -> None:
    from tui.ui.screens.script_history import ScriptHistoryScreen

    older = ArchiveEntry(sha256="cd" * 32, size=47_001, script_id=SCRIPT.script_id,
                         name="matchmaker", version="1.3.0", time="2025-12-20T12:00:00Z")
    archive = ScriptArchive(tmp_path / "archive")
    assert _snap(snap_compare, lambda: ScriptHistoryScreen(SCRIPT, [ENTRY, older], archive))


def test_script_compare(snap_compare: Any) -> None:
    from tui.ui.screens.script_compare import CompareSide, ScriptCompareScreen

    left = CompareSide("A: matchmaker 1.3.0", [("Name", "matchmaker"), ("Version", "1.3.0")],
                       note="content not available")
    right = CompareSide("B: matchmaker 1.4.0", [("Name", "matchmaker"), ("Version", "1.4.0")],
                        note="content not available")
    assert _snap(snap_compare, lambda: ScriptCompareScreen(left, right))


# --- screens that call AWS -----------------------------------------------------------------


def test_player_connections(snap_compare: Any, snap_world: World) -> None:
    from textual.widgets import DataTable

    from tui.ui.screens.player_connections import PlayerScreen

    # The empty table still shows its header.
    assert _game_snap(snap_compare, snap_world, lambda: PlayerScreen("space-raiders", "prod"),
                      lambda screen: screen.query_one(DataTable).region.height > 0)


def test_session_detail(snap_compare: Any, snap_world: World) -> None:
    from tui.ui.screens.session_detail import SessionDetailScreen

    # A session the world holds, with the players it holds.
    held = world_session(snap_world)
    assert _game_snap(snap_compare, snap_world, lambda: SessionDetailScreen(held),
                      lambda screen: "loading" not in _text(screen, "#players-status"))


def test_script_detail(snap_compare: Any, snap_world: World) -> None:
    # The world's first script that fleets run (by id), its fleets, one archived upload.
    from tui.services.scripts import load_world
    from tui.ui.screens.script_detail import ScriptDetailScreen

    held = load_world(snap_world.aws())
    script = min((s for s in held.scripts() if held.fleets.get(s.script_id)),
                 key=lambda s: s.script_id)
    fleets = held.fleets[script.script_id]
    entry = dataclasses.replace(ENTRY, script_id=script.script_id, name=script.name,
                                version=script.version)
    assert _game_snap(snap_compare, snap_world,
                      lambda: ScriptDetailScreen(script, fleets, [entry]),
                      lambda screen: "…" not in _text(screen, "#script-detail-status"))
