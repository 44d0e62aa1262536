"""The simulator's HTTP server: routing, authentication, faults, throttling, /_sim/ controls."""

from __future__ import annotations

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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tui.sim import sts, wire
from tui.sim.core import (
    Clock,
    Faults,
    MutationLog,
    Presigner,
    RateLimits,
    RequestContext,
    SimError,
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


class Simulator:
    """All simulated state and policy; the HTTP layer only translates requests to calls on it."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.faults = Faults(throttle_rate=config.throttle_rate, error_rate=config.error_rate,
                             drop_rate=config.drop_rate, latency_ms=config.latency_ms)
        self.rate_limits = RateLimits.from_spec(config.rate_limits)
        self.mutations = MutationLog()
        self.presigner = Presigner(self.clock)
        self.expired_keys: set[str] = set()
        self.revoked_keys: set[str] = set()
        self.denied: set[str] = set()  # "Operation" or "*": refused with AccessDenied
        self.request_count = 0
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

    def inject(self, operation: str) -> str | None:
        """Apply faults and throttling; returns "drop" when the connection should be cut."""
        with self.lock:
            self.request_count += 1
            roll_drop, roll_throttle, roll_error, roll_spike = (self._rng.random() for _ in "abcd")
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        if self.faults.latency_spike_rate and roll_spike < self.faults.latency_spike_rate:
            time.sleep(self.faults.latency_spike_ms / 1000)
        if roll_drop < self.faults.drop_rate:
            return "drop"
        if not self.rate_limits.allow(operation) or roll_throttle < self.faults.throttle_rate:
            raise SimError("ThrottlingException", "Rate exceeded", 400)
        if roll_error < self.faults.error_rate:
            raise SimError("InternalServiceException", "An internal failure occurred.", 500)
        return None

    # --- control surface -------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any]) -> Any:
        parts = [p for p in path.split("/") if p][1:]
        what = parts[0] if parts else ""
        if what == "mutations":
            if method == "DELETE":
                self.mutations.clear()
                return {"cleared": True}
            return {"mutations": self.mutations.as_list()}
        if what == "faults":
            if method == "POST":
                self.faults.update(body)
            return self.faults.as_dict()
        if what == "rate-limits" and method == "POST":
            self.rate_limits = RateLimits.from_spec(str(body.get("spec", "default")))
            return {"enabled": self.rate_limits.enabled}
        if what == "clock":
            if method == "POST":
                if body.get("freeze"):
                    self.clock.freeze()
                if "advance" in body:
                    self.clock.advance(float(body["advance"]))
                if body.get("unfreeze"):
                    self.clock.unfreeze()
            return {"now": self.clock.now(), "frozen": self.clock.frozen}
        if what == "credentials" and method == "POST":
            self.expired_keys = set(body.get("expired", []))
            self.revoked_keys = set(body.get("revoked", []))
            self.denied = set(body.get("denied", []))
            return {"expired": sorted(self.expired_keys), "revoked": sorted(self.revoked_keys),
                    "denied": sorted(self.denied)}
        if what == "state":
            with self.lock:
                return {"gamelift": self.gamelift.state(), "gamesparks": self.gamesparks.state(),
                        "requests": self.request_count, "protocols": dict(self.protocol_counts)}
        if what == "gamelift" and len(parts) >= 2 and parts[1] == "players" and method == "POST":
            # Players leave (or join) a session: lets tests drive a drain to its end.
            with self.lock:
                session = self.gamelift.sessions.get(str(body.get("GameSessionId")))
                if session is None:
                    raise SimError("NotFound", "no such game session", 404)
                session.current = max(0, min(session.maximum, int(body.get("current", 0))))
                return {"current": session.current}
        if what == "gamelift" and len(parts) >= 2 and parts[1] == "sessions":
            with self.lock:
                return {"GameSessions": self.gamelift.state_sessions(
                    parts[2] if len(parts) > 2 else None)}
        raise SimError("NotFound", f"no control endpoint {path}", 404)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms a request), which also makes the rate limits unreachable.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("sim: " + format, *args)

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

    def _dispatch(self) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = split.path
        try:
            if path.startswith("/_sim/"):
                payload = json.loads(body) if body else {}
                self._send(200, wire.REST_JSON, json.dumps(sim.control(self.command, path,
                                                                       payload)).encode())
                return
            if path.startswith("/_presigned/"):
                self._presigned(path)
                return
        except SimError as err:
            self._send(err.status, wire.REST_JSON,
                       json.dumps({"code": err.code, "message": err.message}).encode())
            return
        except (ValueError, TypeError) as err:
            self._send(400, wire.REST_JSON, json.dumps({"message": str(err)}).encode())
            return
        if path == "/federation/credentials" and self.command == "GET":
            self._sso(split.query)
            return
        scope = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        if sts.is_sts_request(self.headers.get("Content-Type", ""), body,
                              scope.group(3) if scope else None):
            self._sts(body)
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
            if self.server.sim.inject(operation) == "drop":
                self._drop()
                return
            sim.check_caller(operation, creds[0], "GameLift")
            params = wire.decode_cbor(body) if is_cbor else wire.decode_json(body)
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
            if sim.inject(operation) == "drop":
                self._drop()
                return
            sim.check_caller(operation, creds[0], "GameSparks")
            params = wire.decode_json(body)
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
            if sim.inject(action or "STS") == "drop":
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


class RunningSimulator:
    """A simulator serving on a background thread; `endpoint_url` is what boto3 is pointed at."""

    def __init__(self, config: SimConfig) -> None:
        self.sim = Simulator(config)
        self._server = _Server((config.host, config.port), self.sim)
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        self.sim.presigner.base_url = self.endpoint_url
        self._thread = threading.Thread(target=self._server.serve_forever, name="gameops-sim",
                                        daemon=True)

    def start(self) -> RunningSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serve loop that never ran
            self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(config: SimConfig | None = None) -> RunningSimulator:
    return RunningSimulator(config or SimConfig()).start()
