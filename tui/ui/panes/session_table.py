"""What the Sessions and Search panes share: a table of game sessions and the actions on it.

The table is kept in place: pages merge by GameSessionId, so a reload changes only the rows that
changed and the cursor, marks, sort and filter survive. Every action runs in a thread worker
through the aws layer (read-only guard, audit log) and reports one line of per-session outcomes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tui.aws.errors import is_throttled
from tui.aws.records import GameSession
from tui.services import gamelift
from tui.services.drains import Drain, DrainStore, DrainStoreError, DrainTarget, DrainWorkflow
from tui.trust import visible
from tui.ui.panes.base import Pane
from tui.ui.panes.quick_filter import QuickFilter
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import ReadOnlyKeys, game_app
from tui.ui.widgets.plain import Plain, SafeInput
from tui.ui.widgets.session_grid import SessionGrid


def _epoch(value: dt.datetime | None) -> float:
    return value.timestamp() if value else 0.0


# (label, key, descending): `s` cycles through these; index 0 is the service's own order.
SORTS: tuple[tuple[str, Callable[[GameSession], Any], bool], ...] = (
    ("service order", lambda s: 0, False),
    ("players", lambda s: s.current_player_session_count, True),
    ("age (oldest first)", lambda s: _epoch(s.creation_time), False),
    ("status", lambda s: s.status, False),
    ("name", lambda s: s.name.casefold(), False),
)
ALL_STATUSES = frozenset({"ACTIVE", "ACTIVATING", "TERMINATING", "TERMINATED", "ERROR"})
REASONS = {"TRIGGERED_ON_PROCESS_TERMINATE": "graceful", "FORCE_TERMINATED": "forced",
           "INTERRUPTED": "interrupted"}
SESSION_COLUMNS = (("id", "Session", 12), ("name", "Name", 14), ("status", "Status", 24),
                   ("players", "Players", 8), ("policy", "New", 4), ("prot", "Prot", 4),
                   ("location", "Location", 14), ("address", "Address", 21), ("age", "Age", 6))
# Which columns give way first when the terminal is narrow (1: always shown).
COLUMN_PRIORITY = {"id": 1, "status": 1, "players": 1, "name": 2, "policy": 3, "prot": 3,
                   "age": 4, "location": 5, "address": 6}
ENDED = ("ERROR", "TERMINATING", "TERMINATED")
# Before a terminate, sessions whose ProtectionPolicy is unknown (Search results) are described
# one by one so the dialog can say which are protected; beyond this many it says "unknown"
# instead (DescribeGameSessionDetails is limited to 30 a second for the whole account).
PROTECTION_LOOKUPS = 20


class ActionDone(Message):
    def __init__(self, summary: str, failed: bool) -> None:
        super().__init__()
        self.summary = summary
        self.failed = failed


class ProtectionKnown(Message):
    """The terminate targets, with ProtectionPolicy looked up where it was unknown."""

    def __init__(self, targets: list[GameSession]) -> None:
        super().__init__()
        self.targets = targets


class DrainsResumed(Message):
    """Drains an earlier run left for this target, found at start (``refused``: read-only)."""

    def __init__(self, drains: list[Drain], target: DrainTarget, *, refused: bool) -> None:
        super().__init__()
        self.drains = drains
        self.target = target
        self.refused = refused


class DrainProgress(Message):
    def __init__(self, run: int, waiting: int, players: int, *, reload: bool = False) -> None:
        super().__init__()
        self.run = run  # which drain of the pane (several may run side by side)
        self.waiting = waiting
        self.players = players
        self.reload = reload


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


def _error_code(err: Exception) -> str:
    from botocore.exceptions import ClientError

    from tui.aws.errors import OutcomeUnknown

    if isinstance(err, OutcomeUnknown):
        # Not a failure: the answer was lost and reading back could not tell (the summary's
        # first error says what to check).
        return "outcome unknown"
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "error"))
    return type(err).__name__


def _summary(outcomes: Counter[str], first_error: str) -> str:
    text = ", ".join(f"{n} {what}" for what, n in outcomes.items()) or "nothing to do"
    return text + (f" — {first_error}" if first_error else "")


class SessionTablePane(ReadOnlyKeys, QuickFilter, Pane):
    """A pane with a session table. Subclasses yield ``compose_table()`` in their layout and
    feed rows with ``begin_load`` / ``merge_page`` / ``finish_load``."""

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
        self.sessions: dict[str, GameSession] = {}
        self.fleet_compute: dict[str, str] = {}
        self._seen: set[str] = set()
        self.updated_at: float | None = None
        self.error: str | None = None
        self.loading_sessions = False
        self.filter_text = ""
        self.marked: set[str] = set()
        self.statuses: set[str] = set(ALL_STATUSES)
        self.sort_index = 0
        self._drains: dict[int, tuple[int, int]] = {}  # drain run → (waiting, players left)
        self._drain_run_ids = itertools.count(1)
        self.last_action_ids: list[str] = []
        self.apply_seconds = 0.0  # time spent putting pages into the table (benchmarks read it)

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
        self._seen = set()
        self.loading_sessions = True
        self.error = None
        self.show_status()

    def merge_page(self, sessions: list[GameSession], *,
                   seen: list[str] | None = None) -> None:
        """Put new and changed sessions into the table. ``seen``: every id on the page, when
        ``sessions`` holds only the changed ones."""
        started = time.perf_counter()
        app = game_app(self)
        if app is not None:
            app.note_data()
        if seen is not None:
            self._seen.update(seen)
        table = self.table
        now = dt.datetime.now(dt.UTC)
        hidden: list[str] = []
        with self.app.batch_update():
            for session in sessions:
                key = session.game_session_id
                self._seen.add(key)
                old = self.sessions.get(key)
                self.sessions[key] = session
                shown = key in table.rows
                if not self.matches(session):
                    if shown:
                        hidden.append(key)
                elif not shown:
                    table.add_row(*session_cells(session, now, key in self.marked), key=key)
                elif old != session:
                    table.update_row(key, session_cells(session, now, key in self.marked))
            table.remove_rows(hidden)
        self.apply_seconds += time.perf_counter() - started

    def finish_load(self) -> None:
        """Every page has arrived: rows not seen this time are gone."""
        started = time.perf_counter()
        gone = [k for k in self.sessions if k not in self._seen]
        for key in gone:
            del self.sessions[key]
            self.marked.discard(key)
        self.table.remove_rows(gone)
        if self.sort_index:
            self.apply_filter()  # new rows were appended; put them in sort order
        self.apply_seconds += time.perf_counter() - started
        self.loading_sessions = False
        self.updated_at = time.monotonic()
        self.show_status()

    def load_failed(self, text: str) -> None:
        self.loading_sessions = False
        self.error = text
        self.show_status()

    def clear_sessions(self) -> None:
        self.sessions.clear()
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
        unknown = sum(1 for s in targets if s.protection_policy is None)
        if 0 < unknown <= PROTECTION_LOOKUPS:
            self._look_up_protection(targets)
            return
        self.open_terminate(targets)

    @work(thread=True, exclusive=True, group="protection", exit_on_error=False,
          description="DescribeGameSessionDetails (protection before terminate)")
    def _look_up_protection(self, targets: list[GameSession]) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        known: list[GameSession] = []
        for session in targets:
            if session.protection_policy is None:
                try:
                    session = gamelift.describe_game_session(aws, session.game_session_id)
                except Exception:  # noqa: BLE001 - stays unknown, and the dialog says so
                    pass
            known.append(session)
        self.post_message(ProtectionKnown(known))

    def on_protection_known(self, message: ProtectionKnown) -> None:
        found = [s for s in message.targets if s.protection_policy is not None
                 and s.game_session_id in self.sessions]
        if found:
            self.merge_page(found)  # the row shows what was learnt
        if self.app.screen is self.screen:  # the user did not move on meanwhile
            self.open_terminate(message.targets)

    def open_terminate(self, targets: list[GameSession]) -> None:
        from tui.ui.screens.confirm import TerminateChoice, TerminateModal

        def chosen(choice: TerminateChoice | None) -> None:
            if not choice:
                return
            ids = [s.game_session_id for s in targets if s.status not in ENDED]
            if choice.drain:
                self.drain_and_terminate(ids, choice.mode)
            else:
                self.run_action("terminated", ids, lambda aws, sid: gamelift.terminate_game_session(
                    aws, sid, choice.mode))

        self.app.push_screen(TerminateModal(targets, self.compute_of(targets)), chosen)

    def _toggle(self, label: str, field: str, on_value: str, off_value: str,
                current: Callable[[GameSession], str | None], cli_flag: str) -> None:
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
                self.run_action(f"set to {value}", [s.game_session_id for s in targets],
                                lambda aws, sid: gamelift.update_game_session(
                                    aws, sid, **{field: value}))

        self.app.push_screen(ConfirmModal(f"{label}: {len(targets)} session(s)", body, cli),
                             confirmed)

    def action_toggle_protection(self) -> None:
        self._toggle("Protection", "ProtectionPolicy", "FullProtection", "NoProtection",
                     lambda s: s.protection_policy, "--protection-policy")

    def action_toggle_lock(self) -> None:
        self._toggle("New players", "PlayerSessionCreationPolicy", "DENY_ALL", "ACCEPT_ALL",
                     lambda s: s.player_session_creation_policy,
                     "--player-session-creation-policy")

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
                self.run_action("updated", [plan.game_session_id],
                                lambda aws, sid: gamelift.update_game_session(aws, sid,
                                                                              **plan.params))

        self.app.push_screen(EditSessionModal(session), edited)

    @work(thread=True, group="actions", exit_on_error=False, description="session action")
    def run_action(self, verb: str, ids: list[str],
                   call: Callable[[Any, str], object]) -> None:
        from tui.aws.guard import ReadOnlyViolation

        self.last_action_ids = list(ids)
        aws = self.app.aws  # type: ignore[attr-defined]
        outcomes: Counter[str] = Counter()
        first_error = ""
        for index, sid in enumerate(ids):
            try:
                self._call_paced(lambda sid=sid: call(aws, sid), index)
                outcomes[verb] += 1
            except ReadOnlyViolation as err:
                outcomes["refused (read-only)"] += 1
                first_error = first_error or str(err)
            except Exception as err:  # network loss etc.: report it per session, keep going
                outcomes[_error_code(err)] += 1
                first_error = first_error or self.app.aws.explain(err)
        self.post_message(ActionDone(_summary(outcomes, first_error), failed=bool(first_error)))

    def _call_paced(self, call: Callable[[], object], index: int) -> object:
        """One call of a bulk action. botocore already retries throttling; when it still gives
        up, wait a little longer and try again so a bulk action finishes instead of failing
        half-way. Only throttling: the service refused the call, so repeating it cannot apply
        it twice (a lost answer is read back by the services layer, never repeated)."""
        delay = 1.0
        for _attempt in range(4):
            try:
                return call()
            except Exception as err:
                if not is_throttled(err) or get_current_worker().is_cancelled:
                    raise
                time.sleep(delay)
                delay *= 2
        return call()

    @work(thread=True, group="drain", exit_on_error=False, description="drain, then terminate")
    def drain_and_terminate(self, ids: list[str], mode: str, *, resume: bool = False) -> None:
        """Lock the sessions to new players, then terminate each one when its last player has
        left (``resume``: follow the drains an earlier run left for this target instead). The
        workflow and the state file that outlives the app are in tui.services.drains; this
        draws its progress."""
        self.last_action_ids = list(ids)
        worker = get_current_worker()
        aws = self.app.aws  # type: ignore[attr-defined]
        app = game_app(self)
        store = app.drain_store if app is not None else DrainStore()
        target = DrainTarget.of(aws)
        run = next(self._drain_run_ids)
        flow = DrainWorkflow(aws, store, target, poll_seconds=self.drain_poll_seconds,
                             explain=aws.explain, cancelled=lambda: worker.is_cancelled)
        if resume:
            try:
                pending = store.pending(target)
            except DrainStoreError as err:
                self.post_message(ActionDone(f"drains of an earlier run not resumed: {err}",
                                             failed=True))
                return
            if not pending:
                return
            self.post_message(DrainsResumed(pending, target, refused=aws.read_only))
            if aws.read_only:  # the guard would refuse each terminate: leave them for later
                return
            self.last_action_ids = [d.game_session_id for d in pending]
            flow.resume(pending)
        else:
            try:
                flow.start(ids, mode)
            except DrainStoreError as err:  # not remembered → not locked: nothing was sent
                self.post_message(ActionDone(f"drain not started, nothing sent: {err}",
                                             failed=True))
                return
        # Show the locks now; the drain's own polling is not a reason to reload the table.
        self.post_message(DrainProgress(run, len(flow.report.waiting), -1, reload=True))
        report = flow.run(lambda r: self.post_message(DrainProgress(run, len(r.waiting),
                                                                    r.players)))
        self.post_message(DrainProgress(run, 0, 0))
        if self.app.is_running:
            self.post_message(ActionDone(report.summary(), failed=bool(report.first_error)))

    @property
    def draining(self) -> tuple[int, int] | None:
        """(sessions waiting, players left; -1 before the first look) over every drain."""
        runs = [r for r in self._drains.values() if r[0]]
        if not runs:
            return None
        players = -1 if any(p < 0 for _, p in runs) else sum(p for _, p in runs)
        return sum(w for w, _ in runs), players

    def on_drains_resumed(self, message: DrainsResumed) -> None:
        ids = ", ".join(visible(d.game_session_id.rsplit("/", 1)[-1]) for d in message.drains[:5])
        more = f" and {len(message.drains) - 5} more" if len(message.drains) > 5 else ""
        count = len(message.drains)
        if message.refused:
            self.notify(f"{count} session(s) left draining by an earlier run ({ids}{more}) stay "
                        f"locked and are not followed: {READ_ONLY_HINT} to finish them.",
                        title="drains", severity="warning", timeout=20)
            return
        self.notify(f"Resumed {count} drain(s) left by an earlier run on "
                    f"{message.target.describe()}: {ids}{more}. Each is terminated once its "
                    "last player has left.", title="drains resumed", timeout=15)

    def on_drain_progress(self, message: DrainProgress) -> None:
        if message.waiting:
            self._drains[message.run] = (message.waiting, message.players)
        else:
            self._drains.pop(message.run, None)
        self.show_status()
        if message.reload:
            self.after_action()

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.summary, title="Result",
                    severity="warning" if message.failed else "information", timeout=8)
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
        if not self.sort_index:
            return list(self.sessions.items())
        _, key_of, reverse = SORTS[self.sort_index]
        return sorted(self.sessions.items(), key=lambda item: key_of(item[1]), reverse=reverse)

    # --- quick filter ----------------------------------------------------------------------

    def matches(self, session: GameSession) -> bool:
        if session.status not in self.statuses:
            return False
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        haystack = [session.game_session_id, session.name, session.ip_address or "",
                    session.dns_name or ""]
        haystack += [part for pair in session.game_properties for part in pair]
        return any(needle in text.casefold() for text in haystack)

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
