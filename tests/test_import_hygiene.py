"""The layers below the UI never import Textual (Harlequin's check, done in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "tui.aws.session", "tui.aws.guard", "tui.aws.audit", "tui.aws.records", "tui.aws.errors",
    "tui.services.gamelift", "tui.services.gamesparks", "tui.services.search_expr",
    "tui.sim.server", "tui.locations",
]


@pytest.mark.parametrize("module", MODULES)
def test_no_textual_below_ui(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
