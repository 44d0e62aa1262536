"""`c`: two script versions side by side — metadata, and the zips' files and .js diff.

Content comes from the script archive (zips this app uploaded) or, for scripts stored in a
user-owned S3 location, from S3 with the user's own credentials. GameLift itself never returns a
script's zip, so without either only the metadata can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.aws.records import Script
from tui.aws.session import AwsContext
from tui.services import scripts as script_service
from tui.services.script_archive import ArchiveEntry, ScriptArchive
from tui.services.scripts import FleetUse
from tui.services.zipcheck import check_zip_bytes
from tui.services.zipdiff import ZipDiff, diff_zips
from tui.ui.contract import game_app
from tui.ui.screens.base import HERE
from tui.ui.widgets.plain import Plain, cell, visible
from tui.ui.work import Calls


@dataclass
class CompareSide:
    title: str
    fields: list[tuple[str, str]]
    data: bytes | None = None
    note: str = ""
    s3: dict[str, str] | None = field(default=None)


def _when(script: Script) -> str:
    return script.creation_time.strftime("%Y-%m-%d %H:%M UTC") if script.creation_time else "-"


def side_from_script(label: str, script: Script, fleets: list[FleetUse],
                     archive: ScriptArchive, target: str | None = None) -> CompareSide:
    fields = [("Name", script.name), ("Version", script.version),
              ("ScriptId", script.script_id),
              ("SizeOnDisk", f"{script.size_on_disk:,}" if script.size_on_disk is not None
               else "-"),
              ("Created", _when(script)), ("NodeJsVersion", script.node_js_version or "-"),
              ("Storage", script_service.storage_text(script)),
              ("Fleets", ", ".join(f.name for f in fleets) or "none")]
    side = CompareSide(f"{label}: {script.name} {script.version}", fields)
    try:
        entry = archive.latest(script.script_id, target)
        if entry is not None:
            side.data = archive.read(entry)
            side.note = f"archived zip of {entry.time} (SHA-256 {entry.short_sha}…)"
    except OSError as err:
        side.note = f"archive unreadable: {err}"
    customer = script_service.customer_storage(script)
    if side.data is None and customer is not None:
        side.s3 = customer
        side.note = side.note or f"reading {script_service.storage_text(script)}…"
    elif side.data is None and not side.note:
        side.note = ("content not available: GameLift does not return a script's zip, and this "
                     "app has not archived one for this script id")
    return side


def side_from_entry(label: str, entry: ArchiveEntry, archive: ScriptArchive) -> CompareSide:
    fields = [("Name", entry.name), ("Version", entry.version), ("ScriptId", entry.script_id),
              ("Size", f"{entry.size:,}"), ("Archived", entry.time), ("Source", entry.source),
              ("SHA-256", entry.short_sha + "…")]
    side = CompareSide(f"{label}: {entry.name} {entry.version}", fields)
    try:
        side.data = archive.read(entry)
        side.note = f"archived zip (SHA-256 {entry.short_sha}…)"
    except OSError as err:
        side.note = f"archived zip unreadable: {err}"
    return side


@dataclass(frozen=True)
class Compared:
    """The zips' diff, or why there is none."""

    diff: ZipDiff | None
    problem: str = ""


def compare_zips(left: bytes, right: bytes) -> Compared:
    # In the worker, and each zip checked (bounded) first: a zip read from S3 was never
    # checked, and a bomb would otherwise be inflated whole on the screen's thread.
    try:
        check_zip_bytes(left, "zip A")
        check_zip_bytes(right, "zip B")
        return Compared(diff_zips(left, right, old_label="A", new_label="B"))
    except Exception as err:  # a damaged zip or a bomb: say so, keep the screen
        return Compared(None, f"⚠ cannot compare the zips: {err}")


