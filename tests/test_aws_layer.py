"""The aws layer and the services over it, with real boto3 over HTTP against the simulator."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import stat
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

from tui import locations
from tui.aws.errors import OutcomeUnknown, explain
from tui.aws.guard import ReadOnlyViolation
from tui.aws.operations import is_read_operation
from tui.aws.records import GameSession
from tui.aws.session import (
    DEMO_ACCESS_KEY_ID,
    DEMO_SECRET_ACCESS_KEY,
    AwsContext,
    ConfigurationProblem,
    Target,
)
from tui.services import gamelift as gl
from tui.services import gamesparks as gs
from tui.sim.core import RateLimits
from tui.sim.server import RunningSimulator

GAME = "kart-league"
UNKNOWN_SESSION = ("arn:aws:gamelift:us-west-2::gamesession/"
                   "fleet-00000000-0000-4000-8000-000000000000/gone")


@pytest.fixture(autouse=True)
def frozen_clock(sim: RunningSimulator) -> Iterator[None]:
    # No drift or status change while a test runs: the sessions it picked stay as they were.
    sim.sim.clock.freeze()
    yield
    sim.sim.clock.unfreeze()


@pytest.fixture
def read_only(sim: RunningSimulator, home: Path) -> AwsContext:
    return AwsContext(Target(api_budget=None,
                             demo=True, endpoint_url=sim.endpoint_url, region="us-west-2",
                             read_only=True))


@pytest.fixture
def sim_controls(sim: RunningSimulator) -> Iterator[RunningSimulator]:
    """For tests that change the simulator's faults, limits or callers: all put back after."""
    yield sim
    sim.sim.faults.update({"drop_rate": 0.0, "throttle_rate": 0.0, "error_rate": 0.0})
    sim.sim.rate_limits = RateLimits.from_spec("off")
    sim.sim.expired_keys, sim.sim.revoked_keys, sim.sim.denied = set(), set(), set()


_taken: set[str] = set()


def fresh_active_session(ctx: AwsContext, fleet_name: str = "arena-prod") -> GameSession:
    """An ACTIVE session no other test in this run has used (they share one simulator)."""
    fleet = next(f for f in gl.list_fleets(ctx, with_locations=False) if f.name == fleet_name)
    for page in gl.iter_game_session_pages(ctx, fleet.fleet_id, status_filter="ACTIVE"):
        for session in page:
            if session.game_session_id not in _taken:
                _taken.add(session.game_session_id)
                return session
    raise AssertionError("no unused ACTIVE session left")


def audit_lines(ctx: AwsContext) -> list[dict[str, Any]]:
    path = ctx.audit.path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def mutation_count(sim: RunningSimulator) -> int:
    return len(sim.sim.mutations.as_list())


def demo_zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", text)
    return buffer.getvalue()


# --- operations ------------------------------------------------------------------------------


def test_read_operations_are_told_from_mutations() -> None:
    for name in ("DescribeGameSessionDetails", "ListFleets", "GetGameSessionLogUrl",
                 "SearchGameSessions", "ResolveAlias", "ExportSnapshot",
                 "ValidateMatchmakingRuleSet", "GetStageDeployment"):
        assert is_read_operation(name), name
    for name in ("UpdateGameSession", "TerminateGameSession", "CreateGameSession",
                 "UpdateScript", "StartStageDeployment", "DeleteFleet", "TagResource",
                 "DisconnectPlayer", "CreateSnapshot", "ImportGameConfiguration"):
        assert not is_read_operation(name), name


# --- records from real responses -------------------------------------------------------------


