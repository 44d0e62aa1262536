"""Compare two script zips: the file list with sizes, and a text diff of the changed .js files."""

from __future__ import annotations

import difflib
import io
import zipfile
from dataclasses import dataclass, field

TEXT_SUFFIXES = (".js", ".mjs", ".cjs", ".json")


@dataclass(frozen=True)
class FileChange:
    name: str
    old_size: int | None
    new_size: int | None
    status: str  # added | removed | changed | same


@dataclass
class ZipDiff:
    files: list[FileChange]
    text_diffs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> list[FileChange]:
        return [f for f in self.files if f.status != "same"]


def _members(data: bytes) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: i for i in archive.infolist() if not i.is_dir()}


def _read(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8", errors="replace")


def diff_zips(old: bytes, new: bytes, *, old_label: str = "a", new_label: str = "b",
              context: int = 3, max_lines: int = 2000) -> ZipDiff:
    """What differs between two zips; raises zipfile.BadZipFile when either is not a zip."""
    before, after = _members(old), _members(new)
    files: list[FileChange] = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is None:
            status = "added"
        elif b is None:
            status = "removed"
        elif a.CRC != b.CRC or a.file_size != b.file_size:
            status = "changed"
        else:
            status = "same"
        files.append(FileChange(name, a.file_size if a else None, b.file_size if b else None,
                                status))
    diffs: dict[str, list[str]] = {}
    budget = max_lines
    for change in files:
        if change.status == "same" or not change.name.lower().endswith(TEXT_SUFFIXES):
            continue
        old_text = _read(old, change.name) if change.old_size is not None else ""
        new_text = _read(new, change.name) if change.new_size is not None else ""
        lines = list(difflib.unified_diff(
            old_text.splitlines(), new_text.splitlines(), lineterm="", n=context,
            fromfile=f"{old_label}/{change.name}", tofile=f"{new_label}/{change.name}"))
        if len(lines) > budget:
            lines = lines[:budget] + [f"… diff cut at {max_lines} lines"]
        budget -= len(lines)
        diffs[change.name] = lines
        if budget <= 0:
            break
    return ZipDiff(files, diffs)
