"""The Search pane's model: the filter builder (a tree of conditions and groups, its edits, the
expression it prints), the state of a run (paging, cancel, elapsed time), the search history
writer and the calls the pane runs in its worker.

No Textual here: the widget (``tui/ui/panes/search.py``) draws the builder's lines and the
results, opens the forms, and runs ``search_pages`` / ``record_history`` / ``redescribe`` /
``load_targets`` through its one worker recipe.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.aws.records import GameSession
from tui.services import filter_builder as fb
from tui.services import gamelift
from tui.services import search_expr as se
from tui.services.batching import coalesce
from tui.services.saved_searches import SearchStore, StoreError

if TYPE_CHECKING:
    from tui.aws.session import AwsContext

SORT_LINE = "sort"
EMPTY_LINE = "empty"
EMPTY_TEXT = "(no conditions: every ACTIVE session) — a adds one"


def _position(siblings: list[fb.Cond | fb.Group], node: fb.Cond | fb.Group) -> int:
    """Where ``node`` itself sits among its siblings. Rows are dataclasses that compare by
    value, and two rows may read the same: list.index would find the first equal one."""
    return next(i for i, child in enumerate(siblings) if child is node)


def _flip(op: fb.GroupOp) -> fb.GroupOp:
    return "OR" if op == "AND" else "AND"


@dataclass
class SortSpec:
    """The builder's sort line; no ``operand``: the service's own order."""

    operand: str = ""
    key: str = ""  # the property key, for gameSessionProperties only
    order: str = "DESC"

    def describe(self) -> str:
        if not self.operand:
            return "sort: service order"
        key = "." + self.key if self.operand == se.PROPERTIES else ""
        return f"sort by {self.operand}{key} {self.order}"


@dataclass(frozen=True)
class Row:
    """One option of the builder's list: its text and id (a line's index, or SORT/EMPTY)."""

    text: str
    id: str


class Builder:
    """The expression being built. Edits take the line under the cursor and answer the index
    of the line to highlight next (None: leave the highlight where it is)."""

    def __init__(self) -> None:
        self.root = fb.Group("AND", [fb.Cond("playerSessionCount", "", ">", "0")])
        self.sort_spec = SortSpec()
        self.lines: list[fb.Line] = fb.lines(self.root)

    def rows(self) -> list[Row]:
        """The builder's lines as shown, with the sort line last."""
        self.lines = fb.lines(self.root)
        rows: list[Row] = []
        for index, line in enumerate(self.lines):
            prefix = "  " * line.depth
            joiner = f"{line.parent.op} " if line.parent is not None and \
                _position(line.parent.children, line.node) > 0 else "    "
            if len(self.root.children) < 2 and line.depth == 0:
                joiner = ""
            rows.append(Row(f"{prefix}{joiner}{fb.describe(line.node)}", str(index)))
        if not self.lines:
            rows.append(Row(EMPTY_TEXT, EMPTY_LINE))
        rows.append(Row(f"↕ {self.sort_spec.describe()}", SORT_LINE))
        return rows

    def line(self, row_id: str) -> fb.Line | None:
        """The condition or group of a row (None: the sort line or the placeholder)."""
        return self.lines[int(row_id)] if row_id.isdigit() else None

    def preview(self, now: dt.datetime | None = None) -> fb.Preview:
        sort = self.sort_spec
        return fb.preview(self.root, sort.operand, sort.key, sort.order,
                          now or dt.datetime.now(dt.UTC))

    def spec(self, where: str, location: str, now: dt.datetime | None = None) -> fb.SearchSpec:
        """The search to send; ``where`` is ``fleet:<id>`` or ``alias:<id>`` (or empty)."""
        kind, _, target = where.partition(":")
        built = self.preview(now)
        return fb.SearchSpec(
            fleet_id=target if kind == "fleet" else "",
            alias_id=target if kind == "alias" else "", location=location.strip(),
            filter_expression=built.filter_expression, sort_expression=built.sort_expression)

    def preview_lines(self, spec: fb.SearchSpec, region: str | None,
                      built: fb.Preview | None = None) -> list[str]:
        """The preview under the builder: the strings sent, problems, pitfalls, the CLI."""
        built = built or self.preview()
        lines = [f"filter: {built.filter_expression or '(none)'}"
                 + (f"   sort: {built.sort_expression}" if built.sort_expression else "")]
        lines += [f"✗ {problem}" for problem in built.problems]
        lines.append("ⓘ " + "; ".join(["search sees ACTIVE sessions only", *built.warnings]))
        if not built.problems:
            lines.append("$ " + fb.cli_command(spec, region))
        return lines

    # --- edits -----------------------------------------------------------------------------

    def index_of(self, node: fb.Cond | fb.Group) -> int:
        return next((i for i, line in enumerate(fb.lines(self.root)) if line.node is node), 0)

    def container(self, line: fb.Line | None) -> tuple[fb.Group, int]:
        """Where a new line goes: into the group under the cursor, else after the cursor."""
        if line is None:
            return self.root, len(self.root.children)
        if isinstance(line.node, fb.Group):
            return line.node, len(line.node.children)
        parent = line.parent or self.root
        return parent, _position(parent.children, line.node) + 1

    def insert(self, where: tuple[fb.Group, int], node: fb.Cond | fb.Group) -> int:
        group, index = where
        group.children.insert(index, node)
        return self.index_of(node)

    def add_group(self, line: fb.Line | None) -> int:
        """A group of the other operator, with two starter rows, where a new line goes."""
        group, index = self.container(line)
        inner = fb.Group(_flip(group.op), [fb.Cond(), fb.Cond("playerSessionCount", "", "=",
                                                              "0")])
        return self.insert((group, index), inner)

    def remove(self, line: fb.Line | None) -> int | None:
        """Remove the line (an emptied nested group goes too); on the sort line, the sort."""
        if line is None:
            self.sort_spec.operand, self.sort_spec.key = "", ""
            return None
        parent = line.parent or self.root
        del parent.children[_position(parent.children, line.node)]
        self._prune(parent)
        return None

    def flip_op(self, line: fb.Line | None) -> None:
        """AND ↔ OR of the line's group (a group header: that group; no line: the top)."""
        if line is None:
            group = self.root
        else:
            group = line.node if isinstance(line.node, fb.Group) else (line.parent or self.root)
        group.op = _flip(group.op)

    def negate(self, line: fb.Line) -> None:
        line.node.negated = not line.node.negated

    def move(self, line: fb.Line, step: int) -> int | None:
        """Swap with the sibling ``step`` away; the index of the moved line (None: at an end)."""
        siblings = (line.parent or self.root).children
        index = _position(siblings, line.node)
        other = index + step
        if not 0 <= other < len(siblings):
            return None
        siblings[index], siblings[other] = siblings[other], siblings[index]
        return self.index_of(line.node)

    def replace(self, cond: fb.Cond, edited: fb.Cond) -> None:
        """The condition form's answer, into the row it edited (the row keeps its NOT)."""
        cond.operand, cond.key = edited.operand, edited.key
        cond.comparator, cond.value = edited.comparator, edited.value

    def set_expression(self, root: fb.Group, sort: se.Sort | None) -> None:
        """Raw mode's or a saved search's expression, as rows and the sort line."""
        self.root = root
        if sort is None:
            self.sort_spec.operand, self.sort_spec.key = "", ""
        else:
            self.sort_spec = SortSpec(sort.operand, sort.key or "", sort.order)

    def _prune(self, group: fb.Group) -> None:
        # An empty nested group means nothing; drop it rather than show a hollow header.
        for line in fb.lines(self.root):
            if line.node is group and not group.children and line.parent is not None:
                del line.parent.children[_position(line.parent.children, group)]
                return


