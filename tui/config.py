"""User settings: one typed object loaded from ``config.toml`` in the platform config folder.

A setting that is unknown, of the wrong type or out of range is reported with the file, the line
and the key, and its default is used; a file that is not valid TOML gives the defaults for every
setting. Nothing here stops the app from starting. The README lists every key.

What the app remembers by itself (the last theme picked) lives in a separate state file, so the
user's own file is never rewritten behind their back.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui import locations
from tui.aws.budget import DEFAULT_SHARE as DEFAULT_API_BUDGET

DEFAULT_REFRESH_SECONDS = 15.0
DEFAULT_PAGING_CONCURRENCY = 4
# Keys that terminal multiplexers take for themselves: a binding on them never arrives.
MULTIPLEXER_KEYS = frozenset({"ctrl+a", "ctrl+b"})

_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-\d+$")


@dataclass(frozen=True)
class BannerRule:
    """Paint the context bar ``color`` and show ``label`` when a profile, region or account id
    matches ``pattern`` (a shell-style pattern, any case)."""

    pattern: str
    color: str
    label: str

    def matches(self, *names: str | None) -> bool:
        pattern = self.pattern.lower()
        return any(name and fnmatch.fnmatchcase(name.lower(), pattern) for name in names)


DEFAULT_BANNERS = (BannerRule("*prod*", "darkred", "PROD"),)


@dataclass(frozen=True)
class Settings:
    profile: str | None = None
    region: str | None = None
    read_only: bool = False
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    paging_concurrency: int = DEFAULT_PAGING_CONCURRENCY
    api_budget: float = DEFAULT_API_BUDGET
    theme: str = ""
    downloads_dir: Path | None = None
    keys: dict[str, str] = field(default_factory=dict)
    banner: tuple[BannerRule, ...] = DEFAULT_BANNERS
    # Where the settings came from, and what was wrong with it (one line each).
    path: Path | None = None
    problems: tuple[str, ...] = ()
    # Line of each [keys] entry, so the app can name it when a binding id is unknown.
    key_lines: dict[str, int] = field(default_factory=dict)

    def banner_for(self, *names: str | None) -> BannerRule | None:
        """The first banner rule matching any of ``names`` (profile, region, account id)."""
        return next((rule for rule in self.banner if rule.matches(*names)), None)

    def where(self, key_path: tuple[str | int, ...]) -> str:
        """``<file>, line N, key K`` for messages about a setting."""
        line = self.key_lines.get(_dotted(key_path[1:])) if key_path[:1] == ("keys",) else None
        return _where(self.path, line, key_path)


# --- loading --------------------------------------------------------------------------------

def load_settings(path: Path | None = None) -> Settings:
    """Read ``path`` (default: the platform config file); never raises for a bad file."""
    path = path or locations.config_file(create=False)
    try:
        # utf-8-sig: editors on Windows (Notepad) start the file with a byte-order mark, which
        # TOML does not allow; without this the whole file was rejected.
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, NotADirectoryError):  # no file there (a parent is a file)
        return Settings(path=path)
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        return Settings(path=path, problems=(
            f"{path}: cannot read it ({reason}); using the defaults for every setting",))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return Settings(path=path, problems=(
            f"{path}: not valid TOML ({err}); using the defaults for every setting",))
    return _Reader(path, text).read(raw)


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _index_lines(text)
        self.problems: list[str] = []

    def problem(self, key_path: tuple[str | int, ...], message: str) -> None:
        line = self.lines.get(key_path)
        if line is None:  # "a.b" = … and a.b = … are the same key, split differently
            line = next((n for p, n in self.lines.items() if _dotted(p) == _dotted(key_path)),
                        None)
        self.problems.append(f"{_where(self.path, line, key_path)}: {message}")

    def read(self, raw: dict[str, Any]) -> Settings:
        values: dict[str, Any] = {}
        for name, value in raw.items():
            reader = _TOP_LEVEL.get(name)
            if reader is None:
                self.problem((name,), _unknown(name, _TOP_LEVEL))
                continue
            result = reader(self, (name,), value)
            if result is not _DEFAULT:
                values[name] = result
        key_lines = {_dotted(p[1:]): line for p, line in self.lines.items()
                     if p[:1] == ("keys",) and len(p) >= 2}
        return Settings(**values, path=self.path, problems=tuple(self.problems),
                        key_lines=key_lines)

    # --- one reader per key: returns the value, or _DEFAULT after reporting ----------------

    def string(self, key: tuple[str | int, ...], value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"expected a non-empty string, got {_show(value)}; "
                         "using the default")
            return _DEFAULT
        return value.strip()

    def profile(self, key: tuple[str | int, ...], value: Any) -> Any:
        return self.string(key, value)

    def region(self, key: tuple[str | int, ...], value: Any) -> Any:
        text = self.string(key, value)
        if text is not _DEFAULT and not _REGION.match(text):
            self.problem(key, f"{text!r} is not an AWS region name (for example us-west-2); "
                         "using the default")
            return _DEFAULT
        return text

    def boolean(self, key: tuple[str | int, ...], value: Any) -> Any:
        if not isinstance(value, bool):
            self.problem(key, f"expected true or false, got {_show(value)}; using the default "
                         "(false)")
            return _DEFAULT
        return value

    def refresh_seconds(self, key: tuple[str | int, ...], value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 2 <= value <= 3600:
            self.problem(key, f"expected a number of seconds from 2 to 3600, got {_show(value)}; "
                         f"using the default ({DEFAULT_REFRESH_SECONDS:g})")
            return _DEFAULT
        return float(value)

    def paging_concurrency(self, key: tuple[str | int, ...], value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 32:
            self.problem(key, f"expected a whole number from 1 to 32, got {_show(value)}; "
                         f"using the default ({DEFAULT_PAGING_CONCURRENCY})")
            return _DEFAULT
        return value

    def api_budget(self, key: tuple[str | int, ...], value: Any) -> Any:
        # More than the whole limit would leave the game's backend nothing; 1% is still
        # enough for one refresh of a small fleet list.
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                0.01 <= value <= 1):
            self.problem(key, f"expected a share of the API limits from 0.01 to 1, got "
                         f"{_show(value)}; using the default ({DEFAULT_API_BUDGET:g})")
            return _DEFAULT
        return float(value)

    def theme(self, key: tuple[str | int, ...], value: Any) -> Any:
        if not isinstance(value, str):
            self.problem(key, f"expected a theme name, got {_show(value)}; using the default")
            return _DEFAULT
        return value.strip()

    def downloads_dir(self, key: tuple[str | int, ...], value: Any) -> Any:
        text = self.string(key, value)
        if text is _DEFAULT:
            return text
        path = Path(text).expanduser()
        # Kept as written (the user chose where files go; they do not silently land elsewhere),
        # but said now rather than at the first export.
        problem = locations.folder_problem(path)
        if problem is not None:
            self.problem(key, f"{problem}; exports and downloads fail until it is fixed")
        return path

    def keys(self, key: tuple[str | int, ...], value: Any) -> Any:
        if not isinstance(value, dict):
            self.problem(key, f"expected a table ([keys]) of binding id = \"keys\", got "
                         f"{_show(value)}; using the default keys")
            return _DEFAULT
        keymap: dict[str, str] = {}
        for binding_id, keys in _flatten(value):
            where = (*key, *binding_id.split("."))
            if not isinstance(keys, str) or not keys.strip() or " " in keys.strip():
                self.problem(where, f"expected keys such as \"t\" or \"ctrl+t,f5\", got "
                             f"{_show(keys)}; using the default key")
                continue
            names = [k.strip() for k in keys.split(",") if k.strip()]
            taken = [k for k in names if k.lower() in MULTIPLEXER_KEYS]
            if taken:
                self.problem(where, f"{', '.join(taken)} is taken by tmux/screen and may never "
                             "reach the app; kept anyway")
            keymap[binding_id] = ",".join(names)
        return keymap

    def banner(self, key: tuple[str | int, ...], value: Any) -> Any:
        if not isinstance(value, list):
            self.problem(key, "expected [[banner]] tables with pattern, color and label; "
                         "using the default (red PROD for names containing prod)")
            return _DEFAULT
        rules: list[BannerRule] = []
        for index, item in enumerate(value):
            where = (*key, index)
            if not isinstance(item, dict):
                self.problem(where, f"expected a table, got {_show(item)}; rule ignored")
                continue
            for extra in set(item) - {"pattern", "color", "label"}:
                self.problem((*where, extra), _unknown(extra, {"pattern", "color", "label"}) +
                             " (in [[banner]])")
            pattern, color = item.get("pattern"), item.get("color", "red")
            label = item.get("label")
            if not isinstance(pattern, str) or not pattern.strip():
                self.problem((*where, "pattern"), "expected a pattern such as \"*prod*\"; "
                             "rule ignored")
                continue
            if not isinstance(color, str) or not _is_color(color):
                self.problem((*where, "color"), f"{_show(color)} is not a colour (for example "
                             "red, yellow, #aa0000); using red")
                color = "red"
            if label is None:
                label = pattern.strip("*?[]").upper() or pattern
            elif not isinstance(label, str):
                self.problem((*where, "label"), f"expected text, got {_show(label)}; using "
                             "the pattern")
                label = pattern.strip("*?[]").upper() or pattern
            rules.append(BannerRule(pattern.strip(), color.strip(), label.strip()))
        return tuple(rules)


_DEFAULT = object()

_TOP_LEVEL = {
    "profile": _Reader.profile,
    "region": _Reader.region,
    "read_only": _Reader.boolean,
    "refresh_seconds": _Reader.refresh_seconds,
    "paging_concurrency": _Reader.paging_concurrency,
    "api_budget": _Reader.api_budget,
    "theme": _Reader.theme,
    "downloads_dir": _Reader.downloads_dir,
    "keys": _Reader.keys,
    "banner": _Reader.banner,
}


def _is_color(text: str) -> bool:
    from textual.color import Color, ColorParseError

    try:
        Color.parse(text.strip())
    except ColorParseError:
        return False
    return True


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    # `app.help = "f1"` (a dotted TOML key) and `"app.help" = "f1"` mean the same binding id.
    items: list[tuple[str, Any]] = []
    for name, value in table.items():
        full = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            items += _flatten(value, full)
        else:
            items.append((full, value))
    return items


def _unknown(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
    return f"unknown key{hint}; ignored"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _dotted(key_path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in key_path)


def _where(path: Path | None, line: int | None, key_path: tuple[str | int, ...]) -> str:
    place = f"{path}" if path else "config"
    if line:
        place += f", line {line}"
    shown = ".".join(f"[{p}]" if isinstance(p, int) else p for p in key_path).replace(".[", "[")
    return f"{place}, key {shown}"


# --- where each key is written: tomllib gives values, not positions ---------------------------

_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|"""
                  r"""[A-Za-z0-9_-]+))*)\s*=""")
