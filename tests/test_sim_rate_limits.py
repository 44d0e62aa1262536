"""The simulator throttles as GameLift documents (tui/aws/rate_limits.json), per operation and
for the account, shared by every caller, and counts who was throttled."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from simctl import World

from tui.aws.limits import documented_limits

GAMELIFT = documented_limits().service("GameLift")
pytestmark = pytest.mark.world(sessions=40, rate_limits="default")


def client(world: World, key: str) -> object:
    # No retries: each call is one request, so every throttle shows.
    return boto3.client("gamelift", region_name="us-west-2", endpoint_url=world.endpoint_url,
                        aws_access_key_id=key, aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}))


def burst(call: object, times: int) -> tuple[int, int]:
    ok = throttled = 0
    for _ in range(times):
        try:
            call()  # type: ignore[operator]
            ok += 1
        except Exception as err:  # noqa: BLE001 - the code is what is checked
            code = getattr(err, "response", {}).get("Error", {}).get("Code")
            assert code == "ThrottlingException", err
            throttled += 1
    return ok, throttled


def test_the_data_file_has_its_source_and_the_documented_numbers() -> None:
    limits = documented_limits()
    assert "docs.aws.amazon.com" in limits.source and limits.retrieved
    assert GAMELIFT.account == (500.0, 500.0)
    assert GAMELIFT.operations["GetGameSessionLogUrl"] == (1.0, 4.0)
    assert GAMELIFT.operations["SearchGameSessions"] == (30.0, 30.0)


def slow_limits(tmp_path: Path, world: World) -> None:
    """A table in the data file's format with a limit no machine is too slow to meet: three
    searches, then one every 100 s."""
    table = {"source": "test", "retrieved": "2026-12-02", "services": {"GameLift": {
        "account": [500, 500], "operations": {"SearchGameSessions": [0.01, 3]}}}}
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    assert world.rate_limits(str(path))


def test_a_burst_past_an_operations_limit_is_throttled_and_counted(
        world: World, tmp_path: Path) -> None:
    slow_limits(tmp_path, world)
    gl = client(world, "AKIDCONSOLE")
    fleet = next(iter(world.sessions().values()))["FleetId"]
    ok, throttled = burst(lambda: gl.search_game_sessions(FleetId=fleet, Limit=1), 5)  # type: ignore[attr-defined]
    assert (ok, throttled) == (3, 2)
    assert world.requests("AKIDCONSOLE")["SearchGameSessions"] == {"calls": 5, "throttled": 2}


def test_a_low_limit_refuses_the_call_after_its_burst(world: World) -> None:
    gl = client(world, "AKIDCONSOLE")
    session = next(iter(world.sessions()))
    rate, burst_size = GAMELIFT.operations["GetGameSessionLogUrl"]
    outcomes = []
    for _ in range(int(burst_size) + 1):
        try:
            gl.get_game_session_log_url(GameSessionId=session)  # type: ignore[attr-defined]
            outcomes.append("answered")
        except Exception as err:  # noqa: BLE001
            outcomes.append(getattr(err, "response", {}).get("Error", {}).get("Code", ""))
    # The burst's calls are answered (a log URL, or NotFound for a running session); the next
    # one, within the same second, is throttled.
    assert "ThrottlingException" not in outcomes[:int(burst_size)]
    assert outcomes[-1] == "ThrottlingException"


def test_callers_share_the_accounts_limits_and_are_counted_apart(
        world: World, tmp_path: Path) -> None:
    slow_limits(tmp_path, world)
    fleet = next(iter(world.sessions().values()))["FleetId"]
    first, second = client(world, "AKIDCONSOLE"), client(world, "AKIDGAMEBACKEND")
    assert burst(lambda: first.search_game_sessions(FleetId=fleet, Limit=1), 3) == (3, 0)  # type: ignore[attr-defined]
    # The first caller used the account's searches up: the other key is refused.
    assert burst(lambda: second.search_game_sessions(FleetId=fleet, Limit=1), 2) == (0, 2)  # type: ignore[attr-defined]
    assert world.requests("AKIDGAMEBACKEND")["SearchGameSessions"] == {"calls": 2,
                                                                      "throttled": 2}
    assert world.requests("AKIDCONSOLE")["SearchGameSessions"] == {"calls": 3, "throttled": 0}
    assert world.requests()["SearchGameSessions"] == {"calls": 5, "throttled": 2}
    world.clear_requests()
    assert world.requests() == {}


@pytest.mark.world(sessions=40, rate_limits="off")
def test_limits_off_throttle_nothing(world: World) -> None:
    fleet = next(iter(world.sessions().values()))["FleetId"]
    gl = client(world, "AKIDCONSOLE")
    assert burst(lambda: gl.search_game_sessions(FleetId=fleet, Limit=1), 80) == (80, 0)  # type: ignore[attr-defined]
