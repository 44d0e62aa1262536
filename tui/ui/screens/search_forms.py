"""The filter builder's forms: one condition, the sort, raw expressions, a name to save under."""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Collection
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Select, Static

from tui.services import filter_builder as fb
from tui.services import search_expr as se
from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, SafeInput

HINTS = {
    "gameSessionName": "string, = or <> only, case sensitive",
    "gameSessionId": "string (the full ARN), = or <> only",
    se.PROPERTIES: "string, = or <> only, case sensitive; keys containing '.' are not "
                   "searchable",
    "maximumSessions": "number: the session's maximum players",
    "creationTimeMillis": "epoch millis, a date (2026-11-24T09:30, UTC), '2h ago', "
                          "'older than 2h' or 'newer than 30m'",
    "playerSessionCount": "number: players connected now",
    "hasAvailablePlayerSessions": "true or false, = or <> only",
}


class SearchForm(Modal[object]):
    """A builder form: its fields, a problem line, then OK (or ``SAVE_LABEL``) and Cancel."""

    CSS_PATH = css("forms")
    SAVE_LABEL: ClassVar[str] = "OK"
    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("ctrl+s", "save", "Save", show=False)]

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _pressed(self) -> None:
        if not self.answered:  # a second Enter or click queued behind the answer
            self.action_save()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        if not self.answered:
            self.action_save()

    @abstractmethod
    def action_save(self) -> None:
        """Check the fields; dismiss with what they make, or say on the problem line why not."""

    def problem(self, text: str) -> None:
        self.query_one("#problem", Static).update(text)

    def buttons(self) -> list[Button]:
        return [Button(self.SAVE_LABEL, id="save", variant="primary"),
                Button("Cancel", id="cancel")]


class ConditionForm(SearchForm):
    """One condition: operand, property key, comparator limited by the operand, typed value."""

    def __init__(self, cond: fb.Cond) -> None:
        super().__init__()
        self.cond = cond

    def heading(self) -> str:
        return "Condition"

    def compose_body(self) -> ComposeResult:
        with Horizontal():
            yield Select([(o, o) for o in se.OPERANDS], value=self.cond.operand,
                         allow_blank=False, id="operand", compact=True)
            yield Select([(c, c) for c in se.comparators_for(self.cond.operand)],
                         value=self.cond.comparator
                         if self.cond.comparator in se.comparators_for(self.cond.operand)
                         else "=", allow_blank=False, id="comparator", compact=True)
        yield SafeInput(self.cond.key, placeholder="property key, e.g. mode", id="key",
                    compact=True)
        yield SafeInput(self.cond.value, placeholder="value", id="value", compact=True)
        yield Plain("", id="hint", classes="hint")
        yield Plain("", id="problem", classes="problem")

    def on_mount(self) -> None:
        self._operand_changed()
        self.query_one("#value", Input).focus()

    @on(Select.Changed, "#operand")
    def _operand_changed(self) -> None:
        operand = str(self.query_one("#operand", Select).value)
        comparator = self.query_one("#comparator", Select)
        allowed = se.comparators_for(operand)
        current = comparator.value
        comparator.set_options([(c, c) for c in allowed])
        comparator.value = current if current in allowed else allowed[0]
        self.query_one("#key", Input).display = operand == se.PROPERTIES
        self.query_one("#hint", Static).update(HINTS.get(operand, ""))

    def action_save(self) -> None:
        cond = fb.Cond(operand=str(self.query_one("#operand", Select).value),
                       key=self.query_one("#key", Input).value.strip(),
                       comparator=str(self.query_one("#comparator", Select).value),
                       value=self.query_one("#value", Input).value, negated=self.cond.negated)
        if cond.operand != se.PROPERTIES:
            cond.key = ""
        try:
            fb.to_node(fb.Group("AND", [cond]), dt.datetime.now(dt.UTC))
            # "older than 2h" sends '<' whatever the select said: the row shows what is sent.
            cond.comparator, _ = fb.typed_value(cond, dt.datetime.now(dt.UTC))
        except se.ExprError as err:
            self.problem(f"⚠ {err.message}")
            return
        self.dismiss(cond)


