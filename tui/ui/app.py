"""The Textual application: context bar, the four panes, footer, help and palette.

It also owns what spans the panes: the settings (``tui.config``), the live keymap, the theme,
and the AWS target — switching profile or region builds a new ``AwsContext`` and new panes, so
no pane keeps a fleet id or a cursor from the other account.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane

from tui import __version__
from tui.config import Settings, remembered_theme, save_state
from tui.services.pacing import InputPacer
from tui.trust import visible
from tui.ui import commands as extra_commands
from tui.ui import keymap, palette
from tui.ui.contract import PANES, GameApp
from tui.ui.keymap import KeyRow
from tui.ui.panes.base import Pane
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import refused_here
from tui.ui.responsiveness import Responsiveness
from tui.ui.screens.base import swallows_repeat
from tui.ui.screens.help import HelpScreen
from tui.ui.targets import Targets
from tui.ui.textual_private import exiting
from tui.ui.widgets.context_bar import ContextBar
from tui.ui.widgets.footer import KeyFooter
from tui.ui.widgets.pane_tabs import PaneTabs

if TYPE_CHECKING:
    from collections.abc import Iterable
    from concurrent.futures import Future

    from textual.notifications import SeverityLevel
    from textual.theme import Theme

    from tui.aws.session import AwsContext
    from tui.config import BannerRule
    from tui.services.filter_builder import SearchSpec
    from tui.services.gamelift import FleetRow
    from tui.sim.server import RunningSimulator
    from tui.ui.screens.help import Row as HelpRow

FIRST_PANE = "sessions"
AUTO_THEME, AUTO_THEME_16 = "textual-dark", "ansi-dark"
WARM_UP_FALLBACK = 2.0  # seconds before hidden panes load even if the shown one has not
_HERE = Path(__file__).parent


def _css_files(folder: str) -> list[str]:
    """Every .tcss of a folder beside this module, relative to it (Textual resolves CSS_PATH
    against the app's module). Panes are widgets, and Textual reads CSS_PATH only for apps
    and screens, so the app loads theirs."""
    return [f"{folder}/{path.name}" for path in sorted((_HERE / folder).glob("*.tcss"))]


class GameOpsApp(GameApp):
    CSS_PATH = ["app.tcss", *_css_files("panes"), *_css_files("widgets")]
    TITLE = f"gameops-tui {__version__}"
    BINDINGS = [
        Binding("1", "show_pane('sessions')", "Sessions", show=False, id="app.sessions"),
        Binding("2", "show_pane('search')", "Search", show=False, id="app.search"),
        Binding("3", "show_pane('scripts')", "Scripts", show=False, id="app.scripts"),
        Binding("4", "show_pane('stages')", "Stages", show=False, id="app.stages"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("r", "refresh_pane", "Refresh", id="app.refresh"),
        Binding("P", "pick_profile", "Profile", show=False, id="app.profile"),
        Binding("G", "pick_region", "Region", show=False, id="app.region"),
        Binding("T", "change_theme", "Theme", show=False, id="app.theme"),
        Binding("C", "reconnect", "Reconnect (retry login)", show=False, id="app.reconnect"),
        Binding("q", "quit", "Quit", id="app.quit"),
        *extra_commands.BINDINGS,
    ]

    def __init__(self, aws: AwsContext, *, simulator: RunningSimulator | None = None,
                 settings: Settings | None = None,
                 fleets_early: Future[list[FleetRow]] | None = None) -> None:
        super().__init__()
        self.aws = aws
        self.simulator = simulator
        self.settings = settings or Settings()
        self.account_id = ""
        self.identity_error = ""
        self.switching = False
        self._theme_at_start = ""
        self.responsiveness = Responsiveness()
        aws.pace = self.pacer
        if aws.target.api_budget is not None:  # None: a target without a budget
            aws.budget.share = self.settings.api_budget
        # The fleet overview asked for before the screen exists; the Sessions pane takes it.
        self._prefetched: tuple[AwsContext, Future[list[FleetRow]]] | None = (
            (aws, fleets_early) if fleets_early is not None else None)
        self.keymap_overrides: dict[str, str] = {}  # what apply_keymap gave set_keymap
        self.panes: dict[str, Pane] = {}  # built so far, mounted or being mounted
        self._identity_asked = False
        self.last_data_at = 0.0  # monotonic time rows last arrived in a table (note_data)
        self.last_export: Path | None = None  # the file the last export wrote
        # One store for every drain of this process, so their writes of the file take turns.
        from tui.services.drains import DrainStore

        self.drain_store = DrainStore()
        self.targets = Targets(self)

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._prefetch_fleets()
        target = self.aws.target
        yield ContextBar(profile=self.aws.profile_name, region=self.aws.region,
                         endpoint=target.endpoint_url or "", demo=target.demo,
                         read_only=target.read_only, banner=self.banner())
        with PaneTabs(initial=FIRST_PANE, id="panes"):
            for pane_id, label in PANES:
                with TabPane(label, id=pane_id):
                    # Hidden panes are built after the first one has painted: composing all
                    # four up front doubled the time to the first fleet list.
                    if pane_id == FIRST_PANE:
                        yield self.make_pane(pane_id)
        yield KeyFooter()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast, from any widget, goes through the trust boundary: toasts often quote
        service text (names, error messages), so none is parsed as markup and every control
        character is shown (``markup`` is accepted for Textual's signature and ignored)."""
        super().notify(visible(message, newlines=True), title=visible(title),
                       severity=severity, timeout=timeout, markup=False)

    def _prefetch_fleets(self) -> None:
        if self._prefetched is None:  # the CLI starts it earlier still, before importing us
            from tui.services.gamelift import prefetch_fleet_overview

            self._prefetched = (self.aws, prefetch_fleet_overview(self.aws))

    def take_prefetched_fleets(self, aws: AwsContext) -> Future[list[FleetRow]] | None:
        """The early fleet overview (a Future) once, if it was asked for with this context."""
        early, self._prefetched = self._prefetched, None
        return early[1] if early is not None and early[0] is aws else None

    def make_pane(self, pane_id: str) -> Pane:
        pane = pane_class(pane_id)(id=f"{pane_id}-pane")
        self.apply_settings(pane)
        self.panes[pane_id] = pane
        return pane

    def apply_settings(self, pane: Pane) -> None:
        """Config values reach a pane through the pane contract (before it mounts)."""
        pane.apply_settings(self.settings)

    # --- start-up --------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.responsiveness.install(self)
        for problem in self.settings.problems:
            self.notify(problem, title="config", severity="warning", timeout=20)
        self.apply_keymap()
        self.start_theme()
        self.call_after_refresh(self._focus_pane)
        self.start_panes()
        self.call_after_refresh(self.resume_drains)
        # Drawn at once, so that the bar does not change shape a second after the start.
        self.show_budget()
        self.set_interval(1.0, self.show_budget)

    def show_budget(self) -> None:
        """The API meter in the context bar: the busiest operation's share of its limit."""
        for bar in self.query(ContextBar):
            bar.set_meter(self.aws.budget.meter())

    async def resume_drains(self) -> None:
        """Drains an earlier run left in the state file for this target are followed again
        (by the Sessions pane, which says so)."""
        if not self.staying():
            return
        from tui.ui.panes.session_table import SessionTablePane

        pane = await self.ensure_pane("sessions")
        if isinstance(pane, SessionTablePane) and pane.is_attached:
            pane.drain_and_terminate([], "", resume=True)

    def drains_followed(self) -> tuple[int, bool]:
        """(sessions being drained here, whether a drain is still locking its sessions)."""
        from tui.ui.panes.session_table import SessionTablePane

        waiting = sum((pane.draining or (0, 0))[0] for pane in self.panes.values()
                      if isinstance(pane, SessionTablePane))
        running = any(w.name == "drain" and w.is_running for w in self.workers)
        return waiting, running

    async def action_quit(self) -> None:
        """Quit, but first ask when drains are running: they stop being followed (the sessions
        stay locked) until the next start on this target resumes them."""
        from tui.ui.screens.confirm import ConfirmModal

        waiting, running = self.drains_followed()
        if not (waiting or running):
            self.exit()
            return
        if isinstance(self.screen, ConfirmModal) and self.screen.id == "quit-drains":
            return
        what = f"{waiting} game session(s)" if waiting else "the sessions being locked"
        body = (f"Drain first is running: {what} are locked to new players (DENY_ALL), to be "
                "terminated when their last player has left.\n"
                "Quitting stops following them: they stay locked and are not terminated "
                f"until gameops-tui starts again for profile {self.aws.profile_name}, region "
                f"{self.aws.region}, which resumes them (kept in {self.drain_store.path}).")

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        title = (f"Quit while draining {waiting} session(s)?" if waiting
                 else "Quit while a drain is starting?")
        modal = ConfirmModal(title, body, "none: quitting sends nothing", confirm_label="Quit")
        modal.id = "quit-drains"
        await self.push_screen(modal, answered)

    @property
    def pacer(self) -> InputPacer:
        """What paging workers call before each request and parse (see Responsiveness)."""
        return self.responsiveness.pacer

    def on_unmount(self) -> None:
        self.responsiveness.uninstall()

    async def on_event(self, event: events.Event) -> None:
        key = isinstance(event, events.Key)
        if isinstance(event, events.Key) and not event.is_forwarded and swallows_repeat(self,
                                                                                        event):
            return  # the second Enter / y of a double press: the modal it answered is gone
        if key:
            self.responsiveness.key_arrived()
        await super().on_event(event)
        if key:
            # The key has gone to its widget; the refresh after that shows its effect.
            self.screen.call_after_refresh(self.responsiveness.key_answered)

    def on_key(self, event: events.Key) -> None:
        """A key that read-only mode disabled says so: Textual would let it do nothing."""
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.enabled or not refused_here(active.node,
                                                                active.binding.action):
            return
        event.prevent_default()
        event.stop()
        self.explain_read_only(active.binding.description or active.binding.action)

    def explain_read_only(self, what: str) -> None:
        self.notify(f"{READ_ONLY_HINT} to {what.lower()}", title="read-only",
                    severity="warning", timeout=6)

    def exported(self, path: Path) -> None:
        self.last_export = path

    def note_data(self) -> None:
        """Rows arrived: cosmetic rebuilds (the footer) wait until they stop coming."""
        self.last_data_at = time.monotonic()

    def apply_keymap(self) -> None:
        """The [keys] table of the config: binding id → keys. Unknown ids are named, not fatal."""
        if not self.settings.keys:
            return
        self.keymap_overrides = keymap.overrides(self)
        self.set_keymap(self.keymap_overrides)

    def start_theme(self) -> None:
        wanted = remembered_theme(self.settings)
        if wanted and wanted not in self.available_themes:
            self.notify(f"{self.settings.where(('theme',))}: no theme {wanted!r} (T lists "
                        "them); using the default", title="config", severity="warning",
                        timeout=20)
            wanted = ""
        theme = wanted or self.auto_theme()
        chosen = self.get_theme(theme)
        if self.no_color and chosen is not None and chosen.ansi:
            # Textual's NO_COLOR filter turns ANSI themes into black on black; its monochrome
            # filter over a truecolor theme keeps the contrast.
            theme = AUTO_THEME
        self.theme = self._theme_at_start = theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def auto_theme(self) -> str:
        return theme_for_terminal(self.console.color_system, headless=self.is_headless,
                                  no_color=self.no_color)

    def _theme_changed(self, theme: Theme) -> None:
        # Only a theme the user picks is remembered, not the one chosen for this terminal.
        if theme.name in (self._theme_at_start, remembered_theme(self.settings)):
            return
        self._theme_at_start = ""
        try:
            save_state(theme=theme.name, config_theme=self.settings.theme)
        except OSError as err:
            self.notify(f"could not remember the theme: {err.strerror}", severity="warning")

    def start_panes(self) -> None:
        """The shown pane loads now; the hidden ones are built and load once it has painted
        its first data (or after WARM_UP_FALLBACK), so they don't slow the first screen."""
        pane = self.current_pane()
        if pane is not None:
            pane.begin_first_load()
        self.set_timer(WARM_UP_FALLBACK, self.warm_up_panes)

    def warm_up_panes(self) -> None:
        if not self._identity_asked:
            # After the first screen, too: building the STS client competed with it for the
            # interpreter. The account shows a moment later; the panes did not need it.
            self._identity_asked = True
            self.load_identity()
        # One pane per callback: key presses queued meanwhile are answered in between.
        for pane_id, _ in PANES:
            self.call_later(self._warm_up, pane_id)

    async def _warm_up(self, pane_id: str) -> None:
        if self.staying():
            await self.start_pane(pane_id)

    def staying(self) -> bool:
        """False once the app is on its way out: nothing more to build or load."""
        return self.is_running and not exiting(self)

    async def start_pane(self, pane_id: str) -> Pane:
        """Build the pane if needed, then start its first load, unless the app began to stop
        while the pane was being mounted (its widgets are then going away unfinished)."""
        pane = await self.ensure_pane(pane_id)
        if self.staying() and pane.is_mounted:
            pane.begin_first_load()
        return pane

    async def ensure_pane(self, pane_id: str) -> Pane:
        """The pane of that tab, built and mounted now if it was not yet."""
        pane = self.panes.get(pane_id)
        if pane is None:
            pane = self.make_pane(pane_id)
            # Handlers of the app run one at a time, so no second caller mounts it too.
            await self.query_one(f"#{pane_id}", TabPane).mount(pane)
        return pane

    def on_pane_first_shown(self, _message: Pane.FirstShown) -> None:
        self.call_after_refresh(self.warm_up_panes)

    async def on_tabbed_content_tab_activated(self, message: TabbedContent.TabActivated) -> None:
        await self.start_pane(str(message.pane.id))

    def on_pane_tabs_stray_focus(self, _message: PaneTabs.StrayFocus) -> None:
        pane = self.current_pane()
        focused = pane.screen.focused if pane is not None and pane.is_attached else None
        if pane is not None and (focused is None or pane not in focused.ancestors_with_self):
            self._focus_pane()

    def _focus_pane(self) -> None:
        pane = self.current_pane()
        # A pane still being built has no widgets to focus yet (a key can show it while this
        # request waits for a frame); showing it focuses it once it is mounted.
        if pane is not None and pane.is_mounted:
            pane.focus_content()

    # --- account, profile and region -------------------------------------------------------

    def banner(self) -> BannerRule | None:
        return self.settings.banner_for(self.aws.profile_name, self.aws.region, self.account_id)

    def load_identity(self) -> None:
        self.targets.load_identity()

    def show_sso_login(self) -> None:
        self.targets.show_sso_login()

    def action_pick_profile(self) -> None:
        self.targets.pick_profile()

    def action_pick_region(self) -> None:
        self.targets.pick_region()

    def action_reconnect(self) -> None:
        """Build the AWS session again (after `aws sso login`, new keys, …) and reload."""
        self.targets.switch()

    def switch_target(self, *, profile: str | None = None, region: str | None = None) -> None:
        """Point the app at another profile and/or region: a new AwsContext, new panes."""
        self.targets.switch(profile=profile, region=region)

    async def rebuild_panes(self) -> None:
        """New pane instances for the current AwsContext: nothing of the old target survives."""
        tabs = self.query_one("#panes", TabbedContent)
        active = str(tabs.active)
        self.panes = {}
        for pane_id, _ in PANES:
            await self.query_one(f"#{pane_id}", TabPane).remove_children()
        await self.ensure_pane(active)
        tabs.active = active
        self.call_after_refresh(self._focus_pane)
        self.start_panes()

    # --- actions ---------------------------------------------------------------------------

    async def action_show_pane(self, pane_id: str) -> None:
        self.query_one("#panes", TabbedContent).active = pane_id
        pane = await self.start_pane(pane_id)
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
        sections: list[tuple[str, list[HelpRow]]] = [
            (title, list(rows)) for title, rows in self.keymap_rows()]
        self.push_screen(HelpScreen(sections,
                                    config_path=str(self.settings.path or ""),
                                    read_only=self.aws.read_only))

    def keymap_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The live keymap as (keys, action) rows: the focused pane's, then the app's."""
        return [(title, [(row[0], row[1]) for row in rows])
                for title, rows in self.keymap_rows()]

    def keymap_rows(self) -> list[tuple[str, list[KeyRow]]]:
        """The live keymap as (keys, action, binding id, disabled) rows (see tui.ui.keymap)."""
        return keymap.keymap_rows(self)

    def key_for(self, action: str) -> str:
        """The key currently bound to an app action (after keymap overrides), for messages."""
        return keymap.key_for(self, action)

    # --- palette ---------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        return palette.system_commands(self, screen)

    def action_extra(self, name: str) -> None:
        extra_commands.run(self, name)

    async def run_saved_search(self, spec: SearchSpec) -> None:
        await palette.run_saved_search(self, spec)


def pane_class(pane_id: str) -> type[Pane]:
    """Each pane lives in its own module, imported when the pane is first built."""
    if pane_id == "sessions":
        from tui.ui.panes.sessions import SessionsPane

        return SessionsPane
    if pane_id == "search":
        from tui.ui.panes.search import SearchPane

        return SearchPane
    if pane_id == "scripts":
        from tui.ui.panes.scripts import ScriptsPane

        return ScriptsPane
    if pane_id == "stages":
        from tui.ui.panes.stages import StagesPane

        return StagesPane
    raise KeyError(f"no pane {pane_id!r}")


def theme_for_terminal(color_system: str | None, *, headless: bool,
                       no_color: bool = False) -> str:
    """The theme when neither the user nor the config chose one. A 16-colour terminal gets a
    theme made of its own ANSI colours: truecolor themes squeezed into 16 colours lose the
    difference between panel, cursor and text. Headless runs (tests, screenshots) have no
    terminal to ask, so they get the default."""
    few_colours = color_system in ("standard", "windows")
    return AUTO_THEME_16 if few_colours and not headless and not no_color else AUTO_THEME
