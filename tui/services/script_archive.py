"""The script archive: every Realtime script zip this app uploads, kept in the app's data dir.

GameLift keeps no history of a script's content: an UpdateScript replaces it. This archive does,
so that a user can roll a script back to an earlier zip and compare versions.

Layout under ``<data dir>/script-archive/``: ``<sha256>.zip`` (each content once) and
``index.json`` (a list of entries: SHA-256, size, script id, name, version, time, source).
Files are 0600, the folder 0700; the index is replaced atomically (temp file + rename), so a
crash leaves either the old or the new index, never half of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tui import locations
from tui.services.atomic import write_atomic
from tui.trust import contained

INDEX_NAME = "index.json"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ArchiveEntry:
    sha256: str
    size: int
    script_id: str
    name: str
    version: str
    time: str  # ISO 8601 UTC, when it was archived
    source: str = "upload"  # upload | create | rollback | s3-before-update
    note: str = ""
    # Where the script lives, e.g. "aws:us-west-2" or "demo:us-west-2": script ids of the
    # demo world repeat from run to run and must never be confused with an account's.
    target: str = ""

    @property
    def short_sha(self) -> str:
        return self.sha256[:12]

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ArchiveEntry:
        return cls(sha256=str(item["sha256"]), size=int(item["size"]),
                   script_id=str(item.get("script_id", "")), name=str(item.get("name", "")),
                   version=str(item.get("version", "")), time=str(item.get("time", "")),
                   source=str(item.get("source", "upload")), note=str(item.get("note", "")),
                   target=str(item.get("target", "")))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ScriptArchive:
    def __init__(self, root: Path | None = None) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = locations.data_dir() / "script-archive"
        return locations.ensure_dir(self._root)

    @property
    def index_path(self) -> Path:
        return self.root / INDEX_NAME

    def zip_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        # The hash is checked above; contained() also refuses a link planted in the archive
        # folder that would send the zip elsewhere.
        return contained(self.root, f"{sha256}.zip")

    # --- reading ---------------------------------------------------------------------------

    def entries(self, *, script_id: str | None = None, name: str | None = None,
                target: str | None = None) -> list[ArchiveEntry]:
        """Entries, newest first; optionally those of one script id, name and/or target."""
        try:
            raw = json.loads(self.index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            raise OSError(f"script archive index {self.index_path} is unreadable: {err}") from err
        items = [ArchiveEntry.from_json(i) for i in raw.get("entries", [])
                 if isinstance(i, dict) and "sha256" in i]
        if script_id is not None:
            items = [e for e in items if e.script_id == script_id]
        if name is not None:
            items = [e for e in items if e.name == name]
        if target is not None:
            items = [e for e in items if e.target == target]
        # Newest first; entries of the same second keep their order of addition (later first).
        return [e for _, e in sorted(enumerate(items), key=lambda p: (p[1].time, p[0]),
                                     reverse=True)]

    def latest(self, script_id: str, target: str | None = None) -> ArchiveEntry | None:
        entries = self.entries(script_id=script_id, target=target)
        return entries[0] if entries else None

    def read(self, entry: ArchiveEntry | str) -> bytes:
        """The archived zip's bytes, checked against its SHA-256."""
        sha = entry.sha256 if isinstance(entry, ArchiveEntry) else entry
        data = self.zip_path(sha).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise OSError(f"archived zip {sha[:12]} is corrupt (SHA-256 mismatch)")
        return data

    # --- writing ---------------------------------------------------------------------------

    def add(self, data: bytes, *, script_id: str, name: str, version: str,
            source: str = "upload", note: str = "", target: str = "") -> ArchiveEntry:
        sha = hashlib.sha256(data).hexdigest()
        entry = ArchiveEntry(sha256=sha, size=len(data), script_id=script_id, name=name,
                             version=version, time=_now(), source=source, note=note,
                             target=target)
        with _LOCK:
            zip_file = self.zip_path(sha)
            if not zip_file.exists():
                write_atomic(zip_file, data)
            try:
                raw = json.loads(self.index_path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raw = {"entries": []}
            except ValueError:
                # Keep the damaged index for a human; start a new one.
                os.replace(self.index_path, self.index_path.with_suffix(".json.corrupt"))
                raw = {"entries": []}
            raw.setdefault("entries", []).append(asdict(entry))
            write_atomic(self.index_path,
                          json.dumps(raw, indent=1, sort_keys=True).encode("utf-8"))
        return entry
