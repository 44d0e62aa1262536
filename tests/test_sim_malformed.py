"""The simulator against clients that send what botocore never would.

Malformed bodies, wrong member types, broken framing, garbage request lines and bad control
input must each get an AWS-shaped 4xx in the protocol the client spoke, quickly, and leave the
simulator serving. A 500 here would be wrong twice: botocore retries it, and it hides which
side is at fault. Everything is checked over real sockets (raw bytes where a library would
refuse to send them) against a simulator started by the test.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import cbor2
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from simctl import World, WorldSpec

from tui.sim.server import start_simulator

REGION = "us-west-2"
TIMEOUT = 1.0  # the test simulator's socket timeout, so that stalls end quickly
IDLE = 2.5  # and how long its kept-alive connections wait for another request
# The simulator reads the key and scope from a SigV4 header; it does not check the signature.
SIGNED = ("AWS4-HMAC-SHA256 Credential=AKIDMALFORMED/20260101/us-west-2/{service}/"
          "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
GAMELIFT_AUTH = SIGNED.format(service="gamelift")
GAMESPARKS_AUTH = SIGNED.format(service="gamesparks")


@dataclass
class Answer:
    """What came back on a raw connection: a parsed response, or a close without one."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    def cbor(self) -> Any:
        return cbor2.loads(self.body)


@pytest.fixture(scope="module", autouse=True)
def hermetic_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("aws-home")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                patch.delenv(name)
        patch.setenv("AWS_CONFIG_FILE", str(home / "no-such-config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-such-credentials"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The conftest world (a private one per test, shaped by a ``world`` marker), but served
    with short socket and idle timeouts: WorldSpec has no field for them, and with the
    defaults (10 s, 60 s) every stall below would take that long."""
    marker = request.node.get_closest_marker("world")
    spec = WorldSpec(**(marker.kwargs if marker else {}))
    config = dataclasses.replace(spec.config(), socket_timeout=TIMEOUT, idle_timeout=IDLE)
    private = World(start_simulator(config), spec)
    try:
        if spec.frozen:
            private.freeze()
        yield private
    finally:
        private.stop()


@pytest.fixture
def control(world: World) -> Iterator[httpx.Client]:
    """A raw client for the /_sim/ controls, for input World's methods would never send (they
    raise on the 400 that these tests look at). The world is the test's own: nothing to reset."""
    with httpx.Client(base_url=world.endpoint_url, timeout=10) as http:
        yield http


def _address(world: World) -> tuple[str, int]:
    host, port = world.endpoint_url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _raw(world: World, data: bytes, *, wait: float = 10.0,
         then: list[tuple[float, bytes]] | None = None) -> Answer:
    """Sends ``data`` (and each of ``then`` after its delay), reads one response or EOF."""
    started = time.monotonic()
    with socket.create_connection(_address(world), timeout=wait) as sock:
        sock.sendall(data)
        for delay, more in then or ():
            time.sleep(delay)
            try:
                sock.sendall(more)
            except OSError:
                break  # the simulator gave up on us: what it answered is read below
        received = b""
        try:
            while True:
                head, sep, rest = received.partition(b"\r\n\r\n")
                if sep:
                    lines = head.decode("latin-1").split("\r\n")
                    headers = dict(line.split(": ", 1) for line in lines[1:])
                    length = int(headers.get("Content-Length", "0"))
                    if len(rest) >= length:
                        return Answer(int(lines[0].split()[1]), headers, rest[:length],
                                      time.monotonic() - started)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
    assert not received, f"a partial answer: {received!r}"
    return Answer(None, {}, b"", time.monotonic() - started)


def _request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: sim", *(f"{k}: {v}" for k, v in
                                                          headers.items())]
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _json_rpc(operation: str, body: bytes, **headers: str) -> bytes:
    return _request("POST", "/", body, {
        "X-Amz-Target": f"GameLift.{operation}", "Content-Type": "application/x-amz-json-1.1",
        "Authorization": GAMELIFT_AUTH, **headers})


