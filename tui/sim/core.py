"""Shared pieces of the simulator: errors, clock, rate limits, fault settings, mutation record."""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tui.aws.limits import ServiceLimits, documented_limits
from tui.aws.limits import parse as parse_limits


class SimError(Exception):
    """An AWS-shaped error: the wire layer turns it into the service's error body and status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def invalid(message: str) -> SimError:
    return SimError("ValidationException", message, 400)


def finite_number(name: str, value: Any, low: float, high: float) -> float:
    """``value`` as a float if it is a JSON number in [low, high]; else the 400 to answer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"{name} must be a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise invalid(f"{name} must be a finite number from {low:g} to {high:g}, got {value!r}")
    return number


# One advance moves the clock by at most ~31 years, and the clock never leaves the range every
# protocol can render: CBOR and ISO 8601 timestamps go through datetime, which ends at 9999.
MAX_ADVANCE_SECONDS = 1e9
EARLIEST = 0.0
LATEST = 253_402_214_400.0  # 9999-12-31T00:00:00Z


class Clock:
    """Simulated wall clock (epoch seconds): runs with real time unless frozen; can be advanced.

    Tests freeze it so that status transitions happen exactly when they advance it.
    """

    def __init__(self, frozen_at: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        # Frozen from the start at a given moment: a world built then has the same ids and
        # times on every run (snapshot tests, screenshots).
        self._frozen_at: float | None = frozen_at

    def now(self) -> float:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def freeze(self) -> float:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            return self._frozen_at

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def check_advance(self, seconds: Any) -> float:
        """``seconds`` as a float if advancing by it now is allowed, else the 400 to answer."""
        checked = finite_number("advance", seconds, -MAX_ADVANCE_SECONDS, MAX_ADVANCE_SECONDS)
        if not EARLIEST <= self.now() + checked <= LATEST:
            raise invalid(f"advance {checked:g} would take the clock outside 1970..9999")
        return checked

    def advance(self, seconds: float) -> float:
        seconds = self.check_advance(seconds)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
                return self._frozen_at
            self._offset += seconds
            return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None


@dataclass
class Bucket:
    rate: float  # tokens a second, sustained
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimits:
    """Token buckets on real time, not the sim clock (throttling is about now). Per service:
    one bucket per limited operation and one for the account's total; a call takes a token
    from each that applies. AWS's limits are per account, so every caller shares them."""

    def __init__(self, services: dict[str, ServiceLimits] | None,
                 every: ServiceLimits | None = None) -> None:
        self._services = services
        # The old file format: limits for every service, "*" for each unlisted operation.
        self._every = every
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def per_operation(cls, limits: dict[str, tuple[float, float]]) -> RateLimits:
        """Operation → (rate, burst) for every service, "*" for each unlisted operation."""
        return cls({}, ServiceLimits(None, dict(limits)))

    @classmethod
    def from_spec(cls, spec: str) -> RateLimits:
        """`default` (the documented limits, tui/aws/rate_limits.json), `off`, or a JSON file:
        either in that file's format, or mapping operation → [rate, burst] ("*" for the rest)."""
        if spec == "off":
            return cls(None)
        if not isinstance(spec, str) or not spec:
            raise invalid("spec must be \"default\", \"off\" or the path of a JSON file")
        if spec == "default":
            return cls(dict(documented_limits().services))
        try:
            raw = json.loads(Path(spec).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise invalid(f"rate limits {spec!r}: {err}") from err
        if not isinstance(raw, dict):
            raise invalid(f"rate limits {spec!r}: expected an object of operation → "
                          "[rate, burst]")
        if "services" in raw:
            try:
                return cls(dict(parse_limits(raw).services))
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                raise invalid(f"rate limits {spec!r}: {err}") from err
        limits: dict[str, tuple[float, float]] = {}
        for operation, pair in raw.items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise invalid(f"rate limits {spec!r}: {operation} must be [rate, burst]")
            # A rate of 0 would refuse every call forever; a burst under 1 likewise.
            limits[operation] = (finite_number(f"{operation} rate", pair[0], 1e-6, 1e6),
                                 finite_number(f"{operation} burst", pair[1], 1.0, 1e6))
        return cls.per_operation(limits)

    @property
    def enabled(self) -> bool:
        return self._services is not None

    def _take(self, key: tuple[str, str], limit: tuple[float, float], now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(*limit)
        return bucket.take(now)

    def allow(self, operation: str, service: str = "GameLift") -> bool:
        if self._services is None:
            return True
        if self._every is not None:
            limit = self._every.operations.get(operation) or self._every.operations.get("*")
            if limit is None:
                return True
            with self._lock:
                return self._take(("*", operation), limit, time.monotonic())
        limits = self._services.get(service)
        if limits is None:
            return True
        with self._lock:
            now = time.monotonic()
            own = limits.operations.get(operation)
            # Both buckets are asked, as the service counts a refused call against neither
            # only if the first refuses: the account's total is checked first.
            if limits.account is not None and not self._take((service, ""), limits.account,
                                                             now):
                return False
            return own is None or self._take((service, operation), own, now)


# Longer than any client waits (botocore reads for 60 s), short enough not to hold a thread all day.
MAX_LATENCY_MS = 120_000


@dataclass
class Faults:
    """Random fault injection, on top of the rate limits. Rates are probabilities per request."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: int = 0
    latency_spike_rate: float = 0.0
    latency_spike_ms: int = 0

    def update(self, values: dict[str, Any]) -> None:
        """Applies all of ``values`` or, if one is out of range, none of them."""
        checked: dict[str, float | int] = {}
        for key, value in values.items():
            if key not in self.__dataclass_fields__:
                raise invalid(f"unknown fault setting {key!r}")
            if key.endswith("_ms"):
                checked[key] = round(finite_number(key, value, 0, MAX_LATENCY_MS))
            else:
                checked[key] = finite_number(key, value, 0.0, 1.0)
        for key, number in checked.items():
            setattr(self, key, number)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Mutation:
    """One mutating request the simulator accepted, as the control surface reports it."""

    seq: int
    time: float
    service: str
    operation: str
    target: str
    params: dict[str, Any]
    request_id: str


@dataclass
class MutationLog:
    entries: list[Mutation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, service: str, operation: str, target: str, params: dict[str, Any],
            request_id: str, now: float) -> None:
        with self._lock:
            self.entries.append(Mutation(len(self.entries) + 1, now, service, operation, target,
                                         params, request_id))

    def as_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(m) for m in self.entries]

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()


def iso8601(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


@dataclass
class Presigned:
    body: bytes
    content_type: str
    expires_at: float
    filename: str


class Presigner:
    """Presigned-style download URLs served by the simulator itself, expiring on the sim clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._items: dict[str, Presigned] = {}
        self._lock = threading.Lock()
        self.base_url = ""

    def sign(self, body: bytes, filename: str, ttl_seconds: int,
             content_type: str = "application/octet-stream") -> str:
        import secrets

        token = secrets.token_hex(16)
        now = self._clock.now()
        with self._lock:
            # Expired entries are dropped lazily so that a long demo does not grow without bound.
            for key in [k for k, v in self._items.items() if v.expires_at < now - 3600]:
                del self._items[key]
            self._items[token] = Presigned(body, content_type, now + ttl_seconds, filename)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        return (f"{self.base_url}/_presigned/{token}/{filename}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                f"&X-Amz-Date={stamp}&X-Amz-Expires={ttl_seconds}"
                f"&X-Amz-Signature={secrets.token_hex(32)}")

    def fetch(self, token: str) -> Presigned:
        with self._lock:
            item = self._items.get(token)
        if item is None:
            raise SimError("NoSuchKey", "The specified key does not exist.", 404)
        if self._clock.now() > item.expires_at:
            raise SimError("AccessDenied", "Request has expired", 403)
        return item


@dataclass
class RequestContext:
    """What a service handler needs to know about the request it is answering."""

    request_id: str
    now: float
    access_key: str
    region: str
    mutations: MutationLog
    presigner: Presigner
    service: str = ""

    def record(self, operation: str, target: str, params: dict[str, Any]) -> None:
        self.mutations.add(self.service, operation, target, _scrub(params), self.request_id,
                           self.now)


def _scrub(params: dict[str, Any]) -> dict[str, Any]:
    # The record is for checking what happened, so blobs are summarised rather than kept.
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bytes | bytearray):
            import hashlib

            clean[key] = {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
        elif isinstance(value, dict):
            clean[key] = _scrub(value)
        else:
            clean[key] = value
    return clean
