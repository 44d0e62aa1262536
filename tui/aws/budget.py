"""The console's API budget: one scheduler for every call it makes to GameLift.

GameLift's rate limits are per account and shared with the game's own backend, which calls
SearchGameSessions, CreateGameSession and DescribePlayerSessions to put players in games. A
console that pages every fleet as fast as the service answers takes that capacity from the
game. So every call this process makes takes a token from two buckets kept *here*, at ``share``
of the documented limits (tui/aws/rate_limits.json): its operation's and the account's. A
background call waits for its tokens. A mutation never waits. A read the user asked for
(``foreground()``: a search they ran, a detail they opened) does not queue behind the background:
it is paced only at ``FOREGROUND_SHARE`` of the documented limit (so a 50-page search neither
crawls at the background's pace nor throttles the game). What the user's calls take, the
background pays back. Paging then stretches to fit the budget, and so do the refreshes built on
it.

A ThrottlingException backs off every caller of that operation, not only the one that got it:
the operation's budget halves (down to an eighth) and recovers by doubling after each quiet
half minute.

No Textual here: the meter and the budget view (tui.ui) read :meth:`ApiBudget.usage`.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

Limit = tuple[float, float]  # (calls a second sustained, burst)

# The share of each documented limit a console allows itself by default (`api_budget`).
DEFAULT_SHARE = 0.25

WINDOW = 300.0  # seconds the budget view looks back over
METER_WINDOW = 10.0  # seconds the on-screen meter looks back over
CALM = 30.0  # seconds without a throttle before a backed-off operation speeds up again
MIN_FACTOR = 1 / 8
# The share of a documented limit a read the user waits for may use (half: the game keeps the
# other half even while an operator pages a big search).
FOREGROUND_SHARE = 0.5
ACCOUNT = "(account)"  # the row of the account-wide limit
_FOREGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("api_foreground",
                                                                   default=False)


@dataclass
class _Bucket:
    """A token bucket that lends: a taker always gets its token and is told how long to wait
    until the bucket would have held it (so takers queue in order, with no polling)."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float) -> float:
        self.refill(now)
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass(frozen=True)
class OperationUse:
    """One row of the budget view: an operation's traffic from this console."""

    operation: str
    calls: int  # in the window
    throttled: int  # ThrottlingExceptions answered in the window
    rate: float  # calls a second, over the window
    limit: float | None  # the documented sustained rate; None: not documented
    budget: float | None  # the share of it this console allows itself
    waited: float  # seconds calls waited for tokens (background, or user reads), in the window

    @property
    def share(self) -> float | None:
        """The console's rate as a share of the documented limit."""
        return self.rate / self.limit if self.limit else None


@dataclass(frozen=True)
class Meter:
    """The on-screen meter: the busiest operation's share of its documented limit, recently."""

    percent: int
    throttled: bool  # a throttle in the last CALM seconds
    busiest: str

    def text(self) -> str:
        return f"API {self.percent}%" + (" throttled" if self.throttled else "")


