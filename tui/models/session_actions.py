"""What the session tables do to sessions, below the UI: a bulk action paced through
throttling, the protection look-up before a terminate, and drain-then-terminate with its
progress. Plain Python with injectable sleep, clock and cancel; the widget runs each of these
through ``run_call`` and draws what they report.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tui.aws.errors import Failure, is_throttled
from tui.aws.records import GameSession
from tui.services import gamelift
from tui.services.drains import (
    Drain,
    DrainReport,
    DrainStore,
    DrainStoreError,
    DrainTarget,
    DrainWorkflow,
)
from tui.services.gamelift import ClientSource

# Before a terminate, sessions whose ProtectionPolicy is unknown (Search results) are described
# one by one so the dialog can say which are protected; beyond this many it says "unknown"
# instead (DescribeGameSessionDetails is limited to 30 a second for the whole account).
PROTECTION_LOOKUPS = 20
# A bulk action's call that is still throttled after botocore's retries: tried this many more
# times, waiting FIRST_DELAY, then twice as long each time.
PACED_ATTEMPTS = 4
FIRST_DELAY = 1.0


def call_paced(call: Callable[[], object], *, sleep: Callable[[float], None] = time.sleep,
               cancelled: Callable[[], bool] = lambda: False,
               attempts: int = PACED_ATTEMPTS, delay: float = FIRST_DELAY) -> object:
    """One call of a bulk action. botocore already retries throttling; when it still gives
    up, wait a little longer and try again so a bulk action finishes instead of failing
    half-way. Only throttling: the service refused the call, so repeating it cannot apply it
    twice (a lost answer is read back by the services layer, never repeated)."""
    for _attempt in range(attempts):
        try:
            return call()
        except Exception as err:
            if not is_throttled(err) or cancelled():
                raise
            sleep(delay)
            delay *= 2
    return call()


@dataclass
class ActionResult:
    """One line of per-session outcomes ("3 terminated, 1 AccessDenied — why")."""

    summary: str
    failed: bool
    # The ids the call succeeded for (a graceful terminate's are watched afterwards).
    done: list[str] = field(default_factory=list)


def summary(outcomes: Counter[str], first_error: str) -> str:
    text = ", ".join(f"{n} {what}" for what, n in outcomes.items()) or "nothing to do"
    return text + (f" — {first_error}" if first_error else "")


def _outcome(failure: Failure, err: BaseException) -> str:
    if failure.kind == "read_only":
        return "refused (read-only)"
    if failure.kind == "unknown_outcome":
        # Not a failure: the answer was lost and reading back could not tell (the summary's
        # first error says what to check).
        return "outcome unknown"
    if failure.code:
        return failure.code
    from botocore.exceptions import ClientError

    return "error" if isinstance(err, ClientError) else type(err).__name__


SessionCall = Callable[[ClientSource, str], object]


@dataclass
class BulkAction:
    """``call`` once per id, each paced through throttling; a failure is counted per session
    and the others go on (one lost connection must not leave half the marks undone)."""

    verb: str
    call: SessionCall
    classify: Callable[[BaseException], Failure]
    sleep: Callable[[float], None] = time.sleep
    cancelled: Callable[[], bool] = lambda: False

    def run(self, ctx: ClientSource, ids: Sequence[str]) -> ActionResult:
        outcomes: Counter[str] = Counter()
        first_error = ""
        done: list[str] = []
        for sid in ids:
            try:
                call_paced(functools.partial(self.call, ctx, sid), sleep=self.sleep,
                           cancelled=self.cancelled)
                outcomes[self.verb] += 1
                done.append(sid)
            except Exception as err:  # network loss etc.: reported per session
                failure = self.classify(err)
                outcomes[_outcome(failure, err)] += 1
                first_error = first_error or failure.text
        return ActionResult(summary(outcomes, first_error), bool(first_error), done)


# A graceful terminate asks the server process to end; if it never calls ProcessEnding the
# session goes back to ACTIVE. Sessions asked are watched this long for that.
GRACEFUL_WATCH_SECONDS = 600.0


class GracefulWatch:
    """Sessions asked to end gracefully, until they are seen ended or the watch runs out.

    It learns from the pages the table loads anyway (no call of its own): a watched session
    seen ACTIVE again has bounced, and the operator must be told, or it runs on unseen."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 seconds: float = GRACEFUL_WATCH_SECONDS) -> None:
        self.clock = clock
        self.seconds = seconds
        self._asked: dict[str, float] = {}

    def asked(self, ids: Sequence[str]) -> None:
        until = self.clock() + self.seconds
        for sid in ids:
            self._asked[sid] = until

    def watching(self) -> bool:
        return bool(self._asked)

    def bounced(self, sessions: Sequence[GameSession]) -> list[GameSession]:
        """Those of ``sessions`` that were asked to end and are ACTIVE again (each reported
        once); ended ones and expired watches are dropped."""
        now = self.clock()
        back: list[GameSession] = []
        for session in sessions:
            until = self._asked.get(session.game_session_id)
            if until is None:
                continue
            if session.status in ("TERMINATED", "ERROR") or until < now:
                del self._asked[session.game_session_id]
            elif session.status == "ACTIVE":
                del self._asked[session.game_session_id]
                back.append(session)
        return back


