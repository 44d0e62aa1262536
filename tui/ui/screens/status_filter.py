"""`f`: choose which session statuses the table shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import SelectionList

from tui.ui.screens.base import OnceModal
from tui.ui.widgets.plain import Plain

STATUSES = ("ACTIVE", "ACTIVATING", "TERMINATING", "TERMINATED", "ERROR")


class StatusFilterModal(OnceModal[set[str] | None]):
    DEFAULT_CSS = """
    StatusFilterModal { align: center middle; }
    StatusFilterModal > Vertical {
        width: 44; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    StatusFilterModal SelectionList { height: auto; }
    """
    # enter has priority: in a SelectionList it would otherwise toggle the row, not apply.
    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("enter", "apply", "Apply", priority=True)]

    def __init__(self, shown: set[str]) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain("Show sessions that are… (space toggles, enter applies)")
            yield SelectionList[str](*[(s, s, s in self.shown) for s in STATUSES])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        self.dismiss(set(self.query_one(SelectionList).selected))
