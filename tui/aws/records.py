"""Typed, compact records built from boto3 responses.

Attribute names are the AWS field names in snake_case, so a reader can follow the API reference.
Records are frozen (a refresh replaces them, nobody edits them in place) and use slots, because
the sessions view holds tens of thousands of GameSessions. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

UTC = dt.UTC


def _time(value: Any) -> dt.datetime | None:
    """botocore gives datetimes in local time (epoch numbers) or UTC (ISO 8601); unify to UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    raise TypeError(f"not a timestamp: {value!r}")


def _pairs(items: Any, key: str = "Key", value: str = "Value") -> tuple[tuple[str, str], ...]:
    if not items:
        return ()
    if isinstance(items, Mapping):  # GameSparks tags are a map
        return tuple((str(k), str(v)) for k, v in items.items())
    return tuple((str(i.get(key, "")), str(i.get(value, ""))) for i in items)


def _last_segment(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn else ""


# --- GameLift -------------------------------------------------------------------------------


def _creation_limit(policy: Any) -> tuple[int, int] | None:
    if not isinstance(policy, Mapping):
        return None
    per_creator = policy.get("NewGameSessionsPerCreator") or 0
    minutes = policy.get("PolicyPeriodInMinutes") or 0
    if isinstance(per_creator, int) and isinstance(minutes, int) and per_creator > 0 \
            and minutes > 0:
        return per_creator, minutes
    return None


@dataclass(frozen=True, slots=True)
class Fleet:
    fleet_id: str
    fleet_arn: str
    name: str
    status: str
    compute_type: str  # EC2 | CONTAINER | ANYWHERE
    fleet_type: str | None = None
    instance_type: str | None = None
    description: str | None = None
    script_id: str | None = None
    script_arn: str | None = None
    build_id: str | None = None
    build_arn: str | None = None
    operating_system: str | None = None
    creation_time: dt.datetime | None = None
    locations: tuple[str, ...] = ()
    # ResourceCreationLimitPolicy in force: (NewGameSessionsPerCreator, PolicyPeriodInMinutes);
    # CreateGameSession then requires a CreatorId.
    creation_limit: tuple[int, int] | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any], locations: tuple[str, ...] = ()) -> Fleet:
        fleet_id = item["FleetId"]
        compute = item.get("ComputeType") or "EC2"
        # Managed container fleets have their own id prefix, while FleetAttributes says EC2.
        if fleet_id.startswith("containerfleet-"):
            compute = "CONTAINER"
        return cls(
            fleet_id=fleet_id, fleet_arn=item.get("FleetArn", ""), name=item.get("Name", ""),
            status=item.get("Status", ""), compute_type=compute,
            fleet_type=item.get("FleetType"), instance_type=item.get("InstanceType"),
            description=item.get("Description"), script_id=item.get("ScriptId"),
            script_arn=item.get("ScriptArn"), build_id=item.get("BuildId"),
            build_arn=item.get("BuildArn"), operating_system=item.get("OperatingSystem"),
            creation_time=_time(item.get("CreationTime")), locations=tuple(locations),
            creation_limit=_creation_limit(item.get("ResourceCreationLimitPolicy")))

    @property
    def home_region(self) -> str:
        """The region part of the fleet ARN (arn:aws:gamelift:<region>:<account>:fleet/...)."""
        parts = self.fleet_arn.split(":")
        return parts[3] if len(parts) > 3 else ""


@dataclass(frozen=True, slots=True)
class FleetCapacity:
    fleet_id: str
    location: str | None
    instance_type: str | None
    desired: int
    minimum: int
    maximum: int
    pending: int
    active: int
    idle: int
    terminating: int

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> FleetCapacity:
        counts = item.get("InstanceCounts") or {}
        return cls(
            fleet_id=item["FleetId"], location=item.get("Location"),
            instance_type=item.get("InstanceType"), desired=counts.get("DESIRED", 0),
            minimum=counts.get("MINIMUM", 0), maximum=counts.get("MAXIMUM", 0),
            pending=counts.get("PENDING", 0), active=counts.get("ACTIVE", 0),
            idle=counts.get("IDLE", 0), terminating=counts.get("TERMINATING", 0))


