"""The collector schedule: cycles are still collected, the full pass waits for an idle moment."""

from __future__ import annotations

import gc
import weakref

from tui.ui.gc_schedule import FULL_AT_LATEST, FULL_EVERY, IDLE, NEVER, GcSchedule


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_schedule_collects_cycles_and_defers_the_full_pass_while_typing() -> None:
    now = [1000.0]
    before = gc.get_threshold()
    schedule = GcSchedule(clock=lambda: now[0])
    schedule.start()
    try:
        assert gc.isenabled() and gc.get_threshold()[2] == NEVER
        garbage = _cycle()
        # Young passes, still automatic, find a fresh cycle without any full pass.
        gc.collect(0)
        assert garbage() is None
        now[0] += 1
        schedule.tick()
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
    assert gc.get_threshold() == before


def test_collector_paused_during_startup_is_back_once_the_schedule_starts() -> None:
    from tui.ui.gc_schedule import pause_during_startup

    pause_during_startup()
    try:
        assert not gc.isenabled()
        schedule = GcSchedule()
        schedule.start()
        try:
            assert gc.isenabled()
            garbage = _cycle()
            gc.collect(0)
            assert garbage() is None
        finally:
            schedule.stop()
    finally:
        gc.enable()