def _cbor_rpc(operation: str, body: bytes) -> bytes:
    return _request("POST", f"/service/GameLift/operation/{operation}", body, {
        "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
        "Accept": "application/cbor", "Authorization": GAMELIFT_AUTH})


def _gamesparks(method: str, path: str, body: bytes) -> bytes:
    return _request(method, path, body, {"Content-Type": "application/json",
                                         "Authorization": GAMESPARKS_AUTH})


def _fleet(world: World) -> str:
    return str(next(iter(world.sessions().values()))["FleetId"])


def _client(world: World, session: boto3.session.Session | None = None,
            **config: Any) -> Any:
    config.setdefault("retries", {"mode": "standard", "max_attempts": 3})
    return (session or boto3.session.Session()).client(
        "gamelift", region_name=REGION, endpoint_url=world.endpoint_url,
        aws_access_key_id="AKIDMALFORMED", aws_secret_access_key="not-a-secret",
        config=Config(connect_timeout=5, read_timeout=30, **config))


def _assert_json_error(answer: Answer, code: str, status: int = 400) -> dict[str, Any]:
    assert answer.status == status, answer
    assert answer.headers["Content-Type"] == "application/x-amz-json-1.1"
    body = answer.json()
    assert body["__type"] == code and body["message"]
    return body


def _assert_cbor_error(answer: Answer, code: str, status: int = 400) -> dict[str, Any]:
    assert answer.status == status, answer
    assert answer.headers["Content-Type"] == "application/cbor"
    assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
    body = answer.cbor()
    assert body["__type"] == code and body["message"]
    return body


def _assert_rest_error(answer: Answer, code: str, status: int = 400) -> dict[str, Any]:
    assert answer.status == status, answer
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["x-amzn-ErrorType"] == code
    body = answer.json()
    assert body.get("message") or body.get("Message")
    return body


# --- GameLift awsJson1_1 ---------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"{nope", b'{"FleetId": "fleet-1"', b'{"FleetId": "\xff\xfe"}', b"\xef\xbb\xbf{}",
    b"[1, 2]", b'"a string"', b"42", b"null", b'{"Limit": NaN}', b'{"Limit": Infinity}',
    b"{}{}", b"[" * 100_000, b"   ",
], ids=["syntax", "truncated", "non-utf8", "bom", "array", "string", "number", "null", "nan",
        "infinity", "two-values", "deep", "blank"])
def test_json_body_that_cannot_be_read_is_a_serialization_400(world: World,
                                                              body: bytes) -> None:
    answer = _raw(world, _json_rpc("DescribeGameSessionDetails", body))
    _assert_json_error(answer, "SerializationException")


@pytest.mark.parametrize(("operation", "params", "where"), [
    ("DescribeGameSessionDetails", {"Limit": "x"}, "Limit"),
    ("DescribeGameSessionDetails", {"FleetId": 5}, "FleetId"),
    ("DescribeGameSessionDetails", {"FleetId": ["fleet-1"]}, "FleetId"),
    ("DescribeGameSessionDetails", {"Limit": True}, "Limit"),
    ("DescribeGameSessionDetails", {"Limit": 1.5}, "Limit"),
    ("DescribeGameSessionDetails", {"Limit": 2**40}, "Limit"),
    ("DescribeGameSessionDetails", {"FleetId": "\ud800"}, "FleetId"),
    ("CreateGameSession", {"GameProperties": {"mode": "ffa"}}, "GameProperties"),
    ("CreateGameSession", {"GameProperties": [{"Key": 1, "Value": "v"}]},
     "GameProperties[0].Key"),
    ("CreateGameSession", {"GameProperties": [None]}, "GameProperties[0]"),
    ("CreateGameSession", {"MaximumPlayerSessionCount": "10"}, "MaximumPlayerSessionCount"),
    ("UpdateGameSession", {"GameSessionId": {"arn": "x"}}, "GameSessionId"),
    ("DescribeFleetAttributes", {"FleetIds": "fleet-1"}, "FleetIds"),
    ("DescribeFleetAttributes", {"FleetIds": [1, 2]}, "FleetIds[0]"),
    ("CreateScript", {"ZipFile": 5}, "ZipFile"),
    ("CreateScript", {"StorageLocation": ["bucket"]}, "StorageLocation"),
])
def test_wrong_member_types_are_a_serialization_400(world: World, operation: str,
                                                    params: dict[str, Any], where: str) -> None:
    before = len(world.mutations())
    answer = _raw(world, _json_rpc(operation, json.dumps(params).encode()))
    body = _assert_json_error(answer, "SerializationException")
    assert f"'{where}'" in body["message"]
    assert len(world.mutations()) == before  # refused before the operation ran