@dataclass(frozen=True, slots=True)
class FleetUtilization:
    fleet_id: str
    location: str | None
    active_server_process_count: int
    active_game_session_count: int
    current_player_session_count: int
    maximum_player_session_count: int

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> FleetUtilization:
        return cls(
            fleet_id=item["FleetId"], location=item.get("Location"),
            active_server_process_count=item.get("ActiveServerProcessCount", 0),
            active_game_session_count=item.get("ActiveGameSessionCount", 0),
            current_player_session_count=item.get("CurrentPlayerSessionCount", 0),
            maximum_player_session_count=item.get("MaximumPlayerSessionCount", 0))

    @property
    def percent_full(self) -> float:
        """Players as a percentage of player slots in active sessions (0 when there are none)."""
        if self.maximum_player_session_count <= 0:
            return 0.0
        return 100.0 * self.current_player_session_count / self.maximum_player_session_count


@dataclass(frozen=True, slots=True)
class GameSession:
    game_session_id: str
    fleet_id: str
    status: str
    name: str = ""
    fleet_arn: str | None = None
    creation_time: dt.datetime | None = None
    termination_time: dt.datetime | None = None
    current_player_session_count: int = 0
    maximum_player_session_count: int = 0
    status_reason: str | None = None
    game_properties: tuple[tuple[str, str], ...] = ()
    ip_address: str | None = None
    dns_name: str | None = None
    port: int | None = None
    player_session_creation_policy: str | None = None
    creator_id: str | None = None
    game_session_data: str | None = None
    matchmaker_data: str | None = None
    location: str | None = None
    # Only DescribeGameSessionDetails reports it; None means "not known from this response".
    protection_policy: str | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any], protection_policy: str | None = None) -> GameSession:
        return cls(
            game_session_id=item["GameSessionId"], fleet_id=item.get("FleetId", ""),
            status=item.get("Status", ""), name=item.get("Name", ""),
            fleet_arn=item.get("FleetArn"), creation_time=_time(item.get("CreationTime")),
            termination_time=_time(item.get("TerminationTime")),
            current_player_session_count=item.get("CurrentPlayerSessionCount", 0),
            maximum_player_session_count=item.get("MaximumPlayerSessionCount", 0),
            status_reason=item.get("StatusReason"),
            game_properties=_pairs(item.get("GameProperties")),
            ip_address=item.get("IpAddress"), dns_name=item.get("DnsName"),
            port=item.get("Port"),
            player_session_creation_policy=item.get("PlayerSessionCreationPolicy"),
            creator_id=item.get("CreatorId"), game_session_data=item.get("GameSessionData"),
            matchmaker_data=item.get("MatchmakerData"), location=item.get("Location"),
            protection_policy=protection_policy)

    @classmethod
    def from_details(cls, detail: Mapping[str, Any]) -> GameSession:
        """From one element of DescribeGameSessionDetails' GameSessionDetails."""
        return cls.from_api(detail["GameSession"], detail.get("ProtectionPolicy"))

    @property
    def short_id(self) -> str:
        """The custom id or idempotency token: the last segment of the game session ARN."""
        return _last_segment(self.game_session_id)

    @property
    def properties(self) -> dict[str, str]:
        return dict(self.game_properties)

    def prop(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.game_properties:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class PlayerSession:
    player_session_id: str
    player_id: str | None
    game_session_id: str | None
    fleet_id: str | None
    status: str
    creation_time: dt.datetime | None = None
    termination_time: dt.datetime | None = None
    ip_address: str | None = None
    dns_name: str | None = None
    port: int | None = None
    player_data: str | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> PlayerSession:
        return cls(
            player_session_id=item["PlayerSessionId"], player_id=item.get("PlayerId"),
            game_session_id=item.get("GameSessionId"), fleet_id=item.get("FleetId"),
            status=item.get("Status", ""), creation_time=_time(item.get("CreationTime")),
            termination_time=_time(item.get("TerminationTime")),
            ip_address=item.get("IpAddress"), dns_name=item.get("DnsName"),
            port=item.get("Port"), player_data=item.get("PlayerData"))


@dataclass(frozen=True, slots=True)
class Script:
    script_id: str
    script_arn: str
    name: str
    version: str
    size_on_disk: int | None = None
    creation_time: dt.datetime | None = None
    node_js_version: str | None = None
    storage_location: dict[str, str] | None = field(default=None, compare=False)

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Script:
        storage = item.get("StorageLocation")
        return cls(
            script_id=item["ScriptId"], script_arn=item.get("ScriptArn", ""),
            name=item.get("Name", ""), version=item.get("Version", ""),
            size_on_disk=item.get("SizeOnDisk"), creation_time=_time(item.get("CreationTime")),
            node_js_version=item.get("NodeJsVersion"),
            storage_location=dict(storage) if storage else None)


@dataclass(frozen=True, slots=True)
class Alias:
    alias_id: str
    alias_arn: str
    name: str
    description: str | None = None
    routing_type: str | None = None  # SIMPLE | TERMINAL
    routing_fleet_id: str | None = None
    routing_message: str | None = None
    creation_time: dt.datetime | None = None
    last_updated_time: dt.datetime | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Alias:
        routing = item.get("RoutingStrategy") or {}
        return cls(
            alias_id=item["AliasId"], alias_arn=item.get("AliasArn", ""),
            name=item.get("Name", ""), description=item.get("Description"),
            routing_type=routing.get("Type"), routing_fleet_id=routing.get("FleetId"),
            routing_message=routing.get("Message"),
            creation_time=_time(item.get("CreationTime")),
            last_updated_time=_time(item.get("LastUpdatedTime")))


# --- GameSparks -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Game:
    name: str
    state: str | None = None
    description: str | None = None
    arn: str | None = None
    created: dt.datetime | None = None
    last_updated: dt.datetime | None = None
    enable_termination_protection: bool | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Game:
        return cls(
            name=item["Name"], state=item.get("State"), description=item.get("Description"),
            arn=item.get("Arn"), created=_time(item.get("Created")),
            last_updated=_time(item.get("LastUpdated")),
            enable_termination_protection=item.get("EnableTerminationProtection"),
            tags=_pairs(item.get("Tags")))


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    game_name: str = ""
    state: str | None = None
    description: str | None = None
    game_key: str | None = None
    arn: str | None = None
    role: str | None = None
    log_group: str | None = None
    created: dt.datetime | None = None
    last_updated: dt.datetime | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_api(cls, item: Mapping[str, Any], game_name: str = "") -> Stage:
        return cls(
            name=item["Name"], game_name=game_name, state=item.get("State"),
            description=item.get("Description"), game_key=item.get("GameKey"),
            arn=item.get("Arn"), role=item.get("Role"), log_group=item.get("LogGroup"),
            created=_time(item.get("Created")), last_updated=_time(item.get("LastUpdated")),
            tags=_pairs(item.get("Tags")))


@dataclass(frozen=True, slots=True)
class StageDeployment:
    deployment_id: str
    snapshot_id: str | None = None
    deployment_state: str | None = None  # PENDING | IN_PROGRESS | COMPLETED | FAILED
    deployment_action: str | None = None  # DEPLOY | UNDEPLOY
    result_code: str | None = None  # SUCCESS | INVALID_ROLE_FAILURE | UNSPECIFIED_FAILURE
    result_message: str | None = None
    created: dt.datetime | None = None
    last_updated: dt.datetime | None = None
    game_name: str = ""
    stage_name: str = ""

    @classmethod
    def from_api(cls, item: Mapping[str, Any], game_name: str = "",
                 stage_name: str = "") -> StageDeployment:
        result = item.get("DeploymentResult") or {}
        return cls(
            deployment_id=item["DeploymentId"], snapshot_id=item.get("SnapshotId"),
            deployment_state=item.get("DeploymentState"),
            deployment_action=item.get("DeploymentAction"),
            result_code=result.get("ResultCode"), result_message=result.get("Message"),
            created=_time(item.get("Created")), last_updated=_time(item.get("LastUpdated")),
            game_name=game_name, stage_name=stage_name)

    @property
    def finished(self) -> bool:
        return self.deployment_state in ("COMPLETED", "FAILED")


@dataclass(frozen=True, slots=True)
class SnapshotSection:
    name: str
    size: int | None
    attributes: Any  # a free-form JSON document

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> SnapshotSection:
        return cls(name=item.get("Name", ""), size=item.get("Size"),
                   attributes=item.get("Attributes"))


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: str
    description: str | None = None
    created: dt.datetime | None = None
    last_updated: dt.datetime | None = None
    # Empty for ListSnapshots summaries; GetSnapshot fills it (section name → section).
    sections: dict[str, SnapshotSection] = field(default_factory=dict, compare=False)
    game_name: str = ""

    @classmethod
    def from_api(cls, item: Mapping[str, Any], game_name: str = "") -> Snapshot:
        sections = {name: SnapshotSection.from_api({"Name": name, **section})
                    for name, section in (item.get("Sections") or {}).items()}
        return cls(
            id=item["Id"], description=item.get("Description"),
            created=_time(item.get("Created")), last_updated=_time(item.get("LastUpdated")),
            sections=sections, game_name=game_name)
