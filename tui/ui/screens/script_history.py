"""`h`: the archived zips of a script (by name), to roll back to or to compare.

GameLift keeps no history of a script's content; the app's archive does. `enter` re-uploads the
chosen zip to the script the history was opened from, through the same form and confirmation
as any update.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from tui.aws.records import Script
from tui.services.script_archive import ArchiveEntry, ScriptArchive
from tui.ui.screens.base import Modal, css
from tui.ui.widgets.plain import Plain, cells


class ScriptHistoryScreen(Modal[ArchiveEntry | None]):
    CSS_PATH = css("lists")
    FOCUS = "#script-history-table"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare marked"),
    ]

    def __init__(self, script: Script, entries: list[ArchiveEntry],
                 archive: ScriptArchive) -> None:
        super().__init__()
        self.script = script
        self.entries = {f"{i}": e for i, e in enumerate(entries)}
        self.archive = archive
        self.marked: list[str] = []

    def heading(self) -> str:
        return (f"Archived zips of {self.script.name}  ·  enter: roll "
                f"{self.script.script_id[-12:]} back to the zip · space+c: compare")

    def compose_body(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="script-history-table", cursor_type="row",
                                           zebra_stripes=True)
        for key, label in (("mark", ""), ("time", "Archived (UTC)"), ("version", "Version"),
                           ("size", "Size"), ("sha", "SHA-256"), ("source", "Source"),
                           ("id", "ScriptId")):
            table.add_column(label, key=key)
        for key, entry in self.entries.items():
            table.add_row(*cells("", entry.time.replace("T", " ").rstrip("Z"),
                                 entry.version, f"{entry.size:,}", entry.short_sha,
                                 entry.source, entry.script_id[-12:]), key=key)
        yield table
        yield Plain("" if self.entries else
                    "Nothing archived yet: the archive keeps every zip this app uploads.",
                    id="script-history-status")

    def _cursor(self) -> str | None:
        table = self.query_one("#script-history-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(DataTable.RowSelected, "#script-history-table")
    def chosen(self, event: DataTable.RowSelected) -> None:
        entry = self.entries.get(str(event.row_key.value))
        if entry is not None:
            self.dismiss(entry)

    def action_mark(self) -> None:
        key = self._cursor()
        if key is None:
            return
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked = (self.marked + [key])[-2:]
        table = self.query_one("#script-history-table", DataTable)
        for row in self.entries:
            table.update_cell(row, "mark", "✓" if row in self.marked else "")

    def action_compare(self) -> None:
        from tui.ui.screens.script_compare import ScriptCompareScreen, side_from_entry

        keys = list(self.marked)
        cursor = self._cursor()
        if len(keys) == 1 and cursor and cursor not in keys:
            keys.append(cursor)
        if len(keys) != 2:
            self.notify("Mark two archived zips with space (or one, and put the cursor on "
                        "another), then press c.", severity="warning")
            return
        # Rows are newest first: the higher row is the newer zip (also within one second).
        older, newer = (self.entries[k] for k in sorted(keys, key=int, reverse=True))
        self.app.push_screen(ScriptCompareScreen(side_from_entry("A", older, self.archive),
                                                 side_from_entry("B", newer, self.archive)))
