"""The console within its API budget, against a simulator that enforces GameLift's documented
limits: what it costs the service, what the game's backend suffers, what the operator sees."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, settle, wait_for
from rich.console import Console
from simctl import World

from tui.aws.budget import DEFAULT_SHARE, FOREGROUND_SHARE
from tui.aws.limits import documented_limits
from tui.services.gamelift import iter_game_session_pages
from tui.ui.screens.budget import BudgetScreen
from tui.ui.widgets.context_bar import ContextBar

GAMELIFT = documented_limits().service("GameLift")
DETAILS = "DescribeGameSessionDetails"
BACKEND_KEY = "AKIDGAMEBACKEND"


def shown(widget: Any) -> str:
    """A Static's content as the terminal shows it (no colours), 160 cells wide."""
    console = Console(width=160, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _until(condition, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.mark.world(sessions=2000, fleets=1, rate_limits="default")
def test_paging_keeps_to_the_share_of_the_documented_limit(world: World, home: Path) -> None:
    aws = world.aws()
    fleet = next(iter({s["FleetId"] for s in world.sessions().values()}))
    world.clear_requests()
    start = time.monotonic()
    # On a worker thread, as the panes page (the main thread's calls never wait).
    with ThreadPoolExecutor(1) as worker:
        pages = worker.submit(lambda: sum(1 for _ in iter_game_session_pages(aws, fleet))
                              ).result()
    elapsed = time.monotonic() - start
    rate, burst = GAMELIFT.operations[DETAILS]
    budget_rate, budget_burst = rate * DEFAULT_SHARE, max(burst * DEFAULT_SHARE, 1.0)
    assert pages >= 20  # 2,000 sessions in pages of at most 100
    # The service saw every page and throttled none of them ...
    seen = world.requests()[DETAILS]
    assert seen == {"calls": pages, "throttled": 0}
    # ... and they came no faster than the budget: the burst at once, the rest at its rate.
    assert elapsed >= (pages - budget_burst) / budget_rate - 0.05


@pytest.mark.world(sessions=300, rate_limits="default", backend_load=20.0)
async def test_the_games_backend_is_not_throttled_while_the_console_pages(
        world: World, home: Path) -> None:
    _until(lambda: sum(op["calls"] for op in world.requests(BACKEND_KEY).values()) >= 20)
    world.clear_requests()
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")  # every fleet's sessions
        await settle(app, pilot)
        for _ in range(3):
            await pilot.press("r")
            await settle(app, pilot)
    backend = world.requests(BACKEND_KEY)
    assert sum(op["calls"] for op in backend.values()) > 0
    assert {op: n["throttled"] for op, n in backend.items() if n["throttled"]} == {}
    console = world.requests("AKIDGAMEOPSDEMO")
    assert console.get(DETAILS, {}).get("calls", 0) > 0


@pytest.mark.world(sessions=120, rate_limits="default")
async def test_the_meter_and_the_budget_view(world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        bar = app.query_one(ContextBar)
        await wait_for(pilot, lambda: "API " in shown(bar))
        assert "throttled" not in shown(bar)

        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, BudgetScreen))
        body = shown(app.screen.query_one("#budget-table"))
        # The operations the panes called, with the documented limit and this console's share.
        assert DETAILS in body and "ListFleets" in body
        assert f"{GAMELIFT.operations[DETAILS][0]:.0f}/s" in body
        assert "(account)" in body
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, BudgetScreen))

        # The service throttles every call for a moment: the meter says so, the app runs on.
        world.faults(throttle_rate=1.0)
        await pilot.press("r")
        await wait_for(pilot, lambda: "throttled" in shown(bar), timeout=30)
        world.faults(throttle_rate=0.0)
        await settle(app, pilot)
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, BudgetScreen))
        rows = [r for r in app.aws.budget.usage() if r.throttled]
        assert rows, "the view counts the throttles"


@pytest.mark.world(sessions=1200, fleets=1, rate_limits="default")
async def test_a_search_the_user_runs_does_not_wait_behind_the_budget(
        world: World, home: Path) -> None:
    from textual.widgets import Select

    from tui.aws.session import AwsContext
    from tui.ui.app import GameOpsApp
    from tui.ui.panes.search import SearchPane

    # At 2% of the documented 30/s, background SearchGameSessions paging would take one page
    # every 1.7 s: the ~55 pages of this fleet would wait a minute and a half. The user's search
    # is paced at FOREGROUND_SHARE of the limit instead: its burst at once, the rest at 15/s.
    app = GameOpsApp(AwsContext(world.target(api_budget=0.02)), simulator=world)
    fleet = next(iter({s["FleetId"] for s in world.sessions().values()}))
    active = [s for s in world.sessions().values() if s["Status"] == "ACTIVE"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.query_one(SearchPane)
        pane.query_one("#search-where", Select).value = f"fleet:{fleet}"
        await pilot.press("x")  # no conditions: every active session
        await pilot.press("g")
        await wait_for(pilot, lambda: pane.table.row_count == len(active), timeout=60)
        search = next(r for r in app.aws.budget.usage() if r.operation == "SearchGameSessions")
    pages = search.calls
    assert pages >= len(active) // 20
    rate, burst = GAMELIFT.operations["SearchGameSessions"]
    fg_rate, fg_burst = rate * FOREGROUND_SHARE, burst * FOREGROUND_SHARE
    background_wait = (pages - 1) / (rate * 0.02)  # the 2% budget's burst is one call
    assert search.waited <= (pages - fg_burst) / fg_rate + 0.5 < background_wait / 10
    assert world.requests()["SearchGameSessions"]["throttled"] == 0
