"""The audit log: one JSON line per mutating call, written from botocore event hooks.

Hooks on a client's ``meta.events`` see every call whichever screen made it, so no button can
forget to audit. The parameters are captured on ``before-parameter-build`` (registered last, so
that botocore's own handlers have already filled in generated idempotency tokens); the line is
written on ``after-call`` (a response came back, success or service error) or
``after-call-error`` (no response: network failure after the retries). botocore retries inside
one call, between those events, so a retried call still gives one line. A call the read-only
guard refuses never reaches those events; the guard reports it through ``record_refused``.

Calls that fail before anything is sent (parameter validation, endpoint resolution) leave no
line: nothing was asked of AWS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from tui.aws.operations import is_read_operation

log = logging.getLogger(__name__)

# The bare event name, registered last: botocore runs handlers of more specific names first, so
# this sees the parameters after every other handler (e.g. generate_idempotent_uuid) had its say.
CAPTURE_EVENT = "before-parameter-build"
AFTER_CALL_EVENT = "after-call.*.*"
AFTER_ERROR_EVENT = "after-call-error.*.*"

_CONTEXT_KEY = "gameops_tui_audit"

# Parameters that name what a call acts on; copied into "targets" for quick grepping.
TARGET_KEYS = (
    "GameSessionId", "FleetId", "AliasId", "ScriptId", "BuildId", "Location", "GameName",
    "StageName", "SnapshotId", "DeploymentId", "PlayerId", "PlayerSessionId", "ResourceArn",
    "Namespace",
)
# Fields of a response worth keeping: the identity and state of what was created or changed.
_RESULT_KEYS = frozenset(TARGET_KEYS) | {"Status", "DeploymentState", "Version", "Id",
                                         "StatusReason"}
# Idempotency tokens are not secrets: they are what proves a retried request was the same one.
_KEPT_TOKENS = frozenset({"ClientToken", "IdempotencyToken"})
_SECRET_WORDS = ("secret", "token", "password", "passwd", "credential", "privatekey",
                 "private_key", "apikey", "api_key", "accesskey", "access_key", "sessionkey")
_BLOB_KEYS = frozenset({"ZipFile"})
_MAX_TEXT = 2048


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_secret_key(key: str) -> bool:
    if key in _KEPT_TOKENS:
        return False
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _blob_summary(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    # A file object: read it for the digest and put the position back for botocore.
    read, seek, tell = (getattr(value, name, None) for name in ("read", "seek", "tell"))
    if callable(read) and callable(seek) and callable(tell):
        start = tell()
        try:
            return _blob_summary(read())
        finally:
            seek(start)
    return {"stream": type(value).__name__}


def clean_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as they may be written down: no secrets, blobs and long texts summarised."""
    return {key: _clean(key, value) for key, value in params.items()
            if value is not None and not _is_secret_key(key)}


