"""`f`: choose which session statuses the table shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import SelectionList

from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain

STATUSES = ("ACTIVE", "ACTIVATING", "TERMINATING", "TERMINATED", "ERROR")


class StatusFilterModal(Modal[set[str] | None]):
    CSS_PATH = css("lists")
    # enter has priority: in a SelectionList it would otherwise toggle the row, not apply.
    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("enter", "apply", "Apply", priority=True)]

    def __init__(self, shown: set[str]) -> None:
        super().__init__()
        self.shown = shown

    def compose_body(self) -> ComposeResult:
        yield Plain("Show sessions that are… (space toggles, enter applies)")
        yield SelectionList[str](*[(s, s, s in self.shown) for s in STATUSES])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        self.dismiss(set(self.query_one(SelectionList).selected))
