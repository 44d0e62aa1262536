"""GameSparks calls the app makes, as plain functions that page through results and return
records. Same conventions as ``tui.services.gamelift``."""

from __future__ import annotations

import datetime as dt
import shlex
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tui.aws.records import Game, Snapshot, Stage, StageDeployment
from tui.services import outcome
from tui.services.downloads import DownloadError, Progress, download
from tui.services.outcome import Outcome


class ClientSource(Protocol):
    def client(self, service: Any) -> Any: ...


def _gamesparks(ctx: ClientSource) -> Any:
    return ctx.client("gamesparks")


def _paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def new_client_token() -> str:
    return str(uuid.uuid4())  # 36 characters; ClientToken wants 33..126


def list_games(ctx: ClientSource) -> list[Game]:
    return [Game.from_api(item) for item in _paginate(_gamesparks(ctx), "list_games", "Games")]


def get_game(ctx: ClientSource, game: str) -> Game:
    return Game.from_api(_gamesparks(ctx).get_game(GameName=game)["Game"])


def list_stages(ctx: ClientSource, game: str) -> list[Stage]:
    return [Stage.from_api(item, game) for item in _paginate(_gamesparks(ctx), "list_stages",
                                                              "Stages", GameName=game)]


def get_stage(ctx: ClientSource, game: str, stage: str) -> Stage:
    item = _gamesparks(ctx).get_stage(GameName=game, StageName=stage)["Stage"]
    return Stage.from_api(item, game)


def list_stage_deployments(ctx: ClientSource, game: str, stage: str) -> list[StageDeployment]:
    """The stage's deployment history, in the order the service gives (newest first)."""
    return [StageDeployment.from_api(item, game, stage)
            for item in _paginate(_gamesparks(ctx), "list_stage_deployments",
                                  "StageDeployments", GameName=game, StageName=stage)]


def get_stage_deployment(ctx: ClientSource, game: str, stage: str,
                         deployment_id: str | None = None) -> StageDeployment:
    """One deployment, or the latest when ``deployment_id`` is None."""
    params: dict[str, Any] = {"GameName": game, "StageName": stage}
    if deployment_id:
        params["DeploymentId"] = deployment_id
    item = _gamesparks(ctx).get_stage_deployment(**params)["StageDeployment"]
    return StageDeployment.from_api(item, game, stage)


def start_stage_deployment_outcome(ctx: ClientSource, game: str, stage: str, snapshot_id: str,
                                   client_token: str | None = None) -> Outcome[StageDeployment]:
    """StartStageDeployment with a ClientToken, so botocore may repeat a lost answer itself (the
    service runs the token once). When every try is lost, the outcome is unknown: confirming
    the same deployment again with the same token is the safe way to find out."""
    token = client_token or new_client_token()
    action = f"StartStageDeployment of {snapshot_id} to {game}/{stage} (ClientToken {token})"
    check = ("the stage's deployment history, or confirm the same deployment again: it carries "
             "the same ClientToken, so it cannot start twice")

    def call() -> StageDeployment:
        item = _gamesparks(ctx).start_stage_deployment(
            GameName=game, StageName=stage, SnapshotId=snapshot_id,
            ClientToken=token)["StageDeployment"]
        return StageDeployment.from_api(item, game, stage)

    def read_back(err: BaseException) -> Outcome[StageDeployment]:
        # A deployment record does not show its token: the history cannot tell ours apart.
        return outcome.unknown(action, err, check)

    return outcome.reconcile(action, call, read_back, check=check)


def start_stage_deployment(ctx: ClientSource, game: str, stage: str, snapshot_id: str,
                           client_token: str | None = None) -> StageDeployment:
    """Deploy a snapshot to a stage (a rollback is a deployment of an earlier snapshot). Pass
    the same ``client_token`` when retrying so that the service runs it once."""
    return start_stage_deployment_outcome(ctx, game, stage, snapshot_id, client_token).unwrap()


def list_snapshots(ctx: ClientSource, game: str) -> list[Snapshot]:
    """Snapshot summaries (no sections)."""
    return [Snapshot.from_api(item, game) for item in _paginate(_gamesparks(ctx),
                                                                 "list_snapshots", "Snapshots",
                                                                 GameName=game)]


