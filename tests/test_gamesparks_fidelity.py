"""The GameSparks simulator against its model (the public 2021-08-17 one, bundled) and seed 002.

Everything goes through real botocore over real HTTP to the test's own world. Where the point
is what the *service* checks, the client has ``parameter_validation=False``: clients we did not
write may skip validation, and botocore's own checks only ``min`` anyway.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import botocore.session
import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from simctl import World

import tui
import tui.sim.gamesparks as gs_module
from tui.services import gamesparks as service
from tui.sim.core import Clock, MutationLog, Presigner, RequestContext
from tui.sim.gamesparks import (
    ACCOUNT,
    CODE_TTL,
    EXPORT_TTL,
    MAX_CONFIG_BYTES,
    MAX_GAMES,
    MAX_SNAPSHOTS,
    URL_ACCESS_KEY,
    URL_SECRET,
    GameSparksSim,
    modelled_errors,
)

DATA_PATH = Path(tui.__file__).parent / "aws" / "data"
MODEL = json.loads((DATA_PATH / "gamesparks" / "2021-08-17" / "service-2.json").read_text())
OPERATIONS = sorted(MODEL["operations"])
ROLE = f"arn:aws:iam::{ACCOUNT}:role/GameSparksStageRole"
TOKEN = "fidelity-token-0123456789abcdef-0001"
S3_URL = MODEL["shapes"]["S3PresignedUrl"]  # the model's pattern for every download URL


@pytest.fixture(scope="module")
def boto_session() -> boto3.session.Session:
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(DATA_PATH))
    return boto3.session.Session(botocore_session=session)


def _client(world: World, session: boto3.session.Session, validate: bool) -> Any:
    return session.client(
        "gamesparks", region_name="us-west-2", endpoint_url=world.endpoint_url,
        aws_access_key_id="AKIDTEST", aws_secret_access_key="secret",
        config=Config(parameter_validation=validate, retries={"max_attempts": 1}))


@pytest.fixture
def client(world: World, boto_session: boto3.session.Session) -> Any:
    return _client(world, boto_session, True)


@pytest.fixture
def raw(world: World, boto_session: boto3.session.Session) -> Any:
    """A client that leaves every check to the service."""
    return _client(world, boto_session, False)


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = err.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def _newest_snapshot(client: Any, game: str) -> str:
    snapshot_id: str = client.list_snapshots(GameName=game, MaxResults=1)["Snapshots"][0]["Id"]
    return snapshot_id


def _file(document: Any) -> bytes:
    return json.dumps(document).encode()


# --- routing: every operation of the model ---------------------------------------------------


def test_every_binding_of_the_model_routes_to_its_operation() -> None:
    clock = Clock()
    clock.freeze()
    sim = GameSparksSim(clock, random.Random(1), "us-west-2")
    assert len(OPERATIONS) == 33
    for operation in OPERATIONS:
        http = MODEL["operations"][operation]["http"]
        segments = [("x" if part.startswith("{") else part)
                    for part in http["requestUri"].split("?")[0].split("/") if part]
        assert sim.route(http["method"], segments) == operation, operation


def test_each_operation_answers_over_http(client: Any, world: World) -> None:
    """One successful call of each of the 33 operations, as a console or script makes them."""
    called: set[str] = set()

    def call(method: str, **kwargs: Any) -> Any:
        called.add("".join(part.title() for part in method.split("_")))
        return getattr(client, method)(**kwargs)

    assert {g["Name"] for g in call("list_games")["Games"]} == {"space-raiders", "kart-league"}
    game = call("create_game", GameName="fidelity", Description="made by the fidelity test",
                ClientToken=TOKEN, Tags={"team": "qa"})["Game"]
    assert game["Name"] == "fidelity" and game["State"] == "ACTIVE"
    assert call("get_game", GameName="fidelity")["Game"]["Arn"] == game["Arn"]
    assert call("update_game", GameName="fidelity",
                Description="renamed")["Game"]["Description"] == "renamed"
    imported = call("import_game_configuration", GameName="fidelity", ImportSource={
        "File": _file({"Sections": {"Config": {"Attributes": {"MaxPlayers": 4}},
                                    "Messages": {"Attributes": {"Ping": {}}}}})})
    assert set(imported["GameConfiguration"]["Sections"]) == {"Config", "Messages"}
    updated = call("update_game_configuration", GameName="fidelity", Modifications=[
        {"Operation": "REPLACE", "Section": "Config", "Path": "/MaxPlayers", "Value": 8}])
    assert updated["GameConfiguration"]["Sections"]["Config"]["Attributes"] == {"MaxPlayers": 8}
    config = call("get_game_configuration", GameName="fidelity")["GameConfiguration"]
    assert config["Sections"] == updated["GameConfiguration"]["Sections"]
    snapshot = call("create_snapshot", GameName="fidelity", Description="first")["Snapshot"]
    assert snapshot["Sections"] == config["Sections"]
    sid = snapshot["Id"]
    assert call("get_snapshot", GameName="fidelity", SnapshotId=sid)["Snapshot"]["Id"] == sid
    assert [s["Id"] for s in call("list_snapshots", GameName="fidelity")["Snapshots"]] == [sid]
    assert call("update_snapshot", GameName="fidelity", SnapshotId=sid,
                Description="first, checked")["Snapshot"]["Description"] == "first, checked"
    assert call("export_snapshot", GameName="fidelity", SnapshotId=sid)["S3Url"]
    job = call("start_generated_code_job", GameName="fidelity", SnapshotId=sid,
               Generator={"TargetPlatform": "Unity"})["GeneratedCodeJobId"]
    assert call("get_generated_code_job", GameName="fidelity", SnapshotId=sid,
                JobId=job)["GeneratedCodeJob"]["Status"] == "PENDING"
    assert [j["GeneratedCodeJobId"] for j in call(
        "list_generated_code_jobs", GameName="fidelity", SnapshotId=sid)["GeneratedCodeJobs"]
    ] == [job]
    stage = call("create_stage", GameName="fidelity", StageName="dev", Role=ROLE,
                 ClientToken=TOKEN, Description="dev stage")["Stage"]
    assert stage["Role"] == ROLE
    assert call("get_stage", GameName="fidelity", StageName="dev")["Stage"]["Arn"] == stage["Arn"]
    assert [s["Name"] for s in call("list_stages", GameName="fidelity")["Stages"]] == ["dev"]
    assert call("update_stage", GameName="fidelity", StageName="dev",
                Description="dev, again")["Stage"]["Description"] == "dev, again"
    deployment = call("start_stage_deployment", GameName="fidelity", StageName="dev",
                      SnapshotId=sid, ClientToken=TOKEN)["StageDeployment"]
    assert call("get_stage_deployment", GameName="fidelity",
                StageName="dev")["StageDeployment"]["DeploymentId"] == deployment["DeploymentId"]
    assert len(call("list_stage_deployments", GameName="fidelity",
                    StageName="dev")["StageDeployments"]) == 1
    where = {"GameName": "space-raiders", "StageName": "prod", "PlayerId": "player-1001"}
    assert len(call("get_player_connection_status", **where)["Connections"]) == 2
    assert len(call("disconnect_player", **where)["DisconnectSuccesses"]) == 2
    call("tag_resource", ResourceArn=game["Arn"], tags={"tier": "3"})
    assert call("list_tags_for_resource", ResourceArn=game["Arn"])["tags"] == {
        "team": "qa", "tier": "3"}
    call("untag_resource", ResourceArn=game["Arn"], tagKeys=["team"])
    assert client.list_tags_for_resource(ResourceArn=game["Arn"])["tags"] == {"tier": "3"}
    extensions = call("list_extensions")["Extensions"]
    first = extensions[0]
    ext = {"Namespace": first["Namespace"], "Name": first["Name"]}
    assert call("get_extension", **ext)["Extension"] == first
    versions = call("list_extension_versions", **ext)["ExtensionVersions"]
    assert call("get_extension_version", ExtensionVersion=versions[0]["Version"],
                **ext)["ExtensionVersion"] == versions[0]
    world.advance(10)  # the deployment ends, so the stage and the game can go
    call("delete_stage", GameName="fidelity", StageName="dev")
    call("delete_game", GameName="fidelity")
    assert "fidelity" not in {g["Name"] for g in client.list_games()["Games"]}
    assert called == set(OPERATIONS)
    recorded = {m["operation"] for m in world.mutations()}
    assert recorded >= {"CreateGame", "ImportGameConfiguration", "UpdateGameConfiguration",
                        "StartGeneratedCodeJob", "DeleteStage", "DeleteGame", "TagResource"}


# --- the model's constraints, checked by the service -----------------------------------------


def test_role_must_match_the_role_arn_pattern(raw: Any, world: World) -> None:
    """RoleARN: {"max": 2048, "min": 20, "pattern": "^arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/.+$"}
    (public model), checked by the service on CreateStage and UpdateStage."""
    raw.create_game(GameName="roles")
    for role in ("not-a-role-arn", "arn:aws:iam::123:role/ShortAccount",
                 f"arn:aws:sts::{ACCOUNT}:assumed-role/X/y", f"arn:aws:iam::{ACCOUNT}:user/bob"):
        with pytest.raises(raw.exceptions.ValidationException) as err:
            raw.create_stage(GameName="roles", StageName="qa", Role=role)
        code, status, message = _error(err)
        assert (code, status) == ("ValidationException", 400)
        assert "at 'role'" in message and role in message
    with pytest.raises(raw.exceptions.ResourceNotFoundException):
        raw.get_stage(GameName="roles", StageName="qa")  # refused: nothing was created
    raw.create_stage(GameName="roles", StageName="qa", Role=ROLE)
    with pytest.raises(raw.exceptions.ValidationException) as err:
        raw.update_stage(GameName="roles", StageName="qa", Role="arn:aws:iam::role/missing")
    assert "regular expression pattern: ^arn:(aws[a-zA-Z-]*)?:iam::" in _error(err)[2]
    assert raw.get_stage(GameName="roles", StageName="qa")["Stage"]["Role"] == ROLE
    assert [m["target"] for m in world.mutations("CreateStage")] == ["roles/qa"]
    # Another partition matches the pattern; the simulated account cannot assume it, which a
    # deployment reports (seed 003: ResultCode INVALID_ROLE_FAILURE).
    raw.update_stage(GameName="roles", StageName="qa", Role=f"arn:aws-cn:iam::{ACCOUNT}:role/R")
    sid = raw.create_snapshot(GameName="roles")["Snapshot"]["Id"]
    ident = raw.start_stage_deployment(GameName="roles", StageName="qa", SnapshotId=sid,
                                       ClientToken=TOKEN)["StageDeployment"]["DeploymentId"]
    world.advance(2)
    result = raw.get_stage_deployment(GameName="roles", StageName="qa",
                                      DeploymentId=ident)["StageDeployment"]
    assert result["DeploymentState"] == "FAILED"
    assert result["DeploymentResult"]["ResultCode"] == "INVALID_ROLE_FAILURE"


BAD_INPUT = [
    # (operation, arguments, where the message points, the public model's constraint)
    ("create_game", {"GameName": "g" * 37}, "gameName", "GameName max 36"),
    ("create_game", {"GameName": "ok", "Description": "trailing "}, "description",
     r"GameDescription pattern ^\S(.*\S)?$|^$"),
    ("create_game", {"GameName": "ok", "Description": "d" * 251}, "description",
     "GameDescription max 250"),
    ("create_game", {"GameName": "ok", "ClientToken": "short"}, "clientToken",
     "ClientToken min 33"),
    ("create_game", {"GameName": "ok", "Tags": {"aws:owner": "me"}}, "tags.aws:owner.key",
     "TagKey pattern ^(?!aws:)[a-zA-Z+-=._:/]+$"),
    ("create_game", {"GameName": "ok", "Tags": {}}, "tags", "TagMap min 1"),
    ("list_games", {"MaxResults": 0}, "maxResults", "MaxResults min 1"),
    ("get_game_configuration", {"GameName": "kart-league", "Sections": ["s"] * 101},
     "sections", "SectionList max 100"),
    ("get_snapshot", {"GameName": "kart-league", "SnapshotId": "Snapshot_1"}, "snapshotId",
     "SnapshotId min 33"),
    ("get_player_connection_status",
     {"GameName": "kart-league", "StageName": "dev", "PlayerId": "p" * 45}, "playerId",
     "PlayerId max 44"),
    ("untag_resource", {"ResourceArn": "arn:aws:iam::123456789012:role/x", "tagKeys": ["a"]},
     "resourceArn", "ResourceArn pattern ^arn:aws:gamesparks:"),
    ("start_generated_code_job", {"GameName": "kart-league", "SnapshotId": "Snapshot_2020-01-"
                                  "01T00:00:00.000Z", "Generator": {"TargetPlatform": "Uni ty"}},
     "generator.targetPlatform", "TargetPlatform pattern ^[a-zA-Z]+$"),
    ("update_game_configuration", {"GameName": "kart-league", "Modifications": [
        {"Operation": "ADD", "Section": "Config", "Path": "/trailing/"}]},
     "modifications.1.member.path", r"Path pattern ^\/.*[^\/]$"),
    ("update_game_configuration", {"GameName": "kart-league", "Modifications": [
        {"Operation": "MOVE", "Section": "Config", "Path": "/a", "Value": 1}]},
     "modifications.1.member.operation", "Operation enum ADD|REMOVE|REPLACE"),
    ("import_game_configuration", {"GameName": "kart-league", "ImportSource": {"File": b"{}"}},
     "importSource.file", "RawGameConfigurationData min 10"),
]


@pytest.mark.parametrize(("method", "kwargs", "where", "constraint"), BAD_INPUT,
                         ids=[f"{m}:{c}" for m, _, _, c in BAD_INPUT])
def test_the_service_checks_the_model_constraints(raw: Any, world: World, method: str,
                                                  kwargs: dict[str, Any], where: str,
                                                  constraint: str) -> None:
    before = world.mutations()
    with pytest.raises(raw.exceptions.ValidationException) as err:
        getattr(raw, method)(**kwargs)
    code, status, message = _error(err)
    assert (code, status) == ("ValidationException", 400)
    assert f"at '{where}' failed to satisfy constraint" in message, message
    assert world.mutations() == before


# --- quotas -----------------------------------------------------------------------------------


def test_games_quota(client: Any, world: World) -> None:
    """CreateGame lists ServiceQuotaExceededException (seed 002); "Games" is 10 per account and
    Region (GameSparks quotas)."""
    existing = len(client.list_games()["Games"])
    for index in range(MAX_GAMES - existing):
        client.create_game(GameName=f"quota-{index}")
    with pytest.raises(client.exceptions.ServiceQuotaExceededException) as err:
        client.create_game(GameName="one-too-many")
    code, status, message = _error(err)
    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert f"Games: {MAX_GAMES}" in message
    assert len(client.list_games(MaxResults=100)["Games"]) == MAX_GAMES
    client.delete_game(GameName="quota-0")
    assert client.create_game(GameName="one-too-many")["Game"]["Name"] == "one-too-many"


def test_configuration_size_quota(client: Any, world: World) -> None:
    """ImportGameConfiguration and UpdateGameConfiguration list ServiceQuotaExceededException
    (seed 002); "Game configuration size" is 1 MB (GameSparks quotas)."""
    client.create_game(GameName="big")
    small = {"Sections": {"Config": {"Attributes": {"Blob": "x" * 1000}}}}
    client.import_game_configuration(GameName="big", ImportSource={"File": _file(small)})
    # Under the import file's own max (1,024,000 bytes) but over the configuration quota.
    large = {"Sections": {"Config": {"Attributes": {"Blob": "x" * (MAX_CONFIG_BYTES + 100)}}}}
    assert len(_file(large)) <= MODEL["shapes"]["RawGameConfigurationData"]["max"]
    with pytest.raises(client.exceptions.ServiceQuotaExceededException) as err:
        client.import_game_configuration(GameName="big", ImportSource={"File": _file(large)})
    assert _error(err)[:2] == ("ServiceQuotaExceededException", 402)
    with pytest.raises(client.exceptions.ServiceQuotaExceededException):
        client.update_game_configuration(GameName="big", Modifications=[
            {"Operation": "ADD", "Section": "Assets", "Path": "/Blob",
             "Value": "y" * MAX_CONFIG_BYTES}])
    sections = client.get_game_configuration(GameName="big")["GameConfiguration"]["Sections"]
    assert sections["Config"]["Attributes"] == small["Sections"]["Config"]["Attributes"]
    assert set(sections) == {"Config"}  # neither refused change was applied
    assert len(world.mutations("ImportGameConfiguration")) == 1
    assert world.mutations("UpdateGameConfiguration") == []


def test_snapshots_per_game_quota_is_a_conflict(client: Any, world: World) -> None:
    """"Snapshots per game" is 1,000 (GameSparks quotas), but seed 002 lists no
    ServiceQuotaExceededException for create_snapshot: the simulator answers with the
    ConflictException it does list."""
    assert "ServiceQuotaExceededException" not in modelled_errors("CreateSnapshot")
    client.create_game(GameName="many")
    for index in range(MAX_SNAPSHOTS):
        client.create_snapshot(GameName="many", Description=f"take {index}")
    with pytest.raises(client.exceptions.ConflictException) as err:
        client.create_snapshot(GameName="many")
    code, status, message = _error(err)
    assert (code, status) == ("ConflictException", 409)
    assert f"Snapshots per game: {MAX_SNAPSHOTS}" in message
    assert len(world.mutations("CreateSnapshot")) == MAX_SNAPSHOTS


# --- download URLs ----------------------------------------------------------------------------

URL_QUERY = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
             "X-Amz-SignedHeaders", "X-Amz-Signature"]


def _prefix(game: str, region: str = "us-west-2") -> str:
    # The key names the game by a digest of its ARN (a name is caller text; the key is a URL).
    arn = f"arn:aws:gamesparks:{region}:{ACCOUNT}:game/{game}"
    return hashlib.sha256(arn.encode()).hexdigest()[:16]


def _check_presigned(url: str, now: float, ttl: int, key: str) -> None:
    """A SigV4-presigned S3 GET, signed (checked with botocore's own S3 query signer) for the
    S3 host, whatever host serves it."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert [k for k, _ in parse_qsl(parts.query)] == URL_QUERY
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"] == f"{URL_ACCESS_KEY}/{stamp[:8]}/us-west-2/s3/aws4_request"
    assert query["X-Amz-Date"] == stamp
    assert query["X-Amz-Expires"] == str(ttl)
    assert query["X-Amz-SignedHeaders"] == "host"
    assert re.fullmatch(r"[0-9a-f]{64}", query["X-Amz-Signature"])
    assert parts.path.endswith(key)
    host = f"gamesparks-exports-{ACCOUNT}-us-west-2.s3.us-west-2.amazonaws.com"
    request = AWSRequest(method="GET", url=f"https://{host}{key}")
    request.context["timestamp"] = stamp
    signer = S3SigV4QueryAuth(Credentials(URL_ACCESS_KEY, URL_SECRET), "s3", "us-west-2",
                              expires=ttl)
    signer._modify_request_before_signing(request)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)),
                                request)
    assert query["X-Amz-Signature"] == expected


