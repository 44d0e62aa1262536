"""The Stages pane's model: GameSparks games → stages → deployments and snapshots, what to load
for a node, the deploy / rollback plan with its ClientToken intent, following a deployment to
its end, and snapshot creation.

No Textual here: the widget (``tui/ui/panes/stages.py``) runs each ``Load`` and each workflow
function through its one worker recipe and draws what this holds
(``tui/ui/panes/stages_render.py``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from tui.aws.errors import Failure
from tui.aws.records import Game, Snapshot, Stage, StageDeployment
from tui.services import gamesparks
from tui.services.deploy_watch import Backoff, WatchCancelled, watch_deployment
from tui.services.gamesparks import ClientSource
from tui.services.snapshot_diff import SnapshotDiff, diff_snapshots

if TYPE_CHECKING:
    from tui.aws.session import AwsContext

GAME, STAGE, DEPLOYMENTS, SNAPSHOTS = "game", "stage", "deployments", "snapshots"
DEPLOYMENT, SNAPSHOT, SECTION, INFO = "deployment", "snapshot", "section", "info"

T_co = TypeVar("T_co", covariant=True)
Severity = Literal["information", "warning", "error"]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Ref:
    """What a tree node stands for; ``key`` identifies it across refreshes."""

    kind: str
    game: str = ""
    stage: str = ""
    ident: str = ""  # deployment id, snapshot id, or section name
    snapshot: str = ""  # the snapshot of a section

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.game}/{self.stage}/{self.snapshot}/{self.ident}"


@dataclass
class Watch:
    """A deployment being followed; ``since`` on the model's clock."""

    deployment: StageDeployment
    since: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class DeployPlan:
    """One intended deployment, with everything the confirmation shows."""

    kind: str  # "rollback" | "deploy"
    game: str
    stage: str
    snapshot_id: str
    snapshot_description: str
    current_snapshot_id: str | None
    current_description: str
    diff: SnapshotDiff


# --- what the reads bring back ----------------------------------------------------------------


@dataclass(frozen=True)
class Games:
    games: list[Game]


@dataclass(frozen=True)
class Stages:
    game: str
    stages: list[Stage]


@dataclass(frozen=True)
class History:
    """A stage's deployments and its game's snapshots (both branches of a stage use both)."""

    game: str
    stage: str
    deployments: list[StageDeployment]
    snapshots: list[Snapshot]


@dataclass(frozen=True)
class DeployOptions:
    """What the deploy / rollback picker chooses from."""

    mode: str  # "rollback" | "deploy"
    game: str
    stage: str
    deployments: list[StageDeployment]
    snapshots: list[Snapshot]


Detail = Game | Stage | Snapshot | StageDeployment


@dataclass(frozen=True)
class Load(Generic[T_co]):
    """One read for the widget to run off the event loop: ``what`` names it (the worker's tag,
    the status line and the toast); ``fetch`` is the call."""

    what: str
    fetch: Callable[[ClientSource], T_co]


@dataclass(frozen=True)
class Choices:
    """The picker: its title, what runs now, and (snapshot id, prompt) per choice."""

    title: str
    current: str
    options: list[tuple[str, str]]


@dataclass(frozen=True)
class Notice:
    """A toast the widget shows: how a workflow ended."""

    title: str
    text: str
    severity: Severity = "information"
    timeout: float | None = 10
    reload_game: str = ""  # reload the histories of this game's stages
    reload_history: tuple[str, str] | None = None


def when(value: dt.datetime | None, full: bool = False) -> str:
    if value is None:
        return "-"
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if full else "%m-%d %H:%M")


def follow_to_completion(aws: ClientSource, game: str, stage: str, deployment_id: str,
                         on_update: Callable[[StageDeployment], None], *,
                         backoff: Backoff | None = None,
                         cancelled: Callable[[], bool] = lambda: False,
                         sleep: Callable[[float], None] = time.sleep,
                         clock: Clock = time.monotonic) -> StageDeployment | None:
    """GetStageDeployment with backoff until the deployment ends; its final state, or None
    when cancelled first (the app quitting). ``on_update`` gets every change of state."""
    try:
        return watch_deployment(aws, game, stage, deployment_id, on_update, backoff=backoff,
                                cancelled=cancelled, sleep=sleep, clock=clock)
    except WatchCancelled:
        return None


