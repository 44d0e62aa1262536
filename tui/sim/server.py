"""The simulator's HTTP server: routing, authentication, faults, throttling, /_sim/ controls."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import random
import re
import socket
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from tui.sim import sts, wire
from tui.sim.backend import GameBackend
from tui.sim.core import (
    Clock,
    Faults,
    MutationLog,
    Presigner,
    RateLimits,
    RequestContext,
    SimError,
    invalid,
)
from tui.sim.gamelift import GameLiftSim
from tui.sim.gamesparks import GameSparksSim

log = logging.getLogger(__name__)

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 7
    sessions: int = 400
    fleets: int = 0  # 0: the demo world's own fleet set
    region: str = "us-west-2"
    rate_limits: str = "default"
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: int = 0
    drift: bool = True
    # Calls a second of a simulated game backend under its own key (tui/sim/backend.py).
    backend_load: float = 0.0
    # Per socket operation: a client that announces a body it never sends, or stops halfway
    # through its headers, gets an answer (or a close) after this long instead of a thread
    # that waits forever; a body must have arrived in full within it.
    socket_timeout: float | None = 10.0
    # A kept-alive connection may wait this long for its next request. Longer than the above:
    # a client that reuses a connection just as the server closes it sees the request fail,
    # and a poll every `socket_timeout` seconds would meet that often (60 s is an ALB's idle).
    idle_timeout: float | None = 60.0
    # Bodies larger than this are refused unread (GameLift's largest input, a 5 MB script zip,
    # is 6.7 MB as base64 JSON).
    max_body_bytes: int = 16 * 1024 * 1024
    # Epoch seconds: the clock starts frozen there and the worlds are built as of then (with
    # the seed, every id and time is the same on every run).
    frozen_at: float | None = None


class Simulator:
    """All simulated state and policy; the HTTP layer only translates requests to calls on it."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = Clock(config.frozen_at)
        self.faults = Faults(throttle_rate=config.throttle_rate, error_rate=config.error_rate,
                             drop_rate=config.drop_rate, latency_ms=config.latency_ms)
        self.rate_limits = RateLimits.from_spec(config.rate_limits)
        self.mutations = MutationLog()
        self.presigner = Presigner(self.clock)
        self.expired_keys: set[str] = set()
        self.revoked_keys: set[str] = set()
        self.denied: set[str] = set()  # "Operation" or "*": refused with AccessDenied
        self.request_count = 0
        # (access key id, operation) → [calls, throttled]: GET /_sim/requests.
        self.requests: dict[tuple[str, str], list[int]] = {}
        self.protocol_counts: dict[str, int] = {"json": 0, "cbor": 0}  # GameLift RPC requests
        self._rng = random.Random(config.seed ^ 0x5EED)
        self.lock = threading.RLock()
        self.gamelift = GameLiftSim(self.clock, random.Random(config.seed), config.region,
                                    sessions=config.sessions, fleets=config.fleets,
                                    drift=config.drift)
        self.gamesparks = GameSparksSim(self.clock, random.Random(config.seed + 1),
                                        config.region)
        # Other regions get worlds of their own on first use (a region switch in the app sees
        # different fleets); `gamelift` / `gamesparks` above are the configured region's.
        self._regional: dict[str, tuple[GameLiftSim, GameSparksSim]] = {}

    def worlds(self, region: str) -> tuple[GameLiftSim, GameSparksSim]:
        """The GameLift and GameSparks state of ``region`` (the SigV4 scope's region)."""
        if not region or region == self.config.region:
            return self.gamelift, self.gamesparks
        with self.lock:
            pair = self._regional.get(region)
            if pair is None:
                seed = self.config.seed + zlib.crc32(region.encode())
                pair = (GameLiftSim(self.clock, random.Random(seed), region,
                                    sessions=max(1, self.config.sessions // 2),
                                    fleets=self.config.fleets, drift=self.config.drift),
                        GameSparksSim(self.clock, random.Random(seed + 1), region))
                self._regional[region] = pair
            return pair

    def context(self, service: str, access_key: str, region: str) -> RequestContext:
        return RequestContext(request_id=str(uuid.uuid4()), now=self.clock.now(),
                              access_key=access_key, region=region, mutations=self.mutations,
                              presigner=self.presigner, service=service)

    def check_caller(self, operation: str, access_key: str, ctx_service: str) -> None:
        if access_key in self.expired_keys:
            raise SimError("ExpiredTokenException",
                           "The security token included in the request is expired", 400)
        if access_key in self.revoked_keys:
            raise SimError("UnrecognizedClientException",
                           "The security token included in the request is invalid.", 400)
        if operation in self.denied or "*" in self.denied:
            prefix = "gamelift" if ctx_service == "GameLift" else "gamesparks"
            code = "UnauthorizedException" if ctx_service == "GameLift" else \
                "AccessDeniedException"
            raise SimError(code, f"User is not authorized to perform: {prefix}:{operation}",
                           400 if ctx_service == "GameLift" else 403)

    def inject(self, operation: str, service: str = "GameLift",
               caller: str = "") -> str | None:
        """Apply faults and throttling; returns "drop" when the connection should be cut.
        Counts the call for ``caller`` (an access key id), and its throttle if it gets one."""
        with self.lock:
            self.request_count += 1
            counts = self.requests.setdefault((caller, operation), [0, 0])
            counts[0] += 1
            roll_drop, roll_throttle, roll_error, roll_spike = (self._rng.random() for _ in "abcd")
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if self.faults.latency_spike_rate and roll_spike < self.faults.latency_spike_rate:
            time.sleep(self.faults.latency_spike_ms / 1000)
        if roll_drop < self.faults.drop_rate:
            return "drop"
        if (not self.rate_limits.allow(operation, service)
                or roll_throttle < self.faults.throttle_rate):
            with self.lock:
                counts[1] += 1
            raise SimError("ThrottlingException", "Rate exceeded", 400)
        if roll_error < self.faults.error_rate:
            raise SimError("InternalServiceException", "An internal failure occurred.", 500)
        return None

    # --- control surface -------------------------------------------------------------------

    def request_counts(self, caller: str | None = None) -> dict[str, dict[str, int]]:
        """Calls and throttles per operation since start (or the last clear), one caller's or
        everyone's."""
        merged: dict[str, dict[str, int]] = {}
        with self.lock:
            for (key, operation), (calls, throttled) in self.requests.items():
                if caller is None or key == caller:
                    entry = merged.setdefault(operation, {"calls": 0, "throttled": 0})
                    entry["calls"] += calls
                    entry["throttled"] += throttled
        return dict(sorted(merged.items()))

    def control(self, method: str, path: str, body: dict[str, Any], query: str = "") -> Any:
        """The /_sim/ endpoints. Input is checked in full before anything changes: a bad value
        (an advance of 1e308, a rate of 2) would otherwise break every later call."""
        parts = [p for p in path.split("/") if p][1:]
        what = parts[0] if parts else ""
        if what == "mutations":
            if method == "DELETE":
                self.mutations.clear()
                return {"cleared": True}
            return {"mutations": self.mutations.as_list()}
        if what == "requests":
            if method == "DELETE":
                with self.lock:
                    self.requests.clear()
                return {"cleared": True}
            callers = parse_qs(query).get("caller")
            return {"operations": self.request_counts(callers[0] if callers else None)}
        if what == "faults":
            if method == "POST":
                self.faults.update(body)
            return self.faults.as_dict()
        if what == "rate-limits" and method == "POST":
            _only(body, "spec")
            self.rate_limits = RateLimits.from_spec(body.get("spec", "default"))
            return {"enabled": self.rate_limits.enabled}
        if what == "clock":
            if method == "POST":
                _only(body, "freeze", "advance", "unfreeze")
                freeze, unfreeze = _flag(body, "freeze"), _flag(body, "unfreeze")
                if "advance" in body:
                    # Checked before freezing, so that a refused request changes nothing.
                    self.clock.check_advance(body["advance"])
                if freeze:
                    self.clock.freeze()
                if "advance" in body:
                    self.clock.advance(body["advance"])
                if unfreeze:
                    self.clock.unfreeze()
            return {"now": self.clock.now(), "frozen": self.clock.frozen}
        if what == "credentials" and method == "POST":
            _only(body, "expired", "revoked", "denied")
            expired, revoked = _strings(body, "expired"), _strings(body, "revoked")
            denied = _strings(body, "denied")
            self.expired_keys, self.revoked_keys, self.denied = expired, revoked, denied
            return {"expired": sorted(self.expired_keys), "revoked": sorted(self.revoked_keys),
                    "denied": sorted(self.denied)}
        if what == "state":
            with self.lock:
                return {"gamelift": self.gamelift.state(), "gamesparks": self.gamesparks.state(),
                        "requests": self.request_count, "protocols": dict(self.protocol_counts)}
        if what == "gamelift" and len(parts) >= 2 and parts[1] == "players" and method == "POST":
            # Players leave (or join) a session: lets tests drive a drain to its end.
            _only(body, "GameSessionId", "current")
            arn, current = body.get("GameSessionId"), body.get("current", 0)
            if not isinstance(arn, str):
                raise invalid("GameSessionId must be a string")
            if isinstance(current, bool) or not isinstance(current, int):
                raise invalid("current must be an integer")
            with self.lock:
                session = self.gamelift.sessions.get(arn)
                if session is None:
                    raise SimError("NotFound", "no such game session", 404)
                session.current = max(0, min(session.maximum, current))
                return {"current": session.current}
        if what == "gamelift" and len(parts) == 2 and parts[1] == "s3" and method == "POST":
            # An object a StorageLocation can name (the simulator's S3 is only this store).
            _only(body, "Bucket", "Key", "ZipBase64", "ObjectVersion")
            bucket, key, data = body.get("Bucket"), body.get("Key"), body.get("ZipBase64")
            version = body.get("ObjectVersion")
            if not all(isinstance(v, str) and v for v in (bucket, key, data)) or not (
                    version is None or isinstance(version, str) and version):
                raise invalid("Bucket, Key and ZipBase64 must be non-empty strings")
            try:
                blob = base64.b64decode(str(data), validate=True)
            except ValueError as err:
                raise invalid("ZipBase64 is not base64") from err
            with self.lock:
                return {"ObjectVersion": self.gamelift.put_object(str(bucket), str(key), blob,
                                                                  version)}
        if what == "gamelift" and len(parts) == 2 and parts[1] == "fleet-status" \
                and method == "POST":
            _only(body, "FleetId", "Status")
            fleet_id, status = body.get("FleetId"), body.get("Status")
            if status not in FLEET_STATUSES:
                raise invalid(f"Status must be one of {', '.join(FLEET_STATUSES)}")
            with self.lock:
                fleet = self.gamelift.fleets.get(str(fleet_id))
                if fleet is None:
                    raise SimError("NotFound", "no such fleet", 404)
                fleet.status = str(status)
                return {"FleetId": fleet.fleet_id, "Status": fleet.status}
        if what == "gamelift" and len(parts) == 2 and parts[1] == "fleets":
            # Which fleet runs which script or build: no public call answers that for a
            # script in one request, and tests must not read the simulator's objects.
            regions = parse_qs(query).get("region")
            gamelift = self.worlds(regions[0])[0] if regions else self.gamelift
            with self.lock:
                return {"Fleets": [{"FleetId": f.fleet_id, "Name": f.name,
                                    "ScriptId": f.script_id, "BuildId": f.build_id,
                                    "Status": f.status, "Locations": list(f.locations)}
                                   for f in gamelift.fleets.values()]}
        if what == "gamelift" and len(parts) == 4 and parts[1] == "scripts" \
                and parts[3] == "zip" and method == "GET":
            # The bytes a script holds (uploaded as ZipFile or read from its S3 object).
            with self.lock:
                script = self.gamelift.scripts.get(parts[2])
                if script is None:
                    raise SimError("NotFound", "no such script", 404)
                held = script.zip_bytes
            return {"ZipBase64": None if held is None else base64.b64encode(held).decode()}
        if what == "gamesparks" and len(parts) == 2 and parts[1] == "reset" \
                and method == "POST":
            _only(body, "now", "seed")
            now, seed = body.get("now"), body.get("seed", 0)
            if isinstance(now, bool) or not isinstance(now, (int, float)) or not (
                    0 <= now < 4_102_444_800):
                raise invalid("now must be a time in seconds since 1970, before 2100")
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise invalid("seed must be an integer")
            with self.lock:
                self.gamesparks.reset(float(now), seed=seed)
            return {"reset": True}
        if what == "gamelift" and len(parts) >= 2 and parts[1] == "sessions":
            with self.lock:
                return {"GameSessions": self.gamelift.state_sessions(
                    parts[2] if len(parts) > 2 else None)}
        raise SimError("NotFound", f"no control endpoint {path}", 404)


# FleetStatus in botocore's GameLift model.
FLEET_STATUSES = ("NEW", "DOWNLOADING", "VALIDATING", "BUILDING", "ACTIVATING", "ACTIVE",
                  "DELETING", "ERROR", "TERMINATED", "NOT_FOUND")


def _only(body: dict[str, Any], *allowed: str) -> None:
    # A misspelt key would otherwise be ignored, and the test that sent it would pass for the
    # wrong reason.
    unknown = sorted(str(key) for key in body if key not in allowed)
    if unknown:
        raise invalid(f"unknown setting(s) {', '.join(unknown)}; expected {', '.join(allowed)}")


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise invalid(f"{key} must be true or false")
    return value


def _strings(body: dict[str, Any], key: str) -> set[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(f"{key} must be a list of strings")
    return set(value)


# The stdlib's error statuses, as AWS-style error codes.
_ERROR_CODES = {400: "BadRequest", 404: "NotFound", 408: "RequestTimeout",
                411: "MissingContentLength", 413: "RequestEntityTooLarge",
                414: "RequestURITooLong", 431: "RequestHeaderFieldsTooLarge",
                501: "NotImplemented", 505: "HTTPVersionNotSupported"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms a request), which also makes the rate limits unreachable.
    disable_nagle_algorithm = True
    server: _Server
    # makefile("rb") with the default buffer size, so peek() is there (typeshed says only
    # BufferedIOBase).
    rfile: io.BufferedReader
    _kept_alive: bool
    _socket_timeout: float | None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("sim: " + format, *args)

    def handle_one_request(self) -> None:
        # What the previous request on this connection left behind must not decide the shape
        # of an error about this one (a request line too long is refused before parsing).
        # (Removed, not set to None: the attribute is typed as always present, and _protocol
        # reads it with getattr.)
        self.__dict__.pop("headers", None)
        self.path = ""
        if self._kept_alive and not self._next_request_arrives():
            self.close_connection = True
            return
        super().handle_one_request()
        self._kept_alive = True

    def _next_request_arrives(self) -> bool:
        """Waits up to the idle timeout for the first byte of another request."""
        idle = self.server.sim.config.idle_timeout
        if idle == self._socket_timeout:
            return True
        try:
            self.connection.settimeout(idle)
            return bool(self.rfile.peek(1))
        except OSError:  # TimeoutError included: the client has nothing more to ask
            return False
        finally:
            try:
                self.connection.settimeout(self._socket_timeout)
            except OSError:
                pass

    def setup(self) -> None:
        # A socket without a timeout means a client that never finishes its request holds this
        # thread forever. (Set here, not through StreamRequestHandler's class-wide `timeout`,
        # because it is each simulator's own setting.)
        self._socket_timeout = self.server.sim.config.socket_timeout
        self._kept_alive = False
        self.request.settimeout(self._socket_timeout)
        super().setup()

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The stdlib's answer to a request it cannot parse is an HTML page (and, for a request
        line of one word, not even a status line); AWS clients expect an error in the
        protocol they spoke, so that is what they get."""
        if getattr(self, "request_version", "") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"  # so that a status line and headers are written
        short, _long = self.responses.get(code, ("Error", ""))
        fallback = "BadRequest" if code < 500 else "InternalFailure"
        self._error(code, _ERROR_CODES.get(code, fallback), message or short, close=True)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        # Only S3 has a HEAD operation (HeadObject); GameLift and GameSparks have none.
        scope = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        if scope and scope.group(3) == "s3":
            self._dispatch()
        else:
            self.send_error(501, f"Unsupported method ({self.command!r})")

    # --- the request's framing --------------------------------------------------------------

    def _protocol(self) -> str:
        """"json", "cbor" or "rest": the protocol whose error shape this request should get."""
        headers = getattr(self, "headers", None)
        if headers is None:
            return "rest"
        if headers.get("X-Amz-Target"):
            return "json"
        if _CBOR_PATH.match(urlsplit(getattr(self, "path", "") or "").path):
            return "cbor"
        return "rest"

    def _error(self, status: int, code: str, message: str, request_id: str = "",
               close: bool = False) -> None:
        """An error in the shape of the request's protocol, for failures before the request
        reached a service (framing, size, time) as much as within it."""
        protocol = self._protocol()
        extra = {"Connection": "close"} if close else {}
        if close:
            self.close_connection = True
        if protocol == "cbor":
            extra["smithy-protocol"] = "rpc-v2-cbor"
            payload = wire.encode_cbor({"__type": code, "message": message})
            self._send(status, wire.CBOR, payload, request_id, extra)
        elif protocol == "json":
            payload = wire.encode_json({"__type": code, "message": message})
            self._send(status, wire.JSON_11, payload, request_id, extra)
        else:
            extra["x-amzn-ErrorType"] = code
            payload = json.dumps({"__type": code, "message": message}).encode()
            self._send(status, wire.REST_JSON, payload, request_id, extra)

    def _read_body(self) -> bytes | None:
        """The request's body, or None when it could not be read and an error (or nothing, to
        a client that has gone) was the answer. The connection is closed after a refusal: what
        is left of the body would be read as the next request."""
        limit = self.server.sim.config.max_body_bytes
        try:
            encoding = self.headers.get("Transfer-Encoding")
            if encoding is not None:
                if encoding.strip().lower() != "chunked":
                    self._error(501, "NotImplemented",
                                f"Transfer-Encoding {encoding!r} is not supported", close=True)
                    return None
                return self._read_chunked(limit)
            lengths = {value.strip() for value in self.headers.get_all("Content-Length") or ()}
            if not lengths:
                return b""
            value = lengths.pop()
            if lengths or not (value.isascii() and value.isdigit()):
                self._error(400, "BadRequest",
                            "Content-Length must be one non-negative decimal integer",
                            close=True)
                return None
            length = int(value) if len(value) <= 18 else limit + 1
            if length > limit:
                self._refuse_large(length, limit)
                return None
            body = self._read_exactly(length)
        except TimeoutError:
            # 400 as S3 answers it: a 408 or 5xx would invite the client to send it again.
            self._error(400, "RequestTimeout", "The request body did not arrive within "
                        f"{self._socket_timeout} s", close=True)
            return None
        if len(body) < length:
            # The client closed its side with the body unfinished; it may still read.
            self._error(400, "IncompleteBody", f"Content-Length is {length} but only "
                        f"{len(body)} bytes arrived", close=True)
            return None
        return body

    def _read_exactly(self, length: int) -> bytes:
        """Up to ``length`` bytes (fewer at end of stream) within one `timeout` in all: the
        socket timeout alone bounds each read, so a byte every few seconds would never end."""
        if length == 0:
            return b""
        if self._socket_timeout is None:
            return self.rfile.read(length)
        deadline = time.monotonic() + self._socket_timeout
        if len(self.rfile.peek(length)) >= length:
            return self.rfile.read(length)  # the usual case: it came with the headers
        chunks: list[bytes] = []
        remaining = length
        try:
            while remaining:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("request body")
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(remaining, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
        finally:
            self.connection.settimeout(self._socket_timeout)
        return b"".join(chunks)

    def _read_chunked(self, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1026)
            size_text = line.split(b";", 1)[0].strip()
            try:
                if not line.endswith(b"\n") or not size_text.isalnum():
                    raise ValueError(line)
                size = int(size_text, 16)
            except ValueError:
                self._error(400, "BadRequest", "Malformed chunked request body", close=True)
                return None
            if size == 0:
                break
            total += size
            if total > limit:
                self._refuse_large(total, limit)
                return None
            chunk = self._read_exactly(size)
            if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                self._error(400, "BadRequest", "Malformed chunked request body", close=True)
                return None
            chunks.append(chunk)
        for _ in range(100):  # trailer fields, ignored, up to the blank line
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                return b"".join(chunks)
        self._error(400, "BadRequest", "Too many trailer fields", close=True)
        return None

    def _refuse_large(self, length: int, limit: int) -> None:
        self._error(413, "RequestEntityTooLarge",
                    f"The request body is {length} bytes; the limit is {limit}", close=True)
        # Closing with unread bytes makes the kernel reset the connection, which can destroy
        # the answer before the client reads it. Half-close and discard a bounded amount.
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.2)
            deadline, drained = time.monotonic() + 1.0, 0
            while time.monotonic() < deadline and drained < limit:
                data = self.connection.recv(65536)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass

    def _dispatch(self) -> None:
        sim = self.server.sim
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        path = split.path
        try:
            if path.startswith("/_sim/"):
                payload = wire.decode_json(body, "ValidationException")
                self._send(200, wire.REST_JSON, json.dumps(sim.control(
                    self.command, path, payload, split.query)).encode())
                return
            if path.startswith("/_presigned/"):
                self._presigned(path)
                return
        except SimError as err:
            self._send(err.status, wire.REST_JSON, json.dumps(
                {"__type": err.code, "code": err.code, "message": err.message}).encode(),
                extra={"x-amzn-ErrorType": err.code})
            return
        except Exception as err:  # a bug in a control endpoint: an answer, not a dead thread
            log.exception("simulator control failure in %s", path)
            self._send(500, wire.REST_JSON, json.dumps(
                {"__type": "InternalFailure", "message": f"simulator error: {err}"}).encode())
            return
        if path == "/federation/credentials" and self.command == "GET":
            self._sso(split.query)
            return
        scope = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        if sts.is_sts_request(self.headers.get("Content-Type", ""), body,
                              scope.group(3) if scope else None):
            self._sts(body)
            return
        if scope and scope.group(3) == "s3":
            self._s3(split.path, split.query)
            return
        target = self.headers.get("X-Amz-Target", "")
        cbor_match = _CBOR_PATH.match(path)
        if target.startswith("GameLift."):
            self._rpc("json", target.split(".", 1)[1], body)
        elif cbor_match and cbor_match.group(1) == "GameLift":
            self._rpc("cbor", cbor_match.group(2), body)
        elif target or cbor_match:
            self._send(400, wire.JSON_11, wire.encode_json(
                {"__type": "UnknownOperationException", "message": "Unknown operation"}))
        else:
            self._rest(split.path, split.query, body)

    def _credentials(self) -> tuple[str, str] | None:
        match = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        if not self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256") or not match:
            return None
        return match.group(1), match.group(2)

    def _rpc(self, protocol: str, operation: str, body: bytes) -> None:
        sim = self.server.sim
        is_cbor = protocol == "cbor"
        encode = wire.encode_cbor if is_cbor else wire.encode_json
        content_type = wire.CBOR if is_cbor else wire.JSON_11
        extra = {"smithy-protocol": "rpc-v2-cbor"} if is_cbor else {}
        request_id = str(uuid.uuid4())
        with sim.lock:
            sim.protocol_counts[protocol] += 1
        try:
            creds = self._credentials()
            if creds is None:
                raise SimError("MissingAuthenticationTokenException",
                               "Missing Authentication Token", 400)
            if sim.inject(operation, "GameLift", creds[0]) == "drop":
                self._drop()
                return
            sim.check_caller(operation, creds[0], "GameLift")
            params = wire.decode_cbor(body) if is_cbor else wire.decode_json(body)
            wire.GAMELIFT_TYPES.check(protocol, operation, params)
            ctx = sim.context("GameLift", creds[0], creds[1])
            request_id = ctx.request_id
            world = sim.worlds(creds[1])[0]
            with sim.lock:
                result = world.handle(operation, params, ctx)
            self._send(200, content_type, encode(result), request_id, extra)
        except SimError as err:
            self._send(err.status, content_type,
                       encode({"__type": err.code, "message": err.message}), request_id, extra)
        except Exception as err:  # a bug in the simulator must look like a 500, not a hang
            log.exception("simulator failure in %s", operation)
            self._send(500, content_type, encode({"__type": "InternalServiceException",
                                                  "message": f"simulator error: {err}"}),
                       request_id, extra)

    def _s3(self, path: str, query_string: str) -> None:
        """S3 GetObject and HeadObject, path-style (what botocore sends to an IP endpoint), on
        the objects a StorageLocation names: the console reads a customer's previous script
        zip with the user's own credentials before it replaces it."""
        sim = self.server.sim
        request_id = uuid.uuid4().hex[:16].upper()
        try:
            creds = self._credentials()
            if creds is None:
                raise SimError("AccessDenied", "Access Denied", 403)
            operation = "HeadObject" if self.command == "HEAD" else "GetObject"
            if self.command not in ("GET", "HEAD"):
                raise SimError("NotImplemented", "A header you provided implies functionality "
                               "that is not implemented", 501)
            if sim.inject(operation, "S3", creds[0]) == "drop":
                self._drop()
                return
            if creds[0] in sim.expired_keys:
                raise SimError("ExpiredToken", "The provided token has expired.", 400)
            if creds[0] in sim.revoked_keys:
                raise SimError("InvalidAccessKeyId", "The AWS Access Key Id you provided does "
                               "not exist in our records.", 403)
            if "GetObject" in sim.denied or "*" in sim.denied:
                raise SimError("AccessDenied", "Access Denied", 403)
            bucket, _, key = path.lstrip("/").partition("/")
            bucket, key = unquote(bucket), unquote(key)
            versions_asked = parse_qs(query_string).get("versionId")
            version = versions_asked[0] if versions_asked else None
            with sim.lock:
                store = sim.gamelift.s3_objects
                if not bucket or not any(b == bucket for b, _ in store):
                    raise SimError("NoSuchBucket", "The specified bucket does not exist", 404)
                versions = store.get((bucket, key))
                if not versions:
                    raise SimError("NoSuchKey", "The specified key does not exist.", 404)
                if version is not None and version not in versions:
                    raise SimError("NoSuchVersion", "The specified version does not exist.",
                                   404)
                version = version or list(versions)[-1]
                data = versions[version]
            self._send(200, "application/zip", data, extra={
                "ETag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"',
                "x-amz-version-id": version, "x-amz-request-id": request_id,
                "Last-Modified": formatdate(sim.clock.now(), usegmt=True),
                "Accept-Ranges": "bytes"})
        except SimError as err:
            payload = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                       f"{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
                       f"<RequestId>{request_id}</RequestId></Error>").encode()
            self._send(err.status, "application/xml", payload,
                       extra={"x-amz-request-id": request_id})

    def _rest(self, path: str, query_string: str, body: bytes) -> None:
        sim = self.server.sim
        request_id = str(uuid.uuid4())
        try:
            creds = self._credentials()
            if creds is None:
                raise SimError("MissingAuthenticationTokenException",
                               "Missing Authentication Token", 403)
            query = {k: v for k, v in parse_qs(query_string, keep_blank_values=True).items()}
            segments = [unquote(s) for s in path.split("/") if s]
            operation = sim.gamesparks.route(self.command, segments)
            if sim.inject(operation, "GameSparks", creds[0]) == "drop":
                self._drop()
                return
            sim.check_caller(operation, creds[0], "GameSparks")
            params = wire.decode_json(body, wire.REST_BAD_INPUT)
            wire.GAMESPARKS_TYPES.check("rest-json", operation, params)
            ctx = sim.context("GameSparks", creds[0], creds[1])
            request_id = ctx.request_id
            world = sim.worlds(creds[1])[1]
            with sim.lock:
                result = world.handle(operation, segments, query, params, ctx)
            self._send(200, wire.REST_JSON, wire.encode_rest_json(result), request_id)
        except SimError as err:
            status = 429 if err.code == "ThrottlingException" else err.status
            if err.code == "InternalServiceException":
                err = SimError("InternalServerException", err.message, 500)
            self._send(status, wire.REST_JSON,
                       json.dumps({"message": err.message, "Message": err.message}).encode(),
                       request_id, {"x-amzn-ErrorType": err.code})
        except Exception as err:
            log.exception("simulator failure in %s", path)
            self._send(500, wire.REST_JSON, json.dumps({"message": str(err)}).encode(),
                       request_id, {"x-amzn-ErrorType": "InternalServerException"})

    def _sts(self, body: bytes) -> None:
        sim = self.server.sim
        request_id = str(uuid.uuid4())
        action, form = sts.sts_action(body)
        try:
            creds = self._credentials()
            if creds is None:
                raise SimError("MissingAuthenticationToken",
                               "Request is missing Authentication Token", 403)
            if sim.inject(action or "STS", "STS", creds[0]) == "drop":
                self._drop()
                return
            if creds[0] in sim.expired_keys:
                raise SimError("ExpiredToken",
                               "The security token included in the request is expired", 403)
            if creds[0] in sim.revoked_keys:
                raise SimError("InvalidClientTokenId",
                               "The security token included in the request is invalid.", 403)
            self._send(200, sts.XML, sts.handle_sts(action, form, creds[0], request_id),
                       request_id)
        except SimError as err:
            status, payload = sts.sts_error(err, request_id)
            self._send(status, sts.XML, payload, request_id)

    def _sso(self, query_string: str) -> None:
        request_id = str(uuid.uuid4())
        try:
            query = parse_qs(query_string, keep_blank_values=True)
            token = self.headers.get("x-amz-sso_bearer_token", "")
            result = sts.role_credentials(query, token, self.server.sim.clock.now())
            self._send(200, wire.REST_JSON, json.dumps(result).encode(), request_id)
        except SimError as err:
            self._send(err.status, wire.REST_JSON, json.dumps({"message": err.message}).encode(),
                       request_id, {"x-amzn-ErrorType": err.code})

    def _presigned(self, path: str) -> None:
        token = path.split("/")[2]
        try:
            item = self.server.sim.presigner.fetch(token)
        except SimError as err:
            xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{err.code}</Code>"
                   f"<Message>{err.message}</Message></Error>").encode()
            self._send(err.status, "application/xml", xml)
            return
        self._send(200, item.content_type, item.body, extra={
            "Content-Disposition": f'attachment; filename="{item.filename}"'})

    def _drop(self) -> None:
        # A connection that dies without an answer, as a broken network or load balancer does.
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def _send(self, status: int, content_type: str, payload: bytes, request_id: str = "",
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        self.sim = sim
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints a traceback to stderr, which in the demo is the app's terminal; a
        # client that resets its connection mid-answer is not worth more than a debug line.
        log.debug("simulator: connection from %s failed", client_address, exc_info=True)


class RunningSimulator:
    """A simulator serving on a background thread; `endpoint_url` is what boto3 is pointed at."""

    def __init__(self, config: SimConfig) -> None:
        self.sim = Simulator(config)
        self._server = _Server((config.host, config.port), self.sim)
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET address (typeshed allows AF_UNIX's bytes)
        self.endpoint_url = f"http://{host}:{port}"
        self.sim.presigner.base_url = self.endpoint_url
        self._thread = threading.Thread(target=self._serve, name="gameops-sim", daemon=True)
        self.backend: GameBackend | None = (
            GameBackend(self.sim, config.backend_load, config.seed)
            if config.backend_load > 0 else None)

    def _serve(self) -> None:
        # stop() waits for the loop to notice: at the default half second, a suite that opens
        # a world per test spends minutes in shutdown.
        self._server.serve_forever(poll_interval=0.05)

    def start(self) -> RunningSimulator:
        _warm_in_background()
        self._thread.start()
        if self.backend is not None:
            self.backend.start()
        return self

    def stop(self) -> None:
        if self.backend is not None:
            self.backend.stop()
        if self._thread.is_alive():  # shutdown() waits for a serve loop that never ran
            self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        _warm_in_background()
        if self.backend is not None:
            self.backend.start()
        try:
            self._server.serve_forever()
        finally:
            if self.backend is not None:
                self.backend.stop()

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _warm_in_background() -> None:
    # The input type checks need botocore's GameLift model (~0.1 s to import and load); loaded
    # now, the first request does not wait for it (one that comes sooner waits on its lock).
    threading.Thread(target=wire.warm, name="gameops-sim-models", daemon=True).start()


def start_simulator(config: SimConfig | None = None) -> RunningSimulator:
    return RunningSimulator(config or SimConfig()).start()
