"""`e` / `n`: edit or create a game session. The form hands its fields over exactly as typed;
tui/services/session_edit.py works out what would be sent, and a confirmation shows each
``field: old → new`` and the AWS CLI command before anything is.

Game properties are key/value rows, one pair of boxes each, so a value may hold commas, equals
signs and spaces at either end. The keys of a session's existing properties cannot be edited:
UpdateGameSession adds and changes properties but cannot delete or rename one.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from tui.aws.records import GameSession
from tui.services.session_edit import (
    MAX_PROPERTIES,
    EditError,
    FieldChange,
    SessionCreate,
    SessionUpdate,
    plan_create,
    plan_update,
)
from tui.ui.screens.base import Modal, css, note_answer
from tui.ui.widgets.plain import Plain, SafeInput


class FormModal(Modal[Any]):
    """A small form: fields, a problem line, Cancel and a submit button with id `save`.

    :meth:`confirm_then` puts a confirmation over the form; the form answers only once that is
    confirmed, and Cancel there returns to the form with what was typed.
    """

    CSS_PATH = css("forms")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.confirming = False

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    def busy(self) -> bool:
        """True while a submit must do nothing: answered, or its confirmation is open (a second
        Enter queued behind the first would otherwise open a second one)."""
        return self.answered or self.confirming

    def confirm_then(self, title: str, changes: Sequence[FieldChange], warnings: Sequence[str],
                     cli: str, label: str, answer: Callable[[], object]) -> None:
        from tui.ui.screens.confirm import ConfirmModal, changes_text

        self.confirming = True
        note_answer(self.app)  # the Enter that submitted must not also answer the confirmation

        def answered(ok: bool | None) -> None:
            self.confirming = False
            if ok:
                answer()

        self.app.push_screen(ConfirmModal(title, changes_text(changes, warnings), cli, label),
                             answered)


class PropertyRows(VerticalScroll):
    """Game properties as rows of a key box and a value box. ``fixed`` rows (the session's own
    properties) keep their key; added rows can be removed again. Only these forms use it, so
    its CSS is theirs (forms.tcss)."""

    def __init__(self, pairs: Sequence[tuple[str, str]] = (), *, fixed: bool = False,
                 id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._initial = list(pairs)
        self._fixed = fixed
        self._count = 0

    def compose(self) -> ComposeResult:
        for key, value in self._initial:
            yield self._row(key, value, fixed=self._fixed)

    def _row(self, key: str, value: str, *, fixed: bool) -> Horizontal:
        n = self._count
        self._count += 1
        parts: list[Any] = [
            SafeInput(key, id=f"prop-key-{n}", classes="prop-key", placeholder="key",
                      compact=True, disabled=fixed),
            SafeInput(value, id=f"prop-value-{n}", classes="prop-value", placeholder="value",
                      compact=True),
        ]
        if not fixed:
            parts.append(Button("✕", id=f"prop-remove-{n}", classes="prop-remove",
                                compact=True, tooltip="remove this row"))
        return Horizontal(*parts, id=f"prop-row-{n}", classes="prop-row")

    def add_row(self, key: str = "", value: str = "") -> AwaitComplete:
        """A new, removable row; awaiting the result waits until it is mounted."""
        row = self._row(key, value, fixed=False)

        async def mounted() -> None:
            await self.mount(row)

        return AwaitComplete(mounted())

    @property
    def row_count(self) -> int:
        return len(self.query(".prop-row"))

    def rows(self) -> list[tuple[str, str]]:
        """Every row's key and value, exactly as typed."""
        return [(row.query_one(".prop-key", Input).value, row.query_one(".prop-value", Input).value)
                for row in self.query(".prop-row")]

    @on(Button.Pressed, ".prop-remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = event.button.parent
        if isinstance(row, Widget):
            row.remove()


class _SessionForm(FormModal):
    def property_rows(self) -> list[tuple[str, str]]:
        return self.query_one(PropertyRows).rows()

    @on(Button.Pressed, "#add-prop")
    async def add_property(self) -> None:
        rows = self.query_one(PropertyRows)
        if rows.row_count >= MAX_PROPERTIES:
            self.query_one("#problem", Static).update(
                f"a session can have at most {MAX_PROPERTIES} game properties")
            return
        await rows.add_row()
        new = rows.query(".prop-key").last()
        new.focus()
        rows.scroll_to_widget(new)

    def buttons(self) -> list[Button]:
        return [Button("Cancel", id="cancel"), Button("+ property", id="add-prop"),
                Button("Review", id="save", variant="primary")]

    def show_problem(self, err: EditError) -> None:
        self.query_one("#problem", Static).update(f"⚠ {err}; nothing was sent")

    # What each form plans from its fields, and how its confirmation is titled.
    verb = ""

    @abstractmethod
    def plan(self) -> SessionUpdate | SessionCreate:
        """The call the fields make (EditError: why they make none)."""

    @abstractmethod
    def confirm_title(self) -> str:
        """The confirmation's title."""

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        """Check the fields, then confirm old → new with the CLI; the form answers with its
        plan only after that confirmation said yes."""
        if self.busy():
            return
        try:
            plan = self.plan()
        except EditError as err:
            self.show_problem(err)
            return
        if isinstance(plan, SessionUpdate) and plan.empty:
            self.query_one("#problem", Static).update("nothing changed; nothing to send")
            return
        self.query_one("#problem", Static).update("")
        self.confirm_then(self.confirm_title(), plan.changes, plan.warnings, plan.cli(), self.verb,
                          lambda: self.dismiss(plan))


class EditSessionModal(_SessionForm):
    """Returns a :class:`SessionUpdate` (confirmed, non-empty) or None."""

    def __init__(self, session: GameSession) -> None:
        super().__init__()
        self.session = session

    def compose_body(self) -> ComposeResult:
        s = self.session
        yield Plain(f"Edit {s.short_id}  ({s.current_player_session_count} players)")
        yield Label("Max players")
        yield SafeInput(str(s.maximum_player_session_count), id="max", compact=True,
                        type="integer")
        yield Label("Name")
        yield SafeInput(s.name or "", id="name", compact=True)
        yield Label("Game properties: change a value or add a row (the API cannot delete "
                    "or rename one)")
        yield PropertyRows(s.game_properties, fixed=True, id="props")
        yield Plain("", id="problem")

    verb = "Update"

    def plan(self) -> SessionUpdate:
        return plan_update(self.session, self.query_one("#max", Input).value,
                           self.query_one("#name", Input).value, self.property_rows())

    def confirm_title(self) -> str:
        return f"Update game session {self.session.short_id}"


class CreateSessionModal(_SessionForm):
    """`n`: a new game session on the selected fleet, in one of its locations. Returns a
    :class:`SessionCreate` (confirmed) or None.

    The idempotency token is made once, when the form opens, so a repeated submit or a retried
    request can never start a second session.
    """

    def __init__(self, fleet_name: str, locations: tuple[str, ...], token: str,
                 fleet_id: str = "", creation_limit: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.fleet_name = fleet_name
        self.fleet_id = fleet_id or fleet_name
        self.locations = locations or ("",)
        self.token = token
        self.creation_limit = creation_limit

    def compose_body(self) -> ComposeResult:
        yield Plain(f"New game session on {self.fleet_name}  (token …{self.token[-8:]})")
        yield Label(f"Location (one of: {', '.join(self.locations)})")
        yield SafeInput(self.locations[0], id="location", compact=True)
        yield Label("Max players")
        yield SafeInput("10", id="max", compact=True, type="integer")
        yield Label("Name")
        yield SafeInput("", id="name", compact=True, placeholder="optional")
        limit = self.creation_limit
        yield Label("Creator id" + (f" (required: at most {limit[0]} new sessions per creator "
                                    f"in {limit[1]} min)" if limit else ""))
        yield SafeInput("", id="creator", compact=True,
                        placeholder="required" if limit else "optional (one create a second)")
        yield Label("Game properties")
        yield PropertyRows(id="props")
        yield Plain("", id="problem")

    verb = "Create"

    def plan(self) -> SessionCreate:
        return plan_create(self.fleet_id, [loc for loc in self.locations if loc],
                           self.query_one("#location", Input).value,
                           self.query_one("#max", Input).value,
                           self.query_one("#name", Input).value, self.property_rows(),
                           self.token, self.query_one("#creator", Input).value,
                           self.creation_limit)

    def confirm_title(self) -> str:
        return f"Create a game session on {self.fleet_name}"


__all__ = ["CreateSessionModal", "EditSessionModal", "FormModal", "PropertyRows",
           "SessionCreate", "SessionUpdate"]
