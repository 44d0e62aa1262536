"""The one worker recipe (tui/ui/work.py): answers and failures come back to the widget that
asked, a superseded call's late answer never lands, changes run beside each other, and every
failure is the one classification — through real botocore to the simulator."""

from __future__ import annotations

import threading
from typing import Any

from apptest import wait_for
from textual.app import App, ComposeResult
from textual.message import Message

from tui.aws.errors import Failure
from tui.aws.session import AwsContext
from tui.ui.work import CallDone, Calls, Job


class Asker(Calls):
    """A widget that asks and writes down what came back."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Any] = []
        self.failures: list[Failure] = []
        self.defaulted: list[tuple[str, Failure]] = []
        self.progress: list[Any] = []

    def call_failed(self, tag: str, failure: Failure) -> None:
        self.defaulted.append((tag, failure))


class Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield Asker()


def fleet_ids(aws: AwsContext, job: Job) -> list[str]:
    pages = aws.client("gamelift").get_paginator("list_fleets").paginate()
    ids: list[str] = []
    for page in pages:
        ids += page["FleetIds"]
        job.progress(len(ids))
    return ids


async def test_an_answer_reaches_the_widget_on_the_event_loop(aws: AwsContext) -> None:
    expected = fleet_ids(aws, Job(Asker(), "x", None, None))
    async with Harness().run_test() as pilot:
        asker = pilot.app.query_one(Asker)
        threads: list[bool] = []

        def done(ids: list[str]) -> None:
            threads.append(threading.current_thread() is threading.main_thread())
            asker.answers.append(ids)

        asker.run_call("fleets", lambda job: fleet_ids(aws, job), done=done,
                       progress=asker.progress.append)
        await wait_for(pilot, lambda: asker.answers)
        assert asker.answers == [expected] and expected
        assert threads == [True]
        assert asker.progress and asker.progress[-1] == len(expected)


async def test_a_failure_is_classified_once_and_goes_where_it_was_asked(
        aws: AwsContext) -> None:
    gamelift = aws.client("gamelift")
    async with Harness().run_test() as pilot:
        asker = pilot.app.query_one(Asker)
        asker.run_call("gone", lambda job: gamelift.describe_game_session_details(
            GameSessionId="arn:aws:gamelift:us-west-2::gamesession/fleet-nope/gsess-nope"),
            done=asker.answers.append, failed=asker.failures.append)
        asker.run_call("denied", lambda job: gamelift.update_game_session(
            GameSessionId="gsess-none"), done=asker.answers.append)
        await wait_for(pilot, lambda: asker.failures and asker.defaulted)
        [gone] = asker.failures
        [(tag, other)] = asker.defaulted
        assert asker.answers == []
        assert gone.kind == "not_found" and gone.retry_safe and "no longer exists" in gone.text
        assert tag == "denied" and other.kind in ("not_found", "invalid") and other.text


async def test_a_superseded_call_never_lands(aws: AwsContext) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(job: Job) -> str:
        started.set()
        release.wait(10)
        return "old"

    arrived: list[CallDone[Any]] = []

    def hook(message: Message) -> None:
        if isinstance(message, CallDone):
            arrived.append(message)

    async with Harness().run_test(message_hook=hook) as pilot:
        asker = pilot.app.query_one(Asker)
        asker.run_call("load", slow, done=asker.answers.append)
        await wait_for(pilot, started.is_set)
        asker.run_call("load", lambda job: "new", done=asker.answers.append)
        await wait_for(pilot, lambda: asker.answers)
        release.set()
        # The old answer reached the widget's queue; the guard must drop it there.
        await wait_for(pilot, lambda: "old" in [m.value for m in arrived])
        # A later call's answer lands after the old one was handled (one queue, in order):
        # once it is in, the old answer has had its chance and was dropped.
        asker.run_call("after", lambda job: "after", done=asker.answers.append)
        await wait_for(pilot, lambda: "after" in asker.answers)
        assert asker.answers == ["new", "after"]


async def test_changes_run_beside_each_other_and_all_land(aws: AwsContext) -> None:
    gate = threading.Barrier(3, timeout=10)

    def change(n: int) -> int:
        gate.wait()  # all three are running at once, or this times out
        return n

    async with Harness().run_test() as pilot:
        asker = pilot.app.query_one(Asker)
        for n in range(3):
            asker.run_call("change", lambda job, n=n: change(n), done=asker.answers.append,
                           failed=asker.failures.append, exclusive=False)
        await wait_for(pilot, lambda: len(asker.answers) + len(asker.failures) == 3)
        assert sorted(asker.answers) == [0, 1, 2] and asker.failures == []