def test_unknown_members_and_nulls_are_ignored_as_aws_does(world: World) -> None:
    params = {"FleetId": _fleet(world), "Limit": 2, "NextToken": None, "NotAMember": [1, {}]}
    answer = _raw(world, _json_rpc("DescribeGameSessionDetails", json.dumps(params).encode()))
    assert answer.status == 200, answer.body
    assert len(answer.json()["GameSessionDetails"]) == 2


def test_keep_alive_survives_a_refused_body(world: World) -> None:
    # A 400 about the body is an ordinary answer: the client's connection stays usable.
    connection = http.client.HTTPConnection(*_address(world), timeout=10)
    headers = {"X-Amz-Target": "GameLift.ListFleets", "Authorization": GAMELIFT_AUTH,
               "Content-Type": "application/x-amz-json-1.1"}
    try:
        connection.request("POST", "/", body=b"{nope", headers=headers)
        first = connection.getresponse()
        assert first.status == 400 and b"SerializationException" in first.read()
        connection.request("POST", "/", body=b"{}", headers=headers)
        second = connection.getresponse()
        assert second.status == 200 and json.loads(second.read())["FleetIds"]
    finally:
        connection.close()


def test_botocore_does_not_retry_a_wrong_type(world: World) -> None:
    """With parameter validation off, botocore sends what it is given; the 400 it gets back
    is final (a 500 would have been sent three times)."""
    client = _client(world, parameter_validation=False)
    fleet = _fleet(world)
    for kwargs, where in (({"FleetId": fleet, "Limit": "x"}, "Limit"),
                          ({"FleetId": 5}, "FleetId")):
        before = world.state()["requests"]
        with pytest.raises(ClientError) as info:
            client.describe_game_session_details(**kwargs)
        error = info.value.response
        assert error["Error"]["Code"] == "SerializationException"
        assert where in error["Error"]["Message"]
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["ResponseMetadata"]["RetryAttempts"] == 0
        assert world.state()["requests"] - before == 1


# --- GameLift smithy-rpc-v2-cbor -------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"\xff", b"\xa1\x65Limit", b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\xa1\x67FleetId\x62\xff\xfe", cbor2.dumps([1, 2]), cbor2.dumps("text"),
    cbor2.dumps({}) + b"\x00", b"\x81" * 100_000,
], ids=["break", "truncated", "huge-array", "bad-utf8", "array", "string", "trailing",
        "deep"])
def test_cbor_body_that_cannot_be_read_is_a_serialization_400(world: World,
                                                              body: bytes) -> None:
    answer = _raw(world, _cbor_rpc("DescribeGameSessionDetails", body))
    _assert_cbor_error(answer, "SerializationException")


@pytest.mark.parametrize(("params", "where"), [
    ({"Limit": "x"}, "Limit"), ({"FleetId": 5}, "FleetId"), ({"FleetId": b"fleet-1"}, "FleetId"),
    ({"Limit": cbor2.CBORTag(999, 1)}, "Limit"), ({"Limit": cbor2.undefined}, "Limit"),
])
def test_cbor_wrong_types_are_a_serialization_400(world: World,
                                                  params: dict[str, Any], where: str) -> None:
    answer = _raw(world, _cbor_rpc("DescribeGameSessionDetails", cbor2.dumps(params)))
    assert f"'{where}'" in _assert_cbor_error(answer, "SerializationException")["message"]


