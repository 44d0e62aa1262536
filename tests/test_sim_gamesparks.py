"""The GameSparks simulator, driven through the real HTTP server by real boto3 (rest-json, SigV4).

Each test has a private world (the `world` fixture: a frozen clock, no drift, rate limits off),
so every stage is idle when it starts.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from simctl import World

import tui
from tui.sim.core import Clock, MutationLog, Presigner, RequestContext, SimError
from tui.sim.gamesparks import GameSparksSim

TOKEN_A = "rollback-token-0123456789abcdef-0001"
TOKEN_B = "rollback-token-0123456789abcdef-0002"


@pytest.fixture(scope="module")
def boto_session() -> boto3.session.Session:
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(
        0, str(Path(tui.__file__).parent / "aws" / "data"))
    return boto3.session.Session(botocore_session=session)


@pytest.fixture
def client(world: World, boto_session: boto3.session.Session) -> Any:
    return boto_session.client(
        "gamesparks", region_name="us-west-2", endpoint_url=world.endpoint_url,
        aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")


def _settle(world: World) -> None:
    # Longer than PENDING + IN_PROGRESS: every deployment the test started has finished.
    world.advance(10)


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = err.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def _all(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    return [item for page in paginator.paginate(**kwargs) for item in page[key]]


def _deployments(client: Any, game: str, stage: str) -> list[dict[str, Any]]:
    return _all(client, "list_stage_deployments", "StageDeployments", GameName=game,
                StageName=stage)


def _serving_snapshot(client: Any, game: str, stage: str) -> str:
    return next(d["SnapshotId"] for d in _deployments(client, game, stage)
                if d["DeploymentState"] == "COMPLETED" and d["DeploymentAction"] == "DEPLOY")


# --- listing and paging ------------------------------------------------------------------------


def test_games_and_stages_page_one_at_a_time(client: Any) -> None:
    pages = list(client.get_paginator("list_games").paginate(PaginationConfig={"PageSize": 1}))
    assert [len(p["Games"]) for p in pages] == [1, 1]
    assert "NextToken" in pages[0] and "NextToken" not in pages[-1]
    names = [g["Name"] for p in pages for g in p["Games"]]
    assert sorted(names) == ["kart-league", "space-raiders"]
    for game in names:
        stage_pages = list(client.get_paginator("list_stages").paginate(
            GameName=game, PaginationConfig={"PageSize": 1}))
        assert [len(p["Stages"]) for p in stage_pages] == [1, 1, 1]
        assert {s["Name"] for p in stage_pages for s in p["Stages"]} == {"dev", "staging", "prod"}


def test_game_and_stage_details(client: Any) -> None:
    game = client.get_game(GameName="space-raiders")["Game"]
    assert game["Arn"] == "arn:aws:gamesparks:us-west-2:123456789012:game/space-raiders"
    assert game["State"] == "ACTIVE" and game["Created"] < game["LastUpdated"]
    stage = client.get_stage(GameName="space-raiders", StageName="prod")["Stage"]
    assert stage["Arn"] == game["Arn"] + "/stage/prod"
    assert stage["Role"] == "arn:aws:iam::123456789012:role/GameSparksStageRole"
    assert stage["GameKey"] and stage["LogGroup"] and stage["State"] == "ACTIVE"
    tags = client.list_tags_for_resource(ResourceArn=stage["Arn"])["tags"]
    assert tags == stage["Tags"]


def test_pages_are_capped_when_max_results_is_absent(client: Any, world: World) -> None:
    client.create_game(GameName="paging-test", Description="created by the tests")
    created = [client.create_snapshot(GameName="paging-test", Description=f"take {i}")["Snapshot"]
               for i in range(25)]
    # The clock is frozen, yet every snapshot gets its own id.
    assert len({s["Id"] for s in created}) == 25
    first = client.list_snapshots(GameName="paging-test")
    assert len(first["Snapshots"]) == 20 and first["NextToken"]
    listed = _all(client, "list_snapshots", "Snapshots", GameName="paging-test")
    assert [s["Id"] for s in listed] == [s["Id"] for s in reversed(created)]
    assert len(world.mutations("CreateSnapshot")) >= 25


# --- deployment history and rollback -----------------------------------------------------------


def test_deployment_history_is_newest_first_with_failures(client: Any) -> None:
    for game in ("space-raiders", "kart-league"):
        history = _deployments(client, game, "prod")
        assert 6 <= len(history) <= 10
        stamps = [d["LastUpdated"] for d in history]
        assert stamps == sorted(stamps, reverse=True)
        failed = [d for d in history if d["DeploymentState"] == "FAILED"]
        assert failed, game
        assert all(d["DeploymentResult"]["ResultCode"] in
                   ("INVALID_ROLE_FAILURE", "UNSPECIFIED_FAILURE") for d in failed)
        assert all(d["DeploymentResult"]["Message"] for d in failed)
        completed = [d for d in history if d["DeploymentState"] == "COMPLETED"]
        assert all(d["DeploymentResult"]["ResultCode"] == "SUCCESS" for d in completed)
    # The incident the demo is about: prod's newest deployment failed.
    latest = client.get_stage_deployment(GameName="space-raiders", StageName="prod")
    assert latest["StageDeployment"]["DeploymentState"] == "FAILED"
    assert latest["StageDeployment"]["DeploymentId"] == \
        _deployments(client, "space-raiders", "prod")[0]["DeploymentId"]


def test_snapshots_differ_so_a_diff_has_something_to_show(client: Any) -> None:
    snapshots = _all(client, "list_snapshots", "Snapshots", GameName="space-raiders")
    assert 5 <= len(snapshots) <= 8
    newest, oldest = (client.get_snapshot(GameName="space-raiders", SnapshotId=s["Id"])["Snapshot"]
                      for s in (snapshots[0], snapshots[-1]))
    assert set(newest["Sections"]) != set(oldest["Sections"])
    shop_new = newest["Sections"]["Economy.Shop"]
    assert shop_new["Attributes"] != oldest["Sections"]["Economy.Shop"]["Attributes"]
    assert shop_new["Size"] == len(json.dumps(shop_new["Attributes"], separators=(",", ":")))
    only = client.get_snapshot(GameName="space-raiders", SnapshotId=snapshots[0]["Id"],
                               Sections=["Config", "Player"])["Snapshot"]["Sections"]
    assert set(only) == {"Config", "Player"}


def test_rollback_runs_pending_in_progress_completed(client: Any, world: World) -> None:
    good = _serving_snapshot(client, "space-raiders", "prod")
    started = client.start_stage_deployment(GameName="space-raiders", StageName="prod",
                                            SnapshotId=good, ClientToken=TOKEN_A)
    deployment = started["StageDeployment"]
    assert deployment["DeploymentState"] == "PENDING"
    assert deployment["DeploymentAction"] == "DEPLOY" and deployment["SnapshotId"] == good
    assert "DeploymentResult" not in deployment
    ident = deployment["DeploymentId"]

    def current() -> dict[str, Any]:
        return client.get_stage_deployment(GameName="space-raiders", StageName="prod",
                                           DeploymentId=ident)["StageDeployment"]

    world.advance(1.9)
    assert current()["DeploymentState"] == "PENDING"
    world.advance(0.1)
    in_progress = current()
    assert in_progress["DeploymentState"] == "IN_PROGRESS"
    assert in_progress["LastUpdated"] > deployment["LastUpdated"]
    world.advance(3.9)
    assert current()["DeploymentState"] == "IN_PROGRESS"
    world.advance(0.1)
    done = current()
    assert done["DeploymentState"] == "COMPLETED"
    assert done["DeploymentResult"]["ResultCode"] == "SUCCESS"
    assert done["LastUpdated"] > in_progress["LastUpdated"]
    latest = client.get_stage_deployment(GameName="space-raiders", StageName="prod")
    assert latest["StageDeployment"]["DeploymentId"] == ident
    assert _deployments(client, "space-raiders", "prod")[0]["DeploymentId"] == ident
    records = [m for m in world.mutations("StartStageDeployment")
               if m["params"].get("DeploymentId") == ident]
    assert len(records) == 1 and records[0]["target"] == "space-raiders/prod"
    assert records[0]["params"]["SnapshotId"] == good


def test_broken_snapshot_fails(client: Any, world: World) -> None:
    broken = next(s["Id"] for s in _all(client, "list_snapshots", "Snapshots",
                                        GameName="space-raiders")
                  if "broken" in s["Description"])
    ident = client.start_stage_deployment(GameName="space-raiders", StageName="dev",
                                          SnapshotId=broken)["StageDeployment"]["DeploymentId"]
    _settle(world)
    result = client.get_stage_deployment(GameName="space-raiders", StageName="dev",
                                         DeploymentId=ident)["StageDeployment"]
    assert result["DeploymentState"] == "FAILED"
    assert result["DeploymentResult"]["ResultCode"] == "UNSPECIFIED_FAILURE"


def test_invalid_role_fails(client: Any, world: World) -> None:
    client.create_game(GameName="role-test")
    # A role that matches the model's RoleARN pattern but cannot be assumed (another account)
    # is taken; it only shows when a deployment assumes it (seed 003: INVALID_ROLE_FAILURE).
    client.create_stage(GameName="role-test", StageName="qa",
                        Role="arn:aws:iam::999999999999:role/SomeoneElsesRole")
    snapshot = client.create_snapshot(GameName="role-test")["Snapshot"]["Id"]
    ident = client.start_stage_deployment(GameName="role-test", StageName="qa",
                                          SnapshotId=snapshot)["StageDeployment"]["DeploymentId"]
    world.advance(2)
    result = client.get_stage_deployment(GameName="role-test", StageName="qa",
                                         DeploymentId=ident)["StageDeployment"]
    assert result["DeploymentState"] == "FAILED"
    assert result["DeploymentResult"]["ResultCode"] == "INVALID_ROLE_FAILURE"


def test_client_token_makes_a_deployment_idempotent(client: Any, world: World) -> None:
    snapshot = _serving_snapshot(client, "kart-league", "dev")
    before = len(_deployments(client, "kart-league", "dev"))
    kwargs = {"GameName": "kart-league", "StageName": "dev", "SnapshotId": snapshot,
              "ClientToken": TOKEN_B}
    first = client.start_stage_deployment(**kwargs)["StageDeployment"]
    world.advance(2.5)
    again = client.start_stage_deployment(**kwargs)["StageDeployment"]
    assert again["DeploymentId"] == first["DeploymentId"]
    assert again["DeploymentState"] == "IN_PROGRESS"  # the replay reports the current state
    assert len(_deployments(client, "kart-league", "dev")) == before + 1
    records = [m for m in world.mutations("StartStageDeployment")
               if m["params"].get("ClientToken") == TOKEN_B]
    assert len(records) == 1
    other = next(s["Id"] for s in _all(client, "list_snapshots", "Snapshots",
                                       GameName="kart-league") if s["Id"] != snapshot)
    with pytest.raises(client.exceptions.ConflictException) as err:
        client.start_stage_deployment(**{**kwargs, "SnapshotId": other})
    assert _error(err)[1] == 409
    _settle(world)


def test_second_deployment_conflicts_while_one_is_running(client: Any,
                                                          world: World) -> None:
    snapshot = _serving_snapshot(client, "kart-league", "staging")
    client.start_stage_deployment(GameName="kart-league", StageName="staging",
                                  SnapshotId=snapshot)
    records = len(world.mutations("StartStageDeployment"))
    with pytest.raises(client.exceptions.ConflictException) as err:
        client.start_stage_deployment(GameName="kart-league", StageName="staging",
                                      SnapshotId=snapshot)
    code, status, message = _error(err)
    assert (code, status) == ("ConflictException", 409)
    assert "in progress on stage staging" in message
    assert len(world.mutations("StartStageDeployment")) == records  # refused: nothing recorded
    _settle(world)
    again = client.start_stage_deployment(GameName="kart-league", StageName="staging",
                                          SnapshotId=snapshot)
    assert again["StageDeployment"]["DeploymentState"] == "PENDING"
    _settle(world)


# --- errors ------------------------------------------------------------------------------------


def test_unknown_resources_are_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException) as err:
        client.get_stage(GameName="space-raiders", StageName="nope")
    assert _error(err)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_stages(GameName="no-such-game")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_snapshot(GameName="space-raiders",
                            SnapshotId="Snapshot_2001-01-01T00:00:00.000Z")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_stage_deployment(GameName="space-raiders", StageName="prod",
                                    DeploymentId="00000000-0000-4000-8000-000000000000")


def test_bad_input_is_a_validation_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as err:
        client.get_game(GameName="bad name!")
    code, status, message = _error(err)
    assert (code, status) == ("ValidationException", 400) and "bad name!" in message
    with pytest.raises(client.exceptions.ValidationException) as err:
        client.list_games(MaxResults=101)
    assert "101" in _error(err)[2]
    with pytest.raises(client.exceptions.ValidationException):
        client.list_games(NextToken="not-a-token")
    with pytest.raises(client.exceptions.ValidationException):
        client.get_snapshot(GameName="space-raiders",
                            SnapshotId="Snapshot_yesterday-ish-00000000000")
    token = client.list_stages(GameName="space-raiders", MaxResults=1)["NextToken"]
    with pytest.raises(client.exceptions.ValidationException):
        client.list_stages(GameName="kart-league", NextToken=token)  # issued for another game


def test_unsigned_request_is_refused(world: World) -> None:
    response = httpx.get(f"{world.endpoint_url}/game")
    assert response.status_code == 403


# --- snapshots, export, configuration ----------------------------------------------------------


def test_export_url_downloads_then_expires(client: Any, world: World) -> None:
    snapshot_id = client.list_snapshots(GameName="kart-league", MaxResults=1)["Snapshots"][0]["Id"]
    url = client.export_snapshot(GameName="kart-league", SnapshotId=snapshot_id)["S3Url"]
    response = httpx.get(url)
    assert response.status_code == 200
    document = response.json()
    assert document["SnapshotId"] == snapshot_id
    full = client.get_snapshot(GameName="kart-league", SnapshotId=snapshot_id)["Snapshot"]
    assert document["Sections"] == full["Sections"]
    world.advance(601)
    assert httpx.get(url).status_code == 403


def test_create_snapshot_copies_the_game_configuration(client: Any,
                                                       world: World) -> None:
    config = client.get_game_configuration(GameName="kart-league")["GameConfiguration"]
    assert config["Sections"]
    snapshot = client.create_snapshot(GameName="kart-league",
                                      Description="v2.0 before the cup")["Snapshot"]
    assert snapshot["Sections"] == config["Sections"]
    newest = client.list_snapshots(GameName="kart-league", MaxResults=1)["Snapshots"][0]
    assert newest["Id"] == snapshot["Id"]
    records = [m for m in world.mutations("CreateSnapshot")
               if m["params"].get("SnapshotId") == snapshot["Id"]]
    assert len(records) == 1 and records[0]["target"] == "kart-league"
    only = client.get_game_configuration(GameName="kart-league", Sections=["Config"])
    assert set(only["GameConfiguration"]["Sections"]) == {"Config"}


# --- the runtime: players ----------------------------------------------------------------------


def test_player_connections_and_disconnect(client: Any, world: World) -> None:
    where = {"GameName": "space-raiders", "StageName": "prod"}
    connections = client.get_player_connection_status(PlayerId="player-1001",
                                                      **where)["Connections"]
    assert len(connections) == 2 and all(c["Id"] and c["Created"] for c in connections)
    result = client.disconnect_player(PlayerId="player-1001", **where)
    assert sorted(result["DisconnectSuccesses"]) == sorted(c["Id"] for c in connections)
    assert result["DisconnectFailures"] == []
    assert client.get_player_connection_status(PlayerId="player-1001",
                                               **where)["Connections"] == []
    assert client.get_player_connection_status(PlayerId="nobody-here",
                                               **where)["Connections"] == []
    records = [m for m in world.mutations("DisconnectPlayer")
               if m["params"]["PlayerId"] == "player-1001"]
    assert len(records) == 1 and records[0]["target"] == "space-raiders/prod"
    with pytest.raises(client.exceptions.ValidationException):
        client.get_player_connection_status(PlayerId="player 1001", **where)
    players = world.state()["gamesparks"]["games"]["kart-league"]["stages"]["dev"]["players"]
    assert players and "player-1001" not in players


# --- the class on its own ----------------------------------------------------------------------


def _direct() -> tuple[GameSparksSim, RequestContext]:
    clock = Clock()
    clock.freeze()
    gs = GameSparksSim(clock, random.Random(3), "eu-west-1")
    ctx = RequestContext(request_id="r", now=clock.now(), access_key="AKID", region="eu-west-1",
                         mutations=MutationLog(), presigner=Presigner(clock),
                         service="GameSparks")
    return gs, ctx


def test_routes() -> None:
    gs, _ = _direct()
    assert gs.route("GET", ["game"]) == "ListGames"
    assert gs.route("GET", ["game", "stage", "stage", "dev"]) == "GetStage"
    assert gs.route("POST", ["game", "g", "stage", "s", "deployment"]) == "StartStageDeployment"
    assert gs.route("GET", ["game", "g", "stage", "s", "deployments"]) == "ListStageDeployments"
    assert gs.route("GET", ["runtime", "game", "g", "stage", "s", "player", "p",
                            "connection"]) == "GetPlayerConnectionStatus"
    assert gs.route("GET", ["tags", "arn:aws:gamesparks:r:1:game", "g"]) == "ListTagsForResource"
    with pytest.raises(SimError) as err:
        gs.route("DELETE", ["game", "g", "stage", "s", "deployment"])
    assert (err.value.code, err.value.status) == ("UnknownOperationException", 404)


def test_tags_resolve_an_arn_split_on_slashes() -> None:
    gs, ctx = _direct()
    arn = gs.games["kart-league"].stages["prod"].arn
    segments = ["tags", *arn.split("/")]
    assert gs.handle("ListTagsForResource", segments, {}, {}, ctx) == {"tags": {"stage": "prod"}}


def test_the_world_is_deterministic() -> None:
    clock = Clock()
    clock.freeze()
    worlds = [GameSparksSim(clock, random.Random(11), "us-west-2").state() for _ in range(2)]
    assert worlds[0] == worlds[1]
    for game in worlds[0]["games"].values():
        for stage in game["stages"].values():
            assert 6 <= len(stage["deployments"]) <= 10
            assert stage["serving"] is not None


@settings(max_examples=40, deadline=None)
@given(page_size=st.integers(min_value=1, max_value=100))
def test_paging_reassembles_the_whole_list(page_size: int) -> None:
    gs, ctx = _direct()
    segments = ["game", "space-raiders", "stage", "prod", "deployments"]
    whole = gs.handle("ListStageDeployments", segments, {"MaxResults": ["100"]}, {}, ctx)
    collected: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        query = {"MaxResults": [str(page_size)], **({"NextToken": [token]} if token else {})}
        page = gs.handle("ListStageDeployments", segments, query, {}, ctx)
        assert len(page["StageDeployments"]) <= page_size
        collected += page["StageDeployments"]
        token = page.get("NextToken")
        if not token:
            break
    assert collected == whole["StageDeployments"]


def test_reset_rebuilds_the_same_world_at_a_fixed_moment() -> None:
    clock = Clock()
    clock.freeze()
    a = GameSparksSim(clock, random.Random(1), "us-west-2")
    b = GameSparksSim(clock, random.Random(2), "us-west-2")
    a.reset(1_767_225_600.0, seed=5)
    b.reset(1_767_225_600.0, seed=5)
    assert a.state() == b.state()
    snapshots = a.state()["games"]["space-raiders"]["snapshots"]
    assert all(s.startswith("Snapshot_2025-") for s in snapshots)