def test_fleets_capacity_and_utilization(aws: AwsContext) -> None:
    fleets = gl.list_fleets(aws)
    assert [f.name for f in fleets] == sorted(f.name for f in fleets)
    by_name = {f.name: f for f in fleets}
    assert by_name["arena-prod"].compute_type == "EC2"
    assert by_name["lobby-containers"].compute_type == "CONTAINER"
    assert by_name["lan-anywhere"].compute_type == "ANYWHERE"
    assert by_name["arena-prod"].locations == ("us-west-2", "us-east-1", "eu-west-1")
    assert by_name["battle-royale-spot"].fleet_type == "SPOT"
    scripts = {s.script_id: s for s in gl.list_scripts(aws)}
    assert by_name["arena-prod"].script_id in scripts
    assert by_name["arena-prod"].script_arn == scripts[by_name["arena-prod"].script_id].script_arn
    created = by_name["arena-prod"].creation_time
    assert created is not None and created.tzinfo == dt.UTC

    running_script = gl.list_fleets(aws, script_id=by_name["arena-prod"].script_id,
                                    with_locations=False)
    assert [f.name for f in running_script] == ["arena-prod"]

    ids = [f.fleet_id for f in fleets]
    capacity = gl.fleet_capacity(aws, ids)
    assert {c.fleet_id for c in capacity} == set(ids)
    assert all(c.desired >= c.minimum and c.maximum >= c.desired for c in capacity)
    utilization = {u.fleet_id: u for u in gl.fleet_utilization(aws, ids)}
    prod = utilization[by_name["arena-prod"].fleet_id]
    assert prod.active_game_session_count > 0
    assert 0 < prod.percent_full <= 100
    assert prod.percent_full == pytest.approx(
        100 * prod.current_player_session_count / prod.maximum_player_session_count)


def test_game_session_records(aws: AwsContext, sim: RunningSimulator) -> None:
    fleet = next(f for f in gl.list_fleets(aws) if f.name == "arena-prod")
    sessions = gl.list_game_sessions(aws, fleet.fleet_id)
    truth = {s["GameSessionId"]: s for s in sim.sim.gamelift.state_sessions(fleet.fleet_id)}
    assert {s.game_session_id for s in sessions} == set(truth)
    statuses = {s.status for s in sessions}
    assert "ACTIVE" in statuses and "TERMINATED" in statuses
    for session in sessions:
        expected = truth[session.game_session_id]
        assert session.protection_policy == expected["ProtectionPolicy"]
        assert session.fleet_id == fleet.fleet_id and session.fleet_arn == fleet.fleet_arn
        assert session.short_id == session.game_session_id.rsplit("/", 1)[-1]
        assert session.game_properties == tuple(
            (p["Key"], p["Value"]) for p in expected["GameProperties"])
        assert session.creation_time is not None
        assert session.creation_time.tzinfo == dt.UTC
        assert session.creation_time.timestamp() == pytest.approx(expected["CreationTime"],
                                                                  abs=1e-3)
        assert session.location in fleet.locations
        if session.status == "TERMINATED":
            assert session.termination_time is not None
    with_matchmaker = [s for s in sessions if s.matchmaker_data]
    assert with_matchmaker and json.loads(with_matchmaker[0].matchmaker_data or "")["matchId"]

    one = gl.describe_game_session(aws, sessions[0].game_session_id)
    assert one == sessions[0]
    active = next(s for s in sessions if s.status == "ACTIVE" and s.current_player_session_count)
    players = list(gl.iter_player_sessions(aws, active.game_session_id, page_size=5))
    assert sum(p.status == "ACTIVE" for p in players) == active.current_player_session_count
    assert all(p.player_session_id.startswith("psess-") for p in players)
    assert all(p.game_session_id == active.game_session_id for p in players)


def test_scripts_and_aliases(aws: AwsContext) -> None:
    scripts = gl.list_scripts(aws)
    assert {s.name for s in scripts} >= {"arena-realtime", "lobby-chat"}
    first = gl.describe_script(aws, scripts[0].script_id)
    assert first == scripts[0]
    assert first.size_on_disk and first.node_js_version in ("10.x", "24.x")
    aliases = {a.name: a for a in gl.list_aliases(aws)}
    assert aliases["arena-live"].routing_type == "SIMPLE"
    assert aliases["arena-live"].routing_fleet_id
    assert aliases["retired-beta"].routing_type == "TERMINAL"
    assert aliases["retired-beta"].routing_message