def test_export_url_is_a_presigned_s3_url(client: Any, world: World) -> None:
    """Seed 002, export_snapshot: "S3Url (string) -- The presigned URL for the snapshot data.
    This URL will be available for 10 minutes, and can be used to download the snapshot
    content. If the URL expires, a new one can be requested using the same operation." """
    sid = _newest_snapshot(client, "kart-league")
    url = client.export_snapshot(GameName="kart-league", SnapshotId=sid)["S3Url"]
    assert EXPORT_TTL == 600
    _check_presigned(url, world.now(), EXPORT_TTL,
                     f"/{_prefix('kart-league')}/snapshots/{sid.replace(':', '%3A')}.json")
    assert len(url) <= S3_URL["max"]
    assert httpx.get(url).json()["SnapshotId"] == sid
    world.advance(EXPORT_TTL + 1)
    assert httpx.get(url).status_code == 403
    again = client.export_snapshot(GameName="kart-league", SnapshotId=sid)["S3Url"]
    assert again != url and httpx.get(again).status_code == 200


def test_without_a_server_the_url_names_the_s3_host() -> None:
    """Outside a running simulator there is nothing to download from: the URL is the S3 one,
    as the model's S3PresignedUrl pattern has it."""
    clock = Clock()
    clock.freeze()
    sim = GameSparksSim(clock, random.Random(4), "us-west-2")
    ctx = RequestContext(request_id="r", now=clock.now(), access_key="AKID", region="us-west-2",
                         mutations=MutationLog(), presigner=Presigner(clock),
                         service="GameSparks")
    sid = sim.games["kart-league"].snapshots[-1].snapshot_id
    url = sim.handle("ExportSnapshot", ["game", "kart-league", "snapshot", sid, "export"], {},
                     {}, ctx)["S3Url"]
    assert re.search(S3_URL["pattern"], url) and len(url) <= S3_URL["max"]
    assert url.startswith(f"https://gamesparks-exports-{ACCOUNT}-us-west-2.s3.us-west-2."
                          f"amazonaws.com/{_prefix('kart-league', 'us-west-2')}/snapshots/")
    _check_presigned(url, clock.now(), EXPORT_TTL,
                     f"/{_prefix('kart-league')}/snapshots/{sid.replace(':', '%3A')}.json")


