"""Sessions pane: the fleet overview and the game sessions of the selected fleet(s), kept fresh.

The model (``tui.models.sessions.SessionsModel``) holds the fleets, the fleet chosen, what to
page and the refresh policy with its back-off; this widget draws it and runs its calls through
``run_call``. A refresh diffs by GameSessionId so the cursor, scroll position and row order
survive it. Its CSS is ``sessions.tcss`` beside this file (the app loads every pane's).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import DataTable, Static

from tui.aws.errors import Failure
from tui.models.sessions import (
    ALL_FLEETS,
    PAGING_CONCURRENCY,
    REFRESH_SECONDS,
    SessionsModel,
    SessionsPage,
    export_fleets,
)
from tui.services import gamelift
from tui.services.gamelift import FleetRow
from tui.ui.contract import game_app
from tui.ui.panes.base import Pane
from tui.ui.panes.session_table import SessionTablePane
from tui.ui.widgets.plain import Plain, cell, cells
from tui.ui.work import Job

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tui.config import Settings
    from tui.services.export import ExportTable

# Kept importable from here (the benchmark and tests use them).
__all__ = ["ALL_FLEETS", "FLEET_COLUMNS", "FleetTable", "SessionsPane", "all_fleets_cells",
           "fleet_cells"]

# The counts size themselves to their widest value (None): a fixed width cut a fleet of 1,254
# instances to "1254/12". Counts from 10,000 up are shortened ("35k") to stay in 80 columns.
FLEET_COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("name", "Fleet", 18), ("status", "Status", 8), ("compute", "Compute", 9),
    ("locations", "Loc", 3), ("instances", "Inst", None), ("sessions", "Sess", None),
    ("players", "Players", None), ("full", "Full", None))


class FleetTable(DataTable[str]):
    """The fleet list. Notes when its rows are first drawn into a frame: the cold-start
    benchmark's "first painted fleet list" (the screen may go on settling after that frame,
    with the fleets already in front of the user)."""

    rows_drawn_at: float | None = None

    def render_line(self, y: int) -> Strip:
        if self.rows_drawn_at is None and y > 0 and self.row_count:  # line 0 is the header
            self.rows_drawn_at = time.perf_counter()
        return super().render_line(y)


def _count(number: int) -> str:
    if number < 10_000:
        return str(number)
    if number < 999_500:
        return f"{number / 1000:.0f}k"
    return f"{number / 1_000_000:.1f}M"


def _ratio(current: int, maximum: int) -> str:
    return f"{_count(current)}/{_count(maximum)}"


def fleet_cells(row: FleetRow) -> tuple[str, ...]:
    fleet, util, cap = row.fleet, row.utilization, row.capacity
    sessions = _count(util.active_game_session_count) if util else "?"
    players = (_ratio(util.current_player_session_count, util.maximum_player_session_count)
               if util else "?")
    full = f"{util.percent_full:.0f}%" if util and util.percent_full is not None else "?"
    instances = _ratio(cap.desired, cap.active) if cap else "-"
    return (fleet.name, fleet.status, fleet.compute_type, str(len(fleet.locations) or 1),
            instances, sessions, players, full)


def all_fleets_cells(rows: list[FleetRow]) -> tuple[str, ...]:
    utils = [r.utilization for r in rows if r.utilization]
    sessions = sum(u.active_game_session_count for u in utils)
    current = sum(u.current_player_session_count for u in utils)
    maximum = sum(u.maximum_player_session_count for u in utils)
    full = f"{100 * current / maximum:.0f}%" if maximum else "-"
    caps = [r.capacity for r in rows if r.capacity]
    instances = _ratio(sum(c.desired for c in caps), sum(c.active for c in caps)) if caps else "-"
    return (f"(all {len(rows)} fleets)", "", "", "", instances, _count(sessions),
            _ratio(current, maximum), full)


class SessionsPane(SessionTablePane):
    BINDINGS = [Binding("n", "create", "New session", id="sessions.new"),
                Binding("a", "all_fleets", "All fleets", id="sessions.all-fleets")]

    title = "Sessions"

    def __init__(self, *, id: str) -> None:  # noqa: A002
        self.model = SessionsModel(refresh_seconds=REFRESH_SECONDS,
                                   paging_concurrency=PAGING_CONCURRENCY)
        super().__init__(id=id)
        self.fleets_painted_at: float | None = None

    # The model's state under the names the app, the benchmark and tests read.

    @property
    def refresh_seconds(self) -> float:
        return self.model.policy.seconds

    @refresh_seconds.setter
    def refresh_seconds(self, value: float) -> None:
        self.model.policy.seconds = value

    @property
    def interval(self) -> float:
        """The current refresh interval (backed off after throttling)."""
        return self.model.policy.interval

    @interval.setter
    def interval(self, value: float) -> None:
        self.model.policy.interval = value

    @property
    def paging_concurrency(self) -> int:
        return self.model.paging_concurrency

    @paging_concurrency.setter
    def paging_concurrency(self, value: int) -> None:
        self.model.paging_concurrency = value

    @property
    def fleet_rows(self) -> dict[str, FleetRow]:
        return self.model.fleet_rows

    @property
    def fleet_id(self) -> str | None:
        return self.model.fleet_id

    def compose(self) -> ComposeResult:
        fleets = FleetTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in FLEET_COLUMNS:
            fleets.add_column(label, key=key, width=width)
        yield fleets
        yield Plain("", id="fleet-status", classes="status-line")
        yield from self.compose_table()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(f"#{self.STATUS_ID}", Static).update("loading fleets…")
        self._schedule_refresh()

    def first_load(self) -> None:
        # Counts as a refresh: a slow first ListFleets must not be cancelled by the first
        # timer tick and sent again.
        self.model.policy.started()
        # The app asks for the overview while it starts; the first load takes it.
        app = game_app(self)
        early = app.take_prefetched_fleets(app.aws) if app is not None else None
        if early is not None and early.done() and early.exception() is None:
            # Already here: the first frame shows the fleets, with no loading frame before.
            self.show_fleets(early.result())
            return
        self.query_one("#fleet-table", DataTable).loading = True
        self.load_fleets(early)

    # --- fleets ----------------------------------------------------------------------------

    def load_fleets(self, early: Future[list[FleetRow]] | None = None) -> None:
        aws = self.aws_context()
        if aws is None:
            return
        self.run_call("fleets", lambda job: SessionsModel.load_fleets(aws, early),
                      done=self.show_fleets, failed=self._fleets_failed,
                      description="ListFleets + DescribeFleetAttributes/Capacity/Utilization")

    def show_fleets(self, rows: list[FleetRow]) -> None:
        table = self.query_one("#fleet-table", DataTable)
        table.loading = False
        first_load = self.model.put_fleets(rows)
        with self.app.batch_update():
            for row in rows:
                key = row.fleet.fleet_id
                self._put_fleet_row(table, key, fleet_cells(row))
                self.fleet_compute[key] = row.fleet.compute_type
            if len(self.fleet_rows) > 1:
                self._put_fleet_row(table, ALL_FLEETS,
                                    all_fleets_cells(list(self.fleet_rows.values())))
        self.query_one("#fleet-status", Static).update(
            f"{len(self.fleet_rows)} fleets · enter shows a fleet's sessions · a: all fleets")
        if first_load:
            self.call_after_refresh(self._fleets_painted)
        if first_load and rows:
            # Focusing inside a hidden tab would switch tabs under the user's feet.
            if self._is_active_pane():
                table.focus()
            # After the fleet list has painted: the sessions load (and the GameLift client it
            # builds) would compete with that first frame.
            self.call_after_refresh(self._select_first_fleet, rows[0].fleet.fleet_id)

    def _fleets_failed(self, failure: Failure) -> None:
        # The fleet list has its own line; the session rows below are no staler for it.
        self.query_one("#fleet-table", DataTable).loading = False
        self.query_one("#fleet-status", Static).update(f"⚠ fleets not loaded: {failure.text}")
        if not self.fleet_rows:  # the first outcome is on screen, if not the one hoped for
            self.call_after_refresh(self.post_message, self.FirstShown())
        Pane.show_failure(self, "AWS error", failure)

    def _select_first_fleet(self, fleet_id: str) -> None:
        app = game_app(self)
        if app is not None and not app.staying():
            return  # the app is on its way out: the tables may already be gone
        if self.fleet_id is None:  # unless a fleet was chosen in the meantime
            self.select_fleet(fleet_id)

    def _fleets_painted(self) -> None:
        self.fleets_painted_at = time.perf_counter()  # read by the cold-start benchmark
        self.post_message(self.FirstShown())

    @staticmethod
    def _put_fleet_row(table: DataTable[Any], key: str, values: tuple[str, ...]) -> None:
        # DataTable parses a str cell as markup: fleet names are the service's text.
        if key in table.rows:
            for (column, _, _), value in zip(FLEET_COLUMNS, values, strict=True):
                table.update_cell(key, column, cell(value), update_width=True)
        else:
            table.add_row(*cells(*values), key=key)

    @on(DataTable.RowSelected, "#fleet-table")
    def fleet_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.select_fleet(event.row_key.value)
            self.table.focus()

    def action_all_fleets(self) -> None:
        if len(self.fleet_rows) > 1:
            fleets = self.query_one("#fleet-table", DataTable)
            fleets.move_cursor(row=fleets.get_row_index(ALL_FLEETS))
            self.select_fleet(ALL_FLEETS)

    def select_fleet(self, fleet_id: str) -> None:
        if self.model.select(fleet_id):
            self.clear_sessions()
        self.load_sessions(foreground=True)  # the user is waiting for this fleet

    def status_head(self) -> list[str]:
        return self.model.status_head()

    # --- sessions --------------------------------------------------------------------------

    def load_sessions(self, *, foreground: bool = False) -> None:
        scopes = self.model.paging_scopes()
        aws = self.aws_context()
        if not scopes or aws is None:
            return
        self.model.policy.started()
        self.begin_load()
        app = game_app(self)
        pace = app.pacer if app is not None else None
        # The worker compares each page with what the table holds (a copy: the table changes
        # on this thread meanwhile), so only changed rows reach the UI thread.
        known = dict(self.sessions)

        def page(job: Job) -> bool:
            return self.model.page_sessions(aws, scopes, known, job.progress,
                                            cancelled=lambda: job.cancelled, pace=pace)

        # A new load supersedes the running one: a page of a fleet the user left is dropped.
        self.run_call("sessions", page, progress=self._sessions_page, done=self._sessions_done,
                      failed=self._sessions_failed, description="DescribeGameSessionDetails",
                      foreground=foreground)

    def _sessions_page(self, page: SessionsPage) -> None:
        self.merge_page(page.changed, seen=page.seen)

    def _sessions_done(self, finished: bool) -> None:
        if finished:
            self.model.policy.succeeded()
            self.finish_load()

    def _sessions_failed(self, failure: Failure) -> None:
        if failure.kind == "throttled":
            # Back off: the next automatic refresh waits twice as long.
            interval = self.model.policy.throttled()
            failure = dataclasses.replace(
                failure, text=f"{failure.text} — next refresh in {interval:.0f}s")
        self.show_failure("AWS error", failure)

    # --- create ----------------------------------------------------------------------------

    def action_create(self) -> None:
        from tui.services.session_edit import SessionCreate
        from tui.ui.screens.edit_session import CreateSessionModal

        row = self.fleet_rows.get(self.fleet_id or "")
        if row is None:
            self.notify("Choose one fleet first (enter on a fleet row).", severity="warning")
            return
        fleet_id = row.fleet.fleet_id

        def filled(plan: SessionCreate | None) -> None:
            # Sent only after the form's confirmation showed what is set and the CLI.
            if plan is not None:
                self.run_bulk("created", [fleet_id],
                              lambda aws, fid: gamelift.create_game_session(
                                  aws, fid, plan.maximum_player_session_count,
                                  **plan.kwargs()))

        token = gamelift.new_idempotency_token()
        self.app.push_screen(CreateSessionModal(row.fleet.name, row.fleet.locations, token,
                                                fleet_id=fleet_id,
                                                creation_limit=row.fleet.creation_limit), filled)

    # --- refresh ---------------------------------------------------------------------------

    def _schedule_refresh(self) -> None:
        # Re-armed after each tick so that polls never overlap (Dolphie's pattern); ticks are
        # short so a backed-off or reset interval takes effect without waiting a whole period.
        self.set_timer(1.0, self._periodic_refresh)

    def _periodic_refresh(self) -> None:
        # Hidden panes and open modals don't poll: AWS warns against continuous polling.
        typing = self.filter_box.has_focus
        visible = self.app.screen is self.screen and self._is_active_pane() and not typing
        if visible and self.model.policy.due() and not self.loading_sessions:
            self.refresh_data()
        self._schedule_refresh()

    def _is_active_pane(self) -> bool:
        app = game_app(self)
        return app is None or app.active_pane_id() == "sessions"

    def apply_settings(self, settings: Settings) -> None:
        super().apply_settings(settings)
        self.interval = settings.refresh_seconds  # the current (backed-off) interval starts there
        self.paging_concurrency = settings.paging_concurrency

    def export_table(self) -> ExportTable:
        focused = self.app.focused
        if focused is not None and focused.id == "fleet-table":
            table = self.query_one("#fleet-table", DataTable)
            rows = [self.fleet_rows[str(row.key.value)] for row in table.ordered_rows
                    if row.key.value in self.fleet_rows]  # not the "all fleets" line
            return export_fleets(rows)
        return self.session_export("sessions", fleet_id=self.fleet_id or "")

    def refresh_data(self) -> None:
        self.model.policy.started()
        self.load_fleets()
        self.load_sessions()
