"""Checks the project's own botocore model for Amazon GameSparks.

botocore dropped GameSparks after 1.31, so the project ships
``tui/aws/data/gamesparks/2021-08-17/{service-2,paginators-1}.json``: the public model of
botocore 1.31.0, verbatim (Apache-2.0; see the NOTICE beside it). These tests compare that
model with the HTTP bindings in the shared wire facts, with the error lists of seed 002 (the
boto3 GameSparks client reference) and, when the package index can be reached, with the model
inside the botocore 1.31.0 wheel itself; and they make sure botocore can build a client,
paginators, requests and parse responses with it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import botocore.handlers
import botocore.parsers
import botocore.serialize
import botocore.session
import pytest
from botocore.awsrequest import HeadersDict
from botocore.exceptions import ParamValidationError

DATA_PATH = Path(__file__).resolve().parents[1] / "tui" / "aws" / "data"
MODEL_DIR = DATA_PATH / "gamesparks" / "2021-08-17"

RAW_MODEL = json.loads((MODEL_DIR / "service-2.json").read_text())
SEED_002 = Path("/work/shared/seeds/002_5147253955afd53c.txt")
PUBLIC_VERSION = "1.31.0"  # the last botocore that shipped GameSparks

SNAPSHOT_ID = "Snapshot_2022-05-19T10:11:12.123Z"

# operation -> (method, requestUri, {member: (location, required)})
# location: "uri", "querystring" or "body"; taken from the wire-facts table.
U, Q, B = "uri", "querystring", "body"
OPERATIONS: dict[str, tuple[str, str, dict[str, tuple[str, bool]]]] = {
    "CreateGame": (
        "POST",
        "/game",
        {
            "ClientToken": (B, False),
            "Description": (B, False),
            "GameName": (B, True),
            "Tags": (B, False),
        },
    ),
    "CreateSnapshot": (
        "POST",
        "/game/{GameName}/snapshot",
        {"Description": (B, False), "GameName": (U, True)},
    ),
    "CreateStage": (
        "POST",
        "/game/{GameName}/stage",
        {
            "ClientToken": (B, False),
            "Description": (B, False),
            "GameName": (U, True),
            "Role": (B, True),
            "StageName": (B, True),
            "Tags": (B, False),
        },
    ),
    "DeleteGame": ("DELETE", "/game/{GameName}", {"GameName": (U, True)}),
    "DeleteStage": (
        "DELETE",
        "/game/{GameName}/stage/{StageName}",
        {"GameName": (U, True), "StageName": (U, True)},
    ),
    "DisconnectPlayer": (
        "POST",
        "/runtime/game/{GameName}/stage/{StageName}/player/{PlayerId}/disconnect",
        {"GameName": (U, True), "PlayerId": (U, True), "StageName": (U, True)},
    ),
    "ExportSnapshot": (
        "GET",
        "/game/{GameName}/snapshot/{SnapshotId}/export",
        {"GameName": (U, True), "SnapshotId": (U, True)},
    ),
    "GetExtension": (
        "GET",
        "/extension/{Namespace}/{Name}",
        {"Name": (U, True), "Namespace": (U, True)},
    ),
    "GetExtensionVersion": (
        "GET",
        "/extension/{Namespace}/{Name}/version/{ExtensionVersion}",
        {"ExtensionVersion": (U, True), "Name": (U, True), "Namespace": (U, True)},
    ),
    "GetGame": ("GET", "/game/{GameName}", {"GameName": (U, True)}),
    "GetGameConfiguration": (
        "GET",
        "/game/{GameName}/configuration",
        {"GameName": (U, True), "Sections": (Q, False)},
    ),
    "GetGeneratedCodeJob": (
        "GET",
        "/game/{GameName}/snapshot/{SnapshotId}/generated-sdk-code-job/{JobId}",
        {"GameName": (U, True), "JobId": (U, True), "SnapshotId": (U, True)},
    ),
    "GetPlayerConnectionStatus": (
        "GET",
        "/runtime/game/{GameName}/stage/{StageName}/player/{PlayerId}/connection",
        {"GameName": (U, True), "PlayerId": (U, True), "StageName": (U, True)},
    ),
    "GetSnapshot": (
        "GET",
        "/game/{GameName}/snapshot/{SnapshotId}",
        {"GameName": (U, True), "SnapshotId": (U, True), "Sections": (Q, False)},
    ),
    "GetStage": (
        "GET",
        "/game/{GameName}/stage/{StageName}",
        {"GameName": (U, True), "StageName": (U, True)},
    ),
    "GetStageDeployment": (
        "GET",
        "/game/{GameName}/stage/{StageName}/deployment",
        {"DeploymentId": (Q, False), "GameName": (U, True), "StageName": (U, True)},
    ),
    "ImportGameConfiguration": (
        "PUT",
        "/game/{GameName}/configuration",
        {"GameName": (U, True), "ImportSource": (B, True)},
    ),
    "ListExtensionVersions": (
        "GET",
        "/extension/{Namespace}/{Name}/version",
        {
            "MaxResults": (Q, False),
            "NextToken": (Q, False),
            "Name": (U, True),
            "Namespace": (U, True),
        },
    ),
    "ListExtensions": (
        "GET",
        "/extension",
        {"MaxResults": (Q, False), "NextToken": (Q, False)},
    ),
    "ListGames": ("GET", "/game", {"MaxResults": (Q, False), "NextToken": (Q, False)}),
    "ListGeneratedCodeJobs": (
        "GET",
        "/game/{GameName}/snapshot/{SnapshotId}/generated-sdk-code-jobs",
        {
            "GameName": (U, True),
            "SnapshotId": (U, True),
            "MaxResults": (Q, False),
            "NextToken": (Q, False),
        },
    ),
    "ListSnapshots": (
        "GET",
        "/game/{GameName}/snapshot",
        {"GameName": (U, True), "MaxResults": (Q, False), "NextToken": (Q, False)},
    ),
    "ListStageDeployments": (
        "GET",
        "/game/{GameName}/stage/{StageName}/deployments",
        {
            "GameName": (U, True),
            "StageName": (U, True),
            "MaxResults": (Q, False),
            "NextToken": (Q, False),
        },
    ),
    "ListStages": (
        "GET",
        "/game/{GameName}/stage",
        {"GameName": (U, True), "MaxResults": (Q, False), "NextToken": (Q, False)},
    ),
    "ListTagsForResource": ("GET", "/tags/{ResourceArn}", {"ResourceArn": (U, True)}),
    "StartGeneratedCodeJob": (
        "POST",
        "/game/{GameName}/snapshot/{SnapshotId}/generated-sdk-code-job",
        {"GameName": (U, True), "SnapshotId": (U, True), "Generator": (B, True)},
    ),
    "StartStageDeployment": (
        "POST",
        "/game/{GameName}/stage/{StageName}/deployment",
        {
            "ClientToken": (B, False),
            "GameName": (U, True),
            "SnapshotId": (B, True),
            "StageName": (U, True),
        },
    ),
    "TagResource": (
        "POST",
        "/tags/{ResourceArn}",
        {"ResourceArn": (U, True), "tags": (B, True)},
    ),
    "UntagResource": (
        "DELETE",
        "/tags/{ResourceArn}",
        {"ResourceArn": (U, True), "tagKeys": (Q, True)},
    ),
    "UpdateGame": (
        "PATCH",
        "/game/{GameName}",
        {"Description": (B, False), "GameName": (U, True)},
    ),
    "UpdateGameConfiguration": (
        "PATCH",
        "/game/{GameName}/configuration",
        {"GameName": (U, True), "Modifications": (B, True)},
    ),
    "UpdateSnapshot": (
        "PATCH",
        "/game/{GameName}/snapshot/{SnapshotId}",
        {"Description": (B, False), "GameName": (U, True), "SnapshotId": (U, True)},
    ),
    "UpdateStage": (
        "PATCH",
        "/game/{GameName}/stage/{StageName}",
        {
            "Description": (B, False),
            "GameName": (U, True),
            "Role": (B, False),
            "StageName": (U, True),
        },
    ),
}

PAGINATORS = {
    "ListExtensionVersions": "ExtensionVersions",
    "ListExtensions": "Extensions",
    "ListGames": "Games",
    "ListGeneratedCodeJobs": "GeneratedCodeJobs",
    "ListSnapshots": "Snapshots",
    "ListStageDeployments": "StageDeployments",
    "ListStages": "Stages",
}

ERRORS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}

COMMON_ERRORS = {
    "AccessDeniedException",
    "InternalServerException",
    "ThrottlingException",
    "ValidationException",
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


@pytest.fixture(scope="module")
def client():
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(DATA_PATH))
    return session.create_client(
        "gamesparks",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )


@pytest.fixture(scope="module")
def model(client):
    return client.meta.service_model


@pytest.fixture(scope="module")
def serializer():
    return botocore.serialize.create_serializer("rest-json", include_validation=True)


def test_files_are_valid_json():
    for name in ("service-2.json", "paginators-1.json"):
        json.loads((MODEL_DIR / name).read_text())


def test_metadata(model):
    assert model.service_name == "gamesparks"
    assert model.api_version == "2021-08-17"
    assert model.protocol == "rest-json"
    assert "protocols" not in model.metadata  # as published: botocore falls back to "protocol"
    assert model.endpoint_prefix == "gamesparks"
    assert model.signing_name == "gamesparks"
    assert model.signature_version == "v4"
    assert model.service_id == "GameSparks"
    assert model.metadata["serviceFullName"] == "GameSparks"
    assert model.metadata["uid"] == "gamesparks-2021-08-17"
    assert model.metadata["jsonVersion"] == "1.1"


def test_operation_set_matches_table(model):
    assert set(model.operation_names) == set(OPERATIONS)


@pytest.mark.parametrize("op_name", sorted(OPERATIONS))
def test_http_binding(model, op_name):
    method, uri, members = OPERATIONS[op_name]
    op = model.operation_model(op_name)
    assert op.http["method"] == method
    assert op.http["requestUri"] == uri
    assert op.http["responseCode"] == 200

    shape = op.input_shape
    assert set(shape.members) == set(members)
    assert set(shape.required_members) == {m for m, (_, req) in members.items() if req}
    for member, (location, _) in members.items():
        ser = shape.members[member].serialization
        if location == B:
            assert "location" not in ser, member
        else:
            assert ser.get("location") == location, member
            # botocore exposes the model's "locationName" as "name"
            assert ser.get("name") == member, member
            raw = RAW_MODEL["shapes"][shape.name]["members"][member]
            assert raw["locationName"] == member, member
        if location == U:
            assert "{" + member + "}" in uri


def _seed_errors(text: str) -> dict[str, set[str]]:
    """Seed 002's exception list per operation: each ``name(**kwargs)`` heading, then the
    ``GameSparks.Client.exceptions.X`` lines under its "Exceptions" heading."""
    errors: dict[str, set[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        heading = re.fullmatch(r"([a-z_]+)\(\*\*kwargs\)", line.strip())
        if heading:
            # The paginators' ``paginate(**kwargs)`` headings close the client's methods.
            current = heading.group(1) if heading.group(1) != "paginate" else None
            if current is not None:
                errors[current] = set()
            continue
        found = re.search(r"GameSparks\.Client\.exceptions\.(\w+)", line)
        if found and current is not None:
            errors[current].add(found.group(1))
    return errors


@pytest.fixture(scope="module")
def seed_errors() -> dict[str, set[str]]:
    if not SEED_002.exists():
        pytest.skip(f"seed 002 (the boto3 GameSparks reference) is not at {SEED_002}")
    return _seed_errors(SEED_002.read_text())


def test_seed_002_lists_every_operation(seed_errors):
    assert set(seed_errors) == {_snake(op) for op in OPERATIONS}
    # A sample of the seed as written, so that a broken parser cannot pass the next test:
    # create_game: "GameSparks.Client.exceptions.ServiceQuotaExceededException" (and no
    # ResourceNotFound); list_tags_for_resource lists only three.
    assert seed_errors["create_game"] == {
        "ValidationException", "AccessDeniedException", "ThrottlingException",
        "ConflictException", "InternalServerException", "ServiceQuotaExceededException"}
    assert seed_errors["list_tags_for_resource"] == {
        "ValidationException", "ResourceNotFoundException", "InternalServerException"}


@pytest.mark.parametrize("op_name", sorted(OPERATIONS))
def test_errors_match_seed_002(model, seed_errors, op_name):
    """Each operation's modelled errors are exactly the "Exceptions" list of its seed entry,
    e.g. delete_game: ValidationException, AccessDeniedException, ThrottlingException,
    ConflictException, InternalServerException (no ResourceNotFoundException)."""
    op = model.operation_model(op_name)
    assert {e.name for e in op.error_shapes} == seed_errors[_snake(op_name)]
    assert {e.name for e in op.error_shapes} <= set(ERRORS)


def test_error_shapes(model, client):
    for name, status in ERRORS.items():
        shape = model.shape_for(name)
        assert shape.metadata["exception"] is True
        assert shape.metadata["error"]["httpStatusCode"] == status
        # As published: client errors carry senderFault, the 500 is a "fault" instead.
        assert shape.metadata["error"].get("senderFault", False) is (status < 500)
        assert RAW_MODEL["shapes"][name].get("fault", False) is (status >= 500)
        assert "Message" in shape.members
        assert hasattr(client.exceptions, name)


def test_client_tokens_are_not_auto_filled(model):
    """The public model's ClientToken is ``{"type": "string", "max": 126, "min": 33}`` with no
    ``idempotencyToken`` trait, so botocore never fills one in: the app passes its own."""
    for op_name in ("CreateGame", "CreateStage", "StartStageDeployment"):
        op = model.operation_model(op_name)
        assert op.idempotent_members == []
        token = op.input_shape.members["ClientToken"]
        assert token.metadata["min"] == 33
        assert token.metadata["max"] == 126


def test_value_constraints(model):
    role = model.operation_model("CreateStage").input_shape.members["Role"].metadata
    # The public model: "RoleARN": {"max": 2048, "min": 20,
    # "pattern": "^arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/.+$"}
    assert role == {"min": 20, "max": 2048,
                    "pattern": r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/.+$"}
    description = model.operation_model("CreateGame").input_shape.members["Description"]
    assert description.metadata == {"min": 0, "max": 250, "pattern": r"^\S(.*\S)?$|^$"}
    tags = model.operation_model("TagResource").input_shape.members["tags"].metadata
    assert (tags["min"], tags["max"]) == (1, 50)
    game = model.operation_model("GetGame").input_shape.members["GameName"].metadata
    assert game == {"min": 1, "max": 36, "pattern": "^[a-zA-Z0-9_-]+$"}
    stage = model.operation_model("GetStage").input_shape.members["StageName"].metadata
    assert stage == {"min": 1, "max": 36, "pattern": "^[a-zA-Z0-9_-]+$"}
    player = model.operation_model("DisconnectPlayer").input_shape.members["PlayerId"].metadata
    assert player == {"min": 1, "max": 44, "pattern": "^[a-zA-Z0-9_-]+$"}
    snap = model.operation_model("GetSnapshot").input_shape.members["SnapshotId"].metadata
    assert snap["pattern"] == r"^Snapshot_\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}Z$"
    for op_name in PAGINATORS:
        limit = model.operation_model(op_name).input_shape.members["MaxResults"]
        assert limit.type_name == "integer"
        assert (limit.metadata["min"], limit.metadata["max"]) == (1, 100)


def test_output_shapes(model):
    def out(op_name):
        return model.operation_model(op_name).output_shape

    game = out("GetGame").members["Game"]
    assert set(game.members) == {
        "Arn", "Created", "Description", "EnableTerminationProtection",
        "LastUpdated", "Name", "State", "Tags",
    }  # fmt: skip
    assert game.members["State"].enum == ["ACTIVE", "DELETING"]
    assert game.members["Created"].type_name == "timestamp"
    assert game.members["Created"].serialization["timestampFormat"] == "iso8601"

    stage = out("GetStage").members["Stage"]
    assert set(stage.members) == {
        "Arn", "Created", "Description", "GameKey", "LastUpdated",
        "LogGroup", "Name", "Role", "State", "Tags",
    }  # fmt: skip

    for op_name in ("GetStageDeployment", "StartStageDeployment"):
        dep = out(op_name).members["StageDeployment"]
        assert set(dep.members) == {
            "Created", "DeploymentAction", "DeploymentId", "DeploymentResult",
            "DeploymentState", "LastUpdated", "SnapshotId",
        }  # fmt: skip
        assert dep.members["DeploymentAction"].enum == ["DEPLOY", "UNDEPLOY"]
        assert dep.members["DeploymentState"].enum == [
            "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED",
        ]  # fmt: skip
        result = dep.members["DeploymentResult"]
        assert set(result.members) == {"Message", "ResultCode"}
        assert result.members["ResultCode"].enum == [
            "SUCCESS", "INVALID_ROLE_FAILURE", "UNSPECIFIED_FAILURE",
        ]  # fmt: skip

    summaries = out("ListStageDeployments").members["StageDeployments"]
    assert summaries.type_name == "list"
    assert "Created" not in summaries.member.members
    assert "DeploymentResult" in summaries.member.members

    snapshot = out("GetSnapshot").members["Snapshot"]
    assert set(snapshot.members) == {"Created", "Description", "Id", "LastUpdated", "Sections"}
    section = snapshot.members["Sections"].value
    assert set(section.members) == {"Attributes", "Name", "Size"}
    assert section.members["Attributes"].is_document_type
    assert set(out("ListSnapshots").members["Snapshots"].member.members) == {
        "Created", "Description", "Id", "LastUpdated",
    }  # fmt: skip

    config = out("GetGameConfiguration").members["GameConfiguration"]
    assert set(config.members) == {"Created", "LastUpdated", "Sections"}

    assert set(out("ExportSnapshot").members) == {"S3Url"}
    conns = out("GetPlayerConnectionStatus").members["Connections"]
    assert set(conns.member.members) == {"Created", "Id"}
    assert set(out("DisconnectPlayer").members) == {"DisconnectFailures", "DisconnectSuccesses"}
    assert set(out("ListTagsForResource").members) == {"tags"}
    assert set(out("StartGeneratedCodeJob").members) == {"GeneratedCodeJobId"}
    job = out("GetGeneratedCodeJob").members["GeneratedCodeJob"]
    assert job.members["Status"].enum == ["IN_PROGRESS", "COMPLETED", "FAILED", "PENDING"]
    for empty in ("DeleteGame", "DeleteStage", "TagResource", "UntagResource"):
        assert out(empty).members == {}

    source = model.operation_model("ImportGameConfiguration").input_shape.members["ImportSource"]
    assert source.members["File"].type_name == "blob"
    mods = model.operation_model("UpdateGameConfiguration").input_shape.members["Modifications"]
    assert mods.member.members["Value"].is_document_type
    assert mods.member.members["Operation"].enum == ["ADD", "REMOVE", "REPLACE"]
    assert set(mods.member.required_members) == {"Operation", "Path", "Section"}


def test_paginators(client):
    paginator_config = json.loads((MODEL_DIR / "paginators-1.json").read_text())["pagination"]
    assert set(paginator_config) == set(PAGINATORS)
    for op_name, result_key in PAGINATORS.items():
        cfg = paginator_config[op_name]
        assert cfg == {
            "input_token": "NextToken",
            "output_token": "NextToken",
            "limit_key": "MaxResults",
            "result_key": result_key,
        }
        method = _snake(op_name)
        assert client.can_paginate(method), method
        paginator = client.get_paginator(method)
        assert paginator.result_keys[0].expression == result_key
    assert not client.can_paginate("get_game")


def test_client_methods(client):
    for op_name in OPERATIONS:
        assert callable(getattr(client, _snake(op_name)))


def test_serialize_start_stage_deployment(model, serializer):
    op = model.operation_model("StartStageDeployment")
    params = {"GameName": "my-game", "StageName": "prod", "SnapshotId": SNAPSHOT_ID}
    botocore.handlers.generate_idempotent_uuid(params, op)
    assert "ClientToken" not in params  # no idempotencyToken trait in the public model
    params["ClientToken"] = "0123456789abcdef0123456789abcdef-01"
    req = serializer.serialize_to_request(params, op)
    assert req["method"] == "POST"
    assert req["url_path"] == "/game/my-game/stage/prod/deployment"
    assert req["query_string"] == {}
    body = json.loads(req["body"])
    assert body == {"SnapshotId": SNAPSHOT_ID, "ClientToken": params["ClientToken"]}


def test_serialize_get_stage_deployment(model, serializer):
    op = model.operation_model("GetStageDeployment")
    req = serializer.serialize_to_request(
        {"GameName": "my-game", "StageName": "prod", "DeploymentId": "dep-1"}, op
    )
    assert req["method"] == "GET"
    assert req["url_path"] == "/game/my-game/stage/prod/deployment"
    assert req["query_string"] == {"DeploymentId": "dep-1"}
    assert req["body"] == b""


def test_serialize_list_stage_deployments(model, serializer):
    op = model.operation_model("ListStageDeployments")
    req = serializer.serialize_to_request(
        {"GameName": "my-game", "StageName": "prod", "MaxResults": 5, "NextToken": "tok"}, op
    )
    assert req["method"] == "GET"
    assert req["url_path"] == "/game/my-game/stage/prod/deployments"
    assert {k: str(v) for k, v in req["query_string"].items()} == {
        "MaxResults": "5",
        "NextToken": "tok",
    }
    assert req["body"] == b""


def test_serialize_untag_resource(model, serializer):
    op = model.operation_model("UntagResource")
    arn = "arn:aws:gamesparks:us-east-1:123456789012:game/my-game"
    req = serializer.serialize_to_request({"ResourceArn": arn, "tagKeys": ["env", "team"]}, op)
    assert req["method"] == "DELETE"
    assert req["url_path"] == (
        "/tags/arn%3Aaws%3Agamesparks%3Aus-east-1%3A123456789012%3Agame%2Fmy-game"
    )
    assert req["query_string"] == {"tagKeys": ["env", "team"]}
    assert req["body"] == b""


def test_serialize_documents_and_blobs(model, serializer):
    op = model.operation_model("UpdateGameConfiguration")
    mod = {"Operation": "ADD", "Path": "/a/b", "Section": "Messages", "Value": {"x": [1, 2]}}
    req = serializer.serialize_to_request({"GameName": "g", "Modifications": [mod]}, op)
    assert req["url_path"] == "/game/g/configuration"
    assert json.loads(req["body"]) == {"Modifications": [mod]}

    op = model.operation_model("ImportGameConfiguration")
    req = serializer.serialize_to_request({"GameName": "g", "ImportSource": {"File": b"{}"}}, op)
    assert req["method"] == "PUT"
    assert json.loads(req["body"]) == {"ImportSource": {"File": "e30="}}


def test_client_side_validation(model, serializer):
    op = model.operation_model("ListGames")
    with pytest.raises(ParamValidationError):
        serializer.serialize_to_request({"MaxResults": 0}, op)
    op = model.operation_model("GetGame")
    with pytest.raises(ParamValidationError):
        serializer.serialize_to_request({"GameName": ""}, op)
    op = model.operation_model("UntagResource")
    with pytest.raises(ParamValidationError):
        serializer.serialize_to_request({"ResourceArn": "arn"}, op)
    # botocore checks the model's "min" (not max or pattern): RoleARN has min 20.
    op = model.operation_model("CreateStage")
    with pytest.raises(ParamValidationError):
        serializer.serialize_to_request(
            {"GameName": "g", "StageName": "s", "Role": "not-a-role-arn"}, op)


def test_parse_stage_deployment_response(model):
    parser = botocore.parsers.create_parser("rest-json")
    body = {
        "StageDeployment": {
            "Created": "2022-05-19T10:11:12.123Z",
            "DeploymentAction": "DEPLOY",
            "DeploymentId": "dep-1",
            "DeploymentResult": {"ResultCode": "INVALID_ROLE_FAILURE", "Message": "bad role"},
            "DeploymentState": "FAILED",
            "LastUpdated": "2022-05-19T10:12:00Z",
            "SnapshotId": SNAPSHOT_ID,
        }
    }
    parsed = parser.parse(
        {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()},
        model.operation_model("GetStageDeployment").output_shape,
    )
    dep = parsed["StageDeployment"]
    assert dep["Created"] == dt.datetime(2022, 5, 19, 10, 11, 12, 123000, tzinfo=dt.UTC)
    assert dep["DeploymentResult"]["ResultCode"] == "INVALID_ROLE_FAILURE"
    assert dep["DeploymentState"] == "FAILED"


def test_parse_snapshot_document(model):
    parser = botocore.parsers.create_parser("rest-json")
    attrs = {"nested": {"list": [1, "two", None, True]}}
    body = {
        "Snapshot": {
            "Id": SNAPSHOT_ID,
            "Sections": {"Messages": {"Name": "Messages", "Size": 42, "Attributes": attrs}},
        }
    }
    parsed = parser.parse(
        {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()},
        model.operation_model("GetSnapshot").output_shape,
    )
    section = parsed["Snapshot"]["Sections"]["Messages"]
    assert section == {"Name": "Messages", "Size": 42, "Attributes": attrs}


def test_parse_error_response(model):
    parser = botocore.parsers.create_parser("rest-json")
    parsed = parser.parse(
        {
            "status_code": 404,
            "headers": HeadersDict({"x-amzn-ErrorType": "ResourceNotFoundException"}),
            "body": json.dumps({"Message": "no such game"}).encode(),
        },
        model.operation_model("GetGame").output_shape,
    )
    assert parsed["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed["Error"]["Message"] == "no such game"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404


# --- the bundled model is the public one -------------------------------------------------------

PUBLIC_MEMBER = "botocore/data/gamesparks/2021-08-17/"


def _public_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # ~/.cache when it can be written (one download per machine), else this run's tmp dir.
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = home / "gameops-tui" / f"botocore-{PUBLIC_VERSION}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError:
        folder = tmp_path_factory.mktemp(f"botocore-{PUBLIC_VERSION}")
    return folder


@pytest.fixture(scope="module")
def public_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """service-2.json and paginators-1.json of GameSparks from the botocore 1.31.0 wheel, got
    from the package index with pip (``pip download botocore==1.31.0 --no-deps``)."""
    folder = _public_cache(tmp_path_factory)
    wheel = folder / f"botocore-{PUBLIC_VERSION}-py3-none-any.whl"
    if not wheel.exists():
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", f"botocore=={PUBLIC_VERSION}",
                 "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q",
                 "-d", str(folder)],
                capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            pytest.skip(f"cannot download botocore {PUBLIC_VERSION} with pip: {err}")
        if done.returncode != 0 or not wheel.exists():
            pytest.skip(f"cannot download botocore {PUBLIC_VERSION} from the package index "
                        f"(pip exit {done.returncode}): {done.stderr.strip()[-300:]}")
    with zipfile.ZipFile(wheel) as archive:
        return {name: json.loads(archive.read(PUBLIC_MEMBER + name))
                for name in ("service-2.json", "paginators-1.json")}


def _constraints(shape: dict[str, Any]) -> dict[str, Any]:
    return {k: shape[k] for k in ("min", "max", "pattern", "enum", "required") if k in shape}


def _members(shape: dict[str, Any]) -> dict[str, Any]:
    return {name: {k: v for k, v in member.items() if k != "documentation"}
            for name, member in shape.get("members", {}).items()}


def test_bundled_files_equal_the_public_model(public_model):
    for name, public in public_model.items():
        assert json.loads((MODEL_DIR / name).read_text()) == public, name


def test_operations_and_http_bindings_equal_the_public_model(public_model):
    public = public_model["service-2.json"]
    assert RAW_MODEL["metadata"] == public["metadata"]
    assert set(RAW_MODEL["operations"]) == set(public["operations"])
    assert len(public["operations"]) == 33
    for op_name, theirs in public["operations"].items():
        ours = RAW_MODEL["operations"][op_name]
        assert ours["http"] == theirs["http"], op_name
        assert ours.get("input") == theirs.get("input"), op_name
        assert ours.get("output") == theirs.get("output"), op_name
        assert ({e["shape"] for e in ours.get("errors", [])}
                == {e["shape"] for e in theirs.get("errors", [])}), op_name
        assert ours.get("idempotent") == theirs.get("idempotent"), op_name


def test_every_shape_and_constraint_equals_the_public_model(public_model):
    public = public_model["service-2.json"]["shapes"]
    assert set(RAW_MODEL["shapes"]) == set(public)
    for name, theirs in public.items():
        ours = RAW_MODEL["shapes"][name]
        assert ours["type"] == theirs["type"], name
        # min/max/pattern/enum/required of the shape; location, locationName and the
        # idempotencyToken trait of every member.
        assert _constraints(ours) == _constraints(theirs), name
        assert _members(ours) == _members(theirs), name
        for key in ("member", "key", "value", "error", "exception", "fault", "document"):
            assert ours.get(key) == theirs.get(key), (name, key)
    tokens = [(shape, member) for shape, body in public.items()
              for member, spec in body.get("members", {}).items()
              if spec.get("idempotencyToken")]
    assert tokens == []  # so the bundled model must not add any either


def test_paginators_equal_the_public_model(public_model):
    ours = json.loads((MODEL_DIR / "paginators-1.json").read_text())
    assert ours == public_model["paginators-1.json"]
