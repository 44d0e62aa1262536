"""GameSparks calls the app makes, as plain functions that page through results and return
records. Same conventions as ``tui.services.gamelift``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from tui.aws.records import Game, Snapshot, Stage, StageDeployment


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