def get_snapshot(ctx: ClientSource, game: str, snapshot_id: str,
                 sections: Iterable[str] | None = None) -> Snapshot:
    params: dict[str, Any] = {"GameName": game, "SnapshotId": snapshot_id}
    if sections is not None:
        params["Sections"] = list(sections)
    return Snapshot.from_api(_gamesparks(ctx).get_snapshot(**params)["Snapshot"], game)


def export_snapshot_url(ctx: ClientSource, game: str, snapshot_id: str) -> str:
    """A presigned HTTPS URL of the snapshot's configuration, valid for 10 minutes."""
    url: str = _gamesparks(ctx).export_snapshot(GameName=game, SnapshotId=snapshot_id)["S3Url"]
    return url


# --- deployments: what is serving, what a rollback can go back to ----------------------------


def serving_deployment(deployments: Iterable[StageDeployment]) -> StageDeployment | None:
    """The deployment a stage is running, from its history (newest first): the latest
    COMPLETED one when it is a DEPLOY (a completed UNDEPLOY means nothing is serving)."""
    for deployment in deployments:
        if deployment.deployment_state == "COMPLETED":
            return deployment if deployment.deployment_action == "DEPLOY" else None
    return None


def in_progress(deployments: Iterable[StageDeployment]) -> StageDeployment | None:
    """A deployment still PENDING or IN_PROGRESS, if any (the service allows one at a time)."""
    return next((d for d in deployments if d.deployment_state in ("PENDING", "IN_PROGRESS")),
                None)


def rollback_candidates(deployments: list[StageDeployment]) -> list[StageDeployment]:
    """Earlier COMPLETED DEPLOY deployments a stage can go back to, newest first, one per
    snapshot, leaving out the snapshot that is serving now (deploying it would change nothing)."""
    serving = serving_deployment(deployments)
    older = deployments
    if serving is not None:
        older = deployments[deployments.index(serving) + 1:]
    seen = {serving.snapshot_id} if serving is not None else set()
    result: list[StageDeployment] = []
    for deployment in older:
        if (deployment.deployment_state == "COMPLETED" and deployment.deployment_action == "DEPLOY"
                and deployment.snapshot_id and deployment.snapshot_id not in seen):
            seen.add(deployment.snapshot_id)
            result.append(deployment)
    return result


def cli_start_stage_deployment(game: str, stage: str, snapshot_id: str, client_token: str) -> str:
    return ("aws gamesparks start-stage-deployment "
            f"--game-name {shlex.quote(game)} --stage-name {shlex.quote(stage)} "
            f"--snapshot-id {shlex.quote(snapshot_id)} --client-token {shlex.quote(client_token)}")


# --- snapshots: create, export --------------------------------------------------------------


def _snapshot_ids(ctx: ClientSource, game: str) -> set[str] | None:
    if not outcome.may_send(ctx):
        return None
    try:
        return {snapshot.id for snapshot in list_snapshots(ctx, game)}
    except Exception:  # the create will say what is wrong; reading back then copes without
        return None


def create_snapshot_outcome(ctx: ClientSource, game: str, description: str) -> Outcome[Snapshot]:
    """CreateSnapshot. It takes no idempotency token, so a lost answer is not repeated (that
    made a second snapshot): the snapshots are listed before and read back after, and a new one
    with this description is the one this call made. The description is trimmed: the model's
    SnapshotDescription (``^\\S(.*\\S)?$|^$``, at most 250) refuses outer white space."""
    description = description.strip()
    params: dict[str, Any] = {"GameName": game}
    if description:
        params["Description"] = description
    action = f"CreateSnapshot of {game}"
    check = (f"`aws gamesparks list-snapshots --game-name {shlex.quote(game)}` for a new snapshot "
             "with this description before creating another")
    before = _snapshot_ids(ctx, game)

    def call() -> Snapshot:
        return Snapshot.from_api(_gamesparks(ctx).create_snapshot(**params)["Snapshot"], game)

    def read_back(err: BaseException) -> Outcome[Snapshot]:
        same = [s for s in list_snapshots(ctx, game) if (s.description or "") == description]
        if before is None:
            if not same:
                return outcome.not_applied(action, err, "no snapshot has this description")
            return outcome.unknown(action, err, check)
        new = [s for s in same if s.id not in before]
        if len(new) == 1:
            return outcome.applied(action, new[0], f"snapshot {new[0].id} was created", err)
        if not new:
            return outcome.not_applied(action, err, "no new snapshot")
        return outcome.unknown(action, err, f"{check} ({len(new)} new ones have it: someone "
                               "else made snapshots too)")

    return outcome.reconcile(action, call, read_back, check=check)


