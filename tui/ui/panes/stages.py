"""Stages pane: GameSparks games → stages → deployments and snapshots, with a detail panel,
rollback (`R`), deploy (`d`), export (`x`), new snapshot (`n`) and players (`p`).

Children load lazily when a node is expanded, each list paged to the end in a thread worker;
results come back as messages and are merged into the tree by key, so a refresh keeps what is
expanded and where the cursor is. A started deployment is followed with GetStageDeployment and
backoff until it ends, its progress shown in the tree and the status line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.services.export import ExportTable

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode
from textual.worker import get_current_worker

from tui.aws.records import Game, Snapshot, Stage, StageDeployment
from tui.services import gamesparks
from tui.services.snapshot_diff import human_size
from tui.ui.panes.base import Pane
from tui.ui.read_only import ReadOnlyKeys, game_app, is_read_only
from tui.ui.widgets.plain import Plain, cell, safe_text, visible

GAME, STAGE, DEPLOYMENTS, SNAPSHOTS = "game", "stage", "deployments", "snapshots"
DEPLOYMENT, SNAPSHOT, SECTION, INFO = "deployment", "snapshot", "section", "info"
REFRESH_SECONDS = 30.0  # default between automatic reloads of the shown tree
STATE_MARKS = {"COMPLETED": "✓", "FAILED": "✗", "PENDING": "…", "IN_PROGRESS": "⟳"}
STATE_STYLES = {"FAILED": "bold red", "PENDING": "yellow", "IN_PROGRESS": "bold yellow"}


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
    deployment: StageDeployment
    since: float = field(default_factory=time.monotonic)


# --- messages --------------------------------------------------------------------------------


class GamesLoaded(Message):
    def __init__(self, games: list[Game]) -> None:
        super().__init__()
        self.games = games


class StagesLoaded(Message):
    def __init__(self, game: str, stages: list[Stage]) -> None:
        super().__init__()
        self.game, self.stages = game, stages


class HistoryLoaded(Message):
    """A stage's deployments and its game's snapshots (both branches of a stage use both)."""

    def __init__(self, game: str, stage: str, deployments: list[StageDeployment],
                 snapshots: list[Snapshot]) -> None:
        super().__init__()
        self.game, self.stage = game, stage
        self.deployments, self.snapshots = deployments, snapshots


class DetailLoaded(Message):
    def __init__(self, key: str, value: Any) -> None:
        super().__init__()
        self.key, self.value = key, value


class LoadFailed(Message):
    def __init__(self, what: str, text: str) -> None:
        super().__init__()
        self.what, self.text = what, text


class DeployOptions(Message):
    def __init__(self, mode: str, game: str, stage: str, deployments: list[StageDeployment],
                 snapshots: list[Snapshot]) -> None:
        super().__init__()
        self.mode, self.game, self.stage = mode, game, stage
        self.deployments, self.snapshots = deployments, snapshots


class PlanReady(Message):
    def __init__(self, plan: Any) -> None:
        super().__init__()
        self.plan = plan


class DeploymentStarted(Message):
    def __init__(self, plan: Any, deployment: StageDeployment) -> None:
        super().__init__()
        self.plan, self.deployment = plan, deployment


class StartFailed(Message):
    def __init__(self, plan: Any, text: str, keep_token: bool, conflict: bool = False) -> None:
        super().__init__()
        self.plan, self.text, self.keep_token, self.conflict = plan, text, keep_token, conflict


class DeploymentProgress(Message):
    def __init__(self, deployment: StageDeployment, final: bool) -> None:
        super().__init__()
        self.deployment, self.final = deployment, final


class ActionResult(Message):
    def __init__(self, title: str, text: str, severity: str = "information",
                 reload_game: str = "") -> None:
        super().__init__()
        self.title, self.text, self.severity, self.reload_game = title, text, severity, reload_game


class ExportProgress(Message):
    def __init__(self, done: int, total: int | None) -> None:
        super().__init__()
        self.done, self.total = done, total


# --- formatting ------------------------------------------------------------------------------


def when(value: dt.datetime | None, full: bool = False) -> str:
    if value is None:
        return "-"
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if full else "%m-%d %H:%M")


def deployment_label(d: StageDeployment, description: str, serving: bool) -> Text:
    state = d.deployment_state or "?"
    text = Text()
    text.append("★ " if serving else f"{STATE_MARKS.get(state, '·')} ",
                style="bold green" if serving else STATE_STYLES.get(state, ""))
    text.append(f"{when(d.last_updated or d.created)} ", style="dim")
    action = "" if d.deployment_action in (None, "DEPLOY") else f"{d.deployment_action} "
    text.append(visible(f"{action}{state}"),
                style=STATE_STYLES.get(state, "green" if serving else ""))
    if state == "FAILED" and d.result_code:
        text.append(visible(f" {d.result_code}"), style="bold red")
    text.append(visible(f"  {description or d.snapshot_id or ''}"))
    if serving:
        text.append("  (serving)", style="bold green")
    return text


def snapshot_label(s: Snapshot, serving: bool) -> Text:
    text = Text()
    text.append("★ " if serving else "  ", style="bold green")
    text.append(f"{when(s.created)} ", style="dim")
    text.append(visible(s.description or s.id))
    if serving:
        text.append("  (serving)", style="bold green")
    return text


def _grid(rows: list[tuple[str, Any]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, cell(value))
    return table


def game_detail(game: Game) -> RenderableType:
    protection = {True: "on", False: "off", None: "?"}[game.enable_termination_protection]
    tags = ", ".join(f"{k}={v}" for k, v in game.tags) or "-"
    return _grid([("Game", game.name), ("Description", game.description or "-"),
                  ("State", game.state or "-"), ("Termination protection", protection),
                  ("Tags", tags), ("Arn", game.arn or "(loading)"),
                  ("Created", when(game.created, True)),
                  ("LastUpdated", when(game.last_updated, True))])


def stage_detail(stage: Stage, serving: StageDeployment | None,
                 running: StageDeployment | None) -> RenderableType:
    rows: list[tuple[str, Any]] = [
        ("Stage", f"{stage.game_name}/{stage.name}"), ("Description", stage.description or "-"),
        ("State", stage.state or "-"), ("Arn", stage.arn or "(loading)"),
        ("GameKey", stage.game_key or "-"), ("Role", stage.role or "(loading)"),
        ("LogGroup", stage.log_group or "(loading)"),
        ("Tags", ", ".join(f"{k}={v}" for k, v in stage.tags) or "-"),
        ("Serving", serving.snapshot_id if serving else "(expand Deployments to see)")]
    if running is not None:
        rows.append(("Deploying", safe_text(f"{running.snapshot_id} {running.deployment_state}",
                                            "bold yellow")))
    rows.append(("Keys", "R roll back · d deploy a snapshot · p players"))
    return _grid(rows)


def deployment_detail(d: StageDeployment, description: str, serving: bool) -> RenderableType:
    state = d.deployment_state or "?"
    rows: list[tuple[str, Any]] = [
        ("DeploymentId", d.deployment_id),
        ("State", safe_text(state + ("  ★ serving" if serving else ""),
                            STATE_STYLES.get(state, "green" if serving else ""))),
    ]
    if d.result_code:  # first, so that a failure's reason is in view without scrolling
        style = "bold red" if state == "FAILED" else ""
        rows.append(("ResultCode", safe_text(d.result_code, style)))
        rows.append(("Message", safe_text(d.result_message or "-", style)))
    rows += [("Snapshot", description or "-"), ("SnapshotId", d.snapshot_id or "-"),
             ("Action", d.deployment_action or "-"), ("Created", when(d.created, True)),
             ("LastUpdated", when(d.last_updated, True))]
    return _grid(rows)


def snapshot_detail(s: Snapshot, loaded: bool) -> RenderableType:
    head = _grid([("SnapshotId", s.id), ("Description", s.description or "-"),
                  ("Created", when(s.created, True)),
                  ("LastUpdated", when(s.last_updated, True))])
    if not loaded:
        return Group(head, Text("loading sections…", style="dim"))
    sections = Table(title="Sections", title_justify="left", box=None, padding=(0, 1))
    sections.add_column("Name")
    sections.add_column("Size", justify="right")
    for section in s.sections.values():
        sections.add_row(cell(section.name), human_size(section.size))
    return Group(head, sections, Text("expand the snapshot and pick a section to see its "
                                      "Attributes · x exports · d deploys", style="dim"))


def section_detail(snapshot: Snapshot, name: str) -> RenderableType:
    section = snapshot.sections.get(name)
    if section is None:
        return Text("section not found")
    # JSON escapes C0 controls but not C1 or bidi characters: the rule still applies.
    document = visible(json.dumps(section.attributes, indent=2, ensure_ascii=False),
                       newlines=True)
    return Group(safe_text(f"{name} · {human_size(section.size)} · {snapshot.id}", "bold"),
                 Syntax(document, "json", theme="ansi_dark", background_color="default",
                        word_wrap=True))


# --- the pane --------------------------------------------------------------------------------


class StagesPane(ReadOnlyKeys, Pane):
    DEFAULT_CSS = """
    StagesPane #stages-body { height: 1fr; layout: vertical; }
    StagesPane #stages-body.wide { layout: horizontal; }
    StagesPane #stages-tree { height: 1fr; }
    StagesPane #stages-detail {
        height: 40%; max-height: 14; border-top: solid $primary; padding: 0 1;
    }
    StagesPane #stages-body.wide #stages-tree { width: 55%; height: 1fr; }
    StagesPane #stages-body.wide #stages-detail {
        width: 45%; height: 1fr; max-height: 100%; border-top: none;
        border-left: solid $primary;
    }
    StagesPane #stages-progress { display: none; height: 1; padding: 0 1; }
    StagesPane #stages-progress.shown { display: block; }
    StagesPane .status-line { height: 1; background: $boost; padding: 0 1; }
    """
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
        self.games: dict[str, Game] = {}
        self.stages: dict[tuple[str, str], Stage] = {}
        self.deployments: dict[tuple[str, str], list[StageDeployment]] = {}
        self.snapshots: dict[str, list[Snapshot]] = {}
        self.snapshot_details: dict[tuple[str, str], Snapshot] = {}
        self.loaded: set[str] = set()  # keys of nodes whose children came from the service
        self.watches: dict[tuple[str, str], Watch] = {}
        self.starting: set[tuple[str, str]] = set()
        # One ClientToken per confirmed intent (game, stage, snapshot): kept while the outcome
        # of a StartStageDeployment is unknown, so that a retry can never start a second one.
        self.intents: dict[tuple[str, str, str], str] = {}
        self.pending = 0
        self.updated_at: float | None = None
        self.error: str | None = None
        self.export_note = ""
        self.poll_initial, self.poll_max = 1.0, 10.0
        self.refresh_seconds = REFRESH_SECONDS  # the config's refresh interval replaces it
        self.last_refresh = 0.0

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
        self._fetch("games", self._load_games)

    def on_resize(self) -> None:
        self.query_one("#stages-body").set_class(self.size.width >= self.WIDE, "wide")

    @property
    def tree(self) -> Tree[Ref]:
        return self.query_one("#stages-tree", Tree)

    # --- loading -----------------------------------------------------------------------------

    def _fetch(self, what: str, call: Callable[[Any], Message | None]) -> None:
        self.pending += 1
        self.show_status()
        self._run_fetch(what, call)

    @work(thread=True, group="stages-load", exit_on_error=False, description="GameSparks read")
    def _run_fetch(self, what: str, call: Callable[[Any], Message | None]) -> None:
        try:
            message = call(self.app.aws)  # type: ignore[attr-defined]
        except Exception as err:
            self.post_message(LoadFailed(what, self.app.aws.explain(err)))
            return
        self.post_message(message or LoadFailed(what, ""))

    def _done(self) -> None:
        self.pending = max(0, self.pending - 1)

    @staticmethod
    def _load_games(aws: Any) -> Message:
        return GamesLoaded(gamesparks.list_games(aws))

    def _load_stages(self, game: str) -> None:
        self._fetch(f"stages of {game}",
                    lambda aws: StagesLoaded(game, gamesparks.list_stages(aws, game)))

    def _load_history(self, game: str, stage: str) -> None:
        def call(aws: Any) -> Message:
            deployments = gamesparks.list_stage_deployments(aws, game, stage)
            return HistoryLoaded(game, stage, deployments, gamesparks.list_snapshots(aws, game))

        self._fetch(f"history of {game}/{stage}", call)

    def _load_snapshot(self, game: str, snapshot_id: str) -> None:
        key = Ref(SNAPSHOT, game, ident=snapshot_id).key
        self._fetch(f"snapshot {snapshot_id}", lambda aws: DetailLoaded(
            key, gamesparks.get_snapshot(aws, game, snapshot_id)))

    def on_load_failed(self, message: LoadFailed) -> None:
        self._done()
        if message.text:
            self.error = f"{message.what}: {message.text}"
            self.notify(message.text, title=f"AWS error ({message.what})", severity="error")
        self.show_status()

    def _loaded_ok(self) -> None:
        self._done()
        if not self.pending:
            self.error = None
            self.updated_at = time.monotonic()
        self.show_status()

    def on_games_loaded(self, message: GamesLoaded) -> None:
        self.games.update({g.name: g for g in message.games})
        self._sync(self.tree.root, [(Ref(GAME, g.name), self._game_label(g), True)
                                    for g in message.games], INFO)
        if self.tree.cursor_line < 0 and self.tree.root.children:
            self.tree.move_cursor(self.tree.root.children[0])
        self._loaded_ok()

    def on_stages_loaded(self, message: StagesLoaded) -> None:
        node = self._find(Ref(GAME, message.game).key)
        for stage in message.stages:
            self.stages.setdefault((message.game, stage.name), stage)
        if node is not None:
            self.loaded.add(Ref(GAME, message.game).key)
            self._sync(node, [(Ref(STAGE, message.game, s.name), self._stage_label(s), True)
                              for s in message.stages], "no stages")
            for stage in message.stages:
                stage_node = self._find(Ref(STAGE, message.game, stage.name).key)
                if stage_node is not None and not stage_node.children:
                    stage_node.add("Deployments", Ref(DEPLOYMENTS, message.game, stage.name))
                    stage_node.add("Snapshots", Ref(SNAPSHOTS, message.game, stage.name))
        self._loaded_ok()
        self.show_detail()

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        game, stage = message.game, message.stage
        # ListStageDeployments has no Created; keep what GetStageDeployment told us.
        known = {d.deployment_id: d.created for d in self.deployments.get((game, stage), [])}
        self.deployments[game, stage] = [
            replace(d, created=known[d.deployment_id])
            if d.created is None and known.get(d.deployment_id) else d
            for d in message.deployments]
        self.snapshots[game] = message.snapshots
        self._show_history(game, stage)
        running = gamesparks.in_progress(message.deployments)
        if running is not None and (game, stage) not in self.watches:
            self._follow(running)  # started elsewhere (or before a restart): follow it too
        self._loaded_ok()
        self.show_detail()

    def _show_history(self, game: str, stage: str) -> None:
        deployments = self.deployments.get((game, stage), [])
        serving = gamesparks.serving_deployment(deployments)
        descriptions = {s.id: s.description or "" for s in self.snapshots.get(game, [])}
        branch = self._find(Ref(DEPLOYMENTS, game, stage).key)
        if branch is not None and Ref(DEPLOYMENTS, game, stage).key in self.loaded:
            branch.set_label(f"Deployments ({len(deployments)})")
            self._sync(branch, [(Ref(DEPLOYMENT, game, stage, d.deployment_id),
                                 deployment_label(d, descriptions.get(d.snapshot_id or "", ""),
                                                  d is serving), False)
                                for d in deployments], "no deployments")
        branch = self._find(Ref(SNAPSHOTS, game, stage).key)
        if branch is not None and Ref(SNAPSHOTS, game, stage).key in self.loaded:
            snapshots = self.snapshots.get(game, [])
            branch.set_label(f"Snapshots ({len(snapshots)})")
            serving_id = serving.snapshot_id if serving else None
            self._sync(branch, [(Ref(SNAPSHOT, game, stage, s.id), snapshot_label(
                s, s.id == serving_id), True) for s in snapshots], "no snapshots")
        stage_node = self._find(Ref(STAGE, game, stage).key)
        if stage_node is not None and (game, stage) in self.stages:
            stage_node.set_label(self._stage_label(self.stages[game, stage]))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        value = message.value
        if isinstance(value, Game):
            self.games[value.name] = value
        elif isinstance(value, Stage):
            self.stages[value.game_name, value.name] = value
        elif isinstance(value, Snapshot):
            self.snapshot_details[value.game_name, value.id] = value
            self._show_sections(value)
        elif isinstance(value, StageDeployment):
            self._merge_deployment(value)
        self._loaded_ok()
        self.show_detail()

    def _show_sections(self, snapshot: Snapshot) -> None:
        for node in self._walk():
            ref = node.data
            if ref and ref.kind == SNAPSHOT and ref.ident == snapshot.id and \
                    ref.key in self.loaded:
                self._sync(node, [(Ref(SECTION, ref.game, ref.stage, name, snapshot.id),
                                   Text.assemble(visible(name),
                                                 (f"  {human_size(s.size)}", "dim")),
                                   False) for name, s in snapshot.sections.items()],
                           "no sections")

    # --- the tree ----------------------------------------------------------------------------

    def _game_label(self, game: Game) -> Text:
        return Text.assemble((visible(game.name), "bold"),
                             (visible(f"  {game.description or ''}"), "dim"))

    def _stage_label(self, stage: Stage) -> Text:
        text = Text.assemble((visible(stage.name), "bold"),
                             (visible(f"  {stage.description or ''}"), "dim"))
        watch = self.watches.get((stage.game_name, stage.name))
        if watch is not None:
            state = watch.deployment.deployment_state or "?"
            text.append(visible(f"  ⟳ deploying: {state}"), style="bold yellow")
        return text

    def _walk(self, node: TreeNode[Ref] | None = None) -> list[TreeNode[Ref]]:
        found: list[TreeNode[Ref]] = []
        stack = list((node or self.tree.root).children)
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(current.children)
        return found

    def _find(self, key: str) -> TreeNode[Ref] | None:
        return next((n for n in self._walk() if n.data is not None and n.data.key == key), None)

    def _sync(self, parent: TreeNode[Ref], items: list[tuple[Ref, Text, bool]],
              empty: str) -> None:
        """Make ``parent``'s children match ``items`` by key, in place: kept nodes keep their
        expansion and the cursor stays on its node."""
        if not items:
            items = [(Ref(INFO, ident=f"{parent.data.key if parent.data else ''}:empty"),
                      Text(f"({empty})", style="dim"), False)]
        tree = self.tree
        cursor = tree.cursor_node
        wanted = {ref.key for ref, _, _ in items}
        for child in list(parent.children):
            if child.data is None or child.data.key not in wanted:
                if cursor is not None and self._within(cursor, child):
                    cursor = parent
                child.remove()
        existing = {child.data.key: child for child in parent.children if child.data}
        previous: TreeNode[Ref] | None = None
        for ref, raw_label, expandable in items:
            label = cell(raw_label)  # every tree label under the trust rule, whoever built it
            node = existing.get(ref.key)
            if node is None:
                if previous is None and parent.children:
                    node = parent.add(label, ref, before=0, allow_expand=expandable)
                elif previous is None:
                    node = parent.add(label, ref, allow_expand=expandable)
                else:
                    node = parent.add(label, ref, after=previous, allow_expand=expandable)
            else:
                node.set_label(label)
                node.data = ref
            previous = node
        if cursor is not None and cursor is not tree.cursor_node and cursor is not tree.root:
            tree.move_cursor(cursor)

    @staticmethod
    def _within(node: TreeNode[Ref], ancestor: TreeNode[Ref]) -> bool:
        current: TreeNode[Ref] | None = node
        while current is not None:
            if current is ancestor:
                return True
            current = current.parent
        return False

    @on(Tree.NodeExpanded, "#stages-tree")
    def expanded(self, event: Tree.NodeExpanded[Ref]) -> None:
        ref = event.node.data
        if ref is None or ref.key in self.loaded:
            return
        if ref.kind in (GAME, DEPLOYMENTS, SNAPSHOTS, SNAPSHOT) and not event.node.children:
            event.node.add_leaf(Text("loading…", style="dim"),
                                Ref(INFO, ident=f"{ref.key}:loading"))
        self._load_children(ref)

    def _load_children(self, ref: Ref) -> None:
        if ref.kind == GAME:
            # Marked before loading, as the other branches are, so `r` retries a failed load.
            self.loaded.add(ref.key)
            self._load_stages(ref.game)
        elif ref.kind in (DEPLOYMENTS, SNAPSHOTS):
            self.loaded.add(ref.key)
            self._load_history(ref.game, ref.stage)
        elif ref.kind == SNAPSHOT:
            self.loaded.add(ref.key)
            cached = self.snapshot_details.get((ref.game, ref.ident))
            if cached is not None:
                self._show_sections(cached)
            else:
                self._load_snapshot(ref.game, ref.ident)

    @on(Tree.NodeHighlighted, "#stages-tree")
    def highlighted(self, event: Tree.NodeHighlighted[Ref]) -> None:
        ref = event.node.data
        if ref is None:
            return
        # Fetch what the list calls do not give (ARNs, roles, sections, Created).
        if ref.kind == GAME and self.games.get(ref.game, Game("")).arn is None:
            self._fetch(f"game {ref.game}", lambda aws: DetailLoaded(
                ref.key, gamesparks.get_game(aws, ref.game)))
        elif ref.kind == STAGE and (ref.game, ref.stage) in self.stages and \
                self.stages[ref.game, ref.stage].arn is None:
            self._fetch(f"stage {ref.stage}", lambda aws: DetailLoaded(
                ref.key, gamesparks.get_stage(aws, ref.game, ref.stage)))
        elif ref.kind == SNAPSHOT and (ref.game, ref.ident) not in self.snapshot_details:
            self._load_snapshot(ref.game, ref.ident)
        elif ref.kind == DEPLOYMENT:
            found = self._deployment(ref)
            if found is not None and found.created is None:
                self._fetch("deployment", lambda aws: DetailLoaded(
                    ref.key, gamesparks.get_stage_deployment(aws, ref.game, ref.stage,
                                                             ref.ident)))
        self.show_detail()

    def cursor_ref(self) -> Ref | None:
        node = self.tree.cursor_node
        return node.data if node is not None else None

    def _deployment(self, ref: Ref) -> StageDeployment | None:
        return next((d for d in self.deployments.get((ref.game, ref.stage), [])
                     if d.deployment_id == ref.ident), None)

    def _description(self, game: str, snapshot_id: str | None) -> str:
        return next((s.description or "" for s in self.snapshots.get(game, [])
                     if s.id == snapshot_id), "")

    def show_detail(self) -> None:
        if not self.is_mounted:
            return
        ref = self.cursor_ref()
        self.query_one("#stages-detail-text", Static).update(self._detail(ref))

    def _detail(self, ref: Ref | None) -> RenderableType:
        if ref is None:
            return Text("")
        deployments = self.deployments.get((ref.game, ref.stage), [])
        serving = gamesparks.serving_deployment(deployments)
        if ref.kind == GAME and ref.game in self.games:
            return game_detail(self.games[ref.game])
        if ref.kind == STAGE and (ref.game, ref.stage) in self.stages:
            watch = self.watches.get((ref.game, ref.stage))
            return stage_detail(self.stages[ref.game, ref.stage],
                                serving if (ref.game, ref.stage) in self.deployments else None,
                                watch.deployment if watch else None)
        if ref.kind == DEPLOYMENTS:
            failed = sum(1 for d in deployments if d.deployment_state == "FAILED")
            text = (f"{len(deployments)} deployments, {failed} failed; serving "
                    f"{serving.snapshot_id if serving else 'nothing'}" if deployments
                    else "expand to load the deployment history")
            return safe_text(text + "\nR rolls the stage back to an earlier good deployment",
                             newlines=True)
        if ref.kind == SNAPSHOTS:
            return Text("the game's snapshots, newest first; ★ marks the one this stage "
                        "serves\nd deploys · x exports · n creates a snapshot")
        if ref.kind == DEPLOYMENT:
            found = self._deployment(ref)
            if found is not None:
                return deployment_detail(found, self._description(ref.game, found.snapshot_id),
                                         found is serving)
        if ref.kind == SNAPSHOT:
            detail = self.snapshot_details.get((ref.game, ref.ident))
            summary = next((s for s in self.snapshots.get(ref.game, []) if s.id == ref.ident),
                           None)
            if detail is not None:
                return snapshot_detail(detail, True)
            if summary is not None:
                return snapshot_detail(summary, False)
        if ref.kind == SECTION:
            detail = self.snapshot_details.get((ref.game, ref.snapshot))
            if detail is not None:
                return section_detail(detail, ref.ident)
        return Text("")

    def show_status(self) -> None:
        if not self.is_mounted:
            return
        parts = [f"{len(self.games)} games"]
        for (game, stage), watch in self.watches.items():
            seconds = int(time.monotonic() - watch.since)
            parts.append(f"⟳ {game}/{stage}: {watch.deployment.deployment_state} ({seconds}s)")
        if self.export_note:
            parts.append(self.export_note)
        if self.pending:
            parts.append("⟳ loading")
        if self.updated_at is not None:
            parts.append(f"updated {int(time.monotonic() - self.updated_at)}s ago")
        if self.error:
            parts.append(f"⚠ STALE: {self.error}")
        # One fixed line (.status-line): new text never changes the layout, so skip it.
        self.query_one("#stages-status", Static).update(" · ".join(parts), layout=False)

    # --- refresh -----------------------------------------------------------------------------

    def export_table(self) -> ExportTable:
        from tui.ui.commands import _stage_rows

        return _stage_rows(self)  # type: ignore[no-any-return]

    def refresh_data(self) -> None:
        """Reload what is shown: games, and every list the user has expanded."""
        self.last_refresh = time.monotonic()
        self._fetch("games", self._load_games)
        stages_done: set[tuple[str, str]] = set()
        for key in sorted(self.loaded):
            node = self._find(key)
            ref = node.data if node is not None else None
            if ref is None:
                self.loaded.discard(key)
                continue
            if ref.kind == GAME:
                self._load_stages(ref.game)
            elif ref.kind in (DEPLOYMENTS, SNAPSHOTS) and (ref.game, ref.stage) not in \
                    stages_done:
                stages_done.add((ref.game, ref.stage))
                self._load_history(ref.game, ref.stage)
        ref = self.cursor_ref()
        if ref is not None and ref.kind in (GAME, STAGE):
            getter: Callable[[Any], Any] = (
                (lambda aws: gamesparks.get_game(aws, ref.game)) if ref.kind == GAME else
                (lambda aws: gamesparks.get_stage(aws, ref.game, ref.stage)))
            self._fetch(ref.kind, lambda aws: DetailLoaded(ref.key, getter(aws)))

    # --- deploy and roll back ----------------------------------------------------------------

    def _stage_of_cursor(self, verb: str) -> tuple[str, str] | None:
        ref = self.cursor_ref()
        if ref is None or not ref.stage:
            self.notify(f"Put the cursor on a stage (or anything under it) to {verb}.",
                        severity="warning")
            return None
        if (ref.game, ref.stage) in self.watches or (ref.game, ref.stage) in self.starting:
            self.notify(f"A deployment is already running on {ref.game}/{ref.stage}; wait "
                        "until it ends.", severity="warning")
            return None
        return ref.game, ref.stage

    def action_rollback(self) -> None:
        where = self._stage_of_cursor("roll it back")
        if where is not None:
            self._prepare("rollback", *where)

    def action_deploy(self) -> None:
        ref = self.cursor_ref()
        where = self._stage_of_cursor("deploy a snapshot to it")
        if where is None or ref is None:
            return
        snapshot_id = ref.ident if ref.kind == SNAPSHOT else (
            ref.snapshot if ref.kind == SECTION else "")
        if snapshot_id:
            self._plan("deploy", *where, snapshot_id)
        else:
            self._prepare("deploy", *where)

    def _prepare(self, mode: str, game: str, stage: str) -> None:
        def call(aws: Any) -> Message:
            return DeployOptions(mode, game, stage,
                                 gamesparks.list_stage_deployments(aws, game, stage),
                                 gamesparks.list_snapshots(aws, game))

        self._fetch(f"{mode} options", call)

    def on_deploy_options(self, message: DeployOptions) -> None:
        from tui.ui.screens.stage_pick import StagePickModal

        self._loaded_ok()
        game, stage = message.game, message.stage
        descriptions = {s.id: s.description or "" for s in message.snapshots}
        serving = gamesparks.serving_deployment(message.deployments)
        current = "nothing is serving now"
        if serving is not None:
            current = (f"now serving {serving.snapshot_id} "
                       f"({descriptions.get(serving.snapshot_id or '', '')})")
        if message.mode == "rollback":
            candidates = gamesparks.rollback_candidates(message.deployments)
            if not candidates:
                self.notify(f"{game}/{stage} has no earlier COMPLETED deployment of another "
                            "snapshot to go back to.", severity="warning")
                return
            options = [(d.snapshot_id or "", f"{when(d.last_updated, True)}  "
                        f"{descriptions.get(d.snapshot_id or '', '')}  {d.snapshot_id}")
                       for d in candidates]
            title = f"Roll back {game}/{stage} to an earlier good deployment"
        else:
            serving_id = serving.snapshot_id if serving else None
            options = [(s.id, f"{when(s.created, True)}  {s.description or ''}  {s.id}"
                        f"{'  (serving)' if s.id == serving_id else ''}")
                       for s in message.snapshots]
            title = f"Deploy a snapshot of {game} to stage {stage}"

        def picked(snapshot_id: str | None) -> None:
            if snapshot_id:
                self._plan(message.mode, game, stage, snapshot_id)

        self.app.push_screen(StagePickModal(title, current, options), picked)

    def _plan(self, mode: str, game: str, stage: str, snapshot_id: str) -> None:
        from tui.services.snapshot_diff import diff_snapshots
        from tui.ui.screens.stage_deploy import DeployPlan

        def call(aws: Any) -> Message:
            deployments = gamesparks.list_stage_deployments(aws, game, stage)
            serving = gamesparks.serving_deployment(deployments)
            target = gamesparks.get_snapshot(aws, game, snapshot_id)
            current = (gamesparks.get_snapshot(aws, game, serving.snapshot_id)
                       if serving is not None and serving.snapshot_id else None)
            return PlanReady(DeployPlan(
                mode, game, stage, snapshot_id, target.description or "",
                current.id if current else None,
                (current.description or "") if current else "",
                diff_snapshots(current, target)))

        self._fetch("diff", call)

    def on_plan_ready(self, message: PlanReady) -> None:
        from tui.ui.screens.stage_deploy import StageDeployModal

        self._loaded_ok()
        plan = message.plan
        intent = (plan.game, plan.stage, plan.snapshot_id)
        # The token the request will carry: a pending one (outcome unknown) is reused.
        token = self.intents.get(intent) or gamesparks.new_client_token()
        cli = gamesparks.cli_start_stage_deployment(plan.game, plan.stage, plan.snapshot_id,
                                                    token)
        read_only = is_read_only(self)

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(plan, token)

        self.app.push_screen(StageDeployModal(plan, cli, read_only), answered)

    def start(self, plan: Any, token: str) -> None:
        """StartStageDeployment for a confirmed plan, at most once per stage at a time."""
        where = (plan.game, plan.stage)
        if where in self.starting or where in self.watches:
            self.notify(f"A deployment to {plan.game}/{plan.stage} is already under way.",
                        severity="warning")
            return
        token = self.intents.setdefault((plan.game, plan.stage, plan.snapshot_id), token)
        self.starting.add(where)
        self.show_status()
        self._start_deployment(plan, token)

    @work(thread=True, group="stages-deploy", exit_on_error=False,
          description="StartStageDeployment")
    def _start_deployment(self, plan: Any, token: str) -> None:
        from botocore.exceptions import ClientError

        from tui.aws.guard import ReadOnlyViolation

        try:
            deployment = gamesparks.start_stage_deployment(
                self.app.aws, plan.game, plan.stage, plan.snapshot_id,  # type: ignore[attr-defined]
                token)
        except ReadOnlyViolation as err:
            self.post_message(StartFailed(plan, f"refused: {err}", keep_token=False))
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            text = self.app.aws.explain(err)
            if code == "ConflictException":
                text += " — wait for the running deployment to end (it is followed in the tree)"
            # A 5xx may have started it: keep the token so that a retry cannot start another.
            self.post_message(StartFailed(plan, text, keep_token=status >= 500,
                                          conflict=code == "ConflictException"))
        except Exception as err:  # network: the request may or may not have arrived
            self.post_message(StartFailed(plan, self.app.aws.explain(err), keep_token=True))
        else:
            self.post_message(DeploymentStarted(plan, deployment))

    def on_deployment_started(self, message: DeploymentStarted) -> None:
        plan, deployment = message.plan, message.deployment
        self.intents.pop((plan.game, plan.stage, plan.snapshot_id), None)
        self.starting.discard((plan.game, plan.stage))
        self.notify(f"{plan.game}/{plan.stage}: deploying {plan.snapshot_id} "
                    f"({plan.snapshot_description}) — {deployment.deployment_state}",
                    title="Deployment started")
        self._follow(deployment)

    def on_start_failed(self, message: StartFailed) -> None:
        plan = message.plan
        self.starting.discard((plan.game, plan.stage))
        text = message.text
        if message.keep_token:
            if "ClientToken" not in text:  # an OutcomeUnknown's wording already says it
                text += (" — the outcome is unknown: confirm the same deployment again to "
                         "retry it with the same ClientToken (it cannot start twice)")
        else:
            self.intents.pop((plan.game, plan.stage, plan.snapshot_id), None)
        refused = text.startswith("refused:")
        self.notify(text, title="Deployment refused" if refused else "Deployment not started",
                    severity="warning" if refused else "error", timeout=10)
        if message.conflict:
            self._load_history(plan.game, plan.stage)
        self.show_status()

    def _follow(self, deployment: StageDeployment) -> None:
        where = (deployment.game_name, deployment.stage_name)
        self.watches[where] = Watch(deployment)
        self._merge_deployment(deployment)
        self._watch(deployment.game_name, deployment.stage_name, deployment.deployment_id)
        self.show_status()

    @work(thread=True, group="stages-watch", exit_on_error=False,
          description="GetStageDeployment (following a deployment)")
    def _watch(self, game: str, stage: str, deployment_id: str) -> None:
        from tui.services.deploy_watch import Backoff, WatchCancelled, watch_deployment

        worker = get_current_worker()
        try:
            final = watch_deployment(
                self.app.aws, game, stage, deployment_id,  # type: ignore[attr-defined]
                lambda d: self.post_message(DeploymentProgress(d, final=False)),
                backoff=Backoff(self.poll_initial, 1.5, self.poll_max),
                cancelled=lambda: worker.is_cancelled)
        except WatchCancelled:
            return
        except Exception as err:
            text = self.app.aws.explain(err)
            self.post_message(ActionResult(f"{game}/{stage}", "stopped following deployment "
                                           f"{deployment_id}: {text}", "error"))
            self.app.call_from_thread(self.watches.pop, (game, stage), None)
            return
        self.post_message(DeploymentProgress(final, final=True))

    def on_deployment_progress(self, message: DeploymentProgress) -> None:
        d = message.deployment
        where = (d.game_name, d.stage_name)
        if message.final:
            self.watches.pop(where, None)
            description = self._description(d.game_name, d.snapshot_id)
            if d.deployment_state == "COMPLETED":
                self.notify(f"{d.game_name}/{d.stage_name} now serves {d.snapshot_id} "
                            f"({description})", title="Deployment COMPLETED", timeout=10)
            else:
                self.notify(f"{d.game_name}/{d.stage_name}: {d.result_code}: "
                            f"{d.result_message}", title=f"Deployment {d.deployment_state}",
                            severity="error", timeout=15)
        elif where in self.watches:
            self.watches[where].deployment = d
        self._merge_deployment(d)
        if message.final:
            self._load_history(d.game_name, d.stage_name)
        self.show_status()
        self.show_detail()

    def _merge_deployment(self, d: StageDeployment) -> None:
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
        self._show_history(*where)

    # --- snapshots: export and create --------------------------------------------------------

    def action_export(self) -> None:
        ref = self.cursor_ref()
        snapshot_id = ""
        if ref is not None and ref.kind == SNAPSHOT:
            snapshot_id = ref.ident
        elif ref is not None and ref.kind == SECTION:
            snapshot_id = ref.snapshot
        elif ref is not None and ref.kind == DEPLOYMENT:
            found = self._deployment(ref)
            snapshot_id = found.snapshot_id or "" if found else ""
        if ref is None or not snapshot_id:
            self.notify("Put the cursor on a snapshot (or a deployment) to export it.",
                        severity="warning")
            return
        bar = self.query_one("#stages-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("shown")
        self.export_note = f"⬇ exporting {snapshot_id}"
        self.show_status()
        self._export(ref.game, snapshot_id)

    @work(thread=True, exclusive=True, group="stages-export", exit_on_error=False,
          description="ExportSnapshot + download")
    def _export(self, game: str, snapshot_id: str) -> None:
        from tui import locations
        from tui.services.downloads import destination_in

        worker = get_current_worker()
        try:
            # The game name is service text: one safe file name inside the downloads folder
            # (a game named ../../../tmp/x wrote outside it).
            target = destination_in(locations.downloads_dir(),
                                    gamesparks.export_file_name(game, snapshot_id),
                                    fallback="snapshot.json")
        except (OSError, ValueError) as err:  # an unusable folder, a name that would leave it
            self.post_message(ActionResult("Export failed", f"nothing was written: {err}",
                                           "error"))
            return
        try:
            path = gamesparks.download_snapshot(
                self.app.aws, game, snapshot_id, target,  # type: ignore[attr-defined]
                lambda done, total: self.post_message(ExportProgress(done, total)),
                lambda: worker.is_cancelled)
        except Exception as err:
            self.post_message(ActionResult("Export failed", self.app.aws.explain(err), "error"))
            return
        self.post_message(ActionResult("Snapshot exported", f"saved {path}"))

    def on_export_progress(self, message: ExportProgress) -> None:
        self.query_one("#stages-progress", ProgressBar).update(total=message.total,
                                                               progress=message.done)
        total = f"/{human_size(message.total)}" if message.total else ""
        self.export_note = f"⬇ {human_size(message.done)}{total}"
        self.show_status()

    def on_action_result(self, message: ActionResult) -> None:
        if message.title in ("Snapshot exported", "Export failed"):
            self.export_note = ""
            self.query_one("#stages-progress", ProgressBar).remove_class("shown")
        self.notify(message.text, title=message.title, severity=message.severity,  # type: ignore[arg-type]
                    timeout=10)
        if message.reload_game:
            for (game, stage) in list(self.deployments):
                if game == message.reload_game:
                    self._load_history(game, stage)
        self.show_status()

    def action_new_snapshot(self) -> None:
        from tui.ui.screens.snapshot_create import SnapshotCreateModal

        ref = self.cursor_ref()
        if ref is None or not ref.game:
            self.notify("Put the cursor on a game (or anything under it).", severity="warning")
            return
        game = ref.game

        def answered(description: str | None) -> None:
            if description is not None:
                self._create_snapshot(game, description)

        self.app.push_screen(SnapshotCreateModal(game), answered)

    @work(thread=True, group="stages-snapshot", exit_on_error=False,
          description="CreateSnapshot")
    def _create_snapshot(self, game: str, description: str) -> None:
        from tui.aws.guard import ReadOnlyViolation

        aws = self.app.aws  # type: ignore[attr-defined]
        try:
            # A lost answer is read back, never sent again (that made a second snapshot).
            result = gamesparks.create_snapshot_outcome(aws, game, description)
        except Exception as err:  # a failure before the call (bad input)
            self.post_message(ActionResult("Snapshot not created", aws.explain(err), "error"))
            return
        if isinstance(result.error, ReadOnlyViolation):
            self.post_message(ActionResult("Snapshot refused", f"refused: {result.error}",
                                           "warning"))
            return
        if result.state == "unknown":
            self.post_message(ActionResult("Snapshot outcome unknown",
                                           result.describe(aws.explain), "warning",
                                           reload_game=game))
            return
        if result.state == "not applied":
            self.post_message(ActionResult("Snapshot not created",
                                           result.describe(aws.explain), "error"))
            return
        snapshot = result.value
        assert snapshot is not None
        text = f"{game}: {snapshot.id} ({snapshot.description or 'no description'})"
        if result.answer_lost:
            text += f" — {result.detail}"
        self.post_message(ActionResult("Snapshot created", text, reload_game=game))

    # --- players -----------------------------------------------------------------------------

    def action_players(self) -> None:
        from tui.ui.screens.player_connections import PlayerScreen

        ref = self.cursor_ref()
        if ref is None or not ref.stage:
            self.notify("Put the cursor on a stage to look up its players.", severity="warning")
            return
        self.app.push_screen(PlayerScreen(ref.game, ref.stage))
