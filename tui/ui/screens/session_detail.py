"""`enter` on a session: every GameSession field, its properties, matchmaker data and players."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from tui.aws.errors import Failure
from tui.aws.records import GameSession, PlayerSession
from tui.aws.session import AwsContext
from tui.services import gamelift
from tui.ui.contract import game_app
from tui.ui.screens.base import HERE
from tui.ui.widgets.plain import Plain, cell, cells, visible
from tui.ui.work import Calls, Job


@dataclass(frozen=True)
class LogOutcome:
    """What the log download came to: said on the status line and as a notification."""

    text: str


NO_LOG_YET = "no log yet: GameLift uploads it when the session ends (and keeps it 14 days)"


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _pretty(text: str | None) -> str:
    if not text:
        return "-"
    try:
        # ensure_ascii: every control, C1 and bidi character of the data becomes a \u escape.
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return visible(text)


def fields_table(session: GameSession) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    rows = [
        ("GameSessionId", session.game_session_id),
        ("Name", session.name or "-"),
        ("FleetId", session.fleet_id),
        ("Status", session.status + (f" ({session.status_reason})"
                                     if session.status_reason else "")),
        ("Players", f"{session.current_player_session_count} of "
                    f"{session.maximum_player_session_count}"),
        ("New players", session.player_session_creation_policy or "-"),
        ("Protection", session.protection_policy or "-"),
        ("Location", session.location or "-"),
        ("Address", f"{session.ip_address}:{session.port}  {session.dns_name or ''}"),
        ("Created", _when(session.creation_time)),
        ("Terminated", _when(session.termination_time)),
        ("CreatorId", session.creator_id or "-"),
        ("GameSessionData", session.game_session_data or "-"),
    ]
    for key, value in rows:
        table.add_row(key, cell(value))  # a str cell would be parsed as markup
    return table


def properties_table(session: GameSession) -> Table:
    table = Table(title="GameProperties", title_justify="left", box=None, padding=(0, 1))
    table.add_column("Key", style="bold")
    table.add_column("Value")
    for key, value in session.game_properties:
        note = "  (not searchable: key has '.')" if "." in key else ""
        table.add_row(cell(key), Text.assemble(visible(value), (note, "dim")))
    if not session.game_properties:
        table.add_row("-", "no game properties")
    return table


class SessionDetailScreen(Screen[None], Calls):
    CSS_PATH = [HERE / "detail.tcss"]
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("c", "copy_id", "Copy ARN"),
        Binding("g", "download_log", "Get log"),
    ]

    def __init__(self, session: GameSession) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Plain(fields_table(self.session), id="fields")
            yield Plain(properties_table(self.session), id="properties")
            yield Plain("MatchmakerData", classes="heading")
            yield Plain(_pretty(self.session.matchmaker_data), id="matchmaker")
            yield Plain("Player sessions", classes="heading")
            players: DataTable[Text] = DataTable(id="players", cursor_type="row")
            for label in ("PlayerId", "Status", "IP", "Created", "Ended"):
                players.add_column(label, key=label)
            yield players
            yield Plain("loading players…", id="players-status")
            yield ProgressBar(id="log-progress", show_eta=False)
            yield Plain("g downloads the game session log (available once the session ended)",
                         id="log-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#players", DataTable).focus()
        app = game_app(self)
        if app is None:
            return
        aws, session_id = app.aws, self.session.game_session_id
        self.run_call("players",
                      lambda job: list(gamelift.iter_player_sessions(aws, session_id)),
                      done=self.show_players, failed=self.players_failed,
                      description="DescribePlayerSessions", foreground=True)

    def show_players(self, players: list[PlayerSession]) -> None:
        table = self.query_one("#players", DataTable)
        for player in players:
            table.add_row(*cells(player.player_id or "-", player.status,
                                 player.ip_address or "-", _when(player.creation_time),
                                 _when(player.termination_time)),
                          key=player.player_session_id)
        active = sum(1 for p in players if p.status == "ACTIVE")
        self.query_one("#players-status", Static).update(
            f"{len(players)} player sessions, {active} active")

    def players_failed(self, failure: Failure) -> None:
        self.show_failure("#players-status", failure)

    def log_failed(self, failure: Failure) -> None:
        if failure.kind == "not_found":  # GetGameSessionLogUrl: nothing uploaded (yet)
            self.log_done(LogOutcome(NO_LOG_YET))
            return
        self.show_failure("#log-status", failure)

    def show_failure(self, where: str, failure: Failure) -> None:
        self.query_one(where, Static).update(f"⚠ {failure.text}")
        self.notify(failure.text, title="AWS error", severity="error")

    def action_download_log(self) -> None:
        app = game_app(self)
        if app is None:
            return
        self.query_one("#log-status", Static).update("requesting the log URL…")
        aws, session = app.aws, self.session
        bar = self.query_one("#log-progress", ProgressBar)
        self.run_call("log", lambda job: download_log(aws, session, job),
                      done=self.log_done, failed=self.log_failed,
                      progress=lambda done_total: bar.update(total=done_total[1],
                                                             progress=done_total[0]),
                      description="GetGameSessionLogUrl + download", foreground=True)

    def log_done(self, outcome: LogOutcome) -> None:
        self.query_one("#log-status", Static).update(outcome.text)
        self.notify(outcome.text, title="Game session log")

    def action_copy_id(self) -> None:
        # copy_to_clipboard uses OSC 52, which reaches the user's clipboard over SSH too.
        self.app.copy_to_clipboard(self.session.game_session_id)
        self.notify("GameSessionId copied to the clipboard")


def download_log(aws: AwsContext, session: GameSession, job: Job) -> LogOutcome:
    """GetGameSessionLogUrl, then the download into the downloads folder (in the worker);
    ``job.progress`` gets (bytes so far, total or None). A session with no log yet raises
    NotFoundException (a failure of kind ``not_found``)."""
    from tui import locations
    from tui.services.downloads import DownloadError, destination_in, download

    url = gamelift.get_game_session_log_url(aws, session.game_session_id)
    try:
        # The session id's last part is the creator's custom id: service text, so it is made
        # one safe file name inside the downloads folder.
        target = destination_in(locations.downloads_dir(), f"{session.short_id}.log.zz",
                                fallback="game-session.log.zz")
    except (OSError, ValueError) as err:  # an unusable folder, a name that would leave it
        return LogOutcome(f"⚠ nothing was written: {err}")
    try:
        path = download(url, target, lambda done, total: job.progress((done, total)))
    except DownloadError as err:
        return LogOutcome(f"⚠ {err}")
    return LogOutcome(f"saved {path}")
