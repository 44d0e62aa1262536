"""The Scripts pane on the simulator: what runs where, updates, refusals, archive and rollback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, pane_of, settle, wait_for
from rich.console import Console
from simctl import World
from textual.widgets import DataTable, Input, Static

from tui.models import scripts as scripts_model
from tui.services.script_archive import ScriptArchive
from tui.services.scripts import ScriptGroup, ScriptWorld
from tui.ui.app import GameOpsApp
from tui.ui.panes.scripts import ScriptsPane
from tui.ui.screens.confirm import ConfirmModal
from tui.ui.screens.script_compare import ScriptCompareScreen
from tui.ui.screens.script_forms import ScriptFormModal
from tui.ui.screens.script_history import ScriptHistoryScreen

# A private world per test (frozen, no rate limits): these tests change scripts.
pytestmark = pytest.mark.world(sessions=60)

ROLE = "arn:aws:iam::123456789012:role/gamelift-s3"


def make_zip(files: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def zip_of_size(total: int) -> bytes:
    probe = make_zip({"index.js": b"x" * 1000}, zipfile.ZIP_STORED)
    data = make_zip({"index.js": b"x" * (total - (len(probe) - 1000))}, zipfile.ZIP_STORED)
    assert len(data) == total
    return data


def sim_script(sim: World, name: str, version: str) -> str:
    """The id of the script the service holds by that name and version."""
    scripts = sim.state()["gamelift"]["scripts"]
    return next(s["ScriptId"] for s in scripts if s["Name"] == name and s["Version"] == version)


def script_mutations(sim: World) -> list[dict]:
    return [m for m in sim.mutations() if "Script" in m["operation"]]


def described(sim: World, script_id: str) -> dict[str, Any]:
    """DescribeScript: the script as the service answers for it."""
    held: dict[str, Any] = sim.aws().client("gamelift").describe_script(
        ScriptId=script_id)["Script"]
    return held


async def open_pane(app: GameOpsApp, pilot) -> ScriptsPane:  # noqa: ANN001
    await pilot.press("3")
    await settle(app, pilot)
    return await pane_of(app, pilot, ScriptsPane)


def put_cursor(app: GameOpsApp, key: str) -> None:
    table = app.query_one("#scripts-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))


def status(app: GameOpsApp) -> str:
    return str(app.query_one("#scripts-status", Static).render())


async def fill_form(app: GameOpsApp, pilot, **values: str) -> ScriptFormModal:  # noqa: ANN001
    form = app.screen
    assert isinstance(form, ScriptFormModal)
    for field, value in values.items():
        form.query_one(f"#script-{field}", Input).value = value
    await pilot.pause()
    return form


def plain(widget: Static) -> str:
    """What a Static shows, as text (rich tables included)."""
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


def problem(form: ScriptFormModal) -> str:
    return str(form.query_one("#problem", Static).render())


def check_line(form: ScriptFormModal) -> str:
    return str(form.query_one("#script-check", Static).render())


async def review_refused(app: GameOpsApp, pilot, form: ScriptFormModal) -> str:  # noqa: ANN001
    """Enter on the form, then the refusal once the zip check (a worker) has answered."""
    await pilot.press("enter")
    await wait_for(pilot, lambda: problem(form) or app.screen is not form)
    return problem(form)


async def review(app: GameOpsApp, pilot) -> None:  # noqa: ANN001
    """Enter on the form, then wait for the confirmation: a zip typed a moment ago is checked
    on a worker first."""
    # A person takes a moment between keys: an Enter or `y` right behind the previous answer
    # (the history's Enter, the form's Enter) is taken for a repeat of it and dropped (see
    # tui/ui/screens/base.py).
    await pilot.pause(0.5)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.drawn)
    await pilot.pause(0.5)


async def test_browser_groups_versions_and_shows_fleets(world: World,
                                                        home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(app, pilot)
        table = app.query_one("#scripts-table", DataTable)
        assert app.focused is table
        keys = [str(k.value) for k in table.rows]
        arena = [sim_script(world, "arena-realtime", v) for v in ("1.2.0", "1.1.0", "1.0.0")]
        # Grouped by name, newest version first.
        assert keys[:4] == ["group:arena-realtime", *arena]
        assert "group:lobby-chat" in keys and "group:party-matchmaker" in keys
        # Which fleets run 1.2.0: the simulator's own answer.
        running = [f["Name"] for f in world.fleets().values() if f["ScriptId"] == arena[0]]
        assert running == ["arena-prod"]
        put_cursor(app, arena[0])
        await pilot.pause()
        fleets_line = str(app.query_one("#scripts-fleets", Static).render())
        assert "arena-prod (ACTIVE" in fleets_line and "active sessions" in fleets_line
        assert str(table.get_cell(arena[0], "fleets")) == "● 1"
        assert str(table.get_cell(arena[2], "fleets")) == "○ unused"
        assert str(table.get_cell(arena[0], "storage")) == "GameLift-managed"

        # Detail view: DescribeScript.
        await pilot.press("enter")
        await settle(app, pilot)
        assert "DescribeScript" in str(app.screen.query_one("#script-detail-status",
                                                            Static).render())
        assert "arena-prod" in str(app.screen.query_one("#script-detail-fleets",
                                                        Static).render())
        await pilot.press("escape")

        # Quick filter, then a refresh in place keeps the cursor.
        await pilot.press("slash", *"lobby")
        await pilot.pause()
        assert {str(k.value) for k in table.rows} == {
            "group:lobby-chat", sim_script(world, "lobby-chat", "1.0.0"),
            sim_script(world, "lobby-chat", "0.9.0")}
        await pilot.press("escape")
        assert table.row_count == len(keys)
        put_cursor(app, arena[1])
        await pilot.press("r")
        await settle(app, pilot)
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == arena[1]
        assert "updated" in status(app) and pane.error is None


async def test_update_from_a_local_zip(world: World, home: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    script_id = sim_script(world, "arena-realtime", "1.2.0")
    body = make_zip({"index.js": "// fixed\nexports.ssExports = {};\n", "lib/match.js": "1;\n"})
    path = tmp_path / "fix.zip"
    path.write_bytes(body)
    (tmp_path / "fizz.txt").write_text("a file that is not a zip sorts after zips")
    monkeypatch.chdir(tmp_path)
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, script_id)
        await pilot.press("u")
        await pilot.pause()
        form = await fill_form(app, pilot, version="1.2.1")
        # Typed into the focused content field; → accepts the path completion.
        await pilot.press("f", "i")
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        assert form.query_one("#script-content", Input).value == "fix.zip"
        # Checked on a worker after a pause in typing, not on the keystroke.
        await wait_for(pilot, lambda: "readable zip" in check_line(form))
        await review(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        assert "1.2.0 → 1.2.1" in confirm.body
        assert f"→ {len(body):,} bytes" in confirm.body
        assert "arena-prod" in confirm.body  # the fleet that picks it up
        assert "index.js" in confirm.body
        assert confirm.cli.startswith(f"aws gamelift update-script --script-id {script_id}")
        assert "--script-version 1.2.1" in confirm.cli and "fileb://fix.zip" in confirm.cli
        assert script_mutations(world) == []  # nothing sent before the confirmation
        await pilot.press("y")
        await settle(app, pilot)

        table = app.query_one("#scripts-table", DataTable)
        assert str(table.get_cell(script_id, "version")).strip() == "1.2.1"
        assert str(table.get_cell(script_id, "size")) == f"{len(body):,}"
        assert "Updated arena-realtime 1.2.1" in status(app)
        held = described(world, script_id)
        assert (held["Version"], held["SizeOnDisk"], world.script_zip(script_id)) == (
            "1.2.1", len(body), body)
        [mutation] = script_mutations(world)
        assert mutation["operation"] == "UpdateScript"

    # The archive holds the zip; the audit line its size and SHA-256, never its bytes.
    entry = ScriptArchive().latest(script_id)
    assert entry is not None and entry.version == "1.2.1" and entry.size == len(body)
    assert ScriptArchive().read(entry) == body
    lines = [json.loads(line) for line in (home / "log" / "audit.jsonl").read_text().splitlines()]
    [audit] = [line for line in lines if line["operation"] == "UpdateScript"]
    assert audit["params"]["ZipFile"] == {"bytes": len(body), "sha256": entry.sha256}


async def test_bad_zips_are_refused_and_nothing_is_sent(world: World, home: Path,
                                                        tmp_path: Path) -> None:
    script_id = sim_script(world, "lobby-chat", "1.0.0")
    oversize = tmp_path / "big.zip"
    oversize.write_bytes(zip_of_size(5_000_001))
    six_mb = tmp_path / "six.zip"
    six_mb.write_bytes(zip_of_size(6_000_000))
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not a zip at all\n")
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, script_id)
        await pilot.press("u")
        await pilot.pause()
        for path, reason in ((oversize, "5,000,001 bytes"), (six_mb, "6,000,000 bytes"),
                             (not_zip, "not a zip archive"),
                             (tmp_path / "missing.zip", "no such file"),
                             (tmp_path, "is a folder")):
            form = await fill_form(app, pilot, content=str(path))
            refusal = await review_refused(app, pilot, form)
            assert app.screen is form, f"{path.name} got past the form"
            assert reason in refusal and "nothing was sent" in refusal
        # An S3 bucket with a dot is refused too.
        form = await fill_form(app, pilot, content="s3://my.bucket/script.zip",
                               role="arn:aws:iam::123456789012:role/gamelift-s3")
        await pilot.press("enter")
        await pilot.pause()
        assert "has a dot" in problem(form)
        await pilot.press("escape")
        assert script_mutations(world) == []

        # Exactly 5,000,000 bytes is accepted and reaches the service.
        exact = tmp_path / "exact.zip"
        exact.write_bytes(zip_of_size(5_000_000))
        await pilot.press("u")
        await pilot.pause()
        await fill_form(app, pilot, content=str(exact), version="1.0.1")
        await review(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(app, pilot)
        assert described(world, script_id)["SizeOnDisk"] == 5_000_000
        assert [m["operation"] for m in script_mutations(world)] == ["UpdateScript"]


async def test_update_from_an_s3_location(world: World, home: Path) -> None:
    script_id = sim_script(world, "party-matchmaker", "2.3.1")
    content = make_zip({"index.js": "// party 2.4.0\n"})
    world.put_object("game-scripts", "party/2.4.0.zip", content, version="v7")
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, script_id)
        await pilot.press("u")
        await pilot.pause()
        await fill_form(app, pilot, content="s3://game-scripts/party/2.4.0.zip",
                        role="arn:aws:iam::123456789012:role/gamelift-s3", objver="v7",
                        version="2.4.0")
        await review(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal)
        assert "s3://game-scripts/party/2.4.0.zip@v7" in confirm.body
        assert "No fleet uses this script" in confirm.body
        assert "--storage-location Bucket=game-scripts,Key=party/2.4.0.zip," in confirm.cli
        await pilot.press("y")
        await settle(app, pilot)
        table = app.query_one("#scripts-table", DataTable)
        assert str(table.get_cell(script_id, "storage")) == "s3://game-scripts/party/2.4.0.zip@v7"
        held = described(world, script_id)
        assert held["StorageLocation"] == {
            "Bucket": "game-scripts", "Key": "party/2.4.0.zip",
            "RoleArn": "arn:aws:iam::123456789012:role/gamelift-s3", "ObjectVersion": "v7"}
        assert held["SizeOnDisk"] == len(content)


async def test_read_only_mode_refuses_the_update(world: World, home: Path,
                                                 tmp_path: Path) -> None:
    script_id = sim_script(world, "arena-realtime", "1.1.0")
    path = tmp_path / "fix.zip"
    path.write_bytes(make_zip({"index.js": "x;\n"}))
    app = make_app(world, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, script_id)
        # The key is disabled: it explains itself and opens no form (once it has explained
        # itself the key has been handled: only then is "no form" a proof of anything).
        await pilot.press("u")
        await wait_for(pilot, lambda: any("read-only: start without --read-only"
                                          in str(n.message) for n in app._notifications))
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        await settle(app, pilot)
        assert described(world, script_id)["Version"] == "1.1.0"
    assert script_mutations(world) == []
    assert ScriptArchive().entries() == []


async def test_new_version_then_compare_the_two(world: World, home: Path,
                                                tmp_path: Path) -> None:
    first, second = tmp_path / "v3.zip", tmp_path / "v4.zip"
    first.write_bytes(make_zip({"index.js": "const a = 1;\nconst b = 2;\n"}))
    second.write_bytes(make_zip({"index.js": "const a = 1;\nconst b = 3;\n", "new.js": "1;\n"}))
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, "group:arena-realtime")
        for path, version, node in ((first, "3.0.0", "24.x"), (second, "4.0.0", "10.x")):
            await pilot.press("n")
            await pilot.pause()
            form = await fill_form(app, pilot, version=version, content=str(path), node=node)
            assert form.query_one("#script-name", Input).value == "arena-realtime"
            await review(app, pilot)
            confirm = app.screen
            assert isinstance(confirm, ConfirmModal)
            assert confirm.cli.startswith("aws gamelift create-script --name arena-realtime "
                                          f"--script-version {version} --node-js-version {node}")
            await pilot.press("y")
            await settle(app, pilot)
        created = [m for m in script_mutations(world) if m["operation"] == "CreateScript"]
        assert [m["params"]["Version"] for m in created] == ["3.0.0", "4.0.0"]
        v3, v4 = (sim_script(world, "arena-realtime", v) for v in ("3.0.0", "4.0.0"))
        assert described(world, v4)["NodeJsVersion"] == "10.x"
        table = app.query_one("#scripts-table", DataTable)
        # Both side by side with the old versions, and unused by any fleet.
        assert str(table.get_cell(v3, "fleets")) == "○ unused"
        assert table.get_row_index(v4) < table.get_row_index(v3) < table.get_row_index(
            sim_script(world, "arena-realtime", "1.2.0"))

        put_cursor(app, v3)
        await pilot.press("space")
        put_cursor(app, v4)
        await pilot.press("c")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ScriptCompareScreen)
        files = plain(screen.query_one("#script-compare-files", Static))
        assert "new.js" in files and "added" in files and "changed" in files
        diff = plain(screen.query_one("#script-compare-diff", Static))
        assert "-const b = 2;" in diff and "+const b = 3;" in diff
        meta = plain(screen.query_one("#script-compare-meta", Static))
        assert "3.0.0" in meta and "4.0.0" in meta


async def test_rollback_reuploads_an_archived_zip(world: World, home: Path,
                                                  tmp_path: Path) -> None:
    script_id = sim_script(world, "lobby-chat", "0.9.0")
    good, bad = (make_zip({"index.js": "// good\n"}), make_zip({"index.js": "// broken\n"}))
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        for body, version in ((good, "0.9.1"), (bad, "0.9.2")):
            path = tmp_path / f"{version}.zip"
            path.write_bytes(body)
            put_cursor(app, script_id)
            await pilot.press("u")
            await pilot.pause()
            await fill_form(app, pilot, content=str(path), version=version)
            await review(app, pilot)
            await pilot.press("y")
            await settle(app, pilot)
        assert world.script_zip(script_id) == bad

        put_cursor(app, script_id)
        await pilot.press("h")
        await pilot.pause()
        history = app.screen
        assert isinstance(history, ScriptHistoryScreen)
        table = history.query_one("#script-history-table", DataTable)
        assert [str(table.get_cell_at((r, 2))) for r in range(table.row_count)] == [
            "0.9.2", "0.9.1"]
        await pilot.press("down", "enter")  # the older, good zip
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ScriptFormModal)
        assert form.query_one("#script-version", Input).value == "0.9.1"
        await review(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmModal) and "Roll back" in confirm.title_text
        assert "0.9.2 → 0.9.1" in confirm.body
        await pilot.press("y")
        await settle(app, pilot)
        assert (world.script_zip(script_id), described(world, script_id)["Version"]) == (
            good, "0.9.1")
        assert "Rolled back lobby-chat 0.9.1" in status(app)
    assert [e.source for e in ScriptArchive().entries(script_id=script_id)] == [
        "rollback", "upload", "upload"]


async def test_service_errors_are_explained(world: World, home: Path,
                                            tmp_path: Path) -> None:
    script_id = sim_script(world, "arena-realtime", "1.0.0")
    path = tmp_path / "fix.zip"
    path.write_bytes(make_zip({"index.js": "x;\n"}))
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, script_id)
        world.credentials(denied=["UpdateScript"])
        await pilot.press("u")
        await pilot.pause()
        await fill_form(app, pilot, content=str(path))
        await review(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert "your role lacks gamelift:UpdateScript" in status(app)
        assert ScriptArchive().entries() == []  # a failed upload is not archived
        # The script vanished meanwhile: NotFound, explained.
        world.credentials()
        world.aws().client("gamelift").delete_script(ScriptId=script_id)
        await pilot.press("u")
        await pilot.pause()
        await fill_form(app, pilot, version="1.0.9")
        await review(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert "NotFoundException" in status(app) and "no longer exists" in status(app)
        assert app.is_running


def pinned(load: Any) -> Any:
    """``load`` (the model's load_world) with every script's id and creation time fixed: by
    (name, version), the n-th is script-0000000n-… created 1,700,000,000 + n × 9 days."""
    def load_pinned(aws: Any) -> ScriptWorld:
        world: ScriptWorld = load(aws)
        order = sorted(world.scripts(), key=lambda s: (s.name, s.version))
        renamed = {s.script_id: f"script-{index:08d}-0000-4000-8000-000000000000"
                   for index, s in enumerate(order)}
        created = {s.script_id: dt.datetime.fromtimestamp(1_700_000_000.0 + index * 86400 * 9,
                                                          dt.UTC)
                   for index, s in enumerate(order)}

        def pin(script: Any) -> Any:
            new_id = renamed[script.script_id]
            return dataclasses.replace(
                script, script_id=new_id, creation_time=created[script.script_id],
                script_arn=script.script_arn.rsplit("/", 1)[0] + "/" + new_id)

        groups = [ScriptGroup(g.name, [pin(v) for v in g.versions]) for g in world.groups]
        return ScriptWorld(groups, {renamed.get(k, k): v for k, v in world.fleets.items()})
    return load_pinned


def test_scripts_pane_snapshot(world: World, home: Path, snap_compare,  # noqa: ANN001
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Fixed creation times: the demo world dates scripts relative to the wall clock. The same
    # for the random ScriptIds. Both are pinned where the pane receives them (its load), not
    # in the simulator: what the service served is drawn, those two fields renamed.
    monkeypatch.setattr(scripts_model, "load_world", pinned(scripts_model.load_world))
    app = make_app(world)

    async def go(pilot) -> None:  # noqa: ANN001
        from tui.ui.widgets.context_bar import ContextBar

        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("down")
        pane = await pane_of(app, pilot, ScriptsPane)
        pane.model.updated_at = None  # "updated Ns ago" depends on the wall clock
        pane.show_status()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=go)


async def test_history_compares_archived_zips_and_s3_content_is_explained(
        world: World, home: Path) -> None:
    script_id = sim_script(world, "party-matchmaker", "2.3.1")
    archive = ScriptArchive()
    for body, version in (("let x = 1;\n", "2.3.1"), ("let x = 2;\n", "2.3.2")):
        archive.add(make_zip({"index.js": body}), script_id=script_id, name="party-matchmaker",
                    version=version, target="demo:us-west-2")
    # An entry of another target (a real account's, same id by chance) stays out of it.
    archive.add(make_zip({"index.js": "other\n"}), script_id=script_id,
                name="party-matchmaker", version="9.9.9", target="aws:us-west-2")
    # The other version lives in the customer's S3 bucket.
    s3_id = sim_script(world, "lobby-chat", "0.9.0")
    # Moved there by UpdateScript (the object put first: the service reads it); the mutation
    # log then cleared, so what follows is the test's alone.
    world.put_object("game-scripts", "lobby.zip", make_zip({"index.js": "// in s3\n"}))
    world.aws().client("gamelift").update_script(ScriptId=s3_id, StorageLocation={
        "Bucket": "game-scripts", "Key": "lobby.zip", "RoleArn": ROLE})
    world.clear_mutations()
    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(app, pilot)
        put_cursor(app, script_id)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, ScriptHistoryScreen)
        assert app.screen.query_one("#script-history-table", DataTable).row_count == 2
        await pilot.press("space", "down", "c")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ScriptCompareScreen)
        diff = plain(screen.query_one("#script-compare-diff", Static))
        assert "-let x = 1;" in diff and "+let x = 2;" in diff
        await pilot.press("escape", "escape")

        async def compare_notes() -> str:
            await pilot.press("c")
            for _ in range(50):  # the S3 read runs in the compare screen's worker
                await settle(app, pilot)
                notes = plain(app.screen.query_one("#script-compare-notes", Static))
                if "reading" not in notes:
                    break
            return notes

        put_cursor(app, s3_id)
        await pilot.press("space")
        put_cursor(app, sim_script(world, "lobby-chat", "1.0.0"))
        # A is read from the bucket with the user's credentials; B (managed storage) is not
        # to be had: GameLift does not hand out a zip it stores.
        notes = await compare_notes()
        assert "A: read from s3://game-scripts/lobby.zip" in notes
        assert "B: content not available" in notes
        assert "need both zips" in plain(app.screen.query_one("#script-compare-files", Static))
        await pilot.press("escape")
        world.credentials(denied=["GetObject"])  # the user's role may not read the bucket
        notes = await compare_notes()
        assert "S3 not readable" in notes and "content not available" in notes
    assert script_mutations(world) == []


async def test_a_burst_typed_after_slash_goes_to_the_filter(world: World,
                                                            home: Path) -> None:
    # A paste or a fast typist: the keys arrive together, before the filter box has focus.
    # Without care the "u" and "n" of "lobby-run" would open the Update and New version forms.
    from apptest import type_burst

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        table = pane.query_one("#scripts-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0, timeout=30)
        table.focus()
        await pilot.pause()
        screen = app.screen
        await type_burst(app, pilot, "/lobby-run")
        box = pane.query_one("#scripts-filter", Input)
        # Every key handled (the last one is in the box) before the absence of a form counts.
        await wait_for(pilot, lambda: box.value == "lobby-run")
        await pilot.pause()
        assert app.screen is screen
        assert app.focused is box


async def test_the_pane_polls_at_the_configured_refresh_seconds(world: World,
                                                                home: Path) -> None:
    from tui.config import Settings

    app = GameOpsApp(world.aws(), simulator=world, settings=Settings(refresh_seconds=3600.0))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(app, pilot)
        assert pane.refresh_seconds == 3600.0  # the config's value, not a constant of the pane
        table = app.query_one("#scripts-table", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        script_id = sim_script(world, "lobby-chat", "0.9.0")
        # Changed behind the pane's back (another console's UpdateScript): only its own poll
        # can bring this in.
        world.aws().client("gamelift").update_script(ScriptId=script_id, Version="0.9.7")
        # New settings take effect at once, not after the old hour-long wait has run out.
        app.settings = dataclasses.replace(app.settings, refresh_seconds=0.3)
        app.apply_settings(pane)
        assert pane.refresh_seconds == 0.3
        await wait_for(pilot, lambda: str(table.get_cell(script_id, "version")).strip()
                       == "0.9.7")
