"""Scripts pane: Realtime scripts grouped by name, which fleets run which version, and changes.

ListScripts (paged) and the fleets' ScriptId/utilization load in a thread worker; results come
back as messages. Rows are keyed by ScriptId (groups by "group:<name>"), so a refresh keeps the
cursor where it was. Updates and new versions go through a form that checks the zip before
anything is sent, a confirmation with the equivalent AWS CLI command, and the script archive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.services.export import ExportTable

import time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from tui.aws.records import Script
from tui.services import scripts as script_service
from tui.services.script_archive import ArchiveEntry, ScriptArchive
from tui.services.scripts import FleetUse, ScriptWorld
from tui.ui.panes.base import Pane
from tui.ui.panes.quick_filter import QuickFilter
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import ReadOnlyKeys, game_app, is_read_only
from tui.ui.widgets.plain import Plain, SafeInput, cells, visible

COLUMNS = (("version", "Script / Version", 20), ("fleets", "Fleets", 8), ("size", "Size", 9),
           ("created", "Created", 10), ("node", "Node", 4), ("storage", "Storage", 16),
           ("id", "ScriptId", 43))
GROUP_PREFIX = "group:"
REFRESH_SECONDS = 30.0


class ScriptsLoaded(Message):
    def __init__(self, world: ScriptWorld) -> None:
        super().__init__()
        self.world = world


class ScriptChangeDone(Message):
    def __init__(self, summary: str, failed: bool, script_id: str | None) -> None:
        super().__init__()
        self.summary, self.failed, self.script_id = summary, failed, script_id


def version_cells(script: Script, fleets: list[FleetUse], marked: bool) -> tuple[str, ...]:
    used = f"● {len(fleets)}" if fleets else "○ unused"
    size = f"{script.size_on_disk:,}" if script.size_on_disk is not None else "?"
    created = script.creation_time.strftime("%Y-%m-%d") if script.creation_time else "-"
    return (("  ✓ " if marked else "    ") + (script.version or "(no version)"), used, size,
            created, script.node_js_version or "-", script_service.storage_text(script),
            script.script_id)


class ScriptsPane(ReadOnlyKeys, QuickFilter, Pane):
    FILTER_ID = "scripts-filter"
    DEFAULT_CSS = """
    ScriptsPane #scripts-table { height: 1fr; }
    ScriptsPane #scripts-fleets { height: auto; max-height: 5; padding: 0 1; }
    ScriptsPane .status-line { height: 1; background: $boost; padding: 0 1; }
    ScriptsPane #scripts-filter { display: none; height: 1; }
    ScriptsPane #scripts-filter.shown { display: block; }
    """
    BINDINGS = [
        Binding("slash", "quick_filter", "Filter rows", id="scripts.filter"),
        Binding("u", "update", "Update script", id="scripts.update"),
        Binding("n", "create", "New version", id="scripts.new-version"),
        Binding("space", "mark", "Mark", id="scripts.mark"),
        Binding("c", "compare", "Compare", id="scripts.compare"),
        Binding("h", "history", "History/rollback", id="scripts.history"),
    ]
    MUTATING_ACTIONS = frozenset({"update", "create"})

    title = "Scripts"

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.world: ScriptWorld | None = None
        self.archive = ScriptArchive()
        self.filter_text = ""
        self.marked: list[str] = []
        self.busy = False
        self.updated_at: float | None = None
        self.error: str | None = None
        self.last_result = ""
        self._focus_after_load: str | None = None

    def compose(self) -> ComposeResult:
        table = DataTable(id="scripts-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Plain("", id="scripts-fleets")
        yield SafeInput(placeholder="filter: name, version, ScriptId, storage, fleet (esc clears)",
                    id="scripts-filter", compact=True)
        yield Plain("loading scripts…", id="scripts-status", classes="status-line")

    def on_mount(self) -> None:
        if not self.app.is_running:
            return  # built by the warm-up as the app quits: its children are going away
        self.query_one("#scripts-table", DataTable).loading = True
        self.set_interval(1.0, self.show_status)
        self.set_timer(REFRESH_SECONDS, self._periodic_refresh)

    # --- loading ---------------------------------------------------------------------------

    def export_table(self) -> ExportTable:
        from tui.ui.commands import _script_rows

        return _script_rows(self)  # type: ignore[no-any-return]

    def refresh_data(self) -> None:
        self.busy = True
        self.show_status()
        self.load_world()

    @work(thread=True, exclusive=True, group="scripts", exit_on_error=False,
          description="ListScripts + ListFleets/DescribeFleetAttributes/Utilization")
    def load_world(self) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        self.post_message(ScriptsLoaded(script_service.load_world(aws)))

    def on_scripts_loaded(self, message: ScriptsLoaded) -> None:
        first = self.world is None
        self.world = message.world
        known = {s.script_id for s in message.world.scripts()}
        self.marked = [k for k in self.marked if k in known]
        self.busy = False
        self.error = None
        self.updated_at = time.monotonic()
        table = self.query_one("#scripts-table", DataTable)
        table.loading = False
        self.rebuild(select=self._focus_after_load)
        self._focus_after_load = None
        if first and self._is_active_pane():
            table.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        text = self.app.aws.explain(event.worker.error or RuntimeError("unknown error"))
        if event.worker.group != "scripts":
            self.last_result = f"⚠ {text}"
            self.show_status()
            self.notify(text, title="Script", severity="error")
            return
        self.busy = False
        self.error = text
        self.query_one("#scripts-table", DataTable).loading = False
        self.show_status()
        self.notify(text, title="AWS error", severity="error")

    def _periodic_refresh(self) -> None:
        # Re-armed after each tick so polls never overlap; hidden panes, open modals and a
        # user typing a filter don't poll (fleets' session counts are what goes stale).
        typing = self.quick_filter_box().has_focus
        if self.app.screen is self.screen and self._is_active_pane() and not typing \
                and not self.busy:
            self.refresh_data()
        self.set_timer(REFRESH_SECONDS, self._periodic_refresh)

    def _is_active_pane(self) -> bool:
        app = game_app(self)
        return app is None or app.active_pane_id() == "scripts"

    # --- the table -------------------------------------------------------------------------

    def fleets_of(self, script_id: str) -> list[FleetUse]:
        return self.world.fleets.get(script_id, []) if self.world else []

    def matches(self, script: Script) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        haystack = [script.name, script.version, script.script_id,
                    script_service.storage_text(script), script.node_js_version or ""]
        haystack += [f.name for f in self.fleets_of(script.script_id)]
        return any(needle in text.casefold() for text in haystack)

    def cursor_key(self) -> str | None:
        table = self.query_one("#scripts-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def rebuild(self, select: str | None = None) -> None:
        """Fill the table from the loaded world; keep the cursor on its key and the scroll."""
        if self.world is None:
            return
        table = self.query_one("#scripts-table", DataTable)
        cursor = select or self.cursor_key()
        scroll = table.scroll_offset
        with self.app.batch_update():
            table.clear()
            for group in self.world.groups:
                versions = [s for s in group.versions if self.matches(s)]
                if not versions:
                    continue
                used = sum(1 for s in group.versions if self.fleets_of(s.script_id))
                # DataTable parses a str cell as markup; script names are other tools' text.
                table.add_row(*cells(f"▾ {group.name or '(no name)'}",
                                     f"{used}/{len(group.versions)} used", "", "", "", "", ""),
                              key=GROUP_PREFIX + group.name)
                for script in versions:
                    table.add_row(*cells(*version_cells(script, self.fleets_of(script.script_id),
                                                        script.script_id in self.marked)),
                                  key=script.script_id)
            if cursor is not None and cursor in table.rows:
                table.move_cursor(row=table.get_row_index(cursor), animate=False,
                                  scroll=select is not None)
            if select is None:
                table.scroll_to(scroll.x, scroll.y, animate=False)
        self.show_fleets()
        self.show_status()

    @on(DataTable.RowHighlighted, "#scripts-table")
    def row_highlighted(self) -> None:
        self.show_fleets()

    def current_group(self) -> list[Script]:
        key = self.cursor_key()
        if self.world is None or key is None:
            return []
        name = key[len(GROUP_PREFIX):] if key.startswith(GROUP_PREFIX) else (
            self.world.find(key).name if self.world.find(key) else None)
        return next((g.versions for g in self.world.groups if g.name == name), [])

    def current_script(self) -> Script | None:
        """The version under the cursor; on a group row, its newest version."""
        key = self.cursor_key()
        if self.world is None or key is None:
            return None
        if key.startswith(GROUP_PREFIX):
            group = self.current_group()
            return group[0] if group else None
        return self.world.find(key)

    def show_fleets(self) -> None:
        box = self.query_one("#scripts-fleets", Static)
        key = self.cursor_key()
        if self.world is None or key is None:
            box.update("")
            return
        if key.startswith(GROUP_PREFIX):
            lines = []
            for script in self.current_group():
                fleets = self.fleets_of(script.script_id)
                lines.append(visible(f"{script.version}: " + (
                    ", ".join(f.describe() for f in fleets) if fleets else "○ no fleet")))
            box.update("\n".join(lines))
            return
        script = self.world.find(key)
        if script is None:
            box.update("")
            return
        fleets = self.fleets_of(key)
        head = visible(f"{script.name} {script.version} · {script.script_id}")
        if fleets:
            box.update(head + "\nrun by: " + visible("; ".join(f.describe() for f in fleets)))
        else:
            box.update(head + "\n○ no fleet uses this version")

    def show_status(self) -> None:
        if not self.is_mounted:
            return
        parts = []
        if self.world is not None:
            scripts = self.world.scripts()
            parts.append(f"{len(self.world.groups)} scripts, {len(scripts)} versions")
            if self.filter_text:
                shown = sum(1 for s in scripts if self.matches(s))
                parts.append(f"filter '{self.filter_text}' {shown} shown")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        if self.busy:
            parts.append("⟳ loading")
        if self.updated_at is not None:
            parts.append(f"updated {int(time.monotonic() - self.updated_at)}s ago")
        if self.error:
            parts.append(f"⚠ STALE: {self.error}")
        elif self.last_result:
            parts.append(self.last_result)
        # One fixed line (.status-line): new text never changes the layout, so skip it.
        self.query_one("#scripts-status", Static).update(" · ".join(parts), layout=False)

    # --- quick filter ----------------------------------------------------------------------

    @on(Input.Changed, "#scripts-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.rebuild()

    @on(Input.Submitted, "#scripts-filter")
    def filter_done(self) -> None:
        self.query_one("#scripts-table", DataTable).focus()

    def key_escape(self) -> None:
        if self.close_quick_filter():
            self.query_one("#scripts-table", DataTable).focus()

    # --- detail, marks, compare, history ---------------------------------------------------

    @on(DataTable.RowSelected, "#scripts-table")
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        from tui.ui.screens.script_detail import ScriptDetailScreen

        key = str(event.row_key.value)
        script = self.world.find(key) if self.world else None
        if script is None:
            return
        self.app.push_screen(ScriptDetailScreen(script, self.fleets_of(key),
                                                self._archived(script_id=key)))

    @property
    def archive_target(self) -> str:
        aws = self.app.aws  # type: ignore[attr-defined]
        return f"{'demo' if aws.target.demo else 'aws'}:{aws.region}"

    def _archived(self, **query: str) -> list[ArchiveEntry]:
        try:
            return self.archive.entries(target=self.archive_target, **query)
        except OSError as err:
            self.notify(str(err), title="Script archive", severity="error")
            return []

    def action_mark(self) -> None:
        key = self.cursor_key()
        if key is None or key.startswith(GROUP_PREFIX) or self.world is None:
            return
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked = (self.marked + [key])[-2:]
        self.rebuild()

    def action_compare(self) -> None:
        from tui.ui.screens.script_compare import ScriptCompareScreen, side_from_script

        keys = list(self.marked)
        cursor = self.cursor_key()
        if len(keys) == 1 and cursor and not cursor.startswith(GROUP_PREFIX) \
                and cursor not in keys:
            keys.append(cursor)
        if len(keys) != 2 and not keys and cursor:
            group = self.current_group()
            if len(group) >= 2 and (cursor.startswith(GROUP_PREFIX) or cursor == group[0]
                                    .script_id):
                keys = [group[1].script_id, group[0].script_id]  # the two newest
        if len(keys) != 2 or self.world is None:
            self.notify("Mark a version with space, move to another and press c "
                        "(on a group row, c compares its two newest versions).",
                        severity="warning")
            return
        scripts = [self.world.find(k) for k in keys]
        if any(s is None for s in scripts):
            return
        older, newer = sorted((s for s in scripts if s is not None),
                              key=lambda s: s.creation_time.timestamp() if s.creation_time
                              else 0.0)
        self.app.push_screen(ScriptCompareScreen(
            side_from_script("A", older, self.fleets_of(older.script_id), self.archive,
                             self.archive_target),
            side_from_script("B", newer, self.fleets_of(newer.script_id), self.archive,
                             self.archive_target)))

    def action_history(self) -> None:
        from tui.ui.screens.script_history import ScriptHistoryScreen

        script = self.current_script()
        if script is None:
            return

        def chosen(entry: ArchiveEntry | None) -> None:
            if entry is not None:
                self.rollback(script, entry)

        self.app.push_screen(ScriptHistoryScreen(script, self._archived(name=script.name),
                                                 self.archive), chosen)

    def rollback(self, script: Script, entry: ArchiveEntry) -> None:
        """Re-upload an archived zip: the same form, checks and confirmation as an update."""
        from tui.ui.screens.script_forms import ScriptFormModal

        if is_read_only(self):  # the history is a read; only the way back is refused
            self.notify(f"{READ_ONLY_HINT} to roll a script back", title="read-only",
                        severity="warning")
            return

        path = self.archive.zip_path(entry.sha256)
        self._open_update(script, ScriptFormModal(
            script=script, version=entry.version, content=str(path), source="rollback",
            title=f"Roll {script.name} back to archived {entry.version} "
                  f"(SHA-256 {entry.short_sha}…, {entry.time})"))

    # --- update and create -----------------------------------------------------------------

    def action_update(self) -> None:
        from tui.ui.screens.script_forms import ScriptFormModal

        script = self.current_script()
        if script is None:
            self.notify("No script selected.", severity="warning")
            return
        self._open_update(script, ScriptFormModal(script=script))

    def _open_update(self, script: Script, form: Any) -> None:
        from tui.ui.screens.confirm import ConfirmModal
        from tui.ui.screens.script_forms import ScriptChange, change_cli, update_body

        fleets = self.fleets_of(script.script_id)
        app = game_app(self)
        region = app.aws.region if app is not None else None

        def filled(change: ScriptChange | None) -> None:
            if change is None:
                return
            title = ("Roll back" if change.source == "rollback" else "Update") + \
                f" script {script.name} {script.version}"
            if self.app.aws.read_only:  # type: ignore[attr-defined]
                title += "  (READ-ONLY: will be refused)"

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.last_result = "⟳ uploading…"
                    self.show_status()
                    self.run_change(script, change)

            self.app.push_screen(ConfirmModal(title, update_body(script, change, fleets),
                                              change_cli(script, change, region),
                                              confirm_label="Upload" if change.has_content
                                              else "Update"), confirmed)

        self.app.push_screen(form, filled)

    def action_create(self) -> None:
        from tui.ui.screens.confirm import ConfirmModal
        from tui.ui.screens.script_forms import (
            ScriptChange,
            ScriptFormModal,
            change_cli,
            create_body,
        )

        base = self.current_script()
        app = game_app(self)
        region = app.aws.region if app is not None else None
        form = ScriptFormModal(name=base.name if base else "",
                               node_js_version=(base.node_js_version if base and
                                                base.node_js_version else "24.x"))

        def filled(change: ScriptChange | None) -> None:
            if change is None:
                return

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.last_result = "⟳ creating…"
                    self.show_status()
                    self.run_change(None, change)

            self.app.push_screen(ConfirmModal(f"Create script {change.name} {change.version}",
                                              create_body(change), change_cli(None, change,
                                                                              region),
                                              confirm_label="Create"), confirmed)

        self.app.push_screen(form, filled)

    @work(thread=True, group="script-change", exit_on_error=False,
          description="UpdateScript/CreateScript")
    def run_change(self, script: Script | None, change: Any) -> None:
        from tui.aws.guard import ReadOnlyViolation

        aws = self.app.aws  # type: ignore[attr-defined]
        target = self.archive_target
        notes: list[str] = []
        try:
            if script is not None and change.has_content and script.storage_location \
                    and script.storage_location.get("Bucket"):
                # Keep what is about to be replaced, when the user's credentials can read it.
                try:
                    before = script_service.read_s3_zip(aws, script.storage_location)
                    self.archive.add(before, script_id=script.script_id, name=script.name,
                                     version=script.version, source="s3-before-update",
                                     target=target)
                    notes.append("previous S3 content archived")
                except Exception as err:
                    notes.append(f"previous content not archived ({self.app.aws.explain(err)})")
            data = change.zip.data if change.zip is not None else None
            # A lost answer is read back, never sent again (that made a second version).
            if script is None:
                outcome = script_service.create_script_outcome(
                    aws, name=change.name, version=change.version,
                    node_js_version=change.node_js_version, zip_file=data,
                    storage=change.storage)
                verb = "Created"
            else:
                outcome = script_service.update_script_outcome(
                    aws, script.script_id, zip_file=data, storage=change.storage,
                    name=change.name, version=change.version)
                verb = "Rolled back" if change.source == "rollback" else "Updated"
        except Exception as err:
            text = self.app.aws.explain(err)
            self.post_message(ScriptChangeDone(f"Failed, nothing changed: {text}", True, None))
            return
        if isinstance(outcome.error, ReadOnlyViolation):
            self.post_message(ScriptChangeDone(f"Refused: {outcome.error}; nothing was sent",
                                               True, None))
            return
        if outcome.state != "applied" or outcome.value is None:
            text = outcome.describe(aws.explain)
            head = "Outcome unknown" if outcome.state == "unknown" else "Failed, nothing changed"
            self.post_message(ScriptChangeDone(f"{head}: {text}", True, None))
            return
        result = outcome.value
        if outcome.answer_lost:
            notes.append(outcome.detail)
        if data is not None:
            try:
                self.archive.add(data, script_id=result.script_id, name=result.name,
                                 version=result.version, source=change.source,
                                 target=target)
                notes.append(f"zip archived (SHA-256 {change.zip.sha256[:12]}…)")
            except OSError as err:
                notes.append(f"⚠ zip not archived: {err}")
        size = f"{result.size_on_disk:,} bytes" if result.size_on_disk is not None else "size ?"
        summary = f"{verb} {result.name} {result.version} ({size})"
        if notes:
            summary += " — " + "; ".join(notes)
        self.post_message(ScriptChangeDone(summary, False, result.script_id))

    def on_script_change_done(self, message: ScriptChangeDone) -> None:
        self.last_result = ("⚠ " if message.failed else "✓ ") + message.summary
        self.notify(message.summary, title="Script",
                    severity="error" if message.failed else "information", timeout=8)
        if not message.failed:
            self._focus_after_load = message.script_id
            self.refresh_data()
        else:
            self.show_status()