class ScriptCompareScreen(Screen[None], Calls):
    CSS_PATH = [HERE / "detail.tcss"]
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, left: CompareSide, right: CompareSide) -> None:
        super().__init__()
        self.sides = [left, right]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="script-compare-scroll"):
            yield Plain(self.meta_table(), id="script-compare-meta")
            yield Plain("Content", classes="heading")
            yield Plain("", id="script-compare-notes")
            yield Plain("", id="script-compare-files")
            yield Plain("", id="script-compare-diff")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#script-compare-scroll").focus()
        app = game_app(self)
        for index, side in enumerate(self.sides):
            if side.data is None and side.s3 and app is not None:
                self.read_s3(app.aws, index, side.s3)
        self.show_content()

    def meta_table(self) -> Table:
        left, right = self.sides
        table = Table(box=None, padding=(0, 1), expand=True)
        table.add_column("", style="bold", no_wrap=True)
        table.add_column(left.title, overflow="fold")
        table.add_column(right.title, overflow="fold")
        right_fields = dict(right.fields)
        keys = [k for k, _ in left.fields] + [k for k, _ in right.fields
                                              if k not in dict(left.fields)]
        left_fields = dict(left.fields)
        for key in keys:
            a, b = left_fields.get(key, "-"), right_fields.get(key, "-")
            style = "" if a == b else "bold"
            table.add_row(cell(key), cell(a, style), cell(b, style))
        return table

    def read_s3(self, aws: AwsContext, index: int, location: dict[str, str]) -> None:
        where = f"read from s3://{location['Bucket']}/{location['Key']}"
        # Side by side: both sides may be read at once, and neither answer may be dropped.
        self.run_call("script-compare", lambda job: script_service.read_s3_zip(aws, location),
                      done=lambda data: self.content_read(index, data, where),
                      failed=lambda failure: self.content_read(
                          index, None, f"S3 not readable: {failure.text}"),
                      exclusive=False, description="S3 GetObject")

    def content_read(self, index: int, data: bytes | None, note: str) -> None:
        # A failure is the side's note; the metadata stays useful.
        side = self.sides[index]
        side.data, side.note, side.s3 = data, note, None
        self.show_content()

    def show_content(self) -> None:
        left, right = self.sides
        notes = [f"A: {left.note}", f"B: {right.note}"]
        self.query_one("#script-compare-notes", Static).update("\n".join(notes))
        files = self.query_one("#script-compare-files", Static)
        diff_box = self.query_one("#script-compare-diff", Static)
        if left.data is None or right.data is None:
            waiting = left.s3 or right.s3
            files.update("reading content…" if waiting else
                         "file list and diff need both zips")
            diff_box.update("")
            return
        files.update("comparing the zips…")
        self.compare(left.data, right.data)

    def compare(self, left: bytes, right: bytes) -> None:
        self.run_call("script-compare-diff", lambda job: compare_zips(left, right),
                      done=self.show_diff, description="compare zips")

    def show_diff(self, compared: Compared) -> None:
        files = self.query_one("#script-compare-files", Static)
        diff_box = self.query_one("#script-compare-diff", Static)
        diff = compared.diff
        if diff is None:
            files.update(compared.problem)
            diff_box.update("")
            return
        table = Table(box=None, padding=(0, 1))
        table.add_column("File")
        table.add_column("A bytes", justify="right")
        table.add_column("B bytes", justify="right")
        table.add_column("")
        for change in diff.files:
            table.add_row(cell(change.name),
                          f"{change.old_size:,}" if change.old_size is not None else "-",
                          f"{change.new_size:,}" if change.new_size is not None else "-",
                          "" if change.status == "same" else change.status)
        files.update(table)
        text = Text()
        if not diff.changed:
            text.append("The two zips hold the same files with the same content.\n")
        for lines in diff.text_diffs.values():
            for line in lines:
                style = ("bold" if line.startswith(("---", "+++")) else
                         "green" if line.startswith("+") else
                         "red" if line.startswith("-") else
                         "cyan" if line.startswith("@@") else "")
                text.append(visible(line) + "\n", style=style)
        diff_box.update(text)
