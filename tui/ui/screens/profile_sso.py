"""An SSO profile whose login expired: the exact command to run, and a retry."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button

from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain


class SsoLoginScreen(Modal[bool]):
    """Dismissed with True when the user asks to retry (after running the login command)."""

    CSS_PATH = css("lists")
    FOCUS = "#retry"
    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "retry", "Retry")]

    def __init__(self, profile: str, reason: str, retry_key: str) -> None:
        super().__init__()
        self.profile, self.reason, self.retry_key = profile, reason, retry_key

    def heading(self) -> str:
        return f"AWS SSO login needed for profile {self.profile}"

    def compose_body(self) -> ComposeResult:
        yield Plain(self.reason)
        yield Plain("Run this in another terminal:")
        yield Plain(f"aws sso login --profile {self.profile}", classes="command",
                    id="sso-command")
        yield Plain(f"then retry (enter here, or {self.retry_key} anywhere in the app).")

    def buttons(self) -> list[Button]:
        return [Button("Retry", id="retry", variant="primary"), Button("Close", id="close")]

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(False)
