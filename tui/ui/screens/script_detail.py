"""`enter` on a script version: DescribeScript, the fleets that use it, its archived zips."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.aws.errors import Failure
from tui.aws.records import Script
from tui.services import scripts as script_service
from tui.services.script_archive import ArchiveEntry
from tui.services.scripts import FleetUse
from tui.ui.contract import game_app
from tui.ui.screens.base import HERE
from tui.ui.widgets.plain import Plain, cell
from tui.ui.work import Calls


def script_table(script: Script) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    location = script.storage_location or {}
    rows = [
        ("ScriptId", script.script_id), ("ScriptArn", script.script_arn or "-"),
        ("Name", script.name or "-"), ("Version", script.version or "-"),
        ("SizeOnDisk", f"{script.size_on_disk:,} bytes" if script.size_on_disk is not None
         else "-"),
        ("CreationTime", script.creation_time.strftime("%Y-%m-%d %H:%M:%S UTC")
         if script.creation_time else "-"),
        ("NodeJsVersion", script.node_js_version or "-"),
        ("Storage", script_service.storage_text(script)),
    ]
    if location.get("RoleArn"):
        rows.append(("RoleArn", location["RoleArn"]))
    for key, value in rows:
        table.add_row(key, cell(value))  # a str cell would be parsed as markup
    return table


class ScriptDetailScreen(Screen[None], Calls):
    CSS_PATH = [HERE / "detail.tcss"]
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"),
                Binding("c", "copy_id", "Copy ScriptId")]

    def __init__(self, script: Script, fleets: list[FleetUse],
                 archived: list[ArchiveEntry]) -> None:
        super().__init__()
        self.script = script
        self.fleets = fleets
        self.archived = archived

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="script-detail-scroll"):
            yield Plain(script_table(self.script), id="script-detail-fields")
            yield Plain("⟳ DescribeScript…", id="script-detail-status")
            yield Plain("Fleets using this script", classes="heading")
            yield Plain("\n".join(f"  {f.describe()}  {f.fleet_id}" for f in self.fleets)
                         or "  none: no fleet uses this version", id="script-detail-fleets")
            yield Plain("Archived zips (this app's uploads)", classes="heading")
            yield Plain("\n".join(f"  {e.time}  {e.version:<12} {e.size:>9,} bytes  "
                                   f"{e.short_sha}  {e.source}" for e in self.archived)
                         or "  none", id="script-detail-archive")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#script-detail-scroll").focus()
        app = game_app(self)
        if app is None:
            return
        aws, script_id = app.aws, self.script.script_id
        self.run_call("script-detail",
                      lambda job: script_service.describe_script(aws, script_id),
                      done=self.described, failed=self.describe_failed,
                      description="DescribeScript", foreground=True)

    def described(self, script: Script) -> None:
        self.script = script
        self.query_one("#script-detail-fields", Static).update(script_table(script))
        self.query_one("#script-detail-status", Static).update("✓ from DescribeScript")

    def describe_failed(self, failure: Failure) -> None:
        self.query_one("#script-detail-status", Static).update(f"⚠ STALE: {failure.text}")
        self.notify(failure.text, title="AWS error", severity="error")

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.script.script_id)
        self.notify("ScriptId copied to the clipboard")
