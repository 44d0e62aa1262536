"""Search pane: build a FilterExpression with the keyboard, see the exact string and the AWS CLI
command, run SearchGameSessions (one-shot, paged to the end) into a session table with every
session action, and keep searches by name.

The builder's tree and its edits, the run's state and the calls are the model's
(``tui/models/search.py``); this widget draws the builder's lines and opens the forms. Every
call (the targets, the search's pages, the history write, the re-describe after an action) goes
through ``run_call``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from tui.aws.errors import Failure
from tui.aws.records import GameSession
from tui.models import search as model
from tui.models.search import EMPTY_LINE, SORT_LINE, Builder, SearchRun, SortSpec, Targets
from tui.services import filter_builder as fb
from tui.services import search_expr as se
from tui.services.saved_searches import SearchStore, StoreError
from tui.ui.contract import game_app
from tui.ui.panes.session_table import SessionTablePane
from tui.ui.widgets.plain import Plain, SafeInput, cell
from tui.ui.work import Job

if TYPE_CHECKING:
    from tui.services.export import ExportTable

LOAD_TITLE = "AWS error"


class BuilderList(OptionList):
    """The builder's lines. Its keys edit the expression; the pane does the work."""

    BINDINGS = [
        Binding("a", "builder('add')", "Add condition", id="builder.add"),
        Binding("A", "builder('group')", "Add group", id="builder.group"),
        Binding("x,delete", "builder('remove')", "Remove line", id="builder.remove"),
        Binding("o", "builder('op')", "AND/OR", id="builder.and-or"),
        Binding("exclamation_mark", "builder('not')", "NOT", id="builder.not"),
        Binding("shift+up,K", "builder('up')", "Move up", id="builder.move-up"),
        Binding("shift+down,J", "builder('down')", "Move down", id="builder.move-down"),
        Binding("w", "builder('raw')", "Raw mode", id="builder.raw"),
    ]

    def action_builder(self, what: str) -> None:
        pane = next(a for a in self.ancestors if isinstance(a, SearchPane))
        pane.builder_command(what)


class WhereSelect(Select[str]):
    """Textual's Select, minus a crash at exit: when the warm-up builds this pane while the
    app is shutting down, the Select's own mount handler looks for an overlay that is never
    mounted (NoMatches, a traceback on quit). While the app stops there is nothing to set up."""

    def _on_mount(self, event: events.Mount) -> None:
        if not self.app.is_running:
            event.prevent_default()  # skip Select's handler: its children are going away


