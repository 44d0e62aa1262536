"""What became of a change: applied, not applied, or unknown (and then what to check).

A mutation whose answer was lost (``tui.aws.errors.request_in_doubt``: the connection closed or
timed out after the request left, or a 5xx) is not sent again: the aws layer refuses botocore's
retry when the call has no idempotency token. Instead the service function that made it reads
the state back and says what it finds, as an :class:`Outcome`. The plain functions
(``create_snapshot`` and friends) return the value of an applied change, raise the original
error of one that was not applied, and raise ``OutcomeUnknown`` when reading back cannot tell;
the ``*_outcome`` functions return the Outcome itself, for a view that says how it knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, cast

from tui.aws.errors import OutcomeUnknown, explain, request_in_doubt

T = TypeVar("T")
State = Literal["applied", "not applied", "unknown"]


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The result of one change. ``answer_lost``: the service's answer never arrived and the
    state was read back; ``detail`` says what reading back found (or, when unknown, what to
    check); ``error`` is the failure of the call itself, if it failed."""

    state: State
    action: str
    value: T | None = None
    answer_lost: bool = False
    detail: str = ""
    error: BaseException | None = None
    read_error: BaseException | None = None

    @property
    def applied(self) -> bool:
        return self.state == "applied"

    def unwrap(self) -> T:
        """The value when applied; else the call's own error, or OutcomeUnknown."""
        if self.state == "applied":
            # An applied change carries its call's value (None only where T admits None).
            return cast(T, self.value)
        if self.state == "not applied" and self.error is not None:
            raise self.error
        raise OutcomeUnknown(self.action, self.error or RuntimeError("no answer"), self.detail,
                             self.read_error)

    def describe(self, words: Callable[[BaseException], str] = explain) -> str:
        """One line for a status line or toast (the value is for the caller to describe);
        ``words`` turns an error into text (``AwsContext.explain`` names the profile)."""
        if self.state == "applied":
            return self.detail if self.answer_lost else ""
        if self.state == "unknown":
            return words(self.unwrap_error())
        text = words(self.error) if self.error is not None else "not applied"
        return f"{text} — {self.detail}" if self.detail else text

    def unwrap_error(self) -> BaseException:
        """The exception ``unwrap`` would raise (an Outcome that is not applied)."""
        try:
            self.unwrap()
        except BaseException as err:  # the value it raises is the answer
            return err
        raise ValueError("the change was applied")


def may_send(ctx: object) -> bool:
    """False when read-only mode will refuse the change: reading the state before it (to
    reconcile a lost answer) would be a wasted request."""
    return not getattr(ctx, "read_only", False)


def applied(action: str, value: T, detail: str, error: BaseException) -> Outcome[T]:
    """Reading back found the change: applied, though the call reported ``error``."""
    lost = request_in_doubt(error)
    how = "the answer was lost; reading back shows" if lost else "reading back shows"
    return Outcome("applied", action, value, answer_lost=lost, detail=f"{how} {detail}")


def not_applied(action: str, error: BaseException, detail: str) -> Outcome[T]:
    return Outcome("not applied", action, None, answer_lost=request_in_doubt(error), error=error,
                   detail=f"reading back shows it was not applied: {detail}")


def unknown(action: str, error: BaseException, check: str,
            read_error: BaseException | None = None) -> Outcome[T]:
    return Outcome("unknown", action, None, answer_lost=request_in_doubt(error), detail=check,
                   error=error, read_error=read_error)


def reconcile(action: str, call: Callable[[], T],
              read_back: Callable[[BaseException], Outcome[T]], *, check: str,
              also: Callable[[BaseException], bool] | None = None) -> Outcome[T]:
    """Make the call; if its answer may have been lost (or ``also(error)`` says the state is
    worth a look, e.g. "already TERMINATING"), ask ``read_back(error)`` what happened. When
    reading back fails too, the outcome is unknown and ``check`` says what to look at."""
    try:
        return Outcome("applied", action, call())
    except Exception as err:
        if not (request_in_doubt(err) or (also is not None and also(err))):
            return Outcome("not applied", action, None, error=err)
        try:
            return read_back(err)
        except Exception as read_err:  # unreadable too: say so, and what to check by hand
            return unknown(action, err, check, read_err)
