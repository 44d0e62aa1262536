"""An SSO profile whose login expired: the exact command to run, and a retry."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from tui.ui.screens.base import OnceModal
from tui.ui.widgets.plain import Plain


class SsoLoginScreen(OnceModal[bool]):
    """Dismissed with True when the user asks to retry (after running the login command)."""

    DEFAULT_CSS = """
    SsoLoginScreen { align: center middle; }
    SsoLoginScreen > Vertical {
        width: 90%; max-width: 76; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    SsoLoginScreen .title { text-style: bold; }
    SsoLoginScreen .command { text-style: bold; margin: 1 0; padding: 0 2; }
    SsoLoginScreen Horizontal { height: auto; }
    SsoLoginScreen Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "retry", "Retry")]

    def __init__(self, profile: str, reason: str, retry_key: str) -> None:
        super().__init__()
        self.profile, self.reason, self.retry_key = profile, reason, retry_key

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"AWS SSO login needed for profile {self.profile}", classes="title")
            yield Plain(self.reason)
            yield Plain("Run this in another terminal:")
            yield Plain(f"aws sso login --profile {self.profile}", classes="command",
                         id="sso-command")
            yield Plain(f"then retry (enter here, or {self.retry_key} anywhere in the app).")
            with Horizontal():
                yield Button("Retry", id="retry", variant="primary")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#retry", Button).focus()

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(False)
