"""The Stages model without Textual, against a private simulator over HTTP: what a node loads,
the refresh, the picker, the ClientToken of a deploy intent (kept on a lost answer, new after a
definite refusal), following a deployment to its end, snapshot creation, the status line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from simctl import World

from tui.aws.errors import Failure
from tui.aws.records import Game, Snapshot
from tui.aws.session import AwsContext
from tui.models.stages import (
    DEPLOYMENTS,
    GAME,
    SNAPSHOT,
    SNAPSHOTS,
    STAGE,
    Choices,
    DeployPlan,
    Games,
    History,
    Ref,
    Stages,
    StagesModel,
    create_snapshot,
    follow_to_completion,
)
from tui.services import gamesparks
from tui.services.deploy_watch import Backoff

# A frozen clock (the world's default): deployments move only when a test advances it.
pytestmark = pytest.mark.world(sessions=10)


def context(world: World, *, read_only: bool = False) -> AwsContext:
    return world.aws(read_only=read_only)


def starts(world: World) -> list[dict[str, Any]]:
    return world.mutations("StartStageDeployment")


def loaded_stage(aws: AwsContext, game: str, stage: str) -> StagesModel:
    """A model that has read the games, the game's stages and the stage's history."""
    model = StagesModel()
    games = model.load_games().fetch(aws)
    assert isinstance(games, Games)
    model.take_games(games)
    load = model.expand(Ref(GAME, game))
    assert load is not None and load.what == f"stages of {game}"
    stages = load.fetch(aws)
    assert isinstance(stages, Stages)
    model.take_stages(stages)
    load = model.expand(Ref(DEPLOYMENTS, game, stage))
    assert load is not None
    history = load.fetch(aws)
    assert isinstance(history, History)
    assert model.take_history(history) is None  # nothing running in a frozen new world
    return model


def rollback_plan(aws: AwsContext, model: StagesModel, game: str, stage: str) -> DeployPlan:
    options = model.load_options("rollback", game, stage).fetch(aws)
    choices = model.choices(options)
    assert isinstance(choices, Choices) and choices.options
    return model.load_plan("rollback", game, stage, choices.options[0][0]).fetch(aws)


def failure_of(aws: AwsContext, model: StagesModel, plan: DeployPlan, token: str) -> Failure:
    with pytest.raises(Exception) as caught:
        model.start(aws, plan, token)
    return aws.classify(caught.value)


def test_a_node_loads_once_and_the_detail_what_is_missing(world: World,
                                                          home: Path) -> None:
    aws = context(world)
    model = loaded_stage(aws, "space-raiders", "prod")
    truth = world.state()["gamesparks"]["games"]["space-raiders"]["stages"]["prod"]
    assert [d.deployment_id for d in model.deployments["space-raiders", "prod"]] == [
        d["DeploymentId"] for d in truth["deployments"]]
    serving = model.serving("space-raiders", "prod")
    assert serving is not None and serving.deployment_id == truth["serving"]
    # Both branches of a stage share the one history: the second opens with nothing to read.
    assert model.expand(Ref(DEPLOYMENTS, "space-raiders", "prod")) is None
    assert model.expand(Ref(SNAPSHOTS, "space-raiders", "prod")) is not None
    # The game's ARN comes from GetGame, once.
    load = model.detail_load(Ref(GAME, "space-raiders"))
    assert load is not None
    game = load.fetch(aws)
    assert isinstance(game, Game)
    model.take_detail(game)
    assert model.games["space-raiders"].arn
    assert model.detail_load(Ref(GAME, "space-raiders")) is None
    # A snapshot's sections: loaded when its node opens, then held.
    snapshot_id = model.snapshots["space-raiders"][0].id
    load = model.expand(Ref(SNAPSHOT, "space-raiders", "prod", snapshot_id))
    assert load is not None
    snapshot = load.fetch(aws)
    assert isinstance(snapshot, Snapshot)
    model.take_detail(snapshot)
    assert model.snapshot_details["space-raiders", snapshot_id].sections
    assert model.detail_load(Ref(SNAPSHOT, "space-raiders", "prod", snapshot_id)) is None


def test_refresh_reloads_what_is_shown_once_per_stage(world: World,
                                                      home: Path) -> None:
    aws = context(world)
    model = loaded_stage(aws, "kart-league", "dev")
    model.expand(Ref(SNAPSHOTS, "kart-league", "dev"))
    gone = Ref(DEPLOYMENTS, "kart-league", "prod")
    model.expand(gone)
    shown = {key for key in model.loaded if key != gone.key}
    loads = model.refresh_loads(lambda key: key in shown, Ref(STAGE, "kart-league", "dev"))
    assert [load.what for load in loads] == [
        "games", "history of kart-league/dev", "stages of kart-league", STAGE]
    assert gone.key not in model.loaded  # its node left the tree: not reloaded again
    for load in loads:
        load.fetch(aws)  # every one is a working read


def test_picker_choices(world: World, home: Path) -> None:
    aws = context(world)
    model = loaded_stage(aws, "space-raiders", "prod")
    serving = model.serving("space-raiders", "prod")
    assert serving is not None
    deploy = model.choices(model.load_options("deploy", "space-raiders", "prod").fetch(aws))
    assert isinstance(deploy, Choices)
    assert deploy.title == "Deploy a snapshot of space-raiders to stage prod"
    assert deploy.current.startswith(f"now serving {serving.snapshot_id}")
    marked = [sid for sid, prompt in deploy.options if prompt.endswith("(serving)")]
    assert marked == [serving.snapshot_id]
    rollback = model.choices(model.load_options("rollback", "space-raiders", "prod").fetch(aws))
    assert isinstance(rollback, Choices)
    assert serving.snapshot_id not in [sid for sid, _ in rollback.options]


def test_a_lost_answer_keeps_the_token_and_the_retry_starts_one(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no botocore retries: the model's own retry
    aws = context(world)
    model = loaded_stage(aws, "kart-league", "staging")
    plan = rollback_plan(aws, model, "kart-league", "staging")
    token = model.token_for(plan)
    held = model.begin_start(plan, token)
    assert held == token and model.busy("kart-league", "staging")
    assert model.begin_start(plan, "another") is None  # one start per stage at a time
    world.faults(drop_rate=1.0)  # the connection dies without an answer
    failure = failure_of(aws, model, plan, token)
    world.faults(drop_rate=0.0)
    notice = model.start_failed(plan, failure)
    assert notice.title == "Deployment not started" and "ClientToken" in notice.text
    assert not model.busy("kart-league", "staging")
    # Confirming the same intent again carries the same token: the service runs it once.
    assert model.token_for(plan) == token
    again = model.begin_start(plan, model.token_for(plan))
    assert again == token
    deployment = model.start(aws, plan, again)
    assert model.start(aws, plan, again).deployment_id == deployment.deployment_id
    notice = model.started(plan, deployment)
    assert notice.title == "Deployment started"
    assert len(starts(world)) == 1
    assert model.token_for(plan) != token  # the intent is done: a new one gets a new token


def test_a_definite_refusal_gets_a_new_token(world: World, home: Path) -> None:
    aws = context(world, read_only=True)
    model = loaded_stage(aws, "space-raiders", "prod")
    plan = rollback_plan(aws, model, "space-raiders", "prod")
    token = model.token_for(plan)
    model.begin_start(plan, token)
    notice = model.start_failed(plan, failure_of(aws, model, plan, token))
    assert notice.title == "Deployment refused" and notice.severity == "warning"
    assert notice.text.startswith("refused: read-only mode")
    assert model.token_for(plan) != token
    assert starts(world) == []


def test_a_conflict_is_explained_and_reloads_the_history(world: World,
                                                         home: Path) -> None:
    aws = context(world)
    model = loaded_stage(aws, "space-raiders", "staging")
    plan = rollback_plan(aws, model, "space-raiders", "staging")
    # Someone else starts a deployment while the diff is read.
    aws.client("gamesparks").start_stage_deployment(
        GameName="space-raiders", StageName="staging", SnapshotId=plan.snapshot_id,
        ClientToken="someone-else-0123456789abcdef-0123456789")
    token = model.token_for(plan)
    model.begin_start(plan, token)
    notice = model.start_failed(plan, failure_of(aws, model, plan, token))
    assert "ConflictException" in notice.text and "wait for the running" in notice.text
    assert notice.reload_history == ("space-raiders", "staging")
    assert model.token_for(plan) != token  # the service said no: nothing of ours started
    # The reload finds the other deployment running, for the widget to follow.
    history = model.load_history("space-raiders", "staging").fetch(aws)
    running = model.take_history(history)
    assert running is not None and running.deployment_state == "PENDING"


def test_follow_to_completion_with_an_injected_clock(world: World,
                                                     home: Path) -> None:
    aws = context(world)
    model = loaded_stage(aws, "kart-league", "dev")
    snapshot_id = model.snapshots["kart-league"][0].id
    started = gamesparks.start_stage_deployment(aws, "kart-league", "dev", snapshot_id,
                                                gamesparks.new_client_token())
    now = [100.0]
    model.clock = lambda: now[0]
    model.begin_follow(started)
    assert model.busy("kart-league", "dev")

    def sleep(seconds: float) -> None:  # the waits move both clocks, and nothing sleeps
        now[0] += seconds
        world.advance(seconds)

    states: list[str] = []

    def update(d: Any) -> None:
        states.append(d.deployment_state or "")
        model.followed(d)

    final = follow_to_completion(aws, "kart-league", "dev", started.deployment_id, update,
                                 backoff=Backoff(1.0, 1.5, 2.0), sleep=sleep,
                                 clock=lambda: now[0])
    assert final is not None and final.deployment_state == "COMPLETED"
    assert states == ["PENDING", "IN_PROGRESS", "COMPLETED"]
    assert "kart-league/dev: COMPLETED" in model.status_line(
        loading=False, updated_at=None, error=None, export_note="")
    notice = model.follow_ended(final)
    assert notice.title == "Deployment COMPLETED"
    assert notice.reload_history == ("kart-league", "dev")
    assert not model.busy("kart-league", "dev")
    assert model.deployments["kart-league", "dev"][0].deployment_id == started.deployment_id
    # Cancelled before the first poll: no answer, no error.
    assert follow_to_completion(aws, "kart-league", "dev", started.deployment_id, update,
                                cancelled=lambda: True) is None


def test_snapshot_creation_is_told_as_one_notice(world: World, home: Path) -> None:
    notice = create_snapshot(context(world), "kart-league", " before cup 9 ")
    assert notice.title == "Snapshot created" and notice.reload_game == "kart-league"
    made = world.mutations("CreateSnapshot")
    # Trimmed: SnapshotDescription's pattern ^\S(.*\S)?$|^$ (public model) refuses outer spaces.
    assert [m["params"]["Description"] for m in made] == ["before cup 9"]
    refused = create_snapshot(context(world, read_only=True), "kart-league", "no")
    assert refused.title == "Snapshot refused" and refused.text.startswith("refused: ")
    assert len(world.mutations("CreateSnapshot")) == 1


def test_status_line() -> None:
    now = [50.0]
    model = StagesModel(clock=lambda: now[0])
    assert model.status_line(loading=True, updated_at=None, error=None,
                             export_note="") == "0 games · ⟳ loading"
    assert model.status_line(loading=False, updated_at=40.0, error="games: network: down",
                             export_note="⬇ 1 KB") == (
        "0 games · ⬇ 1 KB · updated 10s ago · ⚠ STALE: games: network: down")