def test_cbor_blob_must_be_a_byte_string(world: World) -> None:
    # awsJson carries blobs as base64 text; in CBOR a blob is a byte string, so text is wrong.
    answer = _raw(world, _cbor_rpc("CreateScript", cbor2.dumps({"ZipFile": "UEsFBg=="})))
    assert "'ZipFile'" in _assert_cbor_error(answer, "SerializationException")["message"]


def test_botocore_forced_to_cbor_still_works(world: World,
                                             tmp_path: Path) -> None:
    model = botocore.session.Session().get_component("data_loader").load_service_model(
        "gamelift", "service-2")
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    target = tmp_path / "gamelift" / model["metadata"]["apiVersion"] / "service-2.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(model))
    core = botocore.session.Session()
    core.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    client = _client(world, boto3.session.Session(botocore_session=core))
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    before = world.state()["protocols"]["cbor"]
    page = client.describe_game_session_details(FleetId=_fleet(world), Limit=3)
    assert len(page["GameSessionDetails"]) == 3
    created = page["GameSessionDetails"][0]["GameSession"]["CreationTime"]
    assert created.year >= 2020  # timestamps still come back as CBOR tag 1
    assert world.state()["protocols"]["cbor"] == before + 1


# --- GameSparks rest-json --------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{nope", b'{"Description": "\xff"}', b"[]", b"7"],
                         ids=["syntax", "non-utf8", "array", "number"])
def test_gamesparks_body_that_cannot_be_read_is_a_validation_400(world: World,
                                                                 body: bytes) -> None:
    games_before = len(world.state()["gamesparks"]["games"])
    answer = _raw(world, _gamesparks("POST", "/game", body))
    _assert_rest_error(answer, "ValidationException")
    assert len(world.state()["gamesparks"]["games"]) == games_before


@pytest.mark.parametrize(("method", "path", "params", "where"), [
    ("POST", "/game", {"GameName": 5}, "GameName"),
    ("POST", "/game", {"GameName": "ok-name", "Tags": ["a"]}, "Tags"),
    ("POST", "/game", {"GameName": "ok-name", "Tags": {"team": 1}}, "Tags.team"),
    ("PATCH", "/game/{game}", {"Description": ["a", "list"]}, "Description"),
])
def test_gamesparks_wrong_types_are_a_validation_400(world: World, method: str,
                                                     path: str, params: dict[str, Any],
                                                     where: str) -> None:
    game = next(iter(world.state()["gamesparks"]["games"]))
    answer = _raw(world, _gamesparks(method, path.format(game=game), json.dumps(params).encode()))
    body = _assert_rest_error(answer, "ValidationException")
    assert f"'{where}'" in body["message"]
    assert "ok-name" not in world.state()["gamesparks"]["games"]


# --- framing: Content-Length, chunked, timeouts ----------------------------------------------


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "0x10", "\u00b2", "5, 7"])
def test_bad_content_length_is_answered_at_once(world: World, length: str) -> None:
    answer = _raw(world, _json_rpc("ListFleets", b"{}", **{"Content-Length": length}))
    assert answer.seconds < TIMEOUT  # refused, not waited on
    _assert_json_error(answer, "BadRequest")
    assert answer.headers["Connection"] == "close"


def test_negative_content_length_on_rest_json_is_answered_at_once(
        world: World) -> None:
    answer = _raw(world, _request("POST", "/game", b"", {"Content-Length": "-1",
                                                         "Authorization": GAMESPARKS_AUTH}))
    assert answer.seconds < TIMEOUT
    _assert_rest_error(answer, "BadRequest")