class SearchPane(SessionTablePane):
    TABLE_ID = "search-table"
    FILTER_ID = "search-quick-filter"
    STATUS_ID = "search-status"
    # The pane's CSS is tui/ui/panes/search.tcss (the app loads every pane's .tcss).
    BINDINGS = [
        Binding("g", "run_search", "Run search", id="search.run"),
        Binding("S", "save_search", "Save search", id="search.save"),
        Binding("O", "open_saved", "Saved/recent", id="search.open-saved"),
        Binding("c", "copy_cli", "Copy CLI", id="search.copy-cli"),
    ]

    title = "Search"
    noun = "results"

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.builder = Builder()
        self.search_run = SearchRun()
        self.store = SearchStore()
        self._pending_target: str | None = None

    @property
    def running(self) -> bool:
        """A search is paging (the benchmark waits on it)."""
        return self.search_run.running

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-target"):
            yield WhereSelect([], prompt="fleet or alias to search", id="search-where",
                              compact=True)
            yield SafeInput(placeholder="location (optional)", id="search-location",
                            compact=True)
        yield BuilderList(id="search-builder")
        yield Plain("", id="search-preview")
        yield from self.compose_table()

    def on_mount(self) -> None:
        if not self.app.is_running:
            return  # built by the warm-up as the app quits: its children are going away
        super().on_mount()
        self.render_builder()

    def first_load(self) -> None:
        self.load_targets()

    def _region(self) -> str | None:
        app = game_app(self)
        return app.aws.region if app is not None else None

    # --- where to search -------------------------------------------------------------------

    def load_targets(self) -> None:
        app = game_app(self)
        if app is None:
            return
        aws = app.aws
        self.run_call("search-targets", lambda job: model.load_targets(aws),
                      done=self._targets_loaded,
                      failed=lambda failure: self.show_failure(LOAD_TITLE, failure),
                      description="ListFleets + ListAliases")

    def _targets_loaded(self, targets: Targets) -> None:
        where = self.query_one("#search-where", Select)
        # Select parses a str prompt as markup: fleet and alias names are the service's text.
        where.set_options([(cell(label), value) for label, value in targets.options])
        self.fleet_compute.update(targets.compute)
        wanted = self._pending_target
        if wanted and any(value == wanted for _, value in targets.options):
            where.value = wanted
        elif targets.options and where.is_blank():
            where.value = targets.options[0][1]
        self._pending_target = None
        self.update_preview()

    def spec(self) -> fb.SearchSpec:
        where = self.query_one("#search-where", Select)
        return self.builder.spec("" if where.is_blank() else str(where.value),
                                 self.query_one("#search-location", Input).value)

    # --- the builder -----------------------------------------------------------------------

    def render_builder(self, highlight: int | None = None) -> None:
        builder = self.query_one(BuilderList)
        if highlight is None:
            highlight = builder.highlighted or 0
        # Conditions hold typed text and saved searches (a file): prompts are Text.
        options = [Option(row.text if row.id == EMPTY_LINE else cell(row.text), id=row.id)
                   for row in self.builder.rows()]
        builder.clear_options()
        builder.add_options(options)
        builder.highlighted = max(0, min(highlight, builder.option_count - 1))
        self.update_preview()

    def update_preview(self) -> None:
        if not self.is_mounted:
            return
        lines = self.builder.preview_lines(self.spec(), self._region())
        self.query_one("#search-preview", Static).update("\n".join(lines))

    def _cursor_line(self) -> fb.Line | None:
        builder = self.query_one(BuilderList)
        if builder.highlighted is None:
            return None
        return self.builder.line(builder.get_option_at_index(builder.highlighted).id or "")

    def builder_command(self, what: str) -> None:
        line = self._cursor_line()
        edits = self.builder
        highlight: int | None = None
        if what == "add":
            self._edit_condition(fb.Cond(), insert=edits.container(line))
            return
        if what == "raw":
            self._raw_mode()
            return
        if what == "group":
            highlight = edits.add_group(line)
        elif what == "op":
            # On the sort line or the placeholder, o flips the top level.
            edits.flip_op(line)
        elif what == "remove":
            # x on the sort line removes the sort (it must not flip AND/OR behind the user's
            # back).
            edits.remove(line)
        elif line is None:
            return
        elif what == "not":
            edits.negate(line)
        elif what in ("up", "down"):
            highlight = edits.move(line, -1 if what == "up" else 1)
            if highlight is None:
                return
        self.render_builder(highlight)

    @on(OptionList.OptionSelected, "#search-builder")
    def _line_chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        line = self.builder.line(option_id)
        if option_id == SORT_LINE:
            self._edit_sort()
        elif option_id == EMPTY_LINE:
            self.builder_command("add")
        elif line is not None:
            if isinstance(line.node, fb.Group):
                self.builder_command("op")
            else:
                self._edit_condition(line.node)

    def _edit_condition(self, cond: fb.Cond,
                        insert: tuple[fb.Group, int] | None = None) -> None:
        from tui.ui.screens.search_forms import ConditionForm

        def done(result: object) -> None:
            if not isinstance(result, fb.Cond):
                return
            if insert is not None:
                self.render_builder(self.builder.insert(insert, result))
            else:
                self.builder.replace(cond, result)
                self.render_builder()

        self.app.push_screen(ConditionForm(cond), done)

    def _edit_sort(self) -> None:
        from tui.ui.screens.search_forms import SortForm

        def done(result: object) -> None:
            if isinstance(result, tuple):
                self.builder.sort_spec = SortSpec(*result)
                self.render_builder()

        sort = self.builder.sort_spec
        self.app.push_screen(SortForm(sort.operand, sort.key, sort.order), done)

    def _raw_mode(self) -> None:
        from tui.ui.screens.search_forms import RawForm

        built = self.builder.preview()

        def done(result: object) -> None:
            if isinstance(result, tuple):
                root, sort = result
                self._set_expression(root, sort)

        self.app.push_screen(RawForm(built.filter_expression, built.sort_expression), done)

    def _set_expression(self, root: fb.Group, sort: se.Sort | None) -> None:
        self.builder.set_expression(root, sort)
        self.render_builder(0)

    @on(Select.Changed, "#search-where")
    @on(Input.Changed, "#search-location")
    def _target_changed(self) -> None:
        self.update_preview()

    @on(Input.Submitted, "#search-location")
    def _location_done(self) -> None:
        self.action_run_search()

    # --- running ---------------------------------------------------------------------------

    def action_run_search(self) -> None:
        built = self.builder.preview()
        if built.problems:
            self.notify(built.problems[0], title="Not sent", severity="error")
            return
        spec = self.spec()
        if not (spec.fleet_id or spec.alias_id):
            self.notify("Choose a fleet or alias to search first.", severity="warning")
            return
        self.run_spec(spec)

    def run_spec(self, spec: fb.SearchSpec) -> None:
        app = game_app(self)
        if app is None:
            return
        aws, pace = app.aws, app.pacer
        self.clear_sessions()
        self.search_run.start(spec)
        self.begin_load()

        def pages(job: Job) -> bool:
            for page in model.search_pages(aws, spec, cancelled=lambda: job.cancelled,
                                           pace=pace):
                job.progress(page)
            return not job.cancelled

        self.run_call("search", pages, progress=self.merge_page, done=self._search_ended,
                      failed=self._search_failed, description="SearchGameSessions",
                      foreground=True)
        # Off the UI thread: the write ends in an fsync, and the search's first page waits
        # for the UI thread to start it. Beside other writes, never dropped for a newer one.
        store = self.store
        self.run_call("history", lambda job: model.record_history(store, spec),
                      done=lambda _: None, failed=self._history_failed, exclusive=False,
                      description="search history")
        self.table.focus()

    def _history_failed(self, failure: Failure) -> None:
        self.notify(f"search history not saved: {failure.text}", severity="warning")

    def _search_ended(self, complete: bool) -> None:
        self._stop_running(cancelled=not complete)

    def _search_failed(self, failure: Failure) -> None:
        self.search_run.failed()
        self.show_failure(LOAD_TITLE, failure)

    def _stop_running(self, *, cancelled: bool) -> None:
        if not self.search_run.stop(cancelled=cancelled):
            return
        if cancelled:
            self.loading_sessions = False
            self.show_status()
        else:
            self.finish_load()

    def key_escape(self) -> None:
        if self.search_run.running:
            # A page already on its way must not change the rows the user chose to keep.
            self.cancel_calls("search")
            self.notify("Search cancelled; the rows so far stay.")
            self._stop_running(cancelled=True)
            return
        super().key_escape()

    def status_head(self) -> list[str]:
        return self.search_run.status_head()

    def export_table(self) -> ExportTable:
        spec = self.search_run.last_spec
        return self.session_export("search",
                                   expression=spec.filter_expression if spec is not None else "")

    def refresh_data(self) -> None:
        # A search is a one-shot query, never polled: `r` runs it again on purpose.
        if self.search_run.last_spec is not None:
            self.run_spec(self.search_run.last_spec)
        else:
            self.load_targets()

    def after_action(self) -> None:
        # Re-running the search would drop sessions that stopped being ACTIVE; describe the
        # acted-on sessions instead so their rows show what happened.
        ids = [i for i in self.last_action_ids if i in self.sessions]
        app = game_app(self)
        if ids and app is not None:
            aws = app.aws
            self.run_call("search-redescribe", lambda job: model.redescribe(aws, ids),
                          done=self._redescribed, exclusive=False,
                          description="DescribeGameSessionDetails", foreground=True)

    def _redescribed(self, sessions: list[GameSession]) -> None:
        self.merge_page(sessions)
        self.show_status()

    # --- saved searches --------------------------------------------------------------------

    def action_save_search(self) -> None:
        from tui.ui.screens.search_forms import NameForm

        if self.builder.preview().problems:
            self.notify("Fix the filter before saving it.", severity="warning")
            return
        spec = self.spec()

        store = self.store

        def named(name: object) -> None:
            if isinstance(name, str):
                self.run_call("save-search", lambda job: model.save_search(store, name, spec),
                              done=self._saved, exclusive=False, description="save search")

        try:
            taken = set(self.store.saved())
        except StoreError:
            taken = set()  # a damaged file: saving reports it
        self.app.push_screen(NameForm("Save this search as", taken=taken), named)

    def _saved(self, saved: model.Saved) -> None:
        if saved.problem:
            self.notify(saved.problem, title="Not saved", severity="error")
        else:
            self.notify(f"Saved as '{saved.name}' in {self.store.saved_path}")

    def action_open_saved(self) -> None:
        from tui.ui.screens.saved_searches import SavedSearchesScreen

        def chosen(spec: fb.SearchSpec | None) -> None:
            if spec is not None:
                self.load_spec(spec)

        self.app.push_screen(SavedSearchesScreen(self.store), chosen)

    def load_spec(self, spec: fb.SearchSpec, *, run: bool = False) -> None:
        try:
            root, sort = fb.parse_raw(spec.filter_expression, spec.sort_expression)
        except se.ExprError as err:
            self.notify(f"saved filter does not parse: {err.message}", severity="error")
            return
        self._set_expression(root, sort)
        target = f"alias:{spec.alias_id}" if spec.alias_id else f"fleet:{spec.fleet_id}"
        where = self.query_one("#search-where", Select)
        try:
            where.value = target
        except Exception:  # noqa: BLE001 - options not loaded yet (or target gone): keep it
            self._pending_target = target
        self.query_one("#search-location", Input).value = spec.location
        self.update_preview()
        if run:
            self.run_spec(spec)

    def action_copy_cli(self) -> None:
        built = self.builder.preview()
        if built.problems:
            self.notify(built.problems[0], severity="error")
            return
        command = fb.cli_command(self.spec(), self._region())
        self.app.copy_to_clipboard(command)
        self.notify("AWS CLI command copied (OSC 52).")

    def focus_content(self) -> None:
        for builder in self.query(BuilderList):
            builder.focus()
