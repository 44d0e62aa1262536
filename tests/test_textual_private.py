"""The private Textual API the app relies on (all of it in tui.ui.textual_private) is still there.

A Textual upgrade that renames or removes one of these fails here, with the Textual version in
the message, rather than as a slow key, a frozen exit or a traceback somewhere in the app.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.geometry import Size
from textual.message_pump import MessagePump
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Footer, Static

from tui.ui import textual_private as tp


def _gone(where: str, name: str) -> str:
    return (f"Textual {tp.textual_version()} has no {where}.{name} any more: "
            "tui/ui/textual_private.py relies on it; adapt it to this Textual version")


class Probe(App[None]):
    BINDINGS = [Binding("x", "mark", "Mark", id="probe.mark")]

    def __init__(self) -> None:
        super().__init__()
        self.early: list[str] = []

    def compose(self) -> ComposeResult:
        yield EarlyHandler()
        yield Skipping()
        yield BoundFooter()


class BoundFooter(Footer):
    """Notes which reactives its key widgets are bound to as it composes them (as KeyFooter
    does; Textual consumes the bindings when the widget mounts)."""

    bound: list[str] = []

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, tp.FooterKey):
                BoundFooter.bound.extend(tp.reactive_bindings(widget))
            yield widget


class Base(Static):
    def _on_mount(self, _event: events.Mount) -> None:
        app = self.app
        assert isinstance(app, Probe)
        app.early.append(f"{type(self).__name__}: base _on_mount")


class EarlyHandler(Base):
    """A subclass's on_mount does not replace its base's _on_mount (OnceModal relies on it)."""

    def on_mount(self) -> None:
        app = self.app
        assert isinstance(app, Probe)
        app.early.append("EarlyHandler: on_mount")


class Skipping(Base):
    """A _on_mount that prevents the default skips its bases' handlers (WhereSelect)."""

    def _on_mount(self, event: events.Mount) -> None:
        app = self.app
        assert isinstance(app, Probe)
        app.early.append("Skipping: _on_mount")
        event.prevent_default()


def test_every_private_name_is_still_there() -> None:
    app = Probe()
    widget = Widget()
    holders: dict[str, Any] = {"App": app, "DOMNode": widget, "Widget": widget,
                               "MessagePump": MessagePump}
    for where, name in tp.PRIVATE_NAMES:
        holder = holders.get(where) or importlib.import_module(where)
        assert hasattr(holder, name), _gone(where, name)


def test_the_types_are_what_the_adapter_expects() -> None:
    app = Probe()
    assert isinstance(tp.own_bindings(app), BindingsMap), _gone("DOMNode", "_bindings")
    assert any(b.id == "probe.mark" for bs in tp.own_bindings(app).key_to_bindings.values()
               for b in bs), _gone("DOMNode", "_bindings.key_to_bindings")
    assert tp.exiting(app) is False, _gone("App", "_exit")
    assert tp.event_loop(app) is None, _gone("App", "_loop")
    assert tp.driver(app) is None, _gone("App", "_driver")
    assert issubclass(tp.FooterKey, Widget), _gone("textual.widgets._footer", "FooterKey")
    assert tp.reactive_bindings(Widget()) == {}, _gone("DOMNode", "_reactive_connect")


async def test_the_private_hooks_work_on_a_running_app() -> None:
    app = Probe()
    frames: list[int] = []
    driven: list[str] = []
    async with app.run_test(size=(60, 10)) as pilot:
        assert tp.event_loop(app) is asyncio.get_running_loop(), _gone("App", "_loop")
        assert tp.driver(app) is not None, _gone("App", "_driver")
        assert tp.watch_driver_messages(
            app, lambda m: driven.append(m.key) if isinstance(m, events.Key) else None)
        tp.watch_frames(app, lambda: frames.append(1))
        await pilot.press("x")
        app.refresh()
        await pilot.pause()
        await pilot.pause(0.05)
        assert driven == ["x"], _gone("App", "_driver.send_message")
        assert frames, _gone("App", "_display")
        # Footer keys bound to the footer's compact reactive (what KeyFooter relies on).
        assert list(app.query(tp.FooterKey)), _gone("textual.widgets._footer", "FooterKey")
        assert "compact" in BoundFooter.bound, _gone("FooterKey", "_reactive_connect")
        # _on_<event> handlers run as a class's handler, in the order of the classes.
        assert app.early == ["EarlyHandler: on_mount", "EarlyHandler: base _on_mount",
                             "Skipping: _on_mount"], _gone("MessagePump",
                                                           "_get_dispatch_methods")
        app.exit()
        assert tp.exiting(app), _gone("App", "_exit")


async def test_scroll_update_takes_a_virtual_size() -> None:
    class Scrolled(App[None]):
        def compose(self) -> ComposeResult:
            yield ScrollView()

    async with Scrolled().run_test(size=(40, 10)) as pilot:
        view = pilot.app.query_one(ScrollView)
        try:
            tp.scroll_update(view, Size(40, 100))
        except (AttributeError, TypeError) as err:
            pytest.fail(f"{_gone('Widget', '_scroll_update')} ({err})")