def test_body_shorter_than_its_length_is_answered_within_the_timeout(
        world: World) -> None:
    answer = _raw(world, _json_rpc("ListFleets", b"{}", **{"Content-Length": "100"}))
    assert answer.seconds < TIMEOUT + 2
    _assert_json_error(answer, "RequestTimeout")


def test_body_that_trickles_in_is_cut_off_at_the_timeout(world: World) -> None:
    # One byte every 0.4 s never trips a per-read timeout of 1 s; the body's deadline does.
    trickle = [(0.4, b" ")] * 12
    answer = _raw(world, _json_rpc("ListFleets", b"{", **{"Content-Length": "40"}), then=trickle)
    assert answer.status == 400
    assert answer.json()["__type"] == "RequestTimeout"
    assert answer.seconds < TIMEOUT + 2


def test_client_that_stops_inside_its_headers_is_closed(world: World) -> None:
    answer = _raw(world, b"POST / HTTP/1.1\r\nHost: sim\r\nX-Amz-Target: GameLift.ListF")
    assert answer.status in (None, 400)
    assert answer.seconds < TIMEOUT + 2


def test_idle_connection_is_closed_after_the_timeout(world: World) -> None:
    answer = _raw(world, b"")
    assert answer.status is None
    assert answer.seconds < TIMEOUT + 2


def test_kept_alive_connection_waits_for_the_idle_timeout(world: World) -> None:
    # A client that pauses between calls longer than the request timeout keeps its
    # connection; one that goes quiet longer than the idle timeout is closed.
    request = _json_rpc("ListFleets", b"{}")
    with socket.create_connection(_address(world), timeout=10) as sock:
        for pause in (0.0, TIMEOUT + 0.5):
            time.sleep(pause)
            sock.sendall(request)
            received = b""
            while b'"FleetIds"' not in received or not received.endswith(b"]}"):
                chunk = sock.recv(65536)
                assert chunk, "closed while a request was waiting"
                received += chunk
            assert received.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(65536) == b""
        assert IDLE - 0.5 < time.monotonic() - started < IDLE + 2


def test_oversized_body_is_refused_unread(world: World) -> None:
    limit = world.sim.config.max_body_bytes
    answer = _raw(world, _json_rpc("CreateScript", b"", **{"Content-Length": str(limit + 1)}))
    assert answer.seconds < TIMEOUT
    _assert_json_error(answer, "RequestEntityTooLarge", 413)
    huge = _raw(world, _json_rpc("CreateScript", b"", **{"Content-Length": "9" * 5000}))
    _assert_json_error(huge, "RequestEntityTooLarge", 413)


def test_chunked_body_is_read(world: World) -> None:
    request = _json_rpc("ListFleets", b"1\r\n{\r\n1;ext=1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n",
                        **{"Transfer-Encoding": "chunked"})
    answer = _raw(world, request)
    assert answer.status == 200 and answer.json()["FleetIds"]


def test_chunked_body_through_httpx(world: World) -> None:
    def parts() -> Iterator[bytes]:
        yield b'{"Lim'
        yield b'it": 2}'

    response = httpx.post(world.endpoint_url + "/", content=parts(), timeout=10, headers={
        "X-Amz-Target": "GameLift.ListFleets", "Authorization": GAMELIFT_AUTH,
        "Content-Type": "application/x-amz-json-1.1"})
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 200 and len(response.json()["FleetIds"]) == 2


@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"5\r\n{}\r\n0\r\n\r\n",
                                    b"ffffffffffff\r\n"], ids=["not-hex", "short", "huge"])
def test_malformed_chunked_body_is_refused(world: World, chunks: bytes) -> None:
    answer = _raw(world, _json_rpc("ListFleets", chunks, **{"Transfer-Encoding": "chunked"}))
    assert answer.status in (400, 413)
    assert answer.json()["__type"] in ("BadRequest", "RequestTimeout", "RequestEntityTooLarge")
    assert answer.seconds < TIMEOUT + 2


# --- garbage the stdlib would answer with HTML -----------------------------------------------


