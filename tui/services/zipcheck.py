"""Check a Realtime script zip before it is uploaded: nothing goes to AWS unless this passes.

The rules are GameLift's (UpdateScript/CreateScript ``ZipFile``: a zip of at most 5 MB, which the
service counts as 5,000,000 bytes) plus one warning of our own: Realtime Servers load the script
from the root of the zip, so a zip without a ``.js`` file at its root is probably packed one
folder too deep.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_ZIP_BYTES = 5_000_000


class ZipProblem(ValueError):
    """The zip cannot be uploaded; the message says why in words a user can act on."""


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
        lines = [f"  {name}  ({size:,} bytes)" for name, size in self.files[:limit]]
        if len(self.files) > limit:
            lines.append(f"  … and {len(self.files) - limit} more files")
        return lines


def check_zip_file(path: str | os.PathLike[str]) -> ZipCheck:
    """Read and check a local zip; raise ZipProblem when it cannot be uploaded."""
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
    return check_zip_bytes(data, text, path=target)


def _check_size(label: str, size: int) -> None:
    if size > MAX_ZIP_BYTES:
        raise ZipProblem(f"{label} is {size:,} bytes; GameLift accepts zips of at most "
                         f"{MAX_ZIP_BYTES:,} bytes (upload larger scripts to S3 instead)")
    if size == 0:
        raise ZipProblem(f"{label} is empty (0 bytes), not a zip archive")


def check_zip_bytes(data: bytes, label: str = "zip", *, path: Path | None = None) -> ZipCheck:
    """Check zip content already in memory (an archived zip, an S3 object)."""
    _check_size(label, len(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            bad = archive.testzip()
    except zipfile.BadZipFile:
        raise ZipProblem(f"{label} is not a zip archive (cannot read it as a zip)") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError) as err:
        raise ZipProblem(f"{label} cannot be read as a zip: {err}") from None
    if bad is not None:
        raise ZipProblem(f"{label} is damaged: {bad} fails its CRC check")
    files = tuple((i.filename, i.file_size) for i in infos if not i.is_dir())
    if not files:
        raise ZipProblem(f"{label} holds no files")
    warnings: list[str] = []
    if not any("/" not in name and name.lower().endswith(".js") for name, _ in files):
        warnings.append("no .js file at the root of the zip: Realtime Servers load the script "
                        "from the root (for example index.js); is it packed one folder deep?")
    odd = [name for name, _ in files if name.startswith("/") or ".." in name.split("/")]
    if odd:
        warnings.append(f"unusual paths in the zip: {', '.join(odd[:3])}")
    return ZipCheck(label=label, data=data, size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), files=files,
                    warnings=tuple(warnings), path=path)
