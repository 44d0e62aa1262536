"""Lost answers: the simulator applies a change, the proxy in front of it drops the answer.

Real botocore over real HTTP: tests/lossy_proxy.py sits between the client and a private
simulator, reads the simulator's whole answer to a chosen operation and closes the client's
connection without it (``lose``), answers 502 instead (``bad_gateway``), or hangs up without
forwarding (``refuse``: the request never arrived). For every mutating operation the app uses,
what the simulator applied (its mutation log) must equal what the services layer reported as
applied, nothing may be applied twice, and the outcome must say "applied" when it was.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lossy_proxy import Fault, LossyProxy
from simctl import World

from tui.aws.errors import OutcomeUnknown, explain
from tui.aws.session import AwsContext
from tui.services import gamelift as gl
from tui.services import gamesparks as gs
from tui.services import scripts as sc
from tui.services.outcome import Outcome

GAME = "kart-league"
_names = itertools.count(1)


# Each test its own frozen world of 120 sessions: its mutation log holds only what it did.
pytestmark = pytest.mark.world(sessions=120)


@pytest.fixture
def proxy(world: World) -> Iterator[LossyProxy]:
    """The lossy proxy in front of this test's world."""
    lossy = LossyProxy(world.endpoint_url)
    yield lossy
    lossy.close()


@pytest.fixture
def ctx(world: World, proxy: LossyProxy, home: Path) -> AwsContext:
    """The demo target, through the proxy."""
    return world.aws(endpoint_url=proxy.url)


def demo_zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", text)
    return buffer.getvalue()


_taken: set[str] = set()


@pytest.fixture(autouse=True)
def _fresh_world_sessions() -> Iterator[None]:
    """Each test has a world of its own: none of its sessions is taken yet (its ids may be
    those an earlier test's world had)."""
    _taken.clear()
    yield
    _taken.clear()


def active_session(ctx: AwsContext) -> str:
    """An ACTIVE session this test has not used yet."""
    for fleet in gl.list_fleets(ctx, with_locations=False):
        if fleet.status != "ACTIVE" or fleet.compute_type == "ANYWHERE":
            continue
        for page in gl.iter_game_session_pages(ctx, fleet.fleet_id, status_filter="ACTIVE"):
            for session in page:
                if session.game_session_id not in _taken:
                    _taken.add(session.game_session_id)
                    return session.game_session_id
    raise AssertionError("no unused ACTIVE session left")


def active_fleet(ctx: AwsContext) -> str:
    return next(f.fleet_id for f in gl.list_fleets(ctx, with_locations=False)
                if f.status == "ACTIVE" and f.compute_type != "ANYWHERE")


def free_stage(ctx: AwsContext, world: World) -> tuple[str, str, str]:
    """A (game, stage, snapshot) with no deployment under way: the clock is moved on until
    whatever runs has ended."""
    world.advance(3600)
    games = gs.list_games(ctx)
    for game in games:
        for stage in gs.list_stages(ctx, game.name):
            history = gs.list_stage_deployments(ctx, game.name, stage.name)
            if gs.in_progress(history) is None:
                serving = gs.serving_deployment(history)
                snapshot = next(s for s in gs.list_snapshots(ctx, game.name)
                                if serving is None or s.id != serving.snapshot_id)
                return game.name, stage.name, snapshot.id
    raise AssertionError("every stage is busy")


def connected_player(ctx: AwsContext, world: World) -> tuple[str, str, str, int]:
    for game, held in world.state()["gamesparks"]["games"].items():
        for stage, state in held["stages"].items():
            for player, connections in state.get("players", {}).items():
                if connections:
                    return game, stage, player, len(connections)
    raise AssertionError("nobody is connected")


@dataclass
class Case:
    """One action: ``run`` makes it and returns its Outcome; ``proves`` checks the value."""

    operation: str
    tokened: bool
    run: Callable[[AwsContext, World], tuple[Outcome[Any], Callable[[Any], bool]]]


def _create_snapshot(ctx: AwsContext, world: World) -> Any:
    description = f"lost answer {next(_names)}"
    return (gs.create_snapshot_outcome(ctx, GAME, description),
            lambda snap: snap.description == description)


def _create_script(ctx: AwsContext, world: World) -> Any:
    name = f"lost-{next(_names)}"
    return (sc.create_script_outcome(ctx, name=name, version="1.0.0", node_js_version="24.x",
                                     zip_file=demo_zip(f"// {name}")),
            lambda script: script.name == name and script.version == "1.0.0")


def _update_script(ctx: AwsContext, world: World) -> Any:
    script = gl.list_scripts(ctx)[0]
    version = f"9.{next(_names)}"
    body = demo_zip("// " + "x" * (100 + next(_names)))  # a size the script has not had
    return (sc.update_script_outcome(ctx, script.script_id, zip_file=body, version=version),
            lambda got: got.version == version and got.size_on_disk == len(body))


def _terminate(ctx: AwsContext, world: World) -> Any:
    session_id = active_session(ctx)
    return (gl.terminate_game_session_outcome(ctx, session_id, "FORCE_TERMINATE"),
            lambda got: got.game_session_id == session_id and got.status in gl.ENDING)


