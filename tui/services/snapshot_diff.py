"""What deploying one snapshot over another would change: sections added, removed, changed,
and inside a changed section a JSON diff of its Attributes, path by path.

Plain Python (no Textual): the rollback and deploy confirmations render it, tests check it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.aws.records import Snapshot

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
MARKS = {ADDED: "+", REMOVED: "-", CHANGED: "~", UNCHANGED: " "}
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference inside a section's Attributes: ``path`` is ``a.b[2]`` style."""

    path: str
    kind: str  # added | removed | changed
    old: Any = None
    new: Any = None

    def text(self, width: int = 60) -> str:
        where = self.path or "(whole document)"
        if self.kind == ADDED:
            return f"{where}: {_short(self.new, width)}"
        if self.kind == REMOVED:
            return f"{where}: {_short(self.old, width)}"
        return f"{where}: {_short(self.old, width // 2)} → {_short(self.new, width // 2)}"


@dataclass(frozen=True, slots=True)
class SectionDiff:
    name: str
    kind: str  # added | removed | changed | unchanged
    old_size: int | None
    new_size: int | None
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """From ``current`` (what the stage runs) to ``target`` (what would be deployed)."""

    sections: tuple[SectionDiff, ...]

    def of_kind(self, kind: str) -> list[SectionDiff]:
        return [s for s in self.sections if s.kind == kind]

    @property
    def is_empty(self) -> bool:
        return all(s.kind == UNCHANGED for s in self.sections)

    def summary(self) -> str:
        counts = [(len(self.of_kind(k)), k) for k in (ADDED, REMOVED, CHANGED, UNCHANGED)]
        text = ", ".join(f"{n} {k}" for n, k in counts if n)
        return f"sections: {text}" if text else "no sections"

    def lines(self, max_changes: int = 12, width: int = 70) -> list[tuple[str, str]]:
        """(kind, text) lines for display, unchanged sections left out; at most ``max_changes``
        attribute changes per section."""
        out: list[tuple[str, str]] = []
        for section in self.sections:
            if section.kind == UNCHANGED:
                continue
            sizes = _sizes(section)
            out.append((section.kind,
                        f"{MARKS[section.kind]} {section.name} ({section.kind}{sizes})"))
            for change in section.changes[:max_changes]:
                out.append((change.kind, f"    {MARKS[change.kind]} {change.text(width)}"))
            hidden = len(section.changes) - max_changes
            if hidden > 0:
                out.append((CHANGED, f"    … and {hidden} more change(s)"))
        return out

    def text(self, max_changes: int = 12) -> str:
        lines = [self.summary()] + [line for _, line in self.lines(max_changes)]
        return "\n".join(lines)


def diff_json(old: Any, new: Any, path: str = "") -> list[Change]:
    """Paths where two JSON documents differ. Objects are compared key by key, arrays index by
    index (extra items show as added or removed), anything else by value."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new), key=str):
            where = _join(path, str(key))
            if key not in new:
                changes.append(Change(where, REMOVED, old=old[key]))
            elif key not in old:
                changes.append(Change(where, ADDED, new=new[key]))
            else:
                changes += diff_json(old[key], new[key], where)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            where = f"{path}[{index}]"
            if index >= len(new):
                changes.append(Change(where, REMOVED, old=old[index]))
            elif index >= len(old):
                changes.append(Change(where, ADDED, new=new[index]))
            else:
                changes += diff_json(old[index], new[index], where)
        return changes
    if old == new and type(old) is type(new):
        return []
    return [Change(path, CHANGED, old=old, new=new)]


def diff_sections(current: Mapping[str, Any], target: Mapping[str, Any],
                  current_sizes: Mapping[str, int | None] | None = None,
                  target_sizes: Mapping[str, int | None] | None = None) -> SnapshotDiff:
    """Section name → Attributes of each side; sizes are the service's, when known."""
    current_sizes = current_sizes or {}
    target_sizes = target_sizes or {}
    result: list[SectionDiff] = []
    for name in sorted(set(current) | set(target)):
        old_size = current_sizes.get(name, _size(current[name]) if name in current else None)
        new_size = target_sizes.get(name, _size(target[name]) if name in target else None)
        if name not in target:
            result.append(SectionDiff(name, REMOVED, old_size, None))
        elif name not in current:
            result.append(SectionDiff(name, ADDED, None, new_size))
        else:
            changes = tuple(diff_json(current[name], target[name]))
            kind = CHANGED if changes else UNCHANGED
            result.append(SectionDiff(name, kind, old_size, new_size, changes))
    return SnapshotDiff(tuple(result))


def diff_snapshots(current: Snapshot | None, target: Snapshot) -> SnapshotDiff:
    """Both with sections (GetSnapshot); no current snapshot means everything is added."""
    old = current.sections if current is not None else {}
    return diff_sections({n: s.attributes for n, s in old.items()},
                         {n: s.attributes for n, s in target.sections.items()},
                         {n: s.size for n, s in old.items()},
                         {n: s.size for n, s in target.sections.items()})


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


def _sizes(section: SectionDiff) -> str:
    if section.kind == ADDED:
        return f", {human_size(section.new_size)}"
    if section.kind == REMOVED:
        return f", {human_size(section.old_size)}"
    if section.old_size == section.new_size:
        return f", {human_size(section.new_size)}"
    return f", {human_size(section.old_size)} → {human_size(section.new_size)}"


def _join(path: str, key: str) -> str:
    part = key if _PLAIN_KEY.match(key) else json.dumps(key)
    if not path:
        return part if _PLAIN_KEY.match(key) else f"[{part}]"
    return f"{path}.{part}" if _PLAIN_KEY.match(key) else f"{path}[{part}]"


def _short(value: Any, width: int) -> str:
    text = json.dumps(value, separators=(", ", ": "), sort_keys=True, default=str)
    width = max(width, 12)
    return text if len(text) <= width else text[:width - 1] + "…"


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())
