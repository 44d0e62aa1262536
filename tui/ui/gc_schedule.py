"""When Python's cyclic garbage collector runs: on a timer, and the full pass only when idle.

The automatic collector starts a full (generation 2) pass whenever enough objects have
survived; with tens of thousands of game sessions in memory such a pass takes 100 ms or more
and lands at a random moment, often in the middle of a key press while pages stream in. Most
garbage here has no reference cycles and is freed at once by reference counting either way; the
collector only finds cycles. So: young generations every second (a few milliseconds), the full
pass only after the user has been idle for a moment, and at the latest every few minutes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

YOUNG_EVERY = 1.0  # seconds between generation 0 passes
MIDDLE_EVERY = 10  # young passes between generation 1 passes
FULL_EVERY = 30.0  # seconds between full passes when the user is idle…
FULL_AT_LATEST = 300.0  # …and between full passes at the latest
IDLE = 2.0  # seconds without input that count as idle


class GcSchedule:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_input = clock()
        self.last_full = clock()
        self.ticks = 0
        self.full_passes = 0
        self.was_enabled = gc.isenabled()

    def start(self) -> None:
        """Take over from the automatic collector (call ``tick`` every YOUNG_EVERY seconds)."""
        gc.collect()
        # What exists now (Textual, botocore's models, the app's widgets) lives as long as the
        # app: leave it out of every later pass.
        gc.freeze()
        gc.disable()

    def stop(self) -> None:
        gc.unfreeze()
        if self.was_enabled:
            gc.enable()

    def note_input(self) -> None:
        self.last_input = self.clock()

    def tick(self) -> None:
        self.ticks += 1
        now = self.clock()
        since_full = now - self.last_full
        idle = now - self.last_input >= IDLE
        if (since_full >= FULL_EVERY and idle) or since_full >= FULL_AT_LATEST:
            gc.collect()
            self.last_full = now
            self.full_passes += 1
        elif self.ticks % MIDDLE_EVERY == 0:
            gc.collect(1)
        else:
            gc.collect(0)