class ApiBudget:
    def __init__(self, operations: Mapping[str, Limit], account: Limit | None, *,
                 share: float = DEFAULT_SHARE, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limits = dict(operations)
        self.account = account
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._share = share
        self._buckets: dict[str, _Bucket] = {}
        self._factor: dict[str, float] = {}
        self._calm_at: dict[str, float] = {}
        self._calls: dict[str, deque[float]] = {}
        self._throttles: dict[str, deque[float]] = {}
        self._waits: dict[str, deque[tuple[float, float]]] = {}
        self.started = clock()

    # --- settings ------------------------------------------------------------------------------

    @property
    def share(self) -> float:
        return self._share

    @share.setter
    def share(self, value: float) -> None:
        with self._lock:
            self._share = value
            self._buckets.clear()  # rebuilt at the new rates, full

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Calls made inside are a read the user waits for. A context variable, so threads
        that page for it carry it when started with ``contextvars.copy_context().run``."""
        token = _FOREGROUND.set(True)
        try:
            yield
        finally:
            _FOREGROUND.reset(token)

    # --- the scheduler ---------------------------------------------------------------------------

    def _bucket(self, key: str, limit: Limit, factor: float, now: float,
                share: float | None = None) -> _Bucket:
        share = self._share if share is None else share
        rate = max(limit[0] * share * factor, 1e-3)
        # A burst under one token would make every call wait; the share of a burst of 4 is 1.
        burst = max(limit[1] * share * factor, 1.0)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate, burst, burst, now)
        elif bucket.rate != rate:
            bucket.refill(now)
            bucket.rate, bucket.burst = rate, burst
            bucket.tokens = min(bucket.tokens, burst)
        return bucket

    def spend(self, operation: str, *, foreground: bool = False) -> float:
        """Take this call's tokens; a background call first waits until they are there, a
        user's read until the foreground's are, and ``foreground=True`` (a mutation) never.
        Returns the seconds waited."""
        user_read = not foreground and _FOREGROUND.get()
        with self._lock:
            now = self.clock()
            self._recover(operation, now)
            wait = 0.0
            limit = self.limits.get(operation)
            factor = self._factor.get(operation, 1.0)
            if limit is not None:
                wait = self._bucket(operation, limit, factor, now).take(now)
            if self.account is not None:
                wait = max(wait, self._bucket(ACCOUNT, self.account, 1.0, now).take(now))
            if foreground:
                wait = 0.0
            elif user_read:
                # The shared buckets above went into debt (the background pays it back); the
                # user's read waits only for its own, larger, foreground buckets.
                share = max(self._share, FOREGROUND_SHARE)
                wait = 0.0
                if limit is not None:
                    wait = self._bucket(f"fg:{operation}", limit, factor, now, share).take(now)
                if self.account is not None:
                    wait = max(wait, self._bucket(f"fg:{ACCOUNT}", self.account, 1.0, now,
                                                  share).take(now))
            self._note(self._calls, operation, now + wait)
            if wait:
                self._waits.setdefault(operation, deque()).append((now, wait))
        if wait > 0:
            self.sleep(wait)
        return wait

    def throttled(self, operation: str) -> None:
        """The service answered ThrottlingException: every caller of it slows down."""
        with self._lock:
            now = self.clock()
            self._note(self._throttles, operation, now)
            self._factor[operation] = max(self._factor.get(operation, 1.0) / 2, MIN_FACTOR)
            self._calm_at[operation] = now + CALM
            limit = self.limits.get(operation)
            if limit is not None:
                for key, share in ((operation, None),
                                   (f"fg:{operation}", max(self._share, FOREGROUND_SHARE))):
                    bucket = self._bucket(key, limit, self._factor[operation], now, share)
                    bucket.refill(now)
                    bucket.tokens = min(bucket.tokens, 0.0)

    def _recover(self, operation: str, now: float) -> None:
        factor = self._factor.get(operation, 1.0)
        if factor < 1.0 and now >= self._calm_at.get(operation, 0.0):
            self._factor[operation] = min(1.0, factor * 2)
            self._calm_at[operation] = now + CALM

    @staticmethod
    def _note(log: dict[str, deque[float]], operation: str, when: float) -> None:
        times = log.setdefault(operation, deque())
        times.append(when)
        while times and times[0] < when - WINDOW:
            times.popleft()

    # --- what the meter and the view show -----------------------------------------------------

    def usage(self, window: float = WINDOW) -> list[OperationUse]:
        """Each operation called in the window (and the account total), busiest first."""
        with self._lock:
            now = self.clock()
            span = max(min(window, now - self.started), 1.0)
            since = now - window
            rows: list[OperationUse] = []
            total = 0
            for operation in sorted(set(self._calls) | set(self._throttles)):
                calls = sum(1 for t in self._calls.get(operation, ()) if since <= t <= now)
                throttled = sum(1 for t in self._throttles.get(operation, ()) if t >= since)
                waited = sum(w for t, w in self._waits.get(operation, ()) if t >= since)
                if not (calls or throttled):
                    continue
                total += calls
                limit = self.limits.get(operation)
                rate = limit[0] if limit else None
                rows.append(OperationUse(
                    operation, calls, throttled, calls / span, rate,
                    rate * self._share * self._factor.get(operation, 1.0) if rate else None,
                    waited))
            if self.account is not None and rows:
                rows.append(OperationUse(ACCOUNT, total, sum(r.throttled for r in rows),
                                         total / span, self.account[0],
                                         self.account[0] * self._share, 0.0))
        # Busiest first; the account's total last, under the operations it sums.
        return sorted(rows, key=lambda r: (r.operation == ACCOUNT, -(r.share or 0.0),
                                           r.operation))

    def meter(self) -> Meter:
        rows = self.usage(METER_WINDOW)
        with self._lock:
            now = self.clock()
            throttled = any(times and times[-1] >= now - CALM
                            for times in self._throttles.values())
        busiest = max(rows, key=lambda r: r.share or 0.0, default=None)
        percent = round(100 * (busiest.share or 0.0)) if busiest else 0
        return Meter(percent, throttled, busiest.operation if busiest else "")
