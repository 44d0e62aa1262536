"""What every pane shares: a title, a status line, a first load and a refresh entry point."""

from __future__ import annotations

from textual.message import Message
from textual.widget import Widget


class Pane(Widget):
    """A top-level pane of the app. Subclasses fill `compose` and `refresh_data`."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    title = "pane"
    first_load_begun = False

    class FirstShown(Message):
        """The pane's first data is on screen: the app may now warm up the other panes."""

    def begin_first_load(self) -> None:
        """Begin the first load, once. The shown pane starts at mount; hidden ones when first
        shown or once the shown pane has painted, so they don't compete with it at start-up."""
        if self.first_load_begun:
            return
        self.first_load_begun = True
        self.first_load()

    def first_load(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Fetch fresh data now (the `r` key). Panes without data have nothing to do."""

    def focus_content(self) -> None:
        """Put the keyboard in the pane's first focusable widget, not the tab bar."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
