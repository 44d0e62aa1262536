"""File names built from service text stay inside their folder; an unusable downloads folder is
said, never a traceback (issue 15, items 8 and 11).

A game named ``../../../tmp/x`` used to put its snapshot export three folders above the
downloads folder, in read-only mode too. GameSparks (and the simulator) refuse such a name, so
the app test puts a hostile endpoint between the app and the simulator: a real HTTP proxy that
calls the game ``kart-league`` by that name in every GameSparks answer and back in every
request, as a compromised or fake endpoint would.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import test_stages_pane as stages_helpers
from apptest import settle, wait_for
from simctl import World

from tui import locations
from tui.aws.session import AwsContext
from tui.config import load_settings
from tui.services.downloads import DownloadError, destination_in, download
from tui.services.export import ExportTable, write_export
from tui.ui.app import GameOpsApp

HOSTILE_NAMES = ["../../../tmp/x", "..", ".", "", "/etc/passwd", "a/../../b", ".hidden",
                 "..\\..\\windows", "x\x00y", "name\nwith\x1b[2Jcontrols", "\u202egnp.exe",
                 "~/.ssh/authorized_keys", "a" * 500]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_from_service_text_is_one_safe_file_inside_its_folder(tmp_path: Path,
                                                                     name: str) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    target = destination_in(folder, name, fallback="download.bin")
    assert target.parent == folder.resolve()
    assert not target.name.startswith(".")
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in target.name)
    assert len(target.name) <= 120


def test_a_link_in_the_folder_does_not_lead_out(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    outside = tmp_path / "outside.json"
    (folder / "game-1.json").symlink_to(outside)
    with pytest.raises(ValueError, match="would leave"):
        destination_in(folder, "game-1.json", fallback="x")


def test_download_refuses_a_hidden_or_odd_final_name(tmp_path: Path) -> None:
    for name in (".bashrc", "a\\b"):
        with pytest.raises(DownloadError, match="not a plain file name"):
            download("http://127.0.0.1:9/never-asked", tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("slug", ["../../../tmp/x", "..", "/etc/cron.d/x", "prod/../../up"])
def test_a_table_export_stays_in_its_folder(tmp_path: Path, slug: str) -> None:
    folder = tmp_path / "a" / "downloads"
    folder.mkdir(parents=True)
    table = ExportTable("sessions", "t", rows=[{"game_session_id": "gs-1"}], slug=slug)
    for _ in range(2):  # the second gets a counter, still inside
        path = write_export(table, "json", folder)
        assert path.parent == folder.resolve() and not path.name.startswith(".")
    assert sorted(p.parent for p in tmp_path.rglob("*.json")) == [folder.resolve()] * 2


# --- the snapshot export of a game with a hostile name ----------------------------------------


HOSTILE_GAME = "../../../tmp/x"
REAL_GAME = "kart-league"


class RenamingEndpoint:
    """The simulator behind a proxy that renames one game in GameSparks traffic."""

    def __init__(self, upstream: str, real: str, shown: str) -> None:
        target = urlsplit(upstream)
        real_b, shown_b = real.encode(), json.dumps(shown)[1:-1].encode()
        quoted = [quote(shown, safe=""), quote(shown, safe="/")]

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path
                for form in quoted:
                    path = path.replace(form, real)
                upstream_conn = http.client.HTTPConnection(target.hostname, target.port,
                                                           timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                upstream_conn.request(self.command, path, body, headers)
                answer = upstream_conn.getresponse()
                data = answer.read()
                if path.startswith(("/game", "/runtime")):  # GameSparks: JSON answers
                    data = data.replace(real_b, shown_b)
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream_conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.sim_endpoint = upstream
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "read-write"])
async def test_snapshot_export_of_a_hostile_game_name_stays_in_downloads(
        world: World, home: Path, read_only: bool) -> None:
    endpoint = RenamingEndpoint(world.endpoint_url, REAL_GAME, HOSTILE_GAME)
    downloads = home / "data" / "downloads"
    # Where ../../../tmp/x-….json pointed from the downloads folder: made to exist, so the old
    # code would have succeeded in writing there.
    escape = downloads.parent.parent.parent / "tmp"
    escape.mkdir(parents=True)
    target = world.target(endpoint_url=endpoint.endpoint_url, read_only=read_only)
    app = GameOpsApp(AwsContext(target), simulator=world)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await stages_helpers.open_stage(app, pilot, HOSTILE_GAME, "prod")
        branch = stages_helpers.node_of(pane, stages_helpers.Ref("snapshots", HOSTILE_GAME,
                                                                 "prod"))
        pane.stage_tree.move_cursor(branch)
        await pilot.press("space")
        await wait_for(pilot, lambda: branch.children and branch.children[0].data.kind ==
                       "snapshot")
        first = branch.children[0]
        pane.stage_tree.move_cursor(first)
        await pilot.press("x")
        await wait_for(pilot, lambda: downloads.exists() and any(downloads.iterdir()))
        await wait_for(pilot, lambda: not pane.export_note)
        await settle(app, pilot)
        (path,) = downloads.iterdir()
        # ../../../tmp/x-Snapshot_….json as one name: separators become _, leading dots go.
        assert path.name.startswith("_.._.._tmp_x-Snapshot_") and path.name.endswith(".json")
        assert not path.name.startswith(".")
        document = json.loads(path.read_text())
        assert document["SnapshotId"] == first.data.ident
        assert list(escape.iterdir()) == []
        assert any(str(path) in str(n.message) for n in app._notifications)
    endpoint.stop()


# --- item 11: a config with a BOM; an unusable downloads folder -------------------------------


def test_a_config_that_starts_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xef\xbb\xbf" + b'region = "eu-west-1"\nread_only = true\n')
    settings = load_settings(config)
    assert settings.problems == ()
    assert (settings.region, settings.read_only) == ("eu-west-1", True)


def test_a_downloads_dir_beneath_a_file_is_reported_with_its_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    config = tmp_path / "config.toml"
    config.write_text(f'region = "us-west-2"\ndownloads_dir = "{blocker}/dl"\n')
    settings = load_settings(config)
    (problem,) = settings.problems
    assert f"{config}, line 2, key downloads_dir" in problem
    assert f"{blocker} is a file, not a folder" in problem
    assert settings.downloads_dir == blocker / "dl"  # kept: files never land elsewhere unasked
    try:
        locations.set_downloads_dir(settings.downloads_dir)
        with pytest.raises(OSError, match="is a file, not a folder"):
            locations.downloads_dir()
    finally:
        locations.set_downloads_dir(None)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env}, stdin=subprocess.DEVNULL)


def test_print_config_paths_names_an_unusable_downloads_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_bytes(b"\xef\xbb\xbf" + f'downloads_dir = "{blocker}/dl"\n'.encode())
    result = run_cli("--print-config-paths", env={"GAMEOPS_TUI_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"downloads       {blocker}/dl  (cannot be used: see below)" in result.stdout
    assert f"{config}, line 1, key downloads_dir: {blocker}/dl cannot be used as a folder: " \
           f"{blocker} is a file, not a folder" in result.stderr
    assert not (blocker.is_dir())


def test_print_config_paths_with_the_whole_home_beneath_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    result = run_cli("--print-config-paths", env={"GAMEOPS_TUI_HOME": str(blocker / "home")})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "audit.jsonl  (cannot be used: see below)" in result.stdout
    assert "downloads folder:" in result.stderr and "is a file, not a folder" in result.stderr


async def test_export_key_with_an_unusable_downloads_dir_says_so_and_the_app_runs_on(
        sim: World, home: Path, tmp_path: Path) -> None:
    from tui.ui.screens.export_dialog import ExportModal

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    config = tmp_path / "config.toml"
    config.write_text(f'downloads_dir = "{blocker}/dl"\n')
    settings = load_settings(config)
    app = GameOpsApp(sim.aws(), simulator=sim, settings=settings)
    try:
        locations.set_downloads_dir(settings.downloads_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            # Said at start, as every config problem is.
            assert any("downloads_dir" in str(n.message) and "is a file" in str(n.message)
                       for n in app._notifications)
            app.query_one("#fleet-table").focus()
            await pilot.press("E")
            await wait_for(pilot, lambda: any(
                str(n.title) == "Export" and "is a file, not a folder" in str(n.message)
                for n in app._notifications))
            assert not isinstance(app.screen, ExportModal)
            assert app.is_running
            # And it runs on: another pane, then back.
            await pilot.press("3")
            await settle(app, pilot)
            assert app.active_pane_id() == "scripts"
            assert app.is_running
    finally:
        locations.set_downloads_dir(None)
    assert not blocker.is_dir() and blocker.read_text() == "a regular file"
