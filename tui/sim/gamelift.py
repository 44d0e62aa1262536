"""The GameLift half of the simulator: fleets, game sessions, player sessions, scripts, aliases.

State changes over simulated time are applied lazily, when a request arrives, from a heap of due
transitions; that keeps 100k sessions cheap and makes a frozen clock fully deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import io
import random
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.sim.core import RequestContext, SimError
from tui.sim.wire import Timestamp

ACCOUNT = "123456789012"
PAGE_CAP = 100
SEARCH_PAGE_CAP = 20
MAX_ZIP = 5_000_000
ACTIVATION_SECONDS = 8.0
GRACEFUL_SECONDS = 6.0
FORCE_SECONDS = 2.0
DRIFT_INTERVAL = 15.0
LOG_URL_TTL = 15 * 60
_ID_STRING = re.compile(r"[a-zA-Z0-9-]{1,48}")  # IdStringModel: IdempotencyToken, GameSessionId
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
# Where the simulator's GameLift hosts fleets; an AWS Region outside it is answered with
# UnsupportedRegionException, as the service does for a Region it is not offered in.
GAMELIFT_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "me-south-1", "sa-east-1",
})
_ROLE_ARN = re.compile(r"arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+")
CREATOR_INTERVAL = 1.0  # seconds between two CreateGameSession of one CreatorId

MODES = ["ranked", "casual", "tournament", "custom"]
MAPS = ["dust", "frost", "lava", "harbor", "canyon", "orbit"]
BUILDS = ["1.42.0", "1.42.1", "1.43.0"]
SKILLS = ["bronze", "silver", "gold", "platinum", "diamond"]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(slots=True)
class SimSession:
    arn: str
    name: str
    fleet_id: str
    fleet_arn: str
    creation: float
    current: int
    maximum: int
    status: str
    location: str
    ip: str
    dns: str
    port: int
    props: list[tuple[str, str]]
    policy: str = "ACCEPT_ALL"
    protection: str = "NoProtection"
    reason: str | None = None
    termination: float | None = None
    creator: str | None = None
    data: str | None = None
    matchmaker: str | None = None
    token: str | None = None
    drain_terminate: bool = False
    ends_on_terminate: bool = True  # the server process calls ProcessEnding() when asked

    def api(self, *, searchable_only: bool = False) -> dict[str, Any]:
        # SearchGameSessions leaves out properties whose key has a period (seed 001: they "will
        # be filtered out from search results due to search index limitations").
        props = [(k, v) for k, v in self.props if not (searchable_only and "." in k)]
        item: dict[str, Any] = {
            "GameSessionId": self.arn,
            "Name": self.name,
            "FleetId": self.fleet_id,
            "FleetArn": self.fleet_arn,
            "CreationTime": Timestamp(self.creation),
            "CurrentPlayerSessionCount": self.current,
            "MaximumPlayerSessionCount": self.maximum,
            "Status": self.status,
            "GameProperties": [{"Key": k, "Value": v} for k, v in props],
            "IpAddress": self.ip,
            "DnsName": self.dns,
            "Port": self.port,
            "PlayerSessionCreationPolicy": self.policy,
            "Location": self.location,
        }
        if self.termination is not None:
            item["TerminationTime"] = Timestamp(self.termination)
        if self.reason:
            item["StatusReason"] = self.reason
        if self.creator:
            item["CreatorId"] = self.creator
        if self.data:
            item["GameSessionData"] = self.data
        if self.matchmaker:
            item["MatchmakerData"] = self.matchmaker
        return item

    def search_view(self) -> dict[str, Any]:
        # The grammar module judges boto3-shaped dicts; epoch seconds are enough for it.
        return {
            "GameSessionId": self.arn,
            "Name": self.name,
            "CreationTime": self.creation,
            "CurrentPlayerSessionCount": self.current,
            "MaximumPlayerSessionCount": self.maximum,
            "PlayerSessionCreationPolicy": self.policy,
            "Status": self.status,
            "GameProperties": [{"Key": k, "Value": v} for k, v in self.props],
        }


@dataclass(slots=True)
class SimFleet:
    fleet_id: str
    arn: str
    name: str
    description: str
    compute: str  # EC2 | CONTAINER | ANYWHERE (CONTAINER is reported as EC2 on the wire)
    instance_type: str | None
    home: str
    locations: list[str]
    created: float
    status: str = "ACTIVE"
    script_id: str | None = None
    build_id: str | None = None
    fleet_type: str = "ON_DEMAND"
    sessions: list[SimSession] = field(default_factory=list)
    capacity: dict[str, int] = field(default_factory=dict)  # location → game-session slots
    events: list[dict[str, Any]] = field(default_factory=list)
    tls: bool = False
    # ResourceCreationLimitPolicy: (NewGameSessionsPerCreator, PolicyPeriodInMinutes).
    creation_limit: tuple[int, int] | None = None

    def dns_name(self, ip: str, location: str) -> str:
        """Seed 004's forms: "TLS-enabled fleets: <unique identifier>.<region
        identifier>.amazongamelift.com. Non-TLS-enabled fleets: ec2-<unique
        identifier>.compute.amazonaws.com." """
        if self.tls:
            unique = hashlib.sha1(f"{self.fleet_id}:{ip}".encode()).hexdigest()[:20]
            return f"{unique}.{location}.amazongamelift.com"
        return f"ec2-{ip.replace('.', '-')}.compute.amazonaws.com"

    def attributes(self, scripts: dict[str, SimScript]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "FleetId": self.fleet_id,
            "FleetArn": self.arn,
            "FleetType": self.fleet_type,
            "Description": self.description,
            "Name": self.name,
            "CreationTime": Timestamp(self.created),
            "Status": self.status,
            "NewGameSessionProtectionPolicy": "NoProtection",
            "OperatingSystem": "AMAZON_LINUX_2023",
            "ComputeType": "ANYWHERE" if self.compute == "ANYWHERE" else "EC2",
            "MetricGroups": ["default"],
            "CertificateConfiguration": {"CertificateType": "GENERATED" if self.tls
                                         else "DISABLED"},
        }
        if self.instance_type:
            item["InstanceType"] = self.instance_type
        if self.creation_limit is not None:
            item["ResourceCreationLimitPolicy"] = {
                "NewGameSessionsPerCreator": self.creation_limit[0],
                "PolicyPeriodInMinutes": self.creation_limit[1]}
        if self.script_id and self.script_id in scripts:
            item["ScriptId"] = self.script_id
            item["ScriptArn"] = scripts[self.script_id].arn
        if self.build_id:
            item["BuildId"] = self.build_id
            item["BuildArn"] = f"arn:aws:gamelift:{self.home}::build/{self.build_id}"
            item["ServerLaunchPath"] = "/local/game/server"
        return item


@dataclass(slots=True)
class SimScript:
    script_id: str
    arn: str
    name: str
    version: str
    created: float
    node: str
    size: int
    zip_bytes: bytes | None = None
    storage: dict[str, str] | None = None

    def api(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "ScriptId": self.script_id,
            "ScriptArn": self.arn,
            "Name": self.name,
            "Version": self.version,
            "SizeOnDisk": self.size,
            "CreationTime": Timestamp(self.created),
            "NodeJsVersion": self.node,
        }
        if self.storage:
            item["StorageLocation"] = dict(self.storage)
        return item