_KEY_PART = re.compile(r"""\s*("([^"]*)"|'([^']*)'|[A-Za-z0-9_-]+)\s*""")


def _parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _KEY_PART.finditer(dotted):
        whole, double, single = match.group(1), match.group(2), match.group(3)
        parts.append(double if double is not None else single if single is not None else whole)
    return tuple(parts)


def _index_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Line number (1-based) of each key path written in the file, e.g. ("keys", "app", "help")
    or ("banner", 0, "color"). Good enough for messages; multi-line values are skipped over by
    looking only at lines that start a key."""
    found: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        if match := _ARRAY_TABLE.match(line):
            name = _parts(match.group(1))
            arrays[name] = arrays.get(name, -1) + 1
            table = (*name, arrays[name])
            found.setdefault(table, number)
            continue
        if match := _TABLE.match(line):
            table = _parts(match.group(1))
            found.setdefault(table, number)
            continue
        if match := _KEY.match(line):
            key = (*table, *_parts(match.group(1)))
            found.setdefault(key, number)
            if line.count('"""') == 1 or line.count("'''") == 1:
                in_multiline = True
    return found


# --- what the app remembers -------------------------------------------------------------------

def load_state() -> dict[str, Any]:
    """The state file's contents; an unreadable or broken file counts as empty."""
    try:
        data = json.loads(locations.state_file(create=False).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(**changes: Any) -> None:
    from tui.services.atomic import write_atomic

    state = {**load_state(), **changes}
    write_atomic(locations.state_file(), json.dumps(state, indent=2, sort_keys=True).encode())


def remembered_theme(settings: Settings) -> str:
    """The theme to start with: the one last picked in the app, unless the config's ``theme``
    was changed since (then the config wins); "" lets the app choose for the terminal."""
    state = load_state()
    picked = state.get("theme")
    if isinstance(picked, str) and picked and state.get("config_theme", "") == settings.theme:
        return picked
    return settings.theme
