"""The GameSparks half of the simulator: games, stages, snapshots, stage deployments, players.

A deployment's state is not stored but derived from its creation time and the clock whenever a
request reads it, so an idle simulator costs nothing and a frozen clock gives exact transitions.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import random
import re
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.sim.core import Clock, RequestContext, SimError
from tui.sim.wire import Timestamp

ACCOUNT = "123456789012"
STAGE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/GameSparksStageRole"
PAGE_DEFAULT = 20  # below the service maximum, so that clients always exercise paging
PAGE_MAX = 100
PENDING_SECONDS = 2.0
IN_PROGRESS_SECONDS = 4.0
EXPORT_TTL = 600  # the documented lifetime of an ExportSnapshot URL
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

NAME_PATTERN = r"[a-zA-Z0-9_-]+"
SNAPSHOT_PATTERN = r"Snapshot_\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,6}Z"
SECTION_PATTERN = r"[a-zA-Z0-9.]+"
ROLE_PATTERN = r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+"
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


# --- records -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Snapshot:
    snapshot_id: str
    description: str
    created: float
    last_updated: float
    sections: dict[str, Any]

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

_ROUTES: list[tuple[str, tuple[str, ...], str]] = [
    ("GET", ("game",), "ListGames"),
    ("POST", ("game",), "CreateGame"),
    ("GET", ("game", "*"), "GetGame"),
    ("PATCH", ("game", "*"), "UpdateGame"),
    ("GET", ("game", "*", "configuration"), "GetGameConfiguration"),
    ("GET", ("game", "*", "snapshot"), "ListSnapshots"),
    ("POST", ("game", "*", "snapshot"), "CreateSnapshot"),
    ("GET", ("game", "*", "snapshot", "*"), "GetSnapshot"),
    ("PATCH", ("game", "*", "snapshot", "*"), "UpdateSnapshot"),
    ("GET", ("game", "*", "snapshot", "*", "export"), "ExportSnapshot"),
    ("GET", ("game", "*", "stage"), "ListStages"),
    ("POST", ("game", "*", "stage"), "CreateStage"),
    ("GET", ("game", "*", "stage", "*"), "GetStage"),
    ("PATCH", ("game", "*", "stage", "*"), "UpdateStage"),
    ("GET", ("game", "*", "stage", "*", "deployment"), "GetStageDeployment"),
    ("POST", ("game", "*", "stage", "*", "deployment"), "StartStageDeployment"),
    ("GET", ("game", "*", "stage", "*", "deployments"), "ListStageDeployments"),
    ("GET", ("runtime", "game", "*", "stage", "*", "player", "*", "connection"),
     "GetPlayerConnectionStatus"),
    ("POST", ("runtime", "game", "*", "stage", "*", "player", "*", "disconnect"),
     "DisconnectPlayer"),
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
        if handler is None:
            raise SimError("UnknownOperationException",
                           f"The simulator does not implement GameSparks {operation}", 404)
        return handler(Call(segments, query, body, ctx))

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
        if token and token in self._game_tokens:
            return {"Game": self.games[self._game_tokens[token]].details()}
        name = _check_pattern("gameName", body.get("GameName"), NAME_PATTERN, 36)
        if name in self.games:
            raise SimError("ConflictException", f"A game named {name} already exists.", 409)
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
        resource.tags.update({str(k): str(v) for k, v in tags.items()})
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
        stamp = now
        # Ids come from the clock; a frozen clock must still give every snapshot its own id.
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
        url = call.ctx.presigner.sign(body, f"{snapshot.snapshot_id}.json", EXPORT_TTL,
                                      "application/json")
        return {"S3Url": url}

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

    def _op_UpdateStage(self, call: Call) -> dict[str, Any]:
        game, stage = self._stage(call.label(0), call.label(1))
        if "Description" in call.body:
            stage.description = str(call.body["Description"])
        if call.body.get("Role"):
            # Any non-empty role is accepted here, as by the service; a bad one surfaces as an
            # INVALID_ROLE_FAILURE on the next deployment.
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
        if not re.fullmatch(ROLE_PATTERN, stage.role):
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