def create_snapshot(aws: AwsContext, game: str, description: str) -> Notice:
    """CreateSnapshot, told as a toast. A lost answer is read back, never sent again (that made
    a second snapshot). Raises only for a failure before the call (bad input)."""
    result = gamesparks.create_snapshot_outcome(aws, game, description)
    if result.error is not None and aws.classify(result.error).refused:
        return Notice("Snapshot refused", f"refused: {aws.explain(result.error)}", "warning")
    if result.state == "unknown":
        return Notice("Snapshot outcome unknown", result.describe(aws.explain), "warning",
                      reload_game=game)
    if result.state == "not applied":
        return Notice("Snapshot not created", result.describe(aws.explain), "error")
    snapshot = result.value
    assert snapshot is not None
    text = f"{game}: {snapshot.id} ({snapshot.description or 'no description'})"
    if result.answer_lost:
        text += f" — {result.detail}"
    return Notice("Snapshot created", text, reload_game=game)


def export_target(game: str, snapshot_id: str) -> Path:
    """Where the export goes. The game name is service text: one safe file name inside the
    downloads folder (a game named ../../../tmp/x wrote outside it). Raises OSError or
    ValueError for an unusable folder or a name that would leave it."""
    from tui import locations
    from tui.services.downloads import destination_in

    return destination_in(locations.downloads_dir(),
                          gamesparks.export_file_name(game, snapshot_id),
                          fallback="snapshot.json")


