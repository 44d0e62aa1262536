"""The Stages pane on a private simulator: the GameSparks tree, detail, rollback with a diff,
deployments followed to the end, idempotent starts, read-only refusals, snapshot export."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, pane_of, wait_for
from harness import FIXED_NOW  # 2026-01-01T00:00:00Z: the world of the snapshot test
from rich.console import Console
from simctl import World
from textual.widgets import Static

from tui.ui.app import GameOpsApp
from tui.ui.panes.stages import DEPLOYMENT, DEPLOYMENTS, GAME, STAGE, Ref, StagesPane
from tui.ui.screens.base import REPEAT_SECONDS
from tui.ui.screens.stage_deploy import StageDeployModal
from tui.ui.screens.stage_pick import StagePickModal

# A private world per test with a frozen clock: deployments move only when a test advances it.
pytestmark = pytest.mark.world(sessions=20)


def node_of(pane: StagesPane, ref: Ref) -> Any:
    node = pane._find(ref.key)
    assert node is not None, f"no node {ref.key}"
    return node


def starts(world: World) -> list[dict[str, Any]]:
    return world.mutations("StartStageDeployment")


def stage_held(world: World, game: str, stage: str) -> dict[str, Any]:
    """The stage as GameSparks holds it: its deployments (newest first) and the serving one."""
    held: dict[str, Any] = world.gamesparks()["games"][game]["stages"][stage]
    return held


def calls(world: World, operation: str) -> int:
    """How many ``operation`` requests the service has answered."""
    return world.requests().get(operation, {}).get("calls", 0)


def notified(app: GameOpsApp, text: str) -> bool:
    return any(text in str(n.title) or text in str(n.message) for n in app._notifications)


async def open_stage(app: GameOpsApp, pilot: Any, game: str, stage: str) -> StagesPane:
    """Show the pane, expand the game, the stage and its Deployments, cursor on the stage."""
    await pilot.press("4")
    pane = await pane_of(app, pilot, StagesPane)
    await wait_for(pilot, lambda: pane._find(Ref(GAME, game).key) is not None)
    tree = pane.stage_tree
    tree.move_cursor(node_of(pane, Ref(GAME, game)))
    await pilot.press("space")  # Tree: space toggles a node
    try:
        await wait_for(pilot, lambda: pane._find(Ref(STAGE, game, stage).key) is not None)
    except AssertionError:
        # A test that turns botocore's retries off can lose this read to a dropped
        # keep-alive connection on a loaded machine; a user presses r, and so do we.
        await pilot.press("r")
        await wait_for(pilot, lambda: pane._find(Ref(STAGE, game, stage).key) is not None)
    tree.move_cursor(node_of(pane, Ref(STAGE, game, stage)))
    await pilot.press("space")
    await pilot.pause()
    tree.move_cursor(node_of(pane, Ref(DEPLOYMENTS, game, stage)))
    await pilot.press("space")
    await wait_for(pilot, lambda: (game, stage) in pane.deployments and not pane.pending)
    await pilot.pause()
    tree.move_cursor(node_of(pane, Ref(STAGE, game, stage)))
    await pilot.pause()
    return pane


def detail_text(pane: StagesPane) -> str:
    console = Console(width=120, file=io.StringIO(), color_system=None)
    console.print(pane._detail(pane.cursor_ref()))
    return console.file.getvalue()  # type: ignore[attr-defined]


def labels(pane: StagesPane, game: str, stage: str) -> list[str]:
    branch = node_of(pane, Ref(DEPLOYMENTS, game, stage))
    return [str(child.label) for child in branch.children]


async def test_tree_shows_history_with_failure_and_serving_mark(world: World,
                                                               home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "space-raiders", "prod")
        truth = stage_held(world, "space-raiders", "prod")
        shown = [child.data.ident for child in
                 node_of(pane, Ref(DEPLOYMENTS, "space-raiders", "prod")).children]
        assert shown == [d["DeploymentId"] for d in truth["deployments"]]  # newest first
        rows = labels(pane, "space-raiders", "prod")
        assert "FAILED UNSPECIFIED_FAILURE" in rows[0]
        serving_rows = [r for r in rows if "(serving)" in r]
        assert len(serving_rows) == 1
        assert serving_rows[0] == rows[shown.index(truth["serving"])]
        # The failed deployment's detail shows its DeploymentResult.
        failed = node_of(pane, Ref(DEPLOYMENT, "space-raiders", "prod", shown[0]))
        pane.stage_tree.move_cursor(failed)
        await wait_for(pilot, lambda: not pane.pending)
        await pilot.pause()
        detail = detail_text(pane)
        assert "UNSPECIFIED_FAILURE" in detail and "failed to start" in detail
        # Refresh keeps expansion and cursor.
        cursor = pane.stage_tree.cursor_node
        await pilot.press("r")
        await wait_for(pilot, lambda: not pane.pending)
        assert pane.stage_tree.cursor_node is cursor
        assert node_of(pane, Ref(DEPLOYMENTS, "space-raiders", "prod")).is_expanded
        assert "STALE" not in str(app.query_one("#stages-status", Static).render())


async def pick_and_open_diff(app: GameOpsApp, pilot: Any, key: str) -> StageDeployModal:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, StagePickModal))
    await pilot.press("enter")  # the first (newest) choice
    await wait_for(pilot, lambda: isinstance(app.screen, StageDeployModal) and app.screen.drawn)
    # A y within REPEAT_SECONDS of the picker's Enter would be taken for a double press.
    await pilot.pause(REPEAT_SECONDS)
    assert isinstance(app.screen, StageDeployModal)
    return app.screen


async def test_rollback_after_the_diff_is_followed_to_completion(world: World,
                                                                 home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "space-raiders", "prod")
        pane.poll_initial, pane.poll_max = 0.05, 0.1
        before = stage_held(world, "space-raiders", "prod")
        modal = await pick_and_open_diff(app, pilot, "R")
        plan = modal.plan
        assert plan.current_snapshot_id == before["servingSnapshot"]
        assert plan.snapshot_id != before["servingSnapshot"]
        assert not plan.diff.is_empty
        assert "aws gamesparks start-stage-deployment --game-name space-raiders --stage-name " \
               f"prod --snapshot-id {plan.snapshot_id} --client-token " in modal.cli
        # The confirm key pressed twice in a row: one deployment.
        polled = calls(world, "GetStageDeployment")
        await pilot.press("y", "y")
        await wait_for(pilot, lambda: ("space-raiders", "prod") in pane.watches)
        # The follower has polled the new deployment: the second y had its chance by then.
        await wait_for(pilot, lambda: calls(world, "GetStageDeployment") > polled)
        await pilot.pause()
        assert len(starts(world)) == 1
        assert starts(world)[0]["params"]["SnapshotId"] == plan.snapshot_id
        new_id = starts(world)[0]["params"]["DeploymentId"]
        status = app.query_one("#stages-status", Static)
        first = labels(pane, "space-raiders", "prod")[0]
        assert "PENDING" in first
        assert "space-raiders/prod: PENDING" in str(status.render())
        world.advance(2.5)
        await wait_for(pilot, lambda: "IN_PROGRESS" in labels(pane, "space-raiders", "prod")[0])
        assert "IN_PROGRESS" in str(status.render())
        world.advance(5)
        await wait_for(pilot, lambda: ("space-raiders", "prod") not in pane.watches)
        await wait_for(pilot, lambda: not pane.pending)
        await pilot.pause()
        rows = labels(pane, "space-raiders", "prod")
        shown = [c.data.ident for c in
                 node_of(pane, Ref(DEPLOYMENTS, "space-raiders", "prod")).children]
        assert shown[0] == new_id
        assert "COMPLETED" in rows[0] and "(serving)" in rows[0]
        assert sum("(serving)" in r for r in rows) == 1
        after = stage_held(world, "space-raiders", "prod")
        assert after["serving"] == new_id
        assert len(starts(world)) == 1


async def test_retry_after_a_lost_answer_starts_one_deployment(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no botocore retries: the app's own retry
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "staging")
        modal = await pick_and_open_diff(app, pilot, "R")
        token = modal.cli.rsplit(" ", 1)[-1]
        world.faults(drop_rate=1.0)  # the connection dies without an answer
        await pilot.press("y")
        await wait_for(pilot, lambda: notified(app, "Deployment not started"))
        await wait_for(pilot, lambda: not pane.starting)
        world.faults(drop_rate=0.0)
        assert starts(world) == []
        # Meanwhile the request had in fact reached GameSparks (the answer was what got lost).
        client = app.aws.client("gamesparks")
        client.start_stage_deployment(GameName="kart-league", StageName="staging",
                                      SnapshotId=modal.plan.snapshot_id, ClientToken=token)
        assert len(starts(world)) == 1
        # The user tries again: the same intent carries the same token, so nothing new starts.
        modal = await pick_and_open_diff(app, pilot, "R")
        assert modal.cli.endswith(token)
        await pilot.press("y")
        await wait_for(pilot, lambda: ("kart-league", "staging") in pane.watches)
        assert len(starts(world)) == 1
        assert pane.watches["kart-league", "staging"].deployment.deployment_id == \
            starts(world)[0]["params"]["DeploymentId"]


async def test_read_only_refuses_a_rollback(world: World, home: Path) -> None:
    app = make_app(world, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "space-raiders", "prod")
        # The key is disabled: it explains itself; no picker, no diff, no request.
        await pilot.press("R")
        # The refusal is said first: the key was handled, then nothing else happened.
        await wait_for(pilot, lambda: notified(app, "read-only: start without --read-only"))
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert not pane.starting and not pane.watches
        assert starts(world) == []


async def test_export_downloads_the_snapshot(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "prod")
        branch = node_of(pane, Ref("snapshots", "kart-league", "prod"))
        pane.stage_tree.move_cursor(branch)
        await pilot.press("space")
        await wait_for(pilot, lambda: branch.children and branch.children[0].data.kind ==
                       "snapshot")
        first = branch.children[0]
        pane.stage_tree.move_cursor(first)
        await pilot.press("x")
        snapshot_id = first.data.ident
        target = home / "data" / "downloads" / f"kart-league-{snapshot_id.replace(':', '-')}.json"
        await wait_for(pilot, target.exists)
        await wait_for(pilot, lambda: not pane.export_note)
        document = json.loads(target.read_text())
        assert document["SnapshotId"] == snapshot_id
        truth = world.aws().client("gamesparks").get_snapshot(
            GameName="kart-league", SnapshotId=snapshot_id)["Snapshot"]
        assert {n: s["Attributes"] for n, s in document["Sections"].items()} == \
            {n: s["Attributes"] for n, s in truth["Sections"].items()}
        assert target.stat().st_mode & 0o777 == 0o600
        assert not list(target.parent.glob("*.part"))


async def test_players_lookup_and_disconnect(world: World, home: Path) -> None:
    from tui.ui.screens.confirm import ConfirmModal
    from tui.ui.screens.player_connections import PlayerScreen

    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "prod")
        await pilot.press("p")
        assert isinstance(app.screen, PlayerScreen)
        await pilot.press(*"player-1001", "enter")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.connections) == 2)
        screen.query_one("#player-disconnect").press()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.drawn)
        assert "disconnect-player --game-name kart-league --stage-name prod --player-id " \
               "player-1001" in app.screen.cli
        await pilot.press("y")
        await wait_for(pilot, lambda: "2 connection(s) closed" in str(
            screen.query_one("#player-status", Static).render()))
        closed = world.mutations("DisconnectPlayer")
        assert len(closed) == 1 and len(closed[0]["params"]["DisconnectSuccesses"]) == 2
        await pilot.press("escape")
        assert app.screen is pane.screen


async def test_new_snapshot_with_description(world: World, home: Path) -> None:
    from tui.ui.screens.snapshot_create import SnapshotCreateModal

    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "dev")
        await pilot.press("n")
        assert isinstance(app.screen, SnapshotCreateModal)
        await pilot.press(*"before cup 9", "enter")
        await wait_for(pilot, lambda: bool(world.mutations("CreateSnapshot")))
        await wait_for(pilot, lambda: not pane.pending)
        created = world.mutations("CreateSnapshot")
        assert created[0]["params"]["Description"] == "before cup 9"
        await wait_for(pilot, lambda: pane.snapshots["kart-league"][0].description ==
                       "before cup 9")


@pytest.mark.world(sessions=10, frozen_at=FIXED_NOW)
def test_stages_snapshot(world: World, home: Path, snap_compare) -> None:  # noqa: ANN001
    # A world built at a fixed moment with a frozen clock, GameSparks rebuilt there from its
    # own seed: ids and times are the same on every run. The status line's "updated Ns ago"
    # is reset just before the picture.
    world.reset_gamesparks(FIXED_NOW, seed=8)
    app = make_app(world)

    async def arrange(pilot: Any) -> None:
        from tui.ui.widgets.context_bar import ContextBar

        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        pane = await open_stage(app, pilot, "space-raiders", "prod")
        failed = node_of(pane, Ref(DEPLOYMENTS, "space-raiders", "prod")).children[0]
        pane.stage_tree.move_cursor(failed)
        await wait_for(pilot, lambda: not pane.pending)
        pane.updated_at = time.monotonic()
        pane.show_status()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=arrange)


async def test_conflict_is_explained_and_the_running_deployment_followed(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "space-raiders", "staging")
        keys = {key for _, rows in app.keymap_sections() for key, _ in rows}
        assert {"R", "d", "x", "n", "p"} <= keys  # the ? screen lists them
        modal = await pick_and_open_diff(app, pilot, "R")
        # Someone else starts a deployment on the stage while the diff is being read.
        app.aws.client("gamesparks").start_stage_deployment(
            GameName="space-raiders", StageName="staging", SnapshotId=modal.plan.snapshot_id,
            ClientToken="someone-else-0123456789abcdef-0123456789")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("ConflictException" in n.message
                                          for n in app._notifications))
        await wait_for(pilot, lambda: ("space-raiders", "staging") in pane.watches)
        assert len(starts(world)) == 1


async def test_the_shown_tree_refreshes_by_itself(world: World, home: Path) -> None:
    """A deployment started elsewhere (the console, a pipeline) appears without `r`, and the
    tree keeps its expansion and cursor."""
    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "dev")
        pane.refresh_seconds = 1.0
        before = len(pane.deployments[("kart-league", "dev")])
        cursor = pane.stage_tree.cursor_node
        gamesparks = app.aws.client("gamesparks")
        snapshot = gamesparks.list_snapshots(GameName="kart-league")["Snapshots"][0]["Id"]
        started = gamesparks.start_stage_deployment(
            GameName="kart-league", StageName="dev", SnapshotId=snapshot,
            ClientToken="elsewhere-" + "0" * 30)["StageDeployment"]["DeploymentId"]
        await wait_for(pilot, lambda: any(
            d.deployment_id == started for d in pane.deployments[("kart-league", "dev")]),
            timeout=15)
        assert len(pane.deployments[("kart-league", "dev")]) == before + 1
        assert pane.stage_tree.cursor_node is cursor
        assert node_of(pane, Ref(DEPLOYMENTS, "kart-league", "dev")).is_expanded
