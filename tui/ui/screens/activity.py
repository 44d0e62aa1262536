"""`L`: the activity view — the audit log of this profile, newest first: what did I just do, and
did it work?

The audit log (``tui.aws.audit``) is one JSON line per mutating call, from this app and any
other gameops-tui on the machine. This screen reads the file itself, not an in-memory list, so
what it shows is what was written. While it is open it looks at the file every second and reads
only the bytes appended since (``AuditTail``), so an action finishing behind it appears at the
top; ``r`` reads the file again from the start.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tui.ui.contract import game_app
from tui.ui.screens.base import HERE
from tui.ui.widgets.plain import Plain, SafeInput, cell, safe_text, visible

# Only the end of a long log is read: the newest records are what this view is for.
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 2000
OUTCOMES = {"ok": ("✓ ok", "green"), "error": ("✗ error", "bold red"),
            "refused": ("⊘ refused", "bold yellow"), "sending": ("⟳ sending", "yellow")}
# `f` cycles through these: (label, outcomes shown)
OUTCOME_FILTERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("all outcomes", frozenset()),
    ("problems only", frozenset({"error", "refused"})),
    ("ok only", frozenset({"ok"})),
)
# The target worth a column, most specific first.
_TARGET_ORDER = ("GameSessionId", "PlayerSessionId", "DeploymentId", "PlayerId", "SnapshotId",
                 "ScriptId", "AliasId", "BuildId", "FleetId", "GameName", "StageName",
                 "Location", "ResourceArn", "Namespace")
_TOKENS = ("ClientToken", "IdempotencyToken")
COLUMNS = (("when", "When", 8), ("outcome", "Outcome", 9), ("operation", "Operation", 20),
           ("target", "Target", 14), ("result", "Error / change", 48))
WIDE = 110  # from this width the Target and Error columns get more room


@dataclass(frozen=True)
class Activity:
    """One audit record, as the view shows it."""

    key: str  # the byte offset of its line: unique in the file
    time: dt.datetime | None
    profile: str | None
    region: str | None
    service: str
    operation: str
    outcome: str
    targets: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, key: str, line: bytes) -> Activity | None:
        try:
            data = json.loads(line)
        except ValueError:
            return None  # a torn or foreign line: skip it, keep the rest
        if not isinstance(data, dict):
            return None
        raw_error, raw_targets = data.get("error"), data.get("targets")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        targets: dict[str, Any] = raw_targets if isinstance(raw_targets, dict) else {}
        return cls(key=key, time=_parse_time(data.get("time")), profile=data.get("profile"),
                   region=data.get("region"), service=str(data.get("service") or "?"),
                   operation=str(data.get("operation") or "?"),
                   outcome=str(data.get("outcome") or "?"), targets=targets,
                   error_code=str(error.get("code") or ""),
                   error_message=str(error.get("message") or ""), raw=data)

    def target_text(self) -> str:
        """Where (GameSparks game/stage) and the most specific id the call named."""
        parts = []
        game, stage = self.targets.get("GameName"), self.targets.get("StageName")
        if game:
            parts.append(f"{game}/{stage}" if stage else str(game))
        for name in _TARGET_ORDER:
            value = self.targets.get(name)
            if value in (None, "") or name in ("GameName", "StageName"):
                continue
            text = str(value)
            if name in ("GameSessionId", "ResourceArn", "PlayerSessionId"):
                text = text.rsplit("/", 1)[-1]
            if name == "GameSessionId":
                text = text[-12:]  # as the session tables show it
            parts.append(text)
            break
        return " ".join(parts) or "-"

    def change_text(self) -> str:
        """What was asked, less the ids (the Target column has them) and idempotency tokens."""
        params = self.raw.get("params")
        if not isinstance(params, Mapping):
            return ""
        return "  ".join(f"{k}={_compact(v)}" for k, v in params.items()
                         if k not in _TARGET_ORDER and k not in _TOKENS)

    def summary_text(self) -> str:
        """The last column: the error of a failed call, else what it changed."""
        if self.outcome != "ok":
            return self.result_text()
        return self.change_text() or self.result_text()

    def result_text(self) -> str:
        if self.outcome != "ok":
            return f"{self.error_code}: {self.error_message}" if self.error_message \
                else self.error_code
        result = self.raw.get("result")
        if isinstance(result, Mapping):
            # The new state, not the ids again (they are in the Target column).
            return " ".join(f"{k}={v}" for k, v in _flat(result).items()
                            if k not in _TARGET_ORDER and k != "Id")
        return ""

    def haystack(self) -> str:
        return " ".join([self.service, self.operation, self.outcome, self.error_code,
                         self.error_message, self.region or "",
                         *(str(v) for v in self.targets.values()), self.result_text(),
                         self.change_text()]).casefold()


def _flat(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value))
        else:
            flat[key] = value
    return flat


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def when_text(value: dt.datetime | None, today: dt.date | None = None) -> str:
    """Local time: the hour for today's records, the day for older ones."""
    if value is None:
        return "?"
    local = value.astimezone()
    today = today or dt.datetime.now().astimezone().date()
    return local.strftime("%H:%M:%S" if local.date() == today else "%m-%d %H:%M")