@pytest.mark.parametrize("data", [
    b"GARBAGE\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a b\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n", b"BREW / HTTP/1.1\r\nHost: sim\r\n\r\n",
    b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n",
    b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
], ids=["one-word", "tls-hello", "version", "method", "long-uri", "many-headers",
        "bad-header"])
def test_unparseable_requests_get_json_not_html(world: World, data: bytes) -> None:
    answer = _raw(world, data)
    assert answer.status is not None and 400 <= answer.status < 600
    assert answer.headers["Content-Type"] == "application/json"
    assert b"<html" not in answer.body.lower() and b"<!doctype" not in answer.body.lower()
    body = answer.json()
    # The stdlib lets a header line without a colon through; that request then fails as a
    # GameSparks call would, whose errors name their code in x-amzn-ErrorType only.
    code = answer.headers["x-amzn-ErrorType"]
    assert body.get("__type", code) == code
    assert body.get("message") or body.get("Message")


def test_unsupported_method_on_a_gamelift_call_keeps_its_protocol(
        world: World) -> None:
    answer = _raw(world, _request("BREW", "/", b"", {"X-Amz-Target": "GameLift.ListFleets"}))
    _assert_json_error(answer, "NotImplemented", 501)


def test_head_is_answered_without_a_body(world: World) -> None:
    connection = http.client.HTTPConnection(*_address(world), timeout=10)
    try:
        connection.request("HEAD", "/")
        response = connection.getresponse()
        assert response.status == 501 and response.read() == b""
        assert response.headers["x-amzn-ErrorType"] == "NotImplemented"
    finally:
        connection.close()


# --- the /_sim/ control surface --------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"advance": 1e308}, {"advance": -1e308}, {"advance": 1e10}, {"advance": "60"},
    {"advance": True}, {"advance": None}, {"advance": [60]}, {"freeze": "yes"},
    {"frozen": True},
], ids=["huge", "huge-negative", "too-far", "text", "bool", "null", "list", "freeze-text",
        "unknown-key"])
def test_clock_refuses_bad_input_and_stays_usable(world: World,
                                                  control: httpx.Client,
                                                  body: dict[str, Any]) -> None:
    before = control.get("/_sim/clock").json()
    response = control.post("/_sim/clock", json=body)
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"
    assert response.json()["__type"] == "ValidationException"
    after = control.get("/_sim/clock").json()
    assert after["frozen"] == before["frozen"]
    assert abs(after["now"] - time.time()) < 3600  # not moved
    page = _client(world).describe_game_session_details(FleetId=_fleet(world), Limit=2)
    assert len(page["GameSessionDetails"]) == 2


def test_clock_refuses_non_json_literals(world: World,
                                        control: httpx.Client) -> None:
    for raw in (b'{"advance": NaN}', b'{"advance": Infinity}', b"[60]", b"{nope", b"\xff"):
        response = control.post("/_sim/clock", content=raw)
        assert response.status_code == 400, raw
        assert response.json()["__type"] == "ValidationException"


def test_clock_still_advances_within_range(world: World,
                                           control: httpx.Client) -> None:
    frozen = world.freeze()
    assert world.advance(60) == pytest.approx(frozen + 60)
    assert world.advance(-60) == pytest.approx(frozen)
    assert control.get("/_sim/clock").json()["now"] == pytest.approx(frozen)


@pytest.mark.parametrize("body", [
    {"error_rate": 2}, {"throttle_rate": -0.1}, {"drop_rate": "0.5"}, {"drop_rate": True},
    {"latency_ms": -1}, {"latency_ms": 1e12}, {"latency_spike_ms": "slow"},
    {"error_rate": 0.5, "drop_rate": 7}, {"chaos": 1},
], ids=["rate-high", "rate-negative", "rate-text", "rate-bool", "latency-negative",
        "latency-huge", "spike-text", "one-bad-of-two", "unknown"])
