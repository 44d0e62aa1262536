"""`?`: the live keymap, for the focused pane and the whole app."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80%; max-width: 90; height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            for title, rows in self.sections:
                table = Table(title=title, title_justify="left", show_header=False, box=None,
                              expand=True, padding=(0, 1))
                table.add_column("keys", style="bold", width=14)
                table.add_column("action")
                for keys, action in rows:
                    table.add_row(keys, action)
                yield Static(table)
            yield Static("All actions are also in the command palette (ctrl+p). Esc closes.")
