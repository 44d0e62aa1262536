"""What keeps the screen answering keys while pages stream in, in one object the app installs
when it mounts: the frame rate, input pacing (paging threads give way to a key being answered,
``tui.services.pacing``) and the garbage-collection schedule (full passes wait for an idle
moment, ``tui.ui.gc_schedule``). A benchmark adds its probes through the hooks it offers.

Importing this module imports no Textual: `choose_frame_rate` must run before Textual is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from tui.services.pacing import InputPacer
from tui.ui.gc_schedule import TICK_EVERY, GcSchedule

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message

# Textual paints a changed screen on its next frame tick; at its default 60 frames a second a
# key pressed just after a tick waits up to 17 ms to show. At 120 the wait is half that
# (benchmark key p95 20 ms instead of 30 ms while pages load); idle screens are not painted
# either way.
FRAME_RATE = 120


def choose_frame_rate(environ: MutableMapping[str, str] = os.environ) -> None:
    """The app's frame rate, unless the user set TEXTUAL_FPS (a slow link, say). Textual reads
    the variable once, when first imported: call this before anything imports Textual."""
    environ.setdefault("TEXTUAL_FPS", str(FRAME_RATE))


class Responsiveness:
    def __init__(self, pacer: InputPacer | None = None,
                 gc_schedule: GcSchedule | None = None) -> None:
        self.pacer = pacer or InputPacer()  # paging workers call it before each request
        self.gc_schedule = gc_schedule or GcSchedule()
        self._frame_hooks: list[Callable[[], None]] = []
        self._frames_watched: App[Any] | None = None

    def install(self, app: App[Any]) -> None:
        """At mount: the GC schedule starts, and keys are noted as the driver reads them."""
        from tui.ui.textual_private import watch_driver_messages

        self.gc_schedule.start()
        app.set_interval(TICK_EVERY, self.gc_schedule.tick)
        # Hold paging from the moment the driver reads a key, not from when the event loop
        # gets to it: with paging threads parsing, the key can wait its turn for tens of ms,
        # and holding them meanwhile is what shortens that wait.
        watch_driver_messages(app, self._from_driver)

    def uninstall(self) -> None:
        self.gc_schedule.stop()

    def _from_driver(self, message: Message) -> None:  # the driver's input thread
        from textual import events

        if isinstance(message, events.Key):
            self.pacer.note_input()

    def key_arrived(self) -> None:
        """The event loop got a key (it may have waited in the queue since the driver)."""
        self.gc_schedule.note_input()
        self.pacer.note_input()

    def key_answered(self) -> None:
        """The screen has been refreshed after the key's handler: paging may go on."""
        self.pacer.note_answered()

    def on_frame(self, app: App[Any], hook: Callable[[], None]) -> None:
        """Call ``hook`` after every frame handed to the terminal (benchmarks time with it)."""
        from tui.ui.textual_private import watch_frames

        self._frame_hooks.append(hook)
        if self._frames_watched is not app:
            self._frames_watched = app
            watch_frames(app, self._frame_shown)

    def _frame_shown(self) -> None:
        for hook in self._frame_hooks:
            hook()
