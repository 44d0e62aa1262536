"""The app contract: what panes, screens, commands and the palette may ask of the app.

``GameOpsApp`` (tui.ui.app) is its one implementation. Everything the app composes reaches the
app through this class (``game_app(node)``), never by importing tui.ui.app, which imports them:
so the app sits above its widgets and no module of the UI imports back up to it.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Protocol

from textual.app import App
from textual.dom import DOMNode

if TYPE_CHECKING:
    from concurrent.futures import Future
    from pathlib import Path

    from tui.aws.session import AwsContext
    from tui.config import BannerRule, Settings
    from tui.services.drains import DrainStore
    from tui.services.export import ExportTable
    from tui.services.filter_builder import SearchSpec
    from tui.services.gamelift import FleetRow
    from tui.services.pacing import InputPacer

# (pane id, tab label): the tabs in order; the label's first character is the pane's key.
PANES = (
    ("sessions", "1 Sessions"),
    ("search", "2 Search"),
    ("scripts", "3 Scripts"),
    ("stages", "4 Stages"),
)


class ShownPane(Protocol):
    """What the app's commands may ask of the pane on screen (tui.ui.panes.base.Pane)."""

    title: str

    def refresh_data(self) -> None: ...

    def export_table(self) -> ExportTable: ...

    def focus_content(self) -> None: ...


class GameApp(App[int]):
    """The app as its parts see it. Abstract: only GameOpsApp is ever built."""

    aws: AwsContext
    settings: Settings
    account_id: str
    identity_error: str
    switching: bool
    keymap_overrides: dict[str, str]
    last_data_at: float
    drain_store: DrainStore

    @property
    @abstractmethod
    def pacer(self) -> InputPacer:
        """What paging workers call before each request and parse."""

    @abstractmethod
    def staying(self) -> bool:
        """False once the app is on its way out: nothing more to build or load."""

    @abstractmethod
    def note_data(self) -> None:
        """Rows arrived: cosmetic rebuilds wait until they stop coming."""

    @abstractmethod
    def take_prefetched_fleets(self, aws: AwsContext) -> Future[list[FleetRow]] | None:
        """The fleet overview asked for before the screen existed, once."""

    @abstractmethod
    def active_pane_id(self) -> str: ...

    @abstractmethod
    def current_pane(self) -> ShownPane | None: ...

    @abstractmethod
    async def action_show_pane(self, pane_id: str) -> None: ...

    @abstractmethod
    def action_refresh_pane(self) -> None: ...

    @abstractmethod
    def action_help(self) -> None: ...

    @abstractmethod
    def action_pick_profile(self) -> None: ...

    @abstractmethod
    def action_pick_region(self) -> None: ...

    @abstractmethod
    def action_reconnect(self) -> None: ...

    @abstractmethod
    def key_for(self, action: str) -> str:
        """The key bound to an app action now (after keymap overrides), for messages."""

    @abstractmethod
    def explain_read_only(self, what: str) -> None: ...

    @abstractmethod
    def exported(self, path: Path) -> None: ...

    @abstractmethod
    def banner(self) -> BannerRule | None: ...

    @abstractmethod
    def drains_followed(self) -> tuple[int, bool]: ...

    @abstractmethod
    async def resume_drains(self) -> None: ...

    @abstractmethod
    async def rebuild_panes(self) -> None: ...

    @abstractmethod
    async def run_saved_search(self, spec: SearchSpec) -> None: ...


def game_app(node: DOMNode) -> GameApp | None:
    """The node's app as the GameApp it is (None for a widget in some other app, as in a
    widget's own unit test)."""
    app = node.app
    return app if isinstance(app, GameApp) else None
