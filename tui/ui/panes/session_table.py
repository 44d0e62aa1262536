"""What the Sessions and Search panes share: a table of game sessions and the actions on it.

The table is kept in place: pages merge by GameSessionId, so a reload changes only the rows that
changed and the cursor, marks, sort and filter survive. What is loaded, the filter and sort
rules, and every action (paced bulk calls, the protection look-up, drain-then-terminate) are
in ``tui.models.sessions`` / ``tui.models.session_actions``; this widget draws them and runs
their calls through ``run_call``, so every call goes through the aws layer (read-only guard,
audit log) and comes back as one line of per-session outcomes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from tui.aws.errors import Failure
from tui.aws.records import GameSession
from tui.models.session_actions import (
    ActionResult,
    BulkAction,
    DrainBoard,
    DrainNews,
    DrainRun,
    DrainsFound,
    GracefulWatch,
    SessionCall,
    bounce_text,
    look_up_protection,
    needs_protection_lookup,
)
from tui.models.sessions import (
    ALL_STATUSES,
    ENDED,
    SORTS,
    LoadedSessions,
    export_sessions,
    matches,
    ordered,
)
from tui.services import gamelift
from tui.services.drains import DrainTarget
from tui.trust import visible
from tui.ui.contract import game_app
from tui.ui.panes.base import Pane
from tui.ui.panes.quick_filter import QuickFilter
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import ReadOnlyKeys
from tui.ui.widgets.plain import Plain, SafeInput
from tui.ui.widgets.session_grid import SessionGrid
from tui.ui.work import Job

if TYPE_CHECKING:
    from tui.aws.session import AwsContext
    from tui.services.export import ExportTable

REASONS = {"TRIGGERED_ON_PROCESS_TERMINATE": "graceful", "FORCE_TERMINATED": "forced",
           "INTERRUPTED": "interrupted"}
SESSION_COLUMNS = (("id", "Session", 12), ("name", "Name", 14), ("status", "Status", 24),
                   ("players", "Players", 8), ("policy", "New", 4), ("prot", "Prot", 4),
                   ("location", "Location", 14), ("address", "Address", 21), ("age", "Age", 6))
# Which columns give way first when the terminal is narrow (1: always shown).
COLUMN_PRIORITY = {"id": 1, "status": 1, "players": 1, "name": 2, "policy": 3, "prot": 3,
                   "age": 4, "location": 5, "address": 6}


def _age(created: dt.datetime | None, now: dt.datetime) -> str:
    if created is None:
        return "?"
    seconds = max(0, int((now - created).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 86400}d"


def _protection_cell(policy: str | None) -> str:
    # SearchGameSessions does not report ProtectionPolicy: unknown must never read as "off".
    if policy is None:
        return "?"
    return "full" if policy == "FullProtection" else "-"


def session_cells(session: GameSession, now: dt.datetime,
                  marked: bool = False) -> tuple[str, ...]:
    reason = REASONS.get(session.status_reason or "", session.status_reason)
    status = session.status + (f" ({reason})" if reason else "")
    if session.ip_address:
        address = f"{session.ip_address}:{session.port}"
    else:
        address = session.dns_name or "-"
    return (
        ("● " if marked else "") + session.short_id[-(10 if marked else 12):],
        session.name or "-", status,
        f"{session.current_player_session_count}/{session.maximum_player_session_count}",
        "deny" if session.player_session_creation_policy == "DENY_ALL" else "open",
        _protection_cell(session.protection_policy),
        session.location or "-", address, _age(session.creation_time, now),
    )


class SessionTablePane(ReadOnlyKeys, QuickFilter, Pane):
    """A pane with a session table. Subclasses yield ``compose_table()`` in their layout and
    feed rows with ``begin_load`` / ``merge_page`` / ``finish_load`` (``load_failed``)."""

    TABLE_ID: ClassVar[str] = "session-table"
    STATUS_ID: ClassVar[str] = "session-status"
    # How often a drain looks at its sessions' player counts; tests make it short.
    drain_poll_seconds: float = 5.0
    noun = "sessions"
    MUTATING_ACTIONS = frozenset({"terminate", "toggle_protection", "toggle_lock", "edit",
                                  "create"})

    BINDINGS = [
        Binding("slash", "quick_filter", "Filter rows", id="session-table.filter"),
        Binding("space", "mark", "Mark", id="session-table.mark"),
        Binding("t", "terminate", "Terminate", id="session-table.terminate"),
        Binding("p", "toggle_protection", "Protect", id="session-table.protect"),
        Binding("l", "toggle_lock", "Lock", id="session-table.lock"),
        Binding("e", "edit", "Edit", id="session-table.edit"),
        Binding("f", "status_filter", "Statuses", id="session-table.statuses"),
        Binding("s", "cycle_sort", "Sort", id="session-table.sort"),
    ]

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.loaded = LoadedSessions()
        self.graceful = GracefulWatch()
        self.fleet_compute: dict[str, str] = {}
        self.filter_text = ""
        self.marked: set[str] = set()
        self.statuses: set[str] = set(ALL_STATUSES)
        self.sort_index = 0
        self.drains = DrainBoard()
        self.last_action_ids: list[str] = []
        self.apply_seconds = 0.0  # time spent putting pages into the table (benchmarks read it)

    # What is loaded lives in the model; these names are what subclasses and tests read.

    @property
    def sessions(self) -> dict[str, GameSession]:
        return self.loaded.sessions

    @property
    def loading_sessions(self) -> bool:
        return self.loaded.loading

    @loading_sessions.setter
    def loading_sessions(self, value: bool) -> None:
        self.loaded.loading = value

    @property
    def updated_at(self) -> float | None:
        return self.loaded.updated_at

    @updated_at.setter
    def updated_at(self, value: float | None) -> None:
        self.loaded.updated_at = value

    @property
    def error(self) -> str | None:
        return self.loaded.error

    @error.setter
    def error(self, value: str | None) -> None:
        self.loaded.error = value

    def aws_context(self) -> AwsContext | None:
        """The AWS context to capture before a call (None outside the GameOps app)."""
        app = game_app(self)
        return app.aws if app is not None else None

    # --- layout ----------------------------------------------------------------------------

    def compose_table(self) -> ComposeResult:
        table = SessionGrid(id=self.TABLE_ID)
        for key, label, width in SESSION_COLUMNS:
            table.add_column(label, key=key, width=width, priority=COLUMN_PRIORITY[key])
        yield table
        yield SafeInput(placeholder="filter: id, name, IP/DNS, property key or value (esc clears)",
                    id=self.FILTER_ID, classes="quick-filter", compact=True)
        yield Plain("", id=self.STATUS_ID, classes="status-line")

    @property
    def table(self) -> SessionGrid:
        return self.query_one(f"#{self.TABLE_ID}", SessionGrid)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.show_status)

    # --- loading ---------------------------------------------------------------------------

    def begin_load(self) -> None:
        self.loaded.begin()
        self.show_status()

    def merge_page(self, sessions: list[GameSession], *,
                   seen: list[str] | None = None) -> None:
        """Put new and changed sessions into the table. ``seen``: every id on the page, when
        ``sessions`` holds only the changed ones."""
        started = time.perf_counter()
        app = game_app(self)
        if app is not None:
            app.note_data()
        table = self.table
        now = dt.datetime.now(dt.UTC)
        hidden: list[str] = []
        with self.app.batch_update():
            for session, old in self.loaded.merge(sessions, seen):
                key = session.game_session_id
                shown = key in table.rows
                if not self.matches(session):
                    if shown:
                        hidden.append(key)
                elif not shown:
                    table.add_row(*session_cells(session, now, key in self.marked), key=key)
                elif old != session:
                    table.update_row(key, session_cells(session, now, key in self.marked))
            table.remove_rows(hidden)
        if self.graceful.watching():
            back = self.graceful.bounced(sessions)
            if back:
                self.notify(bounce_text(back), title="Still running", severity="warning",
                            timeout=20)
        self.apply_seconds += time.perf_counter() - started

    def finish_load(self) -> None:
        """Every page has arrived: rows not seen this time are gone."""
        started = time.perf_counter()
        gone = self.loaded.finish()
        self.marked.difference_update(gone)
        self.table.remove_rows(gone)
        if self.sort_index:
            self.apply_filter()  # new rows were appended; put them in sort order
        self.apply_seconds += time.perf_counter() - started
        self.show_status()

    def load_failed(self, text: str) -> None:
        self.loaded.failed(text)
        self.show_status()

    def show_failure(self, what: str, failure: Failure) -> None:
        """A load that failed: the rows stay, marked stale on the status line, and a toast."""
        self.load_failed(failure.text)
        super().show_failure(what, failure)

    def show_action_failure(self, failure: Failure) -> None:
        """An action's call broke off (per-session failures are in its summary instead): a
        toast; the rows shown are no less fresh for it."""
        Pane.show_failure(self, "AWS error", failure)
        self.show_status()

    def clear_sessions(self) -> None:
        self.loaded.clear()
        self.marked.clear()
        self.table.clear()

    # --- status line -----------------------------------------------------------------------

    def status_head(self) -> list[str]:
        """What the table shows, first on the status line (the fleet, the search)."""
        return []

    def show_status(self) -> None:
        if not self.is_mounted:
            return
        parts = [*self.status_head(), f"{len(self.sessions)} {self.noun}"]
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        hidden = len(ALL_STATUSES) - len(self.statuses)
        if self.filter_text or hidden:
            what = f"'{self.filter_text}' " if self.filter_text else ""
            parts.append(f"filter {what}{f'({hidden} statuses hidden) ' if hidden else ''}"
                         f"{self.table.row_count} shown")
        if self.sort_index:
            parts.append(f"sorted by {SORTS[self.sort_index][0]}")
        if self.draining:
            waiting, players = self.draining
            left = f" ({players} players left)" if players >= 0 else ""
            parts.append(f"⧗ draining {waiting}{left}")
        if self.loading_sessions:
            parts.append("⟳ loading")
        if self.updated_at is not None:
            parts.append(f"updated {int(time.monotonic() - self.updated_at)}s ago")
        if self.error:
            parts.append(f"⚠ STALE: {self.error}")
        # One fixed line (.status-line): new text never changes the layout, so skip it.
        self.query_one(f"#{self.STATUS_ID}", Static).update(" · ".join(parts), layout=False)

    # --- export ----------------------------------------------------------------------------

    def export_table(self) -> ExportTable:
        return self.session_export(self.id or "")

    def session_export(self, pane_id: str, *, expression: str = "",
                       fleet_id: str = "") -> ExportTable:
        """Exactly the rows shown, in their order (filter and sort applied), titled with what
        the table shows (``expression``: a search's filter; ``fleet_id``: the fleet's)."""
        sessions = self.sessions
        return export_sessions([sessions[key] for key in self.table.ordered_keys
                                if key in sessions], pane_id=pane_id, head=self.status_head(),
                               filter_text=self.filter_text, statuses=self.statuses,
                               expression=expression, fleet_id=fleet_id)

    # --- detail ----------------------------------------------------------------------------

    @on(SessionGrid.RowSelected)
    def _session_chosen(self, event: SessionGrid.RowSelected) -> None:
        from tui.ui.screens.session_detail import SessionDetailScreen

        session = self.sessions.get(str(event.row_key.value))
        if session is not None:
            self.app.push_screen(SessionDetailScreen(session))

    # --- marks and targets -----------------------------------------------------------------

    def cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_mark(self) -> None:
        key = self.cursor_key()
        if key is None or key not in self.sessions:
            return
        self.marked.symmetric_difference_update({key})
        table = self.table
        cells = session_cells(self.sessions[key], dt.datetime.now(dt.UTC), key in self.marked)
        table.update_cell(key, "id", cells[0])
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self.show_status()

    def targets(self) -> list[GameSession]:
        keys = [k for k in self.marked if k in self.sessions] or [self.cursor_key() or ""]
        return [self.sessions[k] for k in keys if k in self.sessions]

    def compute_of(self, sessions: list[GameSession]) -> str:
        kinds = sorted({self.fleet_compute.get(s.fleet_id, "?") for s in sessions})
        return " / ".join(kinds) or "?"

    def after_action(self) -> None:
        """Show the result of an action: reload what the table shows."""
        self.refresh_data()

    # --- actions ---------------------------------------------------------------------------

    def action_terminate(self) -> None:
        targets = self.targets()
        if not targets:
            return
        aws = self.aws_context()
        if aws is not None and needs_protection_lookup(targets):
            self.run_call("protection", lambda job: look_up_protection(aws, targets),
                          done=self._protection_known, failed=self.show_action_failure,
                          description="DescribeGameSessionDetails (protection before terminate)",
                          foreground=True)
            return
        self.open_terminate(targets)

    def _protection_known(self, targets: list[GameSession]) -> None:
        found = [s for s in targets if s.protection_policy is not None
                 and s.game_session_id in self.sessions]
        if found:
            self.merge_page(found)  # the row shows what was learnt
        if self.app.screen is self.screen:  # the user did not move on meanwhile
            self.open_terminate(targets)

    def open_terminate(self, targets: list[GameSession]) -> None:
        from tui.ui.screens.confirm import TerminateChoice, TerminateModal

        def chosen(choice: TerminateChoice | None) -> None:
            if not choice:
                return
            ids = [s.game_session_id for s in targets if s.status not in ENDED]
            if choice.drain:
                self.drain_and_terminate(ids, choice.mode)
                return
            mode: gamelift.TerminationMode = (
                "FORCE_TERMINATE" if choice.mode == "FORCE_TERMINATE"
                else "TRIGGER_ON_PROCESS_TERMINATE")
            self.run_bulk("terminated", ids,
                          lambda aws, sid: gamelift.terminate_game_session(aws, sid, mode),
                          graceful=mode == "TRIGGER_ON_PROCESS_TERMINATE")

        self.app.push_screen(TerminateModal(targets, self.compute_of(targets)), chosen)

    def _toggle(self, label: str, field: str, on_value: str, off_value: str,
                current: Callable[[GameSession], str | None]) -> None:
        from tui.services.session_edit import cli_update
        from tui.ui.screens.confirm import ConfirmModal, toggle_text

        targets = self.targets()
        if not targets:
            return
        # One direction for all targets: if any is off, switch all on; else switch all off.
        value = on_value if any(current(s) != on_value for s in targets) else off_value
        body = toggle_text(field, value, targets, current)
        cli = cli_update(targets[0].game_session_id if len(targets) == 1 else "<ARN>",
                         {field: value})
        if len(targets) > 1:
            cli += f"  (once per session, {len(targets)} calls)"

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_bulk(f"set to {value}", [s.game_session_id for s in targets],
                              lambda aws, sid: gamelift.update_game_session(
                                  aws, sid, **{field: value}))

        self.app.push_screen(ConfirmModal(f"{label}: {len(targets)} session(s)", body, cli),
                             confirmed)

    def action_toggle_protection(self) -> None:
        self._toggle("Protection", "ProtectionPolicy", "FullProtection", "NoProtection",
                     lambda s: s.protection_policy)

    def action_toggle_lock(self) -> None:
        self._toggle("New players", "PlayerSessionCreationPolicy", "DENY_ALL", "ACCEPT_ALL",
                     lambda s: s.player_session_creation_policy)

    def action_edit(self) -> None:
        from tui.services.session_edit import SessionUpdate
        from tui.ui.screens.edit_session import EditSessionModal

        session = self.sessions.get(self.cursor_key() or "")
        if session is None:
            return

        def edited(plan: SessionUpdate | None) -> None:
            # The form answers only after its confirmation (old → new and the CLI) said yes,
            # and its plan holds only what differs from the session.
            if plan is not None and not plan.empty:
                self.run_bulk("updated", [plan.game_session_id],
                              lambda aws, sid: gamelift.update_game_session(aws, sid,
                                                                            **plan.params))

        self.app.push_screen(EditSessionModal(session), edited)

    def run_bulk(self, verb: str, ids: list[str], call: SessionCall, *,
                 graceful: bool = False) -> None:
        """``call(aws, id)`` for each id, paced through throttling, beside any other action
        (a change's answer is never dropped); the summary is one toast. Named so as not to
        shadow Textual's ``run_action``."""
        aws = self.aws_context()
        if aws is None:
            return
        self.last_action_ids = list(ids)

        def bulk(job: Job) -> ActionResult:
            action = BulkAction(verb, call, aws.classify, cancelled=lambda: job.cancelled)
            return action.run(aws, ids)

        def finished(result: ActionResult) -> None:
            if graceful:
                self.graceful.asked(result.done)
            self.show_action_result(result)

        self.run_call("actions", bulk, done=finished,
                      failed=self.show_action_failure, exclusive=False,
                      description="session action")

    def drain_and_terminate(self, ids: list[str], mode: str, *, resume: bool = False) -> None:
        """Lock the sessions to new players, then terminate each one when its last player has
        left (``resume``: follow the drains an earlier run left for this target instead)."""
        app = game_app(self)
        if app is None:
            return
        aws, store = app.aws, app.drain_store
        poll_seconds = self.drain_poll_seconds
        run = self.drains.new_run()
        if not resume:
            self.last_action_ids = list(ids)

        def drain(job: Job) -> ActionResult | None:
            flow = DrainRun(store, DrainTarget.of(aws), aws.explain, job.progress,
                            poll_seconds=poll_seconds, cancelled=lambda: job.cancelled)
            return flow.run(aws, ids, mode, resume=resume, read_only=aws.read_only)

        def news(item: DrainNews) -> None:
            self._drain_news(run, item)

        self.run_call("drain", drain, done=self._drain_done, progress=news,
                      failed=self.show_action_failure, exclusive=False,
                      description="drain, then terminate")

    @property
    def draining(self) -> tuple[int, int] | None:
        """(sessions waiting, players left; -1 before the first look) over every drain."""
        return self.drains.draining

    def _drain_news(self, run: int, news: DrainNews) -> None:
        if isinstance(news, DrainsFound):
            self._drains_found(news)
            return
        self.drains.update(run, news.waiting, news.players)
        self.show_status()
        if news.reload:
            self.after_action()

    def _drains_found(self, found: DrainsFound) -> None:
        ids = ", ".join(visible(d.game_session_id.rsplit("/", 1)[-1]) for d in found.drains[:5])
        more = f" and {len(found.drains) - 5} more" if len(found.drains) > 5 else ""
        count = len(found.drains)
        if found.refused:
            self.notify(f"{count} session(s) left draining by an earlier run ({ids}{more}) stay "
                        f"locked and are not followed: {READ_ONLY_HINT} to finish them.",
                        title="drains", severity="warning", timeout=20)
            return
        self.last_action_ids = [d.game_session_id for d in found.drains]
        self.notify(f"Resumed {count} drain(s) left by an earlier run on "
                    f"{found.target.describe()}: {ids}{more}. Each is terminated once its "
                    "last player has left.", title="drains resumed", timeout=15)

    def _drain_done(self, result: ActionResult | None) -> None:
        if result is not None:  # None: nothing was left to resume
            self.show_action_result(result)

    def show_action_result(self, result: ActionResult) -> None:
        self.notify(result.summary, title="Result",
                    severity="warning" if result.failed else "information", timeout=8)
        self.marked.clear()
        self.after_action()

    # --- status filter and sort ------------------------------------------------------------

    def action_status_filter(self) -> None:
        from tui.ui.screens.status_filter import StatusFilterModal

        def chosen(statuses: set[str] | None) -> None:
            if statuses is not None:
                self.statuses = statuses
                self.apply_filter()

        self.app.push_screen(StatusFilterModal(self.statuses), chosen)

    def action_cycle_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.apply_filter()
        self.show_status()

    def ordered(self) -> list[tuple[str, GameSession]]:
        return ordered(self.sessions, self.sort_index)

    # --- quick filter ----------------------------------------------------------------------

    def matches(self, session: GameSession) -> bool:
        return matches(session, self.statuses, self.filter_text)

    @property
    def filter_box(self) -> Input:
        return self.quick_filter_box()

    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.FILTER_ID:
            self.filter_text = event.value.strip()
            self.apply_filter()

    @on(Input.Submitted)
    def _filter_done(self, event: Input.Submitted) -> None:
        if event.input.id == self.FILTER_ID:
            self.table.focus()

    def key_escape(self) -> None:
        if self.close_quick_filter():
            self.table.focus()

    def apply_filter(self) -> None:
        table = self.table
        cursor = self.cursor_key()
        now = dt.datetime.now(dt.UTC)
        table.set_rows([(key, session_cells(session, now, key in self.marked))
                        for key, session in self.ordered() if self.matches(session)])
        if cursor is not None and cursor in table.rows:
            table.move_cursor(row=table.get_row_index(cursor))
        self.show_status()
