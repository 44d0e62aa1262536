"""Which failures may hide an applied change, and the hook that keeps botocore from repeating them.

botocore retries a call after a dropped connection, a read timeout or a 5xx answer. For a read
that is harmless. For a mutation it is not: the service may have applied the first attempt and
only its answer was lost, so the retry makes a second snapshot or a second script version, or
finds the session already TERMINATING and reports the terminate as failed. An idempotency token
makes the retry safe (the service answers the repeat with the first result); without one the call
must stop after the first attempt that may have arrived, and the services layer reads the state
back to say what happened (``tui.services.outcome``).

A retry is still allowed when the request provably never left (the connection could not be made)
and when the service refused it (throttling: it was not applied).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from botocore import exceptions as bx
from botocore.parsers import ResponseParserError

from tui.aws.operations import is_read_operation

# Runs before botocore's own retry handler (registered on `needs-retry.<service>`): botocore calls
# the handlers of the more specific name first. The refusal is a raise, not an answer of False:
# botocore would still run its handler after a False, and that handler takes from the client's
# retry quota for the retry it means to make, a quota only a later success gives back; enough
# lost answers would then stop the retries of every other call, reads and tokened calls too.
NEEDS_RETRY_EVENT = "needs-retry.*.*"
# The bare name, registered last: after botocore's generate_idempotent_uuid filled in a token.
CAPTURE_EVENT = "before-parameter-build"

_TOKEN_KEY = "gameops_tui_idempotency_token"
NOT_RETRIED_KEY = "gameops_tui_not_retried"

# Parameter names that are idempotency tokens even where the model does not mark them (GameLift's
# IdempotencyToken is a plain string in botocore's model).
TOKEN_PARAMS = ("ClientToken", "IdempotencyToken")

# Error codes meaning "the service refused this, slow down": nothing was applied, retry is safe.
THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "ThrottledException", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "LimitExceededException",
    "EC2ThrottledException", "PriorRequestNotComplete",
})

# Failures before the request was written to a connection: the service cannot have seen it.
_NEVER_SENT: tuple[type[BaseException], ...] = (
    bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError,
)


def token_members(model: Any) -> tuple[str, ...]:
    """The input members of an operation model that carry an idempotency token."""
    shape = getattr(model, "input_shape", None)
    members: Mapping[str, Any] = getattr(shape, "members", None) or {}
    marked = set(getattr(model, "idempotent_members", None) or ())
    return tuple(name for name in members if name in marked or name in TOKEN_PARAMS)


def carries_token(model: Any, params: Mapping[str, Any]) -> bool:
    """True when this call sends an idempotency token, so the service runs a repeat only once."""
    return any(isinstance(params.get(name), str) and params[name]
               for name in token_members(model))


def answer_in_doubt(status: int, code: str | None) -> bool:
    """An HTTP answer that does not prove the change was refused: a 5xx other than throttling
    (a gateway or the service failing after, or while, it applied the change)."""
    return status >= 500 and (code or "") not in THROTTLING_CODES


def request_in_doubt(exc: BaseException) -> bool:
    """True when ``exc`` leaves open whether the service applied the request: the connection
    closed or timed out after the request was sent, the answer could not be read, or a 5xx."""
    if isinstance(exc, bx.ClientError):
        response: Mapping[str, Any] = exc.response if isinstance(exc.response, Mapping) else {}
        status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        return answer_in_doubt(status, (response.get("Error") or {}).get("Code"))
    if isinstance(exc, _NEVER_SENT):
        return False
    # ConnectionClosedError, ReadTimeoutError, ResponseStreamingError, SSLError (a TLS failure
    # can come while reading the answer), a response that would not parse: all after sending.
    return isinstance(exc, bx.HTTPClientError | bx.ConnectionError | ResponseParserError)


class LostAnswerGuard:
    """Refuses botocore's retry of a mutating call without an idempotency token once an attempt
    may have reached the service: the failure is raised to the caller as it was (a 5xx answer
    as the ClientError the client would have raised after its last attempt)."""

    def register(self, events: Any, exceptions: Any = None) -> None:
        """Attach to a client's ``meta.events``; ``exceptions`` is its ``client.exceptions``,
        so that a 5xx is raised as the same modeled error class botocore would raise."""
        events.register_last(CAPTURE_EVENT, self._capture,
                             unique_id="gameops-tui.lost-answer.capture")
        events.register_first(NEEDS_RETRY_EVENT, functools.partial(self._needs_retry, exceptions),
                              unique_id="gameops-tui.lost-answer.retry")

    @staticmethod
    def _capture(params: Mapping[str, Any], model: Any, context: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        if context is not None and not is_read_operation(model.name):
            context[_TOKEN_KEY] = carries_token(model, params)

    @staticmethod
    def _needs_retry(exceptions: Any, operation: Any,
                     request_dict: Mapping[str, Any] | None = None, response: Any = None,
                     caught_exception: BaseException | None = None, **kwargs: Any) -> None:
        if is_read_operation(operation.name):
            return
        context = (request_dict or {}).get("context")
        if not isinstance(context, dict) or context.get(_TOKEN_KEY, False):
            return  # a read, or the token makes a repeat safe: botocore decides
        if caught_exception is not None:
            if request_in_doubt(caught_exception):
                context[NOT_RETRIED_KEY] = True
                raise caught_exception
            return
        if response is None:
            return
        http, parsed = response
        error = parsed.get("Error") if isinstance(parsed, Mapping) else None
        code = error.get("Code") if isinstance(error, Mapping) else None
        if answer_in_doubt(getattr(http, "status_code", 0), code):
            context[NOT_RETRIED_KEY] = True
            error_class: type[bx.ClientError] = bx.ClientError
            if exceptions is not None and code:
                error_class = exceptions.from_code(code)
            raise error_class(parsed, operation.name)
