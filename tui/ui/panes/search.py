"""Search pane: build a FilterExpression with the keyboard, see the exact string and the AWS CLI
command, run SearchGameSessions (one-shot, paged to the end) into a session table with every
session action, and keep searches by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.services.export import ExportTable

import datetime as dt
import threading
import time

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from tui.aws.records import GameSession
from tui.services import filter_builder as fb
from tui.services import gamelift
from tui.services import search_expr as se
from tui.services.batching import coalesce
from tui.services.saved_searches import SearchStore, StoreError
from tui.ui.panes.session_table import SessionTablePane
from tui.ui.read_only import game_app
from tui.ui.widgets.plain import Plain, SafeInput, cell

SORT_LINE = "sort"


class TargetsLoaded(Message):
    def __init__(self, options: list[tuple[str, str]], compute: dict[str, str]) -> None:
        super().__init__()
        self.options = options
        self.compute = compute


class SearchPage(Message):
    def __init__(self, generation: int, sessions: list[GameSession], done: bool) -> None:
        super().__init__()
        self.generation = generation
        self.sessions = sessions
        self.done = done


class Redescribed(Message):
    def __init__(self, sessions: list[GameSession]) -> None:
        super().__init__()
        self.sessions = sessions


def _position(siblings: list[fb.Cond | fb.Group], node: fb.Cond | fb.Group) -> int:
    """Where ``node`` itself sits among its siblings. Rows are dataclasses that compare by
    value, and two rows may read the same: list.index would find the first equal one."""
    return next(i for i, child in enumerate(siblings) if child is node)


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
    DEFAULT_CSS = """
    SearchPane #search-target { height: 1; }
    SearchPane #search-where { width: 1fr; }
    SearchPane #search-location { width: 24; }
    SearchPane #search-builder { height: auto; max-height: 7; border: none; }
    SearchPane #search-builder:focus { background-tint: $foreground 5%; }
    SearchPane #search-preview { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    SearchPane #search-table { height: 1fr; }
    SearchPane .status-line { height: 1; background: $boost; padding: 0 1; }
    SearchPane .quick-filter { display: none; }
    SearchPane .quick-filter.shown { display: block; }
    """
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
        self.root = fb.Group("AND", [fb.Cond("playerSessionCount", "", ">", "0")])
        self.sort_operand, self.sort_key, self.sort_order = "", "", "DESC"
        self.generation = 0
        self.started: float | None = None
        self.elapsed: float | None = None
        self.running = False
        self.cancelled = False
        self.last_spec: fb.SearchSpec | None = None
        self._pending_target: str | None = None
        self.store = SearchStore()
        self._history_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-target"):
            yield WhereSelect([], prompt="fleet or alias to search", id="search-where",
                         compact=True)
            yield SafeInput(placeholder="location (optional)", id="search-location", compact=True)
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

    # --- where to search -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="search-targets", exit_on_error=False,
          description="ListFleets + ListAliases")
    def load_targets(self) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        fleets = gamelift.list_fleets(aws, with_locations=False)
        options = [(f"fleet {f.name} ({f.fleet_id[-8:]})", f"fleet:{f.fleet_id}")
                   for f in fleets]
        for alias in gamelift.list_aliases(aws):
            if alias.routing_fleet_id:  # a TERMINAL alias routes nowhere: nothing to search
                options.append((f"alias {alias.name}", f"alias:{alias.alias_id}"))
        self.post_message(TargetsLoaded(options, {f.fleet_id: f.compute_type for f in fleets}))

    def on_targets_loaded(self, message: TargetsLoaded) -> None:
        where = self.query_one("#search-where", Select)
        # Select parses a str prompt as markup: fleet and alias names are the service's text.
        where.set_options([(cell(label), value) for label, value in message.options])
        self.fleet_compute.update(message.compute)
        wanted = self._pending_target
        if wanted and any(value == wanted for _, value in message.options):
            where.value = wanted
        elif message.options and where.is_blank():
            where.value = message.options[0][1]
        self._pending_target = None
        self.update_preview()

    def spec(self) -> fb.SearchSpec:
        where = self.query_one("#search-where", Select)
        value = "" if where.is_blank() else str(where.value)
        kind, _, target = value.partition(":")
        built = self.build()
        return fb.SearchSpec(
            fleet_id=target if kind == "fleet" else "",
            alias_id=target if kind == "alias" else "",
            location=self.query_one("#search-location", Input).value.strip(),
            filter_expression=built.filter_expression, sort_expression=built.sort_expression)

    # --- the builder -----------------------------------------------------------------------

    def build(self) -> fb.Preview:
        return fb.preview(self.root, self.sort_operand, self.sort_key, self.sort_order,
                          dt.datetime.now(dt.UTC))

    def render_builder(self, highlight: int | None = None) -> None:
        builder = self.query_one(BuilderList)
        if highlight is None:
            highlight = builder.highlighted or 0
        self.lines = fb.lines(self.root)
        options: list[Option] = []
        for index, line in enumerate(self.lines):
            prefix = "  " * line.depth
            joiner = f"{line.parent.op} " if line.parent is not None and \
                _position(line.parent.children, line.node) > 0 else "    "
            if len(self.root.children) < 2 and line.depth == 0:
                joiner = ""
            # Conditions hold typed text and saved searches (a file): prompts are Text.
            options.append(Option(cell(f"{prefix}{joiner}{fb.describe(line.node)}"),
                                  id=str(index)))
        if not self.lines:
            options.append(Option("(no conditions: every ACTIVE session) — a adds one",
                                  id="empty"))
        sort = (f"sort by {self.sort_operand}"
                f"{'.' + self.sort_key if self.sort_operand == se.PROPERTIES else ''} "
                f"{self.sort_order}" if self.sort_operand else "sort: service order")
        options.append(Option(cell(f"↕ {sort}"), id=SORT_LINE))
        builder.clear_options()
        builder.add_options(options)
        builder.highlighted = max(0, min(highlight, builder.option_count - 1))
        self.update_preview()

    def update_preview(self) -> None:
        if not self.is_mounted:
            return
        built = self.build()
        lines = [f"filter: {built.filter_expression or '(none)'}"
                 + (f"   sort: {built.sort_expression}" if built.sort_expression else "")]
        for problem in built.problems:
            lines.append(f"✗ {problem}")
        pitfalls = ["search sees ACTIVE sessions only", *built.warnings]
        lines.append("ⓘ " + "; ".join(pitfalls))
        if not built.problems:
            lines.append("$ " + fb.cli_command(self.spec(), self.app.aws.region))  # type: ignore[attr-defined]
        self.query_one("#search-preview", Static).update("\n".join(lines))

    def _cursor_line(self) -> fb.Line | None:
        builder = self.query_one(BuilderList)
        if builder.highlighted is None:
            return None
        option_id = builder.get_option_at_index(builder.highlighted).id or ""
        return self.lines[int(option_id)] if option_id.isdigit() else None

    def _container(self, line: fb.Line | None) -> tuple[fb.Group, int]:
        """Where a new line goes: into the group under the cursor, else after the cursor."""
        if line is None:
            return self.root, len(self.root.children)
        if isinstance(line.node, fb.Group):
            return line.node, len(line.node.children)
        parent = line.parent or self.root
        return parent, _position(parent.children, line.node) + 1

    def builder_command(self, what: str) -> None:
        line = self._cursor_line()
        if what in ("add", "group"):
            group, index = self._container(line)
            if what == "add":
                self._edit_condition(fb.Cond(), insert=(group, index))
                return
            inner: fb.Group = fb.Group("OR" if group.op == "AND" else "AND",
                                       [fb.Cond(), fb.Cond("playerSessionCount", "", "=", "0")])
            group.children.insert(index, inner)
            self.render_builder(self._index_of(inner))
        elif what == "raw":
            self._raw_mode()
        elif line is None:
            # The sort line or the empty placeholder: o flips the top level; x on the sort
            # line removes the sort (it must not flip AND/OR behind the user's back).
            if what == "op":
                self.root.op = "OR" if self.root.op == "AND" else "AND"
                self.render_builder()
            elif what == "remove" and self.sort_operand:
                self.sort_operand, self.sort_key = "", ""
                self.render_builder()
        elif what == "remove":
            parent = line.parent or self.root
            del parent.children[_position(parent.children, line.node)]
            self._prune(parent)
            self.render_builder()
        elif what == "op":
            group = line.node if isinstance(line.node, fb.Group) else (line.parent or self.root)
            group.op = "OR" if group.op == "AND" else "AND"
            self.render_builder()
        elif what == "not":
            line.node.negated = not line.node.negated
            self.render_builder()
        elif what in ("up", "down"):
            siblings = (line.parent or self.root).children
            index = _position(siblings, line.node)
            other = index + (-1 if what == "up" else 1)
            if 0 <= other < len(siblings):
                siblings[index], siblings[other] = siblings[other], siblings[index]
                self.render_builder(self._index_of(line.node))

    def _prune(self, group: fb.Group) -> None:
        # An empty nested group means nothing; drop it rather than show a hollow header.
        for line in fb.lines(self.root):
            if line.node is group and not group.children and line.parent is not None:
                del line.parent.children[_position(line.parent.children, group)]
                return

    def _index_of(self, node: fb.Cond | fb.Group) -> int:
        return next((i for i, line in enumerate(fb.lines(self.root)) if line.node is node), 0)

    @on(OptionList.OptionSelected, "#search-builder")
    def _line_chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id == SORT_LINE:
            self._edit_sort()
        elif option_id == "empty":
            self.builder_command("add")
        elif option_id.isdigit():
            line = self.lines[int(option_id)]
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
                group, index = insert
                group.children.insert(index, result)
                self.render_builder(self._index_of(result))
            else:
                cond.operand, cond.key = result.operand, result.key
                cond.comparator, cond.value = result.comparator, result.value
                self.render_builder()

        self.app.push_screen(ConditionForm(cond), done)

    def _edit_sort(self) -> None:
        from tui.ui.screens.search_forms import SortForm

        def done(result: object) -> None:
            if isinstance(result, tuple):
                self.sort_operand, self.sort_key, self.sort_order = result
                self.render_builder()

        self.app.push_screen(SortForm(self.sort_operand, self.sort_key, self.sort_order), done)

    def _raw_mode(self) -> None:
        from tui.ui.screens.search_forms import RawForm

        built = self.build()

        def done(result: object) -> None:
            if isinstance(result, tuple):
                root, sort = result
                self._set_expression(root, sort)

        self.app.push_screen(RawForm(built.filter_expression, built.sort_expression), done)

    def _set_expression(self, root: fb.Group, sort: se.Sort | None) -> None:
        self.root = root
        if sort is None:
            self.sort_operand, self.sort_key = "", ""
        else:
            self.sort_operand, self.sort_key, self.sort_order = sort.operand, sort.key or "", \
                sort.order
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
        built = self.build()
        if built.problems:
            self.notify(built.problems[0], title="Not sent", severity="error")
            return
        spec = self.spec()
        if not (spec.fleet_id or spec.alias_id):
            self.notify("Choose a fleet or alias to search first.", severity="warning")
            return
        self.run_spec(spec)

    def run_spec(self, spec: fb.SearchSpec) -> None:
        self.generation += 1
        self.last_spec = spec
        self.clear_sessions()
        self.running = True
        self.cancelled = False
        self.started, self.elapsed = time.monotonic(), None
        self.begin_load()
        self._search(spec, self.generation)
        self._record_history(spec)
        self.table.focus()

    @work(thread=True, group="history", exit_on_error=False, description="search history")
    def _record_history(self, spec: fb.SearchSpec) -> None:
        # Off the UI thread: the write ends in an fsync, which on a busy disk takes tens of
        # milliseconds, while the search's first page waits for the UI thread to start it.
        with self._history_lock:  # one search after another: neither entry may be lost
            try:
                self.store.record(spec)
            except OSError as err:
                if self.app.is_running:
                    self.app.call_from_thread(self.notify, f"search history not saved: {err}",
                                              severity="warning")

    @work(thread=True, exclusive=True, group="search", exit_on_error=False,
          description="SearchGameSessions")
    def _search(self, spec: fb.SearchSpec, generation: int) -> None:
        worker = get_current_worker()
        aws = self.app.aws  # type: ignore[attr-defined]
        app = game_app(self)
        pages = gamelift.search_game_sessions(
            aws, spec.fleet_id or None, alias_id=spec.alias_id or None,
            location=spec.location or None, filter_expression=spec.filter_expression or None,
            sort_expression=spec.sort_expression or None, cancelled=lambda: worker.is_cancelled,
            pace=app.pacer if app is not None else None)
        for page in coalesce(pages):
            self.post_message(SearchPage(generation, page, done=False))
        self.post_message(SearchPage(generation, [], done=not worker.is_cancelled))

    def on_search_page(self, message: SearchPage) -> None:
        if message.generation != self.generation:
            return
        self.merge_page(message.sessions)
        if not message.sessions or message.done:
            self._stop_running(cancelled=not message.done)

    def _stop_running(self, *, cancelled: bool) -> None:
        if not self.running:
            return
        self.running = False
        self.elapsed = time.monotonic() - (self.started or time.monotonic())
        if cancelled:
            self.loading_sessions = False
            self.show_status()
        else:
            self.finish_load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        text = self.app.aws.explain(event.worker.error or RuntimeError("unknown error"))
        if event.worker.group == "search":
            self.running = False
            self.load_failed(text)
        self.notify(text, title="AWS error", severity="error")

    def key_escape(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "search")
            # A page already on its way must not change the rows the user chose to keep.
            self.generation += 1
            self.cancelled = True
            self.notify("Search cancelled; the rows so far stay.")
            self._stop_running(cancelled=True)
            return
        super().key_escape()

    def status_head(self) -> list[str]:
        if self.last_spec is None:
            return ["g runs the search · r runs it again"]
        if self.elapsed is not None:
            if self.cancelled:
                return [f"search cancelled after {self.elapsed:.1f}s"]
            return [f"search took {self.elapsed:.1f}s"]
        if self.running and self.started is not None:
            return [f"searching {time.monotonic() - self.started:.0f}s (esc stops)"]
        return []

    def export_table(self) -> ExportTable:
        from tui.ui.commands import _session_rows

        return _session_rows(self, "search")  # type: ignore[no-any-return]

    def refresh_data(self) -> None:
        # A search is a one-shot query, never polled: `r` runs it again on purpose.
        if self.last_spec is not None:
            self.run_spec(self.last_spec)
        else:
            self.load_targets()

    def after_action(self) -> None:
        # Re-running the search would drop sessions that stopped being ACTIVE; describe the
        # acted-on sessions instead so their rows show what happened.
        ids = [i for i in self.last_action_ids if i in self.sessions]
        if ids:
            self._redescribe(ids)

    @work(thread=True, group="search-redescribe", exit_on_error=False,
          description="DescribeGameSessionDetails")
    def _redescribe(self, ids: list[str]) -> None:
        aws = self.app.aws  # type: ignore[attr-defined]
        found = []
        for sid in ids:
            try:
                found.append(gamelift.describe_game_session(aws, sid))
            except Exception:  # noqa: BLE001 - a vanished row keeps its last known state
                continue
        self.post_message(Redescribed(found))

    def on_redescribed(self, message: Redescribed) -> None:
        self.merge_page(message.sessions)
        self.show_status()

    # --- saved searches --------------------------------------------------------------------

    def action_save_search(self) -> None:
        from tui.ui.screens.search_forms import NameForm

        if self.build().problems:
            self.notify("Fix the filter before saving it.", severity="warning")
            return
        spec = self.spec()

        def named(name: object) -> None:
            if isinstance(name, str):
                try:
                    saved = self.store.save(name, spec)
                    self.notify(f"Saved as '{saved}' in {self.store.saved_path}")
                except (StoreError, OSError) as err:
                    self.notify(str(err), title="Not saved", severity="error")

        try:
            taken = set(self.store.saved())
        except StoreError:
            taken = set()  # a damaged file: saving reports it
        self.app.push_screen(NameForm("Save this search as", taken=taken), named)

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
        built = self.build()
        if built.problems:
            self.notify(built.problems[0], severity="error")
            return
        command = fb.cli_command(self.spec(), self.app.aws.region)  # type: ignore[attr-defined]
        self.app.copy_to_clipboard(command)
        self.notify("AWS CLI command copied (OSC 52).")

    def focus_content(self) -> None:
        for builder in self.query(BuilderList):
            builder.focus()