def _clean(key: str, value: Any) -> Any:
    if key in _BLOB_KEYS or isinstance(value, bytes | bytearray | memoryview):
        return _blob_summary(value)
    if isinstance(value, Mapping):
        return clean_params(value)
    if isinstance(value, list | tuple):
        return [_clean(key, item) for item in value]
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return {"chars": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def targets_of(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: params[key] for key in TARGET_KEYS
            if isinstance(params.get(key), str | int) and params[key] != ""}


def _result_of(parsed: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in parsed.items():
        if key == "ResponseMetadata":
            continue
        if key in _RESULT_KEYS and isinstance(value, str | int):
            result[key] = value
        elif isinstance(value, Mapping):
            nested = {k: v for k, v in value.items()
                      if k in _RESULT_KEYS and isinstance(v, str | int)}
            if nested:
                result[key] = nested
    return result


class AuditLog:
    """Appends audit records to ``path`` (created 0600), one ``write()`` per line."""

    def __init__(self, path: Path, *, profile: str | None, region: str | None,
                 endpoint: str | None,
                 secret_values: Callable[[], Iterable[str]] | None = None) -> None:
        self.path = Path(path)
        self.profile = profile
        self.region = region
        self.endpoint = endpoint
        # Credential strings that must never appear in the file, whatever the params held.
        self._secret_values = secret_values
        self._lock = threading.Lock()
        self.failures = 0
        self.last_failure: str | None = None

    # --- hooks ---------------------------------------------------------------------------

    def register(self, events: Any) -> None:
        events.register_last(CAPTURE_EVENT, self._capture, unique_id="gameops-tui.audit.capture")
        events.register(AFTER_CALL_EVENT, self._after_call, unique_id="gameops-tui.audit.after")
        events.register(AFTER_ERROR_EVENT, self._after_call_error,
                        unique_id="gameops-tui.audit.error")

    def _capture(self, params: Mapping[str, Any], model: Any, context: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        if context is None or is_read_operation(model.name):
            return
        context[_CONTEXT_KEY] = {
            "time": _now_iso(),
            "started": time.monotonic(),
            "service": model.service_model.service_name,
            "operation": model.name,
            "targets": targets_of(params),
            "params": clean_params(params),
        }

    def _after_call(self, http_response: Any, parsed: Mapping[str, Any], model: Any,
                    context: dict[str, Any] | None = None, **kwargs: Any) -> None:
        pending = (context or {}).pop(_CONTEXT_KEY, None)
        if pending is None:
            return
        status = getattr(http_response, "status_code", 0)
        metadata = parsed.get("ResponseMetadata") or {}
        if status >= 300:
            error = parsed.get("Error") or {}
            code = (context or {}).get("error_code_override") or error.get("Code") or str(status)
            outcome: dict[str, Any] = {"outcome": "error",
                                       "error": {"code": code, "message": error.get("Message", ""),
                                                 "http_status": status}}
        else:
            outcome = {"outcome": "ok", "result": _result_of(parsed)}
        if metadata.get("RequestId"):
            outcome["request_id"] = metadata["RequestId"]
        self._finish(pending, outcome)

    def _after_call_error(self, exception: BaseException, context: dict[str, Any] | None = None,
                          **kwargs: Any) -> None:
        pending = (context or {}).pop(_CONTEXT_KEY, None)
        if pending is None:
            return
        self._finish(pending, {"outcome": "error",
                               "error": {"code": type(exception).__name__,
                                         "message": str(exception)}})

    def record_refused(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        """The read-only guard refused this call; nothing was sent."""
        self.write({
            "time": _now_iso(), "service": service, "operation": operation,
            "targets": targets_of(params), "params": clean_params(params),
            "outcome": "refused",
            "error": {"code": "ReadOnlyViolation", "message": "read-only mode"},
        })

    def _finish(self, pending: dict[str, Any], outcome: dict[str, Any]) -> None:
        started = pending.pop("started")
        pending["duration_ms"] = round((time.monotonic() - started) * 1000)
        self.write({**pending, **outcome})

    # --- the file ------------------------------------------------------------------------

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record. A failure to write is logged and counted, never raised: the call
        it describes has already happened, and raising would hide its real outcome."""
        line = json.dumps({"time": record.get("time") or _now_iso(), "profile": self.profile,
                           "region": self.region, "endpoint": self.endpoint,
                           **{k: v for k, v in record.items() if k != "time"}},
                          separators=(",", ":"), default=str, ensure_ascii=False)
        line = self._redact(line) + "\n"
        data = line.encode()
        with self._lock:
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            except OSError as err:
                self.failures += 1
                self.last_failure = f"cannot write audit log {self.path}: {err.strerror or err}"
                log.error("%s", self.last_failure)

    def _redact(self, line: str) -> str:
        if self._secret_values is None:
            return line
        try:
            values = [v for v in self._secret_values() if v and len(v) >= 8]
        except Exception:  # the credential provider failing must not lose the record
            values = []
        for value in values:
            line = line.replace(value, "[redacted]")
        return line
