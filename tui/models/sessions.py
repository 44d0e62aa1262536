"""The Sessions pane's model: the fleets, the fleet chosen, what to page and how, the sessions
loaded so far, and the refresh policy with its back-off. Plain Python below the UI: the widget
(``tui/ui/panes/sessions.py``) draws what this holds and runs its calls through ``run_call``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from tui.aws.records import GameSession
from tui.services import gamelift
from tui.services.batching import coalesce
from tui.services.export import ExportTable, record_row
from tui.services.gamelift import ClientSource, FleetRow

REFRESH_SECONDS = 15.0
# After a throttled refresh the interval doubles, up to this; a good refresh resets it.
MAX_REFRESH_SECONDS = 240.0
PAGING_CONCURRENCY = 4
ALL_FLEETS = "*"
ALL_STATUSES = frozenset({"ACTIVE", "ACTIVATING", "TERMINATING", "TERMINATED", "ERROR"})
ENDED = ("ERROR", "TERMINATING", "TERMINATED")


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


# --- refresh policy ---------------------------------------------------------------------------


@dataclass
class RefreshPolicy:
    """When the next automatic refresh is due. ``seconds`` is the configured period;
    ``interval`` the current one, doubled after each throttled refresh (AWS asks callers to
    slow down) and reset by the next good one."""

    seconds: float = REFRESH_SECONDS
    clock: Callable[[], float] = time.monotonic
    interval: float = field(init=False)
    last_refresh: float = 0.0

    def __post_init__(self) -> None:
        self.interval = self.seconds

    def started(self) -> None:
        self.last_refresh = self.clock()

    def due(self) -> bool:
        return self.clock() - self.last_refresh >= self.interval

    def succeeded(self) -> None:
        self.interval = self.seconds

    def throttled(self) -> float:
        """Back off; returns the interval until the next automatic refresh."""
        self.interval = min(MAX_REFRESH_SECONDS, self.interval * 2)
        return self.interval


# --- the sessions loaded ----------------------------------------------------------------------


@dataclass
class SessionsPage:
    """A page: the sessions new or changed since ``known``, and the id of every session on it
    (those not seen by the end of a load are gone)."""

    changed: list[GameSession]
    seen: list[str]


class LoadedSessions:
    """What the table holds, by GameSessionId, and the state of the load that fills it."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.sessions: dict[str, GameSession] = {}
        self.seen: set[str] = set()
        self.loading = False
        self.updated_at: float | None = None
        self.error: str | None = None

    def begin(self) -> None:
        self.seen = set()
        self.loading = True
        self.error = None

    def merge(self, sessions: Iterable[GameSession],
              seen: Iterable[str] | None = None) -> list[tuple[GameSession, GameSession | None]]:
        """Take new and changed sessions; returns each with what was held before."""
        if seen is not None:
            self.seen.update(seen)
        merged: list[tuple[GameSession, GameSession | None]] = []
        for session in sessions:
            key = session.game_session_id
            self.seen.add(key)
            merged.append((session, self.sessions.get(key)))
            self.sessions[key] = session
        return merged

    def finish(self) -> list[str]:
        """Every page has arrived: returns the ids not seen this time, now dropped."""
        gone = [key for key in self.sessions if key not in self.seen]
        for key in gone:
            del self.sessions[key]
        self.loading = False
        self.updated_at = self.clock()
        return gone

    def failed(self, text: str) -> None:
        self.loading = False
        self.error = text

    def clear(self) -> None:
        self.sessions.clear()


def matches(session: GameSession, statuses: frozenset[str] | set[str], text: str) -> bool:
    """The quick filter: a status shown, and ``text`` in the id, name, address or a game
    property's key or value (case-insensitive)."""
    if session.status not in statuses:
        return False
    if not text:
        return True
    needle = text.casefold()
    haystack = [session.game_session_id, session.name, session.ip_address or "",
                session.dns_name or ""]
    haystack += [part for pair in session.game_properties for part in pair]
    return any(needle in item.casefold() for item in haystack)


def ordered(sessions: Mapping[str, GameSession], sort_index: int) -> list[tuple[str, GameSession]]:
    if not sort_index:
        return list(sessions.items())
    _, key_of, reverse = SORTS[sort_index]
    return sorted(sessions.items(), key=lambda item: key_of(item[1]), reverse=reverse)