# --- the operations that had no route --------------------------------------------------------


def test_generated_code_job_runs_and_uploads_a_zip(client: Any, world: World) -> None:
    """Seed 002, start_generated_code_job: "The resulting code is collected as a .zip file and
    uploaded to a pre-signed Amazon S3 URL"; Status IN_PROGRESS|COMPLETED|FAILED|PENDING."""
    sid = _newest_snapshot(client, "kart-league")
    where = {"GameName": "kart-league", "SnapshotId": sid}
    job = client.start_generated_code_job(
        Generator={"TargetPlatform": "Unity", "GameSdkVersion": "LATEST"}, **where)
    ident = job["GeneratedCodeJobId"]
    assert re.fullmatch(MODEL["shapes"]["GeneratedCodeJobId"]["pattern"], ident)

    def current() -> dict[str, Any]:
        found: dict[str, Any] = client.get_generated_code_job(JobId=ident,
                                                              **where)["GeneratedCodeJob"]
        return found

    assert current()["Status"] == "PENDING" and "S3Url" not in current()
    world.advance(1)
    assert current()["Status"] == "IN_PROGRESS"
    world.advance(5)
    done = current()
    assert done["Status"] == "COMPLETED"
    # Timestamps travel as ISO 8601 with milliseconds.
    assert done["ExpirationTime"].timestamp() == pytest.approx(world.now() + CODE_TTL, abs=1e-3)
    _check_presigned(done["S3Url"], world.now(), CODE_TTL,
                     f"/{_prefix('kart-league')}/generated-code/{sid.replace(':', '%3A')}/"
                     f"{ident}.zip")
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(done["S3Url"]).content))
    messages = client.get_snapshot(**where)["Snapshot"]["Sections"]["Messages"]["Attributes"]
    assert {n for n in archive.namelist() if n.endswith(".cs")} == {
        f"GameSparks/Messages/{name}.cs" for name in messages}
    assert current()["S3Url"] == done["S3Url"]  # the same URL until it expires
    bad = client.start_generated_code_job(Generator={"TargetPlatform": "Amiga"}, **where)
    world.advance(6)
    failed = client.get_generated_code_job(JobId=bad["GeneratedCodeJobId"],
                                           **where)["GeneratedCodeJob"]
    assert failed["Status"] == "FAILED" and "Amiga" in failed["Description"]
    assert "S3Url" not in failed
    listed = client.list_generated_code_jobs(**where)["GeneratedCodeJobs"]
    assert [j["GeneratedCodeJobId"] for j in listed] == [bad["GeneratedCodeJobId"], ident]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_generated_code_job(JobId="00000000-0000-4000-8000-000000000000", **where)