def test_gamesparks_records(aws: AwsContext) -> None:
    games = {g.name: g for g in gs.list_games(aws)}
    assert GAME in games and games[GAME].state == "ACTIVE"
    assert dict(games[GAME].tags)
    stages = gs.list_stages(aws, GAME)
    assert {s.name for s in stages} >= {"dev", "prod"}
    assert all(s.game_name == GAME and s.game_key for s in stages)
    detail = gs.get_stage(aws, GAME, "prod")
    assert detail.role and detail.arn and detail.created is not None

    history = gs.list_stage_deployments(aws, GAME, "prod")
    assert history and all(d.stage_name == "prod" for d in history)
    done = [d for d in history if d.deployment_state == "COMPLETED"]
    assert done and done[0].result_code == "SUCCESS" and done[0].result_message
    latest = gs.get_stage_deployment(aws, GAME, "prod", history[0].deployment_id)
    assert latest.deployment_id == history[0].deployment_id and latest.created is not None

    snapshots = gs.list_snapshots(aws, GAME)
    assert snapshots and all(not s.sections for s in snapshots)
    full = gs.get_snapshot(aws, GAME, snapshots[0].id)
    assert full.sections
    name, section = next(iter(full.sections.items()))
    assert section.name == name and section.size and section.attributes is not None
    only = gs.get_snapshot(aws, GAME, snapshots[0].id, sections=[name])
    assert set(only.sections) == {name}
    assert gs.export_snapshot_url(aws, GAME, snapshots[0].id).startswith("http")


# --- paging ----------------------------------------------------------------------------------


def test_small_pages_return_every_session_of_a_fleet(aws: AwsContext,
                                                     sim: RunningSimulator) -> None:
    fleet = next(f for f in gl.list_fleets(aws) if f.name == "arena-prod")
    truth = [s["GameSessionId"] for s in sim.sim.gamelift.state_sessions(fleet.fleet_id)]
    before = sim.sim.request_count
    pages = list(gl.iter_game_session_pages(aws, fleet.fleet_id, page_size=7))
    assert sim.sim.request_count - before == len(pages) == math.ceil(len(truth) / 7)
    assert all(len(page) == 7 for page in pages[:-1])
    assert [s.game_session_id for page in pages for s in page] == truth

    location_pages = gl.iter_game_session_pages(aws, fleet.fleet_id, location="eu-west-1",
                                                status_filter="ACTIVE", page_size=3)
    in_location = [s for page in location_pages for s in page]
    assert in_location
    assert all(s.location == "eu-west-1" and s.status == "ACTIVE" for s in in_location)


def test_cancelled_paging_stops_before_the_next_request(aws: AwsContext,
                                                        sim: RunningSimulator) -> None:
    fleet = next(f for f in gl.list_fleets(aws) if f.name == "arena-prod")
    seen: list[list[GameSession]] = []
    before = sim.sim.request_count
    for page in gl.iter_game_session_pages(aws, fleet.fleet_id, page_size=5,
                                           cancelled=lambda: len(seen) >= 2):
        seen.append(page)
    assert len(seen) == 2
    assert sim.sim.request_count - before == 2


def test_several_fleets_page_concurrently_and_completely(aws: AwsContext,
                                                          sim: RunningSimulator) -> None:
    fleets = gl.list_fleets(aws)
    truth = {s["GameSessionId"] for f in fleets
             for s in sim.sim.gamelift.state_sessions(f.fleet_id)}
    pages = list(gl.iter_fleets_session_pages(aws, [f.fleet_id for f in fleets],
                                              max_workers=3, page_size=25))
    got = [s.game_session_id for page in pages for s in page]
    assert len(got) == len(set(got))  # no page delivered twice
    assert set(got) == truth
    assert len({s.fleet_id for page in pages for s in page}) == len(fleets)


