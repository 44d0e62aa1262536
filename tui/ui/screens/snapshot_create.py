"""`n`: create a snapshot of a game's current configuration, with a description."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.services.gamesparks import cli_create_snapshot
from tui.ui.screens.base import OnceConfirm
from tui.ui.widgets.plain import Plain, SafeInput


class SnapshotCreateModal(OnceConfirm[str | None]):
    """Returns the description (possibly empty, never trimmed) or None when cancelled.

    The form is its own confirmation (it shows the CLI of what Create sends), so it is a
    OnceConfirm: it creates once, and an Enter typed before it was drawn does not create."""

    DEFAULT_CSS = """
    SnapshotCreateModal { align: center middle; }
    SnapshotCreateModal > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    SnapshotCreateModal .title { text-style: bold; }
    SnapshotCreateModal .cli { color: $text-muted; margin-top: 1; }
    SnapshotCreateModal Horizontal { height: auto; margin-top: 1; }
    SnapshotCreateModal Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, game: str) -> None:
        super().__init__()
        self.game = game

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"Create a snapshot of {self.game}'s current configuration",
                         classes="title")
            yield Plain("Description (at most 250 characters; enter creates):")
            yield SafeInput(placeholder="e.g. before the winter event", max_length=250,
                        compact=True, id="snapshot-description")
            yield Plain(f"as AWS CLI: {cli_create_snapshot(self.game, '')}", classes="cli",
                         id="snapshot-cli")
            with Horizontal():
                yield Button("Cancel", id="snapshot-cancel")
                yield Button("Create", id="snapshot-create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#snapshot-description", Input).focus()

    @on(Input.Changed, "#snapshot-description")
    def changed(self, event: Input.Changed) -> None:
        self.query_one("#snapshot-cli", Static).update(
            f"as AWS CLI: {cli_create_snapshot(self.game, event.value)}")

    @on(Input.Submitted, "#snapshot-description")
    @on(Button.Pressed, "#snapshot-create")
    def create(self) -> None:
        if self.may_confirm():
            self.dismiss(self.query_one("#snapshot-description", Input).value)

    @on(Button.Pressed, "#snapshot-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
