"""The one-line bar at the top: which account and region the user is about to act on."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ContextBar(Static):
    """Profile, region, endpoint and the DEMO / READ-ONLY badges, always visible."""

    DEFAULT_CSS = """
    ContextBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, profile: str, region: str, endpoint: str, *, demo: bool,
                 read_only: bool) -> None:
        super().__init__(id="context-bar")
        self.profile_label = profile
        self.region_label = region
        self.endpoint_label = endpoint
        self.demo = demo
        self.read_only = read_only

    def on_mount(self) -> None:
        self.update(self.render_bar())

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        # Badges first: on a narrow terminal the endpoint may be cut off, the mode never.
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.demo:
            text.append(" DEMO ", style="bold reverse")
            text.append(" ")
        if self.read_only:
            text.append(" READ-ONLY ", style="bold reverse")
            text.append(" ")
        text.append("profile ")
        text.append(self.profile_label, style="bold")
        text.append("  region ")
        text.append(self.region_label, style="bold")
        if self.endpoint_label:
            text.append("  endpoint ")
            text.append(self.endpoint_label, style="italic")
        return text
