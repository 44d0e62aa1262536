"""The Scripts pane's model without Textual: what it shows from the simulator's scripts, and the
archive-then-upload workflow against the real simulator over HTTP."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from simctl import World

from tui.aws.records import Script
from tui.aws.session import AwsContext
from tui.models import scripts as model
from tui.models.scripts import GROUP_PREFIX, ScriptsModel
from tui.services.script_archive import ScriptArchive
from tui.services.zipcheck import ZipCheck, check_zip_bytes

# A private world per test: these tests change scripts.
pytestmark = pytest.mark.world(sessions=30)


def context(sim: World, *, read_only: bool = False) -> AwsContext:
    return sim.aws(read_only=read_only)


@dataclass
class Change:
    """What the form hands over (the model only needs these fields)."""

    name: str | None = None
    version: str | None = None
    zip: ZipCheck | None = None
    storage: dict[str, str] | None = None
    node_js_version: str | None = None
    source: str = "upload"

    @property
    def has_content(self) -> bool:
        return self.zip is not None or self.storage is not None


def a_zip(body: str) -> ZipCheck:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed time stamp: the same body is the same bytes whenever it is zipped.
        archive.writestr(zipfile.ZipInfo("index.js", date_time=(2026, 1, 1, 0, 0, 0)), body)
    return check_zip_bytes(buffer.getvalue(), "test.zip")


def held_scripts(sim: World) -> dict[str, dict[str, Any]]:
    """The scripts as the service holds them, by id."""
    return {s["ScriptId"]: s for s in sim.state()["gamelift"]["scripts"]}


def sim_script(sim: World, name: str, version: str) -> str:
    return next(sid for sid, s in held_scripts(sim).items()
                if s["Name"] == name and s["Version"] == version)


def script_mutations(sim: World) -> list[dict]:
    return [m for m in sim.mutations() if "Script" in m["operation"]]


def described(sim: World, script_id: str) -> dict[str, Any]:
    """DescribeScript: the script as the service answers for it."""
    held: dict[str, Any] = sim.aws().client("gamelift").describe_script(
        ScriptId=script_id)["Script"]
    return held


def stored_in_s3(sim: World, script_id: str) -> None:
    """The script's content moved to the customer's bucket (UpdateScript with a
    StorageLocation, as a person would), then the mutation log cleared: what follows is the
    test's alone."""
    sim.put_object("game-scripts", "lobby.zip", a_zip("// in s3\n").data)
    sim.aws().client("gamelift").update_script(ScriptId=script_id, StorageLocation={
        "Bucket": "game-scripts", "Key": "lobby.zip",
        "RoleArn": "arn:aws:iam::123456789012:role/gamelift-s3"})
    sim.clear_mutations()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def loaded(sim: World, clock: Clock | None = None) -> ScriptsModel:
    scripts = ScriptsModel(clock=clock or Clock())
    scripts.loading()
    scripts.loaded(model.load_world(context(sim)))
    return scripts


def test_rows_group_versions_newest_first_with_the_fleets_that_run_them(
        world: World, home: Path) -> None:
    scripts = loaded(world)
    keys = [key for key, _ in scripts.rows()]
    arena = [sim_script(world, "arena-realtime", v) for v in ("1.2.0", "1.1.0", "1.0.0")]
    assert keys[:4] == [GROUP_PREFIX + "arena-realtime", *arena]
    # Every simulated script is a row, under its group.
    assert {k for k in keys if not k.startswith(GROUP_PREFIX)} == set(held_scripts(world))
    cells = dict(scripts.rows())
    fleets = world.fleets().values()  # what each fleet runs, as the service holds it
    running = [f["Name"] for f in fleets if f["ScriptId"] == arena[0]]
    assert cells[arena[0]][1] == f"● {len(running)}"
    assert cells[arena[2]][1] == "○ unused"
    used = {f["ScriptId"] for f in fleets} & set(arena)
    assert cells[GROUP_PREFIX + "arena-realtime"][1] == f"{len(used)}/3 used"
    lines = scripts.fleet_lines(arena[0])
    assert lines[0] == f"arena-realtime 1.2.0 · {arena[0]}"
    assert lines[1].startswith("run by: arena-prod (ACTIVE")
    assert scripts.fleet_lines(arena[2])[1] == "○ no fleet uses this version"
    # A group row stands for its newest version.
    assert scripts.script_at(GROUP_PREFIX + "arena-realtime") == scripts.find(arena[0])
    assert [s.script_id for s in scripts.group_of(arena[1])] == arena


