"""The first fleet overview, fetched by a forked helper process while the app starts.

Start-up is CPU work under one interpreter lock: importing botocore and Textual, building the
first screen, and building the GameLift client (botocore's model loading) and parsing its
answers. A thread overlaps only the network waits. On Linux with a second core, a child forked
right after the AWS context exists (botocore already imported, credentials found) builds the
client and makes the calls truly alongside, and hands back the rows, pickled, over a pipe. The
app builds its own client later, for the refreshes, once the first screen is up.

Forking is safe only while the process has a single thread, and on Linux (macOS system
libraries may not survive a fork without exec); otherwise, and with one core, it is the thread
of `gamelift.prefetch_fleet_overview`. The child is only an accelerator: if it fails in a way
it cannot report, the thread makes the calls itself.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from concurrent.futures import Future
from typing import Any

from tui.aws.session import AwsContext
from tui.services.gamelift import FleetRow, fleet_overview, prefetch_fleet_overview

ROWS, ERROR = "rows", "error"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return (sys.platform == "linux" and hasattr(os, "fork")
            and threading.active_count() == 1 and usable_cores() >= 2)


def start(ctx: AwsContext) -> Future[list[FleetRow]]:
    """`fleet_overview(ctx)` started now: in a forked child when that is safe and there is a
    core for it (the parent only waits on a pipe), else on a thread."""
    if not can_fork():
        return prefetch_fleet_overview(ctx)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return prefetch_fleet_overview(ctx)
    if pid == 0:
        try:  # the child never returns into the caller's code, whatever happens
            os.close(read_end)
            _child(ctx, write_end)
        finally:
            os._exit(1)
    os.close(write_end)
    future: Future[list[FleetRow]] = Future()
    threading.Thread(target=_collect, args=(ctx, pid, read_end, future),
                     name="prefetch-fleets", daemon=True).start()
    return future


def _child(ctx: AwsContext, write_end: int) -> None:
    code = 1
    try:
        try:
            answer: tuple[str, Any] = (ROWS, fleet_overview(ctx))
        except Exception as err:  # noqa: BLE001 - sent to the parent, who explains it
            answer = (ERROR, err)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an error that does not pickle: the parent retries
            data = b""
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        # No atexit handlers, no flushing of stdio buffers copied from the parent.
        os._exit(code)


def _collect(ctx: AwsContext, pid: int, read_end: int, future: Future[list[FleetRow]]) -> None:
    answer: Any = None
    try:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        answer = pickle.loads(data) if data else None  # noqa: S301 - our own child's pipe
    except Exception:  # noqa: BLE001 - any failure here means "fetch it ourselves"
        answer = None
    if isinstance(answer, tuple) and len(answer) == 2:
        kind, value = answer
        if kind == ROWS and isinstance(value, list):
            future.set_result(value)
            return
        if kind == ERROR and isinstance(value, Exception):
            future.set_exception(value)
            return
    try:
        future.set_result(fleet_overview(ctx))
    except BaseException as err:  # handed to whoever takes the result, who explains it
        future.set_exception(err)
