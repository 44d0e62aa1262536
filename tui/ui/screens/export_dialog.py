"""`E`: export the focused table's rows — choose CSV or JSON; the rows and the folder are named."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from tui.ui.screens.base import OnceModal
from tui.ui.widgets.plain import Plain


class ExportModal(OnceModal[str | None]):
    """Returns "csv", "json", or None (cancelled)."""

    DEFAULT_CSS = """
    ExportModal { align: center middle; }
    ExportModal > Vertical {
        width: 90%; max-width: 90; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ExportModal .title { text-style: bold; }
    ExportModal .muted { color: $text-muted; }
    ExportModal Horizontal { height: auto; margin-top: 1; }
    ExportModal Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("c", "choose('csv')", "CSV"),
        Binding("j", "choose('json')", "JSON"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, count: int, noun: str, folder: str) -> None:
        super().__init__()
        self.title_text, self.count, self.noun, self.folder = title, count, noun, folder

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Plain(f"Export {self.count} {self.noun}", classes="title")
            yield Plain(self.title_text)
            yield Plain(f"into {self.folder} (files readable only by you)", classes="muted")
            yield Plain("c: CSV (one row per line, for spreadsheets) · j: JSON (exact values)",
                         classes="muted")
            with Horizontal():
                yield Button("CSV", id="export-csv", variant="primary")
                yield Button("JSON", id="export-json")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-csv", Button).focus()

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
