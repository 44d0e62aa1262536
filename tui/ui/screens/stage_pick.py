"""Pick one item from a list (a deployment to roll back to, a snapshot to deploy)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.ui.screens.base import OnceModal
from tui.ui.widgets.plain import Plain, cell


class StagePickModal(OnceModal[str | None]):
    DEFAULT_CSS = """
    StagePickModal { align: center middle; }
    StagePickModal > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    StagePickModal .title { text-style: bold; }
    StagePickModal .note { color: $text-muted; }
    StagePickModal OptionList { height: auto; max-height: 14; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, note: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.note, self.options = title, note, options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.title_text, classes="title")
            yield Plain(self.note, classes="note")
            yield OptionList(*[Option(cell(label), id=key) for key, label in self.options],
                             id="stage-pick-list")
            yield Plain("enter picks · esc cancels", classes="note")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
