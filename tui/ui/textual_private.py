"""Every use of Textual's private API, in one place.

Textual has no public way to do these; each is needed for speed or for a clean exit, and each may
change in any Textual release. Nothing else under ``tui/`` reaches for a private Textual name:
it calls a function here. ``tests/test_textual_private.py`` checks every one of them against the
installed Textual, so an upgrade that renames or removes one fails there, naming the Textual
version, instead of failing somewhere in the app.

Besides the attributes below, two widgets (``panes.search.WhereSelect``,
``screens.base.OnceModal``) define ``_on_<event>`` handlers: Textual calls those before the
``on_<event>`` ones (``MessagePump._get_dispatch_methods``), a private convention the test
checks too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

# Textual exports no FooterKey: the key footer restyles Footer's own key widgets.
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.app import App
    from textual.binding import BindingsMap
    from textual.dom import DOMNode
    from textual.driver import Driver
    from textual.geometry import Size
    from textual.message import Message
    from textual.screen import Screen
    from textual.widget import Widget

__all__ = [
    "PRIVATE_NAMES", "FooterKey", "driver", "event_loop", "exiting", "own_bindings",
    "reactive_bindings", "scroll_update", "textual_version", "watch_driver_messages",
    "watch_frames",
]

# (where, name): what the test checks; keep in step with the functions below.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("textual.widgets._footer", "FooterKey"),
    ("App", "_driver"),
    ("App", "_exit"),
    ("App", "_loop"),
    ("App", "_display"),
    ("DOMNode", "_bindings"),
    ("DOMNode", "_reactive_connect"),
    ("Widget", "_scroll_update"),
    ("MessagePump", "_get_dispatch_methods"),
)


def textual_version() -> str:
    return version("textual")


def exiting(app: App[Any]) -> bool:
    """Whether ``app.exit()`` has been called (the app may still be running its shutdown)."""
    return bool(app._exit)


def event_loop(app: App[Any]) -> asyncio.AbstractEventLoop | None:
    """The loop the app runs on, or None before it starts: a signal handler (main thread,
    between two bytecodes) hands its work to it."""
    loop = app._loop
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None


def driver(app: App[Any]) -> Driver | None:
    """The terminal driver, once the app runs (None before, and after it stops)."""
    return app._driver


def watch_driver_messages(app: App[Any], seen: Callable[[Message], None]) -> bool:
    """Call ``seen`` in the driver's input thread for every message it sends to the app, before
    the app's queue: the earliest a program can know of a key. False when there is no driver."""
    the_driver = app._driver
    if the_driver is None:
        return False
    send = the_driver.send_message

    def send_message(message: Message) -> None:
        seen(message)
        send(message)

    # Replacing a bound method on the instance is the point (Textual has no hook here).
    the_driver.send_message = send_message  # type: ignore[method-assign]
    return True


def watch_frames(app: App[Any], shown: Callable[[], None]) -> None:
    """Call ``shown`` after each frame has been handed to the terminal."""
    display = app._display

    def display_and_tell(screen: Screen[Any], renderable: RenderableType | None) -> None:
        display(screen, renderable)
        shown()

    # As above: wrapping one app's _display is the only way to see a frame handed over.
    app._display = display_and_tell  # type: ignore[method-assign]


def own_bindings(node: DOMNode) -> BindingsMap:
    """The bindings a node declares itself (its BINDINGS and its classes'), keymap applied."""
    return node._bindings


def reactive_bindings(node: DOMNode) -> Mapping[str, object]:
    """The reactives of ``node`` bound to a parent's (``data_bind``), by name."""
    return node._reactive_connect or {}


def scroll_update(widget: Widget, virtual_size: Size) -> None:
    """Scrollbars and scroll offset for a new virtual size, without laying the screen out
    again (what setting ``virtual_size`` would do)."""
    widget._scroll_update(virtual_size)
