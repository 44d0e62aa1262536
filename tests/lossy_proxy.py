"""An HTTP proxy in front of the simulator that loses the answers of chosen operations.

For an operation told to ``lose``, the proxy forwards the request, reads the simulator's whole
answer (so the change is applied) and then closes the client's connection without a byte of it:
what a client sees when the network drops after the service acted. ``bad_gateway`` answers 502
instead (a load balancer that lost its upstream after forwarding), and ``refuse`` closes the
connection without forwarding (the request never reached the service).

Operations are named as in the API: GameLift by its X-Amz-Target or rpc-v2-cbor path, GameSparks
by its REST method and path, matched against the bundled service model.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import tui.aws

Fault = Literal["lose", "bad_gateway", "refuse"]
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([^/?]+)$")
_GAMESPARKS_MODEL = (Path(tui.aws.__file__).parent / "data" / "gamesparks" / "2021-08-17"
                     / "service-2.json")


def _rest_routes() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern, operation) of every GameSparks operation, most literal first."""
    operations = json.loads(_GAMESPARKS_MODEL.read_text())["operations"]
    routes = []
    for name, op in operations.items():
        uri = op["http"]["requestUri"].split("?", 1)[0]
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(uri))
        routes.append((op["http"]["method"], re.compile(f"^{pattern}$"), name))
    # A literal segment beats a label: /game/{g}/snapshot before /game/{g}/{anything}.
    routes.sort(key=lambda r: r[1].pattern.count("[^/]+"))
    return routes


_ROUTES = _rest_routes()


def operation_of(method: str, path: str, headers: Any) -> str:
    target = headers.get("X-Amz-Target") or ""
    if "." in target:
        return target.rsplit(".", 1)[1]
    path = urlsplit(path).path
    match = _CBOR_PATH.match(path)
    if match:
        return match.group(1)
    for route_method, pattern, name in _ROUTES:
        if route_method == method and pattern.match(path):
            return name
    return ""


@dataclass
class Rule:
    fault: Fault
    remaining: int | None  # None: every request of the operation


@dataclass
class LossyProxy:
    upstream: str
    rules: dict[str, Rule] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)  # requests per operation
    faulted: Counter[str] = field(default_factory=Counter)  # answers lost / replaced per op
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="lossy-proxy")
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, operation: str, fault: Fault = "lose", times: int | None = 1) -> None:
        """The next ``times`` requests of ``operation`` get ``fault`` (None: all of them)."""
        with self._lock:
            self.rules[operation] = Rule(fault, times)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.seen.clear()
            self.faulted.clear()

    def decide(self, operation: str) -> Fault | None:
        with self._lock:
            self.seen[operation] += 1
            rule = self.rules.get(operation)
            if rule is None or rule.remaining == 0:
                return None
            if rule.remaining is not None:
                rule.remaining -= 1
            self.faulted[operation] += 1
            return rule.fault

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
               "trailer", "upgrade", "proxy-connection"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: LossyProxy

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.owner.decide(operation_of(self.command, self.path, self.headers))
        if fault == "refuse":
            self._hang_up()
            return
        upstream = urlsplit(self.owner.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()  # the whole answer: the service has acted
            status, reason = answer.status, answer.reason
            answer_headers = [(k, v) for k, v in answer.getheaders()
                              if k.lower() not in _HOP_BY_HOP]
        finally:
            connection.close()
        if fault == "lose":
            self._hang_up()
            return
        if fault == "bad_gateway":
            status, reason, payload = 502, "Bad Gateway", b"<html>502 Bad Gateway</html>"
            answer_headers = [("Content-Type", "text/html")]
        self.send_response(status, reason)
        for key, value in answer_headers:
            if key.lower() not in ("date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
