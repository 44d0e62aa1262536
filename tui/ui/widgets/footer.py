"""The key footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from tui.ui.contract import game_app
from tui.ui.textual_private import FooterKey, reactive_bindings


class KeyFooter(Footer):
    """Textual's Footer recomposes (new key widgets, CSS, a layout of the screen) on every
    bindings signal: each focus move, each mount. Start-up sends eight in a row, and a search
    that moves the focus to its results pays one while pages stream in. Here signals within
    SETTLE seconds share one look, and the footer is rebuilt only when the keys it would show
    differ from those it shows."""

    SETTLE = 0.1
    # While rows stream in (the app's `last_data_at` is recent) the rebuild waits, up to this
    # long: its layout of the whole screen held up the pages it would have been drawn between.
    # The keys work at once either way; only their hints are late.
    MAX_DEFER = 1.0
    _recompose_pending = False
    _asked_at = 0.0
    _shown: Any = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            bound = reactive_bindings(widget)
            if isinstance(widget, FooterKey) and "compact" in bound:
                # Each key would otherwise restyle itself twice as it mounts: once for the
                # reactive's default (compact) and once more for the footer's value bound to
                # it. Given the bound value first, it does neither.
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self._recompose_pending:
            return
        self._recompose_pending = True
        self._asked_at = time.monotonic()
        self.set_timer(self.SETTLE, lambda: self._bindings_settled(screen))

    def _bindings_settled(self, screen: Screen[Any]) -> None:
        if not self.is_attached:
            self._recompose_pending = False
            return
        now = time.monotonic()
        app = game_app(self)
        last_data_at = app.last_data_at if app is not None else 0.0
        if (now - last_data_at < self.SETTLE
                and now - self._asked_at < self.MAX_DEFER):
            self.set_timer(self.SETTLE, lambda: self._bindings_settled(screen))
            return
        self._recompose_pending = False
        shown = self._keys_shown(screen)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)

    def _keys_shown(self, screen: Screen[Any]) -> tuple[Any, ...]:
        """What `Footer.compose` draws from the active bindings."""
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description,
             binding.action, enabled, tooltip, binding.group)
            for _node, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING)
