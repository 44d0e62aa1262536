"""Sessions pane: the fleet overview and the game sessions of the selected fleet(s), kept fresh.

Every AWS call runs in a thread worker; results come back as messages. A refresh diffs by
GameSessionId so the cursor, scroll position and row order survive it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui.aws.errors import is_throttled
from tui.aws.records import GameSession
from tui.services import gamelift
from tui.services.batching import coalesce
from tui.services.gamelift import FleetRow
from tui.ui.panes.session_table import SessionTablePane
from tui.ui.read_only import game_app
from tui.ui.widgets.plain import Plain, cell, cells

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tui.config import Settings
    from tui.services.export import ExportTable

REFRESH_SECONDS = 15.0
# After a throttled refresh the interval doubles, up to this; a good refresh resets it.
MAX_REFRESH_SECONDS = 240.0
PAGING_CONCURRENCY = 4
ALL_FLEETS = "*"
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


class FleetsLoaded(Message):
    def __init__(self, rows: list[FleetRow]) -> None:
        super().__init__()
        self.rows = rows


class SessionsPage(Message):
    """A page: the sessions that are new or changed, and the ids of every session on it."""

    def __init__(self, generation: int, sessions: list[GameSession], done: bool,
                 seen: list[str] | None = None) -> None:
        super().__init__()
        self.generation = generation
        self.sessions = sessions
        self.done = done
        self.seen = seen


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
    DEFAULT_CSS = """
    SessionsPane #fleet-table { height: auto; max-height: 9; }
    SessionsPane #session-table { height: 1fr; }
    SessionsPane .status-line { height: 1; background: $boost; padding: 0 1; }
    SessionsPane .quick-filter { display: none; }
    SessionsPane .quick-filter.shown { display: block; }
    """
    BINDINGS = [Binding("n", "create", "New session", id="sessions.new"),
                Binding("a", "all_fleets", "All fleets", id="sessions.all-fleets")]

    title = "Sessions"
    refresh_seconds = REFRESH_SECONDS
    paging_concurrency = PAGING_CONCURRENCY

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.fleet_rows: dict[str, FleetRow] = {}
        self.fleet_id: str | None = None
        self.generation = 0
        self.interval = self.refresh_seconds
        self.last_refresh = 0.0
        self.fleets_painted_at: float | None = None

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
        self.last_refresh = time.monotonic()
        # The app asks for the overview while it starts; the first load takes it.
        app = game_app(self)
        early = app.take_prefetched_fleets(app.aws) if app is not None else None
        if early is not None and early.done() and early.exception() is None:
            # Already here: the first frame shows the fleets, with no loading frame before.
            self.on_fleets_loaded(FleetsLoaded(early.result()))
            return
        self.query_one("#fleet-table", DataTable).loading = True
        self.load_fleets(early)

    # --- fleets ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fleets", exit_on_error=False,
          description="ListFleets + DescribeFleetAttributes/Capacity/Utilization")
    def load_fleets(self, early: Future[list[FleetRow]] | None = None) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        rows = early.result() if early is not None else gamelift.fleet_overview(aws)
        self.post_message(FleetsLoaded(rows))

    def on_fleets_loaded(self, message: FleetsLoaded) -> None:
        table = self.query_one("#fleet-table", DataTable)
        table.loading = False
        first_load = not self.fleet_rows
        with self.app.batch_update():
            for row in message.rows:
                key = row.fleet.fleet_id
                self._put_fleet_row(table, key, fleet_cells(row))
                self.fleet_rows[key] = row
                self.fleet_compute[key] = row.fleet.compute_type
            if len(self.fleet_rows) > 1:
                self._put_fleet_row(table, ALL_FLEETS,
                                    all_fleets_cells(list(self.fleet_rows.values())))
        self.query_one("#fleet-status", Static).update(
            f"{len(self.fleet_rows)} fleets · enter shows a fleet's sessions · a: all fleets")
        if first_load:
            self.call_after_refresh(self._fleets_painted)
        if first_load and message.rows:
            # Focusing inside a hidden tab would switch tabs under the user's feet.
            if self._is_active_pane():
                table.focus()
            # After the fleet list has painted: the sessions load (and the GameLift client it
            # builds) would compete with that first frame.
            self.call_after_refresh(self._select_first_fleet, message.rows[0].fleet.fleet_id)

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
        if fleet_id != self.fleet_id:
            self.fleet_id = fleet_id
            self.clear_sessions()
        self.load_sessions()

    def selected_fleet_ids(self) -> list[str]:
        if self.fleet_id == ALL_FLEETS:
            return list(self.fleet_rows)
        return [self.fleet_id] if self.fleet_id else []

    def paging_scopes(self) -> list[tuple[str, str | None]]:
        """What to page: each location of a multi-location fleet on its own, so they load
        side by side (bounded by paging_concurrency)."""
        scopes: list[tuple[str, str | None]] = []
        for fleet_id in self.selected_fleet_ids():
            row = self.fleet_rows.get(fleet_id)
            locations = row.fleet.locations if row else ()
            if len(locations) > 1:
                scopes += [(fleet_id, location) for location in locations]
            else:
                scopes.append((fleet_id, None))
        return scopes

    def status_head(self) -> list[str]:
        if self.fleet_id == ALL_FLEETS:
            return [f"all {len(self.fleet_rows)} fleets"]
        fleet = self.fleet_rows.get(self.fleet_id or "")
        return [fleet.fleet.name if fleet else "no fleet"]

    # --- sessions --------------------------------------------------------------------------

    def load_sessions(self) -> None:
        scopes = self.paging_scopes()
        if not scopes:
            return
        self.generation += 1
        self.last_refresh = time.monotonic()
        self.begin_load()
        # The worker compares each page with what the table holds (a copy: the table changes
        # on this thread meanwhile), so only changed rows reach the UI thread.
        self._page_sessions(scopes, self.generation, dict(self.sessions))

    @work(thread=True, exclusive=True, group="sessions", exit_on_error=False,
          description="DescribeGameSessionDetails")
    def _page_sessions(self, scopes: list[tuple[str, str | None]], generation: int,
                       known: dict[str, GameSession]) -> None:
        worker = get_current_worker()
        aws = self.app.aws  # type: ignore[attr-defined]
        app = game_app(self)
        pages = gamelift.iter_fleets_session_pages(aws, scopes,
                                                   max_workers=self.paging_concurrency,
                                                   cancelled=lambda: worker.is_cancelled,
                                                   pace=app.pacer if app is not None else None)
        for page in coalesce(pages):
            if worker.is_cancelled:
                return
            changed = [s for s in page if known.get(s.game_session_id) != s]
            self.post_message(SessionsPage(generation, changed, done=False,
                                           seen=[s.game_session_id for s in page]))
        if not worker.is_cancelled:
            self.post_message(SessionsPage(generation, [], done=True))

    def on_sessions_page(self, message: SessionsPage) -> None:
        if message.generation != self.generation:
            return  # a page of a fleet the user has left
        self.merge_page(message.sessions, seen=message.seen)
        if message.done:
            self.interval = self.refresh_seconds
            self.finish_load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error or RuntimeError("unknown error")
        text = self.app.aws.explain(error)
        if event.worker.group == "fleets":
            self.query_one("#fleet-table", DataTable).loading = False
            self.query_one("#fleet-status", Static).update(f"⚠ fleets not loaded: {text}")
            if not self.fleet_rows:  # the first outcome is on screen, if not the one hoped for
                self.call_after_refresh(self.post_message, self.FirstShown())
        elif event.worker.group == "sessions":
            if is_throttled(error):
                # Back off: the next automatic refresh waits twice as long.
                self.interval = min(MAX_REFRESH_SECONDS, self.interval * 2)
                text += f" — next refresh in {self.interval:.0f}s"
            self.load_failed(text)
        else:
            self.show_status()
        self.notify(text, title="AWS error", severity="error")

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
                self.run_action("created", [fleet_id],
                                lambda aws, fid: gamelift.create_game_session(
                                    aws, fid, plan.maximum_player_session_count,
                                    **plan.kwargs()))

        token = gamelift.new_idempotency_token()
        self.app.push_screen(CreateSessionModal(row.fleet.name, row.fleet.locations, token,
                                                fleet_id=fleet_id), filled)

    # --- refresh ---------------------------------------------------------------------------

    def _schedule_refresh(self) -> None:
        # Re-armed after each tick so that polls never overlap (Dolphie's pattern); ticks are
        # short so a backed-off or reset interval takes effect without waiting a whole period.
        self.set_timer(1.0, self._periodic_refresh)

    def _periodic_refresh(self) -> None:
        # Hidden panes and open modals don't poll: AWS warns against continuous polling.
        typing = self.filter_box.has_focus
        visible = self.app.screen is self.screen and self._is_active_pane() and not typing
        due = time.monotonic() - self.last_refresh >= self.interval
        if visible and due and not self.loading_sessions:
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
        from tui.ui.commands import _fleet_rows, _session_rows

        focused = self.app.focused
        if focused is not None and focused.id == "fleet-table":
            return _fleet_rows(self)  # type: ignore[no-any-return]
        return _session_rows(self, "sessions")  # type: ignore[no-any-return]

    def refresh_data(self) -> None:
        self.last_refresh = time.monotonic()
        self.load_fleets()
        self.load_sessions()