@dataclass
class SearchRun:
    """The last search: what was asked, whether it runs, how long it took. ``clock``:
    monotonic seconds."""

    clock: Callable[[], float] = time.monotonic
    last_spec: fb.SearchSpec | None = None
    running: bool = False
    cancelled: bool = False
    started: float | None = None
    elapsed: float | None = None

    def start(self, spec: fb.SearchSpec) -> None:
        self.last_spec = spec
        self.running, self.cancelled = True, False
        self.started, self.elapsed = self.clock(), None

    def stop(self, *, cancelled: bool) -> bool:
        """The run ended (all pages, or cancelled); False when it was not running."""
        if not self.running:
            return False
        self.running = False
        self.cancelled = cancelled
        self.elapsed = self.clock() - (self.started or self.clock())
        return True

    def failed(self) -> None:
        self.running = False

    def status_head(self) -> list[str]:
        if self.last_spec is None:
            return ["g runs the search · r runs it again"]
        if self.elapsed is not None:
            if self.cancelled:
                return [f"search cancelled after {self.elapsed:.1f}s"]
            return [f"search took {self.elapsed:.1f}s"]
        if self.running and self.started is not None:
            return [f"searching {self.clock() - self.started:.0f}s (esc stops)"]
        return []


@dataclass(frozen=True)
class Targets:
    """What the pane can search: (label, ``fleet:<id>`` / ``alias:<id>``), and each fleet's
    compute type (the terminate dialog says what kind of fleet it acts on)."""

    options: list[tuple[str, str]]
    compute: dict[str, str] = field(default_factory=dict)


