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
from tui.services.downloads import DownloadError, Progress, download


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


def start_stage_deployment(ctx: ClientSource, game: str, stage: str, snapshot_id: str,
                           client_token: str | None = None) -> StageDeployment:
    """Deploy a snapshot to a stage (a rollback is a deployment of an earlier snapshot). Pass
    the same ``client_token`` when retrying so that the service runs it once."""
    item = _gamesparks(ctx).start_stage_deployment(
        GameName=game, StageName=stage, SnapshotId=snapshot_id,
        ClientToken=client_token or new_client_token())["StageDeployment"]
    return StageDeployment.from_api(item, game, stage)


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
    return _gamesparks(ctx).export_snapshot(GameName=game, SnapshotId=snapshot_id)["S3Url"]


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


def create_snapshot(ctx: ClientSource, game: str, description: str) -> Snapshot:
    params: dict[str, Any] = {"GameName": game}
    if description:
        params["Description"] = description
    return Snapshot.from_api(_gamesparks(ctx).create_snapshot(**params)["Snapshot"], game)


def cli_create_snapshot(game: str, description: str) -> str:
    text = f"aws gamesparks create-snapshot --game-name {shlex.quote(game)}"
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


def disconnect_player(ctx: ClientSource, game: str, stage: str,
                      player_id: str) -> tuple[list[str], list[str]]:
    """(DisconnectSuccesses, DisconnectFailures): connection ids closed and not closed."""
    response = _gamesparks(ctx).disconnect_player(GameName=game, StageName=stage,
                                                  PlayerId=player_id)
    return (list(response.get("DisconnectSuccesses") or []),
            list(response.get("DisconnectFailures") or []))


def cli_disconnect_player(game: str, stage: str, player_id: str) -> str:
    return (f"aws gamesparks disconnect-player --game-name {shlex.quote(game)} "
            f"--stage-name {shlex.quote(stage)} --player-id {shlex.quote(player_id)}")