def test_update_game_configuration_applies_json_pointer_edits(client: Any,
                                                              world: World) -> None:
    """Seed 002, update_game_configuration: "Content can be added, deleted, or replaced within
    a section"; Value "should be omitted for delete operations"."""
    before = client.get_game_configuration(GameName="kart-league")["GameConfiguration"]
    shop = before["Sections"]["Economy.Shop"]["Attributes"]
    first_item = next(iter(shop["Items"]))
    result = client.update_game_configuration(GameName="kart-league", Modifications=[
        {"Operation": "REPLACE", "Section": "Economy.Shop",
         "Path": f"/Items/{first_item}/Price", "Value": 999},
        {"Operation": "ADD", "Section": "Economy.Shop", "Path": "/Items/new-kart",
         "Value": {"Price": 1500}},
        {"Operation": "REMOVE", "Section": "Economy.Shop", "Path": "/Currency"},
        {"Operation": "ADD", "Section": "Player", "Path": "/DefaultLoadout/-",
         "Value": "horn"},
        {"Operation": "ADD", "Section": "Events.Cup", "Path": "/Weekly", "Value": True},
    ])["GameConfiguration"]
    sections = result["Sections"]
    new_shop = sections["Economy.Shop"]["Attributes"]
    assert new_shop["Items"][first_item]["Price"] == 999
    assert new_shop["Items"]["new-kart"] == {"Price": 1500} and "Currency" not in new_shop
    assert sections["Player"]["Attributes"]["DefaultLoadout"][-1] == "horn"
    assert sections["Events.Cup"]["Attributes"] == {"Weekly": True}
    assert sections["Events.Cup"]["Size"] == len(b'{"Weekly":true}')
    assert result["LastUpdated"] >= before["LastUpdated"]
    with pytest.raises(client.exceptions.ValidationException) as err:
        client.update_game_configuration(GameName="kart-league", Modifications=[
            {"Operation": "REMOVE", "Section": "Economy.Shop", "Path": "/NoSuchKey"}])
    assert "NoSuchKey" in _error(err)[2]
    snapshot = client.create_snapshot(GameName="kart-league")["Snapshot"]
    assert snapshot["Sections"] == sections
    assert len(world.mutations("UpdateGameConfiguration")) == 1


