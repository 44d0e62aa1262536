"""The one way a pane or screen runs an AWS call: off the event loop, with the answer and any
failure coming back as typed messages, and a late answer to a superseded call dropped.

    self.run_call("stages", lambda job: model.load_stages(aws, game),
                  done=self.show_stages, failed=self.stages_failed)

- The function runs in a thread worker (``exit_on_error=False``: nothing in it quits the app).
  It gets a ``Job``: ``job.cancelled`` to stop between pages, ``job.progress(value)`` to report.
- ``done`` / ``progress`` / ``failed`` run on the event loop, in the widget's message queue.
- A call supersedes the running call with the same tag (its worker is cancelled and its late
  answer dropped: the generation guard). ``exclusive=False`` runs it beside them instead — for
  changes, whose answer must never be dropped.
- ``foreground=True`` marks a read the user is waiting for (a search they ran, a detail they
  opened): it takes the API budget without waiting behind background paging.
- Every exception becomes one ``Failure`` (``tui.aws.errors.classify``: kind, text, whether a
  retry is safe). Without ``failed`` it goes to ``call_failed``, which a pane overrides to put
  it on its status line; the default is a notification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from tui.aws.budget import ApiBudget
from tui.aws.errors import Failure, classify

T = TypeVar("T")


@dataclass
class CallDone(Message, Generic[T]):
    """A call's answer (on the event loop)."""

    bubble: ClassVar[bool] = False
    tag: str
    generation: int | None
    value: T
    then: Callable[[T], None]


@dataclass
class CallProgress(Message):
    """Something a running call reported (a page, a byte count)."""

    bubble: ClassVar[bool] = False
    tag: str
    generation: int | None
    value: Any
    then: Callable[[Any], None]


@dataclass
class CallFailed(Message):
    """A call raised; ``failure`` is its one classification, ``error`` the exception."""

    bubble: ClassVar[bool] = False
    tag: str
    generation: int | None
    failure: Failure
    error: BaseException
    then: Callable[[Failure], None] | None


class Job:
    """Handed to the function running in the worker."""

    def __init__(self, owner: Calls, tag: str, generation: int | None,
                 on_progress: Callable[[Any], None] | None) -> None:
        self._owner = owner
        self._tag = tag
        self._generation = generation
        self._on_progress = on_progress

    @property
    def cancelled(self) -> bool:
        """The worker was cancelled or the call was superseded: stop at the next page."""
        try:
            if get_current_worker().is_cancelled:
                return True
        except Exception:  # run outside a worker (a model's unit test): never cancelled
            pass
        return self._owner.superseded(self._tag, self._generation)

    def progress(self, value: Any) -> None:
        if self._on_progress is not None:
            self._owner.post_message(CallProgress(self._tag, self._generation, value,
                                                  self._on_progress))


class Calls(Widget):
    """Mixin for a Widget or Screen (put it first in the bases)."""

    _call_generations: dict[str, int]

    def superseded(self, tag: str, generation: int | None) -> bool:
        """``None``: a call run beside the others (``exclusive=False``), never superseded."""
        return generation is not None and self._generations().get(tag, 0) != generation

    def _generations(self) -> dict[str, int]:
        try:
            return self._call_generations
        except AttributeError:
            self._call_generations = {}
            return self._call_generations

    def run_call(self, tag: str, fn: Callable[[Job], T], *, done: Callable[[T], None],
                 failed: Callable[[Failure], None] | None = None,
                 progress: Callable[[Any], None] | None = None,
                 exclusive: bool = True, description: str = "",
                 foreground: bool = False) -> Worker[None]:
        generation: int | None = None
        if exclusive:
            generations = self._generations()
            generation = generations[tag] = generations.get(tag, 0) + 1
        job = Job(self, tag, generation, progress)
        explain = self.failure_of
        # A read the user is waiting for takes the API budget ahead of background paging.
        budget = self._budget() if foreground else None

        def work() -> None:
            try:
                if budget is not None:
                    with budget.foreground():
                        value = fn(job)
                else:
                    value = fn(job)
            except Exception as err:  # every failure takes the one path
                self.post_message(CallFailed(tag, generation, explain(err), err, failed))
                return
            self.post_message(CallDone(tag, generation, value, done))

        return self.run_worker(work, name=tag, group=tag if exclusive else f"{tag}-each",
                               description=description or tag, thread=True,
                               exclusive=exclusive, exit_on_error=False)

    def _budget(self) -> ApiBudget | None:
        from tui.ui.contract import game_app

        app = game_app(self)
        return app.aws.budget if app is not None else None

    def cancel_calls(self, tag: str) -> None:
        """Drop whatever the running call with ``tag`` would answer."""
        generations = self._generations()
        generations[tag] = generations.get(tag, 0) + 1
        self.workers.cancel_group(self, tag)

    def failure_of(self, err: BaseException) -> Failure:
        """Classified for the target in use (its fixes name the profile)."""
        from tui.ui.contract import game_app

        app = game_app(self)
        return app.aws.classify(err) if app is not None else classify(err)

    def call_failed(self, tag: str, failure: Failure) -> None:
        """Where a failure goes when the call named no ``failed``."""
        self.notify(failure.text, title=tag, severity=failure.severity)

    def on_call_done(self, message: CallDone[Any]) -> None:
        if not self.superseded(message.tag, message.generation):
            message.then(message.value)

    def on_call_progress(self, message: CallProgress) -> None:
        if not self.superseded(message.tag, message.generation):
            message.then(message.value)

    def on_call_failed(self, message: CallFailed) -> None:
        if self.superseded(message.tag, message.generation):
            return
        if message.then is not None:
            message.then(message.failure)
        else:
            self.call_failed(message.tag, message.failure)
