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


def test_the_app_paints_at_120_frames_unless_told_otherwise(tmp_path: Path) -> None:
    # Textual reads TEXTUAL_FPS once, when first imported: the CLI sets it as it starts the app
    # (here it stops at the unknown profile, before importing Textual). Importing the package,
    # as the simulator's process does, sets nothing.
    code = ("import os, sys, tui.cli, tui.sim.server; "
            "print(os.environ.get('TEXTUAL_FPS', 'unset'), "
            "any(m.startswith('textual') for m in sys.modules)); "
            "tui.cli.main(['--profile', 'no-such-profile']); "
            "import textual.constants as c; print(c.MAX_FPS)")
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               GAMEOPS_TUI_HOME=str(tmp_path / "home"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["unset", "False", "120"]
    env["TEXTUAL_FPS"] = "30"  # a user's own setting wins (a slow link, say)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["30", "False", "30"]
