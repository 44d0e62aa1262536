"""Zip checks before upload, and the zip comparison: plain unit tests, no AWS."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from tui.services.zipcheck import MAX_ZIP_BYTES, ZipProblem, check_zip_bytes, check_zip_file
from tui.services.zipdiff import diff_zips


def make_zip(files: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def zip_of_size(total: int) -> bytes:
    """A valid zip of exactly ``total`` bytes (one stored member, padded to fit)."""
    probe = make_zip({"index.js": b"x" * 1000}, zipfile.ZIP_STORED)
    overhead = len(probe) - 1000
    data = make_zip({"index.js": b"x" * (total - overhead)}, zipfile.ZIP_STORED)
    assert len(data) == total
    return data


def test_the_size_boundary_is_five_million_bytes(tmp_path: Path) -> None:
    exact = tmp_path / "exact.zip"
    exact.write_bytes(zip_of_size(MAX_ZIP_BYTES))
    check = check_zip_file(exact)
    assert check.size == 5_000_000
    assert [name for name, _ in check.files] == ["index.js"]
    over = tmp_path / "over.zip"
    over.write_bytes(zip_of_size(MAX_ZIP_BYTES + 1))
    with pytest.raises(ZipProblem, match="5,000,001 bytes.*at most 5,000,000"):
        check_zip_file(over)


def test_good_zip_lists_files_with_sizes_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "script.zip"
    path.write_bytes(make_zip({"index.js": "exports.ssExports = {};\n", "lib/": b"",
                               "lib/util.js": "module.exports = 1;\n"}))
    check = check_zip_file(str(path))
    assert dict(check.files) == {"index.js": 24, "lib/util.js": 20}
    assert len(check.sha256) == 64
    assert check.warnings == ()
    assert check.path == path


def test_no_js_at_the_root_is_a_warning_not_a_refusal() -> None:
    check = check_zip_bytes(make_zip({"build/index.js": "x"}), "nested.zip")
    assert any("no .js file at the root" in w for w in check.warnings)


@pytest.mark.parametrize(("setup", "message"), [
    ("missing", "no such file"),
    ("folder", "is a folder"),
    ("text", "not a zip archive"),
    ("empty", "empty"),
    ("unreadable", "permission denied"),
])
def test_bad_input_is_refused_with_a_reason(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "thing.zip"
    if setup == "folder":
        path.mkdir()
    elif setup == "text":
        path.write_text("this is not a zip\n")
    elif setup == "empty":
        path.write_bytes(b"")
    elif setup == "unreadable":
        path.write_bytes(make_zip({"index.js": "x"}))
        path.chmod(0)
        if os.access(path, os.R_OK):  # running as root: permissions do not apply
            pytest.skip("root can read anything")
    with pytest.raises(ZipProblem, match=message):
        check_zip_file(path)


def test_damaged_zip_is_refused() -> None:
    data = bytearray(make_zip({"index.js": "exports.a = 1;\n" * 50}, zipfile.ZIP_STORED))
    at = data.index(b"exports")
    data[at] ^= 0xFF  # flip a content byte: the CRC no longer matches
    with pytest.raises(ZipProblem, match="CRC"):
        check_zip_bytes(bytes(data), "bad.zip")


def test_zip_without_files_is_refused() -> None:
    with pytest.raises(ZipProblem, match="no files"):
        check_zip_bytes(make_zip({"only-a-folder/": b""}), "folders.zip")


def test_diff_lists_files_and_diffs_changed_js() -> None:
    old = make_zip({"index.js": "a\nb\nc\n", "lib/x.js": "same\n", "gone.js": "bye\n",
                    "data.bin": b"\x00\x01"})
    new = make_zip({"index.js": "a\nB\nc\n", "lib/x.js": "same\n", "added.js": "hi\n",
                    "data.bin": b"\x00\x02"})
    diff = diff_zips(old, new, old_label="A", new_label="B")
    status = {f.name: f.status for f in diff.files}
    assert status == {"index.js": "changed", "lib/x.js": "same", "gone.js": "removed",
                      "added.js": "added", "data.bin": "changed"}
    assert "-b" in diff.text_diffs["index.js"] and "+B" in diff.text_diffs["index.js"]
    assert "+hi" in diff.text_diffs["added.js"]
    assert "data.bin" not in diff.text_diffs  # not text
    assert "lib/x.js" not in diff.text_diffs
