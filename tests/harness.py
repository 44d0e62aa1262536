"""Tiny apps that show one screen on a blank screen, for snapshot tests (Textual's
``tests/snapshot_tests/snapshot_apps/`` style): a picture then covers that screen alone, not
the panes and data behind it.

- :class:`ModalHarness` is a plain Textual app: for screens that need nothing from the app.
- :class:`GameHarness` is the real app class with its panes left out: for screens that call
  AWS (they reach the app's context through ``game_app``), pointed at a real simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual._path import _css_path_type_as_list as _css_type_as_list
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tui.aws.session import AwsContext, Target
from tui.ui import app as app_module
from tui.ui.app import GameOpsApp

MakeScreen = Callable[[], Screen[Any]]


class ModalHarness(App[None]):
    """A blank screen with ``make()`` pushed over it once mounted."""

    def __init__(self, make: MakeScreen) -> None:
        super().__init__()
        self.make = make
        self.shown: Screen[Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="blank")

    def on_mount(self) -> None:
        self.shown = self.make()
        self.push_screen(self.shown)


class GameHarness(GameOpsApp):
    """The app with no panes, bar or footer: only ``make()`` on a blank screen, with the app's
    AWS context on the demo target at ``endpoint_url`` (a running simulator)."""

    # Textual resolves a relative CSS_PATH against the module of the class that declares it.
    CSS_PATH = [Path(app_module.__file__).parent / path
                for path in _css_type_as_list(GameOpsApp.CSS_PATH)]

    def __init__(self, endpoint_url: str, make: MakeScreen, *, read_only: bool = False) -> None:
        target = Target(region="us-west-2", endpoint_url=endpoint_url, demo=True,
                        read_only=read_only)
        super().__init__(AwsContext(target))
        self.make = make
        self.shown: Screen[Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="blank")

    def on_mount(self) -> None:
        self.shown = self.make()
        self.push_screen(self.shown)
