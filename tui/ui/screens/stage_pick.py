"""Pick one item from a list (a deployment to roll back to, a snapshot to deploy)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, cell


class StagePickModal(Modal[str | None]):
    CSS_PATH = css("lists")
    FOCUS = "#stage-pick-list"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, note: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.note, self.options = title, note, options

    def heading(self) -> str:
        return self.title_text

    def compose_body(self) -> ComposeResult:
        yield Plain(self.note, classes="note")
        yield OptionList(*[Option(cell(label), id=key) for key, label in self.options],
                         id="stage-pick-list")

    def hint(self) -> str:
        return "enter picks · esc cancels"

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
