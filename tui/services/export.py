"""Export what a table shows to CSV or JSON in the downloads folder.

Plain Python (no Textual): the ui gathers the records a table shows, in the table's order and
filter, and hands them here. Records are the aws layer's dataclasses (``tui.aws.records``), so
an export holds the AWS values (ids, epoch-exact timestamps, every game property), not the
shortened display strings.

- Field names are the records' (the AWS field names in snake_case); ``extra`` adds columns the
  table derives (e.g. the fleets that run a script).
- Key/value pairs (GameProperties, tags) become objects in JSON and a JSON text in CSV.
- Timestamps are ISO 8601 UTC with a ``Z``.
- No credentials: fields whose names say secret/password/token/credential are dropped, and the
  caller's credential strings are redacted from the written text whatever field held them.
- CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
  tab or CR) get a leading ``'`` (OWASP's advice: session names and game properties come from
  game clients). JSON keeps every value exactly.
- Files are written 0600 through a temporary file (``write_atomic``): never half-written.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.services.atomic import write_atomic
from tui.trust import contained, safe_basename, visible

FORMATS = ("csv", "json")
_SECRET_WORDS = ("secret", "password", "passwd", "token", "credential", "private_key",
                 "access_key", "session_key")
# Large or nested data that a table never shows and a row format cannot hold well.
_SKIPPED_FIELDS = frozenset({"sections"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportTable:
    """The rows of one table, ready to write."""

    kind: str  # what a row is: sessions, fleets, scripts, deployments, snapshots, stages, games
    title: str  # what the table showed, for the user and the JSON header
    rows: list[dict[str, Any]] = field(default_factory=list)
    slug: str = ""  # a short name for the file: the fleet, the stage, "search"

    def __len__(self) -> int:
        return len(self.rows)


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    text = value.astimezone(dt.UTC).isoformat()
    return text.replace("+00:00", "Z")


def plain(value: Any) -> Any:
    """A value as JSON can hold it: datetimes as ISO text, pairs as objects, records as dicts."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return record_row(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items() if not _is_secret(str(k))}
    if isinstance(value, tuple | list):
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(k): plain(v) for k, v in value}  # GameProperties, tags
        return [plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record_row(record: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One row: a record's fields (secrets and big nested data left out), then ``extra``."""
    row: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        if item.name in _SKIPPED_FIELDS or _is_secret(item.name):
            continue
        row[item.name] = plain(getattr(record, item.name))
    for key, value in (extra or {}).items():
        if not _is_secret(key):
            row[key] = plain(value)
    return row


def columns_of(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every key of every row, in the order first seen."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
                          "\u2060-\u206f\ufeff\ufff9-\ufffb]")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        text = "'" + text
    # A spreadsheet or `cat` would act on an escape sequence: controls are shown as symbols
    # (the trust rule); line breaks stay, CSV quoting carries them.
    return visible(text, newlines=True)


def render_csv(table: ExportTable) -> str:
    columns = columns_of(table.rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in table.rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    return out.getvalue()


def render_json(table: ExportTable, header: Mapping[str, Any] | None = None) -> str:
    document = {**(header or {}), "kind": table.kind, "title": table.title,
                "count": len(table.rows), "rows": table.rows}
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    # json escapes C0 controls only; DEL, C1, bidi and other invisible characters are escaped
    # too, so the file shows nothing raw in a terminal and still holds the exact value.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    for value in secrets:
        if value and len(value) >= 8:
            text = text.replace(value, "[redacted]")
    return text


def file_name(table: ExportTable, fmt: str, now: dt.datetime) -> str:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    parts = [table.kind, table.slug] if table.slug else [table.kind]
    # The slug is a fleet id, a game or stage name, a profile: service or user text, so the
    # name is reduced to one safe component (dashes for readability, then the trust rule).
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts)).strip("-.")[:80] or "export"
    return safe_basename(f"{base}-{stamp}.{fmt}", fallback=f"export-{stamp}.{fmt}")


def write_export(table: ExportTable, fmt: str, folder: Path, *,
                 header: Mapping[str, Any] | None = None,
                 secret_values: Callable[[], Sequence[str]] | None = None,
                 now: dt.datetime | None = None) -> Path:
    """Write ``table`` as ``fmt`` (csv or json) into ``folder``; returns the new file's path.

    A file of the same name is never overwritten: a counter is added instead."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (csv or json)")
    now = now or dt.datetime.now(dt.UTC)
    text = render_csv(table) if fmt == "csv" else render_json(
        table, {"exported": iso(now), **(header or {})})
    if secret_values is not None:
        try:
            text = redact(text, secret_values())
        except Exception:  # a credential provider failing must not stop the export
            pass
    name = file_name(table, fmt, now)
    path = contained(folder, name)
    counter = 2
    while path.exists():
        stem, _, ext = name.rpartition(".")
        path = contained(folder, f"{stem}-{counter}.{ext}")
        counter += 1
    write_atomic(path, text.encode("utf-8"))
    return path
