"""Scripts pane: Realtime scripts grouped by name, which fleets run which version, and changes.

The model (``tui/models/scripts.py``) holds the scripts, marks, filter, status and the change
workflow; this widget draws them. ListScripts (paged) and the fleets' ScriptId/utilization load
through ``run_call``. Rows are keyed by ScriptId (groups by "group:<name>"), so a refresh keeps
the cursor where it was. Updates and new versions go through a form that checks the zip before
anything is sent, a confirmation with the equivalent AWS CLI command, and the script archive.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from tui.aws.errors import Failure
from tui.aws.records import Script
from tui.models import scripts as model
from tui.models.scripts import ChangeResult, ScriptsModel
from tui.services.script_archive import ArchiveEntry
from tui.services.scripts import FleetUse, ScriptWorld
from tui.ui.contract import game_app
from tui.ui.panes.base import NothingToExport, Pane
from tui.ui.panes.quick_filter import QuickFilter
from tui.ui.read_only import HINT as READ_ONLY_HINT
from tui.ui.read_only import ReadOnlyKeys, is_read_only
from tui.ui.widgets.plain import Plain, SafeInput, cells, visible

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.services.export import ExportTable
    from tui.ui.screens.script_forms import ScriptChange, ScriptFormModal

COLUMNS = (("version", "Script / Version", 20), ("fleets", "Fleets", 8), ("size", "Size", 9),
           ("created", "Created", 10), ("node", "Node", 4), ("storage", "Storage", 16),
           ("id", "ScriptId", 43))
LOAD_TITLE = "AWS error"
CHANGE_TITLE = "Script"


class ScriptsPane(ReadOnlyKeys, QuickFilter, Pane):
    FILTER_ID = "scripts-filter"
    # The pane's CSS is tui/ui/panes/scripts.tcss (the app loads every pane's .tcss).
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
        self.model = ScriptsModel()
        self._focus_after_load: str | None = None
        self._poll: Timer | None = None

    # Views of the model for tests and scripts that watch the pane (test_soak, screenshots).
    @property
    def world(self) -> ScriptWorld | None:
        return self.model.world

    @property
    def busy(self) -> bool:
        return self.model.busy

    @property
    def error(self) -> str | None:
        return self.model.error

    @property
    def updated_at(self) -> float | None:
        return self.model.updated_at

    @updated_at.setter
    def updated_at(self, value: float | None) -> None:
        # The screenshot script pins "updated Ns ago", as it does for the session tables.
        self.model.updated_at = value

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="scripts-table", cursor_type="row",
                                          zebra_stripes=True)
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
        self.table.loading = True
        self.set_interval(1.0, self.show_status)
        self._arm_poll()

    @property
    def table(self) -> DataTable[Any]:
        table: DataTable[Any] = self.query_one("#scripts-table", DataTable)
        return table

    # --- refresh policy --------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        super().apply_settings(settings)
        if self.is_mounted:
            self._arm_poll()  # a new interval takes effect now, not after the old one

    def _arm_poll(self) -> None:
        if self._poll is not None:
            self._poll.stop()
        self._poll = self.set_timer(self.refresh_seconds, self._periodic_refresh)

    def _periodic_refresh(self) -> None:
        # Re-armed after each tick so polls never overlap; hidden panes, open modals and a
        # user typing a filter don't poll (fleets' session counts are what goes stale).
        typing = self.quick_filter_box().has_focus
        if self.app.screen is self.screen and self._is_active_pane() and not typing \
                and not self.model.busy:
            self.refresh_data()
        self._arm_poll()

    def _is_active_pane(self) -> bool:
        app = game_app(self)
        return app is None or app.active_pane_id() == "scripts"

    # --- loading ---------------------------------------------------------------------------

    def export_table(self) -> ExportTable:
        from tui.services.export import ExportTable

        if self.model.world is None:
            raise NothingToExport("The scripts have not loaded yet.")
        keys = [str(row.key.value) for row in self.table.ordered_rows]
        return ExportTable("scripts", self.model.export_title(), self.model.export_rows(keys),
                           "")

    def refresh_data(self) -> None:
        app = game_app(self)
        if app is None:
            return
        aws = app.aws
        self.model.loading()
        self.show_status()
        self.run_call("scripts", lambda job: model.load_world(aws), done=self._loaded,
                      failed=self._load_failed,
                      description="ListScripts + ListFleets/DescribeFleetAttributes/Utilization")

    def _loaded(self, world: ScriptWorld) -> None:
        first = self.model.world is None
        self.model.loaded(world)
        self.table.loading = False
        self.rebuild(select=self._focus_after_load)
        self._focus_after_load = None
        if first and self._is_active_pane():
            self.table.focus()

    def _load_failed(self, failure: Failure) -> None:
        self.model.load_failed(failure.text)
        self.table.loading = False
        self.show_failure(LOAD_TITLE, failure)

    def show_failure(self, what: str, failure: Failure) -> None:
        """On the status line too: a load's failure as STALE (its rows stay), others as the
        last result."""
        if what != LOAD_TITLE:
            self.model.last_result = f"⚠ {failure.text}"
        self.show_status()
        super().show_failure(what, failure)

    # --- the table -------------------------------------------------------------------------

    def fleets_of(self, script_id: str) -> list[FleetUse]:
        return self.model.fleets_of(script_id)

    def cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def rebuild(self, select: str | None = None) -> None:
        """Fill the table from the model; keep the cursor on its key and the scroll."""
        if self.model.world is None:
            return
        table = self.table
        cursor = select or self.cursor_key()
        scroll = table.scroll_offset
        with self.app.batch_update():
            table.clear()
            for key, row in self.model.rows():
                # DataTable parses a str cell as markup; script names are other tools' text.
                table.add_row(*cells(*row), key=key)
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
        return self.model.group_of(self.cursor_key())

    def current_script(self) -> Script | None:
        """The version under the cursor; on a group row, its newest version."""
        return self.model.script_at(self.cursor_key())

    def show_fleets(self) -> None:
        lines = self.model.fleet_lines(self.cursor_key())
        self.query_one("#scripts-fleets", Static).update("\n".join(visible(line)
                                                                   for line in lines))

    def show_status(self) -> None:
        if not self.is_mounted:
            return
        # One fixed line (.status-line): new text never changes the layout, so skip it.
        self.query_one("#scripts-status", Static).update(" · ".join(self.model.status_parts()),
                                                         layout=False)

    # --- quick filter ----------------------------------------------------------------------

    @on(Input.Changed, "#scripts-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.model.filter_text = event.value.strip()
        self.rebuild()

    @on(Input.Submitted, "#scripts-filter")
    def filter_done(self) -> None:
        self.table.focus()

    def key_escape(self) -> None:
        if self.close_quick_filter():
            self.table.focus()

    # --- detail, marks, compare, history ---------------------------------------------------

    @on(DataTable.RowSelected, "#scripts-table")
    def row_chosen(self, event: DataTable.RowSelected) -> None:
        from tui.ui.screens.script_detail import ScriptDetailScreen

        key = str(event.row_key.value)
        script = self.model.find(key)
        if script is None:
            return
        self.app.push_screen(ScriptDetailScreen(script, self.fleets_of(key),
                                                self._archived(script_id=key)))

    @property
    def archive_target(self) -> str:
        app = game_app(self)
        return model.archive_target(app.aws) if app is not None else ""

    def _archived(self, **query: str) -> list[ArchiveEntry]:
        try:
            return self.model.archived(self.archive_target, **query)
        except OSError as err:
            self.notify(str(err), title="Script archive", severity="error")
            return []

    def action_mark(self) -> None:
        if self.model.toggle_mark(self.cursor_key()):
            self.rebuild()

    def action_compare(self) -> None:
        from tui.ui.screens.script_compare import ScriptCompareScreen, side_from_script

        pair = self.model.compare_pair(self.cursor_key())
        if pair is None:
            self.notify("Mark a version with space, move to another and press c "
                        "(on a group row, c compares its two newest versions).",
                        severity="warning")
            return
        older, newer = pair
        archive, target = self.model.archive, self.archive_target
        self.app.push_screen(ScriptCompareScreen(
            side_from_script("A", older, self.fleets_of(older.script_id), archive, target),
            side_from_script("B", newer, self.fleets_of(newer.script_id), archive, target)))

    def action_history(self) -> None:
        from tui.ui.screens.script_history import ScriptHistoryScreen

        script = self.current_script()
        if script is None:
            return

        def chosen(entry: ArchiveEntry | None) -> None:
            if entry is not None:
                self.rollback(script, entry)

        self.app.push_screen(ScriptHistoryScreen(script, self._archived(name=script.name),
                                                 self.model.archive), chosen)

    def rollback(self, script: Script, entry: ArchiveEntry) -> None:
        """Re-upload an archived zip: the same form, checks and confirmation as an update."""
        from tui.ui.screens.script_forms import ScriptFormModal

        if is_read_only(self):  # the history is a read; only the way back is refused
            self.notify(f"{READ_ONLY_HINT} to roll a script back", title="read-only",
                        severity="warning")
            return

        path = self.model.archive.zip_path(entry.sha256)
        self._open_update(script, ScriptFormModal(
            script=script, version=entry.version, content=str(path), source="rollback",
            title=f"Roll {script.name} back to archived {entry.version} "
                  f"(SHA-256 {entry.short_sha}…, {entry.time})"))

    # --- update and create -----------------------------------------------------------------

    def _region(self) -> str | None:
        app = game_app(self)
        return app.aws.region if app is not None else None

    def action_update(self) -> None:
        from tui.ui.screens.script_forms import ScriptFormModal

        script = self.current_script()
        if script is None:
            self.notify("No script selected.", severity="warning")
            return
        self._open_update(script, ScriptFormModal(script=script))

    def _open_update(self, script: Script, form: ScriptFormModal) -> None:
        from tui.ui.screens.confirm import ConfirmModal
        from tui.ui.screens.script_forms import change_cli, update_body

        fleets = self.fleets_of(script.script_id)
        region = self._region()

        def filled(change: ScriptChange | None) -> None:
            if change is None:
                return
            title = ("Roll back" if change.source == "rollback" else "Update") + \
                f" script {script.name} {script.version}"
            if is_read_only(self):
                title += "  (READ-ONLY: will be refused)"

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.run_change(script, change, "⟳ uploading…")

            self.app.push_screen(ConfirmModal(title, update_body(script, change, fleets),
                                              change_cli(script, change, region),
                                              confirm_label="Upload" if change.has_content
                                              else "Update"), confirmed)

        self.app.push_screen(form, filled)

    def action_create(self) -> None:
        from tui.ui.screens.confirm import ConfirmModal
        from tui.ui.screens.script_forms import ScriptFormModal, change_cli, create_body

        base = self.current_script()
        region = self._region()
        form = ScriptFormModal(name=base.name if base else "",
                               node_js_version=(base.node_js_version if base and
                                                base.node_js_version else "24.x"))

        def filled(change: ScriptChange | None) -> None:
            if change is None:
                return

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self.run_change(None, change, "⟳ creating…")

            self.app.push_screen(ConfirmModal(f"Create script {change.name} {change.version}",
                                              create_body(change), change_cli(None, change,
                                                                              region),
                                              confirm_label="Create"), confirmed)

        self.app.push_screen(form, filled)

    def run_change(self, script: Script | None, change: ScriptChange, busy: str) -> None:
        """UpdateScript/CreateScript (and the archive) in a worker; a change is never dropped
        for a newer one (``exclusive=False``)."""
        app = game_app(self)
        if app is None:
            return
        aws, archive = app.aws, self.model.archive
        self.model.last_result = busy
        self.show_status()
        self.run_call("script-change",
                      lambda job: model.apply_change(aws, archive, script, change),
                      done=self._changed,
                      failed=self._change_failed,
                      exclusive=False, description="UpdateScript/CreateScript")

    def _change_failed(self, failure: Failure) -> None:
        # The call raised before the service took the change: nothing was changed.
        self.show_failure(CHANGE_TITLE, replace(failure, text=model.failure_text(failure)))

    def _changed(self, result: ChangeResult) -> None:
        self.model.changed(result)
        self.notify(result.summary, title=CHANGE_TITLE,
                    severity="error" if result.failed else "information", timeout=8)
        if not result.failed:
            self._focus_after_load = result.script_id
            self.refresh_data()
        else:
            self.show_status()
