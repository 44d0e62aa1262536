"""Turn any exception from the AWS layer into one line a user can act on."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from botocore import exceptions as bx

from tui.aws.audit import AuditUnavailable
from tui.aws.guard import ReadOnlyViolation
from tui.aws.retries import request_in_doubt
from tui.trust import scrub_secrets

__all__ = ["BAD_CREDENTIALS", "AuditUnavailable", "ConfigurationProblem", "Failure",
           "FailureKind", "OutcomeUnknown", "ResourceGone", "classify", "explain",
           "is_throttled", "request_in_doubt"]

_ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedException", "Unauthorized",
    "UnauthorizedOperation", "NotAuthorized",
})
_THROTTLED = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "ThrottledException", "RequestThrottled", "RequestThrottledException", "SlowDown",
})
# "These credentials are no good" (not "this role may not do that"): the one list. The AWS
# context reloads its credentials after one of these; the message says how to refresh them.
BAD_CREDENTIALS = frozenset({
    "ExpiredToken", "ExpiredTokenException", "UnrecognizedClient",
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
    "SignatureDoesNotMatch", "RequestExpired", "InvalidAccessKeyId", "AuthFailure",
})
_NOT_FOUND = frozenset({"NotFoundException", "ResourceNotFoundException", "NotFound"})
_CONFLICT = frozenset({
    "ConflictException", "InvalidGameSessionStatusException", "InvalidFleetStatusException",
    "IdempotentParameterMismatch", "IdempotentParameterMismatchException",
    "GameSessionFullException", "FleetCapacityExceededException",
    "TerminalRoutingStrategyException",
})
_INVALID = frozenset({
    "InvalidRequestException", "ValidationException", "InvalidParameterException",
    "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter",
    "SerializationException", "TaggingFailedException", "LimitExceededException",
})

_MAX_MESSAGE = 300


class ConfigurationProblem(Exception):
    """The AWS configuration cannot work; the message says what to change."""


class ResourceGone(LookupError):
    """A resource the user was looking at is not there any more (the API returned nothing)."""


class OutcomeUnknown(Exception):
    """A change may or may not have been applied: its answer was lost (``request_in_doubt``)
    and reading the state back could not tell. ``check`` says what the user should look at
    before trying again."""

    def __init__(self, action: str, cause: BaseException, check: str,
                 read_error: BaseException | None = None) -> None:
        self.action = action
        self.cause = cause
        self.check = check
        self.read_error = read_error
        super().__init__(f"outcome unknown: {action}; check {check}")


FailureKind = Literal["credentials", "access", "throttled", "not_found", "conflict", "read_only",
                      "network", "invalid", "audit", "unknown_outcome", "other"]


@dataclass(frozen=True)
class Failure:
    """What went wrong with one AWS call, classified once, for the status line and the toast.

    ``retry_safe``: sending the same request again cannot do something twice (a read, or a
    change that certainly did not reach the service). ``severity`` is the toast's."""

    kind: FailureKind
    text: str
    retry_safe: bool
    code: str = ""

    @property
    def severity(self) -> Literal["warning", "error"]:
        return "warning" if self.kind in ("throttled", "read_only", "network") else "error"

    @property
    def refused(self) -> bool:
        """Refused here before it was sent (read-only, audit log unusable): the service holds
        nothing new and trying again will be refused again."""
        return self.kind in ("read_only", "audit")


def classify(exc: BaseException, *, profile: str | None = None) -> Failure:
    """The one classification of an exception from the AWS layer (see ``explain`` for the
    text)."""
    text = explain(exc, profile=profile)
    code = _code(exc)
    kind: FailureKind
    if isinstance(exc, ReadOnlyViolation):
        kind = "read_only"
    elif isinstance(exc, AuditUnavailable):
        kind = "audit"
    elif isinstance(exc, OutcomeUnknown):
        kind = "unknown_outcome"
    elif isinstance(exc, ResourceGone) or code in _NOT_FOUND:
        kind = "not_found"
    elif isinstance(exc, ConfigurationProblem) or code in BAD_CREDENTIALS or isinstance(
            exc, bx.NoCredentialsError | bx.UnauthorizedSSOTokenError | bx.SSOTokenLoadError
            | bx.TokenRetrievalError | bx.ProfileNotFound):
        kind = "credentials"
    elif code in _ACCESS_DENIED:
        kind = "access"
    elif code in _THROTTLED:
        kind = "throttled"
    elif code in _CONFLICT:
        kind = "conflict"
    elif code in _INVALID or isinstance(exc, bx.ParamValidationError):
        kind = "invalid"
    elif isinstance(exc, bx.HTTPClientError | bx.EndpointConnectionError):
        kind = "network"
    else:
        kind = "other"
    # An answer the service sent means it decided; only a lost answer leaves a change in doubt.
    retry_safe = kind != "unknown_outcome" and not request_in_doubt(exc)
    return Failure(kind=kind, text=text, retry_safe=retry_safe, code=code)


