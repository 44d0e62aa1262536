"""Smoke test: scripts/screenshots.py runs as a script and writes an SVG of the app.

In a subprocess, because the script freezes the app's clock and sets TZ for its whole process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshots.py"


def test_screenshot_script_writes_the_named_pictures(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "export"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    svg = (tmp_path / "export.svg").read_text()
    assert svg.startswith("<svg") and "Export" in svg
    assert "profile" in svg and "demo" in svg
    wrong = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "nope"],
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "known:" in wrong.stderr
