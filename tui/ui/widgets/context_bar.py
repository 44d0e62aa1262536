"""The one-line bar at the top: which account and region the user is about to act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.color import Color, ColorParseError
from textual.widgets import Static

from tui.trust import visible

if TYPE_CHECKING:
    from tui.aws.budget import Meter
    from tui.config import BannerRule

# Under this share the meter says only that the console is well inside its budget: the exact
# figure of a few calls would flicker with every refresh.
QUIET_PERCENT = 5


class ContextBar(Static):
    """Badges (PROD-style banner label, DEMO, READ-ONLY), then profile, region, account id and
    endpoint. A banner rule also paints the whole bar, but its label is always there too, so the
    warning survives NO_COLOR and monochrome terminals."""

    def __init__(self, profile: str, region: str, endpoint: str, *, demo: bool,
                 read_only: bool, account: str = "", banner: BannerRule | None = None) -> None:
        super().__init__(id="context-bar")
        self.profile_label = profile
        self.region_label = region
        self.endpoint_label = endpoint
        self.demo = demo
        self.read_only = read_only
        self.account_label = account
        self.banner: BannerRule | None = banner
        self.meter: Meter | None = None

    def on_mount(self) -> None:
        self.show()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.show()

    def set_context(self, *, profile: str, region: str, endpoint: str, demo: bool,
                    read_only: bool, account: str, banner: BannerRule | None) -> None:
        self.profile_label, self.region_label, self.endpoint_label = profile, region, endpoint
        self.demo, self.read_only, self.account_label = demo, read_only, account
        self.banner = banner
        self.show()

    def set_meter(self, meter: Meter) -> None:
        shown = self.meter
        if shown is None or (self._meter_words(shown) != self._meter_words(meter)):
            self.meter = meter
            self.update(self.render_bar())

    @staticmethod
    def _meter_words(meter: Meter) -> tuple[str, bool]:
        percent = f"<{QUIET_PERCENT}%" if meter.percent < QUIET_PERCENT else f"{meter.percent}%"
        return f"API {percent}", meter.throttled

    def set_account(self, account: str, banner: BannerRule | None) -> None:
        self.account_label = account
        self.banner = banner
        self.show()

    def show(self) -> None:
        colour = _parse(self.banner.color) if self.banner else None
        if colour is None:
            self.styles.clear_rule("background")
            self.styles.clear_rule("color")
        else:
            self.styles.background = colour
            self.styles.color = colour.get_contrast_text(1.0)
        self.update(self.render_bar())

    def on_resize(self) -> None:
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        # Badges first: on a narrow terminal the endpoint may be cut off, the mode never.
        text = self._compose_text(words=True)
        room = self.content_region.width if self.is_mounted else 0
        if room and text.cell_len > room:
            text = self._compose_text(words=False)  # "demo-prod @ us-west-2 · 123456789012"
        return text

    def _compose_text(self, *, words: bool) -> Text:
        # Profile names and banner labels come from files, the account from a service.
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.banner is not None:
            text.append(visible(f" {self.banner.label} "), style="bold reverse")
            text.append(" ")
        if self.demo:
            text.append(" DEMO ", style="bold reverse")
            text.append(" ")
        if self.read_only:
            text.append(" READ-ONLY ", style="bold reverse")
            text.append(" ")
        text.append("profile " if words else "")
        text.append(visible(self.profile_label), style="bold")
        text.append("  region " if words else " @ ")
        text.append(visible(self.region_label), style="bold")
        text.append("  acct " if words else " · ")
        text.append(visible(self.account_label or "…"), style="bold")
        if self.meter is not None:
            label, throttled = self._meter_words(self.meter)
            text.append("  " if words else " · ")
            if throttled:  # reverse too: the warning survives NO_COLOR
                text.append(f" {label} throttled ", style="bold reverse red")
            else:
                text.append(label, style="bold" if self.meter.percent >= 50 else "")
        if self.endpoint_label and not self.demo:  # the demo's endpoint is a random port
            text.append("  endpoint " if words else " · ")
            text.append(visible(self.endpoint_label), style="italic")
        return text


def _parse(name: str) -> Color | None:
    try:
        return Color.parse(name)
    except ColorParseError:
        return None
