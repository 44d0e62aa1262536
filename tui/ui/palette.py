"""The command palette (ctrl+p): Textual's own commands, the app's, the focused pane's keys by
name, the saved searches and the app-wide extra commands (``tui.ui.commands``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand

from tui.ui import commands as extra_commands
from tui.ui.contract import PANES
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import refused_here
from tui.ui.widgets.plain import markup_literal

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

    from tui.services.filter_builder import SearchSpec
    from tui.ui.contract import GameApp


def system_commands(app: GameApp, screen: Screen[Any]) -> Iterable[SystemCommand]:
    # The palette parses titles and help as markup (its fuzzy matcher too), and they hold
    # saved-search names and filters (a file) and keys from the config: all are literals.
    for command in _commands(app, screen):
        yield SystemCommand(markup_literal(command.title), markup_literal(command.help),
                            command.callback, command.discover)


def _commands(app: GameApp, screen: Screen[Any]) -> Iterable[SystemCommand]:
    for command in App.get_system_commands(app, screen):
        if command.title == "Keys":  # ours below lists the live keymap
            continue
        if command.title == "Theme":
            yield SystemCommand("Theme", f"Change the theme; remembered (key "
                                f"{app.key_for('change_theme')})", command.callback)
            continue
        yield command
    for pane_id, label in PANES:
        yield SystemCommand(f"Go to {label[2:]}",
                            f"Show the {label[2:]} pane (key "
                            f"{app.key_for(f'show_pane({pane_id!r})')})",
                            lambda p=pane_id: app.action_show_pane(p))
    yield SystemCommand("Refresh", f"Refresh the current pane now (key "
                        f"{app.key_for('refresh_pane')})", app.action_refresh_pane)
    yield SystemCommand("Keys", f"Show the keymap (key {app.key_for('help')})",
                        app.action_help)
    yield SystemCommand("Switch profile", f"Pick another AWS profile; every pane reloads "
                        f"(key {app.key_for('pick_profile')})", app.action_pick_profile)
    yield SystemCommand("Switch region", f"Pick another region where GameLift runs; every "
                        f"pane reloads (key {app.key_for('pick_region')})",
                        app.action_pick_region)
    yield SystemCommand("Reconnect", "Build the AWS session again, e.g. after aws sso "
                        f"login (key {app.key_for('reconnect')})", app.action_reconnect)
    yield from _pane_commands(app, screen)
    yield from _saved_search_commands(app)
    yield from extra_commands.system_commands(app)


def _pane_commands(app: GameApp, screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The focused pane's own keys, so every action can also be found by name."""
    pane = app.current_pane()
    title = pane.title if pane is not None else "Here"
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        node, binding = active.node, active.binding
        if node is app or node is screen or not binding.description:
            continue
        if binding.action.startswith(("cursor_", "scroll_", "page_", "select_cursor")):
            continue
        name = f"{title}: {binding.description}"
        if name in seen:
            continue
        seen.add(name)
        if not active.enabled and refused_here(node, binding.action):
            # Listed, so it can be found, but it explains instead of opening the flow.
            yield SystemCommand(f"{name} (disabled)", f"key {app.get_key_display(binding)}"
                                f" · {READ_ONLY_HINT}",
                                lambda d=binding.description: app.explain_read_only(d))
            continue
        yield SystemCommand(name, f"key {app.get_key_display(binding)}",
                            lambda n=node, a=binding.action: _run_on(app, n, a))


def _run_on(app: GameApp, node: DOMNode, action: str) -> None:
    if node.is_attached:
        app.call_later(app.run_action, action, node)


def _saved_search_commands(app: GameApp) -> Iterable[SystemCommand]:
    from tui.services.saved_searches import SearchStore, StoreError

    try:
        saved = SearchStore().saved()
    except (StoreError, OSError):
        return  # the Search pane's O screen explains a broken file
    for name, spec in saved.items():
        yield SystemCommand(f"Saved search: {name}",
                            spec.filter_expression or "every ACTIVE session",
                            lambda spec=spec: run_saved_search(app, spec))


async def run_saved_search(app: GameApp, spec: SearchSpec) -> None:
    from tui.ui.panes.search import SearchPane

    await app.action_show_pane("search")
    pane = app.current_pane()
    if isinstance(pane, SearchPane):
        pane.load_spec(spec, run=True)
