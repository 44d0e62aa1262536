"""Tiny apps that show one screen or one widget on a blank screen, for snapshot tests
(Textual's ``tests/snapshot_tests/snapshot_apps/`` style): a picture then covers that screen or
widget alone, not the panes and data behind it.

- :class:`ModalHarness` is a plain Textual app: for screens that need nothing from the app.
- :class:`GameHarness` is the real app class with its panes left out: for screens that call
  AWS (they reach the app's context through ``contract.game_app``), pointed at a real simulator.
- :class:`GridHarness` is a plain Textual app holding one :class:`SessionGrid`, with the
  session panes' columns and rows made as those panes make them.
- :class:`StageTreeHarness` is the real app class holding only the Stages pane, its detail
  panel, progress bar and status line hidden: the stage tree fills the screen, filled by the
  pane's own loads and merges.

A world built with ``frozen_at=FIXED_NOW`` (a WorldSpec field) is built as of that moment with
its clock stopped there, so the times it serves (and the ids made from its seeds) are the same on
every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual._path import _css_path_type_as_list as _css_type_as_list
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tui.aws.records import GameSession
from tui.aws.session import AwsContext, Target
from tui.ui import app as app_module
from tui.ui.app import GameOpsApp
from tui.ui.panes.session_table import COLUMN_PRIORITY, SESSION_COLUMNS, session_cells
from tui.ui.panes.stages import StagesPane
from tui.ui.widgets.session_grid import SessionGrid

if TYPE_CHECKING:
    pass

MakeScreen = Callable[[], Screen[Any]]

FIXED_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z: the moment a pinned world is built at


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


class _DemoApp(GameOpsApp):
    """The app on the demo target at ``endpoint_url`` (a running simulator), with none of its
    own layout: subclasses compose what they show."""

    # Textual resolves a relative CSS_PATH against the module of the class that declares it.
    CSS_PATH = [Path(app_module.__file__).parent / path
                for path in _css_type_as_list(GameOpsApp.CSS_PATH)]

    def __init__(self, endpoint_url: str, *, read_only: bool = False) -> None:
        target = Target(api_budget=None, region="us-west-2", endpoint_url=endpoint_url, demo=True,
                        read_only=read_only)
        super().__init__(AwsContext(target))

    def compose(self) -> ComposeResult:
        yield Static("", id="blank")


class GameHarness(_DemoApp):
    """The app with no panes, bar or footer: only ``make()`` on a blank screen, with the app's
    AWS context on the demo target at ``endpoint_url`` (a running simulator)."""

    def __init__(self, endpoint_url: str, make: MakeScreen, *, read_only: bool = False) -> None:
        super().__init__(endpoint_url, read_only=read_only)
        self.make = make
        self.shown: Screen[Any] | None = None

    def on_mount(self, event: events.Mount) -> None:
        # Not GameOpsApp.on_mount (Textual would call it next): it starts the panes of the
        # real layout, which this app does not have. Only its theme is taken.
        event.prevent_default()
        self.start_theme()
        self.shown = self.make()
        self.push_screen(self.shown)


class GridHarness(App[None]):
    """A SessionGrid alone, with the session panes' columns (and their priorities when the
    screen is narrow), holding one row per session as the panes draw it (``session_cells``,
    ``now`` for the age, ``marked`` ids with their mark), the cursor on row ``cursor`` and the
    grid focused."""

    def __init__(self, sessions: Iterable[GameSession], now: dt.datetime, *, cursor: int = 0,
                 marked: Collection[str] = ()) -> None:
        super().__init__()
        self.rows = [(s.game_session_id, session_cells(s, now, s.game_session_id in marked))
                     for s in sessions]
        self.cursor = cursor
        self.ready = False

    def compose(self) -> ComposeResult:
        grid = SessionGrid(id="session-table")
        for key, label, width in SESSION_COLUMNS:
            grid.add_column(label, key=key, width=width, priority=COLUMN_PRIORITY[key])
        yield grid

    @property
    def grid(self) -> SessionGrid:
        return self.query_one(SessionGrid)

    def on_mount(self) -> None:
        grid = self.grid
        grid.set_rows(self.rows)
        grid.move_cursor(row=self.cursor)
        grid.focus()
        self.ready = True


class StageTreeHarness(_DemoApp):
    """The Stages pane alone with its detail panel, progress bar and status line hidden: its
    tree fills the screen. The pane's first load starts once mounted; tests expand the nodes
    (the pane loads what they hold, as when the user expands them)."""

    CSS = """
    Screen StagesPane #stages-body #stages-detail { display: none; }
    Screen StagesPane #stages-progress, Screen StagesPane .status-line { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield StagesPane(id="stages")

    @property
    def pane(self) -> StagesPane:
        return self.query_one(StagesPane)

    def active_pane_id(self) -> str:
        return "stages"  # the only pane there is (the app asks its tabs)

    def on_mount(self, event: events.Mount) -> None:
        # Not GameOpsApp.on_mount (Textual would call it next): it starts the panes of the
        # real layout. Only its theme is taken.
        event.prevent_default()
        self.start_theme()
        self.pane.begin_first_load()
