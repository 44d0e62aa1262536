"""The key footer, rebuilt once per burst of binding changes instead of once per change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer queues a full recompose for every bindings signal. Start-up (mounts,
    focus moves) sends eight of them in a row, each costing tens of milliseconds of main
    thread before the first paint. Changes within SETTLE seconds share one recompose; a
    footer that lags a focus move by that much is not noticed."""

    SETTLE = 0.1
    _recompose_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._recompose_pending:
            return
        self._recompose_pending = True
        self.set_timer(self.SETTLE, lambda: self._bindings_settled(screen))

    def _bindings_settled(self, screen: Screen) -> None:
        self._recompose_pending = False
        super().bindings_changed(screen)