def test_filter_status_and_clock(world: World, home: Path) -> None:
    clock = Clock()
    scripts = loaded(world, clock)
    total = len(held_scripts(world))
    clock.now += 7
    assert scripts.status_parts()[-1] == "updated 7s ago"
    scripts.filter_text = "lobby"
    lobby = {k for k, _ in scripts.rows()}
    assert lobby == {GROUP_PREFIX + "lobby-chat", sim_script(world, "lobby-chat", "1.0.0"),
                     sim_script(world, "lobby-chat", "0.9.0")}
    assert "filter 'lobby' 2 shown" in scripts.status_parts()
    assert scripts.status_parts()[0].endswith(f"{total} versions")
    scripts.filter_text = "arena-prod"  # a fleet's name finds the version it runs
    assert [k for k, _ in scripts.rows()] == [GROUP_PREFIX + "arena-realtime",
                                              sim_script(world, "arena-realtime", "1.2.0")]
    # A failed reload keeps the rows and says they are stale.
    scripts.loading()
    assert "⟳ loading" in scripts.status_parts()
    scripts.load_failed("network: cannot reach the endpoint")
    assert scripts.status_parts()[-1] == "⚠ STALE: network: cannot reach the endpoint"
    assert scripts.world is not None and not scripts.busy


def test_marks_keep_two_and_pick_what_to_compare(world: World, home: Path) -> None:
    scripts = loaded(world)
    arena = [sim_script(world, "arena-realtime", v) for v in ("1.2.0", "1.1.0", "1.0.0")]
    group = GROUP_PREFIX + "arena-realtime"

    def ids(pair: tuple[Script, Script] | None) -> list[str]:
        assert pair is not None
        return [s.script_id for s in pair]

    # Nothing marked: a group row (or its newest version) compares its two newest, older first.
    assert ids(scripts.compare_pair(group)) == [arena[1], arena[0]]
    assert ids(scripts.compare_pair(arena[0])) == [arena[1], arena[0]]
    assert scripts.compare_pair(arena[2]) is None
    assert not scripts.toggle_mark(group)  # a group cannot be marked
    for key in arena:
        assert scripts.toggle_mark(key)
    assert scripts.marked == arena[1:]  # the two latest marks
    assert ids(scripts.compare_pair(None)) == [arena[2], arena[1]]
    scripts.toggle_mark(arena[1])
    assert ids(scripts.compare_pair(arena[0])) == [arena[2], arena[0]]
    assert "1 marked" in scripts.status_parts()
    assert dict(scripts.rows())[arena[2]][0].startswith("  ✓ ")


def test_export_rows_follow_the_table_and_skip_group_lines(world: World,
                                                          home: Path) -> None:
    scripts = loaded(world)
    keys = [k for k, _ in scripts.rows()]
    rows = scripts.export_rows(list(reversed(keys)))
    versions = [k for k in reversed(keys) if not k.startswith(GROUP_PREFIX)]
    assert [r["script_id"] for r in rows] == versions
    prod = next(r for r in rows if r["fleet_names"] == ["arena-prod"])
    assert prod["version"] == "1.2.0"
    scripts.filter_text = "lobby"
    assert scripts.export_title() == "Realtime scripts · filter 'lobby'"


