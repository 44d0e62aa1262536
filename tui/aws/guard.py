"""The read-only guard: one botocore event hook that refuses every non-read operation.

It sits on ``before-parameter-build``, the first event of a client call after the user's
parameters are known. That is before validation, serialisation, signing and the retry loop, so
a refused call never produces an HTTP request, not even a first attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tui.aws.operations import is_read_operation

# botocore runs handlers of the most specific (and wildcard) names before those of the bare
# name, so with register_first this is the first handler of the call.
GUARD_EVENT = "before-parameter-build.*.*"

RefusalListener = Callable[[str, str, Mapping[str, Any]], None]


class ReadOnlyViolation(Exception):
    """A mutating call refused because read-only mode is on."""

    def __init__(self, operation: str, service: str) -> None:
        self.operation = operation
        self.service = service
        super().__init__(f"read-only mode: refused {service}:{operation} "
                         "(start without --read-only to allow changes)")


class ReadOnlyGuard:
    """Holds the switch (``enabled`` can change at runtime) and the hook that applies it."""

    def __init__(self, enabled: bool = False, on_refused: RefusalListener | None = None) -> None:
        self.enabled = enabled
        # Called with (service, operation, params) before raising, so that the audit log records
        # the refusal: after a refusal botocore emits no after-call event to record it from.
        self.on_refused = on_refused

    def register(self, events: Any) -> None:
        """Attach to a client's ``meta.events``; first in line so no other handler runs first."""
        events.register_first(GUARD_EVENT, self._before_parameter_build,
                              unique_id="gameops-tui.read-only-guard")

    def check(self, service: str, operation: str, params: Mapping[str, Any] | None = None) -> None:
        """Raise ReadOnlyViolation when read-only is on and the operation could change things."""
        if not self.enabled or is_read_operation(operation):
            return
        if self.on_refused is not None:
            self.on_refused(service, operation, params or {})
        raise ReadOnlyViolation(operation, service)

    def _before_parameter_build(self, params: Mapping[str, Any], model: Any,
                                **kwargs: Any) -> None:
        self.check(model.service_model.service_name, model.name, params)
