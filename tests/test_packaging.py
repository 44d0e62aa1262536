"""The wheel carries what the app reads at run time beside its code: a missing stylesheet or
model would only show on a machine that installed it from the wheel, not in this checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_models_their_notice_and_every_stylesheet(tmp_path: Path) -> None:
    # From a copy without earlier builds: setuptools would take files from a stale build/.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache",
        ".pytest_cache", "screenshots", "tests"))
    done = subprocess.run(
        # With build isolation, as pip installs it: the build backend comes from the index.
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and any(word in done.stderr for word in (
            "NewConnectionError", "Could not find a version", "No matching distribution")):
        pytest.skip(f"the package index cannot be reached: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = {str(path.relative_to(ROOT)) for pattern in ("tui/**/*.tcss", "tui/**/*.json",
                                                          "tui/**/NOTICE")
              for path in ROOT.glob(pattern)}
    assert "tui/aws/data/gamesparks/NOTICE" in needed
    assert "tui/aws/data/gamesparks/2021-08-17/service-2.json" in needed
    assert needed - names == set()
