"""The deploy / rollback confirmation: what runs now, what will run, the diff, the CLI line."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button

from tui.models.stages import DeployPlan
from tui.services.snapshot_diff import ADDED, CHANGED, REMOVED, SnapshotDiff
from tui.ui.screens.base import Confirm, css
from tui.ui.widgets.plain import Plain, visible

STYLES = {ADDED: "green", REMOVED: "red", CHANGED: "yellow"}


def diff_text(diff: SnapshotDiff, max_changes: int = 12) -> Text:
    text = Text()
    lines = diff.lines(max_changes)
    if not lines:
        return Text("no differences: the stage would run the same configuration", style="dim")
    for index, (kind, line) in enumerate(lines):
        if index:
            text.append("\n")
        text.append(visible(line), style=STYLES.get(kind, ""))
    return text


class StageDeployModal(Confirm[bool]):
    CSS_PATH = css("confirm")
    BINDINGS = [Binding("escape,n", "cancel", "Cancel"), Binding("y", "confirm", "Deploy")]
    FOCUS = "#stage-deploy-cancel"

    def __init__(self, plan: DeployPlan, cli: str, read_only: bool = False) -> None:
        super().__init__()
        self.plan, self.cli, self.read_only = plan, cli, read_only
        self._answered = False

    def heading(self) -> str:
        verb = "Roll back" if self.plan.kind == "rollback" else "Deploy to"
        return f"{verb} stage {self.plan.stage} of {self.plan.game}?"

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        current = (visible(f"{plan.current_snapshot_id} ({plan.current_description})")
                   if plan.current_snapshot_id else "nothing (no completed deployment)")
        yield Plain(f"now serving: {current}\nwill deploy: "
                    + visible(f"{plan.snapshot_id} ({plan.snapshot_description})")
                    + f"\n{plan.diff.summary()} "
                    "(current → target)", id="stage-deploy-summary")
        with VerticalScroll(id="stage-deploy-diff"):
            yield Plain(diff_text(plan.diff), id="stage-deploy-diff-text")
        note = ("READ-ONLY mode: the deployment will be refused." if self.read_only else
                "One deployment at a time per stage; players stay connected.")
        yield Plain(f"{note}\nas AWS CLI: {self.cli}", classes="cli")

    def buttons(self) -> list[Button]:
        return [Button("Cancel", id="stage-deploy-cancel"),
                Button("Deploy (y)", id="stage-deploy-confirm", variant="error")]

    @on(Button.Pressed, "#stage-deploy-cancel")
    def action_cancel(self) -> None:
        self._answer(False)

    @on(Button.Pressed, "#stage-deploy-confirm")
    def action_confirm(self) -> None:
        self._answer(True)

    def _answer(self, value: bool) -> None:
        # A second key press or click before the screen is gone must not answer twice.
        if not self._answered:
            self._answered = True
            self.dismiss(value)