def test_faults_refuse_bad_input_and_change_nothing(control: httpx.Client,
                                                    body: dict[str, Any]) -> None:
    before = control.get("/_sim/faults").json()
    response = control.post("/_sim/faults", json=body)
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"
    assert control.get("/_sim/faults").json() == before


def test_faults_accept_numbers_in_range(control: httpx.Client) -> None:
    values = control.post("/_sim/faults", json={"error_rate": 0, "latency_ms": 0.0,
                                                "latency_spike_rate": 0.25}).json()
    assert values["error_rate"] == 0 and values["latency_spike_rate"] == 0.25
    assert values["latency_ms"] == 0 and isinstance(values["latency_ms"], int)
    control.post("/_sim/faults", json={"latency_spike_rate": 0}).raise_for_status()


@pytest.mark.parametrize("body", [
    {"expired": "AKIDONE"}, {"revoked": [1]}, {"denied": {"UpdateGameSession": True}},
    {"expired": [None]}, {"allowed": []},
], ids=["string", "numbers", "object", "null-item", "unknown"])
def test_credentials_must_be_lists_of_strings(control: httpx.Client,
                                              body: dict[str, Any]) -> None:
    control.post("/_sim/credentials", json={"denied": ["TerminateGameSession"]})
    response = control.post("/_sim/credentials", json=body)
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"
    # Nothing was half-applied: the earlier setting is still in force.
    assert control.post("/_sim/credentials", json={}).json()["denied"] == []


def test_rate_limit_spec_is_checked(world: World, control: httpx.Client,
                                    tmp_path: Path) -> None:
    bad_file = tmp_path / "limits.json"
    bad_file.write_text(json.dumps({"SearchGameSessions": [0, 0]}))
    not_json = tmp_path / "limits.txt"
    not_json.write_text("rate=5")
    for body in ({"spec": 5}, {"spec": ["off"]}, {"spec": ""}, {"spec": "/no/such/file"},
                 {"spec": str(bad_file)}, {"spec": str(not_json)}, {"spec": str(tmp_path)},
                 {"mode": "off"}):
        response = control.post("/_sim/rate-limits", json=body)
        assert response.status_code == 400, body
        assert response.json()["__type"] == "ValidationException"
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"*": [100, 200]}))
    assert control.post("/_sim/rate-limits", json={"spec": str(good)}).json() == {
        "enabled": True}
    assert _client(world).list_fleets()["FleetIds"]


@pytest.mark.parametrize("body", [{"GameSessionId": 5}, {"GameSessionId": "x", "current": "3"},
                                  {"GameSessionId": "x", "current": 1.5}])
def test_players_control_checks_types(control: httpx.Client, body: dict[str, Any]) -> None:
    response = control.post("/_sim/gamelift/players", json=body)
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"


def test_simulator_serves_normally_after_all_of_this(world: World,
                                                     control: httpx.Client) -> None:
    # Its own world, so "all of this" is sent here: a bad body in each protocol, garbage
    # framing, a stalled body, and refused control input.
    _assert_json_error(_raw(world, _json_rpc("ListFleets", b"{nope")), "SerializationException")
    _assert_cbor_error(_raw(world, _cbor_rpc("ListFleets", b"\xff")), "SerializationException")
    _assert_rest_error(_raw(world, _gamesparks("POST", "/game", b"{nope")), "ValidationException")
    assert _raw(world, b"GARBAGE\r\n\r\n").headers["Content-Type"] == "application/json"
    assert _raw(world, _json_rpc("ListFleets", b"{}", **{"Content-Length": "100"})).status == 400
    for path, body in (("/_sim/clock", {"advance": 1e308}), ("/_sim/faults", {"error_rate": 2}),
                       ("/_sim/credentials", {"expired": "x"})):
        assert control.post(path, json=body).status_code == 400
    client = _client(world)
    fleets = client.list_fleets()["FleetIds"]
    assert fleets
    details = client.describe_game_session_details(FleetId=fleets[0], Limit=5)
    assert details["GameSessionDetails"]
    assert world.state()["gamelift"]
