"""`p` on a stage: a player's connections to the stage's runtime, and disconnecting them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, DataTable, Input, Static

from tui.aws.errors import Failure
from tui.services import gamesparks
from tui.services.gamesparks import PlayerConnection
from tui.ui.contract import game_app
from tui.ui.read_only import HINT, is_read_only
from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, SafeInput, cells
from tui.ui.work import Calls, Job


@dataclass(frozen=True)
class Found:
    player: str
    connections: list[PlayerConnection]


@dataclass(frozen=True)
class Outcome:
    """A disconnect's result (or failure); ``look_up`` the player to look up again after it."""

    text: str
    failed: bool
    look_up: str = ""


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


class PlayerScreen(Modal[None], Calls):
    CSS_PATH = css("lists")
    FOCUS = "#player-id"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, game: str, stage: str) -> None:
        super().__init__()
        self.game, self.stage = game, stage
        self.player = ""
        self.connections: list[PlayerConnection] = []
        self.outcome = ""  # the last disconnect's result, kept in view after the look-up

    def heading(self) -> str:
        return f"Players on {self.game}/{self.stage}"

    def compose_body(self) -> ComposeResult:
        yield SafeInput(placeholder="PlayerId, then enter", compact=True, id="player-id")
        table: DataTable[Text] = DataTable(id="player-connections", cursor_type="row")
        table.add_column("ConnectionId", key="id")
        table.add_column("Created", key="created")
        yield table
        yield Plain("type a PlayerId and press enter to look up its connections",
                    id="player-status")

    def buttons(self) -> list[Button]:
        return [Button("Close", id="player-close"),
                Button("Disconnect…", id="player-disconnect", variant="error", disabled=True)]

    @on(Input.Submitted, "#player-id")
    def look_up(self, event: Input.Submitted) -> None:
        player = event.value.strip()
        if not player:
            return
        self.query_one("#player-status", Static).update(f"⟳ looking up {player}…")
        self._look_up(player)

    def _look_up(self, player: str) -> None:
        app = game_app(self)
        if app is None:
            return
        aws, game, stage = app.aws, self.game, self.stage
        self.run_call("player", lambda job: Found(
                          player, gamesparks.get_player_connection_status(aws, game, stage,
                                                                          player)),
                      done=self.show_found, failed=self.player_failed,
                      description="GetPlayerConnectionStatus", foreground=True)

    def player_failed(self, failure: Failure) -> None:
        # Refused here (read-only) reads as such: nothing was sent.
        text = f"refused: {failure.text}" if failure.kind == "read_only" else failure.text
        self.show_outcome(Outcome(text, failed=True))

    def show_found(self, message: Found) -> None:
        self.player, self.connections = message.player, message.connections
        table = self.query_one("#player-connections", DataTable)
        table.clear()
        for connection in message.connections:
            table.add_row(*cells(connection.id, _when(connection.created)), key=connection.id)
        count = len(message.connections)
        text = (f"{message.player}: {count} connection(s)" if count else
                f"{message.player}: not connected")
        if self.outcome:
            text, self.outcome = f"{self.outcome} · now {text}", ""
        self.query_one("#player-status", Static).update(text)
        button = self.query_one("#player-disconnect", Button)
        if is_read_only(self):  # listed, but it says why instead of opening the confirmation
            button.label = "Disconnect… (read-only)"
            button.disabled = True
            if count:
                self.query_one("#player-status", Static).update(f"{text} · {HINT} to disconnect")
        else:
            button.disabled = not count

    @on(Button.Pressed, "#player-disconnect")
    def action_disconnect(self) -> None:
        from tui.ui.screens.confirm import ConfirmModal

        if not self.player:
            return
        if is_read_only(self):
            self.notify(f"{HINT} to disconnect a player", title="read-only", severity="warning")
            return
        player = self.player
        lines = "\n".join(f"  {c.id}  since {_when(c.created)}" for c in self.connections)
        body = (f"Close all {len(self.connections)} connection(s) of {player} to stage "
                f"{self.stage}:\n{lines}\nThe game client may reconnect.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one("#player-status", Static).update(f"⟳ disconnecting {player}…")
                self._disconnect(player)

        self.app.push_screen(ConfirmModal(
            f"Disconnect {player}?", body,
            gamesparks.cli_disconnect_player(self.game, self.stage, player),
            confirm_label="Disconnect"), answered)

    def _disconnect(self, player: str) -> None:
        app = game_app(self)
        if app is None:
            return
        aws, game, stage = app.aws, self.game, self.stage

        def disconnect(job: Job) -> Outcome:
            closed, failed = gamesparks.disconnect_player(aws, game, stage, player)
            text = f"{player}: {len(closed)} connection(s) closed"
            if failed:
                text += f", {len(failed)} failed ({', '.join(failed)})"
            return Outcome(text, failed=bool(failed), look_up=player)

        # A change: run beside any look-up, so its answer is never dropped.
        self.run_call("disconnect", disconnect, done=self.show_outcome,
                      failed=self.player_failed, exclusive=False, description="DisconnectPlayer")

    def show_outcome(self, message: Outcome) -> None:
        self.query_one("#player-status", Static).update(
            ("⚠ " if message.failed else "") + message.text)
        self.notify(message.text, title="Player", severity="warning" if message.failed
                    else "information")
        if message.look_up:
            self.outcome = message.text
            self._look_up(message.look_up)

    @on(Button.Pressed, "#player-close")
    def action_close(self) -> None:
        self.dismiss(None)
