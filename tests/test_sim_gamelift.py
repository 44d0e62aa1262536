"""The GameLift simulator, driven through the real HTTP server by real boto3 over both protocols.

botocore's GameLift model lists `["smithy-rpc-v2-cbor", "json"]` and botocore picks the first of
its own preference order that the service offers: 1.44 (and the AWS CLI v1's 1.43) resolve to
awsJson1_1. So each protocol gets its own copy of botocore's model that lists only that protocol,
on a fresh botocore loader; every client test runs once per protocol, the client's resolved
protocol is asserted, and the server counts which protocol it was actually spoken to in.

Two module-scoped simulators: the demo world (400 sessions, five fleets, aliases, scripts) with a
frozen clock, shared by most tests, and a 10,000-session single-fleet world used only for paging.
Tests that change faults, rate limits or credentials put them back before they return.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import cbor2
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, ParamValidationError
from botocore.exceptions import ConnectionError as BotoConnectionError

from tui.sim import search_eval
from tui.sim.server import RunningSimulator, SimConfig, start_simulator

REGION = "us-west-2"
ACCESS_KEY = "AKIDGAMELIFTTEST"
SECRET_KEY = "not-a-real-secret"
PROTOCOL_NAMES = {"cbor": "smithy-rpc-v2-cbor", "json": "json"}  # fixture id → botocore name


def _one_try() -> dict[str, Any]:
    # Config's retries "max_attempts" counts *retries* (botocore adds one for the first try),
    # so a single attempt is "total_max_attempts": 1. A fresh dict, as botocore edits it.
    return {"mode": "standard", "total_max_attempts": 1}


# --- shared fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def hermetic_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """No real AWS configuration, profile or credentials can leak into these tests."""
    home = tmp_path_factory.mktemp("aws-home")
    values = {
        "AWS_CONFIG_FILE": str(home / "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-such-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                patch.delenv(name)
        for name, value in values.items():
            patch.setenv(name, value)
        yield values


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory, hermetic_aws: Any) -> dict[str, Path]:
    """Per protocol, a botocore data dir whose GameLift model offers only that protocol."""
    result = {}
    for protocol, name in PROTOCOL_NAMES.items():
        model = botocore.session.Session().get_component("data_loader").load_service_model(
            "gamelift", "service-2")
        assert name in model["metadata"]["protocols"]
        model["metadata"]["protocol"] = name
        model["metadata"]["protocols"] = [name]
        root = tmp_path_factory.mktemp(f"botocore-{protocol}")
        target = root / "gamelift" / model["metadata"]["apiVersion"] / "service-2.json"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(model))
        result[protocol] = root
    return result


@pytest.fixture(scope="module")
def sessions_by_protocol(model_dirs: dict[str, Path]) -> dict[str, boto3.session.Session]:
    """One boto3 session per wire protocol, each with its own botocore loader."""
    result = {}
    for protocol, root in model_dirs.items():
        core = botocore.session.Session()
        core.get_component("data_loader").search_paths.insert(0, str(root))
        result[protocol] = boto3.session.Session(botocore_session=core)
    return result


class Clients:
    """Makes GameLift clients of one protocol for one simulator."""

    def __init__(self, session: boto3.session.Session, protocol: str, endpoint: str) -> None:
        self.session, self.protocol, self.endpoint = session, protocol, endpoint

    def make(self, access_key: str = ACCESS_KEY, **config: Any) -> Any:
        config.setdefault("connect_timeout", 5)
        config.setdefault("read_timeout", 30)
        client = self.session.client(
            "gamelift", region_name=REGION, endpoint_url=self.endpoint,
            aws_access_key_id=access_key, aws_secret_access_key=SECRET_KEY,
            config=Config(**config))
        model = client.meta.service_model
        assert model.protocol == model.resolved_protocol == PROTOCOL_NAMES[self.protocol]
        return client


@pytest.fixture(scope="module")
def world() -> Iterator[RunningSimulator]:
    running = start_simulator(SimConfig(rate_limits="off", sessions=400))
    running.sim.clock.freeze()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def big() -> Iterator[RunningSimulator]:
    running = start_simulator(SimConfig(rate_limits="off", sessions=10_000, fleets=1,
                                        drift=False))
    running.sim.clock.freeze()
    yield running
    running.stop()


@pytest.fixture(scope="module", params=list(PROTOCOL_NAMES))
def protocol(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def clients(world: RunningSimulator, sessions_by_protocol: dict[str, Any],
            protocol: str) -> Clients:
    return Clients(sessions_by_protocol[protocol], protocol, world.endpoint_url)


@pytest.fixture(scope="module")
def client(clients: Clients) -> Any:
    return clients.make()


@pytest.fixture(scope="module")
def big_client(big: RunningSimulator, sessions_by_protocol: dict[str, Any],
               protocol: str) -> Any:
    return Clients(sessions_by_protocol[protocol], protocol, big.endpoint_url).make()


@pytest.fixture
def control(world: RunningSimulator) -> Iterator[httpx.Client]:
    """The /_sim/ control surface; puts faults, rate limits and credentials back afterwards."""
    with httpx.Client(base_url=world.endpoint_url, timeout=10) as http:
        yield http
        http.post("/_sim/faults", json={"throttle_rate": 0, "error_rate": 0, "drop_rate": 0,
                                        "latency_ms": 0}).raise_for_status()
        http.post("/_sim/rate-limits", json={"spec": "off"}).raise_for_status()
        http.post("/_sim/credentials", json={}).raise_for_status()


# --- helpers ---------------------------------------------------------------------------------


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _pages(client: Any, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(client.get_paginator(operation).paginate(**kwargs))


def _ground_truth(sim: RunningSimulator, fleet_id: str | None = None) -> list[dict[str, Any]]:
    path = "/_sim/gamelift/sessions" + (f"/{fleet_id}" if fleet_id else "")
    return httpx.get(sim.endpoint_url + path, timeout=30).json()["GameSessions"]


def _fleet_named(client: Any, name: str) -> dict[str, Any]:
    fleets = [f for p in _pages(client, "describe_fleet_attributes") for f in p["FleetAttributes"]]
    return next(f for f in fleets if f["Name"] == name)


def _create(client: Any, **kwargs: Any) -> dict[str, Any]:
    fleet = _fleet_named(client, "arena-prod")
    kwargs.setdefault("MaximumPlayerSessionCount", 10)
    kwargs.setdefault("Name", "test-" + uuid.uuid4().hex[:8])
    return client.create_game_session(FleetId=fleet["FleetId"], **kwargs)["GameSession"]


def _describe(client: Any, session_id: str) -> dict[str, Any]:
    details = client.describe_game_session_details(GameSessionId=session_id)
    (detail,) = details["GameSessionDetails"]
    return detail


def _status(client: Any, session_id: str) -> str:
    return _describe(client, session_id)["GameSession"]["Status"]


def _advance(sim: RunningSimulator, seconds: float) -> None:
    sim.sim.clock.advance(seconds)


def _terminated_seeded(sim: RunningSimulator) -> str:
    return next(s["GameSessionId"] for s in _ground_truth(sim)
                if s["Status"] == "TERMINATED" and "/gsess-" in s["GameSessionId"])


def _zip_of_size(total: int) -> bytes:
    """A valid zip archive of exactly `total` bytes: one stored member padded to fit."""

    def build(padding: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("index.js", b"// padded\n" + b" " * padding)
        return buffer.getvalue()

    overhead = len(build(0))
    blob = build(total - overhead)
    assert len(blob) == total
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert archive.testzip() is None
    return blob


# --- which protocol went over the wire -------------------------------------------------------


def test_each_client_speaks_its_own_protocol(client: Any, clients: Clients,
                                             world: RunningSimulator) -> None:
    sent: list[tuple[str, dict[str, str]]] = []

    def capture(request: Any, **_: Any) -> None:
        sent.append((request.url, {k: v.decode() if isinstance(v, bytes) else v
                                   for k, v in request.headers.items()}))

    client.meta.events.register("before-send.gamelift", capture)
    try:
        before = dict(world.sim.protocol_counts)
        fleets = client.list_fleets()["FleetIds"]
        after = dict(world.sim.protocol_counts)
    finally:
        client.meta.events.unregister("before-send.gamelift", capture)
    assert len(fleets) == 5
    other = "json" if clients.protocol == "cbor" else "cbor"
    assert after[clients.protocol] == before[clients.protocol] + 1
    assert after[other] == before[other]
    ((url, headers),) = sent
    if clients.protocol == "cbor":
        assert url.endswith("/service/GameLift/operation/ListFleets")
        assert headers["smithy-protocol"] == "rpc-v2-cbor"
        assert headers["Content-Type"] == "application/cbor"
    else:
        assert url.rstrip("/") == world.endpoint_url
        assert headers["X-Amz-Target"] == "GameLift.ListFleets"
        assert headers["Content-Type"] == "application/x-amz-json-1.1"
    state = httpx.get(world.endpoint_url + "/_sim/state").json()
    assert state["protocols"][clients.protocol] >= 1


def test_small_answers_are_not_held_back(client: Any) -> None:
    # Headers and body are separate writes; with Nagle's algorithm on the server socket each
    # answer waited for the client's delayed ACK (~40 ms), which skewed benchmarks and kept
    # the rate limits from ever being reached.
    timings = []
    for _ in range(21):
        started = time.perf_counter()
        client.describe_fleet_attributes(Limit=1)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.03, timings


# --- paging through 10,000 sessions ----------------------------------------------------------


def test_describe_game_session_details_pages_to_the_end_of_10k(big: RunningSimulator,
                                                                big_client: Any) -> None:
    (fleet_id,) = big_client.list_fleets()["FleetIds"]
    expected = [s["GameSessionId"] for s in _ground_truth(big, fleet_id)]
    assert len(expected) == 10_000
    pages = _pages(big_client, "describe_game_session_details", FleetId=fleet_id)
    seen = [d["GameSession"]["GameSessionId"] for p in pages for d in p["GameSessionDetails"]]
    assert len(seen) == 10_000 and set(seen) == set(expected)
    assert all(len(p["GameSessionDetails"]) <= 100 for p in pages)
    assert len(pages) == 100 and "NextToken" not in pages[-1]
    assert all(d["ProtectionPolicy"] in ("NoProtection", "FullProtection")
               for p in pages for d in p["GameSessionDetails"])


def test_describe_game_sessions_caps_requested_page_size(big: RunningSimulator,
                                                         big_client: Any) -> None:
    (fleet_id,) = big_client.list_fleets()["FleetIds"]
    expected = {s["GameSessionId"] for s in _ground_truth(big, fleet_id)}
    pages = _pages(big_client, "describe_game_sessions", FleetId=fleet_id,
                   PaginationConfig={"PageSize": 1000})
    seen = [s["GameSessionId"] for p in pages for s in p["GameSessions"]]
    assert len(seen) == len(set(seen)) == 10_000 and set(seen) == expected
    assert max(len(p["GameSessions"]) for p in pages) == 100
    # A smaller Limit is honoured exactly.
    first = big_client.describe_game_sessions(FleetId=fleet_id, Limit=7)
    assert len(first["GameSessions"]) == 7 and first["NextToken"]


def test_search_game_sessions_pages_of_20_only_active_10k(big: RunningSimulator,
                                                          big_client: Any) -> None:
    (fleet_id,) = big_client.list_fleets()["FleetIds"]
    active = {s["GameSessionId"] for s in _ground_truth(big, fleet_id) if s["Status"] == "ACTIVE"}
    assert 9000 < len(active) < 10_000  # the seeded world has other statuses too
    pages = _pages(big_client, "search_game_sessions", FleetId=fleet_id,
                   PaginationConfig={"PageSize": 100})
    seen = [s["GameSessionId"] for p in pages for s in p["GameSessions"]]
    assert len(seen) == len(set(seen)) and set(seen) == active
    assert max(len(p["GameSessions"]) for p in pages) == 20
    assert {s["Status"] for p in pages for s in p["GameSessions"]} == {"ACTIVE"}


# --- paging the smaller lists ----------------------------------------------------------------


def _assert_paged(pages: list[dict[str, Any]], key: str, limit: int) -> list[Any]:
    sizes = [len(p[key]) for p in pages]
    assert all(size == limit for size in sizes[:-1]) and 1 <= sizes[-1] <= limit
    assert all("NextToken" in p for p in pages[:-1]) and "NextToken" not in pages[-1]
    return [item for p in pages for item in p[key]]


def test_list_fleets_and_fleet_attributes_page(client: Any, world: RunningSimulator) -> None:
    expected = [f["FleetId"] for f in world.sim.gamelift.state()["fleets"]]
    fleets = _assert_paged(_pages(client, "list_fleets", PaginationConfig={"PageSize": 2}),
                           "FleetIds", 2)
    assert fleets == expected and len(fleets) == 5
    attributes = _assert_paged(
        _pages(client, "describe_fleet_attributes", PaginationConfig={"PageSize": 2}),
        "FleetAttributes", 2)
    assert [a["FleetId"] for a in attributes] == expected
    assert {a["Name"] for a in attributes} >= {"arena-prod", "lan-anywhere"}
    assert {a["ComputeType"] for a in attributes} == {"EC2", "ANYWHERE"}


def test_list_scripts_and_aliases_page(client: Any, world: RunningSimulator) -> None:
    scripts = _assert_paged(_pages(client, "list_scripts", PaginationConfig={"PageSize": 4}),
                            "Scripts", 4)
    assert len({s["ScriptId"] for s in scripts}) == len(scripts) == len(world.sim.gamelift.scripts)
    assert {s["Name"] for s in scripts} >= {"arena-realtime", "lobby-chat", "party-matchmaker"}
    aliases = _assert_paged(_pages(client, "list_aliases", PaginationConfig={"PageSize": 1}),
                            "Aliases", 1)
    assert sorted(a["Name"] for a in aliases) == ["arena-live", "arena-next", "retired-beta"]


def test_describe_player_sessions_pages(client: Any, world: RunningSimulator) -> None:
    busiest = max((s for s in _ground_truth(world) if s["Status"] == "ACTIVE"),
                  key=lambda s: s["CurrentPlayerSessionCount"])
    assert busiest["CurrentPlayerSessionCount"] > 10
    session_id = busiest["GameSessionId"]
    paged = _assert_paged(_pages(client, "describe_player_sessions", GameSessionId=session_id,
                                 PaginationConfig={"PageSize": 5}), "PlayerSessions", 5)
    whole = [p for page in _pages(client, "describe_player_sessions", GameSessionId=session_id)
             for p in page["PlayerSessions"]]
    ids = [p["PlayerSessionId"] for p in paged]
    assert len(set(ids)) == len(ids) and ids == [p["PlayerSessionId"] for p in whole]
    assert all(i.startswith("psess-") for i in ids)
    assert sum(p["Status"] == "ACTIVE" for p in paged) == busiest["CurrentPlayerSessionCount"]
    assert {p["GameSessionId"] for p in paged} == {session_id}


def test_a_next_token_from_another_listing_is_refused(client: Any) -> None:
    token = client.list_fleets(Limit=1)["NextToken"]
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.list_scripts(NextToken=token)


# --- search ----------------------------------------------------------------------------------


def test_search_filters_sorts_and_pages_like_the_grammar(client: Any,
                                                         world: RunningSimulator) -> None:
    fleet = _fleet_named(client, "arena-prod")
    filter_text = "gameSessionProperties.mode = 'ranked' OR playerSessionCount >= 5"
    sort_text = "creationTimeMillis DESC"
    truth = [s for s in _ground_truth(world, fleet["FleetId"]) if s["Status"] == "ACTIVE"]
    expected = [s["GameSessionId"]
                for s in search_eval.search_sessions(truth, filter_text, sort_text)]
    assert len(expected) > 20
    pages = _pages(client, "search_game_sessions", FleetId=fleet["FleetId"],
                   FilterExpression=filter_text, SortExpression=sort_text,
                   PaginationConfig={"PageSize": 50})
    assert max(len(p["GameSessions"]) for p in pages) == 20
    found = [s for p in pages for s in p["GameSessions"]]
    assert [s["GameSessionId"] for s in found] == expected
    assert {s["Status"] for s in found} == {"ACTIVE"}
    times = [s["CreationTime"] for s in found]
    assert times == sorted(times, reverse=True)


def test_search_refuses_bad_expressions_and_ambiguous_targets(client: Any) -> None:
    fleet = _fleet_named(client, "arena-prod")
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.search_game_sessions(FleetId=fleet["FleetId"], FilterExpression="mode ==")
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.search_game_sessions(FleetId=fleet["FleetId"], SortExpression="sideways ASC")
    alias = client.list_aliases(Name="arena-live")["Aliases"][0]
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.search_game_sessions(FleetId=fleet["FleetId"], AliasId=alias["AliasId"])
    # Through the alias alone it is the alias's fleet that is searched.
    via_alias = client.search_game_sessions(AliasId=alias["AliasId"])["GameSessions"]
    assert via_alias and {s["FleetId"] for s in via_alias} == {
        alias["RoutingStrategy"]["FleetId"]}


# --- errors ----------------------------------------------------------------------------------


def test_unknown_things_are_not_found(client: Any) -> None:
    fleet = _fleet_named(client, "arena-prod")
    missing = f"arn:aws:gamelift:{REGION}::gamesession/{fleet['FleetId']}/no-such-session"
    for call, kwargs in (
        (client.describe_game_sessions, {"GameSessionId": missing}),
        (client.update_game_session, {"GameSessionId": missing, "Name": "x"}),
        (client.terminate_game_session, {"GameSessionId": missing,
                                         "TerminationMode": "FORCE_TERMINATE"}),
        (client.describe_game_sessions, {"FleetId": "fleet-00000000-0000-4000-8000-000000000000"}),
        (client.describe_script, {"ScriptId": "script-00000000-0000-4000-8000-000000000000"}),
        (client.update_script, {"ScriptId": "script-00000000-0000-4000-8000-000000000000",
                                "Name": "x"}),
    ):
        with pytest.raises(client.exceptions.NotFoundException) as info:
            call(**kwargs)
        assert _error(info) == ("NotFoundException", 400)


def test_terminated_sessions_cannot_be_terminated_or_updated(client: Any,
                                                             world: RunningSimulator) -> None:
    session_id = _terminated_seeded(world)
    with pytest.raises(client.exceptions.InvalidGameSessionStatusException) as info:
        client.terminate_game_session(GameSessionId=session_id,
                                      TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
    assert _error(info) == ("InvalidGameSessionStatusException", 400)
    with pytest.raises(client.exceptions.InvalidGameSessionStatusException):
        client.update_game_session(GameSessionId=session_id, MaximumPlayerSessionCount=4)


def test_invalid_session_requests(client: Any, clients: Clients,
                                  world: RunningSimulator) -> None:
    seventeen = [{"Key": f"k{i}", "Value": "v"} for i in range(17)]
    with pytest.raises(client.exceptions.InvalidRequestException) as info:
        _create(client, GameProperties=seventeen)
    assert _error(info) == ("InvalidRequestException", 400)
    # boto3 refuses a negative count itself; without its validation the service must refuse it.
    with pytest.raises(ParamValidationError):
        _create(client, MaximumPlayerSessionCount=-1)
    raw = clients.make(parameter_validation=False)
    with pytest.raises(raw.exceptions.InvalidRequestException):
        _create(raw, MaximumPlayerSessionCount=-1)
    active = _create(client, GameProperties=seventeen[:16])
    assert len(active["GameProperties"]) == 16
    _advance(world, 10)
    with pytest.raises(raw.exceptions.InvalidRequestException):
        raw.update_game_session(GameSessionId=active["GameSessionId"],
                                MaximumPlayerSessionCount=-5)
    with pytest.raises(raw.exceptions.InvalidRequestException):
        raw.terminate_game_session(GameSessionId=active["GameSessionId"],
                                   TerminationMode="POLITELY")
    for token in ("x" * 49, "café-1", "has space"):
        with pytest.raises(client.exceptions.InvalidRequestException):
            _create(client, IdempotencyToken=token)
    client.terminate_game_session(GameSessionId=active["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")


def test_script_zip_size_limit_and_format(client: Any) -> None:
    exact = _zip_of_size(5_000_000)
    too_big = _zip_of_size(5_000_001)
    with pytest.raises(client.exceptions.InvalidRequestException) as info:
        client.create_script(Name="too-big", Version="1", ZipFile=too_big)
    assert _error(info) == ("InvalidRequestException", 400)
    script = client.create_script(Name="at-the-limit", Version="1", ZipFile=exact)["Script"]
    assert script["SizeOnDisk"] == 5_000_000
    assert client.describe_script(ScriptId=script["ScriptId"])["Script"]["Name"] == "at-the-limit"
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.update_script(ScriptId=script["ScriptId"], ZipFile=too_big)
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.update_script(ScriptId=script["ScriptId"], ZipFile=b"this is not a zip archive")
    small = _zip_of_size(2_000)
    updated = client.update_script(ScriptId=script["ScriptId"], Version="2", ZipFile=small)
    assert updated["Script"]["SizeOnDisk"] == 2_000 and updated["Script"]["Version"] == "2"


def test_throttling_when_rate_limits_are_on(clients: Clients, control: httpx.Client) -> None:
    client = clients.make(retries=_one_try())
    fleet = _fleet_named(client, "arena-prod")
    assert control.post("/_sim/rate-limits", json={"spec": "default"}).json() == {"enabled": True}
    def call() -> str:
        try:
            client.search_game_sessions(FleetId=fleet["FleetId"], Limit=1)
            return "ok"
        except ClientError as err:
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            assert err.response["Error"]["Message"] == "Rate exceeded"
            assert err.response["ResponseMetadata"]["RetryAttempts"] == 0
            return str(err.response["Error"]["Code"])

    # The documented burst of SearchGameSessions is 30 (tui/aws/rate_limits.json).
    outcomes = [call() for _ in range(30)]
    assert outcomes == ["ok"] * 30
    # 240 more from 8 threads outrun the sustained 30 a second however slow the machine.
    with ThreadPoolExecutor(8) as pool:
        outcomes += list(pool.map(lambda _: call(), range(240)))
    assert "ThrottlingException" in outcomes
    assert set(outcomes) == {"ok", "ThrottlingException"}
    # Other operations have their own buckets.
    assert client.list_fleets()["FleetIds"]
    control.post("/_sim/rate-limits", json={"spec": "off"})
    client.search_game_sessions(FleetId=fleet["FleetId"], Limit=1)


def test_internal_errors_are_500s(clients: Clients, control: httpx.Client) -> None:
    client = clients.make(retries=_one_try())
    assert control.post("/_sim/faults", json={"error_rate": 1.0}).json()["error_rate"] == 1.0
    with pytest.raises(client.exceptions.InternalServiceException) as info:
        client.list_fleets()
    assert _error(info) == ("InternalServiceException", 500)
    control.post("/_sim/faults", json={"error_rate": 0})
    assert client.list_fleets()["FleetIds"]


def test_idempotent_parameter_mismatch(client: Any) -> None:
    token = "mismatch-" + uuid.uuid4().hex
    _create(client, IdempotencyToken=token, MaximumPlayerSessionCount=8)
    with pytest.raises(client.exceptions.IdempotentParameterMismatchException) as info:
        _create(client, IdempotencyToken=token, MaximumPlayerSessionCount=12)
    assert _error(info) == ("IdempotentParameterMismatchException", 400)


def test_terminal_alias(client: Any) -> None:
    alias = client.list_aliases(Name="retired-beta")["Aliases"][0]
    assert alias["RoutingStrategy"]["Type"] == "TERMINAL"
    with pytest.raises(client.exceptions.TerminalRoutingStrategyException) as info:
        client.create_game_session(AliasId=alias["AliasId"], MaximumPlayerSessionCount=4)
    assert _error(info) == ("TerminalRoutingStrategyException", 400)
    assert "beta has ended" in info.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.TerminalRoutingStrategyException):
        client.resolve_alias(AliasId=alias["AliasId"])
    live = client.list_aliases(Name="arena-live")["Aliases"][0]
    assert client.resolve_alias(AliasId=live["AliasId"])["FleetId"] == \
        live["RoutingStrategy"]["FleetId"]


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("wire", ["json", "cbor"])
def test_unsigned_http_requests_are_refused(world: RunningSimulator, wire: str) -> None:
    if wire == "json":
        response = httpx.post(world.endpoint_url + "/", content=b"{}", headers={
            "X-Amz-Target": "GameLift.ListFleets",
            "Content-Type": "application/x-amz-json-1.1"})
        body = response.json()
    else:
        response = httpx.post(world.endpoint_url + "/service/GameLift/operation/ListFleets",
                              content=cbor2.dumps({}), headers={
                                  "smithy-protocol": "rpc-v2-cbor",
                                  "Content-Type": "application/cbor",
                                  "Accept": "application/cbor"})
        assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
        body = cbor2.loads(response.content)
    assert response.status_code == 400
    assert body["__type"] == "MissingAuthenticationTokenException"
    assert "FleetIds" not in body


def test_unsigned_boto3_client_is_refused(clients: Clients) -> None:
    unsigned = clients.make(signature_version=UNSIGNED)
    with pytest.raises(ClientError) as info:
        unsigned.list_fleets()
    assert _error(info) == ("MissingAuthenticationTokenException", 400)


def test_expired_revoked_and_denied_credentials(clients: Clients, control: httpx.Client,
                                                world: RunningSimulator) -> None:
    control.post("/_sim/credentials", json={
        "expired": ["AKIDEXPIRED"], "revoked": ["AKIDREVOKED"],
        "denied": ["TerminateGameSession"]}).raise_for_status()
    expired = clients.make(access_key="AKIDEXPIRED", retries=_one_try())
    with pytest.raises(ClientError) as info:
        expired.list_fleets()
    assert _error(info) == ("ExpiredTokenException", 400)
    revoked = clients.make(access_key="AKIDREVOKED", retries=_one_try())
    with pytest.raises(ClientError) as info:
        revoked.list_fleets()
    assert _error(info)[0] == "UnrecognizedClientException"
    client = clients.make()
    victim = _create(client)
    before = len(world.sim.mutations.as_list())
    with pytest.raises(client.exceptions.UnauthorizedException) as unauthorized:
        client.terminate_game_session(GameSessionId=victim["GameSessionId"],
                                      TerminationMode="FORCE_TERMINATE")
    assert "gamelift:TerminateGameSession" in unauthorized.value.response["Error"]["Message"]
    assert len(world.sim.mutations.as_list()) == before
    assert _status(client, victim["GameSessionId"]) == "ACTIVATING"
    control.post("/_sim/credentials", json={}).raise_for_status()
    assert expired.list_fleets()["FleetIds"]
    client.terminate_game_session(GameSessionId=victim["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")


# --- status over time ------------------------------------------------------------------------


def test_create_activates_after_the_clock_moves(client: Any, world: RunningSimulator) -> None:
    session = _create(client)
    assert session["Status"] == "ACTIVATING"
    assert session["CurrentPlayerSessionCount"] == 0
    assert session["GameSessionId"].startswith(f"arn:aws:gamelift:{REGION}::gamesession/fleet-")
    _advance(world, 1)
    assert _status(client, session["GameSessionId"]) == "ACTIVATING"
    _advance(world, 10)
    assert _status(client, session["GameSessionId"]) == "ACTIVE"
    client.terminate_game_session(GameSessionId=session["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")


@pytest.mark.parametrize("mode, reason", [
    ("TRIGGER_ON_PROCESS_TERMINATE", "TRIGGERED_ON_PROCESS_TERMINATE"),
    ("FORCE_TERMINATE", "FORCE_TERMINATED"),
])
def test_terminate_goes_through_terminating(client: Any, world: RunningSimulator, mode: str,
                                            reason: str) -> None:
    session_id = _create(client)["GameSessionId"]
    _advance(world, 10)
    assert _status(client, session_id) == "ACTIVE"
    started = world.sim.clock.now()
    answer = client.terminate_game_session(GameSessionId=session_id, TerminationMode=mode)
    assert answer["GameSession"]["Status"] == "TERMINATING"
    assert "TerminationTime" not in answer["GameSession"]
    with pytest.raises(client.exceptions.InvalidGameSessionStatusException):
        client.terminate_game_session(GameSessionId=session_id, TerminationMode=mode)
    _advance(world, 30)
    done = _describe(client, session_id)["GameSession"]
    assert done["Status"] == "TERMINATED"
    assert done["StatusReason"] == reason
    assert started < done["TerminationTime"].timestamp() <= started + 30
    assert done["CurrentPlayerSessionCount"] == 0
    with pytest.raises(client.exceptions.InvalidGameSessionStatusException):
        client.terminate_game_session(GameSessionId=session_id, TerminationMode=mode)
    listed = client.describe_game_sessions(FleetId=done["FleetId"], StatusFilter="TERMINATED")
    assert listed["GameSessions"]


def test_activating_and_error_sessions_can_be_terminated(client: Any, world: RunningSimulator,
                                                         big: RunningSimulator,
                                                         big_client: Any) -> None:
    # Seed 004: any game session that isn't TERMINATED or TERMINATING can be terminated; an
    # ACTIVATING one has no server process to send OnProcessTerminate to yet, so the graceful
    # mode answers NotReadyException (in TerminateGameSession's error list) and force works.
    session_id = _create(client)["GameSessionId"]
    with pytest.raises(client.exceptions.NotReadyException):
        client.terminate_game_session(GameSessionId=session_id,
                                      TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
    answer = client.terminate_game_session(GameSessionId=session_id,
                                           TerminationMode="FORCE_TERMINATE")
    assert answer["GameSession"]["Status"] == "TERMINATING"
    _advance(world, 30)  # past the activation that was due too: it must not revive the session
    done = _describe(client, session_id)["GameSession"]
    assert (done["Status"], done["StatusReason"]) == ("TERMINATED", "FORCE_TERMINATED")
    broken = next(s for s in _ground_truth(big) if s["Status"] == "ERROR")
    answer = big_client.terminate_game_session(GameSessionId=broken["GameSessionId"],
                                               TerminationMode="FORCE_TERMINATE")
    assert answer["GameSession"]["Status"] == "TERMINATING"
    _advance(big, 30)
    done = _describe(big_client, broken["GameSessionId"])["GameSession"]
    assert (done["Status"], done["StatusReason"]) == ("TERMINATED", "FORCE_TERMINATED")


def test_new_sessions_start_open_and_unprotected(client: Any, world: RunningSimulator) -> None:
    created = []
    for fleet in world.sim.gamelift.state()["fleets"]:
        if fleet["Name"] == "lan-anywhere":
            continue
        for location in fleet["Locations"]:
            for _ in range(2):
                created.append(client.create_game_session(
                    FleetId=fleet["FleetId"], Location=location,
                    MaximumPlayerSessionCount=16)["GameSession"])
    _advance(world, 10)
    for session in created:
        assert session["Location"] in session["GameSessionId"]
        detail = _describe(client, session["GameSessionId"])
        fresh = detail["GameSession"]
        assert fresh["Status"] == "ACTIVE"
        assert fresh["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
        assert detail["ProtectionPolicy"] == "NoProtection"  # the fleets' new-session policy
        assert "MatchmakerData" not in fresh and fresh["CurrentPlayerSessionCount"] == 0
        client.terminate_game_session(GameSessionId=session["GameSessionId"],
                                      TerminationMode="FORCE_TERMINATE")
    _advance(world, 10)


# --- idempotency and the mutation record -----------------------------------------------------


def test_idempotency_token_creates_one_session(client: Any, world: RunningSimulator) -> None:
    token = "idem-" + uuid.uuid4().hex
    first = _create(client, IdempotencyToken=token, Name="only-once")
    _advance(world, 10)
    second = _create(client, IdempotencyToken=token, Name="only-once")
    assert second["GameSessionId"] == first["GameSessionId"]
    assert first["GameSessionId"].endswith("/" + token)
    assert second["Status"] == "ACTIVE"  # the original session, with its current status
    matching = [s for s in _ground_truth(world) if s["GameSessionId"] == first["GameSessionId"]]
    assert len(matching) == 1
    records = [m for m in world.sim.mutations.as_list()
               if m["operation"] == "CreateGameSession" and m["target"] == first["GameSessionId"]]
    assert len(records) == 1
    client.terminate_game_session(GameSessionId=first["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")


def test_mutation_record_holds_accepted_requests_once(client: Any, world: RunningSimulator,
                                                      control: httpx.Client) -> None:
    assert control.delete("/_sim/mutations").json() == {"cleared": True}
    token = "record-" + uuid.uuid4().hex
    session_id = _create(client, IdempotencyToken=token, Name="recorded")["GameSessionId"]
    _create(client, IdempotencyToken=token, Name="recorded")  # a replay: no second record
    with pytest.raises(client.exceptions.InvalidRequestException):
        _create(client, GameProperties=[{"Key": f"k{i}", "Value": "v"} for i in range(17)])
    with pytest.raises(client.exceptions.NotReadyException):
        client.update_game_session(GameSessionId=session_id, Name="too-early")
    _advance(world, 10)
    client.update_game_session(GameSessionId=session_id, MaximumPlayerSessionCount=20)
    client.terminate_game_session(GameSessionId=session_id, TerminationMode="FORCE_TERMINATE")
    with pytest.raises(client.exceptions.InvalidGameSessionStatusException):
        client.terminate_game_session(GameSessionId=session_id, TerminationMode="FORCE_TERMINATE")
    script_id = client.list_scripts(Limit=1)["Scripts"][0]["ScriptId"]
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.update_script(ScriptId=script_id, ZipFile=b"not a zip")
    client.update_script(ScriptId=script_id, Version="9.9.9")
    client.list_fleets()  # reads are never recorded

    records = control.get("/_sim/mutations").json()["mutations"]
    assert [(m["operation"], m["target"]) for m in records] == [
        ("CreateGameSession", session_id),
        ("UpdateGameSession", session_id),
        ("TerminateGameSession", session_id),
        ("UpdateScript", script_id),
    ]
    assert [m["seq"] for m in records] == [1, 2, 3, 4]
    assert all(m["service"] == "GameLift" and m["request_id"] for m in records)
    assert records[1]["params"]["MaximumPlayerSessionCount"] == 20
    assert records[2]["params"]["TerminationMode"] == "FORCE_TERMINATE"
    assert records == world.sim.mutations.as_list()


# --- UpdateGameSession -----------------------------------------------------------------------


def test_update_game_session_changes_what_it_says(client: Any, world: RunningSimulator) -> None:
    session_id = _create(client, GameProperties=[{"Key": "mode", "Value": "casual"},
                                                 {"Key": "map", "Value": "dust"}],
                         MaximumPlayerSessionCount=8, Name="before")["GameSessionId"]
    _advance(world, 10)
    assert _describe(client, session_id)["ProtectionPolicy"] == "NoProtection"
    answer = client.update_game_session(
        GameSessionId=session_id, MaximumPlayerSessionCount=24, Name="after",
        PlayerSessionCreationPolicy="DENY_ALL", ProtectionPolicy="FullProtection",
        GameProperties=[{"Key": "mode", "Value": "ranked"}, {"Key": "event", "Value": "cup"}],
    )["GameSession"]
    assert answer["MaximumPlayerSessionCount"] == 24 and answer["Name"] == "after"
    detail = _describe(client, session_id)
    session = detail["GameSession"]
    assert detail["ProtectionPolicy"] == "FullProtection"
    assert session["MaximumPlayerSessionCount"] == 24
    assert session["Name"] == "after"
    assert session["PlayerSessionCreationPolicy"] == "DENY_ALL"
    props = {p["Key"]: p["Value"] for p in session["GameProperties"]}
    assert props == {"mode": "ranked", "map": "dust", "event": "cup"}
    # Properties can be added and changed but never removed, even by an empty list.
    client.update_game_session(GameSessionId=session_id, GameProperties=[])
    again = {p["Key"]: p["Value"] for p in
             _describe(client, session_id)["GameSession"]["GameProperties"]}
    assert again == props
    client.update_game_session(GameSessionId=session_id, PlayerSessionCreationPolicy="ACCEPT_ALL",
                               ProtectionPolicy="NoProtection")
    detail = _describe(client, session_id)
    assert detail["ProtectionPolicy"] == "NoProtection"
    assert detail["GameSession"]["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
    assert detail["GameSession"]["Name"] == "after"  # untouched fields stay
    client.terminate_game_session(GameSessionId=session_id, TerminationMode="FORCE_TERMINATE")


# --- game session logs ----------------------------------------------------------------------


def test_game_session_log_url_downloads_then_expires(client: Any,
                                                     world: RunningSimulator) -> None:
    session_id = _create(client)["GameSessionId"]
    _advance(world, 10)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_game_session_log_url(GameSessionId=session_id)
    client.terminate_game_session(GameSessionId=session_id, TerminationMode="FORCE_TERMINATE")
    _advance(world, 10)
    url = client.get_game_session_log_url(GameSessionId=session_id)["PreSignedUrl"]
    assert url.startswith(world.endpoint_url) and "X-Amz-Signature=" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert b"tick 0" in zlib.decompress(response.content)
    _advance(world, 14 * 60)
    assert httpx.get(url).status_code == 200
    _advance(world, 61 + 1)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content


# --- dropped connections ---------------------------------------------------------------------


def test_dropped_connections_surface_and_the_server_survives(clients: Clients,
                                                             control: httpx.Client) -> None:
    client = clients.make(retries=_one_try(), read_timeout=5)
    control.post("/_sim/faults", json={"drop_rate": 1.0}).raise_for_status()
    with pytest.raises((HTTPClientError, BotoConnectionError)) as info:
        client.list_fleets()
    assert "Connection" in type(info.value).__name__
    control.post("/_sim/faults", json={"drop_rate": 0}).raise_for_status()
    assert len(client.list_fleets()["FleetIds"]) == 5
    assert len(clients.make().list_fleets()["FleetIds"]) == 5


# --- the stand-alone simulator ---------------------------------------------------------------


def _cli_env(hermetic_aws: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(hermetic_aws)
    env.update({"AWS_ACCESS_KEY_ID": "AKIDCLITEST", "AWS_SECRET_ACCESS_KEY": SECRET_KEY})
    return env


def _start_sim_process(hermetic_aws: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "sim", "--port", "0", "--sessions", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_cli_env(hermetic_aws))
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
    if not match:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError(f"unexpected first line {first!r}")
    return process, match.group(1)


@pytest.fixture(scope="module")
def sim_process(hermetic_aws: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = _start_sim_process(hermetic_aws)
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sim_command_serves_boto3(sim_process: tuple[subprocess.Popen[str], str],
                                  sessions_by_protocol: dict[str, Any]) -> None:
    _, url = sim_process
    for protocol, session in sessions_by_protocol.items():
        client = Clients(session, protocol, url).make()
        fleets = client.list_fleets()["FleetIds"]
        assert len(fleets) == 5
        sessions = [s for p in _pages(client, "describe_game_sessions", FleetId=fleets[0])
                    for s in p["GameSessions"]]
        assert sessions and all(s["FleetId"] == fleets[0] for s in sessions)
    # The stock model, as an unmodified boto3 resolves it (awsJson1_1 with botocore 1.44).
    stock = boto3.session.Session().client(
        "gamelift", region_name=REGION, endpoint_url=url, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY)
    assert stock.meta.service_model.resolved_protocol in PROTOCOL_NAMES.values()
    assert len(stock.list_fleets()["FleetIds"]) == 5
    protocols = httpx.get(url + "/_sim/state").json()["protocols"]
    assert protocols["cbor"] >= 2 and protocols["json"] >= 2


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli_lists_fleets(sim_process: tuple[subprocess.Popen[str], str],
                              hermetic_aws: dict[str, str]) -> None:
    _, url = sim_process
    before = httpx.get(url + "/_sim/state").json()["protocols"]
    done = subprocess.run(
        ["aws", "gamelift", "list-fleets", "--endpoint-url", url, "--region", REGION,
         "--output", "json"], capture_output=True, text=True, timeout=120,
        env=_cli_env(hermetic_aws))
    assert done.returncode == 0, done.stderr
    fleets = json.loads(done.stdout)["FleetIds"]
    assert len(fleets) == 5 and all(f.startswith(("fleet-", "containerfleet-")) for f in fleets)
    described = subprocess.run(
        ["aws", "gamelift", "describe-game-sessions", "--fleet-id", fleets[0],
         "--endpoint-url", url, "--region", REGION, "--output", "json"],
        capture_output=True, text=True, timeout=120, env=_cli_env(hermetic_aws))
    assert described.returncode == 0, described.stderr
    sessions = json.loads(described.stdout)["GameSessions"]
    assert sessions and all(s["FleetId"] == fleets[0] for s in sessions)
    after = httpx.get(url + "/_sim/state").json()["protocols"]
    assert after["json"] >= before["json"] + 2  # the CLI's botocore speaks awsJson1_1


def test_sim_command_stops_cleanly_on_sigterm(hermetic_aws: dict[str, str]) -> None:
    process, url = _start_sim_process(hermetic_aws)
    try:
        assert httpx.get(url + "/_sim/state").status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert process.stderr is not None
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/_sim/state", timeout=2)
