"""`enter` on a script version: DescribeScript, the fleets that use it, its archived zips."""

from __future__ import annotations

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from tui.aws.records import Script
from tui.services import scripts as script_service
from tui.services.script_archive import ArchiveEntry
from tui.services.scripts import FleetUse
from tui.ui.widgets.plain import Plain, cell


class ScriptDescribed(Message):
    def __init__(self, script: Script) -> None:
        super().__init__()
        self.script = script


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


class ScriptDetailScreen(Screen[None]):
    DEFAULT_CSS = """
    ScriptDetailScreen VerticalScroll { height: 1fr; padding: 0 1; }
    ScriptDetailScreen .heading { text-style: bold; margin-top: 1; }
    """
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
        self.describe()

    @work(thread=True, exclusive=True, group="script-detail", exit_on_error=False,
          description="DescribeScript")
    def describe(self) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        self.post_message(ScriptDescribed(script_service.describe_script(
            aws, self.script.script_id)))

    def on_script_described(self, message: ScriptDescribed) -> None:
        self.script = message.script
        self.query_one("#script-detail-fields", Static).update(script_table(message.script))
        self.query_one("#script-detail-status", Static).update("✓ from DescribeScript")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            text = self.app.aws.explain(event.worker.error or RuntimeError("unknown error"))
            self.query_one("#script-detail-status", Static).update(f"⚠ STALE: {text}")
            self.notify(text, title="AWS error", severity="error")

    def action_copy_id(self) -> None:
        self.app.copy_to_clipboard(self.script.script_id)
        self.notify("ScriptId copied to the clipboard")
