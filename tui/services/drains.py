"""Drain first, then terminate: lock game sessions to new players, terminate each one when its
last player has left, and remember the sessions being drained across restarts.

A drain outlives the process that started it: the sessions stay locked at DENY_ALL on the
service whatever happens to the app, so the ones still waiting are kept in a state file
(``locations.drains_path()``, 0600, written atomically) under their target — profile, region
and endpoint — and the next start on that target resumes following them. A session leaves the
file when it is done with: terminated, found ended or gone, or refused for good.

Plain Python with injectable clock, sleep and cancel, so the workflow is tested without a UI;
the UI runs :meth:`DrainWorkflow.run` in a worker and draws its progress.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from botocore.exceptions import ClientError, HTTPClientError

from tui.aws.errors import OutcomeUnknown, ResourceGone, is_throttled
from tui.aws.guard import ReadOnlyViolation
from tui.services import gamelift
from tui.services.atomic import write_atomic

FORMAT_VERSION = 1
ENDED = ("ERROR", "TERMINATING", "TERMINATED")
# Targets nobody has come back to for this long are dropped from the file: a demo's endpoint
# (an ephemeral port, a world that died with its process) is never seen again.
FORGET_AFTER = 14 * 86400.0


class DrainStoreError(Exception):
    """The state file cannot be read or written; the message names it."""


@dataclass(frozen=True, slots=True)
class DrainTarget:
    """Where the sessions live. The endpoint is part of it: the demo's simulator (or a test's)
    is another world than the account the same profile name reaches."""

    profile: str | None
    region: str | None
    endpoint: str | None = None

    @property
    def key(self) -> str:
        return "|".join((self.profile or "(default)", self.region or "", self.endpoint or ""))

    @classmethod
    def of(cls, ctx: Any) -> DrainTarget:
        """The target of an AwsContext (its profile, region and endpoint)."""
        return cls(ctx.profile_name, ctx.region, ctx.target.endpoint_url)

    def describe(self) -> str:
        where = f"profile {self.profile or '(default)'}, region {self.region or '?'}"
        return where + (f", endpoint {self.endpoint}" if self.endpoint else "")


@dataclass(frozen=True, slots=True)
class Drain:
    """One session being drained: terminated with ``mode`` once it has no players left."""

    game_session_id: str
    mode: str  # gamelift.TerminationMode
    started: float  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {"GameSessionId": self.game_session_id, "TerminationMode": self.mode,
                "Started": self.started}

    @classmethod
    def from_json(cls, item: Any) -> Drain | None:
        if not isinstance(item, dict):
            return None
        sid, mode = item.get("GameSessionId"), item.get("TerminationMode")
        started = item.get("Started", 0.0)
        if not isinstance(sid, str) or not sid or mode not in ("TRIGGER_ON_PROCESS_TERMINATE",
                                                               "FORCE_TERMINATE"):
            return None
        return cls(sid, mode, float(started) if isinstance(started, int | float) else 0.0)


class DrainStore:
    """The drains of every target, in one JSON file. Each change reads the file afresh and
    writes it whole (atomically, 0600), so two drains in one process, or an app that starts
    while another quits, lose nothing but a race between two writes of the same instant."""

    def __init__(self, path: Path | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self.clock = clock
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        # Resolved at first use: an app that never drains creates no folder for it.
        if self._path is None:
            from tui import locations

            self._path = locations.drains_path()
        return self._path

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise DrainStoreError(f"cannot read {self.path}: {err.strerror}") from err
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as err:
            raise DrainStoreError(f"{self.path} is not valid JSON ({err}); move it away to "
                                  "start afresh") from err
        targets = data.get("targets") if isinstance(data, dict) else None
        return {k: v for k, v in targets.items() if isinstance(v, dict)} \
            if isinstance(targets, dict) else {}

    def _write(self, targets: dict[str, dict[str, Any]]) -> None:
        now = self.clock()
        kept = {key: entry for key, entry in targets.items()
                if entry.get("drains") and now - float(entry.get("touched", now)) < FORGET_AFTER}
        body = json.dumps({"version": FORMAT_VERSION, "targets": kept}, indent=1,
                          sort_keys=True)
        try:
            write_atomic(self.path, body.encode() + b"\n")
        except OSError as err:
            raise DrainStoreError(f"cannot write {self.path}: {err.strerror}") from err

    def pending(self, target: DrainTarget) -> list[Drain]:
        with self._lock:
            entry = self._read().get(target.key, {})
        drains = [Drain.from_json(item) for item in entry.get("drains", [])]
        return [d for d in drains if d is not None]

    def add(self, target: DrainTarget, drains: Iterable[Drain]) -> None:
        new = list(drains)
        if not new:
            return
        with self._lock:
            targets = self._read()
            entry = targets.setdefault(target.key, {"drains": []})
            have = {item.get("GameSessionId"): item for item in entry.get("drains", [])
                    if isinstance(item, dict)}
            for drain in new:
                have[drain.game_session_id] = drain.to_json()
            entry.update(drains=list(have.values()), touched=self.clock(),
                         where=target.describe())
            self._write(targets)

    def remove(self, target: DrainTarget, ids: Iterable[str]) -> None:
        gone = set(ids)
        if not gone:
            return
        with self._lock:
            targets = self._read()
            entry = targets.get(target.key)
            if entry is None:
                return
            entry["drains"] = [item for item in entry.get("drains", [])
                               if not (isinstance(item, dict)
                                       and item.get("GameSessionId") in gone)]
            entry["touched"] = self.clock()
            self._write(targets)


# --- the workflow ----------------------------------------------------------------------------


class ClientSource(Protocol):
    def client(self, service: Any) -> Any: ...


@dataclass
class DrainReport:
    """What a drain did so far: per-session outcomes, the first error in words, and what is
    still waiting (with the players still connected to those sessions; -1 before a look)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    first_error: str = ""
    waiting: list[str] = field(default_factory=list)
    players: int = -1

    def note_error(self, err: BaseException, explain: Callable[[BaseException], str]) -> None:
        self.outcomes[_error_code(err)] += 1
        self.first_error = self.first_error or explain(err)

    def summary(self) -> str:
        text = ", ".join(f"{n} {what}" for what, n in self.outcomes.items()) or "nothing to do"
        return text + (f" — {self.first_error}" if self.first_error else "")


