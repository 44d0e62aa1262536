"""Sessions pane: the fleet overview and the game sessions of the selected fleet, kept fresh.

Every AWS call runs in a thread worker; results come back as messages. A refresh diffs by
GameSessionId so the cursor, scroll position and row order survive it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui.aws.errors import explain
from tui.aws.records import Fleet, FleetUtilization, GameSession
from tui.services import gamelift
from tui.ui.panes.base import Pane

REFRESH_SECONDS = 15.0
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
REASONS = {"TRIGGERED_ON_PROCESS_TERMINATE": "graceful", "FORCE_TERMINATED": "forced",
           "INTERRUPTED": "interrupted"}
SESSION_COLUMNS = (("id", "Session", 12), ("name", "Name", 14), ("status", "Status", 24),
                   ("players", "Players", 8), ("policy", "New", 5), ("prot", "Prot", 5),
                   ("location", "Location", 14), ("address", "Address", 21), ("age", "Age", 6))
FLEET_COLUMNS = (("name", "Fleet", 20), ("status", "Status", 8), ("compute", "Compute", 9),
                 ("locations", "Loc", 4), ("sessions", "Sessions", 8),
                 ("players", "Players", 11), ("full", "Full", 5))


@dataclass
class FleetRow:
    fleet: Fleet
    utilization: FleetUtilization | None


class FleetsLoaded(Message):
    def __init__(self, rows: list[FleetRow]) -> None:
        super().__init__()
        self.rows = rows


class ActionDone(Message):
    def __init__(self, summary: str, failed: bool) -> None:
        super().__init__()
        self.summary = summary
        self.failed = failed


class SessionsPage(Message):
    def __init__(self, generation: int, sessions: list[GameSession], done: bool) -> None:
        super().__init__()
        self.generation = generation
        self.sessions = sessions
        self.done = done


def _age(created: dt.datetime | None, now: dt.datetime) -> str:
    if created is None:
        return "?"
    seconds = max(0, int((now - created).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 86400}d"


def session_cells(session: GameSession, now: dt.datetime,
                  marked: bool = False) -> tuple[str, ...]:
    reason = REASONS.get(session.status_reason or "", session.status_reason)
    status = session.status + (f" ({reason})" if reason else "")
    address = f"{session.ip_address}:{session.port}" if session.ip_address else "-"
    return (
        ("● " if marked else "") + session.short_id[-(10 if marked else 12):],
        session.name or "-", status,
        f"{session.current_player_session_count}/{session.maximum_player_session_count}",
        "deny" if session.player_session_creation_policy == "DENY_ALL" else "open",
        "full" if session.protection_policy == "FullProtection" else "-",
        session.location or "-", address, _age(session.creation_time, now),
    )


def fleet_cells(row: FleetRow) -> tuple[str, ...]:
    fleet, util = row.fleet, row.utilization
    sessions = str(util.active_game_session_count) if util else "?"
    players = (f"{util.current_player_session_count}/{util.maximum_player_session_count}"
               if util else "?")
    full = f"{util.percent_full:.0f}%" if util and util.percent_full is not None else "?"
    return (fleet.name, fleet.status, fleet.compute_type, str(len(fleet.locations) or 1),
            sessions, players, full)


class SessionsPane(Pane):
    DEFAULT_CSS = """
    SessionsPane #fleet-table { height: auto; max-height: 9; }
    SessionsPane #session-table { height: 1fr; }
    SessionsPane .status-line { height: 1; background: $boost; padding: 0 1; }
    SessionsPane #quick-filter { display: none; height: 3; }
    SessionsPane #quick-filter.shown { display: block; }
    """
    BINDINGS = [
        Binding("slash", "quick_filter", "Filter rows"),
        Binding("space", "mark", "Mark"),
        Binding("t", "terminate", "Terminate"),
        Binding("p", "toggle_protection", "Protect"),
        Binding("l", "toggle_lock", "Lock"),
        Binding("e", "edit", "Edit"),
        Binding("n", "create", "New session"),
        Binding("f", "status_filter", "Statuses"),
        Binding("s", "cycle_sort", "Sort"),
    ]

    title = "Sessions"

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.fleet_rows: dict[str, FleetRow] = {}
        self.sessions: dict[str, GameSession] = {}
        self.fleet_id: str | None = None
        self.generation = 0
        self._seen: set[str] = set()
        self.updated_at: float | None = None
        self.error: str | None = None
        self.loading_sessions = False
        self.filter_text = ""
        self.marked: set[str] = set()
        self.statuses: set[str] = {"ACTIVE", "ACTIVATING", "TERMINATING", "TERMINATED", "ERROR"}
        self.sort_index = 0

    def compose(self) -> ComposeResult:
        fleets = DataTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in FLEET_COLUMNS:
            fleets.add_column(label, key=key, width=width)
        yield fleets
        yield Static("", id="fleet-status", classes="status-line")
        sessions = DataTable(id="session-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in SESSION_COLUMNS:
            sessions.add_column(label, key=key, width=width)
        yield sessions
        yield Input(placeholder="filter: id, name, IP/DNS, property key or value (esc clears)",
                    id="quick-filter")
        yield Static("loading fleets…", id="session-status", classes="status-line")

    def on_mount(self) -> None:
        fleets = self.query_one("#fleet-table", DataTable)
        fleets.loading = True
        self.load_fleets()
        self.set_interval(1.0, self.show_status)
        self._schedule_refresh()

    # --- fleets ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fleets", exit_on_error=False,
          description="ListFleets + DescribeFleetAttributes/Utilization")
    def load_fleets(self) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        fleets = gamelift.list_fleets(aws)
        utilization = {u.fleet_id: u for u in
                       gamelift.fleet_utilization(aws, [f.fleet_id for f in fleets])}
        rows = [FleetRow(f, utilization.get(f.fleet_id)) for f in fleets]
        self.post_message(FleetsLoaded(rows))

    def on_fleets_loaded(self, message: FleetsLoaded) -> None:
        table = self.query_one("#fleet-table", DataTable)
        table.loading = False
        first_load = not self.fleet_rows
        with self.app.batch_update():
            for row in message.rows:
                key = row.fleet.fleet_id
                cells = fleet_cells(row)
                if key in self.fleet_rows:
                    for (column, _, _), value in zip(FLEET_COLUMNS, cells, strict=True):
                        table.update_cell(key, column, value)
                else:
                    table.add_row(*cells, key=key)
                self.fleet_rows[key] = row
        self.query_one("#fleet-status", Static).update(
            f"{len(self.fleet_rows)} fleets · enter shows a fleet's sessions")
        if first_load and message.rows:
            # Focusing inside a hidden tab would switch tabs under the user's feet.
            if self._is_active_pane():
                table.focus()
            self.select_fleet(message.rows[0].fleet.fleet_id)

    @on(DataTable.RowSelected, "#session-table")
    def session_chosen(self, event: DataTable.RowSelected) -> None:
        from tui.ui.screens.session_detail import SessionDetailScreen

        session = self.sessions.get(str(event.row_key.value))
        if session is not None:
            self.app.push_screen(SessionDetailScreen(session))

    @on(DataTable.RowSelected, "#fleet-table")
    def fleet_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.select_fleet(event.row_key.value)
            self.query_one("#session-table", DataTable).focus()

    def select_fleet(self, fleet_id: str) -> None:
        if fleet_id != self.fleet_id:
            self.fleet_id = fleet_id
            self.sessions.clear()
            self.query_one("#session-table", DataTable).clear()
        self.load_sessions()

    # --- sessions --------------------------------------------------------------------------

    def load_sessions(self) -> None:
        if self.fleet_id is None:
            return
        self.generation += 1
        self._seen = set()
        self.loading_sessions = True
        self.error = None
        self.show_status()
        self._page_sessions(self.fleet_id, self.generation)

    @work(thread=True, exclusive=True, group="sessions", exit_on_error=False,
          description="DescribeGameSessionDetails")
    def _page_sessions(self, fleet_id: str, generation: int) -> None:
        worker = get_current_worker()
        aws = self.app.aws  # type: ignore[attr-defined]
        pages = gamelift.iter_game_session_pages(aws, fleet_id,
                                                 cancelled=lambda: worker.is_cancelled)
        for page in pages:
            if worker.is_cancelled:
                return
            self.post_message(SessionsPage(generation, page, done=False))
        self.post_message(SessionsPage(generation, [], done=True))

    def on_sessions_page(self, message: SessionsPage) -> None:
        if message.generation != self.generation:
            return  # a page of a fleet the user has left
        table = self.query_one("#session-table", DataTable)
        now = dt.datetime.now(dt.UTC)
        with self.app.batch_update():
            for session in message.sessions:
                key = session.game_session_id
                self._seen.add(key)
                old = self.sessions.get(key)
                self.sessions[key] = session
                shown = key in table.rows
                if not self.matches(session):
                    if shown:
                        table.remove_row(key)
                elif not shown:
                    table.add_row(*session_cells(session, now, key in self.marked), key=key)
                elif old != session:
                    cells = session_cells(session, now, key in self.marked)
                    for (column, _, _), value in zip(SESSION_COLUMNS, cells, strict=True):
                        table.update_cell(key, column, value)
            if message.done:
                for key in [k for k in self.sessions if k not in self._seen]:
                    del self.sessions[key]
                    if key in table.rows:
                        table.remove_row(key)
        if message.done and self.sort_index:
            self.apply_filter()  # new rows were appended; put them in sort order
        if message.done:
            self.loading_sessions = False
            self.updated_at = time.monotonic()
            self.show_status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        text = explain(event.worker.error or RuntimeError("unknown error"))
        if event.worker.group == "fleets":
            self.query_one("#fleet-table", DataTable).loading = False
            self.query_one("#fleet-status", Static).update(f"⚠ fleets not loaded: {text}")
        else:
            self.loading_sessions = False
            self.error = text
            self.show_status()
        self.notify(text, title="AWS error", severity="error")

    def show_status(self) -> None:
        if not self.is_mounted:
            return
        fleet = self.fleet_rows.get(self.fleet_id or "")
        parts = [fleet.fleet.name if fleet else "no fleet", f"{len(self.sessions)} sessions"]
        if self.filter_text or len(self.statuses) < 5:
            shown = self.query_one("#session-table", DataTable).row_count
            what = f"'{self.filter_text}' " if self.filter_text else ""
            hidden = 5 - len(self.statuses)
            parts.append(f"filter {what}{f'({hidden} statuses hidden) ' if hidden else ''}"
                         f"{shown} shown")
        if self.sort_index:
            parts.append(f"sorted by {SORTS[self.sort_index][0]}")
        if self.loading_sessions:
            parts.append("⟳ loading")
        if self.updated_at is not None:
            age = int(time.monotonic() - self.updated_at)
            parts.append(f"updated {age}s ago")
        if self.error:
            parts.append(f"⚠ STALE: {self.error}")
        self.query_one("#session-status", Static).update(" · ".join(parts))

    # --- marks and actions -----------------------------------------------------------------

    def cursor_key(self) -> str | None:
        table = self.query_one("#session-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_mark(self) -> None:
        key = self.cursor_key()
        if key is None or key not in self.sessions:
            return
        self.marked.symmetric_difference_update({key})
        table = self.query_one("#session-table", DataTable)
        cells = session_cells(self.sessions[key], dt.datetime.now(dt.UTC), key in self.marked)
        table.update_cell(key, "id", cells[0])
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self.show_status()

    def targets(self) -> list[GameSession]:
        keys = [k for k in self.marked if k in self.sessions] or [self.cursor_key() or ""]
        return [self.sessions[k] for k in keys if k in self.sessions]

    def action_terminate(self) -> None:
        from tui.ui.screens.confirm import TerminateModal

        targets = self.targets()
        if not targets:
            return
        fleet = self.fleet_rows.get(self.fleet_id or "")
        compute = fleet.fleet.compute_type if fleet else "?"

        def chosen(mode: str | None) -> None:
            if mode:
                ids = [s.game_session_id for s in targets
                       if s.status not in ("ERROR", "TERMINATING", "TERMINATED")]
                self.run_action("terminated", ids, lambda aws, sid: gamelift.terminate_game_session(
                    aws, sid, mode))

        self.app.push_screen(TerminateModal(targets, compute), chosen)

    def _toggle(self, label: str, field: str, on_value: str, off_value: str,
                current: Callable[[GameSession], str | None], cli_flag: str) -> None:
        from tui.ui.screens.confirm import ConfirmModal, describe_sessions

        targets = self.targets()
        if not targets:
            return
        # One direction for all targets: if any is off, switch all on; else switch all off.
        value = on_value if any(current(s) != on_value for s in targets) else off_value
        body = f"Set {field} = {value} on:\n{describe_sessions(targets)}"
        cli = (f"aws gamelift update-game-session --game-session-id <ARN> "
               f"{cli_flag} {value}")

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
        from tui.ui.screens.edit_session import EditSessionModal

        key = self.cursor_key()
        session = self.sessions.get(key or "")
        if session is None:
            return

        def edited(changes: dict[str, Any] | None) -> None:
            if changes:
                params = dict(changes)
                if "GameProperties" in params:
                    params["GameProperties"] = [{"Key": k, "Value": v}
                                                for k, v in params["GameProperties"]]
                self.run_action("updated", [session.game_session_id],
                                lambda aws, sid: gamelift.update_game_session(aws, sid, **params))

        self.app.push_screen(EditSessionModal(session), edited)

    def action_create(self) -> None:
        from tui.ui.screens.edit_session import CreateSessionModal

        row = self.fleet_rows.get(self.fleet_id or "")
        if row is None:
            return
        fleet_id = row.fleet.fleet_id

        def filled(form: dict[str, Any] | None) -> None:
            if form:
                args = dict(form)
                maximum = args.pop("maximum_player_session_count")
                self.run_action("created", [fleet_id],
                                lambda aws, fid: gamelift.create_game_session(
                                    aws, fid, maximum, **args))

        token = gamelift.new_idempotency_token()
        self.app.push_screen(CreateSessionModal(row.fleet.name, row.fleet.locations, token),
                             filled)

    @work(thread=True, group="actions", exit_on_error=False, description="session action")
    def run_action(self, verb: str, ids: list[str],
                   call: Callable[[Any, str], object]) -> None:
        from botocore.exceptions import ClientError

        from tui.aws.guard import ReadOnlyViolation

        aws = self.app.aws  # type: ignore[attr-defined]
        outcomes: Counter[str] = Counter()
        first_error = ""
        for sid in ids:
            try:
                call(aws, sid)
                outcomes[verb] += 1
            except ReadOnlyViolation as err:
                outcomes["refused (read-only)"] += 1
                first_error = first_error or str(err)
            except ClientError as err:
                outcomes[err.response.get("Error", {}).get("Code", "error")] += 1
                first_error = first_error or explain(err)
            except Exception as err:  # network loss etc.: report it per session, keep going
                outcomes[type(err).__name__] += 1
                first_error = first_error or explain(err)
        summary = ", ".join(f"{n} {what}" for what, n in outcomes.items())
        if first_error:
            summary += f" — {first_error}"
        self.post_message(ActionDone(summary, failed=bool(first_error)))

    def on_action_done(self, message: ActionDone) -> None:
        self.notify(message.summary, title="Result",
                    severity="warning" if message.failed else "information", timeout=8)
        self.marked.clear()
        self.load_sessions()

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

    def action_quick_filter(self) -> None:
        box = self.query_one("#quick-filter", Input)
        box.add_class("shown")
        # A widget that is still display:none can't take focus; wait for the restyle.
        self.call_after_refresh(box.focus)

    @on(Input.Changed, "#quick-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.apply_filter()

    @on(Input.Submitted, "#quick-filter")
    def filter_done(self) -> None:
        self.query_one("#session-table", DataTable).focus()

    def key_escape(self) -> None:
        box = self.query_one("#quick-filter", Input)
        if box.has_class("shown"):
            box.value = ""
            box.remove_class("shown")
            self.query_one("#session-table", DataTable).focus()

    def apply_filter(self) -> None:
        table = self.query_one("#session-table", DataTable)
        cursor = (table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
                  if table.row_count else None)
        now = dt.datetime.now(dt.UTC)
        with self.app.batch_update():
            table.clear()
            for key, session in self.ordered():
                if self.matches(session):
                    table.add_row(*session_cells(session, now, key in self.marked), key=key)
            if cursor is not None and cursor in table.rows:
                table.move_cursor(row=table.get_row_index(cursor))
        self.show_status()

    # --- refresh ---------------------------------------------------------------------------

    def _schedule_refresh(self) -> None:
        # Re-armed after each tick so that polls never overlap (Dolphie's pattern).
        self.set_timer(REFRESH_SECONDS, self._periodic_refresh)

    def _periodic_refresh(self) -> None:
        # Hidden panes and open modals don't poll: AWS warns against continuous polling.
        typing = self.query_one("#quick-filter", Input).has_focus
        visible = self.app.screen is self.screen and self._is_active_pane() and not typing
        if visible and not self.loading_sessions:
            self.refresh_data()
        self._schedule_refresh()

    def _is_active_pane(self) -> bool:
        return getattr(self.app, "active_pane_id", lambda: "sessions")() == "sessions"

    def refresh_data(self) -> None:
        self.load_fleets()
        self.load_sessions()