def test_a_fleet_paged_by_location_gives_every_session_once(aws: AwsContext,
                                                             sim: RunningSimulator) -> None:
    fleet = next(f for f in gl.list_fleets(aws) if f.name == "arena-prod")
    assert len(fleet.locations) > 1
    truth = {s["GameSessionId"] for s in sim.sim.gamelift.state_sessions(fleet.fleet_id)}
    pages = list(gl.iter_fleets_session_pages(
        aws, [(fleet.fleet_id, location) for location in fleet.locations], page_size=20))
    got = [s.game_session_id for page in pages for s in page]
    assert len(got) == len(set(got)) and set(got) == truth
    assert all(len({s.location for s in page}) == 1 for page in pages)


def test_a_failing_fleet_does_not_hide_the_others(aws: AwsContext,
                                                   sim: RunningSimulator) -> None:
    good = next(f for f in gl.list_fleets(aws) if f.name == "arena-prod")
    truth = {s["GameSessionId"] for s in sim.sim.gamelift.state_sessions(good.fleet_id)}
    got: set[str] = set()
    with pytest.raises(ClientError) as caught:
        for page in gl.iter_fleets_session_pages(aws, ["fleet-00000000-gone", good.fleet_id]):
            got |= {s.game_session_id for s in page}
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    assert got == truth


def test_cancelling_concurrent_paging_stops_requests(aws: AwsContext,
                                                     sim: RunningSimulator) -> None:
    fleets = [f.fleet_id for f in gl.list_fleets(aws)]
    seen: list[list[GameSession]] = []
    for page in gl.iter_fleets_session_pages(aws, fleets, max_workers=2, page_size=5,
                                             cancelled=lambda: len(seen) >= 3):
        seen.append(page)
    settled = sim.sim.request_count
    time.sleep(0.5)
    assert len(seen) == 3
    # Workers may finish the request in flight, then stop.
    assert sim.sim.request_count - settled <= 2


# --- the read-only guard ---------------------------------------------------------------------


def test_read_only_refuses_every_kind_of_mutation_before_it_is_sent(
        aws: AwsContext, read_only: AwsContext, sim: RunningSimulator) -> None:
    session = fresh_active_session(aws)
    script = gl.list_scripts(aws)[0]
    snapshot = gs.list_snapshots(aws, GAME)[0]
    fleet_id = session.fleet_id
    attempts = {
        "UpdateGameSession": lambda: gl.update_game_session(
            read_only, session.game_session_id, MaximumPlayerSessionCount=1),
        "TerminateGameSession": lambda: gl.terminate_game_session(
            read_only, session.game_session_id, "FORCE_TERMINATE"),
        "CreateGameSession": lambda: gl.create_game_session(read_only, fleet_id, 4),
        "UpdateScript": lambda: gl.update_script(read_only, script.script_id,
                                                 zip_file=demo_zip("x")),
        "DeleteFleet": lambda: read_only.client("gamelift").delete_fleet(FleetId=fleet_id),
        "StartStageDeployment": lambda: gs.start_stage_deployment(
            read_only, GAME, "prod", snapshot.id),
        "DisconnectPlayer": lambda: read_only.client("gamesparks").disconnect_player(
            GameName=GAME, StageName="prod", PlayerId="player-1"),
    }
    mutations, requests = mutation_count(sim), sim.sim.request_count
    for operation, attempt in attempts.items():
        with pytest.raises(ReadOnlyViolation) as refused:
            attempt()
        assert refused.value.operation == operation
        assert str(refused.value).startswith(f"read-only mode: refused {refused.value.service}:"
                                             f"{operation}")
        assert explain(refused.value) == str(refused.value)
    # Nothing arrived at all: not a mutation, not even a request.
    assert mutation_count(sim) == mutations
    assert sim.sim.request_count == requests

    # Reads still work, including the read-only operations with write-like names.
    assert gl.describe_game_session(read_only, session.game_session_id) == session
    assert gs.export_snapshot_url(read_only, GAME, snapshot.id)
    assert gl.list_fleets(read_only)
    assert sim.sim.request_count > requests

    # The switch works at runtime, both ways.
    read_only.read_only = False
    changed = gl.update_game_session(read_only, session.game_session_id, Name="renamed")
    assert changed.name == "renamed"
    assert mutation_count(sim) == mutations + 1
    read_only.read_only = True
    with pytest.raises(ReadOnlyViolation):
        gl.update_game_session(read_only, session.game_session_id, Name="again")
    assert mutation_count(sim) == mutations + 1
    assert read_only.describe()["mode"] == "read-only"


