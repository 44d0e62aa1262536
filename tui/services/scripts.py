"""Realtime scripts: what runs where, and the calls that change a script.

Plain functions over anything with ``.client(name)`` (an AwsContext), run from worker threads.
Listing and describing reuse ``tui.services.gamelift``; CreateScript and the S3 read live here.
Every call goes through the aws layer's clients, so the read-only guard and the audit log apply
(the audit line of a ZipFile parameter holds its size and SHA-256, never its bytes).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.aws.records import Fleet, Script
from tui.services import gamelift, outcome
from tui.services.outcome import Outcome

NODE_VERSIONS = ("10.x", "24.x")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class FleetUse:
    """A fleet that runs a script, as the browser shows it."""

    fleet_id: str
    name: str
    status: str
    active_sessions: int | None  # None: utilization not known

    def describe(self) -> str:
        sessions = "?" if self.active_sessions is None else str(self.active_sessions)
        return f"{self.name} ({self.status}, {sessions} active sessions)"


@dataclass
class ScriptGroup:
    name: str
    versions: list[Script]  # newest first


@dataclass
class ScriptWorld:
    """Everything the browser shows: scripts grouped by name, and who uses each script."""

    groups: list[ScriptGroup]
    fleets: dict[str, list[FleetUse]] = field(default_factory=dict)  # ScriptId → fleets

    def scripts(self) -> list[Script]:
        return [s for g in self.groups for s in g.versions]

    def find(self, script_id: str) -> Script | None:
        return next((s for s in self.scripts() if s.script_id == script_id), None)


def group_scripts(scripts: Iterable[Script]) -> list[ScriptGroup]:
    """Group by Name (names need not be unique, nor versions); newest version first."""
    by_name: dict[str, list[Script]] = {}
    for script in scripts:
        by_name.setdefault(script.name, []).append(script)
    groups = []
    for name in sorted(by_name, key=lambda n: (n.casefold(), n)):
        versions = sorted(by_name[name], key=lambda s: (
            s.creation_time.timestamp() if s.creation_time else 0.0, s.version, s.script_id),
            reverse=True)
        groups.append(ScriptGroup(name, versions))
    return groups


def fleets_by_script(ctx: gamelift.ClientSource) -> dict[str, list[FleetUse]]:
    """ScriptId → the fleets whose attributes name it, with their active game sessions."""
    fleets: list[Fleet] = [f for f in gamelift.list_fleets(ctx, with_locations=False)
                           if f.script_id]
    utilization = {u.fleet_id: u for u in
                   gamelift.fleet_utilization(ctx, [f.fleet_id for f in fleets])} if fleets else {}
    result: dict[str, list[FleetUse]] = {}
    for fleet in fleets:
        util = utilization.get(fleet.fleet_id)
        script_id = (fleet.script_id or "").rsplit("/", 1)[-1]
        result.setdefault(script_id, []).append(FleetUse(
            fleet.fleet_id, fleet.name, fleet.status,
            util.active_game_session_count if util else None))
    return result


def load_world(ctx: gamelift.ClientSource) -> ScriptWorld:
    """ListScripts (all pages) and the fleets that use them."""
    scripts = gamelift.list_scripts(ctx)
    return ScriptWorld(group_scripts(scripts), fleets_by_script(ctx))


def describe_script(ctx: gamelift.ClientSource, script_id: str) -> Script:
    return gamelift.describe_script(ctx, script_id)


# --- content: where it lives ----------------------------------------------------------------


def customer_storage(script: Script) -> dict[str, str] | None:
    """The script's S3 location when it is the customer's bucket, else None.

    A zip uploaded directly is stored "in an S3 location controls by the Amazon GameLift Servers
    service" (seed 000), which the customer cannot read; only a location given by the customer
    carries the RoleArn that lets GameLift read it (UpdateScript requires one)."""
    location = script.storage_location
    if not location or not location.get("Bucket") or not location.get("RoleArn"):
        return None
    return dict(location)


def storage_text(script: Script) -> str:
    location = customer_storage(script)
    if location is None:
        return "GameLift-managed"
    text = f"s3://{location['Bucket']}/{location.get('Key', '')}"
    if location.get("ObjectVersion"):
        text += f"@{location['ObjectVersion']}"
    return text


def storage_location(bucket: str, key: str, role_arn: str,
                     object_version: str = "") -> dict[str, str]:
    """A StorageLocation parameter, checked; raises ValueError with what to fix."""
    bucket, key, role_arn, object_version = (v.strip() for v in (bucket, key, role_arn,
                                                                   object_version))
    if "." in bucket:
        raise ValueError(f"bucket {bucket!r} has a dot: GameLift cannot upload from S3 buckets "
                         "whose names contain '.'")
    if not _BUCKET.match(bucket):
        raise ValueError(f"bucket {bucket!r} is not a valid S3 bucket name (3–63 lowercase "
                         "letters, digits and hyphens)")
    if not key:
        raise ValueError("the S3 key (the zip file's name in the bucket) is missing")
    if not _ROLE_ARN.match(role_arn):
        raise ValueError("role ARN must look like arn:aws:iam::123456789012:role/NAME: an IAM "
                         "role that lets GameLift read the bucket")
    location = {"Bucket": bucket, "Key": key, "RoleArn": role_arn}
    if object_version:
        location["ObjectVersion"] = object_version
    return location


def parse_s3_url(text: str) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key); raises ValueError."""
    rest = text.strip()[len("s3://"):] if text.strip().startswith("s3://") else ""
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise ValueError(f"{text!r} is not s3://bucket/key")
    return bucket, key


