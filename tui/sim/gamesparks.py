"""The GameSparks half of the simulator: games, stages, snapshots, stage deployments, players,
configuration, extensions, generated code jobs and tags: all 33 operations of the public
2021-08-17 model (``tui/aws/data/gamesparks``).

A deployment's (or code job's) state is not stored but derived from its creation time and the
clock whenever a request reads it, so an idle simulator costs nothing and a frozen clock gives
exact transitions.

Every request is checked against the model's constraints first (required members, lengths,
patterns such as RoleARN's, list and map sizes, enums), as the service does server-side: a
client may skip botocore's validation, which anyway checks only ``min``. An operation only ever
answers with an error its model lists; :meth:`GameSparksSim.handle` turns anything else into
an InternalServerException (a simulator bug, never a silent wrong answer).
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import random
import re
import string
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tui.sim.core import Clock, RequestContext, SimError
from tui.sim.wire import GAMESPARKS_MODEL, Timestamp

ACCOUNT = "123456789012"
STAGE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/GameSparksStageRole"
PAGE_DEFAULT = 20  # below the service maximum, so that clients always exercise paging
PAGE_MAX = 100
PENDING_SECONDS = 2.0
IN_PROGRESS_SECONDS = 4.0
EXPORT_TTL = 600  # seed 002, ExportSnapshot: "This URL will be available for 10 minutes"
CODE_TTL = 3600  # how long a generated code job's download URL lasts (ExpirationTime)
CODE_PENDING_SECONDS = 1.0
CODE_IN_PROGRESS_SECONDS = 5.0

# Service quotas of "Amazon GameSparks endpoints and quotas" (AWS General Reference), none of
# them adjustable. Where the model lists ServiceQuotaExceededException for the operation that
# hits the quota (CreateGame; ImportGameConfiguration and UpdateGameConfiguration) that is the
# answer; CreateSnapshot does not list it, so a full game refuses a snapshot with a
# ConflictException (the game's state, not the request, is what is wrong).
MAX_GAMES = 10  # "Games": per account, in each supported Region
MAX_SNAPSHOTS = 1000  # "Snapshots per game"
MAX_CONFIG_BYTES = 1_000_000  # "Game configuration size": 1 MB, of all sections together
MAX_TAGS = 50  # TagMap's max: a resource holds at most as many tags as one request can set

# The S3 bucket that presigned download URLs name; the credential that "signs" them.
EXPORT_BUCKET = "gamesparks-exports-{account}-{region}"
URL_ACCESS_KEY = "AKIAGSPARKSEXPORT001"
URL_SECRET = "gamesparks-simulator-presigning-secret"
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

NAME_PATTERN = r"[a-zA-Z0-9_-]+"
SNAPSHOT_PATTERN = r"Snapshot_\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}Z"
SECTION_PATTERN = r"[a-zA-Z0-9.]+"
# The model's RoleARN (checked on input); a role passes it yet cannot be assumed unless it is in
# the simulated account and the aws partition: such a stage deploys with INVALID_ROLE_FAILURE.
ASSUMABLE_ROLE = r"arn:aws:iam::(\d{12}):role/.+"
ACTIVE_STATES = ("PENDING", "IN_PROGRESS")

SUCCESS = "SUCCESS"
UNSPECIFIED_FAILURE = "UNSPECIFIED_FAILURE"
INVALID_ROLE_FAILURE = "INVALID_ROLE_FAILURE"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ms(epoch: float) -> int:
    # Integer milliseconds: float arithmetic like `epoch % 1 * 1000` can print .122 for .123.
    return round(epoch * 1000)


def _iso(epoch: float) -> str:
    stamp = dt.datetime.fromtimestamp(_ms(epoch) // 1000, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{_ms(epoch) % 1000:03d}Z"


def _size(attributes: Any) -> int:
    return len(json.dumps(attributes, separators=(",", ":")).encode())


def _invalid(field_name: str, value: Any, constraint: str) -> SimError:
    # The wording of the service's (Coral) validation errors, which users may already know.
    shown = "null" if value is None else f"'{value}'"
    return SimError("ValidationException",
                    f"1 validation error detected: Value {shown} at '{field_name}' failed to "
                    f"satisfy constraint: {constraint}", 400)


def _check_pattern(field_name: str, value: str | None, pattern: str, max_len: int | None) -> str:
    if not value:
        raise _invalid(field_name, value, "Member must not be null")
    if max_len is not None and len(value) > max_len:
        raise _invalid(field_name, value,
                       f"Member must have length less than or equal to {max_len}")
    if not re.fullmatch(pattern, value):
        raise _invalid(field_name, value,
                       f"Member must satisfy regular expression pattern: ^{pattern}$")
    return value


# --- the model: constraints and error lists ----------------------------------------------------


@functools.cache
def model() -> dict[str, Any]:
    """The bundled service model (botocore 1.31.0's public one), as JSON."""
    loaded: dict[str, Any] = json.loads(GAMESPARKS_MODEL.read_text())
    return loaded


def modelled_errors(operation: str) -> frozenset[str]:
    """The error codes the model lists for ``operation``: all it may ever answer with."""
    return frozenset(e["shape"] for e in model()["operations"][operation].get("errors", []))


def _wire_name(name: str) -> str:
    # Coral names a member by its lowerCamel wire name in validation messages.
    return name[:1].lower() + name[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _too_short(kind: str, low: int) -> str:
    return f"Member must have {kind} greater than or equal to {low}"


def _too_long(kind: str, high: int) -> str:
    return f"Member must have {kind} less than or equal to {high}"


def _check_size(path: str, shown: Any, size: int, shape: dict[str, Any], kind: str) -> None:
    if "min" in shape and size < shape["min"]:
        raise _invalid(path, shown, _too_short(kind, shape["min"]))
    if "max" in shape and size > shape["max"]:
        raise _invalid(path, shown, _too_long(kind, shape["max"]))


def validate(shape_name: str, value: Any, path: str = "") -> None:
    """Check ``value`` against the model's shape ``shape_name`` the way the service does:
    required members, min/max (length, size or value), pattern and enum. Types are the wire
    layer's check; a value of the wrong type here is left alone."""
    shape = model()["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            return
        for name in shape.get("required", []):
            if value.get(name) is None:
                raise _invalid(_join(path, _wire_name(name)), None, "Member must not be null")
        for name, member in shape["members"].items():
            if value.get(name) is not None:
                validate(member["shape"], value[name], _join(path, _wire_name(name)))
    elif kind == "list" and isinstance(value, list):
        _check_size(path, value, len(value), shape, "length")
        for index, item in enumerate(value, start=1):
            validate(shape["member"]["shape"], item, f"{path}.{index}.member")
    elif kind == "map" and isinstance(value, dict):
        _check_size(path, value, len(value), shape, "length")
        for key, item in value.items():
            validate(shape["key"]["shape"], key, f"{path}.{key}.key")
            validate(shape["value"]["shape"], item, f"{path}.{key}.value")
    elif kind == "string" and isinstance(value, str):
        _check_size(path, value, len(value), shape, "length")
        if "pattern" in shape and not re.search(shape["pattern"], value):
            raise _invalid(path, value, "Member must satisfy regular expression pattern: "
                                        + shape["pattern"])
        if "enum" in shape and value not in shape["enum"]:
            raise _invalid(path, value,
                           f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
    elif kind == "blob" and isinstance(value, str):
        try:
            size = len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise _invalid(path, None, "Member must be base64-encoded binary data") from None
        _check_size(path, f"<{size} bytes>", size, shape, "length")
    elif kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        _check_size(path, value, value, shape, "value")


def request_params(operation: str, segments: list[str], query: dict[str, list[str]],
                   body: dict[str, Any]) -> dict[str, Any]:
    """The operation's input as botocore built it: path labels (by the model's requestUri),
    query members, body members."""
    spec = model()["operations"][operation]
    template = [t for t in spec["http"]["requestUri"].split("?")[0].split("/") if t]
    labels: dict[str, str] = {}
    for index, part in enumerate(template):
        if part.startswith("{"):
            last = index == len(template) - 1
            # A label may hold '/' (an ARN) when a client did not escape it: the last label
            # takes the rest of the path.
            labels[part.strip("{}+")] = ("/".join(segments[index:]) if last
                                         else segments[index])
    shape = model()["shapes"][spec["input"]["shape"]] if "input" in spec else {"members": {}}
    params: dict[str, Any] = {}
    for name, member in shape["members"].items():
        where, wire = member.get("location"), member.get("locationName", name)
        if where == "uri":
            params[name] = labels.get(wire)
        elif where == "querystring":
            values = query.get(wire)
            if values is None:
                continue
            kind = model()["shapes"][member["shape"]]["type"]
            if kind == "list":
                params[name] = values
            elif kind == "integer":
                try:
                    params[name] = int(values[0])
                except ValueError:
                    raise _invalid(_wire_name(name), values[0],
                                   "Member must be a number") from None
            else:
                params[name] = values[0]
        elif name in body:
            params[name] = body[name]
    return params


def _assumable(role: str) -> bool:
    """Whether GameSparks could assume ``role``: only roles of the simulated account."""
    found = re.fullmatch(ASSUMABLE_ROLE, role)
    return found is not None and found.group(1) == ACCOUNT


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def presign_query(host: str, path: str, region: str, now: float, ttl: int) -> tuple[str, str]:
    """The query of a SigV4-presigned S3 GET (without the signature) and its signature, computed
    as S3 would check it, with the simulator's own signing key."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    query = "&".join(f"{k}={quote(v, safe='-_.~')}" for k, v in (
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{URL_ACCESS_KEY}/{scope}"),
        ("X-Amz-Date", stamp),
        ("X-Amz-Expires", str(ttl)),
        ("X-Amz-SignedHeaders", "host")))
    canonical = "\n".join(("GET", path, query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"))
    to_sign = "\n".join(("AWS4-HMAC-SHA256", stamp, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()))
    key = ("AWS4" + URL_SECRET).encode()
    for part in (stamp[:8], region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return query, hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _pointer(path: str) -> list[str]:
    # A modification's Path is a JSON pointer into the section's content ("/Items/a/Price").
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def _patch(content: Any, tokens: list[str], operation: str, value: Any, where: str) -> Any:
    """``content`` with one ADD, REMOVE or REPLACE applied at ``tokens`` (JSON Patch rules:
    ADD sets a member or inserts into a list, "-" appends; REMOVE and REPLACE need the target
    to exist)."""
    def missing(reason: str) -> SimError:
        return _invalid(f"{where}.path", "/" + "/".join(tokens), reason)

    parent = content
    for token in tokens[:-1]:
        if isinstance(parent, dict) and token in parent:
            parent = parent[token]
        elif isinstance(parent, list) and token.isdigit() and int(token) < len(parent):
            parent = parent[int(token)]
        else:
            raise missing(f"Path element {token} does not exist in the section")
    last = tokens[-1]
    if isinstance(parent, dict):
        if operation != "ADD" and last not in parent:
            raise missing(f"Cannot {operation.lower()} {last}: it does not exist")
        if operation == "REMOVE":
            del parent[last]
        else:
            parent[last] = value
    elif isinstance(parent, list):
        size = len(parent) + (1 if operation == "ADD" else 0)
        if last == "-" and operation == "ADD":
            parent.append(value)
        elif not last.isdigit() or int(last) >= size:
            raise missing(f"List index {last} is out of range")
        elif operation == "ADD":
            parent.insert(int(last), value)
        elif operation == "REMOVE":
            del parent[int(last)]
        else:
            parent[int(last)] = value
    else:
        raise missing("The path goes through a value that is neither an object nor a list")
    return content


def _config_size(sections: dict[str, Any]) -> int:
    return sum(_size(attributes) for attributes in sections.values())


def _generated_code(game: str, snapshot: Snapshot, job: CodeJob) -> bytes:
    """The .zip a code job uploads: one client class per message of the snapshot."""
    messages = snapshot.sections.get("Messages")
    names = sorted(messages) if isinstance(messages, dict) else []
    ext = {"csharp": "cs", "cpp": "h"}.get(job.language, "txt")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt",
                         f"Generated for {game}, {snapshot.snapshot_id}: {job.description}.\n")
        for name in names:
            archive.writestr(f"GameSparks/Messages/{name}.{ext}",
                             f"// {name}: a message of {game} ({job.language})\n")
    return out.getvalue()


# --- records -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Snapshot:
    snapshot_id: str
    description: str
    created: float
    last_updated: float
    sections: dict[str, Any]
    jobs: list[CodeJob] = field(default_factory=list)  # oldest first

    def summary(self) -> dict[str, Any]:
        return {"Id": self.snapshot_id, "Description": self.description,
                "Created": Timestamp(self.created), "LastUpdated": Timestamp(self.last_updated)}

    def details(self, names: list[str] | None = None) -> dict[str, Any]:
        return {**self.summary(), "Sections": _sections(self.sections, names)}


def _sections(sections: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    wanted = set(names) if names else None
    return {name: {"Name": name, "Attributes": attrs, "Size": _size(attrs)}
            for name, attrs in sections.items() if wanted is None or name in wanted}


@dataclass(slots=True)
class CodeJob:
    """A StartGeneratedCodeJob: PENDING, IN_PROGRESS, then COMPLETED with a download URL, or
    FAILED (an unsupported generator) with the reason as its description."""

    job_id: str
    created: float
    platform: str
    language: str
    sdk_version: str
    failure: str | None = None
    url: str | None = None  # signed on the first read after completion
    expires: float | None = None

    def status_at(self, now: float) -> str:
        elapsed = now - self.created
        if elapsed >= CODE_PENDING_SECONDS + CODE_IN_PROGRESS_SECONDS:
            return "FAILED" if self.failure else "COMPLETED"
        return "IN_PROGRESS" if elapsed >= CODE_PENDING_SECONDS else "PENDING"

    @property
    def description(self) -> str:
        return self.failure or (f"Client code for {self.platform} ({self.language}), "
                                f"GameSparks Game SDK {self.sdk_version}")


@dataclass(frozen=True, slots=True)
class Extension:
    namespace: str
    name: str
    description: str
    versions: tuple[str, ...]  # oldest first

    def details(self) -> dict[str, Any]:
        return {"Namespace": self.namespace, "Name": self.name, "Description": self.description}

    def version(self, version: str) -> dict[str, Any]:
        schema = {"Extension": f"{self.namespace}.{self.name}", "Version": version,
                  "Operations": {op: {"Input": {"type": "object"}, "Output": {"type": "object"}}
                                 for op in EXTENSION_OPERATIONS[self.name]}}
        return {"Namespace": self.namespace, "Name": self.name, "Version": version,
                "Schema": json.dumps(schema, sort_keys=True, separators=(",", ":"))}


# The extensions a game's scripts can use (the service's catalogue: the same for every account).
EXTENSION_OPERATIONS = {
    "DynamoDB": ("GetItem", "PutItem", "Query"),
    "S3": ("GetObject",),
    "Leaderboards": ("SubmitScore", "GetTop", "GetAround"),
    "Inventory": ("Grant", "Spend", "List"),
}
EXTENSIONS = (
    Extension("Aws", "DynamoDB", "Read and write items of an Amazon DynamoDB table from game "
              "scripts.", ("1.0.0", "1.1.0", "1.2.0")),
    Extension("Aws", "S3", "Read objects of an Amazon S3 bucket from game scripts.", ("1.0.0",)),
    Extension("GameSparks", "Inventory", "Per-player item counts with atomic grants and "
              "spends.", ("1.0.0",)),
    Extension("GameSparks", "Leaderboards", "Ranked score tables that game scripts submit to "
              "and read.", ("0.9.0", "1.0.0")),
)

# StartGeneratedCodeJob's generators: target platform → its languages (the first is the
# default when Language is omitted); Game SDK versions it can target.
GENERATORS = {"Unity": ("csharp",), "Unreal": ("cpp",), "Cpp": ("cpp",)}
GAME_SDK_VERSIONS = ("1.0.0", "1.1.0")


@dataclass(slots=True)
class Deployment:
    deployment_id: str
    snapshot_id: str
    created: float
    action: str = "DEPLOY"
    # Decided when the deployment starts (role, snapshot), revealed only when it ends.
    outcome: str = SUCCESS
    message: str = ""
    ends_after: float = PENDING_SECONDS + IN_PROGRESS_SECONDS
    client_token: str | None = None

    def state_at(self, now: float) -> tuple[str, float]:
        """(DeploymentState, LastUpdated) as of `now`; LastUpdated is the moment of the change."""
        elapsed = now - self.created
        if elapsed >= self.ends_after:
            final = "COMPLETED" if self.outcome == SUCCESS else "FAILED"
            return final, self.created + self.ends_after
        if elapsed >= PENDING_SECONDS:
            return "IN_PROGRESS", self.created + PENDING_SECONDS
        return "PENDING", self.created

    def summary(self, now: float) -> dict[str, Any]:
        state, updated = self.state_at(now)
        item: dict[str, Any] = {"DeploymentId": self.deployment_id,
                                "SnapshotId": self.snapshot_id,
                                "DeploymentAction": self.action,
                                "DeploymentState": state,
                                "LastUpdated": Timestamp(updated)}
        if state not in ACTIVE_STATES:
            item["DeploymentResult"] = {"ResultCode": self.outcome, "Message": self.message}
        return item

    def details(self, now: float) -> dict[str, Any]:
        return {**self.summary(now), "Created": Timestamp(self.created)}


@dataclass(slots=True)
class Connection:
    connection_id: str
    created: float


@dataclass(slots=True)
class Stage:
    name: str
    game_name: str
    arn: str
    role: str
    description: str
    game_key: str
    created: float
    last_updated: float
    tags: dict[str, str] = field(default_factory=dict)
    deployments: list[Deployment] = field(default_factory=list)  # oldest first
    players: dict[str, list[Connection]] = field(default_factory=dict)

    @property
    def log_group(self) -> str:
        return f"/aws/gamesparks/{self.game_name}/{self.name}"

    def summary(self) -> dict[str, Any]:
        return {"Name": self.name, "Description": self.description, "GameKey": self.game_key,
                "State": "ACTIVE", "Tags": dict(self.tags)}

    def details(self) -> dict[str, Any]:
        return {**self.summary(), "Arn": self.arn, "Role": self.role, "LogGroup": self.log_group,
                "Created": Timestamp(self.created), "LastUpdated": Timestamp(self.last_updated)}

    def serving(self, now: float) -> Deployment | None:
        for deployment in reversed(self.deployments):
            if deployment.state_at(now)[0] == "COMPLETED":
                # A completed UNDEPLOY means nothing is serving until the next deploy.
                return deployment if deployment.action == "DEPLOY" else None
        return None


@dataclass(slots=True)
class Game:
    name: str
    arn: str
    description: str
    created: float
    last_updated: float
    tags: dict[str, str] = field(default_factory=dict)
    protection: bool = False
    stages: dict[str, Stage] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)  # oldest first
    config: dict[str, Any] = field(default_factory=dict)
    config_updated: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"Name": self.name, "Description": self.description, "State": "ACTIVE",
                "Tags": dict(self.tags)}

    def details(self) -> dict[str, Any]:
        return {**self.summary(), "Arn": self.arn, "EnableTerminationProtection": self.protection,
                "Created": Timestamp(self.created), "LastUpdated": Timestamp(self.last_updated)}

    def snapshot(self, snapshot_id: str) -> Snapshot | None:
        return next((s for s in self.snapshots if s.snapshot_id == snapshot_id), None)


@dataclass(slots=True)
class Call:
    """One request as the handlers see it: path labels by position, query lists, JSON body."""

    segments: list[str]
    query: dict[str, list[str]]
    body: dict[str, Any]
    ctx: RequestContext
    params: dict[str, Any] = field(default_factory=dict)  # the input by member name

    def p(self, name: str) -> Any:
        return self.params.get(name)

    def label(self, index: int) -> str:
        # /game/{G}/x/{L1}/... and /runtime/game/{G}/stage/{S}/player/{P}/...: labels sit at
        # every other segment, so position (not keyword search) is what tells them apart.
        offset = 1 if self.segments[0] == "runtime" else 0
        return self.segments[1 + offset + 2 * index]

    def q(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[0] if values else None


# --- the demo world ----------------------------------------------------------------------------

Sections = dict[str, Any]
Step = Callable[[Sections, random.Random], None]


def _rebalance(sections: Sections, rng: random.Random) -> None:
    for item in sections["Economy.Shop"]["Items"].values():
        item["Price"] = int(round(item["Price"] * rng.choice([0.8, 0.9, 1.1, 1.25]) / 5) * 5)


def _add_rewards(sections: Sections, rng: random.Random) -> None:
    sections["Economy.Rewards"] = {"DailyLogin": [50, 75, 100, 150, 250],
                                   "StreakResetHours": rng.choice([36, 48])}


def _add_message(sections: Sections, rng: random.Random) -> None:
    sections["Messages"]["ClaimReward"] = {"Fields": {"Day": "integer"},
                                           "Response": {"Granted": "integer"}}


def _retire_legacy(sections: Sections, rng: random.Random) -> None:
    sections.pop("Legacy.Store", None)


def _tune_config(sections: Sections, rng: random.Random) -> None:
    config = sections["Config"]
    config["MatchmakingTimeoutSeconds"] = rng.choice([20, 25, 45, 60])
    config["RegionPreference"] = "lowest-latency"


def _raise_level_cap(sections: Sections, rng: random.Random) -> None:
    player = sections["Player"]
    player["MaxLevel"] += 10
    player["XpPerLevel"] = int(player["XpPerLevel"] * 1.1)


def _seasonal_event(sections: Sections, rng: random.Random) -> None:
    sections["Events.Season"] = {"Name": rng.choice(["winter", "spring", "solstice"]),
                                 "RewardMultiplier": 1.5, "DurationDays": 21}


def _new_item(sections: Sections, rng: random.Random) -> None:
    items = sections["Economy.Shop"]["Items"]
    items[f"bundle-{len(items) + 1}"] = {"Price": rng.choice([400, 450, 500]), "Limited": True}


def _break_shop(sections: Sections, rng: random.Random) -> None:
    # What a bad edit looks like in a diff: prices gone, the currency key dropped.
    shop = sections["Economy.Shop"]
    shop.pop("Currency", None)
    for item in shop["Items"].values():
        item["Price"] = None


STEPS: list[tuple[str, Step]] = [
    ("economy rebalance", _rebalance),
    ("daily login rewards", _add_rewards),
    ("ClaimReward message", _add_message),
    ("retire legacy store", _retire_legacy),
    ("matchmaking timeout tweak", _tune_config),
    ("level cap raised", _raise_level_cap),
    ("seasonal event", _seasonal_event),
    ("limited bundle", _new_item),
]


def _base_sections(game: str) -> Sections:
    if game == "kart-league":
        items = {"turbo-boost": {"Price": 120}, "drift-tyres": {"Price": 200},
                 "gold-chassis": {"Price": 650}}
        config = {"MaxRacers": 8, "LapCount": 3, "MatchmakingTimeoutSeconds": 30,
                  "MaintenanceMode": False}
        loadout = ["standard-kart", "basic-tyres"]
    else:
        items = {"laser-mk1": {"Price": 250}, "shield-mk1": {"Price": 300},
                 "hull-plating": {"Price": 180}}
        config = {"MaxPartySize": 4, "MatchmakingTimeoutSeconds": 30, "MaintenanceMode": False}
        loadout = ["blaster", "shield-basic"]
    return {
        "Config": config,
        "Player": {"StartingCredits": 500, "MaxLevel": 40, "XpPerLevel": 1200,
                   "DefaultLoadout": loadout},
        "Economy.Shop": {"Currency": "credits", "Items": items},
        "Messages": {"Login": {"Fields": {"DeviceId": "string"}}, "Ping": {"Fields": {}}},
        "Legacy.Store": {"Enabled": True, "Bundles": ["starter-pack"]},
    }


@dataclass(frozen=True, slots=True)
class GameSeed:
    name: str
    description: str
    tags: dict[str, str]
    broken_last: bool  # the incident: the newest snapshot is broken and prod failed deploying it


GAME_SEEDS = [
    GameSeed("space-raiders", "Co-op space shooter: live ops for seasons 3-4",
             {"team": "raiders-liveops", "tier": "1"}, broken_last=True),
    GameSeed("kart-league", "Kart racing league with weekly cups",
             {"team": "kart-backend", "tier": "2"}, broken_last=False),
]

STAGE_SEEDS = [  # name, description, how far behind the newest snapshot, quiet time before now
    ("dev", "Development: every snapshot lands here first", 10 * MINUTE, 4 * HOUR),
    ("staging", "Staging / QA sign-off", 6 * HOUR, 8 * HOUR),
    ("prod", "Production: player-facing", DAY, 12 * HOUR),
]

MESSAGES = {
    SUCCESS: "Snapshot {snapshot} was deployed to stage {stage}.",
    UNSPECIFIED_FAILURE: "The game runtime for snapshot {snapshot} failed to start: the "
                         "configuration did not pass validation.",
    INVALID_ROLE_FAILURE: "GameSparks could not assume role {role}: check that the role exists "
                          "and trusts gamesparks.amazonaws.com.",
}

_CONN_ALPHABET = string.ascii_letters + string.digits


# --- the service -------------------------------------------------------------------------------

# Every operation's method and path, as in the model's http bindings ("*" is a path label).
_ROUTES: list[tuple[str, tuple[str, ...], str]] = [
    ("GET", ("game",), "ListGames"),
    ("POST", ("game",), "CreateGame"),
    ("GET", ("game", "*"), "GetGame"),
    ("PATCH", ("game", "*"), "UpdateGame"),
    ("DELETE", ("game", "*"), "DeleteGame"),
    ("GET", ("game", "*", "configuration"), "GetGameConfiguration"),
    ("PUT", ("game", "*", "configuration"), "ImportGameConfiguration"),
    ("PATCH", ("game", "*", "configuration"), "UpdateGameConfiguration"),
    ("GET", ("game", "*", "snapshot"), "ListSnapshots"),
    ("POST", ("game", "*", "snapshot"), "CreateSnapshot"),
    ("GET", ("game", "*", "snapshot", "*"), "GetSnapshot"),
    ("PATCH", ("game", "*", "snapshot", "*"), "UpdateSnapshot"),
    ("GET", ("game", "*", "snapshot", "*", "export"), "ExportSnapshot"),
    ("POST", ("game", "*", "snapshot", "*", "generated-sdk-code-job"), "StartGeneratedCodeJob"),
    ("GET", ("game", "*", "snapshot", "*", "generated-sdk-code-job", "*"),
     "GetGeneratedCodeJob"),
    ("GET", ("game", "*", "snapshot", "*", "generated-sdk-code-jobs"), "ListGeneratedCodeJobs"),
    ("GET", ("game", "*", "stage"), "ListStages"),
    ("POST", ("game", "*", "stage"), "CreateStage"),
    ("GET", ("game", "*", "stage", "*"), "GetStage"),
    ("PATCH", ("game", "*", "stage", "*"), "UpdateStage"),
    ("DELETE", ("game", "*", "stage", "*"), "DeleteStage"),
    ("GET", ("game", "*", "stage", "*", "deployment"), "GetStageDeployment"),
    ("POST", ("game", "*", "stage", "*", "deployment"), "StartStageDeployment"),
    ("GET", ("game", "*", "stage", "*", "deployments"), "ListStageDeployments"),
    ("GET", ("runtime", "game", "*", "stage", "*", "player", "*", "connection"),
     "GetPlayerConnectionStatus"),
    ("POST", ("runtime", "game", "*", "stage", "*", "player", "*", "disconnect"),
     "DisconnectPlayer"),
    ("GET", ("extension",), "ListExtensions"),
    ("GET", ("extension", "*", "*"), "GetExtension"),
    ("GET", ("extension", "*", "*", "version"), "ListExtensionVersions"),
    ("GET", ("extension", "*", "*", "version", "*"), "GetExtensionVersion"),
]
_TAG_ROUTES = {"GET": "ListTagsForResource", "POST": "TagResource", "DELETE": "UntagResource"}


class GameSparksSim:
    def __init__(self, clock: Clock, rng: random.Random, region: str) -> None:
        self.clock = clock
        self.rng = rng
        self.region = region
        self.games: dict[str, Game] = {}
        self._game_tokens: dict[str, str] = {}  # CreateGame ClientToken → game name
        self._stage_tokens: dict[tuple[str, str], str] = {}  # (game, token) → stage name
        self._seed(clock.now())

    def reset(self, now: float, seed: int) -> None:
        """Rebuild the demo world as of ``now`` from ``seed``: with a clock frozen at a fixed
        moment, ids and times come out the same on every run (snapshot tests need that)."""
        self.rng = random.Random(seed)
        self.games.clear()
        self._game_tokens.clear()
        self._stage_tokens.clear()
        self._seed(now)

    # --- seeding ---------------------------------------------------------------------------

    def _seed(self, now: float) -> None:
        for seed in GAME_SEEDS:
            game = self._seed_game(seed, now)
            self.games[game.name] = game

    def _seed_game(self, seed: GameSeed, now: float) -> Game:
        rng = self.rng
        snapshots = self._seed_snapshots(seed, now)
        created = round(snapshots[0].created - 2 * DAY, 3)
        game = Game(seed.name, self._game_arn(seed.name), seed.description, created,
                    snapshots[-1].created, dict(seed.tags), protection=seed.broken_last,
                    snapshots=snapshots, config=copy.deepcopy(snapshots[-1].sections),
                    config_updated=snapshots[-1].created)
        for name, description, lag, quiet in STAGE_SEEDS:
            stage = Stage(name, seed.name, self._stage_arn(seed.name, name), STAGE_ROLE,
                          description, self._game_key(), created + HOUR, created + HOUR,
                          tags={"stage": name})
            stage.deployments = self._seed_history(game, stage, now, lag, quiet)
            stage.players = self._seed_players(now, rng.randint(2, 5))
            if name == "prod":
                # A known name for demos and docs: one player with two open connections.
                stage.players["player-1001"] = [
                    self._connection(round(now - 25 * MINUTE, 3)),
                    self._connection(round(now - 4 * MINUTE, 3))]
            game.stages[name] = stage
        self._seed_incidents(seed, game, now)
        return game

    def _seed_snapshots(self, seed: GameSeed, now: float) -> list[Snapshot]:
        rng = self.rng
        count = rng.randint(5, 8)
        start = now - rng.uniform(35, 49) * DAY
        times = sorted(round(rng.uniform(start, now - 6 * HOUR), 3) for _ in range(count))
        # kart-league's broken snapshot sits mid-history; space-raiders' is the newest.
        broken_at = count - 1 if seed.broken_last else 2
        if seed.broken_last:
            times[-1] = round(now - 3 * HOUR, 3)
        good = _base_sections(seed.name)
        snapshots = [self._make_snapshot("v1.0 launch configuration", times[0], good)]
        steps = iter(STEPS)
        for index in range(1, count):
            version = f"v1.{index}"
            if index == broken_at:
                # The broken edit does not feed the next snapshot: the team fixed forward from
                # the last good one.
                broken = copy.deepcopy(good)
                _break_shop(broken, rng)
                snapshots.append(self._make_snapshot(
                    f"{version} shop rework (broken: prices missing)", times[index], broken))
                continue
            label, step = next(steps)
            good = copy.deepcopy(good)
            step(good, rng)
            snapshots.append(self._make_snapshot(f"{version} {label}", times[index], good))
        return snapshots

    def _make_snapshot(self, description: str, created: float, sections: Sections) -> Snapshot:
        return Snapshot(f"Snapshot_{_iso(created)}", description, created, created,
                        copy.deepcopy(sections))

    def _seed_history(self, game: Game, stage: Stage, now: float, lag: float,
                      quiet: float) -> list[Deployment]:
        rng = self.rng
        good = [s for s in game.snapshots if "broken" not in s.description]
        first, last = game.snapshots[0].created + HOUR, now - quiet
        # Each good snapshot reaches the stage `lag` after it was taken; redeploys of whatever
        # was current at a random moment fill the history up.
        planned = [(s.created + lag + rng.uniform(MINUTE, 2 * HOUR), s) for s in good]
        planned = [(when, s) for when, s in planned if when <= last]
        for _ in range(rng.randint(max(6, len(planned)), 10) - len(planned)):
            when = rng.uniform(first, last)
            eligible = [s for s in good if s.created <= when - lag] or good[:1]
            planned.append((when, eligible[-1]))
        history = []
        for when, snapshot in sorted(planned, key=lambda pair: pair[0]):
            when = round(when, 3)
            history.append(Deployment(
                _uuid(rng), snapshot.snapshot_id, when, ends_after=round(rng.uniform(20, 90), 3),
                message=MESSAGES[SUCCESS].format(snapshot=snapshot.snapshot_id,
                                                 stage=stage.name)))
        return history

    def _seed_incidents(self, seed: GameSeed, game: Game, now: float) -> None:
        """The failures and the undeploy that make the history worth looking at."""
        rng = self.rng
        prod, staging, dev = game.stages["prod"], game.stages["staging"], game.stages["dev"]
        broken = next(s for s in game.snapshots if "broken" in s.description)
        unspecified = MESSAGES[UNSPECIFIED_FAILURE].format(snapshot=broken.snapshot_id)
        if seed.broken_last:
            del prod.deployments[:-9]  # room for the failure within a history of at most 10
            prod.deployments.append(Deployment(
                _uuid(rng), broken.snapshot_id, round(now - 2 * HOUR, 3),
                outcome=UNSPECIFIED_FAILURE, message=unspecified, ends_after=47.25))
            return
        middle = prod.deployments[len(prod.deployments) // 2]
        middle.outcome, middle.ends_after = INVALID_ROLE_FAILURE, PENDING_SECONDS
        middle.message = MESSAGES[INVALID_ROLE_FAILURE].format(role=prod.role)
        for deployment in staging.deployments[:-1]:
            if deployment.created > broken.created:
                deployment.snapshot_id, deployment.outcome = broken.snapshot_id, UNSPECIFIED_FAILURE
                deployment.message = unspecified
                break
        undeploy = dev.deployments[1]
        undeploy.action, undeploy.snapshot_id = "UNDEPLOY", dev.deployments[0].snapshot_id
        undeploy.message = f"The game runtime of stage {dev.name} was removed."

    def _seed_players(self, now: float, count: int) -> dict[str, list[Connection]]:
        rng = self.rng
        players: dict[str, list[Connection]] = {}
        while len(players) < count:
            player = f"player-{rng.randint(1000, 9999)}"
            players[player] = [self._connection(round(now - rng.uniform(MINUTE, 6 * HOUR), 3))
                               for _ in range(rng.choice([1, 1, 1, 2]))]
        return players

    def _connection(self, created: float) -> Connection:
        # API Gateway WebSocket connection ids, which is what a GameSparks runtime hands out.
        chars = "".join(self.rng.choice(_CONN_ALPHABET) for _ in range(15))
        return Connection(chars + "=", created)

    def _game_key(self) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(26))

    def _game_arn(self, game: str) -> str:
        return f"arn:aws:gamesparks:{self.region}:{ACCOUNT}:game/{game}"

    def _stage_arn(self, game: str, stage: str) -> str:
        return f"{self._game_arn(game)}/stage/{stage}"

    # --- routing and dispatch ----------------------------------------------------------------

    def route(self, method: str, segments: list[str]) -> str:
        if segments and segments[0] == "tags" and len(segments) > 1 and method in _TAG_ROUTES:
            return _TAG_ROUTES[method]
        for route_method, pattern, operation in _ROUTES:
            if route_method == method and len(pattern) == len(segments) and all(
                    p in ("*", s) for p, s in zip(pattern, segments, strict=True)):
                return operation
        raise SimError("UnknownOperationException",
                       f"No GameSparks operation matches {method} /{'/'.join(segments)}", 404)

    def handle(self, operation: str, segments: list[str], query: dict[str, list[str]],
               body: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        handler: Callable[[Call], dict[str, Any]] | None = getattr(self, f"_op_{operation}", None)
        if handler is None or operation not in model()["operations"]:
            raise SimError("UnknownOperationException",
                           f"The simulator does not implement GameSparks {operation}", 404)
        try:
            params = request_params(operation, segments, query, body)
            validate(model()["operations"][operation]["input"]["shape"], params)
            return handler(Call(segments, query, body, ctx, params))
        except SimError as err:
            if err.code in modelled_errors(operation):
                raise
            # A simulator bug: say so, with an error every operation may answer.
            raise SimError("InternalServerException",
                           f"simulator error: {operation} raised {err.code}, which its model "
                           f"does not list ({err.message})", 500) from err

    def state(self) -> dict[str, Any]:
        now = self.clock.now()
        games: dict[str, Any] = {}
        for game in self.games.values():
            stages = {}
            for stage in game.stages.values():
                serving = stage.serving(now)
                stages[stage.name] = {
                    "serving": serving.deployment_id if serving else None,
                    "servingSnapshot": serving.snapshot_id if serving else None,
                    "deployments": [{"DeploymentId": d.deployment_id,
                                     "DeploymentState": d.state_at(now)[0],
                                     "SnapshotId": d.snapshot_id}
                                    for d in reversed(stage.deployments)],
                    "players": {p: [c.connection_id for c in conns]
                                for p, conns in sorted(stage.players.items())},
                }
            games[game.name] = {"snapshots": [s.snapshot_id for s in reversed(game.snapshots)],
                                "stages": stages}
        return {"games": games}

    # --- lookups, validation, paging -----------------------------------------------------------

    def _game(self, name: str) -> Game:
        _check_pattern("gameName", name, NAME_PATTERN, 36)
        game = self.games.get(name)
        if game is None:
            raise SimError("ResourceNotFoundException", f"Game {name} was not found.", 404)
        return game

    def _stage(self, game_name: str, stage_name: str) -> tuple[Game, Stage]:
        game = self._game(game_name)
        _check_pattern("stageName", stage_name, NAME_PATTERN, 36)
        stage = game.stages.get(stage_name)
        if stage is None:
            raise SimError("ResourceNotFoundException",
                           f"Stage {stage_name} was not found in game {game_name}.", 404)
        return game, stage

    def _snapshot(self, game: Game, snapshot_id: str | None) -> Snapshot:
        snapshot_id = _check_pattern("snapshotId", snapshot_id, SNAPSHOT_PATTERN, 36)
        snapshot = game.snapshot(snapshot_id)
        if snapshot is None:
            raise SimError("ResourceNotFoundException",
                           f"Snapshot {snapshot_id} was not found in game {game.name}.", 404)
        return snapshot

    @staticmethod
    def _section_names(call: Call) -> list[str] | None:
        names = call.query.get("Sections")
        for name in names or []:
            _check_pattern("sections", name, SECTION_PATTERN, None)
        return names or None

    @staticmethod
    def _max_results(call: Call) -> int:
        raw = call.q("MaxResults")
        if raw is None:
            return PAGE_DEFAULT
        try:
            value = int(raw)
        except ValueError:
            raise _invalid("maxResults", raw, "Member must be a number") from None
        if value < 1:
            raise _invalid("maxResults", raw,
                           "Member must have value greater than or equal to 1")
        if value > PAGE_MAX:
            raise _invalid("maxResults", raw,
                           f"Member must have value less than or equal to {PAGE_MAX}")
        return value

    def _page(self, call: Call, scope: str, items: list[dict[str, Any]], key: str,
              result_key: str) -> dict[str, Any]:
        """One page of `items`. The token names the last item returned rather than an offset,
        so that a deployment or snapshot created between two pages does not shift the next page.
        """
        limit = self._max_results(call)
        start = self._start(call.q("NextToken"), scope, items, key)
        page = items[start:start + limit]
        result: dict[str, Any] = {result_key: page}
        if start + limit < len(items):
            raw = json.dumps([scope, page[-1][key]]).encode()
            result["NextToken"] = base64.urlsafe_b64encode(raw).decode()
        return result

    @staticmethod
    def _start(token: str | None, scope: str, items: list[dict[str, Any]], key: str) -> int:
        if not token:
            return 0
        try:
            token_scope, last = json.loads(base64.urlsafe_b64decode(token.encode()))
        except (ValueError, TypeError, binascii.Error):
            raise SimError("ValidationException", "The NextToken is not valid.", 400) from None
        if token_scope != scope:
            raise SimError("ValidationException",
                           "The NextToken was issued for a different request.", 400)
        for index, item in enumerate(items):
            if item[key] == last:
                return index + 1
        raise SimError("ValidationException", "The NextToken has expired.", 400)

    # --- games -----------------------------------------------------------------------------

    def _op_ListGames(self, call: Call) -> dict[str, Any]:
        items = [g.summary() for g in sorted(self.games.values(), key=lambda g: g.name)]
        return self._page(call, "games", items, "Name", "Games")

    def _op_GetGame(self, call: Call) -> dict[str, Any]:
        return {"Game": self._game(call.label(0)).details()}

    def _op_CreateGame(self, call: Call) -> dict[str, Any]:
        body, now = call.body, call.ctx.now
        token = body.get("ClientToken")
        name = _check_pattern("gameName", body.get("GameName"), NAME_PATTERN, 36)
        if token and self._game_tokens.get(token) in self.games:
            earlier = self.games[self._game_tokens[token]]
            if earlier.name != name:
                raise SimError("ConflictException",
                               f"ClientToken {token} was already used to create game "
                               f"{earlier.name}.", 409)
            return {"Game": earlier.details()}
        if name in self.games:
            raise SimError("ConflictException", f"A game named {name} already exists.", 409)
        if len(self.games) >= MAX_GAMES:
            raise SimError("ServiceQuotaExceededException",
                           f"This account already has {len(self.games)} games in "
                           f"{self.region}, the quota (Games: {MAX_GAMES}).", 402)
        game = Game(name, self._game_arn(name), str(body.get("Description", "")), now, now,
                    dict(body.get("Tags") or {}), config_updated=now)
        self.games[name] = game
        if token:
            self._game_tokens[token] = name
        call.ctx.record("CreateGame", target=name,
                        params={"Description": body.get("Description"), "Tags": body.get("Tags")})
        return {"Game": game.details()}

    def _op_UpdateGame(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        if "Description" in call.body:
            game.description = str(call.body["Description"])
        game.last_updated = call.ctx.now
        call.ctx.record("UpdateGame", target=game.name,
                        params={"Description": call.body.get("Description")})
        return {"Game": game.details()}

    def _op_GetGameConfiguration(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        return {"GameConfiguration": {
            "Created": Timestamp(game.created), "LastUpdated": Timestamp(game.config_updated),
            "Sections": _sections(game.config, self._section_names(call))}}

    def _op_DeleteGame(self, call: Call) -> dict[str, Any]:
        name = call.label(0)
        game = self.games.get(name)
        if game is None:
            # The model lists no ResourceNotFoundException for DeleteGame: a game that is not
            # there is already deleted.
            return {}
        if game.protection:
            raise SimError("ConflictException",
                           f"Game {name} has termination protection enabled.", 409)
        now = call.ctx.now
        busy = [s.name for s in game.stages.values()
                if any(d.state_at(now)[0] in ACTIVE_STATES for d in s.deployments)]
        if busy:
            raise SimError("ConflictException",
                           f"Game {name} has deployments in progress on {', '.join(busy)}.", 409)
        del self.games[name]
        for token in [t for t, g in self._game_tokens.items() if g == name]:
            del self._game_tokens[token]
        for key in [k for k in self._stage_tokens if k[0] == name]:
            del self._stage_tokens[key]
        call.ctx.record("DeleteGame", target=name, params={})
        return {}

    def _configuration(self, game: Game) -> dict[str, Any]:
        return {"GameConfiguration": {
            "Created": Timestamp(game.created), "LastUpdated": Timestamp(game.config_updated),
            "Sections": _sections(game.config, None)}}

    def _store_config(self, game: Game, sections: dict[str, Any], now: float) -> None:
        size = _config_size(sections)
        if size > MAX_CONFIG_BYTES:
            raise SimError("ServiceQuotaExceededException",
                           f"The configuration of game {game.name} would be {size:,} bytes, "
                           f"over the quota (Game configuration size: {MAX_CONFIG_BYTES:,} "
                           f"bytes).", 402)
        game.config, game.config_updated = sections, now

    def _op_ImportGameConfiguration(self, call: Call) -> dict[str, Any]:
        """Replaces the whole configuration with the file's ``Sections`` (the document
        ExportSnapshot gives: each section an object with its ``Attributes``)."""
        game = self._game(call.label(0))
        raw = base64.b64decode(call.p("ImportSource")["File"])
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _invalid("importSource.file", None,
                           "Member must be a JSON document of configuration sections") from None
        sections = document.get("Sections") if isinstance(document, dict) else None
        if not isinstance(sections, dict):
            raise _invalid("importSource.file", None,
                           "Member must hold a Sections object (section name: section)")
        imported: dict[str, Any] = {}
        for name, section in sections.items():
            validate("SectionName", name, f"importSource.file.Sections.{name}")
            if not isinstance(section, dict) or "Attributes" not in section:
                raise _invalid(f"importSource.file.Sections.{name}", None,
                               "Member must be an object with Attributes")
            imported[name] = copy.deepcopy(section["Attributes"])
        self._store_config(game, imported, call.ctx.now)
        call.ctx.record("ImportGameConfiguration", target=game.name,
                        params={"File": raw, "Sections": sorted(imported)})
        return self._configuration(game)

    def _op_UpdateGameConfiguration(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        sections = copy.deepcopy(game.config)
        modifications = call.p("Modifications")
        for index, mod in enumerate(modifications, start=1):
            where = f"modifications.{index}.member"
            operation, section = mod["Operation"], mod["Section"]
            if operation != "REMOVE" and "Value" not in mod:
                raise _invalid(f"{where}.value", None,
                               f"Member must not be null for {operation}")
            if section not in sections:
                if operation != "ADD":
                    raise _invalid(f"{where}.section", section,
                                   "Member must name a section of the configuration")
                sections[section] = {}
            sections[section] = _patch(sections[section], _pointer(mod["Path"]), operation,
                                       copy.deepcopy(mod.get("Value")), where)
        self._store_config(game, sections, call.ctx.now)
        call.ctx.record("UpdateGameConfiguration", target=game.name,
                        params={"Modifications": modifications})
        return self._configuration(game)

    # --- tags ------------------------------------------------------------------------------

    def _tagged(self, call: Call) -> Game | Stage:
        # botocore escapes the '/' in a non-greedy label, but other clients may not.
        arn = "/".join(call.segments[1:])
        for game in self.games.values():
            if game.arn == arn:
                return game
            for stage in game.stages.values():
                if stage.arn == arn:
                    return stage
        raise SimError("ResourceNotFoundException", f"Resource {arn} was not found.", 404)

    def _op_ListTagsForResource(self, call: Call) -> dict[str, Any]:
        return {"tags": dict(self._tagged(call).tags)}

    def _op_TagResource(self, call: Call) -> dict[str, Any]:
        resource, tags = self._tagged(call), call.body.get("tags")
        if not isinstance(tags, dict) or not tags:
            raise _invalid("tags", tags, "Member must not be null")
        merged = {**resource.tags, **{str(k): str(v) for k, v in tags.items()}}
        if len(merged) > MAX_TAGS:
            raise _invalid("tags", None, f"A resource can have at most {MAX_TAGS} tags; "
                                         f"this request would leave {len(merged)}")
        resource.tags = merged
        call.ctx.record("TagResource", target=resource.arn, params={"tags": tags})
        return {}

    def _op_UntagResource(self, call: Call) -> dict[str, Any]:
        resource, keys = self._tagged(call), call.query.get("tagKeys") or []
        if not keys:
            raise _invalid("tagKeys", None, "Member must not be null")
        for key in keys:
            resource.tags.pop(key, None)
        call.ctx.record("UntagResource", target=resource.arn, params={"tagKeys": keys})
        return {}

    # --- snapshots -------------------------------------------------------------------------

    def _op_ListSnapshots(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        items = [s.summary() for s in reversed(game.snapshots)]
        return self._page(call, f"snapshots:{game.name}", items, "Id", "Snapshots")

    def _op_GetSnapshot(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        snapshot = self._snapshot(game, call.label(1))
        return {"Snapshot": snapshot.details(self._section_names(call))}

    def _op_CreateSnapshot(self, call: Call) -> dict[str, Any]:
        game, now = self._game(call.label(0)), call.ctx.now
        description = str(call.body.get("Description") or "")
        if len(game.snapshots) >= MAX_SNAPSHOTS:
            # The quota is documented, but the model lists no ServiceQuotaExceededException
            # for CreateSnapshot: the game's state is what refuses the request.
            raise SimError("ConflictException",
                           f"Game {game.name} already has {len(game.snapshots)} snapshots, the "
                           f"quota (Snapshots per game: {MAX_SNAPSHOTS}).", 409)
        stamp = now
        # Ids come from the clock; a frozen clock must still give every snapshot its own id
        # (the newest is the latest taken, so one step past it is free).
        if game.snapshots and _ms(stamp) <= _ms(game.snapshots[-1].created):
            stamp = (_ms(game.snapshots[-1].created) + 1) / 1000
        while game.snapshot(f"Snapshot_{_iso(stamp)}") is not None:
            stamp += 0.001
        snapshot = Snapshot(f"Snapshot_{_iso(stamp)}", description, stamp, stamp,
                            copy.deepcopy(game.config))
        game.snapshots.append(snapshot)
        call.ctx.record("CreateSnapshot", target=game.name,
                        params={"Description": description, "SnapshotId": snapshot.snapshot_id})
        return {"Snapshot": snapshot.details()}

    def _op_UpdateSnapshot(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        snapshot = self._snapshot(game, call.label(1))
        if "Description" in call.body:
            snapshot.description = str(call.body["Description"])
        snapshot.last_updated = call.ctx.now
        call.ctx.record("UpdateSnapshot", target=f"{game.name}/{snapshot.snapshot_id}",
                        params={"Description": call.body.get("Description")})
        return {"Snapshot": snapshot.details()}

    def _op_ExportSnapshot(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        snapshot = self._snapshot(game, call.label(1))
        document = {"GameName": game.name, "SnapshotId": snapshot.snapshot_id,
                    "Description": snapshot.description, "Created": _iso(snapshot.created),
                    "LastUpdated": _iso(snapshot.last_updated),
                    "Sections": _sections(snapshot.sections, None)}
        body = json.dumps(document, indent=2, sort_keys=True).encode()
        key = f"{self._key_prefix(game)}/snapshots/{snapshot.snapshot_id}.json"
        return {"S3Url": self._download_url(call, body, key, EXPORT_TTL, "application/json")}

    @staticmethod
    def _key_prefix(game: Game) -> str:
        # Keys name the game by a digest of its ARN, not by its name: a name is the caller's
        # text, and the key is part of a URL the console follows.
        return hashlib.sha256(game.arn.encode()).hexdigest()[:16]

    def _download_url(self, call: Call, body: bytes, key: str, ttl: int,
                      content_type: str) -> str:
        """A presigned S3 GET URL of ``body``, in the form S3 gives one: virtual-hosted bucket,
        the key, and the SigV4 query (AWS4-HMAC-SHA256, Credential, Date, Expires, SignedHeaders
        host, a 64-hex Signature over them). A simulator that serves HTTP (the presigner has a
        base URL) must also serve the bytes, so the URL keeps that query and key but names the
        simulator's host; without one it is the S3 host itself."""
        presigner = call.ctx.presigner
        served = presigner.sign(body, key.rsplit("/", 1)[-1], ttl, content_type)
        token = served.split("/_presigned/", 1)[1].split("/", 1)[0]
        host = (f"{EXPORT_BUCKET.format(account=ACCOUNT, region=self.region)}"
                f".s3.{self.region}.amazonaws.com")
        path = "/" + quote(key, safe="/-_.~")
        query, signature = presign_query(host, path, self.region, call.ctx.now, ttl)
        base = (f"{presigner.base_url}/_presigned/{token}{path}" if presigner.base_url
                else f"https://{host}{path}")
        return f"{base}?{query}&X-Amz-Signature={signature}"

    # --- stages ----------------------------------------------------------------------------

    def _op_ListStages(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        items = [s.summary() for s in game.stages.values()]
        return self._page(call, f"stages:{game.name}", items, "Name", "Stages")

    def _op_GetStage(self, call: Call) -> dict[str, Any]:
        return {"Stage": self._stage(call.label(0), call.label(1))[1].details()}

    def _op_CreateStage(self, call: Call) -> dict[str, Any]:
        game, body, now = self._game(call.label(0)), call.body, call.ctx.now
        token = body.get("ClientToken")
        if token and (game.name, token) in self._stage_tokens:
            return {"Stage": game.stages[self._stage_tokens[game.name, token]].details()}
        name = _check_pattern("stageName", body.get("StageName"), NAME_PATTERN, 36)
        role = body.get("Role")
        if not role:
            raise _invalid("role", role, "Member must not be null")
        if name in game.stages:
            raise SimError("ConflictException",
                           f"Stage {name} already exists in game {game.name}.", 409)
        stage = Stage(name, game.name, self._stage_arn(game.name, name), str(role),
                      str(body.get("Description", "")), self._game_key(), now, now,
                      tags=dict(body.get("Tags") or {}))
        game.stages[name] = stage
        if token:
            self._stage_tokens[game.name, token] = name
        call.ctx.record("CreateStage", target=f"{game.name}/{name}",
                        params={"Role": role, "Description": body.get("Description")})
        return {"Stage": stage.details()}

    def _op_DeleteStage(self, call: Call) -> dict[str, Any]:
        game, stage = self._stage(call.label(0), call.label(1))
        busy = [d for d in stage.deployments if d.state_at(call.ctx.now)[0] in ACTIVE_STATES]
        if busy:
            raise SimError("ConflictException",
                           f"Stage {stage.name} has a deployment in progress "
                           f"({busy[-1].deployment_id}); delete it when that ends.", 409)
        del game.stages[stage.name]
        for key in [k for k, v in self._stage_tokens.items() if k[0] == game.name and
                    v == stage.name]:
            del self._stage_tokens[key]
        call.ctx.record("DeleteStage", target=f"{game.name}/{stage.name}", params={})
        return {}

    def _op_UpdateStage(self, call: Call) -> dict[str, Any]:
        game, stage = self._stage(call.label(0), call.label(1))
        if "Description" in call.body:
            stage.description = str(call.body["Description"])
        if call.body.get("Role"):
            # The model's RoleARN pattern was checked on input; a well-formed role that cannot
            # be assumed surfaces as an INVALID_ROLE_FAILURE on the next deployment.
            stage.role = str(call.body["Role"])
        stage.last_updated = call.ctx.now
        call.ctx.record("UpdateStage", target=f"{game.name}/{stage.name}",
                        params={"Description": call.body.get("Description"),
                                "Role": call.body.get("Role")})
        return {"Stage": stage.details()}

    # --- deployments -----------------------------------------------------------------------

    def _op_ListStageDeployments(self, call: Call) -> dict[str, Any]:
        game, stage = self._stage(call.label(0), call.label(1))
        now = call.ctx.now
        items = [d.summary(now) for d in reversed(stage.deployments)]
        return self._page(call, f"deployments:{game.name}/{stage.name}", items, "DeploymentId",
                          "StageDeployments")

    def _op_GetStageDeployment(self, call: Call) -> dict[str, Any]:
        _, stage = self._stage(call.label(0), call.label(1))
        wanted = call.q("DeploymentId")
        if wanted is None:
            if not stage.deployments:
                raise SimError("ResourceNotFoundException",
                               f"Stage {stage.name} has no deployments.", 404)
            deployment = stage.deployments[-1]
        else:
            found = [d for d in stage.deployments if d.deployment_id == wanted]
            if not found:
                raise SimError("ResourceNotFoundException",
                               f"Deployment {wanted} was not found on stage {stage.name}.", 404)
            deployment = found[0]
        return {"StageDeployment": deployment.details(call.ctx.now)}

    def _op_StartStageDeployment(self, call: Call) -> dict[str, Any]:
        game, stage = self._stage(call.label(0), call.label(1))
        now, body = call.ctx.now, call.body
        snapshot = self._snapshot(game, body.get("SnapshotId"))
        token = body.get("ClientToken")
        if token is not None and not 33 <= len(str(token)) <= 126:
            raise _invalid("clientToken", token, "Member must have length between 33 and 126")
        replay = self._replay(stage, token, snapshot)
        if replay is not None:
            return {"StageDeployment": replay.details(now)}
        busy = [d for d in stage.deployments if d.state_at(now)[0] in ACTIVE_STATES]
        if busy:
            raise SimError("ConflictException",
                           f"A deployment is already in progress on stage {stage.name} "
                           f"({busy[-1].deployment_id}).", 409)
        deployment = self._new_deployment(stage, snapshot, now, token)
        stage.deployments.append(deployment)
        call.ctx.record("StartStageDeployment", target=f"{game.name}/{stage.name}",
                        params={"SnapshotId": snapshot.snapshot_id, "ClientToken": token,
                                "DeploymentId": deployment.deployment_id})
        return {"StageDeployment": deployment.details(now)}

    @staticmethod
    def _replay(stage: Stage, token: str | None, snapshot: Snapshot) -> Deployment | None:
        if token is None:
            return None
        for deployment in stage.deployments:
            if deployment.client_token != token:
                continue
            if deployment.snapshot_id != snapshot.snapshot_id:
                raise SimError("ConflictException",
                               f"ClientToken {token} was already used to deploy "
                               f"{deployment.snapshot_id} to stage {stage.name}.", 409)
            return deployment
        return None

    def _new_deployment(self, stage: Stage, snapshot: Snapshot, now: float,
                        token: str | None) -> Deployment:
        if not _assumable(stage.role):
            # The role is assumed before a runtime is built, so this fails straight from PENDING.
            return Deployment(_uuid(self.rng), snapshot.snapshot_id, now,
                              outcome=INVALID_ROLE_FAILURE, ends_after=PENDING_SECONDS,
                              message=MESSAGES[INVALID_ROLE_FAILURE].format(role=stage.role),
                              client_token=token)
        if "broken" in snapshot.description.lower():
            return Deployment(_uuid(self.rng), snapshot.snapshot_id, now,
                              outcome=UNSPECIFIED_FAILURE, client_token=token,
                              message=MESSAGES[UNSPECIFIED_FAILURE].format(
                                  snapshot=snapshot.snapshot_id))
        return Deployment(_uuid(self.rng), snapshot.snapshot_id, now, client_token=token,
                          message=MESSAGES[SUCCESS].format(snapshot=snapshot.snapshot_id,
                                                           stage=stage.name))

    # --- runtime ---------------------------------------------------------------------------

    def _player(self, call: Call) -> tuple[Game, Stage, str]:
        game, stage = self._stage(call.label(0), call.label(1))
        player = _check_pattern("playerId", call.label(2), NAME_PATTERN, 44)
        return game, stage, player

    def _op_GetPlayerConnectionStatus(self, call: Call) -> dict[str, Any]:
        _, stage, player = self._player(call)
        return {"Connections": [{"Id": c.connection_id, "Created": Timestamp(c.created)}
                                for c in stage.players.get(player, [])]}

    def _op_DisconnectPlayer(self, call: Call) -> dict[str, Any]:
        game, stage, player = self._player(call)
        closed = [c.connection_id for c in stage.players.pop(player, [])]
        call.ctx.record("DisconnectPlayer", target=f"{game.name}/{stage.name}",
                        params={"PlayerId": player, "DisconnectSuccesses": closed})
        return {"DisconnectSuccesses": closed, "DisconnectFailures": []}


    # --- extensions ------------------------------------------------------------------------

    @staticmethod
    def _extension(call: Call) -> Extension:
        namespace, name = call.p("Namespace"), call.p("Name")
        for extension in EXTENSIONS:
            if (extension.namespace, extension.name) == (namespace, name):
                return extension
        raise SimError("ResourceNotFoundException",
                       f"Extension {namespace}.{name} was not found.", 404)

    def _op_ListExtensions(self, call: Call) -> dict[str, Any]:
        items = [e.details() for e in EXTENSIONS]
        return self._page(call, "extensions", items, "Name", "Extensions")

    def _op_GetExtension(self, call: Call) -> dict[str, Any]:
        return {"Extension": self._extension(call).details()}

    def _op_ListExtensionVersions(self, call: Call) -> dict[str, Any]:
        extension = self._extension(call)
        items = [extension.version(v) for v in extension.versions]
        return self._page(call, f"extension-versions:{extension.namespace}.{extension.name}",
                          items, "Version", "ExtensionVersions")

    def _op_GetExtensionVersion(self, call: Call) -> dict[str, Any]:
        extension, version = self._extension(call), call.p("ExtensionVersion")
        if version not in extension.versions:
            raise SimError("ResourceNotFoundException",
                           f"Extension {extension.namespace}.{extension.name} has no version "
                           f"{version}.", 404)
        return {"ExtensionVersion": extension.version(version)}

    # --- generated code jobs ---------------------------------------------------------------

    def _op_StartGeneratedCodeJob(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        snapshot = self._snapshot(game, call.label(1))
        generator = call.p("Generator") or {}
        platform = generator.get("TargetPlatform") or ""
        languages = GENERATORS.get(platform, ())
        language = generator.get("Language") or (languages[0] if languages else "")
        wanted = generator.get("GameSdkVersion") or "LATEST"
        sdk = GAME_SDK_VERSIONS[-1] if wanted == "LATEST" else wanted
        # The job is accepted and fails on its own, as an asynchronous job does.
        failure = None
        if not languages:
            failure = (f"Target platform {platform or '(none)'} is not supported; use one of "
                       f"{', '.join(sorted(GENERATORS))}.")
        elif language not in languages:
            failure = (f"Language {language} is not supported for {platform}; use "
                       f"{', '.join(languages)}.")
        elif sdk not in GAME_SDK_VERSIONS:
            failure = (f"Game SDK version {wanted} is not available; use one of "
                       f"{', '.join(GAME_SDK_VERSIONS)} or LATEST.")
        job = CodeJob(_uuid(self.rng), call.ctx.now, platform, language, sdk, failure)
        snapshot.jobs.append(job)
        call.ctx.record("StartGeneratedCodeJob", target=f"{game.name}/{snapshot.snapshot_id}",
                        params={"Generator": generator, "GeneratedCodeJobId": job.job_id})
        return {"GeneratedCodeJobId": job.job_id}

    def _job_view(self, call: Call, game: Game, snapshot: Snapshot,
                  job: CodeJob) -> dict[str, Any]:
        now = call.ctx.now
        status = job.status_at(now)
        item: dict[str, Any] = {"GeneratedCodeJobId": job.job_id, "Status": status,
                                "Description": job.description}
        if status == "COMPLETED":
            if job.url is None or job.expires is None or now > job.expires:
                key = (f"{self._key_prefix(game)}/generated-code/{snapshot.snapshot_id}/"
                       f"{job.job_id}.zip")
                job.url = self._download_url(call, _generated_code(game.name, snapshot, job),
                                             key, CODE_TTL, "application/zip")
                job.expires = now + CODE_TTL
            item["S3Url"], item["ExpirationTime"] = job.url, Timestamp(job.expires)
        return item

    def _op_GetGeneratedCodeJob(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        snapshot = self._snapshot(game, call.label(1))
        job = next((j for j in snapshot.jobs if j.job_id == call.p("JobId")), None)
        if job is None:
            raise SimError("ResourceNotFoundException",
                           f"Code generation job {call.p('JobId')} was not found for "
                           f"{snapshot.snapshot_id}.", 404)
        return {"GeneratedCodeJob": self._job_view(call, game, snapshot, job)}

    def _op_ListGeneratedCodeJobs(self, call: Call) -> dict[str, Any]:
        game = self._game(call.label(0))
        snapshot = self._snapshot(game, call.label(1))
        items = [self._job_view(call, game, snapshot, j) for j in reversed(snapshot.jobs)]
        return self._page(call, f"code-jobs:{game.name}/{snapshot.snapshot_id}", items,
                          "GeneratedCodeJobId", "GeneratedCodeJobs")
