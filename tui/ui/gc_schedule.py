"""When Python's cyclic garbage collector makes its full passes: when the user is idle.

The automatic collector starts a full (generation 2) pass whenever enough objects have
survived; with tens of thousands of game sessions in memory such a pass takes 100 ms or more
and lands at a random moment, often in the middle of a key press while pages stream in. Young
passes stay automatic (they are small and frequent); the full pass is taken off the automatic
schedule and run from a timer after the user has been idle for a moment, and at the latest every
few minutes. Most garbage here has no reference cycles and is freed at once by reference counting
either way; the collector only finds cycles.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

TICK_EVERY = 1.0  # seconds between looks at whether a full pass is due
NEVER = 1 << 30  # a generation-2 threshold the automatic collector never reaches
FULL_EVERY = 30.0  # seconds between full passes when the user is idle…
FULL_AT_LATEST = 300.0  # …and between full passes at the latest
IDLE = 2.0  # seconds without input that count as idle


def pause_during_startup() -> None:
    """No cyclic collection while the app starts (``GcSchedule.start`` resumes it): importing
    botocore and Textual creates tens of thousands of long-lived objects, and the automatic
    passes that triggers, each over everything created so far, cost a tenth of the start-up
    time while finding almost nothing to free."""
    gc.disable()


class GcSchedule:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_input = clock()
        self.last_full = clock()
        self.ticks = 0
        self.full_passes = 0
        self.thresholds = gc.get_threshold()

    def start(self) -> None:
        """Take the full pass off the automatic schedule (call ``tick`` every TICK_EVERY s), and
        turn the collector back on if `pause_during_startup` turned it off."""
        # What exists now (Textual, botocore's models, the app's widgets) lives as long as the
        # app: leave it out of every later pass. No collection first: start-up leaves a few
        # hundred cyclic objects of garbage (measured: 589), and a pass over all that was just
        # imported cost 20-30 ms of the time to the first screen.
        gc.freeze()
        gc.set_threshold(self.thresholds[0], self.thresholds[1], NEVER)
        gc.enable()

    def stop(self) -> None:
        gc.unfreeze()
        gc.set_threshold(*self.thresholds)

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
