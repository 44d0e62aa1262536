"""The app's responsiveness object: frame rate, input pacing, GC schedule and the frame hooks."""

from __future__ import annotations

import gc
import subprocess
import sys

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.services.pacing import InputPacer
from tui.ui.gc_schedule import NEVER, GcSchedule
from tui.ui.responsiveness import FRAME_RATE, Responsiveness, choose_frame_rate
from tui.ui.textual_private import driver


def test_the_frame_rate_is_a_default_the_user_can_override() -> None:
    environ: dict[str, str] = {}
    choose_frame_rate(environ)
    assert environ == {"TEXTUAL_FPS": str(FRAME_RATE)}
    environ = {"TEXTUAL_FPS": "30"}
    choose_frame_rate(environ)
    assert environ == {"TEXTUAL_FPS": "30"}


def test_importing_it_imports_no_textual() -> None:
    # It has to be importable before Textual, whose frame rate it sets.
    code = "import sys, tui.ui.responsiveness; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_key_holds_paging_until_it_is_answered() -> None:
    now = [100.0]
    schedule = GcSchedule(clock=lambda: now[0])
    responsiveness = Responsiveness(InputPacer(max_hold=5.0), schedule)
    now[0] = 150.0
    responsiveness.key_arrived()
    assert responsiveness.pacer.holding
    assert schedule.last_input == 150.0  # the GC's full pass waits for idleness after it
    responsiveness.key_answered()
    assert not responsiveness.pacer.holding


class Shown(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")


async def test_installed_it_hears_keys_from_the_driver_and_tells_frames() -> None:
    responsiveness = Responsiveness(InputPacer(max_hold=5.0))
    app = Shown()
    frames: list[int] = []
    thresholds = gc.get_threshold()
    try:
        async with app.run_test(size=(40, 5)) as pilot:
            responsiveness.install(app)
            assert gc.get_threshold()[2] == NEVER  # full passes off the automatic schedule
            responsiveness.on_frame(app, lambda: frames.append(1))
            the_driver = driver(app)
            assert the_driver is not None
            event = events.Key("x", "x")
            event.set_sender(app)
            # Before the event loop gets to the key: the driver's thread already told the pacer.
            the_driver.send_message(event)
            assert responsiveness.pacer.holding
            app.refresh()
            await pilot.pause(0.05)
            assert frames
    finally:
        responsiveness.uninstall()
    assert gc.get_threshold() == thresholds