def _update_session(ctx: AwsContext, world: World) -> Any:
    session_id = active_session(ctx)
    name = f"renamed-{next(_names)}"
    return (gl.update_game_session_outcome(ctx, session_id, Name=name,
                                           GameProperties={"mode": "lost, answer"}),
            lambda got: got.name == name and dict(got.game_properties)["mode"] == "lost, answer")


def _create_session(ctx: AwsContext, world: World) -> Any:
    fleet_id = active_fleet(ctx)
    name = f"made-{next(_names)}"
    return (gl.create_game_session_outcome(ctx, fleet_id, 4, name=name),
            lambda got: got.name == name and got.fleet_id == fleet_id)


def _disconnect(ctx: AwsContext, world: World) -> Any:
    game, stage, player, count = connected_player(ctx, world)
    return (gs.disconnect_player_outcome(ctx, game, stage, player),
            lambda got: len(got[0]) == count and not got[1])


def _deploy(ctx: AwsContext, world: World) -> Any:
    game, stage, snapshot_id = free_stage(ctx, world)
    return (gs.start_stage_deployment_outcome(ctx, game, stage, snapshot_id),
            lambda got: got.snapshot_id == snapshot_id)


CASES = {case.operation: case for case in (
    Case("CreateSnapshot", False, _create_snapshot),
    Case("CreateScript", False, _create_script),
    Case("UpdateScript", False, _update_script),
    Case("TerminateGameSession", False, _terminate),
    Case("UpdateGameSession", False, _update_session),
    Case("CreateGameSession", True, _create_session),
    Case("DisconnectPlayer", False, _disconnect),
    Case("StartStageDeployment", True, _deploy),
)}
FAULTS: tuple[Fault, ...] = ("lose", "bad_gateway", "refuse")


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", sorted(CASES))
def test_one_action_applied_once_and_reported_as_it_was(
        operation: str, fault: Fault, ctx: AwsContext, proxy: LossyProxy,
        world: World) -> None:
    case = CASES[operation]
    before = len(world.mutations())
    proxy.fail(operation, fault, times=1)
    result, proves = case.run(ctx, world)
    made = [m for m in world.mutations()[before:] if m["operation"] == operation]

    # What the service applied is what was reported, never more than once.
    assert len(made) == (1 if result.applied else 0), (result, made)
    assert len(made) <= 1
    if fault == "refuse" and not case.tokened:
        # Nothing arrived: reading back says so, and the call's own error is kept.
        assert result.state == "not applied", result
        assert result.answer_lost and "reading back shows it was not applied" in result.detail
        assert proxy.seen[operation] == 1
        return
    assert result.state == "applied", result
    assert proves(result.value), result.value
    if case.tokened:
        # The token makes botocore's repeat safe: the service answered it with the first result.
        assert proxy.seen[operation] == 2
        assert not result.answer_lost
    else:
        # No token: botocore did not send it again; the state was read back.
        assert proxy.seen[operation] == 1
        assert result.answer_lost and "reading back shows" in result.detail


