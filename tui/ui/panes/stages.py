"""Stages pane: GameSparks games → stages → deployments and snapshots, with a detail panel,
rollback (`R`), deploy (`d`), export (`x`), new snapshot (`n`) and players (`p`).

The model (``tui/models/stages.py``) holds the state and the workflows; this widget runs its
loads through ``run_call``, merges the answers into the tree by key (a refresh keeps what is
expanded and where the cursor is) and draws with ``stages_render``. A started deployment is
followed with GetStageDeployment and backoff until it ends, its progress shown in the tree and
the status line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode

from tui.aws.errors import Failure
from tui.aws.records import Game, Snapshot, Stage, StageDeployment
from tui.models.stages import (
    DEPLOYMENT,
    DEPLOYMENTS,
    GAME,
    INFO,
    SECTION,
    SNAPSHOT,
    SNAPSHOTS,
    STAGE,
    Choices,
    DeployOptions,
    DeployPlan,
    Games,
    History,
    Load,
    Notice,
    Ref,
    Severity,
    Stages,
    StagesModel,
    create_snapshot,
    export_target,
    follow_to_completion,
)
from tui.services import gamesparks
from tui.services.deploy_watch import Backoff
from tui.services.snapshot_diff import human_size
from tui.ui.contract import game_app
from tui.ui.panes import stages_render as render
from tui.ui.panes.base import NothingToExport, Pane
from tui.ui.read_only import ReadOnlyKeys, is_read_only
from tui.ui.widgets.plain import Plain
from tui.ui.work import Job

if TYPE_CHECKING:
    from tui.aws.session import AwsContext
    from tui.services.export import ExportTable

__all__ = ["DEPLOYMENT", "DEPLOYMENTS", "GAME", "INFO", "SECTION", "SNAPSHOT", "SNAPSHOTS",
           "STAGE", "Ref", "StagesPane"]

REFRESH_SECONDS = 30.0  # default between automatic reloads of the shown tree


class StagesPane(ReadOnlyKeys, Pane):
    BINDINGS = [
        Binding("R", "rollback", "Roll back stage", id="stages.rollback"),
        Binding("d", "deploy", "Deploy snapshot", id="stages.deploy"),
        Binding("x", "export", "Export snapshot", id="stages.export"),
        Binding("n", "new_snapshot", "New snapshot", id="stages.new-snapshot"),
        Binding("p", "players", "Players", id="stages.players"),
    ]
    MUTATING_ACTIONS = frozenset({"rollback", "deploy", "new_snapshot"})
    WIDE = 110  # columns from which tree and detail sit side by side

    title = "Stages"

    def __init__(self, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = StagesModel()
        # The model's own containers, under the names tests and scripts read them by.
        self.games, self.stages = self.model.games, self.model.stages
        self.deployments, self.snapshots = self.model.deployments, self.model.snapshots
        self.watches, self.starting = self.model.watches, self.model.starting
        self.in_flight: set[str] = set()  # what of the loads is still out
        self.updated_at: float | None = None
        self.error: str | None = None
        self.export_note = ""
        self.poll_initial, self.poll_max = 1.0, 10.0
        self.refresh_seconds = REFRESH_SECONDS  # the config's refresh interval replaces it
        self.last_refresh = 0.0

    @property
    def pending(self) -> int:
        return len(self.in_flight)

    def compose(self) -> ComposeResult:
        tree: Tree[Ref] = Tree("GameSparks", id="stages-tree")
        tree.show_root = False
        with Horizontal(id="stages-body"):
            yield tree
            with VerticalScroll(id="stages-detail"):
                yield Plain("", id="stages-detail-text")
        yield ProgressBar(id="stages-progress", show_eta=False)
        yield Plain("loading games…", id="stages-status", classes="status-line")

    def on_mount(self) -> None:
        self.set_interval(1.0, self.show_status)
        self.set_timer(1.0, self._periodic_refresh)

    def _periodic_refresh(self) -> None:
        # Like the other panes: only while shown, with no modal open and nothing loading, and
        # never sooner than the interval; re-armed after each tick so reads never pile up.
        app = game_app(self)
        shown = (self.app.screen is self.screen
                 and (app is None or app.active_pane_id() == "stages"))
        due = time.monotonic() - self.last_refresh >= self.refresh_seconds
        if shown and due and self.first_load_begun and not self.pending:
            self.refresh_data()
        self.set_timer(1.0, self._periodic_refresh)

    def first_load(self) -> None:
        self.last_refresh = time.monotonic()
        self._load(self.model.load_games())

    def on_resize(self) -> None:
        self.query_one("#stages-body").set_class(self.size.width >= self.WIDE, "wide")

    @property
    def stage_tree(self) -> Tree[Ref]:
        return self.query_one("#stages-tree", Tree)

    def _aws(self) -> AwsContext | None:
        app = game_app(self)
        return app.aws if app is not None else None

    # --- loading -----------------------------------------------------------------------------

    def _load(self, load: Load[Any]) -> None:
        aws = self._aws()
        if aws is None:
            return
        what = load.what
        self.in_flight.add(what)
        self.show_status()
        self.run_call(what, lambda job: load.fetch(aws), done=lambda value: self._took(what, value),
                      failed=lambda failure: self._load_failed(what, failure),
                      description="GameSparks read")

    def _load_failed(self, what: str, failure: Failure) -> None:
        self.in_flight.discard(what)
        self.show_failure(what, failure)

    def show_failure(self, what: str, failure: Failure) -> None:
        self.error = f"{what}: {failure.text}"
        self.show_status()
        super().show_failure(f"AWS error ({what})", failure)

    def _took(self, what: str, value: object) -> None:
        self.in_flight.discard(what)
        if not self.in_flight:
            self.error = None
            self.updated_at = time.monotonic()
        if isinstance(value, Games):
            self._show_games(value)
        elif isinstance(value, Stages):
            self._show_stages(value)
        elif isinstance(value, History):
            running = self.model.take_history(value)
            self._show_history(value.game, value.stage)
            if running is not None:
                self._follow(running)  # started elsewhere (or before a restart): follow it too
        elif isinstance(value, DeployOptions):
            self._pick(value)
        elif isinstance(value, DeployPlan):
            self._confirm(value)
        elif isinstance(value, Game | Stage | Snapshot | StageDeployment):
            self.model.take_detail(value)
            if isinstance(value, Snapshot):
                self._show_sections(value)
            elif isinstance(value, StageDeployment):
                self._show_history(value.game_name, value.stage_name)
        self.show_status()
        self.show_detail()

    def _show_games(self, answer: Games) -> None:
        self.model.take_games(answer)
        tree = self.stage_tree
        self._sync(tree.root, [(Ref(GAME, g.name), render.game_label(g), True)
                               for g in answer.games], INFO)
        if tree.cursor_line < 0 and tree.root.children:
            tree.move_cursor(tree.root.children[0])

    def _show_stages(self, answer: Stages) -> None:
        game = answer.game
        self.model.take_stages(answer)
        node = self._find(Ref(GAME, game).key)
        if node is None:
            return
        self.model.loaded[Ref(GAME, game).key] = Ref(GAME, game)
        self._sync(node, [(Ref(STAGE, game, s.name), self._stage_label(s), True)
                          for s in answer.stages], "no stages")
        for stage in answer.stages:
            stage_node = self._find(Ref(STAGE, game, stage.name).key)
            if stage_node is not None and not stage_node.children:
                stage_node.add("Deployments", Ref(DEPLOYMENTS, game, stage.name))
                stage_node.add("Snapshots", Ref(SNAPSHOTS, game, stage.name))

    def _show_history(self, game: str, stage: str) -> None:
        for kind, items, empty in ((DEPLOYMENTS, render.deployment_items, "no deployments"),
                                   (SNAPSHOTS, render.snapshot_items, "no snapshots")):
            key = Ref(kind, game, stage).key
            branch = self._find(key)
            if branch is not None and key in self.model.loaded:
                children = items(self.model, game, stage)
                branch.set_label(f"{kind.capitalize()} ({len(children)})")
                self._sync(branch, children, empty)
        stage_node = self._find(Ref(STAGE, game, stage).key)
        if stage_node is not None and (game, stage) in self.model.stages:
            stage_node.set_label(self._stage_label(self.model.stages[game, stage]))

    def _show_sections(self, snapshot: Snapshot) -> None:
        for node in self._walk():
            ref = node.data
            if ref and ref.kind == SNAPSHOT and ref.ident == snapshot.id and \
                    ref.key in self.model.loaded:
                self._sync(node, render.section_items(ref, snapshot), "no sections")

    # --- the tree ----------------------------------------------------------------------------

    def _stage_label(self, stage: Stage) -> Text:
        return render.stage_label(stage, self.model.watches.get((stage.game_name, stage.name)))

    def _walk(self) -> list[TreeNode[Ref]]:
        return render.walk(self.stage_tree)

    def _find(self, key: str) -> TreeNode[Ref] | None:
        return render.find(self.stage_tree, key)

    def _sync(self, parent: TreeNode[Ref], items: list[render.Item], empty: str) -> None:
        render.sync(self.stage_tree, parent, items, empty)

    @on(Tree.NodeExpanded, "#stages-tree")
    def expanded(self, event: Tree.NodeExpanded[Ref]) -> None:
        ref = event.node.data
        if ref is None or ref.key in self.model.loaded:
            return
        if ref.kind in (GAME, DEPLOYMENTS, SNAPSHOTS, SNAPSHOT) and not event.node.children:
            event.node.add_leaf(Text("loading…", style="dim"),
                                Ref(INFO, ident=f"{ref.key}:loading"))
        load = self.model.expand(ref)
        if load is not None:
            self._load(load)
        elif ref.kind == SNAPSHOT and (ref.game, ref.ident) in self.model.snapshot_details:
            self._show_sections(self.model.snapshot_details[ref.game, ref.ident])

    @on(Tree.NodeHighlighted, "#stages-tree")
    def highlighted(self, event: Tree.NodeHighlighted[Ref]) -> None:
        ref = event.node.data
        if ref is None:
            return
        load = self.model.detail_load(ref)
        if load is not None:
            self._load(load)
        self.show_detail()

    def cursor_ref(self) -> Ref | None:
        node = self.stage_tree.cursor_node
        return node.data if node is not None else None

    def show_detail(self) -> None:
        if self.is_mounted:
            self.query_one("#stages-detail-text", Static).update(self._detail(self.cursor_ref()))

    def _detail(self, ref: Ref | None) -> RenderableType:
        return render.detail(self.model, ref)

    def show_status(self) -> None:
        if not self.is_mounted:
            return
        line = self.model.status_line(loading=bool(self.in_flight), updated_at=self.updated_at,
                                      error=self.error, export_note=self.export_note)
        # One fixed line (.status-line): new text never changes the layout, so skip it.
        self.query_one("#stages-status", Static).update(line, layout=False)

    def _tell(self, notice: Notice) -> None:
        self.notify(notice.text, title=notice.title, severity=notice.severity,
                    timeout=notice.timeout)
        if notice.reload_history is not None:
            self._load(self.model.load_history(*notice.reload_history))
        if notice.reload_game:
            for (game, stage) in list(self.model.deployments):
                if game == notice.reload_game:
                    self._load(self.model.load_history(game, stage))
        self.show_status()

    # --- refresh and export ------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Reload what is shown: games, and every list the user has expanded."""
        self.last_refresh = time.monotonic()
        for load in self.model.refresh_loads(lambda key: self._find(key) is not None,
                                             self.cursor_ref()):
            self._load(load)

    def export_table(self) -> ExportTable:
        """What the cursor is in: a stage's deployments, a game's snapshots or stages, the
        games."""
        from tui.services.export import ExportTable, record_row

        model, ref = self.model, self.cursor_ref()
        kind, game, stage = (ref.kind, ref.game, ref.stage) if ref else ("", "", "")
        if kind in (SNAPSHOTS, SNAPSHOT, SECTION) and game in model.snapshots:
            return ExportTable("snapshots", f"snapshots of game {game}",
                               [record_row(s) for s in model.snapshots[game]], game)
        if stage and (game, stage) in model.deployments:
            serving = model.serving(game, stage)
            descriptions = model.descriptions(game)
            rows = [record_row(d, {"snapshot_description":
                                   descriptions.get(d.snapshot_id or "", ""),
                                   "serving": d is serving})
                    for d in model.deployments[game, stage]]
            return ExportTable("deployments", f"deployments of stage {game}/{stage}, newest "
                               "first", rows, f"{game}-{stage}")
        if stage:
            raise NothingToExport(f"Expand Deployments under {game}/{stage} first: its "
                                  "history is loaded when shown.")
        if game and kind == GAME:
            stages = [s for (g, _), s in model.stages.items() if g == game]
            if stages:
                return ExportTable("stages", f"stages of game {game}",
                                   [record_row(s) for s in stages], game)
        return ExportTable("games", "GameSparks games",
                           [record_row(g) for g in model.games.values()], "")

    # --- deploy and roll back ----------------------------------------------------------------

    def _stage_of_cursor(self, verb: str) -> tuple[str, str] | None:
        ref = self.cursor_ref()
        if ref is None or not ref.stage:
            self.notify(f"Put the cursor on a stage (or anything under it) to {verb}.",
                        severity="warning")
            return None
        if self.model.busy(ref.game, ref.stage):
            self.notify(f"A deployment is already running on {ref.game}/{ref.stage}; wait "
                        "until it ends.", severity="warning")
            return None
        return ref.game, ref.stage

    def action_rollback(self) -> None:
        where = self._stage_of_cursor("roll it back")
        if where is not None:
            self._load(self.model.load_options("rollback", *where))

    def action_deploy(self) -> None:
        ref = self.cursor_ref()
        where = self._stage_of_cursor("deploy a snapshot to it")
        if where is None or ref is None:
            return
        snapshot_id = ref.ident if ref.kind == SNAPSHOT else (
            ref.snapshot if ref.kind == SECTION else "")
        if snapshot_id:
            self._load(self.model.load_plan("deploy", *where, snapshot_id))
        else:
            self._load(self.model.load_options("deploy", *where))

    def _pick(self, options: DeployOptions) -> None:
        from tui.ui.screens.stage_pick import StagePickModal

        choices = self.model.choices(options)
        if not isinstance(choices, Choices):
            self.notify(choices, severity="warning")
            return

        def picked(snapshot_id: str | None) -> None:
            if snapshot_id:
                self._load(self.model.load_plan(options.mode, options.game, options.stage,
                                                snapshot_id))

        self.app.push_screen(StagePickModal(choices.title, choices.current, choices.options),
                             picked)

    def _confirm(self, plan: DeployPlan) -> None:
        from tui.ui.screens.stage_deploy import StageDeployModal

        token = self.model.token_for(plan)
        cli = gamesparks.cli_start_stage_deployment(plan.game, plan.stage, plan.snapshot_id,
                                                    token)

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(plan, token)

        self.app.push_screen(StageDeployModal(plan, cli, is_read_only(self)), answered)

    def start(self, plan: DeployPlan, token: str) -> None:
        """StartStageDeployment for a confirmed plan, at most once per stage at a time."""
        aws = self._aws()
        if aws is None:
            return
        held = self.model.begin_start(plan, token)
        if held is None:
            self.notify(f"A deployment to {plan.game}/{plan.stage} is already under way.",
                        severity="warning")
            return
        self.show_status()
        # A change: run beside the reads, and its answer is never dropped.
        self.run_call("stages-deploy", lambda job: self.model.start(aws, plan, held),
                      done=lambda deployment: self._started(plan, deployment),
                      failed=lambda failure: self._tell(self.model.start_failed(plan, failure)),
                      exclusive=False, description="StartStageDeployment")

    def _started(self, plan: DeployPlan, deployment: StageDeployment) -> None:
        self._tell(self.model.started(plan, deployment))
        self._follow(deployment)

    def _follow(self, deployment: StageDeployment) -> None:
        aws = self._aws()
        if aws is None:
            return
        self.model.begin_follow(deployment)
        self._show_history(deployment.game_name, deployment.stage_name)
        self.show_status()
        game, stage, ident = (deployment.game_name, deployment.stage_name,
                              deployment.deployment_id)
        backoff = Backoff(self.poll_initial, 1.5, self.poll_max)

        def follow(job: Job) -> StageDeployment | None:
            return follow_to_completion(aws, game, stage, ident, job.progress, backoff=backoff,
                                        cancelled=lambda: job.cancelled)

        # One per stage, side by side: following one stage never drops another's answers.
        self.run_call("stages-watch", follow, done=self._follow_ended,
                      progress=self._follow_progress,
                      failed=lambda failure: self._tell(
                          self.model.follow_failed(game, stage, ident, failure)),
                      exclusive=False, description="GetStageDeployment (following a deployment)")

    def _follow_progress(self, deployment: StageDeployment) -> None:
        self.model.followed(deployment)
        self._show_history(deployment.game_name, deployment.stage_name)
        self.show_status()
        self.show_detail()

    def _follow_ended(self, deployment: StageDeployment | None) -> None:
        if deployment is None:  # cancelled: the app is quitting
            return
        notice = self.model.follow_ended(deployment)
        self._show_history(deployment.game_name, deployment.stage_name)
        self._tell(notice)
        self.show_detail()

    # --- snapshots: export and create --------------------------------------------------------

    def action_export(self) -> None:
        ref = self.cursor_ref()
        snapshot_id = self.model.export_snapshot_id(ref)
        if ref is None or not snapshot_id:
            self.notify("Put the cursor on a snapshot (or a deployment) to export it.",
                        severity="warning")
            return
        aws = self._aws()
        if aws is None:
            return
        try:
            target = export_target(ref.game, snapshot_id)
        except (OSError, ValueError) as err:  # an unusable folder, a name that would leave it
            self.notify(f"nothing was written: {err}", title="Export failed", severity="error",
                        timeout=10)
            return
        bar = self.query_one("#stages-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("shown")
        self.export_note = f"⬇ exporting {snapshot_id}"
        self.show_status()
        game = ref.game

        def export(job: Job) -> Path:
            return gamesparks.download_snapshot(
                aws, game, snapshot_id, target,
                lambda done, total: job.progress((done, total)), lambda: job.cancelled)

        self.run_call("stages-export", export,
                      done=lambda path: self._exported("Snapshot exported", f"saved {path}",
                                                       "information"),
                      failed=lambda failure: self._exported("Export failed", failure.text,
                                                            "error"),
                      progress=self._export_progress, description="ExportSnapshot + download")

    def _export_progress(self, value: tuple[int, int | None]) -> None:
        done, total = value
        self.query_one("#stages-progress", ProgressBar).update(total=total, progress=done)
        size = f"/{human_size(total)}" if total else ""
        self.export_note = f"⬇ {human_size(done)}{size}"
        self.show_status()

    def _exported(self, title: str, text: str, severity: Severity) -> None:
        self.export_note = ""
        self.query_one("#stages-progress", ProgressBar).remove_class("shown")
        self._tell(Notice(title, text, severity))

    def action_new_snapshot(self) -> None:
        from tui.ui.screens.snapshot_create import SnapshotCreateModal

        ref = self.cursor_ref()
        if ref is None or not ref.game:
            self.notify("Put the cursor on a game (or anything under it).", severity="warning")
            return
        game = ref.game
        aws = self._aws()

        def answered(description: str | None) -> None:
            if description is None or aws is None:
                return
            self.run_call("stages-snapshot", lambda job: create_snapshot(aws, game, description),
                          done=self._tell,
                          failed=lambda failure: self._tell(Notice(
                              "Snapshot not created", failure.text, "error")),
                          exclusive=False, description="CreateSnapshot")

        self.app.push_screen(SnapshotCreateModal(game), answered)

    # --- players -----------------------------------------------------------------------------

    def action_players(self) -> None:
        from tui.ui.screens.player_connections import PlayerScreen

        ref = self.cursor_ref()
        if ref is None or not ref.stage:
            self.notify("Put the cursor on a stage to look up its players.", severity="warning")
            return
        self.app.push_screen(PlayerScreen(ref.game, ref.stage))

