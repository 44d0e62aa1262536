"""The layers below the UI never import Textual (Harlequin's check, done in a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Every module below the UI, found on disk so a new one cannot be forgotten.
ROOT = Path(__file__).resolve().parents[1] / "tui"
MODULES = sorted(
    ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    for layer in ("aws", "services", "sim")
    for path in (ROOT / layer).glob("*.py") if path.name != "__init__.py"
) + [f"tui.{name}" for name in ("locations", "config") if (ROOT / f"{name}.py").exists()]


@pytest.mark.parametrize("module", MODULES)
def test_no_textual_below_ui(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('textual') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_app_paints_at_120_frames_unless_told_otherwise() -> None:
    # Textual reads TEXTUAL_FPS once, when first imported: the app's package must set it first.
    code = "import tui.ui.app, textual.constants as c; print(c.MAX_FPS)"
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "120"
    env["TEXTUAL_FPS"] = "30"  # a user's own setting wins (a slow link, say)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "30"
