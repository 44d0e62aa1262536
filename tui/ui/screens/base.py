"""The base of the app's modal screens: they answer once, and a confirmation hears only keys
that were typed after it was drawn.

Three ways a key used to act twice or act blind (issue 15, items 3 and 5):

- a second Enter queued behind the first reached the form after it had dismissed itself, and
  Textual popped the screen below it (ScreenStackError);
- a second Enter 150 ms later went on to the screen below (the table opened a detail);
- a key typed before a confirmation was on screen (``p`` then ``y`` typed as a word) confirmed it.

So :class:`OnceModal` dismisses once (later calls do nothing), drops every key that reaches it
after it answered, and drops an Enter or ``y`` that repeats the last answer of any modal within
:data:`REPEAT_SECONDS` (with no other key in between). :class:`OnceConfirm` also drops every
key (but Escape) that was stamped before its first frame was painted: Textual stamps each event
when the terminal's bytes are read, so "typed before it was drawn" is a comparison of two clock
readings, not a guess.

Keys that are no longer aimed at any modal (the screen below has the focus again) are dropped by
the app, which asks :func:`swallows_repeat` before it routes a key.

:class:`Modal` is the one frame every modal is drawn in (a bordered box in the middle: a bold
title, the modal's own content, a row of buttons, a muted hint line), styled by ``modal.tcss``;
a modal declares only its content, and its family's ``.tcss`` file what differs (width, border).
A screen that calls AWS lists ``Calls`` (tui/ui/work.py) *after* its screen base: Textual takes
a class's CSS type names from its first base only, so ``Calls`` first would leave the screen
outside every ``OnceModal``/``ModalScreen``/``Screen`` rule (it was drawn uncentred).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import _time, events
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button

from tui.ui.widgets.plain import Plain

if TYPE_CHECKING:
    from textual.app import App

ResultType = TypeVar("ResultType")

# Textual leaves AwaitComplete.nothing unannotated: typed here once.
_completed = cast(Callable[[], AwaitComplete], AwaitComplete.nothing)

# A person does not read a result and decide again in a third of a second; a key bounce or a
# double press does.
REPEAT_SECONDS = 0.35
REPEAT_KEYS = frozenset({"enter", "y"})

_repeat_until: WeakKeyDictionary[App[object], float] = WeakKeyDictionary()


def now() -> float:
    """The clock Textual stamps events with (``Message.time``)."""
    return _time.get_time()


def note_answer(app: App[object]) -> None:
    """A modal answered (or a form handed its answer to a confirmation): the Enter or ``y``
    keys that follow at once repeat that answer and are dropped."""
    _repeat_until[app] = now() + REPEAT_SECONDS


def swallows_repeat(app: App[Any], event: events.Key) -> bool:
    """True for an Enter or ``y`` stamped within :data:`REPEAT_SECONDS` of a modal's answer,
    with no other key between: any other key shows the user has moved on, and ends it."""
    until = _repeat_until.get(app)
    if until is None:
        return False
    if event.key not in REPEAT_KEYS:
        del _repeat_until[app]
        return False
    return event.time < until


class OnceModal(ModalScreen[ResultType]):
    """A modal screen that answers once.

    ``dismiss`` acts the first time only, and only while this screen is the one shown, so a
    repeated submit can neither call back twice nor pop the screen below.
    """

    # A confirmation: keys typed before its first frame never reach it (see OnceConfirm).
    CONFIRMS: ClassVar[bool] = False

    def __init__(self, name: str | None = None, id: str | None = None,  # noqa: A002 - Textual's
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._once_answered = False
        self._once_drawn_at: float | None = None

    @property
    def answered(self) -> bool:
        return self._once_answered

    @property
    def drawn(self) -> bool:
        """True once the first frame of this screen has been painted."""
        return self._once_drawn_at is not None

    def _on_mount(self, _event: events.Mount) -> None:
        # Runs after the screen's next refresh, i.e. once its first frame has been painted.
        self.call_after_refresh(self._note_drawn)

    def _note_drawn(self) -> None:
        if self._once_drawn_at is None:
            self._once_drawn_at = now()

    def accepts(self, event: events.Key) -> bool:
        """Whether a key that reached this screen may act on it."""
        if self._once_answered:
            return False  # the modal is leaving; the key was meant for it, not for what is below
        if swallows_repeat(self.app, event):
            return False
        if self.CONFIRMS and event.key != "escape":
            return self._once_drawn_at is not None and event.time >= self._once_drawn_at
        return True

    async def _on_key(self, event: events.Key) -> None:
        # Keys bubble from the focused widget up to this screen before the app runs their
        # bindings (Button's enter, Input's submit, our `y`), so stopping one here stops it all.
        if not self.accepts(event):
            event.prevent_default()
            event.stop()

    def _on_top(self) -> bool:
        from textual.app import ScreenStackError

        try:
            return self.app.screen is self
        except ScreenStackError:
            return False

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        if self._once_answered or not self._on_top():
            return _completed()
        self._once_answered = True
        note_answer(self.app)
        return super().dismiss(result)


class OnceConfirm(OnceModal[ResultType]):
    """A confirmation: answers once, and only to keys typed after it was on screen."""

    CONFIRMS: ClassVar[bool] = True

    def may_confirm(self) -> bool:
        """For confirming actions that do not come from a key (a click, a button message):
        nothing is confirmed before the screen was drawn or after it answered."""
        return self.drawn and not self._once_answered


HERE = Path(__file__).parent


def css(*families: str) -> list[str | PurePath]:
    """CSS_PATH of a screen: the shared modal frame, then its family's files (Textual reads a
    screen's CSS_PATH when the screen is first shown, for the whole app: selectors name the
    screen class)."""
    return [HERE / "modal.tcss", *(HERE / f"{family}.tcss" for family in families)]


class Modal(OnceModal[ResultType]):
    """The shared frame: ``heading()`` (bold), ``compose_body()``, ``buttons()`` in a row,
    ``hint()`` (muted) — each optional. ``FOCUS`` is the selector focused when it opens."""

    CSS_PATH = css()
    FOCUS: ClassVar[str] = ""
    FRAME_ID: ClassVar[str | None] = None
    # A frame that scrolls as a whole (help): its content is taller than any screen.
    SCROLLS: ClassVar[bool] = False

    def heading(self) -> str | Text:
        return ""

    def compose_body(self) -> ComposeResult:
        yield from ()

    def buttons(self) -> Sequence[Button]:
        return ()

    def hint(self) -> str:
        return ""

    def frame(self) -> Widget:
        container = VerticalScroll if self.SCROLLS else Vertical
        return container(classes="modal-frame", id=self.FRAME_ID)

    def compose(self) -> ComposeResult:
        with self.frame():
            heading = self.heading()
            if heading:
                yield Plain(heading, classes="title")
            yield from self.compose_body()
            buttons = self.buttons()
            if buttons:
                with Horizontal(classes="buttons"):
                    yield from buttons
            hint = self.hint()
            if hint:
                yield Plain(hint, classes="hint")

    def on_mount(self) -> None:
        # After the subclass's own on_mount (Textual calls each class's handler, subclass
        # first), so the content it fills in is there to focus.
        if self.FOCUS:
            self.query_one(self.FOCUS).focus()


class Confirm(Modal[ResultType], OnceConfirm[ResultType]):
    """A confirmation in the shared frame: answers once, only to keys typed after it was
    drawn."""