class SortForm(SearchForm):
    def __init__(self, operand: str, key: str, order: str) -> None:
        super().__init__()
        self.operand, self.key, self.order = operand, key, order

    def heading(self) -> str:
        return "Sort results by"

    def compose_body(self) -> ComposeResult:
        with Horizontal():
            yield Select([("(service order)", "")] + [(o, o) for o in se.OPERANDS],
                         value=self.operand, allow_blank=False, id="operand", compact=True)
            yield Select([("ASC", "ASC"), ("DESC", "DESC")], value=self.order,
                         allow_blank=False, id="order", compact=True)
        yield SafeInput(self.key, placeholder="property key", id="key", compact=True)
        yield Plain("", id="problem", classes="problem")

    def on_mount(self) -> None:
        self._operand_changed()
        self.query_one("#operand", Select).focus()

    @on(Select.Changed, "#operand")
    def _operand_changed(self) -> None:
        operand = self.query_one("#operand", Select).value
        self.query_one("#key", Input).display = operand == se.PROPERTIES

    def action_save(self) -> None:
        operand = str(self.query_one("#operand", Select).value or "")
        key = self.query_one("#key", Input).value.strip() if operand == se.PROPERTIES else ""
        order = str(self.query_one("#order", Select).value)
        if operand:
            try:
                se.Sort(operand, key or None, order)
            except se.ExprError as err:
                self.problem(f"⚠ {err.message}")
                return
        self.dismiss((operand, key, order))


class RawForm(SearchForm):
    """Type the expressions; they go back into the builder only when they parse."""

    SAVE_LABEL = "Use"

    def __init__(self, filter_text: str, sort_text: str) -> None:
        super().__init__()
        self.filter_text, self.sort_text = filter_text, sort_text

    def heading(self) -> str:
        return "Raw FilterExpression and SortExpression"

    def compose_body(self) -> ComposeResult:
        yield SafeInput(self.filter_text, placeholder="e.g. playerSessionCount > 0 AND "
                    "gameSessionProperties.mode = 'ranked'", id="filter", compact=True)
        yield Plain("", id="filter-caret", classes="caret")
        yield SafeInput(self.sort_text, placeholder="e.g. creationTimeMillis DESC", id="sort",
                    compact=True)
        yield Plain("", id="sort-caret", classes="caret")
        yield Plain("", id="problem", classes="problem")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_save(self) -> None:
        filter_text = self.query_one("#filter", Input).value
        sort_text = self.query_one("#sort", Input).value
        for caret in ("#filter-caret", "#sort-caret"):
            self.query_one(caret, Static).update("")
        for text, caret, parse in ((filter_text, "#filter-caret", fb.parse_raw),
                                   (sort_text, "#sort-caret", None)):
            try:
                if parse is not None:
                    root, _ = fb.parse_raw(text, "")
                elif text.strip():
                    se.parse_sort(text)
            except se.ExprError as err:
                if err.position is not None:
                    self.query_one(caret, Static).update(" " * err.position + "^")
                self.problem(f"⚠ {err.message}")
                return
        root, sort = fb.parse_raw(filter_text, sort_text)
        self.dismiss((root, sort))


class NameForm(SearchForm):
    SAVE_LABEL = "Save"

    def __init__(self, title: str, name: str = "", *, taken: Collection[str] = ()) -> None:
        super().__init__()
        self.title_text, self.name_text = title, name
        # Names already saved: saving under one replaces it, so the first Save only warns.
        self.taken = set(taken)
        self._replace_ok: str | None = None

    def heading(self) -> str:
        return self.title_text

    def compose_body(self) -> ComposeResult:
        yield SafeInput(self.name_text, placeholder="name", id="name", compact=True)
        yield Plain("", id="problem", classes="problem")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def action_save(self) -> None:
        from tui.services.saved_searches import SearchStore, StoreError

        try:
            name = SearchStore.check_name(self.query_one("#name", Input).value)
        except StoreError as err:
            self.problem(f"⚠ {err}")
            return
        if name in self.taken and name != self._replace_ok:
            self._replace_ok = name
            self.problem(f"⚠ a saved search named '{name}' exists: Save again to replace it, "
                         "or change the name")
            return
        self.dismiss(name)
