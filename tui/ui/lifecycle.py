"""Ending the app when the process is told to: SIGTERM (kill, systemd, a container stopping) and
SIGHUP (the SSH session to the bastion dropped, the terminal window closed).

Textual 8.2.8 handles SIGTSTP/SIGCONT (suspend) and SIGWINCH (resize) only; SIGTERM and SIGHUP
keep their default action, which kills the process on the spot: the terminal stays in raw mode
on the alternate screen, the in-process simulator and the worker threads die mid-call, and a
download leaves its ``.part`` file behind. With these handlers a signal ends the app the way
``q`` does: ``App.exit`` cancels the workers (a download stops at its next chunk and removes its
``.part`` file, a deployment poll stops within 0.1 s), the driver restores the terminal, and the
process exits with 128 + the signal number, as shells report a signal death. Nothing is written
to the audit log by the exit itself: its lines are single appends, so none is ever cut in two.

A second signal while the app is still closing (say, a worker stuck in a long network call)
ends the process at once with the signal's default action.

Use (``cli.run_app``, just before ``app.run()``)::

    install_signal_handlers(app)
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tui.ui.textual_private import event_loop

if TYPE_CHECKING:
    from textual.app import App

SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def install_signal_handlers(app: App[Any], signals: Iterable[signal.Signals] = SIGNALS
                            ) -> Callable[[], None]:
    """Make ``signals`` end ``app`` cleanly; returns a function that puts the previous
    handlers back. Must be called from the main thread (Python delivers signals there)."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("signal handlers can only be installed from the main thread")
    received: list[int] = []
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: object) -> None:
        received.append(signum)
        loop = event_loop(app)
        if len(received) > 1 or loop is None or loop.is_closed():
            # Second signal, or the app is not running (yet or any more): the default action.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        # The handler runs in the main thread between two bytecodes of whatever was running
        # (the event loop's select, most likely): hand the exit to the loop, do not run it here.
        loop.call_soon_threadsafe(_exit, app, signum)

    for signum in signals:
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handle)

    def restore() -> None:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    return restore


def _exit(app: App[Any], signum: int) -> None:
    name = signal.Signals(signum).name
    with contextlib.suppress(Exception):  # a log line is nice to have, never a reason to stay
        app.log.info(f"{name} received: exiting")
    app.exit(return_code=128 + signum)
