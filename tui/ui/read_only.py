"""Read-only mode at the keyboard: the keys that would change something stay listed, drawn
disabled (footer, help, palette), and a press says why instead of walking a flow that the
read-only guard would refuse at its very end.

The guard in the aws layer stays the one that refuses the calls; this only spares the user a
form and a confirmation that could never be sent.
"""

from __future__ import annotations

from typing import ClassVar

from textual.dom import DOMNode

from tui.ui.contract import game_app

HINT = "read-only: start without --read-only"


def is_read_only(node: DOMNode) -> bool:
    app = game_app(node)
    return app is not None and app.aws.read_only


def action_name(action: str) -> str:
    """``"builder('add')"`` → ``"builder"``; namespaces (``app.``) are not ours to refuse."""
    return action.partition("(")[0]


class ReadOnlyKeys:
    """Mixin for a widget some of whose actions change things (``MUTATING_ACTIONS``): in
    read-only mode ``check_action`` answers None, which Textual draws as a disabled binding.
    A disabled binding's press does nothing in Textual; the app explains it (``on_key``)."""

    MUTATING_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def refuses(self, action: str) -> bool:
        return (action_name(action) in self.MUTATING_ACTIONS and isinstance(self, DOMNode)
                and is_read_only(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.refuses(action):
            return None
        # A mixin: the widget it is mixed into defines check_action, object does not.
        return super().check_action(action, parameters)  # type: ignore[misc]


def refused_here(node: DOMNode, action: str) -> bool:
    """True when ``action`` on ``node`` is one that read-only mode disables."""
    return isinstance(node, ReadOnlyKeys) and node.refuses(action)
