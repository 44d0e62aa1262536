"""A pane that says what is coming, until its issue lands."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.ui.panes.base import Pane


class PlaceholderPane(Pane):
    DEFAULT_CSS = """
    PlaceholderPane > Static { padding: 1 2; }
    """

    def __init__(self, title: str, coming: str, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.title = title
        self.coming = coming

    def compose(self) -> ComposeResult:
        yield Static(f"[b]{self.title}[/b]\n\n{self.coming}")
