"""Check a Realtime script zip before it is uploaded: nothing goes to AWS unless this passes.

The rules are GameLift's (UpdateScript/CreateScript ``ZipFile``: a zip of at most 5 MB, which the
service counts as 5,000,000 bytes) plus one warning of our own: Realtime Servers load the script
from the root of the zip, so a zip without a ``.js`` file at its root is probably packed one
folder too deep.

A check reads a bounded amount whatever the zip says about itself: at most 5,000,000 bytes from
disk, and at most ``MAX_EXPANDED_BYTES`` decompressed. A 1 MB zip can expand to 1 GiB (deflate
reaches about 1000:1), and ``ZipFile.testzip`` would inflate all of it; so the sizes the zip
declares are judged first (total, ratio, number of entries), then each file is inflated in
chunks with a running count that stops the moment a file yields more than it declared or the
total passes the cap. Either way it is reported as a zip bomb. ``cancelled`` lets a caller on a
worker thread give up early (the user typed another path).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.trust import visible

MAX_ZIP_BYTES = 5_000_000
# A Realtime script is JavaScript (deflate gives it 3-10:1): 5 MB of zip is some 50 MB of files.
# Twice that is still a script; more is a zip bomb, and is not decompressed to find out.
MAX_EXPANDED_BYTES = 100_000_000
# Ratio above which one file is taken for a bomb; small files are left out (a few kB of one
# repeated character compress 100:1 and harm nobody).
MAX_RATIO = 200
RATIO_FLOOR = 1_000_000
MAX_ENTRIES = 10_000
_IN_CHUNK = 64 * 1024
_OUT_CHUNK = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, name length, extra length (30 bytes)

Cancelled = Callable[[], bool]


class ZipProblem(ValueError):
    """The zip cannot be uploaded; the message says why in words a user can act on."""


class ZipBomb(ZipProblem):
    """The zip expands (or says it expands) far beyond what a script can be."""


class CheckCancelled(Exception):
    """The caller gave up on the check (``cancelled()`` turned true)."""


@dataclass(frozen=True)
class ZipCheck:
    """A zip that passed the checks, with what the confirmation needs to show."""

    label: str  # the path the user gave, or what the bytes are
    data: bytes = field(repr=False)
    size: int
    sha256: str
    files: tuple[tuple[str, int], ...]  # (name, uncompressed size), folders left out
    warnings: tuple[str, ...] = ()
    path: Path | None = None

    def file_lines(self, limit: int = 6) -> list[str]:
        # File names come from the zip, not from us: shown under the trust rule.
        lines = [f"  {visible(name)}  ({size:,} bytes)" for name, size in self.files[:limit]]
        if len(self.files) > limit:
            lines.append(f"  … and {len(self.files) - limit} more files")
        return lines


def check_zip_file(path: str | os.PathLike[str], *,
                   cancelled: Cancelled | None = None) -> ZipCheck:
    """Read and check a local zip; raise ZipProblem when it cannot be uploaded.

    Blocks for as long as reading 5 MB and inflating up to ``MAX_EXPANDED_BYTES`` take (a few
    tenths of a second at worst): call it from a worker thread, never the UI's."""
    text = str(path).strip()
    if not text:
        raise ZipProblem("no zip file given")
    if "\x00" in text:
        raise ZipProblem("a file path cannot contain a NUL character")
    target = Path(os.path.expanduser(text))  # Path.expanduser raises on ~unknownuser
    try:
        info = target.stat()
    except FileNotFoundError:
        raise ZipProblem(f"{text}: no such file") from None
    except PermissionError:
        raise ZipProblem(f"{text}: permission denied") from None
    except OSError as err:
        raise ZipProblem(f"{text}: {err.strerror or err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ZipProblem(f"{text} is a folder; give the path of a .zip file")
    if not stat.S_ISREG(info.st_mode):
        raise ZipProblem(f"{text} is not a regular file")
    _check_size(text, info.st_size)
    try:
        with open(target, "rb") as handle:
            data = handle.read(MAX_ZIP_BYTES + 1)
    except PermissionError:
        raise ZipProblem(f"{text} cannot be read: permission denied") from None
    except OSError as err:
        raise ZipProblem(f"{text} cannot be read: {err.strerror or err}") from None
    return check_zip_bytes(data, text, path=target, cancelled=cancelled)


def _check_size(label: str, size: int) -> None:
    if size > MAX_ZIP_BYTES:
        raise ZipProblem(f"{label} is {size:,} bytes; GameLift accepts zips of at most "
                         f"{MAX_ZIP_BYTES:,} bytes (upload larger scripts to S3 instead)")
    if size == 0:
        raise ZipProblem(f"{label} is empty (0 bytes), not a zip archive")


def check_zip_bytes(data: bytes, label: str = "zip", *, path: Path | None = None,
                    cancelled: Cancelled | None = None) -> ZipCheck:
    """Check zip content already in memory (an archived zip, an S3 object)."""
    _check_size(label, len(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _judge_declared(label, infos)
            _inflate_all(label, data, archive, infos, cancelled)
    except zipfile.BadZipFile:
        raise ZipProblem(f"{label} is not a zip archive (cannot read it as a zip)") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError) as err:
        raise ZipProblem(f"{label} cannot be read as a zip: {err}") from None
    files = tuple((i.filename, i.file_size) for i in infos if not i.is_dir())
    if not files:
        raise ZipProblem(f"{label} holds no files")
    warnings: list[str] = []
    if not any("/" not in name and name.lower().endswith(".js") for name, _ in files):
        warnings.append("no .js file at the root of the zip: Realtime Servers load the script "
                        "from the root (for example index.js); is it packed one folder deep?")
    odd = [name for name, _ in files if name.startswith("/") or ".." in name.split("/")]
    if odd:
        warnings.append(f"unusual paths in the zip: {', '.join(visible(n) for n in odd[:3])}")
    return ZipCheck(label=label, data=data, size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), files=files,
                    warnings=tuple(warnings), path=path)


def _bomb(label: str, why: str) -> ZipBomb:
    return ZipBomb(f"{label} looks like a zip bomb: {why}; refused without expanding it "
                   "further")


def _judge_declared(label: str, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse on what the central directory says, before a byte is inflated."""
    if len(infos) > MAX_ENTRIES:
        raise _bomb(label, f"it lists {len(infos):,} entries (more than {MAX_ENTRIES:,})")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_EXPANDED_BYTES:
        raise _bomb(label, f"its files say they expand to {declared:,} bytes, more than the "
                    f"{MAX_EXPANDED_BYTES:,} a script may")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _bomb(label, f"{visible(info.filename)} says it expands "
                        f"{info.file_size // max(info.compress_size, 1):,} times "
                        f"({info.compress_size:,} → {info.file_size:,} bytes)")


def _inflate_all(label: str, data: bytes, archive: zipfile.ZipFile,
                 infos: list[zipfile.ZipInfo], cancelled: Cancelled | None) -> None:
    """Inflate every file with a running count, checking each CRC (what testzip does, bounded)."""
    budget = MAX_EXPANDED_BYTES
    for info in infos:
        if info.is_dir():
            continue
        if cancelled is not None and cancelled():
            raise CheckCancelled
        if info.flag_bits & 0x1:
            raise ZipProblem(f"{label}: {visible(info.filename)} is encrypted; GameLift cannot "
                             "read an encrypted zip")
        if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            out, crc = _inflate_raw(label, data, info, budget, cancelled)
        else:
            out, crc = _inflate_other(label, archive, info, budget, cancelled)
        if out != info.file_size:
            raise ZipProblem(f"{label} is damaged: {visible(info.filename)} holds {out:,} bytes, "
                             f"not the {info.file_size:,} it declares")
        if crc != info.CRC:
            raise ZipProblem(f"{label} is damaged: {visible(info.filename)} fails its CRC check")
        budget -= out


def _member_data(label: str, data: bytes, info: zipfile.ZipInfo) -> memoryview:
    start = info.header_offset
    try:
        signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, start)
    except struct.error:
        signature, name_length, extra_length = b"", 0, 0
    if signature != b"PK\x03\x04":
        raise ZipProblem(f"{label} is damaged: the entry of {visible(info.filename)} is missing")
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    if begin + info.compress_size > len(data):
        raise ZipProblem(f"{label} is damaged: {visible(info.filename)} is cut short")
    return memoryview(data)[begin:begin + info.compress_size]


def _inflate_raw(label: str, data: bytes, info: zipfile.ZipInfo, budget: int,
                 cancelled: Cancelled | None) -> tuple[int, int]:
    """Stored or deflated: inflated here, not by zipfile, which stops at the declared size and
    so cannot tell a lying header (a bomb) from a damaged file."""
    raw = _member_data(label, data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw), zlib.crc32(raw)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    # Never more out of one call than what would take the file past its declared size or the
    # whole zip past the cap, plus one byte to notice.
    limit = min(info.file_size, budget)
    out = crc = position = 0
    pending: bytes | memoryview = b""
    try:
        while not inflater.eof:
            if cancelled is not None and cancelled():
                raise CheckCancelled
            if not pending:
                if position >= len(raw):
                    raise ZipProblem(f"{label} is damaged: {visible(info.filename)} ends early")
                pending = raw[position:position + _IN_CHUNK]
                position += _IN_CHUNK
            piece = inflater.decompress(pending, min(_OUT_CHUNK, limit - out + 1))
            pending = inflater.unconsumed_tail
            out += len(piece)
            if out > limit:
                raise _bomb(label, f"{visible(info.filename)} yields more than the "
                            f"{info.file_size:,} bytes it declares" if out > info.file_size
                            else f"its files yield more than {MAX_EXPANDED_BYTES:,} bytes")
            crc = zlib.crc32(piece, crc)
    except zlib.error as err:
        raise ZipProblem(f"{label} is damaged: {visible(info.filename)} cannot be "
                         f"decompressed ({err})") from None
    return out, crc


def _inflate_other(label: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int,
                   cancelled: Cancelled | None) -> tuple[int, int]:
    """bzip2 / LZMA members: zipfile's reader, which never yields more than the declared size
    (checked against the cap above), with the same running count."""
    out = crc = 0
    try:
        with archive.open(info) as member:
            while piece := member.read(_OUT_CHUNK):
                if cancelled is not None and cancelled():
                    raise CheckCancelled
                out += len(piece)
                if out > budget:
                    raise _bomb(label, f"its files yield more than {MAX_EXPANDED_BYTES:,} bytes")
                crc = zlib.crc32(piece, crc)
    except zipfile.BadZipFile:
        raise ZipProblem(f"{label} is damaged: {visible(info.filename)} fails its CRC "
                         "check") from None
    except (EOFError, zlib.error, ValueError) as err:
        raise ZipProblem(f"{label} is damaged: {visible(info.filename)} cannot be "
                         f"decompressed ({err})") from None
    return out, crc