class AuditTail:
    """Reads an append-only JSON-lines file incrementally: the first read takes (the end of)
    the file, later reads only what was appended. A file that shrank or was replaced is read
    again from the start."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.offset = 0
        self.identity: tuple[int, int] | None = None
        self.truncated = False  # the first read skipped the start of a long file
        # Lines still "sending": the audit log completes them in place (same length) when the
        # call ends, so they are read again until they say how it went.
        self.pending: dict[int, int] = {}  # offset → length

    def reset(self) -> None:
        self.offset, self.identity, self.truncated = 0, None, False
        self.pending = {}

    def completed(self) -> list[Activity]:
        """Records that were "sending" when last read and have an outcome now."""
        if not self.pending:
            return []
        done: list[Activity] = []
        with open(self.path, "rb") as handle:
            for position, length in list(self.pending.items()):
                handle.seek(position)
                record = Activity.parse(str(position), handle.read(length))
                if record is None or record.outcome != "sending":
                    del self.pending[position]
                    if record is not None:
                        done.append(record)
        return done

    def read(self) -> tuple[list[Activity], bool]:
        """(new records in file order, whether earlier records must be dropped)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            restarted = self.identity is not None
            self.reset()
            return [], restarted
        identity = (stat.st_dev, stat.st_ino)
        restarted = False
        if self.identity is not None and (identity != self.identity or
                                          stat.st_size < self.offset):
            self.reset()
            restarted = True
        first = self.identity is None
        self.identity = identity
        if stat.st_size == self.offset:
            return [], restarted
        start = self.offset
        if first and stat.st_size > self.max_bytes:
            start = stat.st_size - self.max_bytes
            self.truncated = True
        with open(self.path, "rb") as handle:
            handle.seek(start)
            data = handle.read()
        if first and start > 0:
            cut = data.find(b"\n")  # drop the partial first line
            start, data = start + cut + 1, data[cut + 1:]
        records: list[Activity] = []
        position = start
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # a line still being written: read it next time
            record = Activity.parse(str(position), line) if line.strip() else None
            if record is not None:
                records.append(record)
                if record.outcome == "sending":
                    self.pending[position] = len(line)
            position += len(line)
        self.offset = position
        return records, restarted or first


