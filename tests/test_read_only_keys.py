"""Read-only mode at the keyboard: every key that would change something stays listed, is drawn
disabled in the footer, the help screen and the palette, and a press explains itself without
opening the flow. The simulator proves nothing was sent (its mutation log stays empty).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, pane_of, settle, wait_for
from rich.console import Console
from simctl import World
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

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

# Each test its own frozen world of 60 sessions: its mutation log starts empty and holds only
# what the test's app sent.
pytestmark = pytest.mark.world(sessions=60)


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


async def drained(app: GameOpsApp, pilot: Any) -> None:
    """Everything the app had queued when this was called has been handled: a callback queued
    behind it has run (the moment a screen the key opened would be on the stack)."""
    ran: list[bool] = []
    app.call_later(ran.append, True)
    await wait_for(pilot, lambda: ran)


async def nothing_was_sent(app: GameOpsApp, pilot: Any, world: World) -> None:
    """Every worker the app started has finished: whatever it was going to send, it has."""
    await settle(app, pilot)  # waits for the app's workers to complete
    assert world.mutations() == []


async def press_each(app: GameOpsApp, pilot: Any, keys: dict[str, str]) -> None:
    """Each key: one explanation, no screen opened."""
    base = app.screen
    for key in keys:
        before = len(notes(app))
        await pilot.press(key)
        # A toast reaches the app as a message of its own, a moment after the key.
        await wait_for(pilot, lambda b=before: len(notes(app)) > b)
        await drained(app, pilot)
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


async def test_session_keys_are_disabled_and_explain(world: World, home: Path) -> None:
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
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        # The palette: listed as disabled; choosing one explains.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Sessions: Terminate (disabled)" in commands
        assert HINT in commands["Sessions: Terminate (disabled)"].help
        before_notes = len(notes(app))
        commands["Sessions: Terminate (disabled)"].callback()
        await wait_for(pilot, lambda: len(notes(app)) > before_notes)
        assert HINT in notes(app)[before_notes]
        await drained(app, pilot)
        assert app.screen is app.screen_stack[0]
        await nothing_was_sent(app, pilot, world)


async def test_scripts_and_stages_keys_are_disabled_and_explain(world: World,
                                                               home: Path) -> None:
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
        before_notes = len(notes(app))
        screen.action_disconnect()  # as a click on it would, were it enabled
        await wait_for(pilot, lambda: any(HINT in n for n in notes(app)[before_notes:]))
        await drained(app, pilot)
        assert app.screen is screen  # no confirmation opened
        await nothing_was_sent(app, pilot, world)
        await pilot.press("escape")


async def test_read_write_app_keeps_the_keys_enabled(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await sessions_ready(app, pilot)
        assert all(pane.check_action(a, ()) is True for a in SESSION_KEYS.values())
        shown = footer_keys(app)
        assert shown.get("t") is False and shown.get("p") is False
        rows = [row for _, section in app.keymap_rows() for row in section]
        assert not any(row[3] for row in rows)
