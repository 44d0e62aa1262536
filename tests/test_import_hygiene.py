"""The layers below the UI never import Textual (Harlequin's check, done in a fresh interpreter)."""

from __future__ import annotations

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