def create_snapshot(ctx: ClientSource, game: str, description: str) -> Snapshot:
    return create_snapshot_outcome(ctx, game, description).unwrap()


def cli_create_snapshot(game: str, description: str) -> str:
    text = f"aws gamesparks create-snapshot --game-name {shlex.quote(game)}"
    description = description.strip()
    return text + (f" --description {shlex.quote(description)}" if description else "")


def export_file_name(game: str, snapshot_id: str) -> str:
    # Snapshot ids hold colons (an ISO time), which some file systems refuse.
    return f"{game}-{snapshot_id.replace(':', '-')}.json"


def download_snapshot(ctx: ClientSource, game: str, snapshot_id: str, destination: Path,
                      progress: Progress | None = None,
                      cancelled: Callable[[], bool] | None = None,
                      url: str | None = None) -> Path:
    """ExportSnapshot, then stream the presigned URL into ``destination`` (``.part`` first).
    An expired or refused URL (HTTP 403) is requested again once; ``url`` is one already held."""
    attempts = 0
    while True:
        attempts += 1
        if url is None:
            url = export_snapshot_url(ctx, game, snapshot_id)
        try:
            return download(url, destination, progress, cancelled)
        except DownloadError as err:
            if err.status != 403 or attempts >= 2:
                raise
            url = None  # expired: ask for a fresh URL, once


# --- players (the stage's runtime) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayerConnection:
    id: str
    created: dt.datetime | None


def get_player_connection_status(ctx: ClientSource, game: str, stage: str,
                                 player_id: str) -> list[PlayerConnection]:
    response = _gamesparks(ctx).get_player_connection_status(
        GameName=game, StageName=stage, PlayerId=player_id)
    result = []
    for item in response.get("Connections", []):
        created = item.get("Created")
        if isinstance(created, dt.datetime) and created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        result.append(PlayerConnection(item.get("Id", ""), created))
    return result


def disconnect_player_outcome(ctx: ClientSource, game: str, stage: str, player_id: str,
                              ) -> Outcome[tuple[list[str], list[str]]]:
    """DisconnectPlayer: (DisconnectSuccesses, DisconnectFailures). It takes no idempotency
    token and a repeat would report "0 closed", so a lost answer is not repeated: the player's
    connections, looked up before, are looked up again, and those gone were closed."""
    action = f"DisconnectPlayer of {player_id} from {game}/{stage}"
    check = (f"`aws gamesparks get-player-connection-status --game-name {shlex.quote(game)} "
             f"--stage-name {shlex.quote(stage)} --player-id {shlex.quote(player_id)}`")
    before: list[str] | None = None
    try:
        if outcome.may_send(ctx):
            before = [c.id for c in get_player_connection_status(ctx, game, stage, player_id)]
    except Exception:  # the disconnect will say what is wrong; reading back copes without
        before = None

    def call() -> tuple[list[str], list[str]]:
        response = _gamesparks(ctx).disconnect_player(GameName=game, StageName=stage,
                                                      PlayerId=player_id)
        return (list(response.get("DisconnectSuccesses") or []),
                list(response.get("DisconnectFailures") or []))

    def read_back(err: BaseException) -> Outcome[tuple[list[str], list[str]]]:
        now = {c.id for c in get_player_connection_status(ctx, game, stage, player_id)}
        if before is None:
            return outcome.unknown(action, err, check)
        closed = [c for c in before if c not in now]
        still = [c for c in before if c in now]
        if closed or not before:
            return outcome.applied(action, (closed, still),
                                   f"{len(closed)} of {len(before)} connection(s) are gone", err)
        return outcome.not_applied(action, err, f"its {len(still)} connection(s) are still open")

    return outcome.reconcile(action, call, read_back, check=check)


def disconnect_player(ctx: ClientSource, game: str, stage: str,
                      player_id: str) -> tuple[list[str], list[str]]:
    """(DisconnectSuccesses, DisconnectFailures): connection ids closed and not closed."""
    return disconnect_player_outcome(ctx, game, stage, player_id).unwrap()


def cli_disconnect_player(game: str, stage: str, player_id: str) -> str:
    return (f"aws gamesparks disconnect-player --game-name {shlex.quote(game)} "
            f"--stage-name {shlex.quote(stage)} --player-id {shlex.quote(player_id)}")
