"""The audit log: one JSON line per mutating call, written from botocore event hooks.

Hooks on a client's ``meta.events`` see every call whichever screen made it, so no button can
forget to audit. The parameters are captured on ``before-parameter-build`` (registered last, so
that botocore's own handlers have already filled in generated idempotency tokens).

Fail-closed: on ``before-call``, after validation and before anything is sent, the record is
appended with ``"outcome": "sending"`` and fsynced; if that cannot be done the hook raises
:class:`AuditUnavailable` and botocore never builds the HTTP request. When the call ends
(``after-call``: a response came back, success or service error; ``after-call-error``: no
response) the same line is completed in place with the outcome, so the file keeps one line per
call. The line is padded with spaces to leave room for the outcome; a line still reading
"sending" is a call whose end the app did not see (it stopped, or the outcome could not be
written). botocore retries inside one call, between those events, so a retried call still gives
one line. A call the read-only guard refuses never reaches those events; the guard reports it
through ``record_refused``.

Calls that fail before anything is sent (parameter validation, endpoint resolution) leave no
line: nothing was asked of AWS. Error messages are scrubbed of credential-like values
(``tui.trust.scrub_secrets``) before they are written.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.aws.operations import is_read_operation
from tui.aws.retries import NOT_RETRIED_KEY
from tui.trust import scrub_secrets

log = logging.getLogger(__name__)

# The bare event name, registered last: botocore runs handlers of more specific names first, so
# this sees the parameters after every other handler (e.g. generate_idempotent_uuid) had its say.
CAPTURE_EVENT = "before-parameter-build"
# The bare name, registered last: the last thing before botocore builds and sends the request.
BEFORE_CALL_EVENT = "before-call"
AFTER_CALL_EVENT = "after-call.*.*"
AFTER_ERROR_EVENT = "after-call-error.*.*"

_CONTEXT_KEY = "gameops_tui_audit"
_SLOT_KEY = "gameops_tui_audit_slot"
# Room left on a "sending" line for its outcome (error code and message, result ids, request id,
# duration). An outcome that still does not fit is shortened (see AuditLog._fit).
_OUTCOME_ROOM = 1024
_MAX_ERROR_MESSAGE = 600

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


class AuditUnavailable(Exception):
    """The audit record of a mutating call could not be written, so the call was not sent."""

    def __init__(self, path: Path, reason: str, operation: str = "") -> None:
        self.path = path
        self.reason = reason
        self.operation = operation
        what = f"{operation} " if operation else ""
        super().__init__(f"{what}not sent: the audit log {path} could not be written: {reason}")


@dataclass(frozen=True)
class _Slot:
    """Where a "sending" line sits in the file, to complete it in place."""

    fd: int
    offset: int
    length: int


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
        events.register_last(BEFORE_CALL_EVENT, self._before_call,
                             unique_id="gameops-tui.audit.before-call")
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

    def _before_call(self, model: Any, context: dict[str, Any] | None = None,
                     **kwargs: Any) -> None:
        pending = (context or {}).get(_CONTEXT_KEY)
        if context is None or pending is None:
            return
        intent = {k: v for k, v in pending.items() if k != "started"}
        # Raises AuditUnavailable: botocore has not built the request yet, so nothing is sent.
        context[_SLOT_KEY] = self._write_intent({**intent, "outcome": "sending"}, model.name)

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
                                       "error": {"code": code,
                                                 "message": _message(error.get("Message", "")),
                                                 "http_status": status}}
        else:
            outcome = {"outcome": "ok", "result": _result_of(parsed)}
        if metadata.get("RequestId"):
            outcome["request_id"] = metadata["RequestId"]
        self._finish(pending, outcome, context)

    def _after_call_error(self, exception: BaseException, context: dict[str, Any] | None = None,
                          **kwargs: Any) -> None:
        pending = (context or {}).pop(_CONTEXT_KEY, None)
        if pending is None:
            return
        response = getattr(exception, "response", None)
        if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
            # A service error raised before botocore's after-call (a 5xx whose retry the
            # lost-answer guard refused): recorded as after-call would have.
            error = response["Error"]
            status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode", 0)
            outcome: dict[str, Any] = {"outcome": "error", "error": {
                "code": error.get("Code") or str(status),
                "message": _message(error.get("Message", "")), "http_status": status}}
            request_id = (response.get("ResponseMetadata") or {}).get("RequestId")
            if request_id:
                outcome["request_id"] = request_id
        else:
            outcome = {"outcome": "error", "error": {"code": type(exception).__name__,
                                                     "message": _message(str(exception))}}
        self._finish(pending, outcome, context)

    def record_refused(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        """The read-only guard refused this call; nothing was sent."""
        self.write({
            "time": _now_iso(), "service": service, "operation": operation,
            "targets": targets_of(params), "params": clean_params(params),
            "outcome": "refused",
            "error": {"code": "ReadOnlyViolation", "message": "read-only mode"},
        })

    def _finish(self, pending: dict[str, Any], outcome: dict[str, Any],
                context: dict[str, Any] | None) -> None:
        started = pending.pop("started")
        pending["duration_ms"] = round((time.monotonic() - started) * 1000)
        if (context or {}).get(NOT_RETRIED_KEY):
            # Worth knowing when reading the log: the service may have applied this call.
            outcome["not_retried"] = "the request may have reached the service"
        slot = (context or {}).pop(_SLOT_KEY, None)
        if isinstance(slot, _Slot):
            self._complete(slot, {**pending, **outcome})
        else:  # no intent line (a before-call handler answered first): append as one line
            self.write({**pending, **outcome})

    # --- the file ------------------------------------------------------------------------

    def _line(self, record: Mapping[str, Any]) -> bytes:
        line = json.dumps({"time": record.get("time") or _now_iso(), "profile": self.profile,
                           "region": self.region, "endpoint": self.endpoint,
                           **{k: v for k, v in record.items() if k != "time"}},
                          separators=(",", ":"), default=str, ensure_ascii=False)
        return self._redact(line).encode()

    def _open(self) -> tuple[int, bool]:
        """The file opened for appending (made 0600 in a 0700 folder), and whether it is new."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_CREAT | os.O_APPEND | os.O_WRONLY
        try:
            return os.open(self.path, flags | os.O_EXCL, 0o600), True
        except FileExistsError:
            return os.open(self.path, flags, 0o600), False

    def _write_intent(self, record: Mapping[str, Any], operation: str) -> _Slot:
        """Append the "sending" line and fsync it; AuditUnavailable when that cannot be done."""
        data = self._line(record) + b" " * _OUTCOME_ROOM + b"\n"
        with self._lock:
            try:
                fd, created = self._open()
                try:
                    written = os.write(fd, data)
                    if written != len(data):
                        raise OSError(f"short write ({written} of {len(data)} bytes)")
                    os.fsync(fd)
                    if created:  # the new name itself must survive a crash too
                        _fsync_folder(self.path.parent)
                    # After an O_APPEND write the offset is the end of this line, whoever else
                    # appends; O_APPEND is then dropped so that pwrite lands where it is told.
                    end = os.lseek(fd, 0, os.SEEK_CUR)
                    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_APPEND)
                except BaseException:
                    os.close(fd)
                    raise
            except OSError as err:
                reason = err.strerror or str(err)
                self.failures += 1
                self.last_failure = f"cannot write audit log {self.path}: {reason}"
                log.error("%s; %s not sent", self.last_failure, operation)
                raise AuditUnavailable(self.path, reason, operation) from None
        return _Slot(fd, end - len(data), len(data))

    def _complete(self, slot: _Slot, record: dict[str, Any]) -> None:
        """Overwrite the "sending" line with the finished record, padded to the same length."""
        try:
            os.pwrite(slot.fd, self._fit(record, slot.length - 1) + b"\n", slot.offset)
        except OSError as err:
            self.failures += 1
            self.last_failure = (f"cannot complete audit record in {self.path}: "
                                 f"{err.strerror or err}")
            log.error("%s", self.last_failure)
        finally:
            os.close(slot.fd)

    def _fit(self, record: dict[str, Any], length: int) -> bytes:
        """The record as exactly ``length`` bytes (space padded), shortened if it is longer."""
        data = self._line(record)
        if len(data) > length:
            record = {k: v for k, v in record.items() if k != "result"}
            error = record.get("error")
            if isinstance(error, dict):
                record["error"] = {**error, "message": _message(str(error.get("message")), 80)}
            record["shortened"] = True
            data = self._line(record)
        if len(data) > length:  # only the outcome, then: the params are on no other line
            data = self._line({k: record[k] for k in ("time", "service", "operation", "outcome")
                               if k in record} | {"shortened": True})
        return data[:length].ljust(length)

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one finished record (a refusal: nothing was sent). A failure to write is
        logged and counted, never raised: the refusal stands either way."""
        data = self._line(record) + b"\n"
        with self._lock:
            try:
                fd, _created = self._open()
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


def _message(text: object, limit: int = _MAX_ERROR_MESSAGE) -> str:
    """An error message as it may be written: no credential-like values, bounded."""
    clean = scrub_secrets(str(text or ""))
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # some file systems will not open a folder; the file itself is synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
