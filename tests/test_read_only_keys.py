"""Read-only mode at the keyboard: every key that would change something stays listed, is drawn
disabled in the footer, the help screen and the palette, and a press explains itself without
opening the flow. The simulator proves nothing was sent (its mutation log stays empty).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apptest import make_app, pane_of, settle, wait_for
from rich.console import Console
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from tui.sim.server import RunningSimulator, SimConfig, start_simulator
from tui.ui.app import GameOpsApp
from tui.ui.panes.scripts import ScriptsPane
from tui.ui.panes.sessions import SessionsPane
from tui.ui.panes.stages import GAME, STAGE, Ref, StagesPane
from tui.ui.read_only import HINT
from tui.ui.screens.help import HelpScreen
from tui.ui.widgets.plain import Plain
from tui.ui.widgets.session_grid import SessionGrid

# key → the action it runs, per pane; each changes something.
SESSION_KEYS = {"t": "terminate", "p": "toggle_protection", "l": "toggle_lock", "e": "edit",
                "n": "create"}
SCRIPT_KEYS = {"u": "update", "n": "create"}
STAGE_KEYS = {"R": "rollback", "d": "deploy", "n": "new_snapshot"}


@pytest.fixture(scope="module")
def world() -> Iterator[RunningSimulator]:
    sim = start_simulator(SimConfig(rate_limits="off", sessions=60, drift=False))
    sim.sim.clock.freeze()
    yield sim
    sim.stop()


def mutations(sim: RunningSimulator) -> list[dict[str, Any]]:
    return httpx.get(f"{sim.endpoint_url}/_sim/mutations").json()["mutations"]


def footer_keys(app: GameOpsApp) -> dict[str, bool]:
    """Footer key → drawn disabled."""
    return {key.key: key.has_class("-disabled") for key in app.query(FooterKey)}


def drawn(screen: Any) -> str:
    """The text of a screen's Plain widgets, as a terminal would show it."""
    console = Console(width=140, file=io.StringIO(), color_system=None)
    for widget in screen.query(Plain):
        console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def notes(app: GameOpsApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def press_each(app: GameOpsApp, pilot: Any, keys: dict[str, str]) -> None:
    """Each key: one explanation, no screen opened."""
    base = app.screen
    for key in keys:
        before = len(notes(app))
        await pilot.press(key)
        # A toast reaches the app as a message of its own, a moment after the key.
        await wait_for(pilot, lambda b=before: len(notes(app)) > b)
        await pilot.pause()
        assert app.screen is base, f"{key} opened {app.screen}"
        new = notes(app)[before:]
        assert len(new) == 1 and HINT in new[0], (key, new)


async def sessions_ready(app: GameOpsApp, pilot: Any) -> SessionsPane:
    await settle(app, pilot)
    pane = app.query_one(SessionsPane)
    table = app.query_one("#session-table", SessionGrid)
    await wait_for(pilot, lambda: table.row_count > 0)
    table.focus()
    await settle(app, pilot)
    return pane


async def test_session_keys_are_disabled_and_explain(world: RunningSimulator, home: Path) -> None:
    before = mutations(world)
    app = make_app(world, read_only=True)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await sessions_ready(app, pilot)
        for action in SESSION_KEYS.values():
            assert pane.check_action(action, ()) is None  # listed, drawn disabled
        shown = footer_keys(app)
        for key in ("t", "p", "l", "e", "n"):
            assert shown.get(key) is True, (key, shown)
        assert shown.get("s") is False  # reads stay enabled
        await press_each(app, pilot, SESSION_KEYS)
        await settle(app, pilot)
        # The help screen lists them too, marked.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {row[1]: row for _, section in app.screen.sections for row in section}
        for label in ("Terminate", "Protect", "Lock", "Edit", "New session"):
            assert rows[label][3] is True, label
        assert rows["Sort"][3] is False
        text = drawn(app.screen)
        assert "⊘ Terminate (disabled: read-only)" in text
        assert HINT in text
        await pilot.press("escape")
        await pilot.pause()
        # The palette: listed as disabled; choosing one explains.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Sessions: Terminate (disabled)" in commands
        assert HINT in commands["Sessions: Terminate (disabled)"].help
        before_notes = len(notes(app))
        commands["Sessions: Terminate (disabled)"].callback()
        await wait_for(pilot, lambda: len(notes(app)) > before_notes)
        assert HINT in notes(app)[before_notes]
        assert app.screen is app.screen_stack[0]
    assert mutations(world) == before


async def test_scripts_and_stages_keys_are_disabled_and_explain(world: RunningSimulator,
                                                               home: Path) -> None:
    before = mutations(world)
    app = make_app(world, read_only=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("3")
        scripts = await pane_of(app, pilot, ScriptsPane)
        await settle(app, pilot)
        table = app.query_one("#scripts-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        table.focus()
        await settle(app, pilot)
        shown = footer_keys(app)
        assert shown.get("u") is True and shown.get("n") is True, shown
        assert shown.get("c") is False
        await press_each(app, pilot, SCRIPT_KEYS)
        assert all(scripts.check_action(a, ()) is None for a in SCRIPT_KEYS.values())

        await pilot.press("4")
        stages = await pane_of(app, pilot, StagesPane)
        game = "kart-league"
        await wait_for(pilot, lambda: stages._find(Ref(GAME, game).key) is not None)
        stages.stage_tree.focus()
        stages.stage_tree.move_cursor(stages._find(Ref(GAME, game).key))
        await pilot.press("space")
        await wait_for(pilot, lambda: stages._find(Ref(STAGE, game, "prod").key) is not None)
        stages.stage_tree.move_cursor(stages._find(Ref(STAGE, game, "prod").key))
        await settle(app, pilot)
        shown = footer_keys(app)
        for key in STAGE_KEYS:
            assert shown.get(key) is True, (key, shown)
        assert shown.get("x") is False
        await press_each(app, pilot, STAGE_KEYS)

        # Players (p) is a look-up; its Disconnect button stays shown but disabled, and says why.
        from textual.widgets import Button

        from tui.ui.screens.player_connections import PlayerScreen

        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PlayerScreen))
        screen = app.screen
        await pilot.press(*"player-1001", "enter")
        await wait_for(pilot, lambda: len(screen.connections) == 2)
        button = screen.query_one("#player-disconnect", Button)
        assert button.disabled and "read-only" in str(button.label)
        assert HINT in drawn(screen)
        screen.action_disconnect()  # as a click on it would, were it enabled
        await pilot.pause()
        assert app.screen is screen and any(HINT in n for n in notes(app))
        await pilot.press("escape")
    assert mutations(world) == before


async def test_read_write_app_keeps_the_keys_enabled(world: RunningSimulator,
                                                     home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await sessions_ready(app, pilot)
        assert all(pane.check_action(a, ()) is True for a in SESSION_KEYS.values())
        shown = footer_keys(app)
        assert shown.get("t") is False and shown.get("p") is False
        rows = [row for _, section in app.keymap_rows() for row in section]
        assert not any(row[3] for row in rows)
