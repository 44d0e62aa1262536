"""Streaming downloads of presigned URLs: never a partial file under the final name, and never
a file outside the folder it was meant for."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx

from tui.trust import contained, safe_basename

Progress = Callable[[int, int | None], None]


class DownloadError(Exception):
    """A download that failed, in words a user can act on; ``status`` is the HTTP status when
    the server answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def destination_in(folder: Path, name: object, *, fallback: str) -> Path:
    """Where a file named after service text goes: a safe basename (``../../../tmp/x`` is one
    name, not a path) inside ``folder``, links resolved. ``fallback`` is the name used when
    nothing of ``name`` is left (``..``, empty)."""
    return contained(folder, safe_basename(name, fallback=fallback))


def download(url: str, destination: Path, progress: Progress | None = None,
             cancelled: Callable[[], bool] | None = None) -> Path:
    """Stream `url` into `destination` via a `.part` file renamed only when complete.

    `destination` is a path the caller chose; a name made from service text goes through
    :func:`destination_in` first. The name is checked once more here, so that no caller can
    hand a path with a separator in its last part or a hidden name."""
    if not destination.name or destination.name.startswith(".") or "\\" in destination.name:
        raise DownloadError(f"refusing to write {destination.name!r}: not a plain file name")
    partial = destination.with_name(destination.name + ".part")
    try:
        with httpx.stream("GET", url, timeout=30.0, follow_redirects=True) as response:
            if response.status_code == 403:
                raise DownloadError("the download link expired or was refused (403); "
                                    "request it again", status=403)
            if response.status_code != 200:
                raise DownloadError(f"download failed: HTTP {response.status_code}",
                                    status=response.status_code)
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                for chunk in response.iter_bytes(64 * 1024):
                    if cancelled is not None and cancelled():
                        raise DownloadError("download cancelled")
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                out.flush()
                # On disk before the rename, so a crash cannot leave a short file under the
                # final name.
                os.fsync(out.fileno())
        os.replace(partial, destination)
        return destination
    except httpx.HTTPError as err:
        raise DownloadError(f"download failed: {err}") from err
    finally:
        if partial.exists():
            partial.unlink()
