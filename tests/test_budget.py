"""The API budget's scheduler on its own clock: what a caller waits, what the meter says."""

from __future__ import annotations

import threading

import pytest

from tui.aws.budget import ACCOUNT, CALM, ApiBudget


class FakeTime:
    """A clock that sleeping moves on, as a real one would."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget(time: FakeTime, *, share: float = 0.25,
           account: tuple[float, float] | None = (500.0, 500.0)) -> ApiBudget:
    return ApiBudget({"SearchGameSessions": (30.0, 30.0), "GetGameSessionLogUrl": (1.0, 4.0)},
                     account, share=share, clock=time.clock, sleep=time.sleep)


def test_background_calls_keep_to_the_share_of_the_documented_rate() -> None:
    time = FakeTime()
    spent = budget(time)
    start = time.now
    for _ in range(75):
        spent.spend("SearchGameSessions")
    # A quarter of 30/s is 7.5/s; the first 7.5 (the burst's quarter) go at once.
    assert time.now - start == pytest.approx((75 - 7.5) / 7.5, rel=0.01)
    row = next(r for r in spent.usage() if r.operation == "SearchGameSessions")
    assert row.limit == 30.0 and row.budget == 7.5
    # Over the 9 s: the burst at once, then the budget's rate.
    assert row.share == pytest.approx(75 / 9 / 30)


def test_a_user_action_does_not_wait_and_the_background_pays_for_it() -> None:
    time = FakeTime()
    spent = budget(time)
    for _ in range(8):
        assert spent.spend("SearchGameSessions", foreground=True) == 0.0
    with spent.foreground():
        assert spent.spend("SearchGameSessions") == 0.0
    # 9 taken from a bucket of 7.5 at 7.5/s: the next background call waits for 2.5 tokens.
    assert spent.spend("SearchGameSessions") == pytest.approx(2.5 / 7.5)


def test_a_throttle_slows_every_caller_of_that_operation_and_then_recovers() -> None:
    time = FakeTime()
    spent = budget(time)
    spent.throttled("SearchGameSessions")
    waits = [spent.spend("SearchGameSessions") for _ in range(4)]
    # Half the budget (3.75/s) and no tokens left: each call waits its turn at that rate.
    assert waits == pytest.approx([1 / 3.75] * 4)
    assert spent.meter().throttled
    assert next(r for r in spent.usage() if r.operation == "SearchGameSessions").throttled == 1
    time.now += CALM + 1
    assert not spent.meter().throttled
    spent.spend("SearchGameSessions")
    row = next(r for r in spent.usage() if r.operation == "SearchGameSessions")
    assert row.budget == 7.5


def test_the_account_limit_binds_operations_without_their_own() -> None:
    time = FakeTime()
    spent = budget(time, account=(8.0, 8.0))  # a quarter: 2/s
    for _ in range(2):
        assert spent.spend("DescribeAlias") == 0.0
    assert spent.spend("ListAliases") == pytest.approx(0.5)
    rows = {r.operation: r for r in spent.usage()}
    assert rows[ACCOUNT].calls == 3


def test_undocumented_operations_without_an_account_limit_never_wait() -> None:
    time = FakeTime()
    spent = budget(time, account=None)
    assert sum(spent.spend("ListGames") for _ in range(1000)) == 0.0


def test_a_low_limit_still_lets_one_call_through() -> None:
    time = FakeTime()
    spent = budget(time)
    # GetGameSessionLogUrl: 1/s, burst 4; a quarter of the burst is one call.
    assert spent.spend("GetGameSessionLogUrl") == 0.0
    assert spent.spend("GetGameSessionLogUrl") == pytest.approx(4.0)


def test_the_meter_shows_the_busiest_operations_share() -> None:
    time = FakeTime()
    spent = budget(time)
    for _ in range(150):  # 19 s: the meter's last 10 s are at the budget's rate
        spent.spend("SearchGameSessions")
    spent.spend("DescribeAlias")
    meter = spent.meter()
    assert meter.busiest == "SearchGameSessions"
    assert meter.percent == 25
    assert meter.text() == f"API {meter.percent}%"


def test_threads_sharing_an_operation_keep_to_its_rate_together() -> None:
    # The real clock: four threads of 10 calls each, at 40/s with a burst of 1.
    import time as real_time

    spent = ApiBudget({"DescribeGameSessionDetails": (40.0, 1.0)}, None, share=1.0)

    def page() -> None:
        for _ in range(10):
            spent.spend("DescribeGameSessionDetails")

    threads = [threading.Thread(target=page) for _ in range(4)]
    start = real_time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 40 calls, the first at once and the rest 1/40 s apart: no fewer than 39/40 s in all,
    # however the threads interleave (a slow machine only makes it longer).
    assert real_time.monotonic() - start >= 39 / 40 - 0.01


def test_a_users_read_is_paced_at_the_foreground_share_not_the_background_queue() -> None:
    time = FakeTime()
    spent = budget(time)
    for _ in range(20):  # the background has run the shared bucket into a long debt
        spent.spend("SearchGameSessions", foreground=True)
    start = time.now
    with spent.foreground():
        for _ in range(45):
            spent.spend("SearchGameSessions")
    # Half of 30/s with half the burst of 30: 15 at once, the other 30 at 15/s, whatever the
    # background owes.
    assert time.now - start == pytest.approx(30 / 15, rel=0.01)
    # The background still pays: 20 + 45 calls against 7.5 tokens and 7.5/s.
    waited = spent.spend("SearchGameSessions")
    assert waited == pytest.approx((20 + 45 + 1 - 7.5) / 7.5 - 2.0, rel=0.01)
