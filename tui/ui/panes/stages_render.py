"""What the Stages pane draws, from what its model holds: tree labels, the children of a branch
(merged into the tree by key), and the detail panel. Every service text goes through the trust
rule (``visible``, ``cell``, ``safe_text``)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

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
    Ref,
    StagesModel,
    Watch,
    when,
)
from tui.services.snapshot_diff import human_size
from tui.ui.widgets.plain import cell, safe_text, visible

__all__ = ["deployment_detail", "deployment_label", "detail", "find", "game_detail",
           "game_label", "section_detail", "section_label", "snapshot_detail", "snapshot_label",
           "stage_detail", "stage_label", "sync", "walk", "when"]

Item = tuple[Ref, Text, bool]  # a child node: what it stands for, its label, expandable

STATE_MARKS = {"COMPLETED": "✓", "FAILED": "✗", "PENDING": "…", "IN_PROGRESS": "⟳"}
STATE_STYLES = {"FAILED": "bold red", "PENDING": "yellow", "IN_PROGRESS": "bold yellow"}


# --- tree labels ------------------------------------------------------------------------------


def game_label(game: Game) -> Text:
    return Text.assemble((visible(game.name), "bold"),
                         (visible(f"  {game.description or ''}"), "dim"))


def stage_label(stage: Stage, watch: Watch | None) -> Text:
    text = Text.assemble((visible(stage.name), "bold"),
                         (visible(f"  {stage.description or ''}"), "dim"))
    if watch is not None:
        state = watch.deployment.deployment_state or "?"
        text.append(visible(f"  ⟳ deploying: {state}"), style="bold yellow")
    return text


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


def section_label(name: str, size: int | None) -> Text:
    return Text.assemble(visible(name), (f"  {human_size(size)}", "dim"))


def deployment_items(model: StagesModel, game: str, stage: str) -> list[Item]:
    serving = model.serving(game, stage)
    descriptions = model.descriptions(game)
    return [(Ref(DEPLOYMENT, game, stage, d.deployment_id),
             deployment_label(d, descriptions.get(d.snapshot_id or "", ""), d is serving), False)
            for d in model.deployments.get((game, stage), [])]


def snapshot_items(model: StagesModel, game: str, stage: str) -> list[Item]:
    serving = model.serving(game, stage)
    serving_id = serving.snapshot_id if serving else None
    return [(Ref(SNAPSHOT, game, stage, s.id), snapshot_label(s, s.id == serving_id), True)
            for s in model.snapshots.get(game, [])]


def section_items(ref: Ref, snapshot: Snapshot) -> list[Item]:
    return [(Ref(SECTION, ref.game, ref.stage, name, snapshot.id),
             section_label(name, s.size), False) for name, s in snapshot.sections.items()]


# --- the tree, merged by key ----------------------------------------------------------------


def walk(tree: Tree[Ref], node: TreeNode[Ref] | None = None) -> list[TreeNode[Ref]]:
    found: list[TreeNode[Ref]] = []
    stack = list((node or tree.root).children)
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found


def find(tree: Tree[Ref], key: str) -> TreeNode[Ref] | None:
    return next((n for n in walk(tree) if n.data is not None and n.data.key == key), None)


def _within(node: TreeNode[Ref], ancestor: TreeNode[Ref]) -> bool:
    current: TreeNode[Ref] | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


def sync(tree: Tree[Ref], parent: TreeNode[Ref], items: list[Item], empty: str) -> None:
    """Make ``parent``'s children match ``items`` by key, in place: kept nodes keep their
    expansion and the cursor stays on its node."""
    if not items:
        items = [(Ref(INFO, ident=f"{parent.data.key if parent.data else ''}:empty"),
                  Text(f"({empty})", style="dim"), False)]
    cursor = tree.cursor_node
    wanted = {ref.key for ref, _, _ in items}
    for child in list(parent.children):
        if child.data is None or child.data.key not in wanted:
            if cursor is not None and _within(cursor, child):
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


# --- the detail panel -------------------------------------------------------------------------


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


def detail(model: StagesModel, ref: Ref | None) -> RenderableType:
    """The detail panel for the node under the cursor."""
    if ref is None:
        return Text("")
    deployments = model.deployments.get((ref.game, ref.stage), [])
    serving = model.serving(ref.game, ref.stage)
    if ref.kind == GAME and ref.game in model.games:
        return game_detail(model.games[ref.game])
    if ref.kind == STAGE and (ref.game, ref.stage) in model.stages:
        watch = model.watches.get((ref.game, ref.stage))
        return stage_detail(model.stages[ref.game, ref.stage],
                            serving if (ref.game, ref.stage) in model.deployments else None,
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
        found = model.deployment(ref)
        if found is not None:
            return deployment_detail(found, model.description(ref.game, found.snapshot_id),
                                     found is serving)
    if ref.kind == SNAPSHOT:
        held = model.snapshot_details.get((ref.game, ref.ident))
        if held is not None:
            return snapshot_detail(held, True)
        summary = model.snapshot_summary(ref.game, ref.ident)
        if summary is not None:
            return snapshot_detail(summary, False)
    if ref.kind == SECTION:
        held = model.snapshot_details.get((ref.game, ref.snapshot))
        if held is not None:
            return section_detail(held, ref.ident)
    return Text("")
