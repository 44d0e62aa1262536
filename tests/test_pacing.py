"""Paging threads hold their next request while a key press is being answered, never long."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tui.services.pacing import InputPacer


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Waits (in a plain thread test, with no pilot) for a state another thread brings."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_no_key_no_hold() -> None:
    pacer = InputPacer(max_hold=1.0)
    start = time.monotonic()
    pacer()
    assert time.monotonic() - start < 0.05
    assert pacer.holds == 0


def test_a_paging_thread_waits_until_the_key_is_answered() -> None:
    pacer = InputPacer(max_hold=5.0)
    pacer.note_input()
    released = threading.Event()

    def page() -> None:
        pacer()
        released.set()

    thread = threading.Thread(target=page)
    thread.start()
    # The thread is inside the hold (counted before it waits) and the key is not answered:
    # nothing but note_answered (or max_hold, 5 s) can release it now.
    _until(lambda: pacer.holds == 1)
    assert not released.is_set()  # held while the UI works on the key
    pacer.note_answered()
    assert released.wait(2.0)
    thread.join()
    assert pacer.holds == 1


def test_the_hold_is_bounded_when_the_ui_never_answers() -> None:
    pacer = InputPacer(max_hold=0.05)
    start = time.monotonic()
    pacer.note_input()
    pacer()
    # The hold ends max_hold after the key, however late the paging thread came to it.
    assert 0.045 <= time.monotonic() - start < 1.0


def test_an_unanswered_key_holds_paging_once_not_forever() -> None:
    pacer = InputPacer(max_hold=0.05)
    pacer.note_input()
    pacer()  # waits out the hold
    start = time.monotonic()
    for _ in range(5):
        pacer()  # later requests go at once though the key was never answered
    assert pacer.holds == 1
    assert time.monotonic() - start < 0.2  # not five more holds of 50 ms


def test_a_background_call_waits_to_parse_its_answer_while_a_key_is_answered(
        aws) -> None:  # noqa: ANN001 - the conftest AwsContext on the simulator
    pacer = InputPacer(max_hold=5.0)
    aws.pace = pacer
    client = aws.client("gamelift")
    # From the main thread (the one that answers keys) nothing waits.
    pacer.note_input()
    assert client.list_fleets()["FleetIds"]
    assert pacer.holds == 0
    # A background call's answer is parsed only once the key is answered.
    done = threading.Event()
    answer: dict = {}

    def call() -> None:
        answer.update(client.list_fleets())
        done.set()

    threading.Thread(target=call).start()
    # The answer came back and the thread is held before parsing it (max_hold is 5 s).
    _until(lambda: pacer.holds == 1)
    assert not done.is_set()  # its parsing waits for the key
    pacer.note_answered()
    assert done.wait(10)
    assert answer["FleetIds"]


async def test_a_key_holds_paging_from_the_moment_the_driver_reads_it(
        sim, home) -> None:  # noqa: ANN001 - conftest fixtures
    from apptest import make_app, settle, wait_for
    from textual import events

    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.pacer.holding
        # What the terminal driver's input thread does with a key it has read. The event loop
        # has not run since, so only the driver's side can have told the pacer.
        key = events.Key("down", None)
        key.set_sender(app)
        app._driver.send_message(key)
        assert app.pacer.holding
        # Once the key is answered on screen, paging goes on.
        await wait_for(pilot, lambda: not app.pacer.holding)
