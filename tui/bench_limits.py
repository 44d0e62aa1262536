"""Benchmarks under GameLift's documented limits: the console as it runs beside a live game.

    python -m tui.bench --limits                      # 10,000 and 50,000 sessions, 5 minutes
    python -m tui.bench --limits --steady-seconds 60  # quicker

The simulator enforces the documented limits (``--rate-limits default``) and runs a game's
backend (``--backend-load``) under its own access key; the app runs with its default API budget.
For each scale:

- **load**: all fleets' sessions into the Sessions pane, against the floor the limits allow
  (pages ÷ the documented DescribeGameSessionDetails rate). A load the user
  asked for is paced at FOREGROUND_SHARE of the limit, so its ratio is about 1 ÷ that share.
- **steady state**: the app left on the all-fleets view for ``steady_seconds``; each
  operation's rate as a share of its documented limit (goal ≤ the configured ``api_budget``).
- **backend**: ThrottlingExceptions the game's backend got meanwhile (goal 0).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tui.bench import Row, SimProcess, _started, _wait

CONSOLE_KEY = "AKIDGAMEOPSDEMO"
BACKEND_KEY = "AKIDGAMEBACKEND"
BACKEND_TPS = 20.0
DETAILS = "DescribeGameSessionDetails"


class LimitedSim(SimProcess):
    """The simulator in its own process, with the documented limits and a game's backend."""

    def __init__(self, sessions: int, fleets: int, backend_tps: float) -> None:
        super().__init__(sessions, fleets, rate_limits="default",
                         extra=("--backend-load", str(backend_tps)))
        self.http = httpx.Client(base_url=f"{self.endpoint_url}/_sim", timeout=10.0)

    def requests(self, caller: str) -> dict[str, dict[str, int]]:
        answer: dict[str, dict[str, int]] = self.http.get(
            "/requests", params={"caller": caller}).json()["operations"]
        return answer

    def clear_requests(self) -> None:
        self.http.delete("/requests").raise_for_status()

    def stop(self) -> None:
        self.http.close()
        super().stop()


async def _steady(sim: LimitedSim, steady_seconds: float) -> dict[str, Any]:
    from tui.aws.budget import DEFAULT_SHARE
    from tui.aws.session import AwsContext, Target
    from tui.ui.app import GameOpsApp
    from tui.ui.panes.sessions import ALL_FLEETS, SessionsPane

    app = GameOpsApp(AwsContext(Target(demo=True, endpoint_url=sim.endpoint_url,
                                       region="us-west-2", api_budget=DEFAULT_SHARE)))
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(SessionsPane)
        await _started(app, pilot)
        sim.clear_requests()
        start = time.perf_counter()
        pane.select_fleet(ALL_FLEETS)
        await _wait(pilot, lambda: not pane.loading_sessions, timeout=1800)
        result["load"] = time.perf_counter() - start
        result["sessions"] = len(pane.sessions)
        result["pages"] = sim.requests(CONSOLE_KEY).get(DETAILS, {}).get("calls", 0)
        # Steady state: only what the app does by itself on the all-fleets view, and what the
        # game's backend suffers meanwhile.
        sim.clear_requests()
        start = time.perf_counter()
        await asyncio.sleep(steady_seconds)
        result["seconds"] = time.perf_counter() - start
        result["console"] = sim.requests(CONSOLE_KEY)
        result["backend"] = sim.requests(BACKEND_KEY)
    return result


def run_limits(scales: list[tuple[int, int]], steady_seconds: float) -> list[Row]:
    from tui.aws.budget import DEFAULT_SHARE, FOREGROUND_SHARE
    from tui.aws.limits import documented_limits

    limits = documented_limits().service("GameLift")
    rate = limits.operations[DETAILS][0]
    rows: list[Row] = []
    for sessions, fleets in scales:
        sim = LimitedSim(sessions, fleets, BACKEND_TPS)
        try:
            found = asyncio.run(_steady(sim, steady_seconds))
        finally:
            sim.stop()
        pages = found["pages"]
        floor = pages / rate
        ratio = found["load"] / floor if floor else float("nan")
        rows.append(Row(
            f"load, {fleets} fleets, {found['sessions']:,} sessions, documented limits",
            f"floor {floor:.1f}s ({pages} pages ÷ {rate:.0f}/s)",
            f"{found['load']:.1f}s", f"{ratio:.2f}×",
            f"≤ {1.1 / FOREGROUND_SHARE:.1f}× (paced at {FOREGROUND_SHARE:.0%})",
            ratio <= 1.1 / FOREGROUND_SHARE))
        shares = {op: n["calls"] / found["seconds"] / limits.operations[op][0]
                  for op, n in found["console"].items() if op in limits.operations}
        busiest = max(shares, key=shares.__getitem__) if shares else "-"
        top = shares.get(busiest, 0.0)
        account = sum(n["calls"] for n in found["console"].values()) / found["seconds"]
        account_share = account / limits.account[0] if limits.account else 0.0
        listed = ", ".join(f"{op} {share:.0%}" for op, share in
                           sorted(shares.items(), key=lambda item: -item[1])[:3])
        rows.append(Row(
            f"steady state, {found['sessions']:,} sessions, {found['seconds']:.0f}s",
            f"limit share {DEFAULT_SHARE:.0%}",
            f"{listed}; account {account_share:.1%}", f"{top / DEFAULT_SHARE:.2f}×",
            f"≤ 1.0× of api_budget {DEFAULT_SHARE}", top <= DEFAULT_SHARE * 1.02))
        backend_calls = sum(n["calls"] for n in found["backend"].values())
        throttled = sum(n["throttled"] for n in found["backend"].values())
        rows.append(Row(
            f"game backend at {BACKEND_TPS:.0f} TPS beside it",
            f"{backend_calls:,} calls", f"{throttled} throttled", "-", "0 throttled",
            throttled == 0))
    return rows