def _code(exc: BaseException) -> str:
    if isinstance(exc, bx.ClientError) and isinstance(exc.response, dict):
        return str(exc.response.get("Error", {}).get("Code") or "")
    return ""


def is_throttled(exc: BaseException) -> bool:
    """The service asked us to slow down (after botocore's own retries gave up)."""
    if isinstance(exc, bx.ClientError):
        return exc.response.get("Error", {}).get("Code", "") in _THROTTLED
    return False


def explain(exc: BaseException, *, profile: str | None = None) -> str:
    """One line, no traceback, no credential values: what went wrong and what to do."""
    return scrub_secrets(_explain(exc, profile))


def _explain(exc: BaseException, profile: str | None) -> str:
    login = f"aws sso login --profile {profile}" if profile else "aws sso login"
    if isinstance(exc, ReadOnlyViolation | ConfigurationProblem | AuditUnavailable):
        return _one_line(str(exc))
    if isinstance(exc, OutcomeUnknown):
        how = _explain(exc.cause, profile)
        if exc.read_error is not None:
            how += f"; reading back failed too ({_explain(exc.read_error, profile)})"
        # Not _one_line'd as a whole: the check is what matters and must not be cut off.
        return (f"outcome unknown: {_one_line(exc.action)} may or may not have been applied "
                f"(the answer was lost: {how}) — check {exc.check} before trying again")
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, login)
    if isinstance(exc, bx.ParamValidationError):
        report = str(exc).replace("Parameter validation failed:", "").strip()
        return "invalid input: " + "; ".join(p.strip() for p in report.splitlines() if p.strip())
    if isinstance(exc, bx.ReadTimeoutError):
        return f"network: no answer from {_endpoint(exc)} in time (read timeout)"
    if isinstance(exc, bx.ConnectionClosedError):
        return f"network: the connection to {_endpoint(exc)} closed before an answer came"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError):
        return f"network: cannot reach {_endpoint(exc)}"
    if isinstance(exc, bx.HTTPClientError):
        return f"network: {_one_line(str(exc))}"
    if isinstance(exc, bx.UnauthorizedSSOTokenError | bx.SSOTokenLoadError
                  | bx.TokenRetrievalError):
        return f"SSO session expired or missing: run `{login}`, then press r"
    if isinstance(exc, bx.NoCredentialsError):
        fix = (f"`aws configure --profile {profile}` or `{login}`" if profile
               else "`aws configure` or `aws sso login`")
        return f"no AWS credentials found: run {fix}, or try `gameops-tui --demo`"
    if isinstance(exc, bx.ProfileNotFound):
        return f"AWS profile not found: {exc.kwargs.get('profile', '?')}"
    if isinstance(exc, ResourceGone):
        return f"{exc} no longer exists (it may have ended)"
    if isinstance(exc, bx.BotoCoreError):
        return _one_line(str(exc))
    name = type(exc).__name__
    text = _one_line(str(exc))
    return f"{name}: {text}" if text else name


def _client_error(exc: bx.ClientError, login: str) -> str:
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(error.get("Code") or "Error")
    message = _one_line(str(error.get("Message") or ""))
    head = f"{code}: {message}" if message else code
    operation = getattr(exc, "operation_name", "") or "?"
    if code in _ACCESS_DENIED:
        return f"{head} — your role lacks {_service_of(operation, code)}:{operation}"
    if code in _THROTTLED:
        return f"{head} — AWS is throttling requests; retrying with backoff"
    if code in BAD_CREDENTIALS:
        return f"{head} — credentials expired or invalid: refresh them ({login}) and press r"
    if code in _NOT_FOUND:
        return f"{head} — it no longer exists (it may have ended)"
    return head


def _endpoint(exc: BaseException) -> str:
    kwargs = getattr(exc, "kwargs", {}) or {}
    url = str(kwargs.get("endpoint_url") or "")
    parts = urlsplit(url)
    # The request URL can carry a long operation path (rpc-v2-cbor); the host is what matters.
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return url or "the AWS endpoint"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 1] + "…"


@functools.cache
def _gamesparks_operations() -> frozenset[str]:
    # ClientError does not say which service raised it; the operation name nearly always does.
    model = Path(__file__).parent / "data" / "gamesparks" / "2021-08-17" / "service-2.json"
    try:
        return frozenset(json.loads(model.read_text())["operations"])
    except (OSError, ValueError, KeyError):
        return frozenset()


def _service_of(operation: str, code: str) -> str:
    # The tag operations exist in both; GameLift says UnauthorizedException, GameSparks
    # AccessDeniedException.
    if code == "UnauthorizedException":
        return "gamelift"
    return "gamesparks" if operation in _gamesparks_operations() else "gamelift"