def bounce_text(back: Sequence[GameSession]) -> str:
    names = ", ".join(s.name or s.game_session_id.rsplit("/", 1)[-1] for s in back[:3])
    more = f" and {len(back) - 3} more" if len(back) > 3 else ""
    return (f"{len(back)} session(s) ACTIVE again after a graceful terminate ({names}{more}): "
            "the server process did not end them (it must call ProcessEnding). To stop them "
            "now, mark them and terminate with force.")


def look_up_protection(ctx: ClientSource, targets: Sequence[GameSession]) -> list[GameSession]:
    """The targets, with ProtectionPolicy described where it was unknown (SearchGameSessions
    does not report it). A session that cannot be described stays unknown: the dialog says so."""
    known: list[GameSession] = []
    for session in targets:
        if session.protection_policy is None:
            try:
                session = gamelift.describe_game_session(ctx, session.game_session_id)
            except Exception:  # noqa: BLE001 - stays unknown, and the dialog says so
                pass
        known.append(session)
    return known


def needs_protection_lookup(targets: Sequence[GameSession]) -> bool:
    unknown = sum(1 for s in targets if s.protection_policy is None)
    return 0 < unknown <= PROTECTION_LOOKUPS


# --- drain, then terminate --------------------------------------------------------------------


@dataclass
class DrainsFound:
    """Drains an earlier run left for this target (``refused``: read-only, not followed)."""

    drains: list[Drain]
    target: DrainTarget
    refused: bool


@dataclass
class DrainUpdate:
    """Sessions still waiting and players still on them (-1 before the first look);
    ``reload``: the locks were sent, the table should show them."""

    waiting: int
    players: int
    reload: bool = False


DrainNews = DrainsFound | DrainUpdate


class DrainBoard:
    """The drains of one pane (several may run side by side), for its status line."""

    def __init__(self) -> None:
        self._runs: dict[int, tuple[int, int]] = {}
        self._next = 0

    def new_run(self) -> int:
        self._next += 1
        return self._next

    def update(self, run: int, waiting: int, players: int) -> None:
        if waiting:
            self._runs[run] = (waiting, players)
        else:
            self._runs.pop(run, None)

    @property
    def draining(self) -> tuple[int, int] | None:
        """(sessions waiting, players left; -1 before the first look) over every drain."""
        runs = [r for r in self._runs.values() if r[0]]
        if not runs:
            return None
        players = -1 if any(p < 0 for _, p in runs) else sum(p for _, p in runs)
        return sum(w for w, _ in runs), players


@dataclass
class DrainRun:
    """Lock the sessions to new players, then terminate each once its last player has left
    (``resume``: follow the drains an earlier run left for this target instead). The workflow
    and the state file that outlives the app are ``tui.services.drains``; this reports its
    progress through ``news`` and returns the outcome (None: nothing was left to resume)."""

    store: DrainStore
    target: DrainTarget
    explain: Callable[[BaseException], str]
    news: Callable[[DrainNews], None]
    poll_seconds: float = 5.0
    cancelled: Callable[[], bool] = lambda: False
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def run(self, ctx: ClientSource, ids: Sequence[str], mode: str, *, resume: bool = False,
            read_only: bool = False) -> ActionResult | None:
        flow = DrainWorkflow(ctx, self.store, self.target, poll_seconds=self.poll_seconds,
                             explain=self.explain, cancelled=self.cancelled, clock=self.clock,
                             sleep=self.sleep)
        if resume:
            try:
                pending = self.store.pending(self.target)
            except DrainStoreError as err:
                return ActionResult(f"drains of an earlier run not resumed: {err}", True)
            if not pending:
                return None
            self.news(DrainsFound(pending, self.target, refused=read_only))
            if read_only:  # the guard would refuse each terminate: leave them for later
                return None
            flow.resume(pending)
        else:
            try:
                flow.start(ids, mode)
            except DrainStoreError as err:  # not remembered → not locked: nothing was sent
                return ActionResult(f"drain not started, nothing sent: {err}", True)
        # Show the locks now; the drain's own polling is not a reason to reload the table.
        self.news(DrainUpdate(len(flow.report.waiting), -1, reload=True))

        def progress(report: DrainReport) -> None:
            self.news(DrainUpdate(len(report.waiting), report.players))

        report = flow.run(progress)
        self.news(DrainUpdate(0, 0))
        return ActionResult(report.summary(), bool(report.first_error))
