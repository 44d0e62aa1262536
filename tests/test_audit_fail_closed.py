"""Audit fail-closed: when the audit record cannot be written, the mutation is not sent.

Tests run as root, so a chmod would not stop the write: the audit path is made unusable by a
directory in its place, or by putting it under a regular file. Real botocore, real HTTP, a
private simulator whose request count and mutation log show that nothing went out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apptest import make_app, wait_for
from simctl import World

from tui.aws.audit import AuditUnavailable
from tui.aws.errors import explain
from tui.aws.session import AwsContext
from tui.services import gamelift as gl
from tui.services import gamesparks as gs

# A private frozen world of 20 sessions per test: its request count and mutation log move only
# with what the test sends.
pytestmark = pytest.mark.world(sessions=20)


def context(world: World, audit_path: Path) -> AwsContext:
    return AwsContext(world.target(), audit_path=audit_path)


def an_active_session(ctx: AwsContext) -> str:
    for fleet in gl.list_fleets(ctx, with_locations=False):
        for page in gl.iter_game_session_pages(ctx, fleet.fleet_id, status_filter="ACTIVE"):
            if page:
                return page[0].game_session_id
    raise AssertionError("no ACTIVE session")


@pytest.mark.parametrize("blocked", ["directory in its place", "under a regular file"])
def test_a_mutation_is_not_sent_when_its_record_cannot_be_written(
        world: World, tmp_path: Path, blocked: str) -> None:
    if blocked == "directory in its place":
        path = tmp_path / "audit.jsonl"
        path.mkdir()
    else:
        (tmp_path / "not-a-folder").write_text("a file\n")
        path = tmp_path / "not-a-folder" / "audit.jsonl"
    ctx = context(world, path)
    session_id = an_active_session(ctx)  # reads are not audited: they still work
    requests = world.state()["requests"]

    with pytest.raises(AuditUnavailable) as refused:
        gl.update_game_session(ctx, session_id, Name="never sent")
    with pytest.raises(AuditUnavailable):
        gl.terminate_game_session(ctx, session_id)

    assert world.mutations() == []
    assert world.state()["requests"] == requests  # not even a first attempt
    text = explain(refused.value)
    assert text.startswith(f"UpdateGameSession not sent: the audit log {path} could not be "
                           "written: ")
    assert refused.value.reason in text and refused.value.path == path
    assert gl.describe_game_session(ctx, session_id).status == "ACTIVE"


def test_gamesparks_mutations_are_refused_too_and_writing_again_works(
        world: World, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.mkdir()
    ctx = context(world, path)
    with pytest.raises(AuditUnavailable):
        gs.create_snapshot(ctx, "kart-league", "never sent")
    assert world.mutations() == []  # (the snapshots listed first are a read: not audited)

    path.rmdir()  # the user fixes it: the next mutation is recorded and sent
    snapshot = gs.create_snapshot(ctx, "kart-league", "sent")
    [line] = [json.loads(text) for text in path.read_text().splitlines()]
    assert line["operation"] == "CreateSnapshot" and line["outcome"] == "ok"
    assert line["result"]["Snapshot"]["Id"] == snapshot.id
    assert [m["operation"] for m in world.mutations()] == ["CreateSnapshot"]


def test_the_record_is_on_disk_before_the_request_and_completed_in_place(
        world: World, tmp_path: Path) -> None:
    """One line per call: written (outcome "sending") before the request is sent, then the
    same line completed with the outcome."""
    path = tmp_path / "log" / "audit.jsonl"
    ctx = context(world, path)
    session_id = an_active_session(ctx)
    seen: list[str] = []

    def before_send(**kwargs: object) -> None:
        # The request is about to go out: its record must already be in the file.
        seen.append(path.read_text())

    ctx.client("gamelift").meta.events.register("before-send.gamelift.UpdateGameSession",
                                                before_send)
    gl.update_game_session(ctx, session_id, Name="recorded first")
    [early] = [json.loads(line) for line in seen[0].splitlines()]
    assert early["outcome"] == "sending" and early["params"]["Name"] == "recorded first"
    [done] = [json.loads(line) for line in path.read_text().splitlines()]
    assert done["outcome"] == "ok" and done["params"] == early["params"]
    assert "duration_ms" in done
    assert path.stat().st_mode & 0o777 == 0o600


async def test_the_app_says_why_and_where(world: World, home: Path) -> None:
    """Stages `n` with an unwritable audit log: nothing is created, the toast names the file."""
    from test_stages_pane import open_stage

    from tui.ui.screens.snapshot_create import SnapshotCreateModal

    app = make_app(world)
    path = app.aws.audit.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "dev")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, SnapshotCreateModal))
        await pilot.press(*"blocked", "enter")
        await wait_for(pilot, lambda: any("not sent: the audit log" in str(n.message)
                                          for n in app._notifications))
        await wait_for(pilot, lambda: not pane.pending)
        [note] = [str(n.message) for n in app._notifications
                  if "not sent: the audit log" in str(n.message)]
        assert str(path) in note and "could not be written" in note
    # The refusal was shown and the worker is done: nothing reached the service.
    assert world.mutations() == []
