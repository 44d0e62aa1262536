"""The simulator's S3: GetObject and HeadObject of the objects a StorageLocation names, for
plain boto3 as for the console, which reads a customer's previous script zip with the user's
own credentials before it replaces it (that flow: tests/test_scripts_model.py)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from simctl import World


def _s3(world: World) -> Any:
    return boto3.client("s3", endpoint_url=world.endpoint_url, region_name="us-west-2",
                        aws_access_key_id="AKIDEMO", aws_secret_access_key="demo")


def _zip(body: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed time stamp: the same body makes the same bytes whenever it is zipped.
        archive.writestr(zipfile.ZipInfo("index.js", date_time=(2026, 1, 1, 0, 0, 0)), body)
    return buffer.getvalue()


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_get_and_head_object_answer_as_s3_does(world: World) -> None:
    first = world.put_object("game-scripts", "party/2.4.0.zip", _zip("a;"))
    second = world.put_object("game-scripts", "party/2.4.0.zip", _zip("bb;"))
    s3 = _s3(world)
    latest = s3.get_object(Bucket="game-scripts", Key="party/2.4.0.zip")
    assert latest["Body"].read() == _zip("bb;") and latest["VersionId"] == second
    older = s3.get_object(Bucket="game-scripts", Key="party/2.4.0.zip", VersionId=first)
    assert older["Body"].read() == _zip("a;")
    head = s3.head_object(Bucket="game-scripts", Key="party/2.4.0.zip")
    assert head["ContentLength"] == len(_zip("bb;")) and head["ETag"].startswith('"')
    for asked, code in ((dict(Key="party/none.zip"), "NoSuchKey"),
                        (dict(Key="party/2.4.0.zip", VersionId="v99"), "NoSuchVersion")):
        with pytest.raises(ClientError) as info:
            s3.get_object(Bucket="game-scripts", **asked)
        assert _code(info) == code
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="other-bucket", Key="party/2.4.0.zip")
    assert _code(info) == "NoSuchBucket"


def test_credentials_and_denials_reach_s3_too(world: World) -> None:
    world.put_object("game-scripts", "a.zip", _zip("a;"))
    s3 = _s3(world)
    world.credentials(denied=["GetObject"])
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="game-scripts", Key="a.zip")
    assert _code(info) == "AccessDenied"
    world.credentials(expired=["AKIDEMO"])
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket="game-scripts", Key="a.zip")
    assert _code(info) == "ExpiredToken"
