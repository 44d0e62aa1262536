"""Which AWS operations only read: the one rule shared by the read-only guard, the audit log and
the simulator's mutation record."""

from __future__ import annotations

_READ_PREFIXES = ("Describe", "List", "Get", "Search", "Resolve")

# Operations whose names do not start with a read verb but which change nothing. Keep this small:
# every entry here is an operation that read-only mode lets through.
_READ_EXCEPTIONS = frozenset({
    "ExportSnapshot",  # GameSparks: returns a presigned download URL for an existing snapshot
    "ValidateMatchmakingRuleSet",  # GameLift: syntax check of a rule set body, stores nothing
})


def is_read_operation(name: str) -> bool:
    """True when the operation (PascalCase, as in the API reference) cannot change anything."""
    return name.startswith(_READ_PREFIXES) or name in _READ_EXCEPTIONS