def _demo_zip(name: str, version: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.js", f"// {name} {version}\n'use strict';\n"
                         "exports.ssExports = { configuration: { pingIntervalTime: 30000 } };\n")
        archive.writestr("lib/match.js", f"module.exports = {{ version: '{version}' }};\n")
    return buffer.getvalue()


class GameLiftSim:
    def __init__(self, clock: Any, rng: random.Random, region: str, *, sessions: int = 400,
                 fleets: int = 0, drift: bool = True) -> None:
        self.clock = clock
        self.rng = rng
        self.region = region
        self.drift_enabled = drift
        self.fleets: dict[str, SimFleet] = {}
        self.sessions: dict[str, SimSession] = {}
        self.scripts: dict[str, SimScript] = {}
        self.aliases: dict[str, dict[str, Any]] = {}
        self._due: list[tuple[float, int, str, str]] = []
        self._seq = 0
        self._search_cache: dict[str, tuple[str, list[str]]] = {}  # search id → (params, ids)
        self._searches = 0
        self.s3_objects: dict[tuple[str, str], dict[str, bytes]] = {}  # (bucket, key) → versions
        self._tokens: dict[str, str] = {}  # IdempotencyToken → the game session it created
        self._creators: dict[str, float] = {}  # CreatorId → time of its last create
        self._last_drift = clock.now()
        self._seed(sessions, fleets)

    # --- the demo world ----------------------------------------------------------------------

    def _seed(self, total_sessions: int, fleet_count: int) -> None:
        now = self.clock.now()
        rng = self.rng
        for name, versions in (("arena-realtime", ["1.0.0", "1.1.0", "1.2.0"]),
                               ("lobby-chat", ["0.9.0", "1.0.0"]),
                               ("party-matchmaker", ["2.3.1"])):
            for index, version in enumerate(versions):
                self._add_script(name, version, "24.x" if index else "10.x",
                                 now - (len(versions) - index) * 86400 * 9)
        script_ids = {(s.name, s.version): s.script_id for s in self.scripts.values()}
        # The studio's own bucket holds the next arena build, for an UpdateScript from S3.
        self.put_object("arena-scripts", "arena-realtime/1.3.0.zip",
                        _demo_zip("arena-realtime", "1.3.0"), "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY")
        if fleet_count <= 0:
            specs = [
                ("arena-prod", "EC2", "c5.large", ["us-west-2", "us-east-1", "eu-west-1"],
                 script_ids[("arena-realtime", "1.2.0")], None, 0.34),
                ("arena-canary", "EC2", "c5.large", ["us-west-2"],
                 script_ids[("arena-realtime", "1.1.0")], None, 0.08),
                ("lobby-containers", "CONTAINER", None, ["us-west-2", "ap-northeast-1"],
                 script_ids[("lobby-chat", "1.0.0")], None, 0.22),
                ("battle-royale-spot", "EC2", "c6g.xlarge", ["us-west-2", "eu-central-1"],
                 None, "build-" + _uuid(rng), 0.28),
                ("lan-anywhere", "ANYWHERE", None, ["custom-studio-lab"], None,
                 "build-" + _uuid(rng), 0.08),
            ]
        else:
            specs = [(f"fleet-{i:02d}", "EC2", "c5.large", ["us-west-2", "us-east-1"],
                      None, "build-" + _uuid(rng), 1.0 / fleet_count) for i in range(fleet_count)]
        for name, compute, itype, locations, script_id, build_id, share in specs:
            prefix = "containerfleet" if compute == "CONTAINER" else "fleet"
            fleet_id = f"{prefix}-{_uuid(rng)}"
            fleet = SimFleet(
                fleet_id=fleet_id,
                arn=f"arn:aws:gamelift:{self.region}:{ACCOUNT}:fleet/{fleet_id}",
                name=name, description=f"{name} ({compute.lower()})", compute=compute,
                instance_type=itype, home=locations[0] if compute != "ANYWHERE" else self.region,
                locations=locations, created=now - 86400 * rng.randint(20, 200),
                script_id=script_id, build_id=build_id,
                fleet_type="SPOT" if "spot" in name else "ON_DEMAND",
                tls=name == "arena-prod")
            self.fleets[fleet_id] = fleet
            count = max(1, round(total_sessions * share))
            for _ in range(count):
                self._new_session(fleet, rng.choice(locations), now - rng.uniform(60, 6 * 3600),
                                  seeded=True)
            for location in locations:
                used = sum(1 for s in fleet.sessions if s.location == location)
                fleet.capacity[location] = int(used * 1.25) + 8
            fleet.events = [
                {"EventId": _uuid(rng), "ResourceId": fleet_id, "EventCode": code,
                 "Message": message, "EventTime": Timestamp(fleet.created + offset)}
                for code, message, offset in (
                    ("FLEET_CREATED", "Fleet created", 0),
                    ("FLEET_STATE_ACTIVE", "Fleet is active", 1800),
                    ("FLEET_SCALING_EVENT", "Desired instances changed", 86400),
                )
            ]
        if fleet_count <= 0:
            fleets = list(self.fleets.values())
            for name, target, strategy in (("arena-live", fleets[0], "SIMPLE"),
                                           ("arena-next", fleets[1], "SIMPLE"),
                                           ("retired-beta", None, "TERMINAL")):
                alias_id = f"alias-{_uuid(rng)}"
                routing: dict[str, Any] = {"Type": strategy}
                if target:
                    routing["FleetId"] = target.fleet_id
                else:
                    routing["Message"] = "The beta has ended. Thanks for playing!"
                self.aliases[alias_id] = {
                    "AliasId": alias_id, "Name": name,
                    "AliasArn": f"arn:aws:gamelift:{self.region}:{ACCOUNT}:alias/{alias_id}",
                    "Description": f"{name} routing", "RoutingStrategy": routing,
                    "CreationTime": Timestamp(now - 86400 * 30),
                    "LastUpdatedTime": Timestamp(now - 86400 * 2)}

    def _add_script(self, name: str, version: str, node: str, created: float) -> SimScript:
        script_id = f"script-{_uuid(self.rng)}"
        body = _demo_zip(name, version)
        arn = f"arn:aws:gamelift:{self.region}:{ACCOUNT}:script/{script_id}"
        script = SimScript(script_id, arn, name, version, created, node, len(body),
                           zip_bytes=body)
        script.storage = self._managed_location(script)
        self.scripts[script_id] = script
        return script

    def _new_session(self, fleet: SimFleet, location: str, created: float, *, seeded: bool,
                     name: str | None = None, maximum: int | None = None,
                     props: list[tuple[str, str]] | None = None, token: str | None = None,
                     creator: str | None = None, data: str | None = None) -> SimSession:
        rng = self.rng
        custom = token or f"gsess-{_uuid(rng)}"
        arn = f"arn:aws:gamelift:{location}::gamesession/{fleet.fleet_id}/{custom}"
        if maximum is None:
            maximum = rng.choice([2, 4, 8, 10, 16, 32, 64])
        if props is None:
            props = [("mode", rng.choice(MODES)), ("map", rng.choice(MAPS)),
                     ("build", rng.choice(BUILDS)), ("skill", rng.choice(SKILLS))]
            if rng.random() < 0.15:
                props.append(("event", "winter-cup"))
            if rng.random() < 0.1:
                props.append(("ui.theme", rng.choice(["dark", "light"])))
        status = "ACTIVE"
        if seeded:
            roll = rng.random()
            status = ("ACTIVATING" if roll < 0.02 else "TERMINATED" if roll < 0.07 else
                      "ERROR" if roll < 0.075 else "ACTIVE")
        octets = ".".join(str(rng.randint(1, 254)) for _ in range(3))
        ip = f"54.{octets}"  # a public address: players connect to it
        session = SimSession(
            arn=arn, name=name if name is not None else
            f"{props[0][1] if props else 'match'}-{rng.randint(1000, 9999)}",
            fleet_id=fleet.fleet_id, fleet_arn=fleet.arn, creation=created,
            current=0, maximum=maximum, status=status, location=location,
            ip=ip, dns=fleet.dns_name(ip, location),
            port=rng.randint(7000, 7999), props=props, token=token, creator=creator, data=data)
        # A Realtime server always answers OnProcessTerminate; a custom build may not (seed 004:
        # "If the server process doesn't call ProcessEnding(), this termination method won't be
        # successful"). In the demo world the old 1.42.0 build of the Spot fleet is that build.
        session.ends_on_terminate = not (fleet.fleet_type == "SPOT" and
                                         ("build", "1.42.0") in props)
        if status == "ACTIVE" and seeded:
            # Only the seeded world starts with players, locks, protection and match data; a new
            # session opens to all players with the fleet's NewGameSessionProtectionPolicy.
            session.current = rng.randint(0, maximum)
            if rng.random() < 0.08:
                session.policy = "DENY_ALL"
            if rng.random() < 0.1:
                session.protection = "FullProtection"
            if rng.random() < 0.2:
                session.matchmaker = ('{"matchId":"' + _uuid(rng) +
                                      '","matchmakingConfigurationArn":'
                                      '"arn:aws:gamelift:' + self.region + ':' + ACCOUNT +
                                      ':matchmakingconfiguration/ranked","teams":[{"name":"red",'
                                      '"players":[{"playerId":"p-' + str(rng.randint(1, 9999)) +
                                      '"}]}]}')
        elif status == "TERMINATED":
            session.termination = created + rng.uniform(300, 3000)
            reason = rng.choice([None, "INTERRUPTED", "TRIGGERED_ON_PROCESS_TERMINATE"])
            # Seed 004: "INTERRUPTED -- The game session was hosted on an EC2 Spot instance that
            # was reclaimed": only Spot fleets lose sessions that way.
            session.reason = None if reason == "INTERRUPTED" and fleet.fleet_type != "SPOT" \
                else reason
        elif status == "ACTIVATING":
            self._schedule(self.clock.now() + ACTIVATION_SECONDS, session.arn, "activate")
        fleet.sessions.append(session)
        self.sessions[arn] = session
        if token:
            self._tokens[token] = arn
        return session

    # --- time ------------------------------------------------------------------------------

    def _schedule(self, when: float, arn: str, kind: str) -> None:
        self._seq += 1
        heapq.heappush(self._due, (when, self._seq, arn, kind))

    def advance(self, now: float) -> None:
        while self._due and self._due[0][0] <= now:
            when, _, arn, kind = heapq.heappop(self._due)
            session = self.sessions.get(arn)
            if session is None:
                continue
            if kind == "activate" and session.status == "ACTIVATING":
                session.status = "ACTIVE"
            elif kind == "graceful" and session.status == "TERMINATING" \
                    and not session.ends_on_terminate:
                # The process never called ProcessEnding(): the session plays on (seed 004).
                session.status = "ACTIVE"
            elif kind in ("graceful", "force") and session.status == "TERMINATING":
                session.status = "TERMINATED"
                session.termination = when
                session.current = 0
                session.reason = ("FORCE_TERMINATED" if kind == "force"
                                  else "TRIGGERED_ON_PROCESS_TERMINATE")
        if self.drift_enabled and not self.clock.frozen:
            self._drift(now)

    def _drift(self, now: float) -> None:
        # Player counts move a little on ~1% of active sessions per interval; a handful of
        # sessions end and new ones start, so refreshes see adds, changes and removals.
        steps = min(4, int((now - self._last_drift) // DRIFT_INTERVAL))
        if steps <= 0:
            return
        self._last_drift = now
        rng = self.rng
        for _ in range(steps):
            for fleet in self.fleets.values():
                active = [s for s in fleet.sessions[-4000:] if s.status == "ACTIVE"]
                if not active:
                    continue
                for session in rng.sample(active, max(1, len(active) // 100)):
                    delta = rng.randint(-3, 3)
                    if session.policy == "DENY_ALL":
                        delta = min(delta, 0)
                    session.current = max(0, min(session.maximum, session.current + delta))
                    if session.drain_terminate and session.current == 0:
                        self._begin_terminate(session, "TRIGGER_ON_PROCESS_TERMINATE", now)
                if rng.random() < 0.3:
                    ending = rng.choice(active)
                    if ending.protection == "NoProtection" and not ending.drain_terminate:
                        ending.status, ending.termination, ending.current = "TERMINATED", now, 0
                    newcomer = self._new_session(fleet, rng.choice(fleet.locations), now,
                                                 seeded=False)
                    newcomer.status = "ACTIVATING"
                    newcomer.current = 0
                    self._schedule(now + ACTIVATION_SECONDS, newcomer.arn, "activate")

    # --- dispatch --------------------------------------------------------------------------

    def handle(self, operation: str, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        handler: Callable[[dict[str, Any], RequestContext], dict[str, Any]] | None = getattr(
            self, f"op_{operation}", None)
        if handler is None:
            raise SimError("UnknownOperationException",
                           f"The simulator does not implement GameLift {operation}", 400)
        self.advance(ctx.now)
        return handler(params, ctx)

    # --- helpers ---------------------------------------------------------------------------

    def _check_creation_policy(self, fleet: SimFleet, creator: Any, now: float) -> None:
        """Seed 004: "If you add a resource creation limit policy to a fleet, the
        CreateGameSession operation requires a CreatorId. Amazon GameLift limits the number of
        game session creation requests with the same CreatorId in a specified time period."
        The seed names no error for a missing id; InvalidRequestException is the model's for a
        request the service cannot evaluate."""
        assert fleet.creation_limit is not None
        if not creator:
            raise SimError("InvalidRequestException",
                           f"Fleet {fleet.fleet_id} has a resource creation limit policy: "
                           "CreateGameSession requires a CreatorId")
        per_creator, minutes = fleet.creation_limit
        since = now - minutes * 60
        made = sum(1 for x in fleet.sessions if x.creator == creator and x.creation > since)
        if made >= per_creator:
            raise SimError("LimitExceededException",
                           f"CreatorId {creator} has created {made} game sessions on fleet "
                           f"{fleet.fleet_id} in the last {minutes} minutes (the fleet's "
                           f"limit is {per_creator})")

    def _fleet(self, fleet_ref: str | None) -> SimFleet:
        if not fleet_ref:
            raise SimError("InvalidRequestException", "FleetId is required")
        fleet_id = fleet_ref.rsplit("/", 1)[-1]
        fleet = self.fleets.get(fleet_id)
        if fleet is None:
            raise SimError("NotFoundException", f"Fleet {fleet_id} not found.")
        return fleet

    def _session(self, arn: str | None) -> SimSession:
        if not arn:
            raise SimError("InvalidRequestException", "GameSessionId is required")
        session = self.sessions.get(arn)
        if session is None:
            raise SimError("NotFoundException", f"Game session {arn} not found.")
        return session

    @staticmethod
    def _check_location(fleet: SimFleet, location: str | None) -> None:
        if not location or location in fleet.locations:
            return
        if _REGION.fullmatch(location) and location not in GAMELIFT_REGIONS:
            raise SimError("UnsupportedRegionException",
                           f"Amazon GameLift is not offered in {location}")
        raise SimError("InvalidRequestException",
                       f"Location {location} is not a location of fleet {fleet.fleet_id}")

    def _alias_fleet(self, alias_ref: str) -> SimFleet:
        alias_id = alias_ref.rsplit("/", 1)[-1]
        alias = self.aliases.get(alias_id)
        if alias is None:
            raise SimError("NotFoundException", f"Alias {alias_id} not found.")
        routing = alias["RoutingStrategy"]
        if routing["Type"] == "TERMINAL":
            raise SimError("TerminalRoutingStrategyException", routing.get("Message", "terminal"))
        return self._fleet(routing["FleetId"])

    @staticmethod
    def _limit(params: dict[str, Any], cap: int) -> int:
        limit = params.get("Limit")
        if limit is None:
            return cap
        if not isinstance(limit, int) or limit < 1:
            raise SimError("InvalidRequestException",
                           f"Limit must be a positive integer, got {limit!r}")
        return min(limit, cap)

    @staticmethod
    def _token(scope: str, offset: int) -> str:
        return base64.urlsafe_b64encode(f"{scope}|{offset}".encode()).decode()

    @staticmethod
    def _offset(scope: str, token: str | None) -> int:
        if not token:
            return 0
        try:
            text = base64.urlsafe_b64decode(token.encode()).decode()
            token_scope, offset = text.rsplit("|", 1)
            if token_scope != scope:
                raise ValueError(token_scope)
            return int(offset)
        except (ValueError, UnicodeDecodeError) as err:
            raise SimError("InvalidRequestException", "Invalid NextToken") from err

    def _page(self, scope: str, items: list[Any], params: dict[str, Any],
              cap: int = PAGE_CAP) -> tuple[list[Any], str | None]:
        limit = self._limit(params, cap)
        start = self._offset(scope, params.get("NextToken"))
        page = items[start:start + limit]
        more = start + limit < len(items)
        return page, (self._token(scope, start + limit) if more else None)

    def _paged(self, key: str, scope: str, items: list[Any], params: dict[str, Any],
               cap: int = PAGE_CAP) -> dict[str, Any]:
        page, token = self._page(scope, items, params, cap)
        result: dict[str, Any] = {key: page}
        if token:
            result["NextToken"] = token
        return result

    # --- fleets ----------------------------------------------------------------------------

    def op_ListFleets(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        fleets = list(self.fleets.values())
        if params.get("ScriptId"):
            fleets = [f for f in fleets if f.script_id == params["ScriptId"]]
        if params.get("BuildId"):
            fleets = [f for f in fleets if f.build_id == params["BuildId"]]
        return self._paged("FleetIds", "fleets", [f.fleet_id for f in fleets], params, 50)

    def _selected(self, params: dict[str, Any]) -> list[SimFleet]:
        ids = params.get("FleetIds")
        if ids is None:
            return list(self.fleets.values())
        if len(ids) > 50:
            raise SimError("InvalidRequestException", "FleetIds accepts at most 50 fleet IDs")
        # Unknown ids are skipped, as the service does for these batch calls.
        return [self.fleets[i.rsplit("/", 1)[-1]] for i in ids
                if i.rsplit("/", 1)[-1] in self.fleets]

    def op_DescribeFleetAttributes(self, params: dict[str, Any],
                                   ctx: RequestContext) -> dict[str, Any]:
        items = [f.attributes(self.scripts) for f in self._selected(params)]
        return self._paged("FleetAttributes", "fattr", items, params, 50)

    def op_UpdateFleetAttributes(self, params: dict[str, Any],
                                 ctx: RequestContext) -> dict[str, Any]:
        """Name, Description and the ResourceCreationLimitPolicy (the rest of the request is
        accepted and not simulated)."""
        fleet = self._fleet(params.get("FleetId"))
        if fleet.status != "ACTIVE":
            raise SimError("InvalidFleetStatusException",
                           f"Fleet {fleet.fleet_id} is {fleet.status}, not ACTIVE")
        policy = params.get("ResourceCreationLimitPolicy")
        limit = fleet.creation_limit
        if policy is not None:
            per_creator = policy.get("NewGameSessionsPerCreator")
            minutes = policy.get("PolicyPeriodInMinutes")
            for name, value in (("NewGameSessionsPerCreator", per_creator),
                                ("PolicyPeriodInMinutes", minutes)):
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                          or value < 0):
                    raise SimError("InvalidRequestException",
                                   f"{name} must be a whole number, 0 or more")
            # A policy of 0 sessions (or none given) is no policy: the fleet stops limiting.
            limit = ((per_creator or 0), (minutes or 0))
            limit = limit if limit[0] > 0 and limit[1] > 0 else None
        for member in ("Name", "Description"):
            value = params.get(member)
            if value is not None and (not isinstance(value, str) or not value.strip()
                                      or len(value) > 1024):
                raise SimError("InvalidRequestException", f"{member} must be 1-1024 characters")
        fleet.creation_limit = limit
        fleet.name = params.get("Name") or fleet.name
        fleet.description = params.get("Description") or fleet.description
        ctx.record("UpdateFleetAttributes", fleet.fleet_id, params)
        return {"FleetId": fleet.fleet_id, "FleetArn": fleet.arn}

    def _location_counts(self, fleet: SimFleet, location: str | None) -> dict[str, int]:
        counts = {"active": 0, "players": 0, "max": 0, "activating": 0}
        for s in fleet.sessions:
            if location and s.location != location:
                continue
            if s.status in ("ACTIVE", "ACTIVATING", "TERMINATING"):
                counts["active"] += 1
                counts["players"] += s.current
                counts["max"] += s.maximum
                if s.status == "ACTIVATING":
                    counts["activating"] += 1
        return counts

    def op_DescribeFleetCapacity(self, params: dict[str, Any],
                                 ctx: RequestContext) -> dict[str, Any]:
        items = []
        for fleet in self._selected(params):
            locations = [params["Location"]] if params.get("Location") else [None]
            for location in locations:
                slots = (fleet.capacity.get(location, 0) if location
                         else sum(fleet.capacity.values()))
                counts = self._location_counts(fleet, location)
                per_instance = 4
                desired = max(1, -(-slots // per_instance))
                active_instances = max(1, -(-counts["active"] // per_instance))
                item: dict[str, Any] = {
                    "FleetId": fleet.fleet_id, "FleetArn": fleet.arn,
                    "InstanceCounts": {"DESIRED": desired, "MINIMUM": 1, "MAXIMUM": desired * 2,
                                       "PENDING": 0, "ACTIVE": desired,
                                       "IDLE": max(0, desired - active_instances),
                                       "TERMINATING": 0},
                    "Location": location or fleet.home,
                }
                if fleet.instance_type:
                    item["InstanceType"] = fleet.instance_type
                items.append(item)
        return self._paged("FleetCapacity", "fcap", items, params, 50)

    def op_DescribeFleetUtilization(self, params: dict[str, Any],
                                    ctx: RequestContext) -> dict[str, Any]:
        items = []
        for fleet in self._selected(params):
            counts = self._location_counts(fleet, None)
            slots = sum(fleet.capacity.values())
            items.append({
                "FleetId": fleet.fleet_id, "FleetArn": fleet.arn,
                "ActiveServerProcessCount": slots,
                "ActiveGameSessionCount": counts["active"],
                "CurrentPlayerSessionCount": counts["players"],
                "MaximumPlayerSessionCount": counts["max"],
                "Location": fleet.home,
            })
        return self._paged("FleetUtilization", "futil", items, params, 50)

    def op_DescribeFleetLocationAttributes(self, params: dict[str, Any],
                                           ctx: RequestContext) -> dict[str, Any]:
        fleet = self._fleet(params.get("FleetId"))
        wanted = params.get("Locations")
        locations = [loc for loc in fleet.locations if not wanted or loc in wanted]
        items = [{"LocationState": {"Location": loc, "Status": "ACTIVE"}, "StoppedActions": []}
                 for loc in locations]
        result = self._paged("LocationAttributes", f"floc:{fleet.fleet_id}", items, params)
        result.update({"FleetId": fleet.fleet_id, "FleetArn": fleet.arn})
        return result

    def op_DescribeFleetEvents(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        fleet = self._fleet(params.get("FleetId"))
        start, end = params.get("StartTime"), params.get("EndTime")
        events = [e for e in reversed(fleet.events)
                  if (start is None or float(e["EventTime"]) >= float(start))
                  and (end is None or float(e["EventTime"]) <= float(end))]
        return self._paged("Events", f"fev:{fleet.fleet_id}", events, params)

    # --- game sessions ---------------------------------------------------------------------

    def _session_scope(self, params: dict[str, Any]) -> tuple[str, list[SimSession]]:
        if params.get("GameSessionId"):
            session = self._session(params["GameSessionId"])
            return f"gs:{session.arn}", [session]
        if params.get("FleetId") and params.get("AliasId"):
            raise SimError("InvalidRequestException", "Specify FleetId or AliasId, not both")
        if params.get("AliasId"):
            fleet = self._alias_fleet(params["AliasId"])
        elif params.get("FleetId"):
            fleet = self._fleet(params["FleetId"])
        else:
            raise SimError("InvalidRequestException",
                           "One of FleetId, AliasId or GameSessionId is required")
        location = params.get("Location")
        self._check_location(fleet, location)
        status = params.get("StatusFilter")
        if status and status not in ("ACTIVE", "ACTIVATING", "TERMINATED", "TERMINATING",
                                     "ERROR"):
            raise SimError("InvalidRequestException", f"Invalid StatusFilter {status}")
        scope = f"fs:{fleet.fleet_id}:{location or ''}:{status or ''}"
        return scope, [s for s in fleet.sessions
                       if (not location or s.location == location)
                       and (not status or s.status == status)]

    def _describe(self, params: dict[str, Any]) -> tuple[list[SimSession], str | None]:
        scope, sessions = self._session_scope(params)
        return self._page(scope, sessions, params)

    def op_DescribeGameSessions(self, params: dict[str, Any],
                                ctx: RequestContext) -> dict[str, Any]:
        page, token = self._describe(params)
        result: dict[str, Any] = {"GameSessions": [s.api() for s in page]}
        if token:
            result["NextToken"] = token
        return result

    def op_DescribeGameSessionDetails(self, params: dict[str, Any],
                                      ctx: RequestContext) -> dict[str, Any]:
        page, token = self._describe(params)
        result: dict[str, Any] = {"GameSessionDetails": [
            {"GameSession": s.api(), "ProtectionPolicy": s.protection} for s in page]}
        if token:
            result["NextToken"] = token
        return result

    def op_SearchGameSessions(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        if bool(params.get("FleetId")) == bool(params.get("AliasId")):
            raise SimError("InvalidRequestException",
                           "Each request must reference either a fleet ID or alias ID, not both")
        fleet = (self._alias_fleet(params["AliasId"]) if params.get("AliasId")
                 else self._fleet(params["FleetId"]))
        location = params.get("Location")
        self._check_location(fleet, location)
        filter_text = params.get("FilterExpression")
        sort_text = params.get("SortExpression")
        for text, label in ((filter_text, "FilterExpression"), (sort_text, "SortExpression")):
            if text is not None and not 1 <= len(text) <= 1024:
                raise SimError("InvalidRequestException", f"{label} must be 1..1024 characters")
        key = hashlib.sha1(repr((fleet.fleet_id, location, filter_text, sort_text)).encode()
                           ).hexdigest()[:16]
        token = params.get("NextToken")
        if token:
            # Each search is its own result set (its order is random without a SortExpression),
            # so a token names the search it continues, and only with the same parameters.
            search_id = self._search_of(token)
            held = self._search_cache.get(search_id)
            if held is None:
                raise SimError("InvalidRequestException", "NextToken has expired")
            if held[0] != key:
                raise SimError("InvalidRequestException",
                               "NextToken belongs to a search with other parameters")
            ids = held[1]
        else:
            ids = self._run_search(fleet, location, filter_text, sort_text)
            self._searches += 1
            search_id = f"{key}-{self._searches}"
            if len(self._search_cache) > 64:
                self._search_cache.pop(next(iter(self._search_cache)))
            self._search_cache[search_id] = (key, ids)
        page, next_token = self._page(f"search:{search_id}", ids, params, SEARCH_PAGE_CAP)
        # A session can end between pages; the service only returns what is still active.
        sessions = [self.sessions[i].api(searchable_only=True) for i in page
                    if self.sessions[i].status == "ACTIVE"]
        result: dict[str, Any] = {"GameSessions": sessions}
        if next_token:
            result["NextToken"] = next_token
        return result

    @staticmethod
    def _search_of(token: str) -> str:
        try:
            scope = base64.urlsafe_b64decode(token.encode()).decode().rsplit("|", 1)[0]
        except (ValueError, UnicodeDecodeError) as err:
            raise SimError("InvalidRequestException", "Invalid NextToken") from err
        if not scope.startswith("search:"):
            raise SimError("InvalidRequestException", "Invalid NextToken")
        return scope.removeprefix("search:")

    def _run_search(self, fleet: SimFleet, location: str | None, filter_text: str | None,
                    sort_text: str | None) -> list[str]:
        # The grammar the filter builder also uses; its evaluator is the simulator's own.
        from tui.services import search_expr
        from tui.sim import search_eval

        try:
            node = search_expr.parse_filter(filter_text) if filter_text else None
            sort = search_expr.parse_sort(sort_text) if sort_text else None
        except search_expr.ExprError as err:
            raise SimError("InvalidRequestException", str(err)) from err
        if node is not None:
            # Seed 004: "Values may be numbers, boolean values (true/false) or strings
            # depending on the operand ... Boolean and string values can only be used with the
            # comparators = and <>": anything else is refused, not matched against nothing.
            errors = [issue.message for issue in search_expr.validate(node)
                      if issue.severity == "error"]
            if errors:
                raise SimError("InvalidRequestException", "; ".join(errors))
        views = [(s.search_view(), s.arn) for s in fleet.sessions
                 if s.status == "ACTIVE" and (not location or s.location == location)]
        if node is not None:
            views = [(v, arn) for v, arn in views if search_eval.evaluate(node, v)]
        if sort is not None:
            order = {id(v): arn for v, arn in views}
            return [order[id(v)] for v in search_eval.sort_sessions([v for v, _ in views], sort)]
        # Seed 004: "If no sort expression is included, the request returns results in random
        # order." Seeded per search so a frozen world still answers the same run after run.
        arns = [arn for _, arn in views]
        random.Random(f"{fleet.fleet_id}:{self._searches}").shuffle(arns)
        return arns

    def op_CreateGameSession(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        if params.get("FleetId") and params.get("AliasId"):
            raise SimError("InvalidRequestException", "Specify FleetId or AliasId, not both")
        fleet = (self._alias_fleet(params["AliasId"]) if params.get("AliasId")
                 else self._fleet(params.get("FleetId")))
        maximum = params.get("MaximumPlayerSessionCount")
        if not isinstance(maximum, int) or maximum < 0:
            raise SimError("InvalidRequestException",
                           "MaximumPlayerSessionCount must be a non-negative integer")
        props = self._props(params.get("GameProperties") or [], [])
        for member in ("Name", "CreatorId"):  # NonZeroAndMaxString, as in UpdateGameSession
            text = params.get(member)
            if text is not None and not 1 <= len(text) <= 1024:
                raise SimError("InvalidRequestException", f"{member} must be 1..1024 characters")
        token = params.get("IdempotencyToken") or params.get("GameSessionId")
        location = params.get("Location") or fleet.home
        if token is not None and not _ID_STRING.fullmatch(token):
            raise SimError("InvalidRequestException",
                           "IdempotencyToken must be 1..48 letters, digits or hyphens")
        if token:
            arn = f"arn:aws:gamelift:{location}::gamesession/{fleet.fleet_id}/{token}"
            existing = self.sessions.get(arn)
            if existing is not None:
                same = (existing.maximum == maximum and existing.props == props
                        and existing.name == (params.get("Name") or existing.name))
                if not same:
                    raise SimError("IdempotentParameterMismatchException",
                                   "IdempotencyToken was reused with different parameters")
                return {"GameSession": existing.api()}
            other = self._tokens.get(token)
            if other is not None and other != arn:
                # Seed 004: "Idempotency tokens remain in use for 30 days after a game session
                # has ended"; one token names one game session, so another fleet or location
                # cannot take it.
                raise SimError("ConflictException",
                               f"IdempotencyToken {token} is in use by game session {other}")
        if fleet.status != "ACTIVE":
            raise SimError("InvalidFleetStatusException",
                           f"Fleet {fleet.fleet_id} is {fleet.status}, not ACTIVE")
        self._check_location(fleet, location)
        creator = params.get("CreatorId")
        if fleet.creation_limit is not None:
            self._check_creation_policy(fleet, creator, ctx.now)
        elif creator is not None:
            # Seed 004: "If your fleet doesn't have a resource creation limit policy and you
            # provide a CreatorId in your CreateGameSession requests, Amazon GameLift limits
            # requests to one request per CreatorId per second."
            last = self._creators.get(creator)
            if last is not None and ctx.now - last < CREATOR_INTERVAL:
                raise SimError("LimitExceededException",
                               f"CreatorId {creator} may create one game session a second")
            self._creators[creator] = ctx.now
            if len(self._creators) > 4096:
                self._creators = {c: t for c, t in self._creators.items()
                                  if ctx.now - t < CREATOR_INTERVAL}
        in_use = sum(1 for s in fleet.sessions if s.location == location
                     and s.status in ("ACTIVE", "ACTIVATING", "TERMINATING"))
        if in_use >= fleet.capacity.get(location, 0):
            raise SimError("FleetCapacityExceededException",
                           f"No available process in {location} for fleet {fleet.fleet_id}")
        session = self._new_session(
            fleet, location, ctx.now, seeded=False, name=params.get("Name") or "",
            maximum=maximum, props=props, token=token, creator=params.get("CreatorId"),
            data=params.get("GameSessionData"))
        session.status, session.current = "ACTIVATING", 0
        self._schedule(ctx.now + ACTIVATION_SECONDS, session.arn, "activate")
        ctx.record("CreateGameSession", session.arn, params)
        return {"GameSession": session.api()}

    @staticmethod
    def _props(updates: list[dict[str, Any]],
               current: list[tuple[str, str]]) -> list[tuple[str, str]]:
        merged = dict(current)
        for item in updates:
            key, value = item.get("Key"), item.get("Value")
            if not isinstance(key, str) or not isinstance(value, str):
                raise SimError("InvalidRequestException", "GameProperties need a Key and a Value")
            if len(key) > 32 or len(value) > 96:
                raise SimError("InvalidRequestException",
                               f"GameProperty {key[:40]!r}: keys ≤ 32 and values ≤ 96 characters")
            merged[key] = value
        if len(merged) > 16:
            raise SimError("InvalidRequestException",
                           "A game session can have at most 16 game properties")
        return list(merged.items())

    def op_UpdateGameSession(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        session = self._session(params.get("GameSessionId"))
        if session.status == "ACTIVATING":
            raise SimError("NotReadyException", "The game session is still activating")
        if session.status != "ACTIVE":
            raise SimError("InvalidGameSessionStatusException",
                           f"Game session is {session.status}; only ACTIVE sessions can be updated")
        maximum = params.get("MaximumPlayerSessionCount")
        if maximum is not None and (not isinstance(maximum, int) or maximum < 0):
            raise SimError("InvalidRequestException",
                           "MaximumPlayerSessionCount must be a non-negative integer")
        name = params.get("Name")
        if name is not None and not 1 <= len(name) <= 1024:
            raise SimError("InvalidRequestException", "Name must be 1..1024 characters")
        policy = params.get("PlayerSessionCreationPolicy")
        if policy is not None and policy not in ("ACCEPT_ALL", "DENY_ALL"):
            raise SimError("InvalidRequestException",
                           f"Invalid PlayerSessionCreationPolicy {policy}")
        protection = params.get("ProtectionPolicy")
        if protection is not None and protection not in ("NoProtection", "FullProtection"):
            raise SimError("InvalidRequestException", f"Invalid ProtectionPolicy {protection}")
        props = (self._props(params["GameProperties"], session.props)
                 if params.get("GameProperties") is not None else None)
        if maximum is not None:
            session.maximum = maximum
        if name is not None:
            session.name = name
        if policy is not None:
            session.policy = policy
        if protection is not None:
            session.protection = protection
        if props is not None:
            session.props = props
        ctx.record("UpdateGameSession", session.arn, params)
        return {"GameSession": session.api()}

    def _begin_terminate(self, session: SimSession, mode: str, now: float) -> None:
        session.status = "TERMINATING"
        force = mode == "FORCE_TERMINATE"
        self._schedule(now + (FORCE_SECONDS if force else GRACEFUL_SECONDS), session.arn,
                       "force" if force else "graceful")

    def op_TerminateGameSession(self, params: dict[str, Any],
                                ctx: RequestContext) -> dict[str, Any]:
        session = self._session(params.get("GameSessionId"))
        mode = params.get("TerminationMode")
        if mode not in ("TRIGGER_ON_PROCESS_TERMINATE", "FORCE_TERMINATE"):
            raise SimError("InvalidRequestException", "TerminationMode must be "
                           "TRIGGER_ON_PROCESS_TERMINATE or FORCE_TERMINATE")
        # "You can use this action to terminate any game session that isn't in TERMINATED or
        # TERMINATING status" (seed 004): ACTIVATING and ERROR sessions can be terminated too.
        if session.status in ("TERMINATED", "TERMINATING"):
            raise SimError("InvalidGameSessionStatusException",
                           f"Game session is {session.status} and cannot be terminated")
        if session.status == "ACTIVATING" and mode == "TRIGGER_ON_PROCESS_TERMINATE":
            # The server process has not called ActivateGameSession yet, so there is no
            # OnProcessTerminate to send; FORCE_TERMINATE still works (the seed allows any
            # session not TERMINATED or TERMINATING to be terminated).
            raise SimError("NotReadyException",
                           "The game session is still activating; retry, or use FORCE_TERMINATE")
        self._begin_terminate(session, mode, ctx.now)
        ctx.record("TerminateGameSession", session.arn, params)
        return {"GameSession": session.api()}

    def op_GetGameSessionLogUrl(self, params: dict[str, Any],
                                ctx: RequestContext) -> dict[str, Any]:
        session = self._session(params.get("GameSessionId"))
        if session.status != "TERMINATED":
            raise SimError("NotFoundException",
                           "No game session log yet: logs are uploaded when the session ends")
        lines = [f"{session.creation + i * 30:.0f} [info] tick {i} players={session.current}"
                 for i in range(200)]
        body = zlib.compress(("\n".join(lines) + "\n").encode())
        url = ctx.presigner.sign(body, f"{session.arn.rsplit('/', 1)[-1]}.log.zz", LOG_URL_TTL,
                                 "application/octet-stream")
        return {"PreSignedUrl": url}

    # --- player sessions -------------------------------------------------------------------

    def _players(self, session: SimSession) -> list[dict[str, Any]]:
        # Generated from the session id and its count so that the list is stable between calls
        # and consistent with CurrentPlayerSessionCount.
        rng = random.Random(f"{session.arn}:{session.current}")
        players = []
        finished = rng.randint(0, 4)
        for index in range(session.current + finished):
            active = index < session.current
            created = session.creation + rng.uniform(0, 600)
            item: dict[str, Any] = {
                "PlayerSessionId": f"psess-{_uuid(rng)}",
                "PlayerId": f"player-{rng.randint(10000, 99999)}",
                "GameSessionId": session.arn, "FleetId": session.fleet_id,
                "FleetArn": session.fleet_arn, "CreationTime": Timestamp(created),
                "Status": "ACTIVE" if active and session.status == "ACTIVE" else "COMPLETED",
                "IpAddress": session.ip, "DnsName": session.dns, "Port": session.port,
            }
            if item["Status"] == "COMPLETED":
                item["TerminationTime"] = Timestamp(session.termination or created + 900)
            players.append(item)
        return players

    def op_DescribePlayerSessions(self, params: dict[str, Any],
                                  ctx: RequestContext) -> dict[str, Any]:
        # GameLift's API reference asks for one of a game session, a player session or a
        # player; the seeds are silent, so more than one is refused rather than guessed at.
        given = [k for k in ("GameSessionId", "PlayerSessionId", "PlayerId") if params.get(k)]
        if len(given) != 1:
            raise SimError("InvalidRequestException",
                           "Specify exactly one of GameSessionId, PlayerSessionId or PlayerId"
                           + (f", not {' and '.join(given)}" if given else ""))
        status = params.get("PlayerSessionStatusFilter")
        if status is not None and status not in ("RESERVED", "ACTIVE", "COMPLETED", "TIMEDOUT"):
            raise SimError("InvalidRequestException", f"Invalid PlayerSessionStatusFilter {status}")
        if params.get("GameSessionId"):
            session = self._session(params["GameSessionId"])
            players = self._players(session)
            scope = f"ps:{session.arn}"
        elif params.get("PlayerSessionId"):
            wanted = params["PlayerSessionId"]
            players = [p for p in self._all_players() if p["PlayerSessionId"] == wanted]
            # One player session asked for by id: NotFound when no game session holds it.
            if not players:
                raise SimError("NotFoundException", f"Player session {wanted} not found.")
            scope = f"psid:{wanted}"
        else:
            wanted = params["PlayerId"]
            players = [p for p in self._all_players() if p["PlayerId"] == wanted]
            scope = f"pid:{wanted}"
        if status:
            players = [p for p in players if p["Status"] == status]
        return self._paged("PlayerSessions", f"{scope}:{status or ''}", players, params, 50)

    def _all_players(self) -> list[dict[str, Any]]:
        # Player sessions are derived from their game session, so a look-up by player or player
        # session id reads them all; the demo world's few thousand take milliseconds.
        return [p for session in self.sessions.values() for p in self._players(session)]

    # --- scripts ---------------------------------------------------------------------------

    def _script(self, script_ref: str | None) -> SimScript:
        if not script_ref:
            raise SimError("InvalidRequestException", "ScriptId is required")
        script = self.scripts.get(script_ref.rsplit("/", 1)[-1])
        if script is None:
            raise SimError("NotFoundException", f"Script {script_ref} not found.")
        return script

    def op_ListScripts(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        items = [s.api() for s in sorted(self.scripts.values(), key=lambda s: s.created)]
        return self._paged("Scripts", "scripts", items, params, 50)

    def op_DescribeScript(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        return {"Script": self._script(params.get("ScriptId")).api()}

    def put_object(self, bucket: str, key: str, body: bytes, version: str | None = None) -> str:
        """Stores an S3 object a StorageLocation can name; returns its version id."""
        versions = self.s3_objects.setdefault((bucket, key), {})
        version = version or f"v{len(versions) + 1}-{hashlib.sha1(body).hexdigest()[:8]}"
        versions.pop(version, None)  # re-put: it becomes the latest
        versions[version] = body
        return version

    def _s3_object(self, storage: dict[str, Any]) -> bytes:
        versions = self.s3_objects.get((storage["Bucket"], storage["Key"]))
        wanted = storage.get("ObjectVersion")
        body = None
        if versions:
            body = versions.get(wanted) if wanted else list(versions.values())[-1]
        if body is None:
            where = f"s3://{storage['Bucket']}/{storage['Key']}" + (f"@{wanted}" if wanted else "")
            raise SimError("InvalidRequestException",
                           f"Amazon GameLift cannot read {where} with role {storage['RoleArn']}")
        return body

    @staticmethod
    def _check_zip(blob: bytes, what: str) -> None:
        if len(blob) > MAX_ZIP:
            raise SimError("InvalidRequestException",
                           f"{what} is {len(blob):,} bytes; the limit is 5,000,000 bytes")
        try:
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                archive.namelist()
        except zipfile.BadZipFile as err:
            raise SimError("InvalidRequestException", f"{what} is not a zip archive") from err

    def _content(self, params: dict[str, Any]) -> tuple[bytes | None, dict[str, str] | None]:
        """The new content: (zip bytes, the customer's StorageLocation or None)."""
        blob = params.get("ZipFile")
        if isinstance(blob, str):  # awsJson carries blobs as base64 text
            try:
                blob = base64.b64decode(blob, validate=True)
            except ValueError as err:
                raise SimError("InvalidRequestException", "ZipFile is not valid base64") from err
        storage = params.get("StorageLocation")
        if blob is not None and storage is not None:
            # Seed 000: "provide an updated zip file by pointing to either a local file or an
            # Amazon S3 bucket location" — one of them.
            raise SimError("InvalidRequestException",
                           "Provide either ZipFile or StorageLocation, not both")
        if blob is not None:
            self._check_zip(blob, "ZipFile")
            return blob, None
        if storage is None:
            return None, None
        bucket = storage.get("Bucket") or ""
        if not bucket or not storage.get("Key"):
            raise SimError("InvalidRequestException", "StorageLocation needs a Bucket and a Key")
        if "." in bucket:
            # Seed 000: "Amazon GameLift Servers doesn't support uploading from Amazon S3
            # buckets with names that contain a dot (.)."
            raise SimError("InvalidRequestException",
                           f"Bucket {bucket} has a dot in its name, which GameLift cannot read")
        # Seed 000: "The storage location must specify the Amazon S3 bucket name, the zip file
        # name (the "key"), and a role ARN that allows Amazon GameLift Servers to access" it.
        if not _ROLE_ARN.fullmatch(str(storage.get("RoleArn") or "")):
            raise SimError("InvalidRequestException",
                           "StorageLocation needs a RoleArn (arn:aws:iam::<account>:role/<name>) "
                           "that lets GameLift read the bucket")
        body = self._s3_object(storage)
        self._check_zip(body, f"s3://{bucket}/{storage['Key']}")
        return body, {k: str(v) for k, v in storage.items() if v is not None}

    def _managed_location(self, script: SimScript) -> dict[str, str]:
        # Seed 000: "If the script file was uploaded from a local zip file, the storage
        # location reflects an S3 location controls by the Amazon GameLift Servers service."
        # No RoleArn: the bucket is the service's own.
        digest = hashlib.sha1(script.zip_bytes or b"").hexdigest()
        name = _uuid(random.Random(f"{script.arn}:{digest}"))
        return {"Bucket": f"prod-gamescale-scripts-{self.region}",
                "Key": f"{ACCOUNT}/{script.script_id}/{name}.zip"}

    def op_CreateScript(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        blob, storage = self._content(params)
        if blob is None:
            raise SimError("InvalidRequestException", "Provide ZipFile or StorageLocation")
        node = params.get("NodeJsVersion") or "10.x"
        if node not in ("10.x", "24.x"):
            raise SimError("InvalidRequestException", f"Unsupported NodeJsVersion {node}")
        script = self._add_script(params.get("Name") or "unnamed", params.get("Version") or "",
                                  node, ctx.now)
        script.zip_bytes, script.size = blob, len(blob)
        script.storage = storage or self._managed_location(script)
        ctx.record("CreateScript", script.script_id, {**params, "ZipFile": blob})
        return {"Script": script.api()}

    def op_DeleteScript(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """"This operation permanently deletes the script record. If script files were
        uploaded, they are also deleted (files stored in an S3 bucket are not deleted). [...]
        if the script record no longer exists, the instance will go into an error state and be
        unable to host game sessions" (GameLift API reference, DeleteScript): the fleets on it
        turn ERROR here at once."""
        script = self._script(params.get("ScriptId"))
        del self.scripts[script.script_id]
        for fleet in self.fleets.values():
            if fleet.script_id == script.script_id and fleet.status == "ACTIVE":
                fleet.status = "ERROR"
        ctx.record("DeleteScript", script.script_id, params)
        return {}

    def op_UpdateScript(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        script = self._script(params.get("ScriptId"))
        blob, storage = self._content(params)
        for key in ("Name", "Version"):
            value = params.get(key)
            if value is not None and not 1 <= len(value) <= 1024:
                raise SimError("InvalidRequestException", f"{key} must be 1..1024 characters")
        if params.get("Name") is not None:
            script.name = params["Name"]
        if params.get("Version") is not None:
            script.version = params["Version"]
        if blob is not None:
            # Seed 000: "a revised script is uploaded to the Amazon GameLift Servers service":
            # the size on disk is the new content's, wherever it came from.
            script.zip_bytes, script.size = blob, len(blob)
            script.storage = storage or self._managed_location(script)
        ctx.record("UpdateScript", script.script_id,
                   {**params, "ZipFile": params.get("ZipFile") and blob})
        return {"Script": script.api()}

    # --- aliases ---------------------------------------------------------------------------

    def op_ListAliases(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        aliases = [a for a in self.aliases.values()
                   if (not params.get("RoutingStrategyType")
                       or a["RoutingStrategy"]["Type"] == params["RoutingStrategyType"])
                   and (not params.get("Name") or a["Name"] == params["Name"])]
        return self._paged("Aliases", "aliases", aliases, params, 50)

    def op_ResolveAlias(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        fleet = self._alias_fleet(params.get("AliasId") or "")
        return {"FleetId": fleet.fleet_id, "FleetArn": fleet.arn}

    # --- control-surface views -------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "fleets": [{"FleetId": f.fleet_id, "Name": f.name, "Sessions": len(f.sessions),
                        "Locations": f.locations} for f in self.fleets.values()],
            "scripts": [{"ScriptId": s.script_id, "Name": s.name, "Version": s.version,
                         "Size": s.size} for s in self.scripts.values()],
            "sessions": len(self.sessions),
        }

    def state_sessions(self, fleet_id: str | None) -> list[dict[str, Any]]:
        self.advance(self.clock.now())
        sessions = (self.fleets[fleet_id].sessions if fleet_id in self.fleets
                    else list(self.sessions.values()))
        result = []
        for s in sessions:
            item = s.api()
            item["ProtectionPolicy"] = s.protection
            item["CreationTime"] = float(s.creation)
            if s.termination is not None:
                item["TerminationTime"] = float(s.termination)
            result.append(item)
        return result