# --- the audit log ---------------------------------------------------------------------------


def test_one_audit_line_per_mutation_with_its_outcome(sim: RunningSimulator, home: Path) -> None:
    target = Target(api_budget=None, demo=True, endpoint_url=sim.endpoint_url, region="us-west-2")
    ctx = AwsContext(target)
    guarded = AwsContext(Target(api_budget=None,
                                demo=True, endpoint_url=sim.endpoint_url, region="us-west-2",
                                read_only=True))
    assert ctx.audit.path == guarded.audit.path == locations.audit_log()
    assert ctx.audit.path.is_relative_to(home)
    session = fresh_active_session(ctx)

    gl.list_fleets(ctx)  # reads leave no line
    assert audit_lines(ctx) == []
    updated = gl.update_game_session(ctx, session.game_session_id, MaximumPlayerSessionCount=12,
                                     GameProperties={"event": "spring-cup"})
    assert updated.maximum_player_session_count == 12
    with pytest.raises(ClientError) as missing:
        gl.terminate_game_session(ctx, UNKNOWN_SESSION, "FORCE_TERMINATE")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ReadOnlyViolation):
        gl.terminate_game_session(guarded, session.game_session_id)

    ok, error, refused = audit_lines(ctx)
    assert [ok["outcome"], error["outcome"], refused["outcome"]] == ["ok", "error", "refused"]
    for line in (ok, error, refused):
        assert line["profile"] == "demo" and line["region"] == "us-west-2"
        assert line["endpoint"] == sim.endpoint_url and line["service"] == "gamelift"
        stamp = dt.datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
        assert stamp.utcoffset() == dt.timedelta(0)
    assert ok["operation"] == "UpdateGameSession"
    assert ok["targets"] == {"GameSessionId": session.game_session_id}
    assert ok["params"]["MaximumPlayerSessionCount"] == 12
    assert ok["params"]["GameProperties"] == [{"Key": "event", "Value": "spring-cup"}]
    assert ok["result"]["GameSession"]["Status"] == "ACTIVE"
    assert ok["request_id"]
    assert error["operation"] == "TerminateGameSession"
    assert error["targets"] == {"GameSessionId": UNKNOWN_SESSION}
    assert error["error"]["code"] == "NotFoundException" and error["error"]["message"]
    assert refused["operation"] == "TerminateGameSession"
    assert refused["params"]["TerminationMode"] == "TRIGGER_ON_PROCESS_TERMINATE"
    assert refused["error"]["code"] == "ReadOnlyViolation"

    mode = stat.S_IMODE(ctx.audit.path.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(ctx.audit.path.parent.stat().st_mode) == 0o700
    text = ctx.audit.path.read_text()
    for secret in (DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY):
        assert secret not in text


def test_audit_summarises_blobs_and_keeps_idempotency_tokens(aws: AwsContext,
                                                             sim: RunningSimulator) -> None:
    script = next(s for s in gl.list_scripts(aws) if s.name == "party-matchmaker")
    body = demo_zip("// fixed\n")
    updated = gl.update_script(aws, script.script_id, zip_file=body, version="2.3.2")
    assert updated.version == "2.3.2" and updated.size_on_disk == len(body)
    snapshot = gs.list_snapshots(aws, GAME)[0]
    token = "audit-test-token-0123456789abcdef-01"
    deployment = gs.start_stage_deployment(aws, GAME, "dev", snapshot.id, client_token=token)
    assert deployment.deployment_state == "PENDING"
    fleet = next(f for f in gl.list_fleets(aws) if f.name == "arena-canary")
    created = gl.create_game_session(aws, fleet.fleet_id, 8, name="audit-made",
                                     game_properties=[("mode", "custom")])
    assert created.status == "ACTIVATING" and created.name == "audit-made"

    script_line, deploy_line, create_line = audit_lines(aws)
    assert script_line["targets"] == {"ScriptId": script.script_id}
    assert script_line["params"]["ZipFile"] == {
        "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert deploy_line["service"] == "gamesparks"
    assert deploy_line["targets"] == {"GameName": GAME, "StageName": "dev",
                                      "SnapshotId": snapshot.id}
    assert deploy_line["params"]["ClientToken"] == token
    assert deploy_line["result"]["StageDeployment"]["DeploymentId"] == deployment.deployment_id
    # The token the service function generated is what the audit proves was sent.
    assert create_line["params"]["IdempotencyToken"] == created.short_id
    assert create_line["result"]["GameSession"]["GameSessionId"] == created.game_session_id
    recorded = [m for m in sim.sim.mutations.as_list()
                if m["operation"] == "UpdateScript" and m["target"] == script.script_id]
    assert recorded[-1]["params"]["ZipFile"] == script_line["params"]["ZipFile"]


def test_audit_records_the_token_botocore_generates(aws: AwsContext,
                                                    sim: RunningSimulator) -> None:
    snapshot = gs.list_snapshots(aws, GAME)[-1]
    # The public model has no idempotencyToken trait: botocore generates none, the caller
    # (services.gamesparks) passes its own, and the audit records the one sent.
    response = aws.client("gamesparks").start_stage_deployment(
        GameName=GAME, StageName="staging", SnapshotId=snapshot.id,
        ClientToken=gs.new_client_token())
    ident = response["StageDeployment"]["DeploymentId"]
    (line,) = audit_lines(aws)
    sent = next(m for m in sim.sim.mutations.as_list()
                if m["params"].get("DeploymentId") == ident)
    assert line["params"]["ClientToken"] == sent["params"]["ClientToken"]


def test_retried_call_gives_one_line(aws: AwsContext, sim_controls: RunningSimulator) -> None:
    session = fresh_active_session(aws)
    # One request a burst, refilled in 0.2 s: back-to-back updates are throttled and retried.
    sim_controls.sim.rate_limits = RateLimits.per_operation({"UpdateGameSession": (5.0, 1.0)})
    before = sim_controls.sim.request_count
    for count in (20, 21, 22):
        gl.update_game_session(aws, session.game_session_id, MaximumPlayerSessionCount=count)
    assert sim_controls.sim.request_count - before > 3  # at least one retry happened
    lines = audit_lines(aws)
    assert [line["params"]["MaximumPlayerSessionCount"] for line in lines] == [20, 21, 22]
    assert all(line["outcome"] == "ok" for line in lines)


def test_transport_failure_gives_one_error_line(aws: AwsContext, sim_controls: RunningSimulator,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore reads it at construction
    session = fresh_active_session(aws)
    sim_controls.sim.faults.update({"drop_rate": 1.0})
    with pytest.raises(Exception) as dropped:
        gl.update_game_session(aws, session.game_session_id, Name="never")
    sim_controls.sim.faults.update({"drop_rate": 0.0})
    # The connection closed after the request went out: it may have been applied, and reading
    # back failed too, so the outcome is unknown (tests/test_lost_answers.py has the rest).
    assert isinstance(dropped.value, OutcomeUnknown)
    assert explain(dropped.value).startswith("outcome unknown: UpdateGameSession of ")
    assert f"the connection to {sim_controls.endpoint_url} closed before an answer came" in \
        explain(dropped.value)
    (line,) = audit_lines(aws)
    assert line["outcome"] == "error"
    assert line["error"]["code"] == type(dropped.value.cause).__name__


def test_concurrent_mutations_each_write_one_whole_line(aws: AwsContext) -> None:
    sessions = [fresh_active_session(aws, "battle-royale-spot") for _ in range(8)]
    errors: list[BaseException] = []

    def update(session: GameSession) -> None:
        try:
            gl.update_game_session(aws, session.game_session_id, Name=f"n-{session.short_id}")
        except BaseException as err:  # reported below, not lost in the thread
            errors.append(err)

    threads = [threading.Thread(target=update, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    lines = audit_lines(aws)
    assert sorted(line["targets"]["GameSessionId"] for line in lines) == sorted(
        s.game_session_id for s in sessions)


# --- errors.explain on real errors -----------------------------------------------------------


def test_explain_real_errors(aws: AwsContext, sim_controls: RunningSimulator,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    sim = sim_controls.sim

    def failure(call: Any) -> BaseException:
        with pytest.raises(Exception) as caught:
            call()
        return caught.value

    gone = failure(lambda: gl.terminate_game_session(aws, UNKNOWN_SESSION))
    text = explain(gone)
    assert text.startswith("NotFoundException: ") and "no longer exists" in text

    sim.denied = {"TerminateGameSession", "StartStageDeployment"}
    text = explain(failure(lambda: gl.terminate_game_session(aws, UNKNOWN_SESSION)))
    assert text.startswith("UnauthorizedException: ")
    assert text.endswith("your role lacks gamelift:TerminateGameSession")
    snapshot = gs.list_snapshots(aws, GAME)[0]
    text = explain(failure(lambda: gs.start_stage_deployment(aws, GAME, "prod", snapshot.id)))
    assert text.startswith("AccessDeniedException: ")
    assert text.endswith("your role lacks gamesparks:StartStageDeployment")
    sim.denied = set()

    sim.expired_keys = {DEMO_ACCESS_KEY_ID}
    text = explain(failure(lambda: gl.list_scripts(aws)), profile="live")
    assert text.startswith("ExpiredTokenException: ")
    assert "credentials expired or invalid" in text and "aws sso login --profile live" in text
    sim.expired_keys = set()

    assert explain(failure(lambda: gl.update_game_session(
        aws, UNKNOWN_SESSION, MaximumPlayerSessionCount=-1))).startswith(
        "invalid input: Invalid value for parameter MaximumPlayerSessionCount")

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    throttled = AwsContext(aws.target)
    sim.rate_limits = RateLimits.per_operation({"ListAliases": (0.001, 1.0)})
    gl.list_aliases(throttled)
    text = explain(failure(lambda: gl.list_aliases(throttled)))
    assert text == "ThrottlingException: Rate exceeded — AWS is throttling requests; " \
                   "retrying with backoff"

    nowhere = AwsContext(Target(api_budget=None,
                                demo=True, endpoint_url="http://127.0.0.1:9", region="us-west-2"))
    assert explain(failure(lambda: gl.list_scripts(nowhere))) == \
        "network: cannot reach http://127.0.0.1:9"

    for text in (explain(NoCredentialsError()), explain(ValueError("odd"))):
        assert "\n" not in text
    assert explain(ValueError("odd")) == "ValueError: odd"
    assert "--demo" in explain(NoCredentialsError())
    assert isinstance(failure(lambda: gl.update_game_session(aws, UNKNOWN_SESSION, Port=1)),
                      TypeError)
    assert isinstance(failure(lambda: gl.update_game_session(
        aws, UNKNOWN_SESSION, MaximumPlayerSessionCount="x")), ParamValidationError)


def test_explain_never_shows_key_material() -> None:
    leaked = ClientError({"Error": {
        "Code": "SignatureDoesNotMatch",
        "Message": "Credential=AKIAABCDEFGHIJKLMNOP/20250101/us-west-2/gamelift/aws4_request "
                   "key AKIAABCDEFGHIJKLMNOP and AKIDGAMEOPSDEMO"}}, "UpdateGameSession")
    text = explain(leaked)
    assert "AKIAABCDEFGHIJKLMNOP" not in text and DEMO_ACCESS_KEY_ID not in text
    assert text.startswith("SignatureDoesNotMatch: ")
    assert "credentials expired or invalid" in text


# --- configuration problems ------------------------------------------------------------------


def write_aws_files(folder: Path, config: str, credentials: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config").write_text(config)
    (folder / "credentials").write_text(credentials)


def test_missing_region_names_the_fixes(hermetic_aws_env: Path, home: Path) -> None:
    write_aws_files(hermetic_aws_env, "[default]\noutput = json\n",
                    "[default]\naws_access_key_id = AKIDFILEDEFAULT\n"
                    "aws_secret_access_key = file-secret\n")
    with pytest.raises(ConfigurationProblem) as problem:
        AwsContext(Target(api_budget=None))
    message = str(problem.value)
    assert message.startswith("No AWS region: pass --region, set AWS_REGION")
    assert "for profile default" in message and "gameops-tui --demo" in message


def test_missing_credentials_names_the_fixes(home: Path) -> None:
    with pytest.raises(ConfigurationProblem) as problem:
        AwsContext(Target(api_budget=None, region="us-west-2"))
    message = str(problem.value)
    assert message.startswith("No AWS credentials found for profile default")
    assert "aws sso login --profile default" in message and "--demo" in message


def test_unknown_profile_lists_the_known_ones(hermetic_aws_env: Path, home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write_aws_files(hermetic_aws_env, "[profile dev]\nregion = eu-west-1\n"
                    "[profile prod]\nregion = us-east-1\n")
    with pytest.raises(ConfigurationProblem) as problem:
        AwsContext(Target(api_budget=None, profile="staging", region="us-west-2"))
    message = str(problem.value)
    assert "'staging'" in message and "dev, prod" in message and "--profile" in message
    monkeypatch.setenv("AWS_PROFILE", "qa")
    with pytest.raises(ConfigurationProblem) as problem:
        AwsContext(Target(api_budget=None))
    assert "'qa' (from AWS_PROFILE)" in str(problem.value)
    # The demo never looks at profiles, so a stale AWS_PROFILE does not break it.
    assert AwsContext(Target(api_budget=None,
                             demo=True, endpoint_url="http://127.0.0.1:9")).region == "us-west-2"


def test_region_and_credentials_from_a_profile_reach_the_simulator(
        hermetic_aws_env: Path, home: Path, sim: RunningSimulator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_aws_files(hermetic_aws_env, "[profile live]\nregion = eu-west-1\n",
                    "[live]\naws_access_key_id = AKIDPROFILELIVE01\n"
                    "aws_secret_access_key = live-profile-secret\n")
    ctx = AwsContext(Target(api_budget=None, profile="live", endpoint_url=sim.endpoint_url))
    assert (ctx.profile_name, ctx.region) == ("live", "eu-west-1")
    assert ctx.describe() == {"profile": "live", "region": "eu-west-1",
                              "endpoint": sim.endpoint_url, "mode": "read-write"}
    assert gl.list_scripts(ctx)
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert AwsContext(Target(api_budget=None, profile="live")).region == "ap-south-1"
    assert AwsContext(Target(api_budget=None,
                             profile="live", region="us-east-2")).region == "us-east-2"

    session = fresh_active_session(ctx)
    gl.update_game_session(ctx, session.game_session_id, Name="from-profile")
    text = ctx.audit.path.read_text()
    assert "AKIDPROFILELIVE01" not in text and "live-profile-secret" not in text
    assert json.loads(text)["profile"] == "live"


def test_bad_region_name_is_a_configuration_problem(home: Path) -> None:
    with pytest.raises(ConfigurationProblem, match="not a valid AWS region"):
        AwsContext(Target(api_budget=None,
                          demo=True, endpoint_url="http://127.0.0.1:9", region="us west 2"))


# --- locations -------------------------------------------------------------------------------


def test_locations_live_under_gameops_tui_home(home: Path) -> None:
    assert locations.config_file() == home / "config" / "config.toml"
    assert locations.audit_log() == home / "log" / "audit.jsonl"
    assert locations.downloads_dir() == home / "data" / "downloads"
    assert locations.data_dir() == home / "data"
    for folder in (home, home / "config", home / "log", home / "data", home / "data" / "downloads"):
        assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not locations.config_file().exists()
