"""Every file and folder the app uses, in one place.

platformdirs gives the per-user folders of the platform; GAMEOPS_TUI_HOME moves all of them under
one directory (``config/``, ``log/``, ``data/``), which is what tests and portable installs use.
Folders are created on demand with mode 0700 because the audit log and downloads can hold
operational detail that other local users have no business reading.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

APP_NAME = "gameops-tui"
HOME_ENV = "GAMEOPS_TUI_HOME"
CONFIG_ENV = "GAMEOPS_TUI_CONFIG"

# Set from the config file's ``downloads_dir`` at start-up (see tui.config).
_downloads_override: Path | None = None


def home_override() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def config_dir(*, create: bool = True) -> Path:
    home = home_override()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME,
                                                                          appauthor=False))
    return ensure_dir(path) if create else path


def log_dir(*, create: bool = True) -> Path:
    home = home_override()
    path = home / "log" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    return ensure_dir(path) if create else path


def data_dir(*, create: bool = True) -> Path:
    home = home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return ensure_dir(path) if create else path


def config_file(*, create: bool = True) -> Path:
    """The TOML settings file (the file itself is not created here); GAMEOPS_TUI_CONFIG points
    at another one."""
    other = os.environ.get(CONFIG_ENV, "").strip()
    if other:
        return Path(other).expanduser()
    return config_dir(create=create) / "config.toml"


def state_file(*, create: bool = True) -> Path:
    """What the app remembers between runs (the chosen theme): not the user's config file."""
    return data_dir(create=create) / "state.json"


def saved_searches_file(*, create: bool = True) -> Path:
    """Saved searches, kept by the Search pane (S saves, O opens) beside the config file."""
    return config_dir(create=create) / "searches.toml"


def drains_path(*, create: bool = True) -> Path:
    """Sessions being drained (locked, to be terminated when empty), kept across restarts so
    the next start on the same target resumes them; written 0600 like every state file."""
    return data_dir(create=create) / "drains.json"


def audit_log(*, create: bool = True) -> Path:
    """The append-only audit log of mutating calls, one JSON object a line."""
    return log_dir(create=create) / "audit.jsonl"


def downloads_dir(*, create: bool = True) -> Path:
    """Where exports and downloads go; raises UnusableFolder (an OSError whose message names
    the folder and what is in the way) when it cannot be created or written."""
    path = _downloads_override or data_dir(create=create) / "downloads"
    if not create:
        return path
    ensure_dir(path)
    if not os.access(path, os.W_OK | os.X_OK):
        raise UnusableFolder(f"the folder {path} cannot be written (permission denied)")
    return path


class UnusableFolder(OSError):
    """A folder the app needs cannot be made or used; the message says which and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def folder_problem(path: Path) -> str | None:
    """Why ``path`` could not be used as a folder (None when it could), without creating
    anything: it, or the first part of it that exists, must be a folder we may write in."""
    probe = path
    while True:
        try:
            info = probe.stat()
        except FileNotFoundError:
            if probe.parent == probe:
                return f"{path} cannot be created: nothing of it exists"
            probe = probe.parent
            continue
        except NotADirectoryError:  # a parent of probe is a regular file
            probe = probe.parent
            continue
        except OSError as err:
            return f"{path} cannot be used: {probe}: {err.strerror or err}"
        break
    if not stat.S_ISDIR(info.st_mode):
        what = "it is a file" if probe == path else f"{probe} is a file, not a folder"
        return f"{path} cannot be used as a folder: {what}"
    if not os.access(probe, os.W_OK | os.X_OK):
        return (f"{path} cannot be used: no permission to write in {probe}" if probe == path
                else f"{path} cannot be created: no permission to write in {probe}")
    return None


def set_downloads_dir(path: Path | None) -> None:
    """Use ``path`` (the config's ``downloads_dir``) instead of the platform folder; None undoes."""
    global _downloads_override
    _downloads_override = path.expanduser() if path is not None else None


def ensure_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700; existing folders are left alone.

    Raises UnusableFolder when a part of the path is a file or a folder cannot be made (the
    message names the path and what is in the way, for the user to fix their settings)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # created by another thread or process in the meantime
            pass
        except OSError as err:
            raise UnusableFolder(folder_problem(path) or
                                 f"the folder {path} cannot be created: "
                                 f"{err.strerror or err}") from err
    if not path.is_dir():
        raise UnusableFolder(folder_problem(path) or f"{path} is not a folder")
    return path
