"""A game's own backend, simulated inside the simulator (``--backend-load TPS``).

In production the console shares GameLift's per-account limits with the game's backend, which
creates sessions, searches for one with room and looks up player sessions to put players in
games. This thread makes those calls under its own access key, through the same throttling and
counting as every HTTP caller, so ``GET /_sim/requests?caller=AKIDGAMEBACKEND`` shows what the
console's traffic costs the game.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from tui.sim.core import RequestContext, SimError

if TYPE_CHECKING:
    from tui.sim.server import Simulator

BACKEND_ACCESS_KEY_ID = "AKIDGAMEBACKEND"
# Sessions it keeps at most: past that it searches and looks up instead of creating, so a
# long run does not fill the world.
MAX_OWN_SESSIONS = 25
# One create for every this many calls; the rest split between searches and look-ups.
_MIX = ("SearchGameSessions", "DescribePlayerSessions", "SearchGameSessions",
        "DescribePlayerSessions", "CreateGameSession")


class GameBackend:
    def __init__(self, sim: Simulator, tps: float, seed: int = 0) -> None:
        self.sim = sim
        self.tps = tps
        self._rng = random.Random(seed ^ 0xBAC)
        self._stop = threading.Event()
        self._own: list[str] = []
        self._thread = threading.Thread(target=self._run, name="gameops-sim-backend",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        interval = 1.0 / self.tps
        due = time.monotonic()
        for operation in itertools.cycle(_MIX):
            due += interval
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            if due < time.monotonic() - 1.0:
                due = time.monotonic()  # fell behind (a paused machine): no catch-up burst
            self._call(operation)

    def _params(self, operation: str) -> tuple[str, dict[str, Any]]:
        world = self.sim.gamelift
        fleets = [f for f in world.fleets.values() if f.status == "ACTIVE"]
        fleet = self._rng.choice(fleets) if fleets else None
        if operation == "CreateGameSession" and len(self._own) >= MAX_OWN_SESSIONS:
            operation = "SearchGameSessions"
        if operation == "CreateGameSession" and fleet is not None:
            return operation, {"FleetId": fleet.fleet_id, "MaximumPlayerSessionCount": 10,
                               "Name": f"backend-{uuid.uuid4().hex[:8]}"}
        if operation == "DescribePlayerSessions":
            sessions = [s for f in fleets for s in f.sessions[:5]]
            if sessions:
                session = self._rng.choice(sessions)
                return operation, {"GameSessionId": session.arn, "Limit": 10}
        return "SearchGameSessions", {
            "FleetId": fleet.fleet_id if fleet else "fleet-none",
            "FilterExpression": "hasAvailablePlayerSessions=true", "Limit": 10}

    def _call(self, operation: str) -> None:
        sim = self.sim
        with sim.lock:
            operation, params = self._params(operation)
        try:
            if sim.inject(operation, "GameLift", BACKEND_ACCESS_KEY_ID) == "drop":
                return
            ctx: RequestContext = sim.context("GameLift", BACKEND_ACCESS_KEY_ID,
                                              sim.config.region)
            with sim.lock:
                result = sim.gamelift.handle(operation, params, ctx)
        except SimError:
            return  # throttled or refused: counted by inject, and a backend just tries again
        if operation == "CreateGameSession":
            self._own.append(str(result.get("GameSession", {}).get("GameSessionId", "")))
