"""The Textual application: context bar, the four panes, footer, help and palette."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from tui import __version__
from tui.ui import commands as extra_commands
from tui.ui.panes.base import Pane
from tui.ui.panes.placeholder import PlaceholderPane
from tui.ui.screens.help import HelpScreen
from tui.ui.widgets.context_bar import ContextBar

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tui.aws.session import AwsContext

# Each pane lives in its own module, imported when the app is composed.
PANE_CLASSES = {
    "sessions": "tui.ui.panes.sessions:SessionsPane",
    "search": "tui.ui.panes.search:SearchPane",
    "scripts": "tui.ui.panes.scripts:ScriptsPane",
    "stages": "tui.ui.panes.stages:StagesPane",
}
PANES = (
    ("sessions", "1 Sessions"),
    ("search", "2 Search"),
    ("scripts", "3 Scripts"),
    ("stages", "4 Stages"),
)


class GameOpsApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = f"gameops-tui {__version__}"
    BINDINGS = [
        Binding("1", "show_pane('sessions')", "Sessions", show=False),
        Binding("2", "show_pane('search')", "Search", show=False),
        Binding("3", "show_pane('scripts')", "Scripts", show=False),
        Binding("4", "show_pane('stages')", "Stages", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("r", "refresh_pane", "Refresh"),
        Binding("q", "quit", "Quit"),
        *extra_commands.BINDINGS,
    ]

    def __init__(self, aws: AwsContext, *, simulator: Any = None) -> None:
        super().__init__()
        self.aws = aws
        self.simulator = simulator

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        target = self.aws.target
        yield ContextBar(profile=self.aws.profile_name, region=self.aws.region,
                         endpoint=target.endpoint_url or "", demo=target.demo,
                         read_only=target.read_only)
        with TabbedContent(initial="sessions", id="panes"):
            for pane_id, label in PANES:
                with TabPane(label, id=pane_id):
                    yield self.make_pane(pane_id)
        yield Footer()

    def make_pane(self, pane_id: str) -> Pane:
        module_name, _, class_name = PANE_CLASSES[pane_id].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            # A pane still being built: say what will be here rather than fail.
            return PlaceholderPane(dict(PANES)[pane_id][2:], "Not built yet.",
                                   id=f"{pane_id}-pane")
        pane: Pane = getattr(module, class_name)(id=f"{pane_id}-pane")
        return pane

    # --- actions ---------------------------------------------------------------------------

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one("#panes", TabbedContent).active = pane_id
        pane = self.current_pane()
        if pane is not None:
            pane.focus_content()

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_pane)

    def _focus_pane(self) -> None:
        pane = self.current_pane()
        if pane is not None:
            pane.focus_content()

    def active_pane_id(self) -> str:
        return str(self.query_one("#panes", TabbedContent).active)

    def current_pane(self) -> Pane | None:
        active = self.query_one("#panes", TabbedContent).active
        panes = self.query(f"#{active}-pane").results(Pane)
        return next(iter(panes), None)

    def action_refresh_pane(self) -> None:
        pane = self.current_pane()
        if pane is not None:
            pane.refresh_data()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.keymap_sections()))

    def keymap_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The live keymap: what the focused widgets bind, then what the app binds."""
        local: list[tuple[str, str]] = []
        global_: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            label = binding.description or binding.action
            if (key, label) in seen:
                continue
            seen.add((key, label))
            row = (self.get_key_display(binding), label)
            (global_ if active.node is self else local).append(row)
        sections = []
        if local:
            sections.append(("This pane", local))
        sections.append(("Everywhere", global_ + [("ctrl+p", "Command palette")]))
        return sections

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for pane_id, label in PANES:
            yield SystemCommand(f"Go to {label[2:]}", f"Show the {label[2:]} pane (key {label[0]})",
                                lambda p=pane_id: self.action_show_pane(p))
        yield SystemCommand("Refresh", "Refresh the current pane now (key r)",
                            self.action_refresh_pane)
        yield SystemCommand("Keys", "Show the keymap (key ?)", self.action_help)
        yield from self._saved_search_commands()
        yield from extra_commands.system_commands(self)

    def action_extra(self, name: str) -> None:
        extra_commands.run(self, name)

    def _saved_search_commands(self) -> Iterable[SystemCommand]:
        from tui.services.saved_searches import SearchStore, StoreError

        try:
            saved = SearchStore().saved()
        except (StoreError, OSError):
            return  # the Search pane's O screen explains a broken file
        for name, spec in saved.items():
            yield SystemCommand(f"Saved search: {name}",
                                spec.filter_expression or "every ACTIVE session",
                                lambda spec=spec: self.run_saved_search(spec))

    def run_saved_search(self, spec: Any) -> None:
        self.action_show_pane("search")
        pane = self.current_pane()
        load = getattr(pane, "load_spec", None)
        if load is not None:
            load(spec, run=True)
