"""The command line as a user runs it: flags, help, and clear messages instead of tracebacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_version_and_help() -> None:
    from tui import __version__

    assert run("--version").stdout.strip() == f"gameops-tui {__version__}"
    out = run("--help").stdout
    for flag in ("--profile", "--region", "--endpoint-url", "--demo", "--read-only"):
        assert flag in out


def test_missing_credentials_names_the_fix(tmp_path: Path) -> None:
    result = run("--region", "us-west-2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "credentials" in result.stderr.lower()
    assert "--demo" in result.stderr


def test_missing_region_names_the_fix(tmp_path: Path) -> None:
    result = run(env={"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--region" in result.stderr
    assert "--demo" in result.stderr


def test_unknown_profile_is_named(tmp_path: Path) -> None:
    result = run("--profile", "nope", "--region", "us-west-2")
    assert result.returncode == 2
    assert "nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_flag_values_are_refused() -> None:
    result = run("sim", "--throttle-rate", "2")
    assert result.returncode == 2
    assert "between 0 and 1" in result.stderr


def test_print_config_paths(tmp_path: Path) -> None:
    result = run("--print-config-paths", env={"GAMEOPS_TUI_HOME": str(tmp_path)})
    assert result.returncode == 0
    assert str(tmp_path) in result.stdout
    assert "audit.jsonl" in result.stdout


def test_print_config_paths_lists_every_file_and_config_problems(tmp_path: Path) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('downloads_dir = "' + str(tmp_path / "dl") + '"\nrefresh = 5\n')
    result = run("--print-config-paths", env={"GAMEOPS_TUI_HOME": str(tmp_path)})
    assert result.returncode == 0
    lines = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in result.stdout.splitlines())
    assert lines["config"] == str(config)
    assert lines["downloads"] == str(tmp_path / "dl")  # the config moved them
    assert "searches.toml" in result.stdout and "state.json" in result.stdout
    assert f"{config}, line 2, key refresh: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_flag_and_missing_file(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    result = run("--config", str(other), "--print-config-paths",
                 env={"GAMEOPS_TUI_HOME": str(tmp_path)})
    assert result.returncode == 0
    assert f"config          {other}  (not created yet" in result.stdout


def test_broken_config_does_not_stop_a_clear_start_up_error(tmp_path: Path) -> None:
    # No credentials: the AWS problem is the reason to stop, and the config problem is named too.
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("read_only = maybe\n")
    result = run("--region", "us-west-2", env={"GAMEOPS_TUI_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "credentials" in result.stderr.lower()
    assert f"{config}: not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_only_and_read_write_exclude_each_other() -> None:
    result = run("--read-only", "--read-write", "--demo")
    assert result.returncode == 2
    assert "exclude each other" in result.stderr
