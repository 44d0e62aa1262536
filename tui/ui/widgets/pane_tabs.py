"""The app's tabbed panes: Textual's TabbedContent, minus one way of switching tabs."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import TabbedContent, TabPane


class PaneTabs(TabbedContent):
    """TabbedContent shows the pane in which a widget was focused. Textual applies a focus
    request a turn later, and the news of it reaches this widget a few messages later still,
    so a focus asked for by a pane the user has just left (its rows arrived, a filter closed)
    switched the tab back under their keys. Here only keys and clicks switch panes; a focus
    that lands in a hidden pane is refused and reported, so the app can put it back."""

    class StrayFocus(Message):
        """A widget in a hidden pane took the focus: the shown pane should have it back."""

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        if event.tab_pane.id == self.active:
            return  # TabbedContent's own handler has nothing to change
        event.prevent_default()  # the handler that would switch to the hidden pane
        event.stop()
        self.post_message(self.StrayFocus())