def test_import_takes_back_an_export(client: Any, world: World) -> None:
    """Seed 002, import_game_configuration: "This operation replaces the current configuration
    of the game with the provided input"."""
    sid = _newest_snapshot(client, "space-raiders")
    exported = httpx.get(client.export_snapshot(GameName="space-raiders",
                                                SnapshotId=sid)["S3Url"]).content
    client.create_game(GameName="copy")
    client.import_game_configuration(GameName="copy",
                                     ImportSource={"File": _file({"Sections": {}}) + b" " * 8})
    assert client.get_game_configuration(GameName="copy")["GameConfiguration"]["Sections"] == {}
    done = client.import_game_configuration(GameName="copy", ImportSource={"File": exported})
    original = client.get_snapshot(GameName="space-raiders", SnapshotId=sid)["Snapshot"]
    assert done["GameConfiguration"]["Sections"] == original["Sections"]
    with pytest.raises(client.exceptions.ValidationException):
        client.import_game_configuration(GameName="copy",
                                         ImportSource={"File": b"this is not json"})
    records = world.mutations("ImportGameConfiguration")
    assert len(records) == 2 and all(r["target"] == "copy" for r in records)


def test_delete_game_and_stage(client: Any, world: World) -> None:
    """Seed 002: delete_game lists ConflictException and no ResourceNotFoundException;
    delete_stage "Deletes a stage from a game, along with the associated game runtime"."""
    with pytest.raises(client.exceptions.ConflictException) as err:
        client.delete_game(GameName="space-raiders")  # EnableTerminationProtection
    assert "termination protection" in _error(err)[2]
    assert client.get_game(GameName="space-raiders")["Game"]["EnableTerminationProtection"]
    sid = _newest_snapshot(client, "kart-league")
    client.start_stage_deployment(GameName="kart-league", StageName="dev", SnapshotId=sid,
                                  ClientToken=TOKEN)
    with pytest.raises(client.exceptions.ConflictException):
        client.delete_stage(GameName="kart-league", StageName="dev")
    with pytest.raises(client.exceptions.ConflictException):
        client.delete_game(GameName="kart-league")
    world.advance(10)
    client.delete_stage(GameName="kart-league", StageName="dev")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_stage(GameName="kart-league", StageName="dev")
    assert {s["Name"] for s in client.list_stages(GameName="kart-league")["Stages"]} == {
        "staging", "prod"}
    client.delete_game(GameName="kart-league")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_game(GameName="kart-league")
    assert client.delete_game(GameName="kart-league")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [m["target"] for m in world.mutations("DeleteGame")] == ["kart-league"]
    assert [m["target"] for m in world.mutations("DeleteStage")] == ["kart-league/dev"]


