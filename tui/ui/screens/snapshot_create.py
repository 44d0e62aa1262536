"""`n`: create a snapshot of a game's current configuration, with a description."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Static

from tui.services.gamesparks import cli_create_snapshot
from tui.ui.screens.base import Confirm, css
from tui.ui.widgets.plain import Plain, SafeInput


class SnapshotCreateModal(Confirm[str | None]):
    """Returns the description (possibly empty, never trimmed) or None when cancelled.

    The form is its own confirmation (it shows the CLI of what Create sends), so it is a
    confirmation: it creates once, and an Enter typed before it was drawn does not create."""

    CSS_PATH = css("confirm")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    FOCUS = "#snapshot-description"

    def __init__(self, game: str) -> None:
        super().__init__()
        self.game = game

    def heading(self) -> str:
        return f"Create a snapshot of {self.game}'s current configuration"

    def compose_body(self) -> ComposeResult:
        yield Plain("Description (at most 250 characters; enter creates):")
        yield SafeInput(placeholder="e.g. before the winter event", max_length=250,
                        compact=True, id="snapshot-description")
        yield Plain(f"as AWS CLI: {cli_create_snapshot(self.game, '')}", classes="cli",
                    id="snapshot-cli")

    def buttons(self) -> list[Button]:
        return [Button("Cancel", id="snapshot-cancel"),
                Button("Create", id="snapshot-create", variant="primary")]

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
