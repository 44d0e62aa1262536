"""The three wire protocols the simulator speaks: awsJson1_1, smithy-rpc-v2-cbor and rest-json."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import cbor2

from tui.sim.core import SimError

if TYPE_CHECKING:
    from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

log = logging.getLogger(__name__)

JSON_11 = "application/x-amz-json-1.1"
CBOR = "application/cbor"
REST_JSON = "application/json"

# What AWS's JSON and CBOR RPC front ends answer for a body they cannot read; the rest-json
# GameSparks models only ValidationException, so that is what its callers can match on.
RPC_BAD_INPUT = "SerializationException"
REST_BAD_INPUT = "ValidationException"


class Timestamp(float):
    """Epoch seconds that each protocol renders its own way (number, CBOR tag 1, ISO 8601)."""

    __slots__ = ()


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and which no AWS parser accepts.
    raise ValueError(f"{name} is not valid JSON")


def decode_json(body: bytes, code: str = RPC_BAD_INPUT) -> dict[str, Any]:
    """The request's JSON object; anything else is the client's fault (a 400, never a 500,
    which botocore would retry)."""
    if not body:
        return {}
    try:
        # Decoded as UTF-8 first: json.loads(bytes) would also guess UTF-16 and UTF-32.
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as err:
        raise SimError(code, f"The request body is not valid UTF-8 (byte {err.start})") from err
    except (ValueError, RecursionError) as err:
        raise SimError(code, f"The request body is not valid JSON: {err}") from err
    if not isinstance(value, dict):
        raise SimError(code, "The request body must be a JSON object, not "
                       f"{_kind(value)}")
    return value


def decode_cbor(body: bytes, code: str = RPC_BAD_INPUT) -> dict[str, Any]:
    if not body:
        return {}
    stream = io.BytesIO(body)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except Exception as err:  # cbor2 raises several unrelated types; all mean "unreadable"
        raise SimError(code, f"The request body is not valid CBOR: {err}") from err
    if stream.tell() != len(body):
        raise SimError(code, f"The request body has {len(body) - stream.tell()} bytes after "
                       "its CBOR value")
    if not isinstance(value, dict):
        raise SimError(code, f"The request body must be a CBOR map, not {_kind(value)}")
    return {k: _from_cbor(v) for k, v in value.items()}


def _from_cbor(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _from_cbor(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_cbor(v) for v in value]
    if isinstance(value, dt.datetime):
        return Timestamp(value.timestamp())
    return value


def encode_json(payload: dict[str, Any]) -> bytes:
    # Timestamp is a float, so JSON renders it as epoch seconds, which is what awsJson1_1 expects.
    return json.dumps(payload, separators=(",", ":")).encode()


def encode_cbor(payload: dict[str, Any]) -> bytes:
    return cbor2.dumps(_to_cbor(payload), datetime_as_timestamp=True)


def _to_cbor(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_cbor(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cbor(v) for v in value]
    if isinstance(value, Timestamp):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    return value


def encode_rest_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(_to_iso(payload), separators=(",", ":")).encode()


def _to_iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_iso(v) for v in value]
    if isinstance(value, Timestamp):
        stamp = dt.datetime.fromtimestamp(float(value), dt.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return value


# --- input types, checked against the service's own model ----------------------------------
#
# A client we did not write can send `{"Limit": "x"}`, `{"FleetId": 5}` or a list where a map
# belongs. AWS's deserialiser refuses those before the operation runs; the handlers here were
# written for what botocore sends, so without this check they fail in arbitrary ways (a 500,
# or a wrong type stored and served back). The types come from the service model botocore
# ships (GameLift) or the project's own (GameSparks), compiled once per operation into
# closures: a read path pays a dict walk of microseconds.

Check = Callable[[Any], None]
_INT32 = 2**31
_INT64 = 2**63


class _Mismatch(Exception):
    """A value of the wrong type; the path is filled in as the error leaves each level."""

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.path: list[str] = []

    def where(self) -> str:
        text = ""
        for part in reversed(self.path):
            text += part if part.startswith("[") or not text else f".{part}"
        return text or "(body)"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bytes | bytearray):
        return "a byte string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _any(value: Any) -> None:
    return None


def _string(value: Any) -> None:
    if not isinstance(value, str):
        raise _Mismatch("a string", value)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:  # a lone surrogate, from a JSON "\ud800" escape
            raise _Mismatch("a string of valid Unicode", value) from err


def _integer(limit: int) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Mismatch("an integer", value)
        if not -limit <= value < limit:
            raise _Mismatch(f"a {limit.bit_length()}-bit integer", value)

    return check


def _number(value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Mismatch("a number", value)


def _boolean(value: Any) -> None:
    if not isinstance(value, bool):
        raise _Mismatch("a boolean", value)


def _base64_text(value: Any) -> None:
    if not isinstance(value, str):
        raise _Mismatch("a base64 string", value)


def _byte_string(value: Any) -> None:
    if not isinstance(value, bytes | bytearray):
        raise _Mismatch("a byte string", value)


def _number_or_text(value: Any) -> None:
    if isinstance(value, str):
        return
    _number(value)


# Per protocol, what a blob and a timestamp look like once decoded.
_PROTOCOL_SCALARS: dict[str, dict[str, Check]] = {
    "json": {"blob": _base64_text, "timestamp": _number},
    "cbor": {"blob": _byte_string, "timestamp": _number},  # tag 1 arrives as Timestamp
    "rest-json": {"blob": _base64_text, "timestamp": _number_or_text},
}
_SCALARS: dict[str, Check] = {
    "string": _string, "integer": _integer(_INT32), "long": _integer(_INT64),
    "float": _number, "double": _number, "bigInteger": _number, "bigDecimal": _number,
    "boolean": _boolean,
}


def _structure(members: dict[str, Check]) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise _Mismatch("an object", value)
        for key, item in value.items():
            sub = members.get(key)
            # Unknown members are ignored and null is "not set", as AWS's deserialisers do.
            if sub is None or item is None:
                continue
            try:
                sub(item)
            except _Mismatch as err:
                err.path.append(key)
                raise

    return check


def _list(item_check: Check) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, list):
            raise _Mismatch("a list", value)
        for index, item in enumerate(value):
            try:
                if item is None:  # no GameLift or GameSparks list is sparse
                    raise _Mismatch("a value", item)
                item_check(item)
            except _Mismatch as err:
                err.path.append(f"[{index}]")
                raise

    return check


def _map(value_check: Check) -> Check:
    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise _Mismatch("an object (a map)", value)
        for key, item in value.items():
            try:
                if not isinstance(key, str):
                    raise _Mismatch("a string key", key)
                if item is None:
                    raise _Mismatch("a value", item)
                value_check(item)
            except _Mismatch as err:
                err.path.append(str(key))
                raise

    return check


def _compile(shape: Shape, protocol: str, done: dict[str, Check]) -> Check:
    name = shape.name
    if name in done:
        return done[name]
    kind = shape.type_name
    if shape.metadata.get("document"):
        return _any
    # botocore makes each structure, list and map shape of its class; the casts say which (the
    # classes are not imported for isinstance so that the simulator loads botocore lazily).
    if kind == "structure":
        members: dict[str, Check] = {}
        check = done[name] = _structure(members)  # before the members: shapes may recurse
        for member, member_shape in cast("StructureShape", shape).members.items():
            members[member] = _compile(member_shape, protocol, done)
        return check
    if kind == "list":
        # A recursive list would need its own placeholder; neither service has one.
        check = done[name] = _list(_compile(cast("ListShape", shape).member, protocol, done))
        return check
    if kind == "map":
        check = done[name] = _map(_compile(cast("MapShape", shape).value, protocol, done))
        return check
    check = _PROTOCOL_SCALARS[protocol].get(kind) or _SCALARS.get(kind) or _any
    done[name] = check
    return check


class InputTypes:
    """One service's input types per operation, loaded on first use and compiled once."""

    def __init__(self, load: Callable[[], ServiceModel], protocols: tuple[str, ...],
                 code: str) -> None:
        self._load = load
        self._protocols = protocols
        self._code = code
        self._lock = threading.Lock()
        self._model: ServiceModel | None = None
        self._failed = False
        self._checks: dict[tuple[str, str], Check | None] = {}
        self._shared: dict[str, dict[str, Check]] = {p: {} for p in protocols}

    def warm(self) -> None:
        """Load the model now (a background thread at start-up) rather than on a request."""
        with self._lock:
            self._service()

    def _service(self) -> ServiceModel | None:
        if self._model is None and not self._failed:
            try:
                self._model = self._load()
            except Exception:  # without a model the simulator still serves, unchecked
                log.warning("simulator: no service model, request types are not checked",
                            exc_info=True)
                self._failed = True
        return self._model

    def _compiled(self, protocol: str, operation: str) -> Check | None:
        key = (protocol, operation)
        try:
            return self._checks[key]
        except KeyError:
            pass
        with self._lock:
            check: Check | None = None
            model = self._service()
            if model is not None and operation in model.operation_names:
                shape = model.operation_model(operation).input_shape
                if shape is not None:
                    done = self._shared[protocol]
                    if protocol == "rest-json":
                        # Path, query and header members are strings by construction; only the
                        # body's members came from the client's JSON.
                        check = _structure({
                            name: _compile(member, protocol, done)
                            for name, member in shape.members.items()
                            if not member.serialization.get("location")})
                    else:
                        check = _compile(shape, protocol, done)
            self._checks[key] = check
            return check

    def check(self, protocol: str, operation: str, params: dict[str, Any]) -> None:
        """Raises the protocol's 400 when a member of ``params`` has the wrong type."""
        check = self._compiled(protocol, operation)
        if check is None:
            return
        try:
            check(params)
        except _Mismatch as err:
            raise SimError(self._code, f"Invalid value at '{err.where()}': expected "
                           f"{err.expected}, got {_kind(err.value)}") from None


def _gamelift_model() -> ServiceModel:
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    return ServiceModel(Loader().load_service_model("gamelift", "service-2"), "gamelift")


# The project carries GameSparks' model (botocore dropped the service); the simulator reads the
# same file, so what the app sends and what the simulator accepts cannot drift apart.
GAMESPARKS_MODEL = (Path(__file__).resolve().parent.parent / "aws" / "data" / "gamesparks"
                    / "2021-08-17" / "service-2.json")


def _gamesparks_model() -> ServiceModel:
    from botocore.model import ServiceModel

    return ServiceModel(json.loads(GAMESPARKS_MODEL.read_text()), "gamesparks")


GAMELIFT_TYPES = InputTypes(_gamelift_model, ("json", "cbor"), RPC_BAD_INPUT)
GAMESPARKS_TYPES = InputTypes(_gamesparks_model, ("rest-json",), REST_BAD_INPUT)


def warm() -> None:
    GAMELIFT_TYPES.warm()
    GAMESPARKS_TYPES.warm()