def test_token_calls_whose_every_answer_is_lost_are_read_back_or_unknown(
        ctx: AwsContext, proxy: LossyProxy, world: World,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # botocore reads it when it is built
    quick = AwsContext(ctx.target)
    before = len(world.mutations())
    proxy.fail("CreateGameSession", "lose", times=None)
    made, proves = _create_session(quick, world)
    # The session the token names is found by its id.
    assert made.state == "applied" and proves(made.value)
    assert proxy.seen["CreateGameSession"] == 2

    proxy.fail("StartStageDeployment", "lose", times=None)
    deployed, _ = _deploy(quick, world)
    # A deployment does not show its token: unknown, and the user is told how to find out.
    assert deployed.state == "unknown"
    text = explain(deployed.unwrap_error())
    assert text.startswith("outcome unknown: StartStageDeployment")
    assert "same ClientToken" in text and "cannot start twice" in text
    new = [m["operation"] for m in world.mutations()[before:]]
    assert new.count("CreateGameSession") == 1 and new.count("StartStageDeployment") == 1


def test_plain_functions_return_what_was_applied_and_raise_unknown(
        ctx: AwsContext, proxy: LossyProxy, world: World) -> None:
    """The functions the panes call: the value of an applied change whose answer was lost, and
    OutcomeUnknown (worded with what to check) when reading back cannot tell."""
    proxy.fail("CreateSnapshot", "lose")
    snapshot = gs.create_snapshot(ctx, GAME, "plain one")
    assert snapshot.description == "plain one"

    session_id = active_session(ctx)
    proxy.fail("TerminateGameSession", "lose")
    proxy.fail("DescribeGameSessionDetails", "refuse", times=None)  # reading back fails too
    with pytest.raises(OutcomeUnknown) as unknown:
        gl.terminate_game_session(ctx, session_id)
    proxy.clear()
    text = explain(unknown.value)
    assert text.startswith(f"outcome unknown: TerminateGameSession of {session_id} may or may "
                           "not have been applied")
    assert "reading back failed too" in text
    assert "describe-game-session-details --game-session-id" in text
    # It was applied: a second terminate is refused by the service, and counted as done.
    again = gl.terminate_game_session(ctx, session_id)
    assert again.status in gl.ENDING


def test_a_bulk_terminate_with_lost_answers_reports_every_one_done(
        ctx: AwsContext, proxy: LossyProxy, world: World) -> None:
    """The issue's 23 terminates: every answer lost, every one applied, every one reported."""
    ids = [active_session(ctx) for _ in range(23)]
    before = len(world.mutations())
    proxy.fail("TerminateGameSession", "lose", times=None)
    results = [gl.terminate_game_session_outcome(ctx, sid) for sid in ids]
    made = [m for m in world.mutations()[before:] if m["operation"] == "TerminateGameSession"]
    assert [r.state for r in results] == ["applied"] * 23
    assert len(made) == 23 and len({m["target"] for m in made}) == 23
    assert proxy.seen["TerminateGameSession"] == 23  # none sent twice


def test_a_session_found_terminating_counts_as_done(ctx: AwsContext) -> None:
    session_id = active_session(ctx)
    gl.terminate_game_session(ctx, session_id)
    # Someone (or an earlier lost answer) already ended it: the service refuses, the goal holds.
    result = gl.terminate_game_session_outcome(ctx, session_id)
    assert result.state == "applied" and not result.answer_lost
    assert result.value is not None and result.value.status in gl.ENDING


def test_throttled_mutations_are_still_retried(ctx: AwsContext, world: World,
                                               tmp_path: Path) -> None:
    """Throttling means the service refused the request: repeating it is safe."""
    session_id = active_session(ctx)
    limits = tmp_path / "rate-limits.json"
    limits.write_text(json.dumps({"UpdateGameSession": [5.0, 1.0]}))
    assert world.rate_limits(str(limits))  # this test's world only: no need to undo it
    requests = world.state()["requests"]
    for count in (11, 12, 13):
        gl.update_game_session(ctx, session_id, MaximumPlayerSessionCount=count)
    assert world.state()["requests"] - requests > 3  # at least one was retried
    assert [m["params"]["MaximumPlayerSessionCount"]
            for m in world.mutations("UpdateGameSession")] == [11, 12, 13]


def test_audit_line_says_the_call_was_not_retried(ctx: AwsContext, proxy: LossyProxy) -> None:
    proxy.fail("CreateSnapshot", "lose")
    gs.create_snapshot(ctx, GAME, "audited")
    lines = [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]
    [line] = [line for line in lines if line["operation"] == "CreateSnapshot"]
    assert line["outcome"] == "error" and line["error"]["code"] == "ConnectionClosedError"
    assert line["not_retried"] == "the request may have reached the service"


async def test_stages_new_snapshot_with_a_lost_answer_makes_one_and_says_so(
        world: World, proxy: LossyProxy, home: Path) -> None:
    """The issue's `n` in Stages: one snapshot, reported as created."""
    from apptest import wait_for
    from test_stages_pane import open_stage

    from tui.ui.app import GameOpsApp
    from tui.ui.screens.snapshot_create import SnapshotCreateModal

    app = GameOpsApp(world.aws(endpoint_url=proxy.url), simulator=world)
    before = len(world.mutations())
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await open_stage(app, pilot, GAME, "dev")
        proxy.fail("CreateSnapshot", "lose")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, SnapshotCreateModal))
        await pilot.press(*"cup final", "enter")
        await wait_for(pilot, lambda: any(n.title == "Snapshot created"
                                          for n in app._notifications))
        await wait_for(pilot, lambda: not pane.pending)
        [note] = [str(n.message) for n in app._notifications if n.title == "Snapshot created"]
        assert "the answer was lost; reading back shows snapshot" in note
    made = [m for m in world.mutations()[before:] if m["operation"] == "CreateSnapshot"]
    assert len(made) == 1 and made[0]["params"]["Description"] == "cup final"
    assert proxy.seen["CreateSnapshot"] == 1


def test_many_refused_retries_leave_the_other_calls_their_retries(
        ctx: AwsContext, proxy: LossyProxy, world: World) -> None:
    """botocore's retry quota (500, 5 a retry, given back only by a later success of the same
    call) must not pay for the retries the guard refused: after 120 of them a tokened call
    and a read are still retried."""
    proxy.fail("UpdateGameSession", "bad_gateway", times=None)
    session_id = active_session(ctx)
    for index in range(120):
        result = gl.update_game_session_outcome(ctx, session_id, MaximumPlayerSessionCount=index)
        assert result.state == "applied"
    assert proxy.seen["UpdateGameSession"] == 120
    lines = [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]
    assert {line["error"]["http_status"] for line in lines} == {502}
    proxy.fail("CreateGameSession", "lose", times=1)
    made, proves = _create_session(ctx, world)
    assert made.state == "applied" and not made.answer_lost and proves(made.value)
    assert proxy.seen["CreateGameSession"] == 2
