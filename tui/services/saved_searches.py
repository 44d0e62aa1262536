"""Saved searches (TOML in the user config dir) and the history of the last searches run.

Saved searches live in their own file, ``searches.toml`` beside ``config.toml``: the app rewrites
it on every save, and rewriting the user's hand-edited config would drop their comments.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import tomli_w

from tui import locations
from tui.services.atomic import write_atomic
from tui.services.filter_builder import SearchSpec

HISTORY_LIMIT = 20
MAX_NAME = 64
_SPEC_FIELDS = tuple(f.name for f in fields(SearchSpec))


class StoreError(Exception):
    """The saved-search file cannot be read or written; the message names the file."""


def _spec(item: Any) -> SearchSpec:
    if not isinstance(item, dict):
        raise TypeError("not a table")
    return SearchSpec(**{name: str(item.get(name, "")) for name in _SPEC_FIELDS})


def _row(spec: SearchSpec) -> dict[str, str]:
    return {k: v for k, v in asdict(spec).items() if v}


class SearchStore:
    def __init__(self, saved_path: Path | None = None, history_path: Path | None = None) -> None:
        self.saved_path = saved_path or locations.config_dir() / "searches.toml"
        self.history_path = history_path or locations.data_dir() / "search-history.json"

    # --- saved -----------------------------------------------------------------------------

    def saved(self) -> dict[str, SearchSpec]:
        """Name → search, in file order. StoreError when the file is broken (it is left as it
        is: the user may want to fix it by hand)."""
        try:
            raw = self.saved_path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise StoreError(f"{self.saved_path}: {err.strerror}") from err
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise StoreError(f"{self.saved_path}: not valid TOML ({err}); fix or remove it "
                             "to save searches again") from err
        table = data.get("searches", {})
        if not isinstance(table, dict):
            raise StoreError(f"{self.saved_path}: [searches] must be a table")
        out: dict[str, SearchSpec] = {}
        for name, item in table.items():
            try:
                out[name] = _spec(item)
            except TypeError as err:
                raise StoreError(f"{self.saved_path}: searches.{name} must be a table") from err
        return out

    def _write(self, searches: dict[str, SearchSpec]) -> None:
        body = {"searches": {name: _row(spec) for name, spec in searches.items()}}
        text = ("# Saved searches of gameops-tui. The app rewrites this file when you save, "
                "rename or delete a search.\n\n" + tomli_w.dumps(body))
        write_atomic(self.saved_path, text.encode("utf-8"))

    @staticmethod
    def check_name(name: str) -> str:
        name = name.strip()
        if not name:
            raise StoreError("a saved search needs a name")
        if len(name) > MAX_NAME:
            raise StoreError(f"names are at most {MAX_NAME} characters")
        if any(ord(ch) < 32 for ch in name):
            raise StoreError("names cannot hold control characters")
        return name

    def save(self, name: str, spec: SearchSpec) -> str:
        name = self.check_name(name)
        searches = self.saved()
        searches[name] = spec
        self._write(searches)
        return name

    def rename(self, old: str, new: str) -> str:
        new = self.check_name(new)
        searches = self.saved()
        if old not in searches:
            raise StoreError(f"no saved search named {old!r}")
        if new != old and new in searches:
            raise StoreError(f"a saved search named {new!r} exists already")
        self._write({(new if name == old else name): spec for name, spec in searches.items()})
        return new

    def delete(self, name: str) -> None:
        searches = self.saved()
        if searches.pop(name, None) is None:
            raise StoreError(f"no saved search named {name!r}")
        self._write(searches)

    # --- history ---------------------------------------------------------------------------

    def history(self) -> list[SearchSpec]:
        """The last searches run, newest first. A damaged history file reads as empty: it
        only holds convenience, and the next search rewrites it."""
        try:
            items = json.loads(self.history_path.read_text(encoding="utf-8"))
            return [_spec(item) for item in items][:HISTORY_LIMIT]
        except (OSError, ValueError, TypeError):
            return []

    def record(self, spec: SearchSpec) -> None:
        items = [spec] + [old for old in self.history() if old != spec]
        data = json.dumps([_row(item) for item in items[:HISTORY_LIMIT]], indent=1)
        write_atomic(self.history_path, data.encode("utf-8"))
