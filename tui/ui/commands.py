"""App-wide commands that are not a pane's own: exports, the activity view, and the like.

Each command has a key (in ``BINDINGS``, action ``extra('<name>')``) and a palette entry; the
app dispatches both to ``run``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding

BINDINGS: list[Binding] = []


def system_commands(app: Any) -> Iterable[SystemCommand]:
    return ()


def run(app: Any, name: str) -> None:
    app.notify(f"unknown command {name!r}", severity="error")