def test_extensions_page_and_resolve(client: Any) -> None:
    pages = list(client.get_paginator("list_extensions").paginate(
        PaginationConfig={"PageSize": 1}))
    extensions = [e for page in pages for e in page["Extensions"]]
    assert len(pages) == len(extensions) >= 2
    for extension in extensions:
        ext = {"Namespace": extension["Namespace"], "Name": extension["Name"]}
        assert client.get_extension(**ext)["Extension"] == extension
        versions = [v for page in client.get_paginator("list_extension_versions").paginate(**ext)
                    for v in page["ExtensionVersions"]]
        assert versions and all(v["Name"] == extension["Name"] for v in versions)
        for version in versions:
            assert json.loads(version["Schema"])["Version"] == version["Version"]
            assert len(version["Schema"]) <= MODEL["shapes"]["ExtensionVersionSchema"]["max"]
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_extension_version(ExtensionVersion="99.0.0", **ext)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_extension(Namespace="Nobody", Name="Nothing")


def test_client_tokens(client: Any, world: World) -> None:
    """Seed 002, create_game: "With an active client token in the request, this action is
    idempotent." The model no longer fills one in: the app passes its own."""
    first = client.create_game(GameName="once", ClientToken=TOKEN)["Game"]
    again = client.create_game(GameName="once", ClientToken=TOKEN)["Game"]
    assert again == first and len(world.mutations("CreateGame")) == 1
    with pytest.raises(client.exceptions.ConflictException):
        client.create_game(GameName="twice", ClientToken=TOKEN)
    sid = _newest_snapshot(client, "kart-league")
    deployment = service.start_stage_deployment(world.aws(), "kart-league", "staging", sid)
    records = world.mutations("StartStageDeployment")
    assert [r["params"]["DeploymentId"] for r in records] == [deployment.deployment_id]
    assert 33 <= len(records[0]["params"]["ClientToken"]) <= 126


# --- only the errors the model lists ----------------------------------------------------------

SID = "Snapshot_2001-01-01T00:00:00.000Z"  # well-formed, never taken
JOB = "00000000-0000-4000-8000-000000000000"
GAME_ARN = f"arn:aws:gamesparks:us-west-2:{ACCOUNT}:game/no-such-game"

