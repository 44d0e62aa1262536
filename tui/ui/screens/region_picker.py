"""Pick a region where GameLift is offered (from botocore's endpoint data)."""

from __future__ import annotations

from tui.ui.screens.profile_picker import ChoiceScreen


class RegionPicker(ChoiceScreen):
    def __init__(self, regions: list[str], current: str) -> None:
        super().__init__("Switch region", "Regions where Amazon GameLift is offered. "
                         "Every pane reloads.", regions, current)
