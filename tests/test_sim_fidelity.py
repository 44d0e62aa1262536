"""The simulator's GameLift behaves as the seeds say (issue 17, part 2), through plain boto3.

Each test quotes the sentence of the seed (``../shared/seeds``) it follows; where a seed is
silent the choice is named in the README's simulator section. Every test gets a private frozen
world (``world`` fixture), so what it finds is what it did.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.simctl import World

pytestmark = pytest.mark.world(sessions=400)


def _client(world: World) -> Any:
    return boto3.client(
        "gamelift", endpoint_url=world.endpoint_url, region_name="us-west-2",
        aws_access_key_id="AKIDFIDELITY", aws_secret_access_key="not-a-secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def _fleet(client: Any, name: str) -> dict[str, Any]:
    ids = client.list_fleets()["FleetIds"]
    attributes = client.describe_fleet_attributes(FleetIds=ids)["FleetAttributes"]
    return next(f for f in attributes if f["Name"] == name)


def _create(world: World, client: Any, props: dict[str, str], fleet: str = "arena-canary",
            **extra: Any) -> str:
    """A new game session with ``props``, ACTIVE (searched sessions must be active)."""
    session = client.create_game_session(
        FleetId=_fleet(client, fleet)["FleetId"], MaximumPlayerSessionCount=8,
        GameProperties=[{"Key": k, "Value": v} for k, v in props.items()], **extra,
    )["GameSession"]
    world.advance(30)
    return str(session["GameSessionId"])


def _search_all(client: Any, fleet_id: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator("search_game_sessions").paginate(FleetId=fleet_id, **params):
        found += page["GameSessions"]
    return found


def _ids(sessions: list[dict[str, Any]]) -> list[str]:
    return [s["GameSessionId"] for s in sessions]


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", text)
    return buffer.getvalue()


# --- SearchGameSessions ----------------------------------------------------------------------


def test_keys_with_periods_cannot_be_searched_and_leave_search_results(world: World) -> None:
    # Seed 001: "Property keys containing periods cannot be searched and will be filtered out
    # from search results due to search index limitations."
    client = _client(world)
    session_id = _create(world, client, {"ui.theme": "dark", "mode": "fidelity"})
    fleet_id = _fleet(client, "arena-canary")["FleetId"]
    dotted = "gameSessionProperties.ui.theme = 'dark'"
    assert _search_all(client, fleet_id, FilterExpression=dotted) == []
    plain = "gameSessionProperties.mode = 'fidelity'"
    found = _search_all(client, fleet_id, FilterExpression=plain)
    assert _ids(found) == [session_id]
    assert found[0]["GameProperties"] == [{"Key": "mode", "Value": "fidelity"}]
    # DescribeGameSessions still shows the property: only search leaves it out.
    described = client.describe_game_sessions(GameSessionId=session_id)["GameSessions"][0]
    assert {"Key": "ui.theme", "Value": "dark"} in described["GameProperties"]


@pytest.mark.parametrize("expression", [
    "maximumSessions = 'ten'",
    "hasAvailablePlayerSessions = 1",
    "playerSessionCount > true",
    "gameSessionProperties.mode > 3",
])
def test_a_value_of_the_wrong_type_is_refused(world: World, expression: str) -> None:
    # Seed 004: "Values may be numbers, boolean values (true/false) or strings depending on the
    # operand ... Boolean and string values can only be used with the comparators = and <>."
    client = _client(world)
    fleet_id = _fleet(client, "arena-prod")["FleetId"]
    with pytest.raises(ClientError) as info:
        client.search_game_sessions(FleetId=fleet_id, FilterExpression=expression)
    assert _code(info) == "InvalidRequestException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_without_a_sort_expression_the_order_is_random(world: World) -> None:
    # Seed 004: "If no sort expression is included, the request returns results in random
    # order."
    client = _client(world)
    fleet_id = _fleet(client, "arena-prod")["FleetId"]
    first = _ids(_search_all(client, fleet_id))
    second = _ids(_search_all(client, fleet_id))
    active = [s for s in world.sessions(fleet_id).values() if s["Status"] == "ACTIVE"]
    assert len(first) == len(set(first)) == len(active) > 40  # every page of one search holds
    assert set(first) == set(second) == {s["GameSessionId"] for s in active}
    assert first != second
    # With a sort expression the order is the sort's, every time.
    by_age = _ids(_search_all(client, fleet_id, SortExpression="creationTimeMillis ASC"))
    assert by_age == _ids(_search_all(client, fleet_id, SortExpression="creationTimeMillis ASC"))


def test_unequal_and_not_equal_agree_on_sessions_without_the_key(world: World) -> None:
    # Seed 004: "use the logical keywords AND, OR, and NOT"; the seed is silent on a missing
    # key, so the simulator treats it as unequal to every value: `<>` and `NOT =` agree.
    client = _client(world)
    with_key = _create(world, client, {"event": "winter-cup"})
    other_value = _create(world, client, {"event": "spring-cup"})
    without_key = _create(world, client, {"mode": "casual"})
    fleet_id = _fleet(client, "arena-canary")["FleetId"]
    unequal = set(_ids(_search_all(client, fleet_id,
                                   FilterExpression="gameSessionProperties.event <> 'winter-cup'")))
    negated = set(_ids(_search_all(
        client, fleet_id, FilterExpression="NOT gameSessionProperties.event = 'winter-cup'")))
    assert unequal == negated
    assert {other_value, without_key} <= unequal and with_key not in unequal


def test_keys_of_any_characters_can_be_searched_escaped(world: World) -> None:
    # Seed 004: "Special characters must be escaped." A key's special characters take a
    # backslash too, so a key the grammar could not read before is searchable.
    client = _client(world)
    session_id = _create(world, client, {"team size": "5v5", "mode:alt": "x"})
    fleet_id = _fleet(client, "arena-canary")["FleetId"]
    assert _ids(_search_all(client, fleet_id,
                            FilterExpression=r"gameSessionProperties.team\ size = '5v5'")) == [
        session_id]
    assert _ids(_search_all(client, fleet_id,
                            FilterExpression=r"gameSessionProperties.mode\:alt = 'x'")) == [
        session_id]


# --- game sessions ---------------------------------------------------------------------------


@pytest.mark.world(sessions=3000)
def test_interrupted_sessions_are_only_on_spot_fleets(world: World) -> None:
    # Seed 004: "INTERRUPTED -- The game session was hosted on an EC2 Spot instance that was
    # reclaimed, causing the active game session to be stopped."
    client = _client(world)
    types = {f["FleetId"]: f["FleetType"] for f in client.describe_fleet_attributes(
        FleetIds=client.list_fleets()["FleetIds"])["FleetAttributes"]}
    interrupted = [s for s in world.sessions().values() if s.get("StatusReason") == "INTERRUPTED"]
    assert interrupted  # the demo's Spot fleet has some
    assert {types[s["FleetId"]] for s in interrupted} == {"SPOT"}


def test_dns_names_and_addresses_have_the_documented_forms(world: World) -> None:
    # Seed 004: "TLS-enabled fleets: <unique identifier>.<region identifier>.amazongamelift.com.
    # Non-TLS-enabled fleets: ec2-<unique identifier>.compute.amazonaws.com."
    client = _client(world)
    fleets = client.describe_fleet_attributes(FleetIds=client.list_fleets()["FleetIds"])
    tls = {f["FleetId"]: f["CertificateConfiguration"]["CertificateType"] == "GENERATED"
           for f in fleets["FleetAttributes"]}
    assert set(tls.values()) == {True, False}
    ip_pattern = re.compile(r"^[0-9A-Fa-f\:\.]+$")  # botocore's IpAddress shape
    for fleet_id, enabled in tls.items():
        sessions = client.describe_game_sessions(FleetId=fleet_id)["GameSessions"]
        assert sessions
        for session in sessions:
            assert ip_pattern.match(session["IpAddress"])
            assert not session["IpAddress"].startswith(("10.", "192.168.", "172."))
            if enabled:
                assert re.fullmatch(rf"[0-9a-z]+\.{re.escape(session['Location'])}"
                                    r"\.amazongamelift\.com", session["DnsName"])
            else:
                assert session["DnsName"] == (
                    "ec2-" + session["IpAddress"].replace(".", "-") + ".compute.amazonaws.com")


def test_one_create_a_second_per_creator(world: World) -> None:
    # Seed 004: "Amazon GameLift limits the number of game session creation requests with the
    # same CreatorId in a specified time period."
    client = _client(world)
    fleet_id = _fleet(client, "arena-prod")["FleetId"]
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, CreatorId="p-1")
    with pytest.raises(ClientError) as info:
        client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, CreatorId="p-1")
    assert _code(info) == "LimitExceededException"
    # Another creator, or none ("To not limit CreateGameSession requests with the same
    # CreatorId, don't provide a CreatorId"), is not held back; a second later p-1 may again.
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, CreatorId="p-2")
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4)
    world.advance(1)
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, CreatorId="p-1")
    assert len(world.mutations("CreateGameSession")) == 4


def test_a_fleets_resource_creation_limit_policy_requires_and_counts_the_creator(
        world: World) -> None:
    # Seed 004: "If you add a resource creation limit policy to a fleet, the CreateGameSession
    # operation requires a CreatorId. Amazon GameLift limits the number of game session
    # creation requests with the same CreatorId in a specified time period."
    client = _client(world)
    fleet_id = _fleet(client, "arena-canary")["FleetId"]
    client.update_fleet_attributes(FleetId=fleet_id, ResourceCreationLimitPolicy={
        "NewGameSessionsPerCreator": 2, "PolicyPeriodInMinutes": 10})
    described = client.describe_fleet_attributes(FleetIds=[fleet_id])["FleetAttributes"][0]
    assert described["ResourceCreationLimitPolicy"] == {
        "NewGameSessionsPerCreator": 2, "PolicyPeriodInMinutes": 10}
    with pytest.raises(ClientError) as info:
        client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4)
    assert _code(info) == "InvalidRequestException" and "CreatorId" in str(info.value)
    for _ in range(2):
        client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4,
                                   CreatorId="p-1")
        world.advance(2)  # not the one-a-second rule: that applies only without a policy
    with pytest.raises(ClientError) as info:
        client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4,
                                   CreatorId="p-1")
    assert _code(info) == "LimitExceededException"
    # Another creator has its own count; the first may create again once the period is over.
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, CreatorId="p-2")
    world.advance(10 * 60)
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4, CreatorId="p-1")
    # Taking the policy away lifts the requirement.
    client.update_fleet_attributes(FleetId=fleet_id, ResourceCreationLimitPolicy={
        "NewGameSessionsPerCreator": 0, "PolicyPeriodInMinutes": 0})
    client.create_game_session(FleetId=fleet_id, MaximumPlayerSessionCount=4)
    assert [m["operation"] for m in world.mutations()].count("CreateGameSession") == 5


def test_a_fleet_that_is_not_active_refuses_new_sessions(world: World) -> None:
    # CreateGameSession's error list (seed 004) has InvalidFleetStatusException.
    client = _client(world)
    fleet = _fleet(client, "arena-canary")
    world.fleet_status(fleet["FleetId"], "DELETING")
    with pytest.raises(ClientError) as info:
        client.create_game_session(FleetId=fleet["FleetId"], MaximumPlayerSessionCount=4)
    assert _code(info) == "InvalidFleetStatusException"
    assert "DELETING" in info.value.response["Error"]["Message"]
    assert world.mutations("CreateGameSession") == []


def test_an_idempotency_token_names_one_game_session(world: World) -> None:
    # Seed 004: "Idempotency tokens remain in use for 30 days after a game session has ended";
    # a token already used on one fleet is a conflict on another (ConflictException).
    client = _client(world)
    token = f"fidelity-{uuid.uuid4().hex[:12]}"
    first = client.create_game_session(FleetId=_fleet(client, "arena-prod")["FleetId"],
                                       MaximumPlayerSessionCount=4, IdempotencyToken=token)
    with pytest.raises(ClientError) as info:
        client.create_game_session(FleetId=_fleet(client, "arena-canary")["FleetId"],
                                   MaximumPlayerSessionCount=4, IdempotencyToken=token)
    assert _code(info) == "ConflictException"
    assert first["GameSession"]["GameSessionId"] in info.value.response["Error"]["Message"]
    assert len(world.mutations("CreateGameSession")) == 1


def test_a_region_gamelift_is_not_offered_in(world: World) -> None:
    # DescribeGameSessions, SearchGameSessions and CreateGameSession list
    # UnsupportedRegionException (seed 004).
    client = _client(world)
    fleet_id = _fleet(client, "arena-prod")["FleetId"]
    for call in (lambda: client.describe_game_sessions(FleetId=fleet_id, Location="il-central-1"),
                 lambda: client.search_game_sessions(FleetId=fleet_id, Location="il-central-1"),
                 lambda: client.create_game_session(FleetId=fleet_id, Location="il-central-1",
                                                    MaximumPlayerSessionCount=2)):
        with pytest.raises(ClientError) as info:
            call()
        assert _code(info) == "UnsupportedRegionException"
    # A Region GameLift offers that the fleet does not reach is the request's fault.
    with pytest.raises(ClientError) as info:
        client.describe_game_sessions(FleetId=fleet_id, Location="sa-east-1")
    assert _code(info) == "InvalidRequestException"


def test_a_graceful_terminate_fails_when_the_server_does_not_end_the_process(
        world: World) -> None:
    # Seed 004: "If the server process doesn't call ProcessEnding(), this termination method
    # won't be successful." The demo's Spot fleet on build 1.42.0 is such a server.
    client = _client(world)
    spot = _fleet(client, "battle-royale-spot")["FleetId"]
    stubborn = next(
        s for s in world.sessions(spot).values() if s["Status"] == "ACTIVE"
        and {"Key": "build", "Value": "1.42.0"} in s["GameProperties"])
    answer = client.terminate_game_session(GameSessionId=stubborn["GameSessionId"],
                                           TerminationMode="TRIGGER_ON_PROCESS_TERMINATE")
    assert answer["GameSession"]["Status"] == "TERMINATING"
    world.advance(60)
    after = client.describe_game_sessions(GameSessionId=stubborn["GameSessionId"])
    assert after["GameSessions"][0]["Status"] == "ACTIVE"
    # FORCE_TERMINATE "Prompts the game session to shut down without waiting for the server".
    client.terminate_game_session(GameSessionId=stubborn["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")
    world.advance(60)
    ended = client.describe_game_sessions(GameSessionId=stubborn["GameSessionId"])
    assert (ended["GameSessions"][0]["Status"],
            ended["GameSessions"][0]["StatusReason"]) == ("TERMINATED", "FORCE_TERMINATED")


def test_player_sessions_by_player_and_by_player_session(world: World) -> None:
    # DescribePlayerSessions takes GameSessionId, PlayerId or PlayerSessionId (botocore's
    # model); one of them, not several.
    client = _client(world)
    busy = next(s for s in world.sessions().values()
                if s["Status"] == "ACTIVE" and s["CurrentPlayerSessionCount"] >= 2)
    players = client.describe_player_sessions(GameSessionId=busy["GameSessionId"])
    one = players["PlayerSessions"][1]
    by_id = client.describe_player_sessions(PlayerSessionId=one["PlayerSessionId"])
    assert by_id["PlayerSessions"] == [one]
    by_player = client.describe_player_sessions(PlayerId=one["PlayerId"])["PlayerSessions"]
    assert one in by_player and {p["PlayerId"] for p in by_player} == {one["PlayerId"]}
    with pytest.raises(ClientError) as info:
        client.describe_player_sessions(PlayerSessionId="psess-00000000-0000-0000-0000-00000000")
    assert _code(info) == "NotFoundException"
    with pytest.raises(ClientError) as info:
        client.describe_player_sessions(GameSessionId=busy["GameSessionId"],
                                        PlayerId=one["PlayerId"])
    assert _code(info) == "InvalidRequestException"


# --- UpdateScript ----------------------------------------------------------------------------

ROLE = "arn:aws:iam::123456789012:role/gamelift-s3"


def _script_id(client: Any) -> str:
    return str(client.list_scripts()["Scripts"][0]["ScriptId"])


def test_a_zip_upload_lands_in_a_gamelift_owned_location(world: World) -> None:
    # Seed 000: "If the script file was uploaded from a local zip file, the storage location
    # reflects an S3 location controls by the Amazon GameLift Servers service."
    client = _client(world)
    body = _zip("// zipped\n")
    script = client.update_script(ScriptId=_script_id(client), ZipFile=body)["Script"]
    location = script["StorageLocation"]
    assert location["Bucket"] == "prod-gamescale-scripts-us-west-2"
    assert location["Key"].startswith(f"123456789012/{script['ScriptId']}/")
    assert "RoleArn" not in location
    assert script["SizeOnDisk"] == len(body)


def test_an_s3_update_takes_the_objects_size_and_needs_a_role(world: World) -> None:
    # Seed 000: "The storage location must specify the Amazon S3 bucket name, the zip file name
    # (the "key"), and a role ARN that allows Amazon GameLift Servers to access the Amazon S3
    # storage location ... if you have S3 object versioning turned on, you can use the
    # ObjectVersion parameter to specify an earlier version."
    client = _client(world)
    script_id = _script_id(client)
    before = client.describe_script(ScriptId=script_id)["Script"]
    old = world.put_object("game-scripts", "arena/2.0.zip", _zip("// old\n"))
    new_body = _zip("// the new one, longer than the old one was\n" * 20)
    world.put_object("game-scripts", "arena/2.0.zip", new_body)
    with pytest.raises(ClientError) as info:
        client.update_script(ScriptId=script_id,
                             StorageLocation={"Bucket": "game-scripts", "Key": "arena/2.0.zip"})
    assert _code(info) == "InvalidRequestException" and "RoleArn" in str(info.value)
    location = {"Bucket": "game-scripts", "Key": "arena/2.0.zip", "RoleArn": ROLE}
    latest = client.update_script(ScriptId=script_id, StorageLocation=location)["Script"]
    assert latest["SizeOnDisk"] == len(new_body) != before["SizeOnDisk"]
    assert latest["StorageLocation"] == location
    earlier = client.update_script(ScriptId=script_id,
                                   StorageLocation={**location, "ObjectVersion": old})["Script"]
    assert earlier["SizeOnDisk"] == len(_zip("// old\n"))
    with pytest.raises(ClientError) as info:
        client.update_script(ScriptId=script_id,
                             StorageLocation={**location, "Key": "arena/missing.zip"})
    assert _code(info) == "InvalidRequestException"
    assert client.describe_script(ScriptId=script_id)["Script"]["SizeOnDisk"] == earlier[
        "SizeOnDisk"]


def test_zip_file_and_storage_location_together_are_refused(world: World) -> None:
    # Seed 000: "provide an updated zip file by pointing to either a local file or an Amazon S3
    # bucket location."
    client = _client(world)
    script_id = _script_id(client)
    world.put_object("game-scripts", "both.zip", _zip("// s3\n"))
    with pytest.raises(ClientError) as info:
        client.update_script(ScriptId=script_id, ZipFile=_zip("// local\n"),
                             StorageLocation={"Bucket": "game-scripts", "Key": "both.zip",
                                              "RoleArn": ROLE})
    assert _code(info) == "InvalidRequestException"
    assert world.mutations("UpdateScript") == []


def test_delete_script_removes_the_record_and_its_fleets_turn_error(world: World) -> None:
    # DeleteScript (API reference): "permanently deletes the script record [...] if the script
    # record no longer exists, the instance will go into an error state and be unable to host
    # game sessions."
    client = _client(world)
    running = next(f for f in world.fleets().values() if f["ScriptId"])
    client.delete_script(ScriptId=running["ScriptId"])
    with pytest.raises(ClientError) as info:
        client.describe_script(ScriptId=running["ScriptId"])
    assert _code(info) == "NotFoundException"
    fleet = client.describe_fleet_attributes(FleetIds=[running["FleetId"]])["FleetAttributes"][0]
    assert fleet["Status"] == "ERROR" and "ScriptId" not in fleet
    with pytest.raises(ClientError) as info:
        client.delete_script(ScriptId=running["ScriptId"])
    assert _code(info) == "NotFoundException"
    assert [m["operation"] for m in world.mutations()] == ["DeleteScript"]