# --- fleets and paging ------------------------------------------------------------------------


class SessionsModel:
    """The fleets, the fleet (or all fleets) chosen, how its sessions are paged, and when to
    refresh. What the pages bring is held by a LoadedSessions (the table's, shared with
    Search)."""

    def __init__(self, *, refresh_seconds: float = REFRESH_SECONDS,
                 paging_concurrency: int = PAGING_CONCURRENCY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fleet_rows: dict[str, FleetRow] = {}
        self.fleet_id: str | None = None
        self.paging_concurrency = paging_concurrency
        self.policy = RefreshPolicy(refresh_seconds, clock)

    # --- fleets ---------------------------------------------------------------------------

    @staticmethod
    def load_fleets(ctx: ClientSource,
                    early: Future[list[FleetRow]] | None = None) -> list[FleetRow]:
        """The fleet overview (``early``: the one the app asked for while it started)."""
        return early.result() if early is not None else gamelift.fleet_overview(ctx)

    def put_fleets(self, rows: Iterable[FleetRow]) -> bool:
        """Take a fleet overview; True when it is the first."""
        first = not self.fleet_rows
        for row in rows:
            self.fleet_rows[row.fleet.fleet_id] = row
        return first

    def select(self, fleet_id: str) -> bool:
        """Choose a fleet (or ALL_FLEETS); True when it changed: the rows the table holds are
        another fleet's."""
        if fleet_id == self.fleet_id:
            return False
        self.fleet_id = fleet_id
        return True

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

    # --- sessions -------------------------------------------------------------------------

    def page_sessions(self, ctx: ClientSource, scopes: Sequence[tuple[str, str | None]],
                      known: Mapping[str, GameSession], emit: Callable[[SessionsPage], None],
                      *, cancelled: Callable[[], bool] = lambda: False,
                      pace: Callable[[], None] | None = None) -> bool:
        """Page the sessions of ``scopes``, emitting each batch of pages compared with
        ``known`` (a copy of what the table held: it changes meanwhile), so only changed rows
        travel. Returns False when cancelled before the end."""
        pages = gamelift.iter_fleets_session_pages(ctx, scopes,
                                                   max_workers=self.paging_concurrency,
                                                   cancelled=cancelled, pace=pace)
        for page in coalesce(pages):
            if cancelled():
                return False
            emit(SessionsPage([s for s in page if known.get(s.game_session_id) != s],
                              [s.game_session_id for s in page]))
        return not cancelled()


# --- exports ----------------------------------------------------------------------------------


def export_sessions(sessions: Iterable[GameSession], *, pane_id: str, head: Sequence[str],
                    filter_text: str, statuses: frozenset[str] | set[str],
                    expression: str = "", fleet_id: str = "") -> ExportTable:
    """The rows a session table shows, in its order, titled with what it shows."""
    rows = [record_row(session) for session in sessions]
    title = " · ".join(head) or pane_id
    if filter_text:
        title += f" · filter '{filter_text}'"
    missing = sorted(ALL_STATUSES - set(statuses))
    if missing:
        title += f" · hiding {', '.join(missing)}"
    if pane_id == "search":
        slug = "search"
        title = f"search results for {expression} · {title}" if expression \
            else f"search results · {title}"
    else:
        slug = "all-fleets" if fleet_id == ALL_FLEETS else fleet_id
        title = f"game sessions of {title}"
    return ExportTable("sessions", title, rows, slug)


def export_fleets(rows: Iterable[FleetRow]) -> ExportTable:
    """The fleets with their utilization and capacity, one flat row each."""
    out: list[dict[str, Any]] = []
    for item in rows:
        extra: dict[str, Any] = {}
        for prefix, part in (("utilization", item.utilization), ("capacity", item.capacity)):
            if part is None:
                continue
            for key, value in record_row(part).items():
                if key != "fleet_id":
                    extra[f"{prefix}_{key}"] = value
        out.append(record_row(item.fleet, extra))
    return ExportTable("fleets", "fleets with utilization and capacity", out, "")