def test_update_uploads_then_archives_the_zip(world: World, home: Path) -> None:
    aws = context(world)
    scripts = loaded(world)
    script_id = sim_script(world, "arena-realtime", "1.1.0")
    script = scripts.find(script_id)
    assert script is not None
    upload = a_zip("// fixed\n")
    result = model.apply_change(aws, scripts.archive, script, Change(version="1.1.1",
                                                                     zip=upload))
    assert not result.failed and result.script_id == script_id
    assert result.summary == (f"Updated arena-realtime 1.1.1 ({upload.size:,} bytes) — zip "
                              f"archived (SHA-256 {upload.sha256[:12]}…)")
    held = described(world, script_id)
    assert (held["Version"], world.script_zip(script_id)) == ("1.1.1", upload.data)
    [entry] = ScriptArchive().entries(script_id=script_id)
    assert (entry.version, entry.source, entry.target) == ("1.1.1", "upload", "demo:us-west-2")
    assert ScriptArchive().read(entry) == upload.data
    scripts.changed(result)
    assert scripts.status_parts()[-1] == "✓ " + result.summary


def test_content_in_s3_is_archived_first_or_the_note_says_why_not(world: World,
                                                                  home: Path) -> None:
    aws = context(world)
    script_id = sim_script(world, "lobby-chat", "0.9.0")
    stored_in_s3(world, script_id)
    scripts = loaded(world)
    script = scripts.find(script_id)
    assert script is not None
    # The user's own credentials read the previous zip (S3 GetObject) before it is replaced.
    result = model.apply_change(aws, scripts.archive, script, Change(zip=a_zip("x;\n"),
                                                                     version="0.9.5"))
    assert not result.failed
    assert "previous S3 content archived" in result.summary
    newest, before = ScriptArchive().entries(script_id=script_id)
    assert (newest.source, before.source) == ("upload", "s3-before-update")
    assert ScriptArchive().read(before) == a_zip("// in s3\n").data
    assert world.script_zip(script_id) == a_zip("x;\n").data
    # When they may not read the bucket, the note says why and the upload still goes.
    stored_in_s3(world, script_id)
    world.credentials(denied=["GetObject"])
    scripts = loaded(world)
    script = scripts.find(script_id)
    assert script is not None
    again = model.apply_change(aws, scripts.archive, script, Change(zip=a_zip("y;\n"),
                                                                    version="0.9.6"))
    assert not again.failed
    assert "previous content not archived (" in again.summary
    assert [e.source for e in ScriptArchive().entries(script_id=script_id)] == [
        "upload", "upload", "s3-before-update"]
    assert [m["operation"] for m in script_mutations(world)] == ["UpdateScript"]


def test_create_a_new_version(world: World, home: Path) -> None:
    aws = context(world)
    upload = a_zip("const a = 1;\n")
    result = model.apply_change(aws, ScriptArchive(), None, Change(
        name="arena-realtime", version="5.0.0", zip=upload, node_js_version="24.x",
        source="create"))
    assert not result.failed and result.summary.startswith("Created arena-realtime 5.0.0 (")
    assert result.script_id == sim_script(world, "arena-realtime", "5.0.0")
    assert [e.source for e in ScriptArchive().entries(script_id=result.script_id)] == ["create"]


def test_refusals_and_failures_change_nothing_and_archive_nothing(world: World,
                                                                  home: Path) -> None:
    scripts = loaded(world)
    script = scripts.find(sim_script(world, "arena-realtime", "1.0.0"))
    assert script is not None
    change = Change(zip=a_zip("x;\n"), version="1.0.9")
    refused = model.apply_change(context(world, read_only=True), scripts.archive, script,
                                 change)
    assert refused.failed and refused.summary.startswith("Refused: ")
    assert refused.summary.endswith("; nothing was sent")
    world.credentials(denied=["UpdateScript"])
    try:
        denied = model.apply_change(context(world), scripts.archive, script, change)
    finally:
        world.credentials()
    assert denied.failed and denied.summary.startswith("Failed, nothing changed: ")
    assert "your role lacks gamelift:UpdateScript" in denied.summary
    assert script_mutations(world) == []
    assert ScriptArchive().entries() == []
    assert held_scripts(world)[script.script_id]["Version"] == "1.0.0"
