"""`E`: export the focused table's rows — choose CSV or JSON; the rows and the folder are named."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button

from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain


class ExportModal(Modal[str | None]):
    """Returns "csv", "json", or None (cancelled)."""

    CSS_PATH = css("lists")
    FRAME_ID = "export-dialog"
    FOCUS = "#export-csv"
    BINDINGS = [
        Binding("c", "choose('csv')", "CSV"),
        Binding("j", "choose('json')", "JSON"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, count: int, noun: str, folder: str) -> None:
        super().__init__()
        self.title_text, self.count, self.noun, self.folder = title, count, noun, folder

    def heading(self) -> str:
        return f"Export {self.count} {self.noun}"

    def compose_body(self) -> ComposeResult:
        yield Plain(self.title_text)
        yield Plain(f"into {self.folder} (files readable only by you)", classes="muted")
        yield Plain("c: CSV (one row per line, for spreadsheets) · j: JSON (exact values)",
                    classes="muted")

    def buttons(self) -> list[Button]:
        return [Button("CSV", id="export-csv", variant="primary"),
                Button("JSON", id="export-json"), Button("Cancel", id="export-cancel")]

    @on(Button.Pressed, "#export-csv")
    def _csv(self) -> None:
        self.dismiss("csv")

    @on(Button.Pressed, "#export-json")
    def _json(self) -> None:
        self.dismiss("json")

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_choose(self, fmt: str) -> None:
        self.dismiss(fmt)
