"""The three wire protocols the simulator speaks: awsJson1_1, smithy-rpc-v2-cbor and rest-json."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import cbor2

JSON_11 = "application/x-amz-json-1.1"
CBOR = "application/cbor"
REST_JSON = "application/json"


class Timestamp(float):
    """Epoch seconds that each protocol renders its own way (number, CBOR tag 1, ISO 8601)."""

    __slots__ = ()


def decode_json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    value = json.loads(body)
    return value if isinstance(value, dict) else {}


def decode_cbor(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    value = cbor2.loads(body)
    return _from_cbor(value) if isinstance(value, dict) else {}


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