def _error_code(err: BaseException) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "error"))
    return type(err).__name__


def _transient(err: BaseException) -> bool:
    """Worth looking again next round: throttled, or the network (the session is still
    locked on the service; a lost connection says nothing about it). A terminate whose answer
    was lost and could not be read back is looked at again too: the next look finds it ending
    (counted as done) or still there (terminated then)."""
    return is_throttled(err) or isinstance(err, HTTPClientError | OutcomeUnknown)


class DrainWorkflow:
    """Lock, then poll and terminate, for one target; every session's progress is written to
    the store as it happens, so a stop at any moment leaves the file telling the truth."""

    def __init__(self, ctx: ClientSource, store: DrainStore, target: DrainTarget, *,
                 poll_seconds: float = 5.0, explain: Callable[[BaseException], str] = str,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 cancelled: Callable[[], bool] = lambda: False,
                 now: Callable[[], float] = time.time) -> None:
        self.ctx, self.store, self.target = ctx, store, target
        self.poll_seconds = poll_seconds
        self.explain = explain
        self.clock, self.sleep, self.cancelled, self.now = clock, sleep, cancelled, now
        self.report = DrainReport()
        self.modes: dict[str, str] = {}

    # --- starting ----------------------------------------------------------------------------

    def start(self, ids: Sequence[str], mode: str) -> DrainReport:
        """Lock each session to new players. Each is remembered before its lock is sent (a
        crash in between leaves a drain that the next start finds already locked, never a
        locked session nobody remembers) and forgotten again if the lock is refused. When the
        state file cannot be written nothing is sent: DrainStoreError says why."""
        started = self.now()
        self.store.add(self.target, [Drain(sid, mode, started) for sid in ids])
        for sid in ids:
            if self.cancelled():
                break
            try:
                self._paced(functools.partial(gamelift.update_game_session, self.ctx, sid,
                                              PlayerSessionCreationPolicy="DENY_ALL"))
            except ReadOnlyViolation as err:
                self.report.outcomes["refused (read-only)"] += 1
                self.report.first_error = self.report.first_error or str(err)
                self._forget([sid])
                continue
            except Exception as err:  # reported per session; the others go on
                self.report.note_error(err, self.explain)
                self._forget([sid])
                continue
            self.modes[sid] = mode
            self.report.waiting.append(sid)
        # Sessions not reached before a stop were never locked: nothing to resume for them.
        unreached = [sid for sid in ids if sid not in self.modes]
        if unreached:
            self._forget(unreached)
        return self.report

    def resume(self, drains: Iterable[Drain]) -> DrainReport:
        """Follow drains a previous run started (their locks were sent then)."""
        for drain in drains:
            if drain.game_session_id not in self.modes:
                self.modes[drain.game_session_id] = drain.mode
                self.report.waiting.append(drain.game_session_id)
        return self.report

    def _paced(self, call: Callable[[], object]) -> object:
        """botocore already retries throttling; when it gives up, wait a little longer and try
        again, so a bulk lock finishes instead of failing half-way."""
        delay = 1.0
        for _attempt in range(3):
            try:
                return call()
            except Exception as err:
                if not is_throttled(err) or self.cancelled():
                    raise
                self.sleep(delay)
                delay *= 2
        return call()

    # --- following ---------------------------------------------------------------------------

    def poll_once(self) -> DrainReport:
        """One look at every waiting session: terminate the empty ones, drop the ended."""
        report = self.report
        players = 0
        done: list[str] = []
        for sid in list(report.waiting):
            if self.cancelled():
                break
            try:
                session = gamelift.describe_game_session(self.ctx, sid)
                if session.status in ENDED:
                    report.outcomes[f"already {session.status}"] += 1
                elif session.current_player_session_count == 0:
                    # A TerminationMode: start's callers pass one, Drain.from_json admits no other.
                    mode = cast("gamelift.TerminationMode",
                                self.modes.get(sid, "TRIGGER_ON_PROCESS_TERMINATE"))
                    gamelift.terminate_game_session(self.ctx, sid, mode)
                    report.outcomes["drained and terminated"] += 1
                else:
                    players += session.current_player_session_count
                    continue
            except ResourceGone:
                report.outcomes["gone"] += 1
            except ReadOnlyViolation as err:
                # A read-only run does not finish someone's drain; it stays for the next run.
                report.first_error = report.first_error or str(err)
                continue
            except Exception as err:
                if _transient(err):
                    continue  # look again next round
                report.note_error(err, self.explain)
            report.waiting.remove(sid)
            done.append(sid)
        self._forget(done)
        report.players = players
        return report

    def _forget(self, ids: list[str]) -> None:
        try:
            self.store.remove(self.target, ids)
        except DrainStoreError as err:
            # Done on the service all the same; the next start finds them ended and drops them.
            self.report.first_error = self.report.first_error or str(err)

    def run(self, progress: Callable[[DrainReport], None] = lambda _r: None) -> DrainReport:
        """Poll until every session is done or ``cancelled()``; what is still waiting then
        stays in the store, to be resumed."""
        while self.report.waiting and not self.cancelled():
            progress(self.poll_once())
            deadline = self.clock() + self.poll_seconds
            while self.report.waiting and not self.cancelled() and self.clock() < deadline:
                self.sleep(min(0.05, max(0.0, deadline - self.clock())))
        if self.report.waiting:
            self.report.outcomes["still draining when stopped"] += len(self.report.waiting)
        return self.report
