"""The tests' one way to build a simulated world and to drive it.

A :class:`World` is a running simulator with its ``/_sim/`` control surface (mutation log,
sessions, players, clock, faults, rate limits, credentials) as methods. The control goes over
HTTP like every client's call: what a test sets is what the service holds, not a Python object
the server might not read.

- The ``world`` fixture (conftest.py) opens one per test, shaped by ``@pytest.mark.world(...)``
  on the test or the module (``pytestmark``), or by indirect parametrisation with a
  :class:`WorldSpec`.
- :func:`open_world` is the same world as a context manager, for what a fixture cannot serve
  (a Hypothesis example each, a module-wide world of 10,000 sessions).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tui.aws.budget import DEFAULT_SHARE
from tui.aws.session import AwsContext, Target
from tui.sim.server import RunningSimulator, SimConfig, start_simulator


@dataclass(frozen=True)
class WorldSpec:
    """How a test's world is built. ``frozen``: the drift is off and the clock stopped, so
    nothing moves but what the test does (the default: a test then proves what *it* caused).
    ``sessions`` is shared among the fleets by weight, each fleet at least one: an exact count
    needs ``fleets`` (that many equal fleets) or a look at :meth:`World.sessions`."""

    sessions: int = 60
    fleets: int = 0
    seed: int = 7
    frozen: bool = True
    rate_limits: str = "off"
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: int = 0
    backend_load: float = 0.0
    # The server's own patience (SimConfig's): short ones let a test of a client that stalls
    # end in a second.
    socket_timeout: float | None = 10.0
    idle_timeout: float | None = 60.0
    max_body_bytes: int = 16 * 1024 * 1024
    # Built as of this moment with its clock stopped there (harness.FIXED_NOW): ids and times
    # are then the same on every run.
    frozen_at: float | None = None

    def config(self) -> SimConfig:
        return SimConfig(sessions=self.sessions, fleets=self.fleets, seed=self.seed,
                         drift=not self.frozen, rate_limits=self.rate_limits,
                         throttle_rate=self.throttle_rate, error_rate=self.error_rate,
                         drop_rate=self.drop_rate, latency_ms=self.latency_ms,
                         backend_load=self.backend_load, socket_timeout=self.socket_timeout,
                         idle_timeout=self.idle_timeout, max_body_bytes=self.max_body_bytes,
                         frozen_at=self.frozen_at)

    def but(self, **changes: Any) -> WorldSpec:
        return dataclasses.replace(self, **changes)


class World:
    """A running simulator and its controls. ``endpoint_url`` and ``sim`` (the in-process
    simulator) are RunningSimulator's, so code written for one takes a World."""

    def __init__(self, running: RunningSimulator, spec: WorldSpec) -> None:
        self.running = running
        self.spec = spec
        self.endpoint_url = running.endpoint_url
        self.sim = running.sim
        self._http = httpx.Client(base_url=f"{running.endpoint_url}/_sim", timeout=10.0)

    def stop(self) -> None:
        self._http.close()
        self.running.stop()

    def _get(self, path: str) -> Any:
        answer = self._http.get(path)
        answer.raise_for_status()
        return answer.json()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self._http.post(path, json=body)
        # A refused control (a misspelt key, a bad value) must fail the test that sent it.
        answer.raise_for_status()
        return answer.json()

    # --- what the service holds ---------------------------------------------------------------

    def mutations(self, operation: str | None = None) -> list[dict[str, Any]]:
        """Every call that changed the service, oldest first; only ``operation``'s if given."""
        log: list[dict[str, Any]] = self._get("/mutations")["mutations"]
        return [m for m in log if operation is None or m["operation"] == operation]

    def clear_mutations(self) -> None:
        self._http.delete("/mutations").raise_for_status()

    def sessions(self, fleet_id: str | None = None) -> dict[str, dict[str, Any]]:
        """The game sessions as the service holds them, by id (one fleet's if given)."""
        path = f"/gamelift/sessions/{fleet_id}" if fleet_id else "/gamelift/sessions"
        listed: list[dict[str, Any]] = self._get(path)["GameSessions"]
        return {s["GameSessionId"]: s for s in listed}

    def requests(self, caller: str | None = None) -> dict[str, dict[str, int]]:
        """Calls and throttles per operation the service counted (one caller's: an access key
        id), since the world opened or the last :meth:`clear_requests`."""
        query = {"caller": caller} if caller else None
        answer = self._http.get("/requests", params=query)
        answer.raise_for_status()
        counted: dict[str, dict[str, int]] = answer.json()["operations"]
        return counted

    def clear_requests(self) -> None:
        self._http.delete("/requests").raise_for_status()

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self._get("/state")
        return state

    def request_count(self) -> int:
        """Every request the server has answered (control calls not counted)."""
        return int(self.state()["requests"])

    def fleets(self, region: str | None = None) -> dict[str, dict[str, Any]]:
        """The fleets by id with what each runs (ScriptId, BuildId), Status and Locations;
        another region's world if given."""
        answer = self._http.get("/gamelift/fleets", params={"region": region} if region else None)
        answer.raise_for_status()
        return {f["FleetId"]: f for f in answer.json()["Fleets"]}

    def script_zip(self, script_id: str) -> bytes | None:
        """The zip the service holds for a script (None: it has none)."""
        encoded = self._get(f"/gamelift/scripts/{script_id}/zip")["ZipBase64"]
        return None if encoded is None else base64.b64decode(encoded)

    def gamesparks(self) -> dict[str, Any]:
        """GameSparks as the service holds it: games, their stages and deployments."""
        held: dict[str, Any] = self.state()["gamesparks"]
        return held

    # --- what a test makes happen -------------------------------------------------------------

    def set_players(self, session_id: str, current: int) -> int:
        """Players join or leave ``session_id`` until ``current`` are in it (0: all leave)."""
        answer: int = self._post("/gamelift/players",
                                 {"GameSessionId": session_id, "current": current})["current"]
        return answer

    def freeze(self) -> float:
        return float(self._post("/clock", {"freeze": True})["now"])

    def advance(self, seconds: float) -> float:
        """Moves the (frozen) clock on: deployments progress, sessions age."""
        return float(self._post("/clock", {"freeze": True, "advance": seconds})["now"])

    def reset_gamesparks(self, now: float, seed: int) -> None:
        """GameSparks rebuilt as of ``now`` from ``seed``: the same ids and times every run."""
        self._post("/gamesparks/reset", {"now": now, "seed": seed})

    def unfreeze(self) -> float:
        return float(self._post("/clock", {"unfreeze": True})["now"])

    def now(self) -> float:
        return float(self._get("/clock")["now"])

    def faults(self, **settings: Any) -> dict[str, Any]:
        """Sets fault rates (``throttle_rate``, ``error_rate``, ``drop_rate``, ``latency_ms``,
        ...); returns them all. No arguments: only reads them."""
        answer: dict[str, Any] = (self._post("/faults", settings) if settings
                                  else self._get("/faults"))
        return answer

    def rate_limits(self, spec: str) -> bool:
        return bool(self._post("/rate-limits", {"spec": spec})["enabled"])

    def credentials(self, *, expired: Iterable[str] = (), revoked: Iterable[str] = (),
                    denied: Iterable[str] = ()) -> dict[str, list[str]]:
        """Access keys the service now treats as expired or revoked, and operations it denies.
        Each call replaces the last: ``credentials()`` makes every key good again."""
        answer: dict[str, list[str]] = self._post(
            "/credentials", {"expired": list(expired), "revoked": list(revoked),
                             "denied": list(denied)})
        return answer

    # --- a client for it ----------------------------------------------------------------------

    def put_object(self, bucket: str, key: str, body: bytes,
                   version: str | None = None) -> str:
        """An S3 object a StorageLocation can name; returns its ObjectVersion."""
        request: dict[str, Any] = {"Bucket": bucket, "Key": key,
                                   "ZipBase64": base64.b64encode(body).decode()}
        if version is not None:
            request["ObjectVersion"] = version
        return str(self._post("/gamelift/s3", request)["ObjectVersion"])

    def fleet_status(self, fleet_id: str, status: str) -> None:
        self._post("/gamelift/fleet-status", {"FleetId": fleet_id, "Status": status})

    def target(self, **changes: Any) -> Target:
        """The demo target on this world. A world without rate limits (the default spec) has
        no one to share them with, so its target has no API budget either; a world with the
        documented limits gets the console's default budget."""
        budget = None if self.spec.rate_limits == "off" else DEFAULT_SHARE
        return dataclasses.replace(
            Target(demo=True, endpoint_url=self.endpoint_url, region="us-west-2",
                   api_budget=budget), **changes)

    def aws(self, **changes: Any) -> AwsContext:
        """The demo target pointed at this world (``read_only=True``, ``region=...`` change it)."""
        return AwsContext(self.target(**changes))


@contextmanager
def open_world(spec: WorldSpec | None = None, **changes: Any) -> Iterator[World]:
    spec = (spec or WorldSpec()).but(**changes)
    running = start_simulator(spec.config())
    world = World(running, spec)
    try:
        if spec.frozen:
            world.freeze()
        yield world
    finally:
        world.stop()