ERROR_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("CreateGame", {"GameName": "space-raiders"}, "ConflictException"),
    ("CreateGame", {"GameName": "bad name"}, "ValidationException"),
    ("CreateSnapshot", {"GameName": "nope"}, "ResourceNotFoundException"),
    ("CreateSnapshot", {"GameName": "kart-league", "Description": " x"}, "ValidationException"),
    ("CreateStage", {"GameName": "nope", "StageName": "s", "Role": ROLE},
     "ResourceNotFoundException"),
    ("CreateStage", {"GameName": "kart-league", "StageName": "dev", "Role": ROLE},
     "ConflictException"),
    ("CreateStage", {"GameName": "kart-league", "StageName": "s", "Role": "r"},
     "ValidationException"),
    ("DeleteGame", {"GameName": "space-raiders"}, "ConflictException"),
    ("DeleteGame", {"GameName": "bad name"}, "ValidationException"),
    ("DeleteStage", {"GameName": "kart-league", "StageName": "nope"}, "ResourceNotFoundException"),
    ("DeleteStage", {"GameName": "kart-league", "StageName": "bad name"}, "ValidationException"),
    ("DisconnectPlayer", {"GameName": "kart-league", "StageName": "nope", "PlayerId": "p"},
     "ResourceNotFoundException"),
    ("DisconnectPlayer", {"GameName": "kart-league", "StageName": "dev", "PlayerId": "p q"},
     "ValidationException"),
    ("ExportSnapshot", {"GameName": "kart-league", "SnapshotId": SID},
     "ResourceNotFoundException"),
    ("ExportSnapshot", {"GameName": "kart-league", "SnapshotId": "x" * 33},
     "ValidationException"),
    ("GetExtension", {"Namespace": "Aws", "Name": "Nope"}, "ResourceNotFoundException"),
    ("GetExtension", {"Namespace": "Aws", "Name": "n" * 37}, "ValidationException"),
    ("GetExtensionVersion", {"Namespace": "Aws", "Name": "S3", "ExtensionVersion": "9"},
     "ResourceNotFoundException"),
    ("GetExtensionVersion", {"Namespace": "Aws", "Name": "S3", "ExtensionVersion": "9" * 21},
     "ValidationException"),
    ("GetGame", {"GameName": "nope"}, "ResourceNotFoundException"),
    ("GetGame", {"GameName": "bad name"}, "ValidationException"),
    ("GetGameConfiguration", {"GameName": "nope"}, "ResourceNotFoundException"),
    ("GetGameConfiguration", {"GameName": "kart-league", "Sections": ["a b"]},
     "ValidationException"),
    ("GetGeneratedCodeJob", {"GameName": "kart-league", "SnapshotId": SID, "JobId": JOB},
     "ResourceNotFoundException"),
    ("GetGeneratedCodeJob", {"GameName": "kart-league", "SnapshotId": SID, "JobId": "job-1"},
     "ValidationException"),
    ("GetPlayerConnectionStatus", {"GameName": "nope", "StageName": "dev", "PlayerId": "p"},
     "ResourceNotFoundException"),
    ("GetPlayerConnectionStatus", {"GameName": "kart-league", "StageName": "dev",
                                   "PlayerId": "p q"}, "ValidationException"),
    ("GetSnapshot", {"GameName": "kart-league", "SnapshotId": SID}, "ResourceNotFoundException"),
    ("GetSnapshot", {"GameName": "kart-league", "SnapshotId": "Snapshot_x"},
     "ValidationException"),
    ("GetStage", {"GameName": "kart-league", "StageName": "nope"}, "ResourceNotFoundException"),
    ("GetStage", {"GameName": "kart-league", "StageName": "s" * 37}, "ValidationException"),
    ("GetStageDeployment", {"GameName": "kart-league", "StageName": "dev", "DeploymentId": JOB},
     "ResourceNotFoundException"),
    ("GetStageDeployment", {"GameName": "kart-league", "StageName": "dev",
                            "DeploymentId": " padded "}, "ValidationException"),
    ("ImportGameConfiguration", {"GameName": "nope",
                                 "ImportSource": {"File": b'{"Sections": {}}'}},
     "ResourceNotFoundException"),
    ("ImportGameConfiguration", {"GameName": "kart-league",
                                 "ImportSource": {"File": b'{"Sections": []}'}},
     "ValidationException"),
    ("ImportGameConfiguration", {"GameName": "kart-league", "ImportSource": {"File": _file(
        {"Sections": {"S": {"Attributes": "x" * (MAX_CONFIG_BYTES + 1)}}})}},
     "ServiceQuotaExceededException"),
    ("ListExtensionVersions", {"Namespace": "Aws", "Name": "Nope"}, "ResourceNotFoundException"),
    ("ListExtensionVersions", {"Namespace": "Aws", "Name": "S3", "MaxResults": 101},
     "ValidationException"),
    ("ListExtensions", {"NextToken": "garbage"}, "ValidationException"),
    ("ListGames", {"MaxResults": 101}, "ValidationException"),
    ("ListGeneratedCodeJobs", {"GameName": "kart-league", "SnapshotId": SID},
     "ResourceNotFoundException"),
    ("ListGeneratedCodeJobs", {"GameName": "kart-league", "SnapshotId": SID, "MaxResults": 0},
     "ValidationException"),
    ("ListSnapshots", {"GameName": "nope"}, "ResourceNotFoundException"),
    ("ListSnapshots", {"GameName": "kart-league", "NextToken": "garbage"},
     "ValidationException"),
    ("ListStageDeployments", {"GameName": "kart-league", "StageName": "nope"},
     "ResourceNotFoundException"),
    ("ListStageDeployments", {"GameName": "kart-league", "StageName": "dev", "MaxResults": 0},
     "ValidationException"),
    ("ListStages", {"GameName": "nope"}, "ResourceNotFoundException"),
    ("ListStages", {"GameName": "kart-league", "MaxResults": 1000}, "ValidationException"),
    ("ListTagsForResource", {"ResourceArn": GAME_ARN}, "ResourceNotFoundException"),
    ("ListTagsForResource", {"ResourceArn": "arn:aws:s3:::bucket/key"}, "ValidationException"),
    ("StartGeneratedCodeJob", {"GameName": "kart-league", "SnapshotId": SID,
                               "Generator": {"TargetPlatform": "Unity"}},
     "ResourceNotFoundException"),
    ("StartGeneratedCodeJob", {"GameName": "kart-league", "SnapshotId": SID,
                               "Generator": {"GameSdkVersion": "v1"}}, "ValidationException"),
    ("StartStageDeployment", {"GameName": "kart-league", "StageName": "dev", "SnapshotId": SID},
     "ResourceNotFoundException"),
    ("StartStageDeployment", {"GameName": "kart-league", "StageName": "dev", "SnapshotId": SID,
                              "ClientToken": "t" * 127}, "ValidationException"),
    ("TagResource", {"ResourceArn": GAME_ARN, "tags": {"a": "b"}}, "ResourceNotFoundException"),
    ("TagResource", {"ResourceArn": GAME_ARN.replace("no-such-game", "kart-league"),
                     "tags": {f"k{i}": "v" for i in range(51)}}, "ValidationException"),
    ("UntagResource", {"ResourceArn": GAME_ARN, "tagKeys": ["a"]}, "ResourceNotFoundException"),
    ("UntagResource", {"ResourceArn": GAME_ARN, "tagKeys": []}, "ValidationException"),
    ("UpdateGame", {"GameName": "nope"}, "ResourceNotFoundException"),
    ("UpdateGame", {"GameName": "kart-league", "Description": "x "}, "ValidationException"),
    ("UpdateGameConfiguration", {"GameName": "nope", "Modifications": [
        {"Operation": "ADD", "Section": "S", "Path": "/a", "Value": 1}]},
     "ResourceNotFoundException"),
    ("UpdateGameConfiguration", {"GameName": "kart-league", "Modifications": [
        {"Operation": "REPLACE", "Section": "NoSuchSection", "Path": "/a", "Value": 1}]},
     "ValidationException"),
    ("UpdateGameConfiguration", {"GameName": "kart-league", "Modifications": [
        {"Operation": "ADD", "Section": "S", "Path": "/a", "Value": "x" * MAX_CONFIG_BYTES}]},
     "ServiceQuotaExceededException"),
    ("UpdateSnapshot", {"GameName": "kart-league", "SnapshotId": SID},
     "ResourceNotFoundException"),
    ("UpdateSnapshot", {"GameName": "kart-league", "SnapshotId": SID,
                        "Description": "d" * 251}, "ValidationException"),
    ("UpdateStage", {"GameName": "kart-league", "StageName": "nope"},
     "ResourceNotFoundException"),
    ("UpdateStage", {"GameName": "kart-league", "StageName": "dev", "Role": "arn:aws:iam::x"},
     "ValidationException"),
]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_error_cases_cover_every_operation() -> None:
    """Each operation's Validation case, and its ResourceNotFound, Conflict and quota cases
    wherever its model lists them and the simulator can be driven there."""
    covered: dict[str, set[str]] = {}
    for operation, _, code in ERROR_CASES:
        covered.setdefault(operation, set()).add(code)
    assert set(covered) == set(OPERATIONS)
    for operation in OPERATIONS:
        drivable = modelled_errors(operation) & {"ValidationException",
                                                 "ResourceNotFoundException",
                                                 "ServiceQuotaExceededException"}
        if operation in ("CreateGame",):
            drivable -= {"ServiceQuotaExceededException"}  # test_games_quota drives it
        if operation in ("ListGames", "ListExtensions"):
            drivable -= {"ResourceNotFoundException"}
        assert drivable <= covered[operation], operation


