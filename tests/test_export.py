"""Export (E): the rows a table shows, as records, to CSV or JSON in the downloads folder.

Pilot tests on a private simulator: what lands in the file is compared with the table and with
the simulator's own state (GET /_sim/...), not with what the app believes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, pane_of, settle, wait_for
from simctl import World
from textual.widgets import DataTable

from tui.aws.records import GameSession
from tui.aws.session import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY
from tui.services import export
from tui.ui.app import GameOpsApp
from tui.ui.panes.scripts import ScriptsPane
from tui.ui.panes.sessions import SessionsPane
from tui.ui.screens.export_dialog import ExportModal
from tui.ui.widgets.session_grid import SessionGrid

# --- the service, alone ----------------------------------------------------------------------


def test_record_row_keeps_aws_values_and_drops_secrets() -> None:
    created = dt.datetime(2026, 1, 1, 12, 30, 5, 250000, tzinfo=dt.UTC)
    session = GameSession("arn:aws:gamelift:us-west-2::gamesession/fleet-1/gsess-abc", "fleet-1",
                          "ACTIVE", name="=cmd|' /C calc'!A0", creation_time=created,
                          current_player_session_count=3, maximum_player_session_count=8,
                          game_properties=(("mode", "ranked"), ("map", "-frost")))
    row = export.record_row(session, {"fleet_names": ["arena"]})
    assert row["creation_time"] == "2026-01-01T12:30:05.250000Z"
    assert row["game_properties"] == {"mode": "ranked", "map": "-frost"}
    assert row["fleet_names"] == ["arena"]
    assert row["current_player_session_count"] == 3

    @dataclass
    class Leaky:
        name: str
        session_token: str
        secret_access_key: str

    assert export.record_row(Leaky("x", "tok", "sek")) == {"name": "x"}

    table = export.ExportTable("sessions", "t", [row])
    parsed = list(csv.DictReader(io.StringIO(export.render_csv(table))))
    # A spreadsheet must not run a session name as a formula; JSON keeps it exactly.
    assert parsed[0]["name"] == "'=cmd|' /C calc'!A0"
    assert json.loads(parsed[0]["game_properties"]) == {"map": "-frost", "mode": "ranked"}
    assert parsed[0]["termination_time"] == ""
    document = json.loads(export.render_json(table))
    assert document["rows"][0]["name"] == "=cmd|' /C calc'!A0"


def test_write_export_is_private_atomic_and_never_overwrites(tmp_path: Path) -> None:
    table = export.ExportTable("sessions", "t", [{"id": "AKIDSECRETVALUE1", "n": 1}], "fleet/1")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = export.write_export(table, "csv", tmp_path, now=now,
                                secret_values=lambda: ["AKIDSECRETVALUE1"])
    second = export.write_export(table, "csv", tmp_path, now=now)
    assert first.name == "sessions-fleet-1-20260101-000000.csv"
    assert second.name == "sessions-fleet-1-20260101-000000-2.csv"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert "AKIDSECRETVALUE1" not in first.read_text()
    assert "[redacted]" in first.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    with pytest.raises(ValueError):
        export.write_export(table, "xml", tmp_path)


# --- in the app, against the simulator -------------------------------------------------------


def downloads(home: Path) -> list[Path]:
    folder = home / "data" / "downloads"
    return sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []


async def export_as(app: GameOpsApp, pilot: Any, home: Path, key: str) -> Path:
    before = set(downloads(home))
    await pilot.press("E")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))
    await pilot.press(key)
    await wait_for(pilot, lambda: set(downloads(home)) - before)
    await settle(app, pilot)
    (path,) = set(downloads(home)) - before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert DEMO_SECRET_ACCESS_KEY not in text and DEMO_ACCESS_KEY_ID not in text
    assert any(str(path) in str(n.message) for n in app._notifications)  # the path is shown
    return path


@pytest.mark.world(sessions=120)
async def test_sessions_export_holds_exactly_the_filtered_sorted_rows(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        table = app.query_one("#session-table", SessionGrid)
        table.focus()
        # A quick filter and a sort: the export follows both.
        await pilot.press("slash", *"casual", "enter", "s")
        await settle(app, pilot)
        shown = [str(k) for k in table.ordered_keys]
        assert pane.fleet_id  # one fleet's sessions (None would be every fleet's)
        truth = world.sessions(pane.fleet_id)
        expected = {sid for sid, s in truth.items()
                    if "casual" in " ".join([sid, s.get("Name", "")] + [
                        p for kv in s.get("GameProperties", []) for p in kv.values()]).casefold()}
        assert shown and set(shown) == expected and len(shown) < len(truth)

        path = await export_as(app, pilot, home, "j")
        assert path.suffix == ".json" and pane.fleet_id in path.name
        document = json.loads(path.read_text())
        assert document["count"] == len(shown)
        assert "filter 'casual'" in document["title"]
        rows = document["rows"]
        assert [r["game_session_id"] for r in rows] == shown  # the table's order
        for row in rows:
            sim_row = truth[row["game_session_id"]]
            assert row["status"] == sim_row["Status"]
            assert row["name"] == sim_row["Name"]
            assert row["current_player_session_count"] == sim_row["CurrentPlayerSessionCount"]
            assert row["maximum_player_session_count"] == sim_row["MaximumPlayerSessionCount"]
            assert row["protection_policy"] == sim_row["ProtectionPolicy"]
            assert row["game_properties"] == {p["Key"]: p["Value"]
                                              for p in sim_row["GameProperties"]}
            created = dt.datetime.fromisoformat(row["creation_time"].replace("Z", "+00:00"))
            assert abs(created.timestamp() - sim_row["CreationTime"]) < 0.001

        # CSV: the same rows, one a line, under a header of the record's fields.
        path = await export_as(app, pilot, home, "c")
        with open(path, newline="") as handle:
            records = list(csv.DictReader(handle))
        assert [r["game_session_id"] for r in records] == shown
        assert [int(r["current_player_session_count"]) for r in records] == [
            truth[sid]["CurrentPlayerSessionCount"] for sid in shown]


@pytest.mark.world(sessions=120)
async def test_scripts_and_fleets_export(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        # The fleet table has the focus at start: its rows are fleets, not sessions.
        assert app.focused is not None and app.focused.id == "fleet-table"
        fleets = json.loads((await export_as(app, pilot, home, "j")).read_text())
        state = world.state()["gamelift"]
        fleet_table = app.query_one("#fleet-table", DataTable)
        assert [r["fleet_id"] for r in fleets["rows"]] == [
            row.key.value for row in fleet_table.ordered_rows if row.key.value != "*"]
        assert {r["fleet_id"] for r in fleets["rows"]} == {f["FleetId"] for f in state["fleets"]}
        assert all("utilization_current_player_session_count" in r for r in fleets["rows"])

        await pilot.press("3")
        await settle(app, pilot)
        scripts = await pane_of(app, pilot, ScriptsPane)
        await wait_for(pilot, lambda: scripts.query_one("#scripts-table").row_count > 0)
        document = json.loads((await export_as(app, pilot, home, "j")).read_text())
        assert document["kind"] == "scripts"
        assert sorted(r["script_id"] for r in document["rows"]) == sorted(
            s["ScriptId"] for s in state["scripts"])
        # In the table's order: versions grouped by name, as the rows show them.
        table = app.query_one("#scripts-table", DataTable)
        assert [r["script_id"] for r in document["rows"]] == [
            row.key.value for row in table.ordered_rows
            if not str(row.key.value).startswith("group:")]
        assert any(r["fleet_ids"] for r in document["rows"])  # some fleets run a script


@pytest.mark.world(sessions=10)
async def test_stage_deployments_export_in_history_order(world: World, home: Path) -> None:
    from tui.ui.panes.stages import DEPLOYMENTS, GAME, STAGE, Ref, StagesPane

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        pane = await pane_of(app, pilot, StagesPane)
        await wait_for(pilot, lambda: pane._find(Ref(GAME, "space-raiders").key))
        pane.stage_tree.move_cursor(pane._find(Ref(GAME, "space-raiders").key))
        await pilot.press("space")
        await wait_for(pilot, lambda: pane._find(Ref(STAGE, "space-raiders", "prod").key))
        pane.stage_tree.move_cursor(pane._find(Ref(STAGE, "space-raiders", "prod").key))
        # Before the history is loaded there is nothing to export: say what to do.
        await pilot.press("E")
        await wait_for(pilot, lambda: any("Expand Deployments" in str(n.message)
                                          for n in app._notifications))
        assert not isinstance(app.screen, ExportModal)
        await pilot.press("space")
        deployments = Ref(DEPLOYMENTS, "space-raiders", "prod").key
        await wait_for(pilot, lambda: pane._find(deployments))
        pane.stage_tree.move_cursor(pane._find(deployments))
        await pilot.press("space")
        await wait_for(pilot, lambda: ("space-raiders", "prod") in pane.deployments
                       and not pane.pending)
        document = json.loads((await export_as(app, pilot, home, "j")).read_text())
    truth = world.state()["gamesparks"]["games"]["space-raiders"]["stages"]["prod"]
    assert document["kind"] == "deployments"
    assert [r["deployment_id"] for r in document["rows"]] == [
        d["DeploymentId"] for d in truth["deployments"]]
    serving = [r["deployment_id"] for r in document["rows"] if r["serving"]]
    assert serving == [truth["serving"]]
