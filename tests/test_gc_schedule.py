"""The collector schedule: cycles are still collected, the full pass waits for an idle moment."""

from __future__ import annotations

import gc
import weakref

from tui.ui.gc_schedule import FULL_AT_LATEST, FULL_EVERY, IDLE, GcSchedule


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_schedule_collects_cycles_and_defers_the_full_pass_while_typing() -> None:
    now = [1000.0]
    schedule = GcSchedule(clock=lambda: now[0])
    schedule.start()
    try:
        assert not gc.isenabled()
        garbage = _cycle()
        # Young passes find a fresh cycle without any full pass.
        now[0] += 1
        schedule.tick()
        assert garbage() is None
        assert schedule.full_passes == 0

        # The user keeps typing: no full pass until the latest allowed moment.
        while now[0] < 1000.0 + FULL_AT_LATEST - 1:
            now[0] += 1
            schedule.note_input()
            schedule.tick()
        assert schedule.full_passes == 0
        now[0] += 1
        schedule.tick()
        assert schedule.full_passes == 1

        # Idle long enough after FULL_EVERY seconds: the full pass runs.
        now[0] += FULL_EVERY
        schedule.last_input = now[0] - IDLE
        schedule.tick()
        assert schedule.full_passes == 2
    finally:
        schedule.stop()
    assert gc.isenabled()