class StagesModel:
    """What the Stages tree holds, and the rules of its workflows."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.games: dict[str, Game] = {}
        self.stages: dict[tuple[str, str], Stage] = {}
        self.deployments: dict[tuple[str, str], list[StageDeployment]] = {}
        self.snapshots: dict[str, list[Snapshot]] = {}
        self.snapshot_details: dict[tuple[str, str], Snapshot] = {}
        # Nodes whose children came (or are coming) from the service, by key.
        self.loaded: dict[str, Ref] = {}
        self.watches: dict[tuple[str, str], Watch] = {}
        self.starting: set[tuple[str, str]] = set()
        # One ClientToken per confirmed intent (game, stage, snapshot): kept while the outcome
        # of a StartStageDeployment is unknown, so that a retry can never start a second one.
        self.intents: dict[tuple[str, str, str], str] = {}

    # --- what to load ------------------------------------------------------------------------

    @staticmethod
    def load_games() -> Load[Games]:
        return Load("games", lambda aws: Games(gamesparks.list_games(aws)))

    @staticmethod
    def load_stages(game: str) -> Load[Stages]:
        return Load(f"stages of {game}",
                    lambda aws: Stages(game, gamesparks.list_stages(aws, game)))

    @staticmethod
    def load_history(game: str, stage: str) -> Load[History]:
        def fetch(aws: ClientSource) -> History:
            deployments = gamesparks.list_stage_deployments(aws, game, stage)
            return History(game, stage, deployments, gamesparks.list_snapshots(aws, game))

        return Load(f"history of {game}/{stage}", fetch)

    @staticmethod
    def load_snapshot(game: str, snapshot_id: str) -> Load[Snapshot]:
        return Load(f"snapshot {snapshot_id}",
                    lambda aws: gamesparks.get_snapshot(aws, game, snapshot_id))

    def expand(self, ref: Ref) -> Load[object] | None:
        """A node was opened: what its children need (None: nothing, or already held). Marked
        before loading, so that a refresh retries a failed load."""
        if ref.key in self.loaded:
            return None
        if ref.kind == GAME:
            self.loaded[ref.key] = ref
            return self.load_stages(ref.game)
        if ref.kind in (DEPLOYMENTS, SNAPSHOTS):
            self.loaded[ref.key] = ref
            return self.load_history(ref.game, ref.stage)
        if ref.kind == SNAPSHOT:
            self.loaded[ref.key] = ref
            if (ref.game, ref.ident) not in self.snapshot_details:
                return self.load_snapshot(ref.game, ref.ident)
        return None

    def detail_load(self, ref: Ref) -> Load[object] | None:
        """The cursor is on ``ref``: what the list calls did not give (ARNs, roles, sections,
        Created), if it is still missing."""
        if ref.kind == GAME and self.games.get(ref.game, Game("")).arn is None:
            return Load(f"game {ref.game}", lambda aws: gamesparks.get_game(aws, ref.game))
        if ref.kind == STAGE and (ref.game, ref.stage) in self.stages and \
                self.stages[ref.game, ref.stage].arn is None:
            return Load(f"stage {ref.stage}",
                        lambda aws: gamesparks.get_stage(aws, ref.game, ref.stage))
        if ref.kind == SNAPSHOT and (ref.game, ref.ident) not in self.snapshot_details:
            return self.load_snapshot(ref.game, ref.ident)
        if ref.kind == DEPLOYMENT:
            found = self.deployment(ref)
            if found is not None and found.created is None:
                return Load("deployment", lambda aws: gamesparks.get_stage_deployment(
                    aws, ref.game, ref.stage, ref.ident))
        return None

    def refresh_loads(self, shown: Callable[[str], bool], cursor: Ref | None) -> list[Load[object]]:
        """Everything to reload for a refresh: the games, every list the user expanded that is
        still ``shown`` in the tree, and the detail under the cursor."""
        loads: list[Load[object]] = [self.load_games()]
        histories: set[tuple[str, str]] = set()
        for key in sorted(self.loaded):
            ref = self.loaded[key]
            if not shown(key):
                del self.loaded[key]
                continue
            if ref.kind == GAME:
                loads.append(self.load_stages(ref.game))
            elif ref.kind in (DEPLOYMENTS, SNAPSHOTS) and (ref.game, ref.stage) not in histories:
                histories.add((ref.game, ref.stage))
                loads.append(self.load_history(ref.game, ref.stage))
        if cursor is not None and cursor.kind == GAME:
            game = cursor.game
            loads.append(Load(GAME, lambda aws: gamesparks.get_game(aws, game)))
        elif cursor is not None and cursor.kind == STAGE:
            game, stage = cursor.game, cursor.stage
            loads.append(Load(STAGE, lambda aws: gamesparks.get_stage(aws, game, stage)))
        return loads

    # --- taking answers in -------------------------------------------------------------------

    def take_games(self, answer: Games) -> None:
        self.games.update({g.name: g for g in answer.games})

    def take_stages(self, answer: Stages) -> None:
        for stage in answer.stages:
            self.stages.setdefault((answer.game, stage.name), stage)

    def take_history(self, answer: History) -> StageDeployment | None:
        """Keeps the history; returns a deployment still running that nobody follows yet
        (started elsewhere, or before a restart): the widget follows it too."""
        game, stage = answer.game, answer.stage
        # ListStageDeployments has no Created; keep what GetStageDeployment told us.
        known = {d.deployment_id: d.created for d in self.deployments.get((game, stage), [])}
        self.deployments[game, stage] = [
            replace(d, created=known[d.deployment_id])
            if d.created is None and known.get(d.deployment_id) else d
            for d in answer.deployments]
        self.snapshots[game] = answer.snapshots
        running = gamesparks.in_progress(answer.deployments)
        return running if running is not None and (game, stage) not in self.watches else None

    def take_detail(self, value: Detail) -> None:
        if isinstance(value, Game):
            self.games[value.name] = value
        elif isinstance(value, Stage):
            self.stages[value.game_name, value.name] = value
        elif isinstance(value, Snapshot):
            self.snapshot_details[value.game_name, value.id] = value
        else:
            self.merge_deployment(value)

    def merge_deployment(self, d: StageDeployment) -> None:
        where = (d.game_name, d.stage_name)
        history = list(self.deployments.get(where, []))
        for index, old in enumerate(history):
            if old.deployment_id == d.deployment_id:
                history[index] = d
                break
        else:
            history.insert(0, d)
        if where in self.deployments or history:
            self.deployments[where] = history

    # --- reading what is held ----------------------------------------------------------------

    def serving(self, game: str, stage: str) -> StageDeployment | None:
        return gamesparks.serving_deployment(self.deployments.get((game, stage), []))

    def descriptions(self, game: str) -> dict[str, str]:
        return {s.id: s.description or "" for s in self.snapshots.get(game, [])}

    def description(self, game: str, snapshot_id: str | None) -> str:
        return next((s.description or "" for s in self.snapshots.get(game, [])
                     if s.id == snapshot_id), "")

    def deployment(self, ref: Ref) -> StageDeployment | None:
        return next((d for d in self.deployments.get((ref.game, ref.stage), [])
                     if d.deployment_id == ref.ident), None)

    def snapshot_summary(self, game: str, snapshot_id: str) -> Snapshot | None:
        return next((s for s in self.snapshots.get(game, []) if s.id == snapshot_id), None)

    def busy(self, game: str, stage: str) -> bool:
        """A deployment to the stage is being started or followed: one at a time."""
        return (game, stage) in self.watches or (game, stage) in self.starting

    def export_snapshot_id(self, ref: Ref | None) -> str:
        """The snapshot ``x`` exports from the cursor ('' when there is none)."""
        if ref is not None and ref.kind == SNAPSHOT:
            return ref.ident
        if ref is not None and ref.kind == SECTION:
            return ref.snapshot
        if ref is not None and ref.kind == DEPLOYMENT:
            found = self.deployment(ref)
            return found.snapshot_id or "" if found else ""
        return ""

    def status_line(self, *, loading: bool, updated_at: float | None, error: str | None,
                    export_note: str) -> str:
        now = self.clock()
        parts = [f"{len(self.games)} games"]
        for (game, stage), watch in self.watches.items():
            seconds = int(now - watch.since)
            parts.append(f"⟳ {game}/{stage}: {watch.deployment.deployment_state} ({seconds}s)")
        if export_note:
            parts.append(export_note)
        if loading:
            parts.append("⟳ loading")
        if updated_at is not None:
            parts.append(f"updated {int(now - updated_at)}s ago")
        if error:
            parts.append(f"⚠ STALE: {error}")
        return " · ".join(parts)

    # --- deploy and roll back ----------------------------------------------------------------

    @staticmethod
    def load_options(mode: str, game: str, stage: str) -> Load[DeployOptions]:
        return Load(f"{mode} options", lambda aws: DeployOptions(
            mode, game, stage, gamesparks.list_stage_deployments(aws, game, stage),
            gamesparks.list_snapshots(aws, game)))

    @staticmethod
    def choices(options: DeployOptions) -> Choices | str:
        """The picker for ``options``, or why there is nothing to pick."""
        game, stage = options.game, options.stage
        descriptions = {s.id: s.description or "" for s in options.snapshots}
        serving = gamesparks.serving_deployment(options.deployments)
        current = "nothing is serving now"
        if serving is not None:
            current = (f"now serving {serving.snapshot_id} "
                       f"({descriptions.get(serving.snapshot_id or '', '')})")
        if options.mode == "rollback":
            candidates = gamesparks.rollback_candidates(options.deployments)
            if not candidates:
                return (f"{game}/{stage} has no earlier COMPLETED deployment of another "
                        "snapshot to go back to.")
            picks = [(d.snapshot_id or "", f"{when(d.last_updated, True)}  "
                      f"{descriptions.get(d.snapshot_id or '', '')}  {d.snapshot_id}")
                     for d in candidates]
            return Choices(f"Roll back {game}/{stage} to an earlier good deployment", current,
                           picks)
        serving_id = serving.snapshot_id if serving else None
        picks = [(s.id, f"{when(s.created, True)}  {s.description or ''}  {s.id}"
                  f"{'  (serving)' if s.id == serving_id else ''}") for s in options.snapshots]
        return Choices(f"Deploy a snapshot of {game} to stage {stage}", current, picks)

    @staticmethod
    def load_plan(mode: str, game: str, stage: str, snapshot_id: str) -> Load[DeployPlan]:
        """What the confirmation shows: what runs now, what will run, and the diff."""
        def fetch(aws: ClientSource) -> DeployPlan:
            deployments = gamesparks.list_stage_deployments(aws, game, stage)
            serving = gamesparks.serving_deployment(deployments)
            target = gamesparks.get_snapshot(aws, game, snapshot_id)
            current = (gamesparks.get_snapshot(aws, game, serving.snapshot_id)
                       if serving is not None and serving.snapshot_id else None)
            return DeployPlan(mode, game, stage, snapshot_id, target.description or "",
                              current.id if current else None,
                              (current.description or "") if current else "",
                              diff_snapshots(current, target))

        return Load("diff", fetch)

    def token_for(self, plan: DeployPlan) -> str:
        """The ClientToken the request will carry: a pending one (outcome unknown) is reused."""
        return self.intents.get((plan.game, plan.stage, plan.snapshot_id)) or \
            gamesparks.new_client_token()

    def begin_start(self, plan: DeployPlan, token: str) -> str | None:
        """The token to start ``plan`` with, or None while a deployment to the stage is under
        way (at most one at a time). The intent's token, once held, wins."""
        if self.busy(plan.game, plan.stage):
            return None
        token = self.intents.setdefault((plan.game, plan.stage, plan.snapshot_id), token)
        self.starting.add((plan.game, plan.stage))
        return token

    @staticmethod
    def start(aws: ClientSource, plan: DeployPlan, token: str) -> StageDeployment:
        return gamesparks.start_stage_deployment(aws, plan.game, plan.stage, plan.snapshot_id,
                                                 token)

    def started(self, plan: DeployPlan, deployment: StageDeployment) -> Notice:
        self.intents.pop((plan.game, plan.stage, plan.snapshot_id), None)
        self.starting.discard((plan.game, plan.stage))
        return Notice("Deployment started",
                      f"{plan.game}/{plan.stage}: deploying {plan.snapshot_id} "
                      f"({plan.snapshot_description}) — {deployment.deployment_state}",
                      timeout=None)

    def start_failed(self, plan: DeployPlan, failure: Failure) -> Notice:
        """The intent's token is kept while the outcome is unknown (a lost answer, a 5xx), so
        that confirming again cannot start a second deployment; a definite refusal (read-only,
        or an answer that says no) gets a new token next time."""
        self.starting.discard((plan.game, plan.stage))
        conflict = failure.code == "ConflictException"
        text = failure.text
        if conflict:
            text += " — wait for the running deployment to end (it is followed in the tree)"
        refused = failure.refused
        if refused:
            text = f"refused: {text}"
        answered_no = bool(failure.code) and failure.retry_safe
        if refused or answered_no:
            self.intents.pop((plan.game, plan.stage, plan.snapshot_id), None)
        elif "ClientToken" not in text:  # an OutcomeUnknown's wording already says it
            text += (" — the outcome is unknown: confirm the same deployment again to retry "
                     "it with the same ClientToken (it cannot start twice)")
        return Notice("Deployment refused" if refused else "Deployment not started", text,
                      "warning" if refused else "error",
                      reload_history=(plan.game, plan.stage) if conflict else None)

    # --- following a deployment --------------------------------------------------------------

    def begin_follow(self, deployment: StageDeployment) -> None:
        self.watches[deployment.game_name, deployment.stage_name] = Watch(deployment,
                                                                          self.clock())
        self.merge_deployment(deployment)

    def followed(self, d: StageDeployment) -> None:
        """A change of state while it runs."""
        watch = self.watches.get((d.game_name, d.stage_name))
        if watch is not None:
            watch.deployment = d
        self.merge_deployment(d)

    def follow_ended(self, d: StageDeployment) -> Notice:
        self.watches.pop((d.game_name, d.stage_name), None)
        self.merge_deployment(d)
        where = f"{d.game_name}/{d.stage_name}"
        if d.deployment_state == "COMPLETED":
            return Notice("Deployment COMPLETED", f"{where} now serves {d.snapshot_id} "
                          f"({self.description(d.game_name, d.snapshot_id)})",
                          reload_history=(d.game_name, d.stage_name))
        return Notice(f"Deployment {d.deployment_state}",
                      f"{where}: {d.result_code}: {d.result_message}", "error", timeout=15,
                      reload_history=(d.game_name, d.stage_name))

    def follow_failed(self, game: str, stage: str, deployment_id: str,
                      failure: Failure) -> Notice:
        self.watches.pop((game, stage), None)
        return Notice(f"{game}/{stage}", f"stopped following deployment {deployment_id}: "
                      f"{failure.text}", "error")
