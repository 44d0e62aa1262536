"""What every pane shares: a title, a status line, and a refresh entry point."""

from __future__ import annotations

from textual.widget import Widget


class Pane(Widget):
    """A top-level pane of the app. Subclasses fill `compose` and `refresh_data`."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    title = "pane"

    def refresh_data(self) -> None:
        """Fetch fresh data now (the `r` key). Panes without data have nothing to do."""

    def focus_content(self) -> None:
        """Put the keyboard in the pane's first focusable widget, not the tab bar."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
