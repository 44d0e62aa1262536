"""The script archive: zips kept once by SHA-256, an index written atomically, files 0600."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
from pathlib import Path

import pytest

from tui.services.script_archive import ScriptArchive


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_add_keeps_zip_and_index_private(home: Path) -> None:
    archive = ScriptArchive()
    entry = archive.add(b"PK-one", script_id="script-1", name="arena", version="1.0")
    assert archive.root == home / "data" / "script-archive"
    assert entry.sha256 == hashlib.sha256(b"PK-one").hexdigest()
    assert entry.size == 6 and entry.time.endswith("Z")
    zip_path = archive.zip_path(entry.sha256)
    assert zip_path.read_bytes() == b"PK-one"
    assert mode(zip_path) == 0o600
    assert mode(archive.index_path) == 0o600
    assert mode(archive.root) == 0o700
    index = json.loads(archive.index_path.read_text())
    assert index["entries"][0]["script_id"] == "script-1"
    assert archive.read(entry) == b"PK-one"
    # No temp files left behind by the atomic writes.
    assert sorted(p.name for p in archive.root.iterdir()) == sorted(
        [zip_path.name, "index.json"])


def test_entries_newest_first_and_filtered(tmp_path: Path) -> None:
    archive = ScriptArchive(tmp_path / "a")
    first = archive.add(b"one", script_id="s1", name="arena", version="1")
    second = archive.add(b"two", script_id="s1", name="arena", version="2")
    archive.add(b"three", script_id="s2", name="lobby", version="1")
    same = archive.add(b"one", script_id="s1", name="arena", version="1-again")
    assert [e.version for e in archive.entries(script_id="s1")][-1] == "1"
    assert {e.version for e in archive.entries(name="arena")} == {"1", "2", "1-again"}
    assert len(archive.entries()) == 4
    assert archive.latest("s2").version == "1"  # type: ignore[union-attr]
    # The same content is stored once.
    assert same.sha256 == first.sha256
    assert len(list(archive.root.glob("*.zip"))) == 3
    assert second.sha256 != first.sha256


def test_corrupt_zip_is_detected(tmp_path: Path) -> None:
    archive = ScriptArchive(tmp_path / "a")
    entry = archive.add(b"content", script_id="s1", name="n", version="v")
    archive.zip_path(entry.sha256).write_bytes(b"tampered")
    with pytest.raises(OSError, match="SHA-256 mismatch"):
        archive.read(entry)


def test_damaged_index_is_set_aside(tmp_path: Path) -> None:
    archive = ScriptArchive(tmp_path / "a")
    archive.add(b"content", script_id="s1", name="n", version="v")
    archive.index_path.write_text("{ not json")
    with pytest.raises(OSError, match="unreadable"):
        archive.entries()
    archive.add(b"more", script_id="s1", name="n", version="w")
    assert [e.version for e in archive.entries()] == ["w"]
    assert (archive.root / "index.json.corrupt").exists()


def test_concurrent_adds_lose_nothing(tmp_path: Path) -> None:
    archive = ScriptArchive(tmp_path / "a")
    threads = [threading.Thread(target=archive.add, args=(f"zip{i}".encode(),),
                                kwargs={"script_id": "s", "name": "n", "version": str(i)})
               for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(archive.entries()) == 12


def test_zip_path_refuses_anything_but_a_sha(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ScriptArchive(tmp_path).zip_path("../../etc/passwd")
