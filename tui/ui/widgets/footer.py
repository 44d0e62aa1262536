"""The key footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer recomposes (new key widgets, CSS, a layout of the screen) on every
    bindings signal: each focus move, each mount. Start-up sends eight in a row, and a search
    that moves the focus to its results pays one while pages stream in. Here signals within
    SETTLE seconds share one look, and the footer is rebuilt only when the keys it would show
    differ from those it shows."""

    SETTLE = 0.1
    _recompose_pending = False
    _shown: Any = None

    def bindings_changed(self, screen: Screen) -> None:
        if self._recompose_pending:
            return
        self._recompose_pending = True
        self.set_timer(self.SETTLE, lambda: self._bindings_settled(screen))

    def _bindings_settled(self, screen: Screen) -> None:
        self._recompose_pending = False
        if not self.is_attached:
            return
        shown = self._keys_shown(screen)
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)

    def _keys_shown(self, screen: Screen) -> tuple[Any, ...]:
        """What `Footer.compose` draws from the active bindings."""
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description,
             binding.action, enabled, tooltip, binding.group)
            for _node, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING)