class ActivityScreen(Screen[None]):
    """The audit log of one profile, newest first, filterable, following the file."""

    CSS_PATH = [HERE / "activity.tcss"]
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("L", "close", "Back", show=False),
        Binding("r", "reload", "Reload", id="activity.reload"),
        Binding("slash", "filter", "Filter", id="activity.filter"),
        Binding("f", "cycle_outcomes", "Outcomes", id="activity.outcomes"),
        *(Binding(key, f"leave('{pane}')", f"Go to {pane}", show=False)
          for key, pane in (("1", "sessions"), ("2", "search"), ("3", "scripts"),
                            ("4", "stages"))),
    ]
    poll_seconds = 1.0

    def __init__(self, path: Path, profile: str | None) -> None:
        super().__init__()
        self.path = Path(path)
        self.profile = profile
        self.tail = AuditTail(self.path)
        self.records: list[Activity] = []  # file order (oldest first)
        self.filter_text = ""
        self.outcome_index = 0
        self.other_profiles = 0

    def compose(self) -> ComposeResult:
        yield Plain(f"Activity · profile {self.profile or '-'} · newest first",
                     id="activity-head")
        yield SafeInput(placeholder="filter: operation, target, outcome, error  (/ · esc leaves)",
                    id="activity-filter", compact=True)
        table: DataTable[str | Text] = DataTable(id="activity-table", cursor_type="row",
                                                 zebra_stripes=True)
        wide = self.app.size.width >= WIDE
        for key, label, width in COLUMNS:
            if wide and key == "target":
                width = 36
            elif wide and key == "result":
                width = max(width, self.app.size.width - 100)
            table.add_column(label, key=key, width=width)
        yield table
        yield Plain("", id="activity-detail")
        yield Plain("", id="activity-status")
        yield Footer()

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one("#activity-table", DataTable)

    def on_mount(self) -> None:
        self.read_log()
        self.table.focus()
        self.set_interval(self.poll_seconds, self.read_log)

    # --- reading -----------------------------------------------------------------------------

    def read_log(self) -> None:
        try:
            done = self.tail.completed()
            new, restarted = self.tail.read()
        except OSError as err:
            self.show_status(f"⚠ cannot read {self.path}: {err.strerror or err}")
            return
        if restarted:
            self.records, self.other_profiles = [], 0
        mine = [r for r in new if self.profile is None or r.profile == self.profile]
        self.other_profiles += len(new) - len(mine)
        if done and not restarted:
            finished = {r.key: r for r in done}
            self.records = [finished.get(r.key, r) for r in self.records]
        if mine or restarted or done:
            self.records = (self.records + mine)[-MAX_ROWS:]
            self.rebuild(newest=bool(mine) and not restarted)
        elif not self.table.row_count:
            self.rebuild()

    def action_reload(self) -> None:
        self.tail.reset()
        self.records, self.other_profiles = [], 0
        self.read_log()
        self.notify(f"{len(self.records)} records read from {self.path}", title="Activity",
                    timeout=3)

    # --- the table ---------------------------------------------------------------------------

    def matches(self, record: Activity) -> bool:
        outcomes = OUTCOME_FILTERS[self.outcome_index][1]
        if outcomes and record.outcome not in outcomes:
            return False
        return not self.filter_text or self.filter_text.casefold() in record.haystack()

    def shown(self) -> list[Activity]:
        """What the table shows, in its order (newest first)."""
        return [r for r in reversed(self.records) if self.matches(r)]

    def rebuild(self, *, newest: bool = False) -> None:
        table = self.table
        cursor = self.cursor_record()
        at_top = table.cursor_row <= 0
        today = dt.datetime.now().astimezone().date()
        with self.app.batch_update():
            table.clear()
            for record in self.shown():
                label, style = OUTCOMES.get(record.outcome, (record.outcome, ""))
                # The audit log is a file: every value read from it is untrusted text.
                table.add_row(cell(when_text(record.time, today)), cell(label, style),
                              cell(record.operation), cell(record.target_text()),
                              safe_text(record.summary_text(),
                                        "red" if record.outcome == "error" else ""),
                              key=record.key)
            # New records arrive at the top; a cursor at the top follows them, one that the
            # user moved down stays on its record.
            if cursor is not None and cursor.key in table.rows and not (newest and at_top):
                table.move_cursor(row=table.get_row_index(cursor.key), animate=False)
            elif table.row_count:
                table.move_cursor(row=0, animate=False)
        self.show_detail()
        self.show_status()

    def cursor_record(self) -> Activity | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.records if r.key == key), None)

    @on(DataTable.RowHighlighted, "#activity-table")
    def _highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        record = self.cursor_record()
        detail = self.query_one("#activity-detail", Static)
        if record is None:
            detail.update(Text("Nothing here yet: actions you take (terminate, lock, protect, "
                               "update, deploy…) are listed as they happen.", style="dim"))
            return
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        label, style = OUTCOMES.get(record.outcome, (record.outcome, ""))
        when = record.raw.get("time", "?")
        duration = record.raw.get("duration_ms")
        grid.add_row("call", Text.assemble(visible(f"{record.service} {record.operation}  "),
                                           (visible(label), style),
                                           visible(f"  {when}" + (f" · {duration} ms"
                                                                  if duration is not None
                                                                  else ""))))
        if record.error_code:
            grid.add_row("error", safe_text(f"{record.error_code}: {record.error_message}",
                                            "red"))
        params = record.raw.get("params")
        if isinstance(params, Mapping) and params:
            grid.add_row("sent", safe_text("  ".join(f"{k}={_compact(v)}"
                                                     for k, v in params.items())))
        result = record.result_text() if record.outcome == "ok" else ""
        if result:
            grid.add_row("result", safe_text(result))
        extra = [f"region {record.region}"] if record.region else []
        if record.raw.get("request_id"):
            extra.append(f"request {record.raw['request_id']}")
        if extra:
            grid.add_row("", safe_text(" · ".join(extra), "dim"))
        detail.update(grid)

    def show_status(self, problem: str = "") -> None:
        shown = self.table.row_count
        errors = sum(1 for r in self.records if r.outcome == "error")
        refused = sum(1 for r in self.records if r.outcome == "refused")
        parts = [_count(len(self.records), "record"), _count(errors, "error"),
                 f"{refused} refused"]
        label = OUTCOME_FILTERS[self.outcome_index][0]
        if self.filter_text or self.outcome_index:
            what = f"'{self.filter_text}' " if self.filter_text else ""
            parts.append(f"filter {what}({label}): {shown} shown")
        if self.tail.truncated:
            parts.append("older records not read")
        if self.other_profiles:
            parts.append(f"{self.other_profiles} of other profiles hidden")
        parts.append(str(self.path))
        if problem:
            parts.insert(0, problem)
        self.query_one("#activity-status", Static).update(" · ".join(parts))

    # --- keys --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#activity-filter", Input).focus()

    def action_cycle_outcomes(self) -> None:
        self.outcome_index = (self.outcome_index + 1) % len(OUTCOME_FILTERS)
        self.rebuild()

    @on(Input.Changed, "#activity-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.rebuild()

    @on(Input.Submitted, "#activity-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_close(self) -> None:
        box = self.query_one("#activity-filter", Input)
        if box.has_focus:
            self.table.focus()
            return
        self.dismiss(None)

    def action_leave(self, pane: str) -> None:
        """1-4 leave the view for a pane (the app's own keys would switch it unseen)."""
        self.dismiss(None)
        app = game_app(self)
        if app is not None:
            app.call_later(app.action_show_pane, pane)