def load_targets(aws: AwsContext) -> Targets:
    """ListFleets + ListAliases (run in a worker)."""
    fleets = gamelift.list_fleets(aws, with_locations=False)
    options = [(f"fleet {f.name} ({f.fleet_id[-8:]})", f"fleet:{f.fleet_id}") for f in fleets]
    for alias in gamelift.list_aliases(aws):
        if alias.routing_fleet_id:  # a TERMINAL alias routes nowhere: nothing to search
            options.append((f"alias {alias.name}", f"alias:{alias.alias_id}"))
    return Targets(options, {f.fleet_id: f.compute_type for f in fleets})


def search_pages(aws: AwsContext, spec: fb.SearchSpec, *, cancelled: Callable[[], bool],
                 pace: Callable[[], None] | None = None) -> Iterator[list[GameSession]]:
    """SearchGameSessions to the last page (or until ``cancelled``), in batches a few tens of
    milliseconds apart (each batch costs the UI thread a merge)."""
    pages = gamelift.search_game_sessions(
        aws, spec.fleet_id or None, alias_id=spec.alias_id or None,
        location=spec.location or None, filter_expression=spec.filter_expression or None,
        sort_expression=spec.sort_expression or None, cancelled=cancelled, pace=pace)
    return coalesce(pages)


def redescribe(aws: AwsContext, ids: list[str]) -> list[GameSession]:
    """DescribeGameSessionDetails of each acted-on result; a vanished one keeps its row."""
    found = []
    for sid in ids:
        try:
            found.append(gamelift.describe_game_session(aws, sid))
        except Exception:  # noqa: BLE001 - a vanished row keeps its last known state
            continue
    return found


_HISTORY_LOCK = threading.Lock()


def record_history(store: SearchStore, spec: fb.SearchSpec) -> None:
    """Add ``spec`` to the search history (run in a worker: the write ends in an fsync, which
    on a busy disk takes tens of milliseconds). Writes take turns, so of two searches run one
    after the other neither entry is lost; OSError: the history could not be written."""
    with _HISTORY_LOCK:
        store.record(spec)


@dataclass(frozen=True)
class Saved:
    """How saving a search ended: the name it was saved under, or why it was not saved."""

    name: str = ""
    problem: str = ""


def save_search(store: SearchStore, name: str, spec: fb.SearchSpec) -> Saved:
    """Save ``spec`` as ``name`` (run in a worker: an atomic write with an fsync). The store's
    refusals (a bad name, a damaged file it will not overwrite, the disk) are written for the
    user, naming the file, so they are answered as they are."""
    try:
        return Saved(name=store.save(name, spec))
    except (StoreError, OSError) as err:
        return Saved(problem=str(err))