def read_s3_zip(ctx: gamelift.ClientSource, location: Mapping[str, str],
                limit: int = 5_000_000) -> bytes:
    """Read a script zip from a user-owned S3 location with the user's own credentials."""
    params: dict[str, Any] = {"Bucket": location["Bucket"], "Key": location["Key"]}
    if location.get("ObjectVersion"):
        params["VersionId"] = location["ObjectVersion"]
    response = ctx.client("s3").get_object(**params)
    body = response["Body"]
    try:
        data: bytes = body.read(limit + 1)
    finally:
        body.close()
    if len(data) > limit:
        raise ValueError(f"s3://{location['Bucket']}/{location['Key']} is larger than "
                         f"{limit:,} bytes")
    return data


# --- changes --------------------------------------------------------------------------------


def update_script(ctx: gamelift.ClientSource, script_id: str, *, zip_file: bytes | None = None,
                  storage: Mapping[str, str] | None = None, name: str | None = None,
                  version: str | None = None) -> Script:
    return update_script_outcome(ctx, script_id, zip_file=zip_file, storage=storage, name=name,
                                 version=version).unwrap()


def update_script_outcome(ctx: gamelift.ClientSource, script_id: str, *,
                          zip_file: bytes | None = None, storage: Mapping[str, str] | None = None,
                          name: str | None = None, version: str | None = None) -> Outcome[Script]:
    return gamelift.update_script_outcome(ctx, script_id, zip_file=zip_file,
                                          storage_location=storage, name=name, version=version)


def _script_ids(ctx: gamelift.ClientSource) -> set[str] | None:
    if not outcome.may_send(ctx):
        return None
    try:
        return {script.script_id for script in gamelift.list_scripts(ctx)}
    except Exception:  # the create will say what is wrong; reading back then copes without
        return None


def create_script_outcome(ctx: gamelift.ClientSource, *, name: str, version: str,
                          node_js_version: str, zip_file: bytes | None = None,
                          storage: Mapping[str, str] | None = None) -> Outcome[Script]:
    """CreateScript. It takes no idempotency token, so a lost answer is not repeated (that made
    a second script): the scripts are listed before and read back after, and a new one of this
    name and version is the one this call made."""
    if (zip_file is None) == (storage is None):
        raise ValueError("CreateScript needs a zip file or an S3 location (one of them)")
    if node_js_version not in NODE_VERSIONS:
        raise ValueError(f"Node.js version must be one of {', '.join(NODE_VERSIONS)}")
    params: dict[str, Any] = {"Name": name, "Version": version, "NodeJsVersion": node_js_version}
    if zip_file is not None:
        params["ZipFile"] = zip_file
    else:
        params["StorageLocation"] = dict(storage or {})
    action = f"CreateScript {name} {version}"
    check = ("`aws gamelift list-scripts` for a new script of this name and version before "
             "creating another")
    before = _script_ids(ctx)

    def call() -> Script:
        return Script.from_api(ctx.client("gamelift").create_script(**params)["Script"])

    def read_back(err: BaseException) -> Outcome[Script]:
        same = [s for s in gamelift.list_scripts(ctx) if s.name == name and s.version == version]
        new = [s for s in same if before is not None and s.script_id not in before]
        if before is None:
            if not same:
                return outcome.not_applied(action, err, "no script has this name and version")
            return outcome.unknown(action, err, check)
        if len(new) == 1:
            return outcome.applied(action, new[0], f"script {new[0].script_id} was created", err)
        if not new:
            return outcome.not_applied(action, err, "no new script")
        return outcome.unknown(action, err, f"{check} ({len(new)} new ones: someone else "
                               "created scripts too)")

    return outcome.reconcile(action, call, read_back, check=check)


def create_script(ctx: gamelift.ClientSource, *, name: str, version: str, node_js_version: str,
                  zip_file: bytes | None = None,
                  storage: Mapping[str, str] | None = None) -> Script:
    return create_script_outcome(ctx, name=name, version=version,
                                 node_js_version=node_js_version, zip_file=zip_file,
                                 storage=storage).unwrap()


def _storage_cli(storage: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in storage.items())


def _cli_with_code(parts: list[str], zip_path: str | None, storage: Mapping[str, str] | None,
                   region: str | None) -> str:
    """Create and update take the script's code (a zip or an S3 location) and a region alike."""
    if zip_path is not None:
        parts += ["--zip-file", f"fileb://{zip_path}"]
    if storage is not None:
        parts += ["--storage-location", _storage_cli(storage)]
    if region:
        parts += ["--region", region]
    return shlex.join(parts)


def update_cli(script_id: str, *, name: str | None = None, version: str | None = None,
               zip_path: str | None = None, storage: Mapping[str, str] | None = None,
               region: str | None = None) -> str:
    """The AWS CLI command that does the same update (the CLI spells Version --script-version)."""
    parts = ["aws", "gamelift", "update-script", "--script-id", script_id]
    if name is not None:
        parts += ["--name", name]
    if version is not None:
        parts += ["--script-version", version]
    return _cli_with_code(parts, zip_path, storage, region)


def create_cli(*, name: str, version: str, node_js_version: str, zip_path: str | None = None,
               storage: Mapping[str, str] | None = None, region: str | None = None) -> str:
    parts = ["aws", "gamelift", "create-script", "--name", name, "--script-version", version,
             "--node-js-version", node_js_version]
    return _cli_with_code(parts, zip_path, storage, region)
