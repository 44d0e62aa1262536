"""Streaming downloads of presigned URLs: never a partial file under the final name."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx

Progress = Callable[[int, int | None], None]


class DownloadError(Exception):
    """A download that failed, in words a user can act on; ``status`` is the HTTP status when
    the server answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def download(url: str, destination: Path, progress: Progress | None = None,
             cancelled: Callable[[], bool] | None = None) -> Path:
    """Stream `url` into `destination` via a `.part` file renamed only when complete."""
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