@pytest.mark.parametrize(("operation", "kwargs", "expected"), ERROR_CASES,
                         ids=[f"{op}-{code}" for op, _, code in ERROR_CASES])
def test_each_error_is_one_the_model_lists(raw: Any, world: World, operation: str,
                                           kwargs: dict[str, Any], expected: str) -> None:
    listed = {e.name for e in raw.meta.service_model.operation_model(operation).error_shapes}
    assert expected in listed  # the case itself must be a modelled answer
    before = len(world.mutations())
    with pytest.raises(ClientError) as err:
        getattr(raw, _snake(operation))(**kwargs)
    code, status, _ = _error(err)
    assert (code, status) == (expected, MODEL["shapes"][expected]["error"]["httpStatusCode"])
    assert len(world.mutations()) == before


def _raise_sites() -> dict[str, set[str]]:
    """The error codes each ``_op_*`` handler of tui/sim/gamesparks.py can raise: SimError
    codes written in it or in any function or method of the module it calls, transitively
    (``_invalid`` and ``_check_pattern`` raise ValidationException)."""
    tree = ast.parse(Path(gs_module.__file__).read_text())
    functions: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            functions.setdefault(node.name, node)
    direct: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, node in functions.items():
        direct[name], calls[name] = set(), set()
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call):
                continue
            func = sub.func
            callee = (func.attr if isinstance(func, ast.Attribute) else
                      func.id if isinstance(func, ast.Name) else None)
            if callee == "SimError":
                first = sub.args[0]
                assert isinstance(first, ast.Constant), f"{name}: a SimError code not literal"
                direct[name].add(first.value)
            elif callee in functions:
                calls[name].add(callee)
    direct["_invalid"].add("ValidationException")

    def closure(name: str, seen: set[str]) -> set[str]:
        seen.add(name)
        codes = set(direct[name])
        for callee in calls[name] - seen:
            codes |= closure(callee, seen)
        return codes

    return {name[4:]: closure(name, set()) | closure("validate", set())
            for name in functions if name.startswith("_op_")}


def test_raise_sites_only_raise_modelled_errors() -> None:
    sites = _raise_sites()
    assert set(sites) == set(OPERATIONS)
    for operation, codes in sites.items():
        assert codes, operation
        assert codes <= modelled_errors(operation), (operation, codes - modelled_errors(operation))
    # The reading is not vacuous: the handlers that hit a quota do raise it.
    assert "ServiceQuotaExceededException" in sites["CreateGame"]
    assert "ServiceQuotaExceededException" in sites["UpdateGameConfiguration"]
    assert "ResourceNotFoundException" not in sites["DeleteGame"]


# --- plain boto3 ------------------------------------------------------------------------------


def test_plain_boto3_with_the_bundled_data_path(world: World) -> None:
    """botocore's documented AWS_DATA_PATH puts the bundled model on the loader path of a
    plain ``boto3.client("gamesparks")``, in a fresh interpreter."""
    script = (
        "import json, boto3\n"
        f"c = boto3.client('gamesparks', region_name='us-west-2', endpoint_url='"
        f"{world.endpoint_url}', aws_access_key_id='AKIDTEST', aws_secret_access_key='s')\n"
        "names = sorted(g['Name'] for p in c.get_paginator('list_games').paginate("
        "PaginationConfig={'PageSize': 1}) for g in p['Games'])\n"
        "try:\n"
        "    c.create_stage(GameName='kart-league', StageName='x', "
        "Role='arn:aws:iam::123456789012:user/not-a-role')\n"
        "    error = None\n"
        "except c.exceptions.ValidationException as err:\n"
        "    error = err.response['Error']['Code']\n"
        "print(json.dumps({'games': names, 'error': error}))\n")
    env = {**os.environ, "AWS_DATA_PATH": str(DATA_PATH), "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"games": ["kart-league", "space-raiders"],
                                       "error": "ValidationException"}
    assert world.mutations("CreateStage") == []
