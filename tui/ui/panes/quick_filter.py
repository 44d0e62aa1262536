"""The quick filter box of a pane (`/`): shown on demand, and owner of the keys typed into it
even before it has focus."""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input

from tui.ui.textual_private import own_bindings


class QuickFilter:
    """Mixed into a pane with an `Input` of id FILTER_ID (hidden until shown: the pane's CSS
    shows it with class "shown") and a binding to the action ``quick_filter``.

    The box is display:none until the binding shows it, and a hidden widget cannot take focus,
    so it is focused after the next refresh. Keys that arrive before that (a paste, fast
    typing) are the filter's too, not the table's bindings: the "n" in "winter" opened the New
    session form.

    A plain mixin, not a Widget: as a Widget subclass among the pane's bases it changed how
    the Search pane looked (its snapshot test failed)."""

    FILTER_ID = "quick-filter"
    _filter_opening = False

    def _filter_pane(self) -> Widget:
        # Mixed into a Widget only; declaring Widget's names here would hide their types.
        assert isinstance(self, Widget)
        return self

    def quick_filter_box(self) -> Input:
        return self._filter_pane().query_one(f"#{self.FILTER_ID}", Input)

    def action_quick_filter(self) -> None:
        box = self.quick_filter_box()
        box.add_class("shown")
        self._filter_opening = True
        self._filter_pane().call_after_refresh(box.focus)

    def close_quick_filter(self) -> bool:
        """Escape: clear and hide the box. False when it was not shown."""
        self._filter_opening = False
        box = self.quick_filter_box()
        if not box.has_class("shown"):
            return False
        box.value = ""
        box.remove_class("shown")
        return True

    def on_key(self, event: events.Key) -> None:
        if self._filter_opening:
            if event.is_printable and event.character:
                event.stop()
                event.prevent_default()
                self.quick_filter_box().insert_text_at_cursor(event.character)
            return
        # Set here, as the key passes the pane, not when its binding runs: the app checks
        # bindings only once the key has bubbled up to it, after the keys behind it in the
        # burst have already passed through here.
        bindings = own_bindings(self._filter_pane()).key_to_bindings
        if any(binding.action == "quick_filter" for binding in bindings.get(event.key, ())):
            self._filter_opening = True

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.quick_filter_box():
            self._filter_opening = False
