"""The Textual application: context bar, the four panes, footer, help and palette.

It also owns what spans the panes: the settings (``tui.config``), the live keymap, the theme,
and the AWS target — switching profile or region builds a new ``AwsContext`` and new panes, so
no pane keeps a fleet id or a cursor from the other account.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane

from tui import __version__
from tui.config import Settings, remembered_theme, save_state
from tui.services.pacing import InputPacer
from tui.trust import visible
from tui.ui import commands as extra_commands
from tui.ui.gc_schedule import TICK_EVERY, GcSchedule
from tui.ui.panes.base import Pane
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import refused_here
from tui.ui.screens.base import swallows_repeat
from tui.ui.screens.help import HelpScreen
from tui.ui.widgets.context_bar import ContextBar
from tui.ui.widgets.footer import KeyFooter
from tui.ui.widgets.pane_tabs import PaneTabs
from tui.ui.widgets.plain import markup_literal

if TYPE_CHECKING:
    from collections.abc import Iterable
    from concurrent.futures import Future

    from textual.message import Message
    from textual.notifications import SeverityLevel
    from textual.theme import Theme

    from tui.aws.session import AwsContext, Target

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
FIRST_PANE = "sessions"
AUTO_THEME, AUTO_THEME_16 = "textual-dark", "ansi-dark"
WARM_UP_FALLBACK = 2.0  # seconds before hidden panes load even if the shown one has not
KeyRow = tuple[str, str, str, bool]  # keys, action, binding id, disabled (read-only)
_HERE = Path(__file__).parent


def _css_files(folder: str) -> list[str]:
    """Every .tcss of a folder beside this module, relative to it (Textual resolves CSS_PATH
    against the app's module). Panes are widgets, and Textual reads CSS_PATH only for apps
    and screens, so the app loads theirs."""
    return [f"{folder}/{path.name}" for path in sorted((_HERE / folder).glob("*.tcss"))]


class GameOpsApp(App[int]):
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

    def __init__(self, aws: AwsContext, *, simulator: Any = None,
                 settings: Settings | None = None, fleets_early: Future[Any] | None = None,
                 ) -> None:
        super().__init__()
        self.aws = aws
        self.simulator = simulator
        self.settings = settings or Settings()
        self.account_id = ""
        self.identity_error = ""
        self.switching = False
        self._theme_at_start = ""
        self.gc_schedule = GcSchedule()
        self.pacer = InputPacer()  # paging workers call it before each request and parse
        aws.pace = self.pacer
        # The fleet overview asked for before the screen exists; the Sessions pane takes it.
        self._prefetched: tuple[AwsContext, Future[Any]] | None = (
            (aws, fleets_early) if fleets_early is not None else None)
        self.panes: dict[str, Pane] = {}  # built so far, mounted or being mounted
        self._identity_asked = False
        self.last_data_at = 0.0  # monotonic time rows last arrived in a table (note_data)
        # One store for every drain of this process, so their writes of the file take turns.
        from tui.services.drains import DrainStore

        self.drain_store = DrainStore()

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

    def take_prefetched_fleets(self, aws: AwsContext) -> Any:
        """The early fleet overview (a Future) once, if it was asked for with this context."""
        early, self._prefetched = self._prefetched, None
        return early[1] if early is not None and early[0] is aws else None

    def make_pane(self, pane_id: str) -> Pane:
        module_name, _, class_name = PANE_CLASSES[pane_id].partition(":")
        module = importlib.import_module(module_name)
        pane: Pane = getattr(module, class_name)(id=f"{pane_id}-pane")
        self.apply_settings(pane)
        self.panes[pane_id] = pane
        return pane

    def apply_settings(self, pane: Pane) -> None:
        """Config values reach a pane through the pane contract (before it mounts)."""
        pane.apply_settings(self.settings)

    # --- start-up --------------------------------------------------------------------------

    def on_mount(self) -> None:
        # Full garbage-collection passes wait for an idle moment (see gc_schedule).
        self.gc_schedule.start()
        self.set_interval(TICK_EVERY, self.gc_schedule.tick)
        for problem in self.settings.problems:
            self.notify(problem, title="config", severity="warning", timeout=20)
        self.apply_keymap()
        self.start_theme()
        self._pace_from_driver()
        self.call_after_refresh(self._focus_pane)
        self.start_panes()
        self.call_after_refresh(self.resume_drains)

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
        running = any(w.group == "drain" and w.is_running for w in self.workers)
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

    def _pace_from_driver(self) -> None:
        """Hold paging from the moment the driver reads a key, not from when the event loop
        gets to it: with paging threads parsing, the key can wait its turn for tens of ms, and
        holding them meanwhile is what shortens that wait."""
        driver = self._driver
        if driver is None:
            return
        send = driver.send_message
        pacer = self.pacer

        def send_message(message: Message) -> None:  # the driver's input thread
            if isinstance(message, events.Key):
                pacer.note_input()
            send(message)

        driver.send_message = send_message  # type: ignore[method-assign]

    def on_unmount(self) -> None:
        self.gc_schedule.stop()

    async def on_event(self, event: events.Event) -> None:
        key = isinstance(event, events.Key)
        if key and not event.is_forwarded and swallows_repeat(self, event):  # type: ignore[arg-type]
            return  # the second Enter / y of a double press: the modal it answered is gone
        if key:
            self.gc_schedule.note_input()
            self.pacer.note_input()
        await super().on_event(event)
        if key:
            # The key has gone to its widget; the refresh after that shows its effect.
            self.screen.call_after_refresh(self.pacer.note_answered)

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

    def note_data(self) -> None:
        """Rows arrived: cosmetic rebuilds (the footer) wait until they stop coming."""
        self.last_data_at = time.monotonic()

    def apply_keymap(self) -> None:
        """The [keys] table of the config: binding id → keys. Unknown ids are named, not fatal."""
        if not self.settings.keys:
            return
        known = known_binding_ids()
        keymap: dict[str, str] = {}
        for binding_id, keys in self.settings.keys.items():
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                self.notify(f"{self.settings.where(('keys', binding_id))}: no key binding has "
                            "this id (the ? screen lists them); ignored",
                            title="config", severity="warning", timeout=20)
        self.set_keymap(keymap)

    def start_theme(self) -> None:
        wanted = remembered_theme(self.settings)
        if wanted and wanted not in self.available_themes:
            self.notify(f"{self.settings.where(('theme',))}: no theme {wanted!r} (T lists "
                        "them); using the default", title="config", severity="warning",
                        timeout=20)
            wanted = ""
        theme = wanted or self.auto_theme()
        if self.no_color and self.get_theme(theme) is not None and self.get_theme(theme).ansi:
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
        return self.is_running and not self._exit

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

    def banner(self) -> Any:
        return self.settings.banner_for(self.aws.profile_name, self.aws.region, self.account_id)

    @work(thread=True, exclusive=True, group="identity", exit_on_error=False,
          description="STS GetCallerIdentity")
    def load_identity(self) -> None:
        aws = self.aws
        try:
            identity = aws.caller_identity()
        except Exception as err:  # shown in the bar and explained; the panes say the rest
            self.call_from_thread(self._identity_failed, aws, err)
            return
        self.call_from_thread(self._identity_loaded, aws, identity.get("Account", ""))

    def _identity_loaded(self, aws: AwsContext, account: str) -> None:
        if aws is not self.aws or not self.staying():
            return
        self.account_id, self.identity_error = account, ""
        self.query_one(ContextBar).set_account(account, self.banner())

    def _identity_failed(self, aws: AwsContext, err: BaseException) -> None:
        from botocore import exceptions as bx

        from tui.aws.errors import explain

        if aws is not self.aws or not self.staying():
            return
        self.account_id = ""
        self.identity_error = explain(err, profile=aws.profile_name)
        self.query_one(ContextBar).set_account("?", self.banner())
        if isinstance(err, bx.UnauthorizedSSOTokenError | bx.SSOTokenLoadError
                      | bx.TokenRetrievalError):
            self.show_sso_login()
        else:
            self.notify(f"{self.identity_error} ({self.key_for('reconnect')} retries)",
                        title="AWS credentials", severity="error", timeout=15)

    def show_sso_login(self) -> None:
        from tui.ui.screens.profile_sso import SsoLoginScreen

        if isinstance(self.screen, SsoLoginScreen):
            return

        def answered(retry: bool | None) -> None:
            if retry:
                self.action_reconnect()

        self.push_screen(SsoLoginScreen(self.aws.profile_name, self.identity_error,
                                        self.key_for("reconnect")), answered)

    def action_pick_profile(self) -> None:
        from tui.aws.session import DEMO_PROFILES, available_profiles
        from tui.ui.screens.profile_picker import ProfilePicker

        demo = self.aws.target.demo
        profiles = list(DEMO_PROFILES) if demo else available_profiles()

        def picked(name: str | None) -> None:
            if name:
                self.switch_target(profile=name)

        self.push_screen(ProfilePicker(profiles, self.aws.profile_name, demo=demo), picked)

    def action_pick_region(self) -> None:
        from tui.aws.session import gamelift_regions
        from tui.ui.screens.region_picker import RegionPicker

        regions = gamelift_regions()
        if self.aws.region not in regions:
            regions = sorted([*regions, self.aws.region])

        def picked(name: str | None) -> None:
            if name:
                self.switch_target(region=name)

        self.push_screen(RegionPicker(regions, self.aws.region), picked)

    def action_reconnect(self) -> None:
        """Build the AWS session again (after `aws sso login`, new keys, …) and reload."""
        self.switch_target()

    def switch_target(self, **changes: Any) -> None:
        """Point the app at another profile and/or region: a new AwsContext, new panes."""
        target = dataclasses.replace(self.aws.target, read_only=self.aws.read_only, **changes)
        what = ", ".join(f"{k} {v}" for k, v in changes.items()) or "the same profile"
        self.notify(f"connecting to {what}…", timeout=3)
        waiting, running = self.drains_followed()
        if waiting or running:
            self.notify(f"{waiting or 'the'} draining session(s) of profile "
                        f"{self.aws.profile_name}, region {self.aws.region} stop being "
                        "followed; they stay locked and resume when gameops-tui is back there.",
                        title="drains", severity="warning", timeout=15)
        self.switching = True
        self._build_context(target)

    @work(thread=True, exclusive=True, group="switch", exit_on_error=False,
          description="build the AWS session for the new profile/region")
    def _build_context(self, target: Target) -> None:
        from tui.aws.session import AwsContext, ConfigurationProblem

        try:
            aws = AwsContext(target)
        except ConfigurationProblem as problem:
            self.call_from_thread(self._switch_failed, str(problem))
            return
        except Exception as err:
            from tui.aws.errors import explain

            self.call_from_thread(self._switch_failed, explain(err, profile=target.profile))
            return
        self.call_from_thread(self._switched, aws)

    def _switch_failed(self, reason: str) -> None:
        self.switching = False
        self.notify(f"{reason}\nStill on profile {self.aws.profile_name}, region "
                    f"{self.aws.region}.", title="cannot switch", severity="error", timeout=20)

    async def _switched(self, aws: AwsContext) -> None:
        self.aws = aws
        aws.pace = self.pacer
        self.account_id, self.identity_error = "", ""
        self.query_one(ContextBar).set_context(
            profile=aws.profile_name, region=aws.region,
            endpoint=aws.target.endpoint_url or "", demo=aws.target.demo,
            read_only=aws.read_only, account="", banner=self.banner())
        await self.rebuild_panes()
        self.switching = False
        self.call_after_refresh(self.resume_drains)
        self.load_identity()
        self.notify(f"profile {aws.profile_name}, region {aws.region}", title="switched",
                    timeout=4)

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
        self.push_screen(HelpScreen(self.keymap_rows(),
                                    config_path=str(self.settings.path or ""),
                                    read_only=self.aws.read_only))

    def keymap_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The live keymap as (keys, action) rows: the focused pane's, then the app's."""
        return [(title, [(row[0], row[1]) for row in rows])
                for title, rows in self.keymap_rows()]

    def keymap_rows(self) -> list[tuple[str, list[KeyRow]]]:
        """The live keymap: what the focused widgets bind, then what the app binds, as
        (keys, action, binding id, disabled) rows; disabled: read-only mode refuses it."""
        local: list[KeyRow] = []
        moving: list[KeyRow] = []  # cursor and scroll keys of the focused widget
        global_: list[KeyRow] = []
        seen: set[tuple[str, str]] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            label = binding.description or binding.action
            if (key, label) in seen:
                continue
            seen.add((key, label))
            disabled = not active.enabled and refused_here(active.node, binding.action)
            row = (self.get_key_display(binding), label, binding.id or "", disabled)
            if active.node is self:
                global_.append(row)
            elif not binding.show and not binding.id:
                moving.append(row)
            else:
                local.append(row)
        sections: list[tuple[str, list[KeyRow]]] = []
        pane = self.current_pane()
        if local:
            sections.append((f"This pane ({pane.title})" if pane else "Here", local))
        if not any(row[1].lower() in ("palette", "command palette") for row in global_):
            global_.append(("ctrl+p", "Command palette", "", False))
        sections.append(("Everywhere", global_))
        if moving:
            sections.append(("Moving around", moving))
        return sections

    def key_for(self, action: str) -> str:
        """The key currently bound to an app action (after keymap overrides), for messages."""
        for screen in (self.screen, *reversed(self.screen_stack)):
            for active in screen.active_bindings.values():
                if active.node is self and active.binding.action == action:
                    return self.get_key_display(active.binding)
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action != action:
                    continue
                if binding.id and binding.id in self._keymap:
                    binding = binding.with_key(self._keymap[binding.id].split(",")[0])
                return self.get_key_display(binding)
        return action

    # --- palette ---------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # The palette parses titles and help as markup (its fuzzy matcher too), and they hold
        # saved-search names and filters (a file) and keys from the config: all are literals.
        for command in self._system_commands(screen):
            yield SystemCommand(markup_literal(command.title), markup_literal(command.help),
                                command.callback, command.discover)

    def _system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Keys":  # ours below lists the live keymap
                continue
            if command.title == "Theme":
                yield SystemCommand("Theme", f"Change the theme; remembered (key "
                                    f"{self.key_for('change_theme')})", command.callback)
                continue
            yield command
        for pane_id, label in PANES:
            yield SystemCommand(f"Go to {label[2:]}",
                                f"Show the {label[2:]} pane (key "
                                f"{self.key_for(f'show_pane({pane_id!r})')})",
                                lambda p=pane_id: self.action_show_pane(p))
        yield SystemCommand("Refresh", f"Refresh the current pane now (key "
                            f"{self.key_for('refresh_pane')})", self.action_refresh_pane)
        yield SystemCommand("Keys", f"Show the keymap (key {self.key_for('help')})",
                            self.action_help)
        yield SystemCommand("Switch profile", f"Pick another AWS profile; every pane reloads "
                            f"(key {self.key_for('pick_profile')})", self.action_pick_profile)
        yield SystemCommand("Switch region", f"Pick another region where GameLift runs; every "
                            f"pane reloads (key {self.key_for('pick_region')})",
                            self.action_pick_region)
        yield SystemCommand("Reconnect", "Build the AWS session again, e.g. after aws sso "
                            f"login (key {self.key_for('reconnect')})", self.action_reconnect)
        yield from self._pane_commands(screen)
        yield from self._saved_search_commands()
        yield from extra_commands.system_commands(self)

    def _pane_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The focused pane's own keys, so every action can also be found by name."""
        pane = self.current_pane()
        title = pane.title if pane is not None else "Here"
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            node, binding = active.node, active.binding
            if node is self or node is screen or not binding.description:
                continue
            if binding.action.startswith(("cursor_", "scroll_", "page_", "select_cursor")):
                continue
            name = f"{title}: {binding.description}"
            if name in seen:
                continue
            seen.add(name)
            if not active.enabled and refused_here(node, binding.action):
                # Listed, so it can be found, but it explains instead of opening the flow.
                yield SystemCommand(f"{name} (disabled)", f"key {self.get_key_display(binding)}"
                                    f" · {READ_ONLY_HINT}",
                                    lambda d=binding.description: self.explain_read_only(d))
                continue
            yield SystemCommand(name, f"key {self.get_key_display(binding)}",
                                lambda n=node, a=binding.action: self._run_on(n, a))

    def _run_on(self, node: DOMNode, action: str) -> None:
        if node.is_attached:
            self.call_later(self.run_action, action, node)

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

    async def run_saved_search(self, spec: Any) -> None:
        await self.action_show_pane("search")
        pane = self.current_pane()
        load = getattr(pane, "load_spec", None)
        if load is not None:
            load(spec, run=True)


def theme_for_terminal(color_system: str | None, *, headless: bool,
                       no_color: bool = False) -> str:
    """The theme when neither the user nor the config chose one. A 16-colour terminal gets a
    theme made of its own ANSI colours: truecolor themes squeezed into 16 colours lose the
    difference between panel, cursor and text. Headless runs (tests, screenshots) have no
    terminal to ask, so they get the default."""
    few_colours = color_system in ("standard", "windows")
    return AUTO_THEME_16 if few_colours and not headless and not no_color else AUTO_THEME


def known_binding_ids() -> set[str]:
    """Every binding id declared by a loaded widget, screen or app class."""
    ids: set[str] = set()
    stack: list[type] = [DOMNode]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids
