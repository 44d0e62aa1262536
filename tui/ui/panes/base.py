"""The pane contract: what the app may ask of every pane, and nothing else.

A pane is a model below the UI (``tui/models/<name>.py``: state, paging, workflows, no Textual)
and this thin widget: it composes, handles keys and draws. The app reaches a pane only through
what is declared here — it never reads a pane's attributes by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tui.aws.errors import Failure
from tui.config import DEFAULT_REFRESH_SECONDS
from tui.ui.work import Calls

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.services.export import ExportTable


class NothingToExport(Exception):
    """The message says why there is nothing to export here."""


class Pane(Calls):
    """A top-level pane of the app. Subclasses fill `compose` and `refresh_data`."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    title = "pane"
    first_load_begun = False
    # The refresh policy: every pane refreshes this often while shown (the config's
    # refresh_seconds replaces it through apply_settings, before the pane mounts).
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS

    class FirstShown(Message):
        """The pane's first data is on screen: the app may now warm up the other panes."""

    def apply_settings(self, settings: Settings) -> None:
        """Take the config's values (before mount, and again when they change)."""
        self.refresh_seconds = settings.refresh_seconds

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

    def export_table(self) -> ExportTable:
        """The rows of the table in focus, for the export command; raises NothingToExport."""
        raise NothingToExport(f"The {self.title} pane has no table to export.")

    def show_failure(self, what: str, failure: Failure) -> None:
        """The one place a pane's failed call is shown: a notification here; panes with a
        status line also put it there (override, then call this)."""
        self.notify(failure.text, title=what, severity=failure.severity)

    def call_failed(self, tag: str, failure: Failure) -> None:
        self.show_failure(tag, failure)

    def focus_content(self) -> None:
        """Put the keyboard in the pane's first focusable widget, not the tab bar."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
