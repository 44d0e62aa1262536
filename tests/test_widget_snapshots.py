"""The session grid and the stage tree at 80×24, each alone on the screen (tests/harness.py).

Both draw a real world: a simulator built frozen at a fixed moment (``frozen_at=FIXED_NOW``), so
its ids, names and times are the same on every run; the grid's rows come from the service
through ``tui.services.gamelift`` and are made into cells as the session panes make them, the
tree is filled by the Stages pane's own loads as its nodes are expanded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from apptest import wait_for
from harness import FIXED_NOW, GridHarness, StageTreeHarness
from simctl import World

from tui.models.stages import DEPLOYMENT, DEPLOYMENTS, GAME, SNAPSHOTS, STAGE, Ref
from tui.services import gamelift
from tui.ui.panes import stages_render

SIZE = (80, 24)
# A player-chosen name that would restyle the row if parsed as markup, and start an escape
# sequence if written out: it must be drawn as it is, the ESC as its control picture.
HOSTILE = "[bold]boss\x1b[7m"
HOSTILE_SHOWN = "[bold]boss\u241b[7m"


@pytest.mark.world(sessions=30, fleets=1, frozen_at=FIXED_NOW)
def test_session_grid(snap_compare: Any, world: World) -> None:
    now = dt.datetime.fromtimestamp(FIXED_NOW, dt.UTC)
    aws = world.aws()
    (fleet_id,) = gamelift.list_fleet_ids(aws)
    active = [s for s in gamelift.list_game_sessions(aws, fleet_id) if s.status == "ACTIVE"]
    gamelift.update_game_session(aws, active[1].game_session_id, Name=HOSTILE)
    # As the Sessions pane reads them: one fleet's sessions (DescribeGameSessionDetails), in
    # the service's order; one of them marked, the cursor on another.
    sessions = gamelift.list_game_sessions(aws, fleet_id)
    assert len(sessions) == 30
    hostile = next(i for i, s in enumerate(sessions) if s.name == HOSTILE)
    cursor = hostile + 2
    app = GridHarness(sessions, now, cursor=cursor, marked={sessions[0].game_session_id})

    async def arrange(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.ready)
        grid = app.grid
        await wait_for(pilot, lambda: grid.virtual_size.height == len(sessions) + 1
                       and not grid._flush_pending)
        await pilot.pause()
        assert grid.cursor_row == cursor and grid.has_focus
        # The name is drawn literally (the picture shows it too), in its own column.
        assert HOSTILE_SHOWN in grid.render_line(hostile + 1).text

    assert snap_compare(app, terminal_size=SIZE, run_before=arrange)


@pytest.mark.world(sessions=5, fleets=1, frozen_at=FIXED_NOW)
def test_stage_tree(snap_compare: Any, world: World) -> None:
    app = StageTreeHarness(world.endpoint_url)
    game, stage = "space-raiders", "prod"

    async def arrange(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.pane.is_mounted)
        pane = app.pane
        tree = pane.stage_tree

        def node(ref: Ref) -> Any:
            return stages_render.find(tree, ref.key)

        def filled(ref: Ref) -> bool:
            children = node(ref).children
            return bool(children) and not any(
                c.data is not None and c.data.key.endswith(":loading") for c in children)

        async def expand(ref: Ref) -> None:
            await wait_for(pilot, lambda: node(ref) is not None)
            node(ref).expand()
            # Its children are the service's answer, not the "loading…" leaf.
            await wait_for(pilot, lambda: filled(ref) and not pane.pending)

        # The game, its production stage, and both of that stage's lists, as a user opens them.
        await expand(Ref(GAME, game))
        await expand(Ref(STAGE, game, stage))
        await expand(Ref(DEPLOYMENTS, game, stage))
        await expand(Ref(SNAPSHOTS, game, stage))
        deployments = node(Ref(DEPLOYMENTS, game, stage))
        await wait_for(pilot, lambda: str(deployments.label).startswith("Deployments (")
                       and str(node(Ref(SNAPSHOTS, game, stage)).label).startswith("Snapshots ("))
        # The cursor on the newest deployment (a failure: its reason is in the label).
        newest = deployments.children[0]
        assert newest.data is not None and newest.data.kind == DEPLOYMENT
        tree.move_cursor(newest)
        tree.focus()
        await wait_for(pilot, lambda: not pane.pending)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert not pane.watches  # nothing is deploying: no progress that moves

    assert snap_compare(app, terminal_size=SIZE, run_before=arrange)
