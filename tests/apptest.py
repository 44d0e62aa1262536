"""Helpers the pilot tests share: waiting for the app's workers and for a state to appear."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def make_app(sim: Any, *, read_only: bool = False) -> Any:
    """The app on the demo target, pointed at ``sim`` (a RunningSimulator)."""
    from tui.aws.session import AwsContext, Target
    from tui.ui.app import GameOpsApp

    if hasattr(sim, "target"):  # a World: its target has the budget its limits call for
        target = sim.target(read_only=read_only)
    else:
        # A bare simulator of a test: no one to share limits with, so no budget (it counts).
        target = Target(region="us-west-2", endpoint_url=sim.endpoint_url, demo=True,
                        read_only=read_only, api_budget=None)
    return GameOpsApp(AwsContext(target), simulator=sim)


async def settle(app: Any, pilot: Any, rounds: int = 3) -> None:
    """Let the app's workers finish and the screen catch up, the footer included (it waits
    for rows to stop arriving before it follows the focus)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    from tui.ui.widgets.footer import KeyFooter

    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):
            # Failures are reported by the panes (tests assert what the user sees); a newer
            # load cancels an older one of the same exclusive group.
            pass
        await pilot.pause()
    deadline = time.monotonic() + 5
    while (any(footer._recompose_pending for footer in app.query(KeyFooter))
           and time.monotonic() < deadline):
        await pilot.pause(KeyFooter.SETTLE / 2)
    await pilot.pause()


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


async def pane_of(app: Any, pilot: Any, cls: type, timeout: float = 10.0) -> Any:
    """The pane of that class once it is mounted: hidden panes are built after the first
    screen, or when their key is pressed. A pane is in the tree a moment before its widgets
    are composed; keys sent in that moment would find nothing to act on."""
    await wait_for(pilot, lambda: any(pane.is_mounted for pane in app.query(cls)), timeout)
    await pilot.pause()
    return app.query_one(cls)


async def type_burst(app: Any, pilot: Any, keys: str) -> None:
    """Post every key at once, as a paste or a fast typist delivers them (pilot.press waits
    for each key to be handled before sending the next)."""
    from textual import events

    names = {"/": "slash", "-": "minus"}
    for char in keys:
        app.post_message(events.Key(names.get(char, char), char))
    await pilot.pause(0.3)
