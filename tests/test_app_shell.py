"""The app shell on the demo world: it starts, shows the context, switches panes, helps, quits."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent

from tui.aws.session import AwsContext, Target
from tui.sim.server import RunningSimulator
from tui.ui.app import GameOpsApp
from tui.ui.screens.help import HelpScreen
from tui.ui.widgets.context_bar import ContextBar


def make_app(sim: RunningSimulator, *, read_only: bool = False) -> GameOpsApp:
    target = Target(profile=None, region="us-west-2", endpoint_url=sim.endpoint_url,
                    read_only=read_only, demo=True)
    return GameOpsApp(AwsContext(target), simulator=sim)


async def test_demo_app_starts_with_context_bar(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = app.query_one(ContextBar).render_bar().plain
        assert "DEMO" in bar
        assert "READ-ONLY" in bar
        assert "us-west-2" in bar
        assert app.query_one("#panes", TabbedContent).active == "sessions"


async def test_number_keys_switch_panes(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        for key, pane in (("2", "search"), ("3", "scripts"), ("4", "stages"), ("1", "sessions")):
            await pilot.press(key)
            assert app.query_one("#panes", TabbedContent).active == pane


async def test_help_lists_live_keys_and_closes(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {key for _, rows in app.screen.sections for key, _ in rows}
        assert {"1", "2", "3", "4", "?", "r", "q"} <= keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert app.return_code in (0, None)


def test_help_screen_snapshot(home: Path, snap_compare) -> None:  # noqa: ANN001
    # A private frozen world, so the Sessions pane behind the help screen holds still.
    import httpx

    from tui.sim.server import SimConfig, start_simulator
    from tui.ui.panes.sessions import SessionsPane

    world = start_simulator(SimConfig(rate_limits="off", sessions=60, drift=False))
    httpx.post(f"{world.endpoint_url}/_sim/clock", json={"freeze": True})
    app = make_app(world)

    async def open_help(pilot) -> None:  # noqa: ANN001
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        pane = app.query_one(SessionsPane)
        pane.updated_at = None  # "updated Ns ago" ticks with the wall clock
        pane.show_status()
        await pilot.press("question_mark")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)
    finally:
        world.stop()
