"""Files that may hold sensitive data are owner-only (0600, folders 0700) and never half-written.

Each writer is run with umask 000, so a mode that only looked right because of the usual umask
022/077 would show up as 0666/0644 here. "Atomic" is checked by what a failure mid-write leaves:
the old content or nothing under the final name, and no stray temporary file.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tui import locations
from tui.aws.audit import AuditLog
from tui.aws.session import AwsContext, Target
from tui.services import gamesparks
from tui.services.atomic import write_atomic
from tui.services.downloads import DownloadError, download
from tui.services.export import ExportTable, write_export
from tui.services.filter_builder import SearchSpec
from tui.services.saved_searches import SearchStore
from tui.services.script_archive import ScriptArchive
from tui.sim.server import RunningSimulator


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def no_temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir()
            if p.name.endswith((".tmp", ".part")) or p.name.startswith(".")]


def test_audit_log_is_0600_in_a_0700_folder_with_one_json_object_a_line(
        sim: RunningSimulator, home: Path) -> None:
    ctx = AwsContext(Target(api_budget=None,
                            demo=True, endpoint_url=sim.endpoint_url, region="us-west-2"))
    client = ctx.client("gamelift")
    fleet = client.list_fleets()["FleetIds"][0]
    session = client.describe_game_sessions(FleetId=fleet, Limit=1)["GameSessions"][0]
    client.update_game_session(GameSessionId=session["GameSessionId"],
                               Name=session.get("Name") or "n")
    path = locations.audit_log()
    assert path.exists()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    for line in path.read_text().splitlines():
        assert isinstance(json.loads(line), dict)


def test_audit_log_created_0600_even_by_a_bare_audit_log(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "new" / "audit.jsonl", profile="p", region="r", endpoint=None)
    log.write({"operation": "X", "outcome": "ok"})
    assert mode(tmp_path / "new" / "audit.jsonl") == 0o600
    assert mode(tmp_path / "new") == 0o700


def test_app_folders_are_0700(home: Path) -> None:
    for folder in (locations.config_dir(), locations.log_dir(), locations.data_dir(),
                   locations.downloads_dir()):
        assert mode(folder) == 0o700, folder


def test_snapshot_download_is_0600_and_leaves_no_part_file(sim: RunningSimulator,
                                                            home: Path) -> None:
    ctx = AwsContext(Target(api_budget=None,
                            demo=True, endpoint_url=sim.endpoint_url, region="us-west-2"))
    game = gamesparks.list_games(ctx)[0].name
    snapshot = gamesparks.list_snapshots(ctx, game)[0].id
    folder = locations.downloads_dir()
    target = folder / gamesparks.export_file_name(game, snapshot)
    path = gamesparks.download_snapshot(ctx, game, snapshot, target)
    assert path == target and path.stat().st_size > 0
    assert mode(path) == 0o600
    assert no_temp_files(folder) == []


def test_a_cancelled_or_failed_download_leaves_nothing_under_the_final_name(
        sim: RunningSimulator, home: Path) -> None:
    ctx = AwsContext(Target(api_budget=None,
                            demo=True, endpoint_url=sim.endpoint_url, region="us-west-2"))
    game = gamesparks.list_games(ctx)[0].name
    snapshot = gamesparks.list_snapshots(ctx, game)[0].id
    url = gamesparks.export_snapshot_url(ctx, game, snapshot)
    folder = locations.downloads_dir()
    target = folder / "cancelled.json"
    with pytest.raises(DownloadError, match="cancelled"):
        download(url, target, cancelled=lambda: True)
    assert not target.exists() and no_temp_files(folder) == []
    # A link that answers 404: nothing is written either.
    with pytest.raises(DownloadError):
        download(f"{sim.endpoint_url}/_presigned/nope/x.json", target)
    assert not target.exists() and no_temp_files(folder) == []
    # An earlier complete file under the final name survives a failed re-download.
    target.write_bytes(b"complete")
    with pytest.raises(DownloadError):
        download(url, target, cancelled=lambda: True)
    assert target.read_bytes() == b"complete"
    assert no_temp_files(folder) == []


def test_saved_searches_and_history_are_0600(home: Path) -> None:
    store = SearchStore()
    store.save("full sessions", SearchSpec(filter_expression="playerSessionCount >= 10"))
    store.record(SearchSpec(filter_expression="hasAvailablePlayerSessions = true"))
    for path in (store.saved_path, store.history_path):
        assert mode(path) == 0o600, path
        assert no_temp_files(path.parent) == []


def test_script_archive_zip_and_index_are_0600(home: Path) -> None:
    archive = ScriptArchive()
    entry = archive.add(b"PK\x05\x06" + bytes(18), script_id="script-1", name="n",
                        version="1", target="demo:us-west-2")
    assert mode(archive.zip_path(entry.sha256)) == 0o600
    assert mode(archive.index_path) == 0o600
    assert mode(archive.root) == 0o700
    assert no_temp_files(archive.root) == []


def test_table_export_is_0600(home: Path) -> None:
    table = ExportTable("sessions", "test", rows=[{"game_session_id": "gs-1"}], slug="fleet-1")
    path = write_export(table, "json", locations.downloads_dir())
    assert mode(path) == 0o600


def test_write_atomic_keeps_the_old_file_when_the_write_fails(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    path = tmp_path / "searches.toml"
    write_atomic(path, b"old = 1\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    # The disk fills up between write and rename: the old content stays, no temp file is left.
    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_atomic(path, b"new = 2\n" * 1000)
    monkeypatch.undo()
    assert path.read_bytes() == b"old = 1\n"
    assert mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["searches.toml"]


def test_write_atomic_tightens_an_existing_loose_file(tmp_path: Path) -> None:
    path = tmp_path / "search-history.json"
    path.write_text("[]")
    path.chmod(0o644)
    write_atomic(path, b"[]")
    assert mode(path) == 0o600


def test_saved_search_file_survives_a_failed_rewrite(home: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = SearchStore()
    store.save("one", SearchSpec(filter_expression="playerSessionCount > 1"))
    before = store.saved_path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.save("two", SearchSpec(filter_expression="playerSessionCount > 2"))
    monkeypatch.undo()
    assert store.saved_path.read_bytes() == before
    assert list(store.saved()) == ["one"]
    assert no_temp_files(store.saved_path.parent) == []


def test_sim_control_surface_is_reachable(sim: RunningSimulator) -> None:
    # Guard for the tests above: they rely on the shared simulator's presigned URLs.
    assert httpx.get(f"{sim.endpoint_url}/_sim/faults").status_code == 200
