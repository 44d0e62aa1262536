"""The settings file: every key read, every mistake named with file, line and key, never fatal."""

from __future__ import annotations

from pathlib import Path

from tui import locations
from tui.config import (
    DEFAULT_BANNERS,
    BannerRule,
    Settings,
    load_settings,
    load_state,
    remembered_theme,
    save_state,
)

FULL = """\
# every key, as the README shows them
profile = "ops-admin"
region = "eu-west-1"
read_only = true
refresh_seconds = 30
paging_concurrency = 8
theme = "nord"
downloads_dir = "~/gameops-downloads"

[keys]
"app.refresh" = "f5"
session-table.terminate = "T,delete"

[[banner]]
pattern = "*prod*"
color = "red"
label = "PRODUCTION"

[[banner]]
pattern = "eu-*"
color = "yellow"
"""


def write(home: Path, text: str) -> Path:
    path = locations.config_file()
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults_without_problems(home: Path) -> None:
    settings = load_settings()
    assert settings == Settings(path=locations.config_file(create=False))
    assert settings.problems == ()
    assert settings.refresh_seconds == 15 and settings.paging_concurrency == 4
    assert settings.banner == DEFAULT_BANNERS


def test_every_key_is_read(home: Path) -> None:
    settings = load_settings(write(home, FULL))
    assert settings.problems == ()
    assert (settings.profile, settings.region, settings.read_only) == ("ops-admin", "eu-west-1",
                                                                       True)
    assert (settings.refresh_seconds, settings.paging_concurrency) == (30.0, 8)
    assert settings.theme == "nord"
    assert settings.downloads_dir == Path("~/gameops-downloads").expanduser()
    # A quoted id and a dotted TOML key name the same kind of binding id.
    assert settings.keys == {"app.refresh": "f5", "session-table.terminate": "T,delete"}
    assert settings.banner == (BannerRule("*prod*", "red", "PRODUCTION"),
                               BannerRule("eu-*", "yellow", "EU-"))
    assert settings.where(("keys", "session-table.terminate")).endswith("line 12, key "
                                                                         "keys.session-table."
                                                                         "terminate")


def test_wrong_values_are_named_with_line_and_key_and_defaulted(home: Path) -> None:
    path = write(home, """\
profile = ""
region = "mars-north-1x"
read_only = "yes"
refresh_seconds = 0.5
paging_concurrency = 2.5
refresh_secnds = 20

[keys]
"app.help" = 4
"app.quit" = "ctrl+a"

[[banner]]
pattern = "*live*"
color = "reddish"
""")
    settings = load_settings(path)
    problems = "\n".join(settings.problems)
    expected = [
        f"{path}, line 1, key profile: expected a non-empty string",
        f"{path}, line 2, key region: 'mars-north-1x' is not an AWS region name",
        f"{path}, line 3, key read_only: expected true or false, got 'yes'",
        f"{path}, line 4, key refresh_seconds: expected a number of seconds from 2 to 3600",
        f"{path}, line 5, key paging_concurrency: expected a whole number from 1 to 32",
        f"{path}, line 6, key refresh_secnds: unknown key (did you mean 'refresh_seconds'?)",
        f"{path}, line 9, key keys.app.help: expected keys such as",
        f"{path}, line 10, key keys.app.quit: ctrl+a is taken by tmux/screen",
        f"{path}, line 14, key banner[0].color: 'reddish' is not a colour",
    ]
    for line in expected:
        assert line in problems
    assert len(settings.problems) == len(expected)
    # Defaults where the value was wrong; the right parts of the file still count.
    assert settings.profile is None and settings.region is None and not settings.read_only
    assert (settings.refresh_seconds, settings.paging_concurrency) == (15.0, 4)
    assert settings.keys == {"app.quit": "ctrl+a"}  # kept, with the warning
    assert settings.banner == (BannerRule("*live*", "red", "LIVE"),)


def test_broken_toml_gives_all_defaults_and_says_where(home: Path) -> None:
    path = write(home, 'profile = "ops"\nregion = "us-west-2\n')
    settings = load_settings(path)
    assert settings.profile is None and settings.region is None
    (problem,) = settings.problems
    assert str(path) in problem and "line 2" in problem and "not valid TOML" in problem


def test_unreadable_file_is_reported(home: Path) -> None:
    path = locations.config_file()
    path.mkdir()  # a folder where the file should be
    (problem,) = load_settings(path).problems
    assert str(path) in problem and "cannot read" in problem


def test_banner_rules_match_profile_region_or_account(home: Path) -> None:
    settings = load_settings(write(home, FULL))
    assert settings.banner_for("Team-PROD-admin", "us-west-2", "1").label == "PRODUCTION"
    assert settings.banner_for("dev", "eu-central-1", "1").label == "EU-"
    assert settings.banner_for("dev", "us-east-1", "123") is None
    assert Settings().banner_for("gameops-prod", "us-west-2", "").color == "darkred"


def test_config_env_points_at_another_file(home: Path, tmp_path: Path,
                                           monkeypatch) -> None:  # noqa: ANN001
    other = tmp_path / "elsewhere.toml"
    other.write_text("refresh_seconds = 42\n")
    monkeypatch.setenv("GAMEOPS_TUI_CONFIG", str(other))
    settings = load_settings()
    assert settings.path == other and settings.refresh_seconds == 42


def test_theme_memory_prefers_last_pick_until_config_changes(home: Path) -> None:
    assert remembered_theme(Settings()) == ""
    save_state(theme="dracula", config_theme="")
    assert remembered_theme(Settings()) == "dracula"
    # The user edits the config's theme afterwards: the config wins.
    assert remembered_theme(Settings(theme="nord")) == "nord"
    state_file = locations.state_file()
    assert state_file.stat().st_mode & 0o777 == 0o600
    state_file.write_text("{not json")
    assert load_state() == {} and remembered_theme(Settings()) == ""


def test_downloads_dir_from_config_moves_downloads(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "dl"
    try:
        locations.set_downloads_dir(target)
        assert locations.downloads_dir() == target and target.is_dir()
    finally:
        locations.set_downloads_dir(None)
    assert locations.downloads_dir() == home / "data" / "downloads"
