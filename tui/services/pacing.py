"""Background paging gives way to the keyboard.

Paging threads spend most of their time in botocore's response parser, which holds the GIL.
Against a fast endpoint they want the interpreter all the time, and the UI thread then gets it
only every few milliseconds: a key press that needs 5 ms of work took 40-60 ms to reach the
screen. So from a key press until the screen has been updated for it, paging threads hold
their next request (for at most MAX_HOLD); loading goes on at a slower pace while the user
types and at full speed otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Seconds a paging thread waits at most for the UI to answer a key. Long enough to cover the
# slowest answers (a scroll redraws every line): with 50 ms, a press that took longer lost the
# hold halfway and then took longer still (benchmark key p99 39-55 ms over four runs; with
# 150 ms, 40-48 ms and never over 50). Only a key whose answer never reports back waits it out.
MAX_HOLD = 0.15


class InputPacer:
    def __init__(self, max_hold: float = MAX_HOLD,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_hold = max_hold
        self.clock = clock
        self._answered = threading.Event()
        self._answered.set()
        self._input_at = float("-inf")
        self.holds = 0

    def note_input(self) -> None:
        """A key arrived (told by the terminal driver's input thread, then again by the UI
        thread): hold paging until `note_answered`."""
        self._input_at = self.clock()
        self._answered.clear()

    def note_answered(self) -> None:
        """UI thread: the screen has been updated after the key."""
        self._answered.set()

    def __call__(self) -> None:
        """Paging thread, before each request: wait while a key is being answered."""
        if self._answered.is_set():
            return
        left = self.max_hold - (self.clock() - self._input_at)
        if left <= 0:
            # No answer came (the key opened a screen whose refresh never reports back, say):
            # a key holds paging once, for max_hold at most, never longer.
            self._answered.set()
            return
        self.holds += 1
        self._answered.wait(left)

    @property
    def holding(self) -> bool:
        return not self._answered.is_set()
