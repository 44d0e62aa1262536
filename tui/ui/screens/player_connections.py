"""`p` on a stage: a player's connections to the stage's runtime, and disconnecting them."""

from __future__ import annotations

import datetime as dt

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from tui.services import gamesparks
from tui.services.gamesparks import PlayerConnection
from tui.ui.read_only import HINT, is_read_only
from tui.ui.screens.base import OnceModal
from tui.ui.widgets.plain import Plain, SafeInput, cells


class ConnectionsFound(Message):
    def __init__(self, player: str, connections: list[PlayerConnection]) -> None:
        super().__init__()
        self.player, self.connections = player, connections


class PlayerOutcome(Message):
    def __init__(self, text: str, failed: bool, look_up: str = "") -> None:
        super().__init__()
        self.text, self.failed, self.look_up = text, failed, look_up


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


class PlayerScreen(OnceModal[None]):
    DEFAULT_CSS = """
    PlayerScreen { align: center middle; }
    PlayerScreen > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    PlayerScreen .title { text-style: bold; }
    PlayerScreen DataTable { height: auto; max-height: 8; }
    PlayerScreen Horizontal { height: auto; }
    PlayerScreen Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, game: str, stage: str) -> None:
        super().__init__()
        self.game, self.stage = game, stage
        self.player = ""
        self.connections: list[PlayerConnection] = []
        self.outcome = ""  # the last disconnect's result, kept in view after the look-up

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"Players on {self.game}/{self.stage}", classes="title")
            yield SafeInput(placeholder="PlayerId, then enter", compact=True, id="player-id")
            table = DataTable(id="player-connections", cursor_type="row")
            table.add_column("ConnectionId", key="id")
            table.add_column("Created", key="created")
            yield table
            yield Plain("type a PlayerId and press enter to look up its connections",
                         id="player-status")
            with Horizontal():
                yield Button("Close", id="player-close")
                yield Button("Disconnect…", id="player-disconnect", variant="error",
                             disabled=True)

    def on_mount(self) -> None:
        self.query_one("#player-id", Input).focus()

    @on(Input.Submitted, "#player-id")
    def look_up(self, event: Input.Submitted) -> None:
        player = event.value.strip()
        if not player:
            return
        self.query_one("#player-status", Static).update(f"⟳ looking up {player}…")
        self._look_up(player)

    @work(thread=True, exclusive=True, group="player", exit_on_error=False,
          description="GetPlayerConnectionStatus")
    def _look_up(self, player: str) -> None:
        try:
            found = gamesparks.get_player_connection_status(
                self.app.aws, self.game, self.stage, player)  # type: ignore[attr-defined]
        except Exception as err:
            self.post_message(PlayerOutcome(self.app.aws.explain(err), failed=True))
            return
        self.post_message(ConnectionsFound(player, found))

    def on_connections_found(self, message: ConnectionsFound) -> None:
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

    @work(thread=True, exclusive=True, group="player", exit_on_error=False,
          description="DisconnectPlayer")
    def _disconnect(self, player: str) -> None:
        from tui.aws.guard import ReadOnlyViolation

        try:
            closed, failed = gamesparks.disconnect_player(
                self.app.aws, self.game, self.stage, player)  # type: ignore[attr-defined]
        except ReadOnlyViolation as err:
            self.post_message(PlayerOutcome(f"refused: {err}", failed=True))
            return
        except Exception as err:
            self.post_message(PlayerOutcome(self.app.aws.explain(err), failed=True))
            return
        text = f"{player}: {len(closed)} connection(s) closed"
        if failed:
            text += f", {len(failed)} failed ({', '.join(failed)})"
        self.post_message(PlayerOutcome(text, failed=bool(failed), look_up=player))

    def on_player_outcome(self, message: PlayerOutcome) -> None:
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
