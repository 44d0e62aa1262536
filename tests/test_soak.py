"""Soak under faults: the real app, driven by the pilot, while the simulator throttles 20% of
the calls, answers 5% with a 5xx, drops 2% of the connections and adds latency spikes.

A seeded random mix of actions — protect, lock, edit (UpdateGameSession), terminate, stage
rollback, script update — with refreshes of every pane in between. Afterwards:

- the app never crashed or froze: every key press was answered within FREEZE_SECONDS and the
  app is still running;
- every confirmed action ended in a reported success or failure (a notification);
- the audit log and the simulator's own record of mutations agree exactly: each audit line with
  outcome "ok" is one mutation the simulator applied, each error line is none (compared by
  operation, target and parameters; StartStageDeployment by its ClientToken, since a retried
  token is the same deployment);
- once the faults stop, the panes converge to the simulator's true state: Sessions and Scripts
  by themselves within two refresh intervals, Search and Stages (which do not poll) after `r`.

`GAMEOPS_SOAK_SECONDS=600 pytest tests/test_soak.py -k long` runs the long version.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from apptest import wait_for
from simctl import World
from textual.widgets import DataTable, Input

from tui import locations
from tui.aws.session import AwsContext, Target
from tui.models.scripts import GROUP_PREFIX
from tui.services.filter_builder import SearchSpec
from tui.ui import app as app_module
from tui.ui.app import GameOpsApp
from tui.ui.panes.scripts import ScriptsPane
from tui.ui.panes.search import SearchPane
from tui.ui.panes.sessions import SessionsPane
from tui.ui.panes.stages import DEPLOYMENTS, GAME, STAGE, Ref, StagesPane
from tui.ui.screens.base import REPEAT_SECONDS
from tui.ui.widgets.session_grid import SessionGrid

FAULTS = {"throttle_rate": 0.20, "error_rate": 0.05, "drop_rate": 0.02,
          "latency_spike_rate": 0.05, "latency_spike_ms": 400}
NO_FAULTS = {k: 0 for k in FAULTS}
FREEZE_SECONDS = 5.0  # a key press not answered in this long counts as a frozen app
OUTCOME_SECONDS = 90.0  # an action's outcome must be reported within this
REFRESH_SECONDS = 3.0  # the panes' polling interval in this test (15 s and 30 s by default)
CI_SECONDS = 30.0
STAGES = (("space-raiders", "prod"), ("kart-league", "staging"))

# 150 sessions, seed 11; frozen: status changes happen when the test advances the clock.
pytestmark = pytest.mark.world(sessions=150, seed=11)


class RecordingApp(GameOpsApp):
    """The real app; every notification it shows is also kept, so none is missed when it
    times out of the screen."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown: list[tuple[str, str, str]] = []

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        self.shown.append((str(title), str(message), str(severity)))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


class Soak:
    def __init__(self, app: RecordingApp, pilot: Any, world: World, seed: int) -> None:
        self.app, self.pilot, self.world = app, pilot, world
        self.rng = random.Random(seed)
        self.press_times: list[float] = []
        self.confirmed: Counter[str] = Counter()
        self.outcomes: list[tuple[str, str, str]] = []  # (action, title, message)
        self.skipped: Counter[str] = Counter()  # not confirmed: the form's data did not load
        self.versions = 0
        self.step_times: list[tuple[str, float]] = []
        self.reexpanded = 0

    # --- driving ------------------------------------------------------------------------

    async def press(self, *keys: str) -> None:
        for key in keys:
            started = time.monotonic()
            await self.pilot.press(key)
            elapsed = time.monotonic() - started
            self.press_times.append(elapsed)
            assert elapsed < FREEZE_SECONDS, f"key {key!r} took {elapsed:.1f}s: app frozen"
            assert self.app.is_running

    async def until(self, condition: Callable[[], Any], seconds: float,
                    what: str | Callable[[], str] = "condition") -> Any:
        """apptest.wait_for, then the condition's value; ``what`` names it if it fails."""
        try:
            await wait_for(self.pilot, condition, seconds)
        except AssertionError:
            text = what() if callable(what) else what
            raise AssertionError(f"{text}: not reached in {seconds:.0f}s") from None
        return condition()

    def new_notes(self, since: int, titles: tuple[str, ...]) -> list[tuple[str, str, str]]:
        return [n for n in self.app.shown[since:] if n[0] in titles]

    async def outcome(self, action: str, since: int, titles: tuple[str, ...]) -> tuple[str, ...]:
        notes = await self.until(lambda: self.new_notes(since, titles), OUTCOME_SECONDS,
                                 f"reported outcome of {action}")
        title, message, _ = notes[0]
        self.outcomes.append((action, title, message))
        return notes[0]

    # --- panes --------------------------------------------------------------------------

    @property
    def sessions(self) -> SessionsPane:
        return self.app.query_one(SessionsPane)

    async def show(self, key: str) -> None:
        while self.app.screen is not self.app.screen_stack[0]:
            await self.press("escape")
        await self.press(key)

    async def session_target(self, bulk: bool) -> str | None:
        """Put the cursor on an ACTIVE session; for a bulk action, mark 1-3 with space."""
        await self.show("1")
        pane = self.sessions
        table = self.app.query_one("#session-table", SessionGrid)
        active = [k for k in (str(r.value) for r in table.rows)
                  if pane.sessions.get(k) is not None and pane.sessions[k].status == "ACTIVE"]
        if not active:
            return None
        table.focus()
        pane.marked.clear()
        chosen = self.rng.sample(active, min(len(active), self.rng.randint(1, 3)))
        if bulk:
            for key in chosen:
                table.move_cursor(row=table.get_row_index(key))
                await self.pilot.pause()
                await self.press("space")
            assert pane.marked == set(chosen)
        table.move_cursor(row=table.get_row_index(chosen[0]))
        await self.pilot.pause()
        return chosen[0]

    async def session_action(self, action: str) -> None:
        from tui.ui.screens.confirm import ConfirmModal, TerminateModal
        from tui.ui.screens.edit_session import EditSessionModal

        target = await self.session_target(bulk=action != "update")
        if target is None:
            self.skipped[action] += 1
            return
        since = len(self.app.shown)
        if action in ("protect", "lock"):
            await self.press("p" if action == "protect" else "l")
            await self.until(lambda: isinstance(self.app.screen, ConfirmModal)
                             and self.app.screen.drawn, 5,
                             "confirm modal")
            await self.press("y")
        elif action == "update":
            await self.press("e")
            modal = await self.until(lambda: isinstance(self.app.screen, EditSessionModal)
                                     and self.app.screen, 5, "edit form")
            box = modal.query_one("#max", Input)
            current = modal.session.maximum_player_session_count
            box.value = str(self.rng.choice([n for n in range(2, 60) if n != current]))
            box.focus()
            await self.pilot.pause()
            await self.press("enter")
            # Sent only from the confirmation (old → new and the CLI), once it is drawn.
            await self.until(lambda: isinstance(self.app.screen, ConfirmModal)
                             and self.app.screen.drawn, 5, "edit confirmation")
            await self.pilot.pause(REPEAT_SECONDS)
            await self.press("y")
        elif action == "terminate":
            await self.press("t")
            await self.until(lambda: isinstance(self.app.screen, TerminateModal)
                             and self.app.screen.drawn, 5,
                             "terminate modal")
            await self.press("tab", "enter")  # Cancel has the focus; → Terminate (graceful)
        self.confirmed[action] += 1
        await self.outcome(action, since, ("Result",))

    async def script_update(self) -> None:
        from tui.ui.screens.confirm import ConfirmModal
        from tui.ui.screens.script_forms import ScriptFormModal

        await self.show("3")
        pane = self.app.query_one(ScriptsPane)
        if pane.world is None:
            await self.press("r")
            await self.until(lambda: not pane.busy, 60, "scripts loaded")
        table = self.app.query_one("#scripts-table", DataTable)
        keys = [str(k.value) for k in table.rows if not str(k.value).startswith(GROUP_PREFIX)]
        if pane.world is None or not keys:
            self.skipped["script update"] += 1
            return
        table.focus()
        table.move_cursor(row=table.get_row_index(self.rng.choice(keys)))
        await self.pilot.pause()
        await self.press("u")
        form = await self.until(lambda: isinstance(self.app.screen, ScriptFormModal)
                                and self.app.screen, 5, "script form")
        self.versions += 1
        form.query_one("#script-version", Input).value = f"soak-{self.versions}"
        form.query_one("#script-content", Input).focus()
        await self.pilot.pause()
        await self.press("enter")
        await self.until(lambda: isinstance(self.app.screen, ConfirmModal)
                             and self.app.screen.drawn, 5, "confirmation")
        await self.pilot.pause(REPEAT_SECONDS)  # else the y repeats the form's Enter
        since = len(self.app.shown)
        await self.press("y")
        self.confirmed["script update"] += 1
        await self.outcome("script update", since, ("Script",))

    async def open_stage(self, game: str, stage: str) -> StagesPane:
        await self.show("4")
        pane = self.app.query_one(StagesPane)
        for attempt in range(4):
            try:
                await self.until(lambda: pane._find(Ref(GAME, game).key), 20, "game node")
                game_node = pane._find(Ref(GAME, game).key)
                pane.stage_tree.move_cursor(game_node)
                if not game_node.is_expanded:
                    await self.press("space")
                await self.until(lambda: pane._find(Ref(STAGE, game, stage).key), 20,
                                 "stage node")
                stage_node = pane._find(Ref(STAGE, game, stage).key)
                pane.stage_tree.move_cursor(stage_node)
                if not stage_node.is_expanded:
                    await self.press("space")
                await self.pilot.pause()
                branch = pane._find(Ref(DEPLOYMENTS, game, stage).key)
                pane.stage_tree.move_cursor(branch)
                if not branch.is_expanded:
                    await self.press("space")
                await self.until(lambda: (game, stage) in pane.deployments, 20, "history")
                pane.stage_tree.move_cursor(pane._find(Ref(STAGE, game, stage).key))
                await self.pilot.pause()
                return pane
            except AssertionError:
                if attempt == 3:
                    raise
                # A load failed under the faults. `r` reloads what was loaded; a game whose
                # stages never arrived is not among them (StagesPane adds a game to `loaded`
                # only on success), so, as a user would, collapse and expand it again.
                self.reexpanded += 1
                await self.press("r")
                game_node = pane._find(Ref(GAME, game).key)
                if game_node is not None and pane._find(Ref(STAGE, game, stage).key) is None:
                    pane.stage_tree.move_cursor(game_node)
                    await self.pilot.pause()
                    if game_node.is_expanded:
                        await self.press("space")
                    await self.press("space")
        return pane

    async def rollback(self) -> None:
        from tui.ui.screens.stage_deploy import StageDeployModal
        from tui.ui.screens.stage_pick import StagePickModal

        game, stage = self.rng.choice(STAGES)
        pane = await self.open_stage(game, stage)
        await self.until(lambda: (game, stage) not in pane.watches
                         and (game, stage) not in pane.starting, OUTCOME_SECONDS,
                         "previous deployment finished")
        since = len(self.app.shown)
        await self.press("R")
        picked = await self.until(
            lambda: isinstance(self.app.screen, StagePickModal)
            or self.new_notes(since, ("AWS error (rollback options)",))
            or any("no earlier COMPLETED" in n[1] for n in self.app.shown[since:]),
            30, "rollback choices")
        if not isinstance(self.app.screen, StagePickModal):
            self.skipped["rollback"] += 1
            return
        assert picked
        since = len(self.app.shown)
        await self.press("enter")
        await self.until(lambda: isinstance(self.app.screen, StageDeployModal)
                         and self.app.screen.drawn
                         or self.new_notes(since, ("AWS error (diff)",)), 30, "diff")
        if not isinstance(self.app.screen, StageDeployModal):
            self.skipped["rollback"] += 1
            return
        await self.pilot.pause(REPEAT_SECONDS)  # else the y repeats the picker's Enter
        since = len(self.app.shown)
        await self.press("y")
        self.confirmed["rollback"] += 1
        title, _, _ = await self.outcome("rollback", since, (
            "Deployment started", "Deployment not started", "Deployment refused"))
        if title == "Deployment started":
            # Let the deployment run (the clock is frozen) and see that its end is reported.
            since_end = len(self.app.shown)
            self.world.advance(30)
            await self.until(lambda: [n for n in self.app.shown[since_end:]
                                      if n[0].startswith("Deployment ") and n[0] not in (
                                          "Deployment started",)
                                      or "stopped following" in n[1]],
                             OUTCOME_SECONDS, "deployment end reported")

    async def refresh(self, key: str) -> None:
        await self.show(key)
        await self.press("r")
        await self.pilot.pause(0.2)

    async def step(self, action: str) -> None:
        if action in ("protect", "lock", "update", "terminate"):
            await self.session_action(action)
        elif action == "rollback":
            await self.rollback()
        elif action == "script update":
            await self.script_update()
        else:
            await self.refresh(action[-1])
        advance = self.rng.choice([0, 5, 20])
        if advance:
            self.world.advance(advance)


ACTIONS = ("protect", "lock", "update", "terminate", "rollback", "script update")
REFRESHES = ("refresh 1", "refresh 2", "refresh 3", "refresh 4")


async def settle(app: GameOpsApp, pilot: Any, seconds: float = 60) -> None:
    """Wait until no worker is running (a drain or a watch would keep this waiting)."""
    deadline = time.monotonic() + seconds
    while any(w.is_running for w in app.workers):
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still running: {list(app.workers)}")
        await pilot.pause(0.1)
    await pilot.pause()


# --- the checks afterwards -------------------------------------------------------------------


def audit_lines() -> list[dict[str, Any]]:
    text = locations.audit_log().read_text()
    return [json.loads(line) for line in text.splitlines()]  # every line valid JSON


def _key(operation: str, target: str, params: dict[str, Any]) -> tuple[Any, ...]:
    if operation == "StartStageDeployment":
        return (operation, target, params.get("ClientToken"), params.get("SnapshotId"))
    if operation == "UpdateScript":
        return (operation, target, params.get("Version"), params.get("Name"))
    if operation == "CreateGameSession":
        return (operation, params.get("IdempotencyToken"))
    keep = ("MaximumPlayerSessionCount", "PlayerSessionCreationPolicy", "ProtectionPolicy",
            "Name", "TerminationMode")
    return (operation, target, tuple((k, params[k]) for k in keep if k in params))


def audit_keys(lines: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    keys: Counter[tuple[Any, ...]] = Counter()
    tokens: set[str] = set()
    for line in lines:
        if line["outcome"] != "ok":
            continue
        op, targets, params = line["operation"], line["targets"], line["params"]
        if op == "StartStageDeployment":
            if params["ClientToken"] in tokens:
                continue  # the same deployment answered again (idempotent retry)
            tokens.add(params["ClientToken"])
            target = f"{targets['GameName']}/{targets['StageName']}"
        elif op == "UpdateScript":
            target = targets["ScriptId"]
        else:
            target = targets.get("GameSessionId", "")
        keys[_key(op, target, params)] += 1
    return keys


def sim_keys(world: World) -> Counter[tuple[Any, ...]]:
    return Counter(_key(m["operation"], m["target"], m["params"]) for m in world.mutations())


def session_truth(world: World) -> dict[str, tuple[Any, ...]]:
    return {k: (s["Status"], s["CurrentPlayerSessionCount"], s["MaximumPlayerSessionCount"],
                s["PlayerSessionCreationPolicy"], s.get("ProtectionPolicy"))
            for k, s in world.sessions().items()}


def sessions_shown(pane: SessionsPane) -> dict[str, tuple[Any, ...]]:
    return {k: (s.status, s.current_player_session_count, s.maximum_player_session_count,
                s.player_session_creation_policy, s.protection_policy)
            for k, s in pane.sessions.items()}


def script_truth(world: World) -> dict[str, tuple[str, str]]:
    return {s["ScriptId"]: (s["Name"], s["Version"])
            for s in world.state()["gamelift"]["scripts"]}


def scripts_shown(pane: ScriptsPane) -> dict[str, tuple[str, str]]:
    if pane.world is None:
        return {}
    return {s.script_id: (s.name, s.version) for s in pane.world.scripts()}


def stage_truth(world: World, game: str, stage: str) -> list[tuple[str, str]]:
    state = world.state()["gamesparks"]["games"][game]["stages"][stage]
    return [(d["DeploymentId"], d["DeploymentState"]) for d in state["deployments"]]


def stage_shown(pane: StagesPane, game: str, stage: str) -> list[tuple[str, str]]:
    return [(d.deployment_id, d.deployment_state or "")
            for d in pane.deployments.get((game, stage), [])]


def search_truth(world: World, fleet_id: str) -> dict[str, int]:
    client = boto3.client("gamelift", region_name="us-west-2", endpoint_url=world.endpoint_url,
                          aws_access_key_id="AKIDSOAKCHECK", aws_secret_access_key="x")
    found: dict[str, int] = {}
    for page in client.get_paginator("search_game_sessions").paginate(FleetId=fleet_id):
        for item in page["GameSessions"]:
            found[item["GameSessionId"]] = item["CurrentPlayerSessionCount"]
    return found


async def run_soak(world: World, seconds: float, seed: int) -> dict[str, Any]:
    app = RecordingApp(AwsContext(Target(api_budget=None,
                                         region="us-west-2", endpoint_url=world.endpoint_url,
                                         demo=True)), simulator=world)
    async with app.run_test(size=(120, 36)) as pilot:
        soak = Soak(app, pilot, world, seed)
        pane = soak.sessions
        pane.refresh_seconds = pane.interval = REFRESH_SECONDS
        await settle(app, pilot)
        await soak.until(lambda: pane.fleet_rows, 30, "fleets")
        # The hidden panes are built once the fleet list has painted.
        await soak.until(lambda: app.query(StagesPane), 30, "the other panes")
        # The Scripts pane polls at the config's interval: shortened here, as for Sessions.
        app.query_one(ScriptsPane).apply_settings(
            dataclasses.replace(app.settings, refresh_seconds=REFRESH_SECONDS))
        stages = app.query_one(StagesPane)
        stages.poll_initial, stages.poll_max = 0.2, 1.0
        await soak.press("a")  # every fleet's sessions: actions and checks span all of them
        await settle(app, pilot)
        fleet_id = next(iter(pane.fleet_rows))
        await app.run_saved_search(SearchSpec(fleet_id=fleet_id))
        await settle(app, pilot)

        world.faults(**FAULTS)
        started = time.monotonic()
        order = list(ACTIONS)
        soak.rng.shuffle(order)  # each kind once, then a random mix until time is up
        retries = 0  # a kind whose form could not load under the faults is tried again
        while True:
            missing = [a for a in ACTIONS if not soak.confirmed[a]]
            if order:
                action = order.pop()
            elif time.monotonic() - started < seconds:
                action = soak.rng.choice(ACTIONS + REFRESHES)
            elif missing and retries < 8:
                action, retries = missing[0], retries + 1
            else:
                break
            step_started = time.monotonic()
            await soak.step(action)
            soak.step_times.append((action, round(time.monotonic() - step_started, 2)))
            if not order and soak.rng.random() < 0.3:
                await soak.step(soak.rng.choice(REFRESHES))
        soak_seconds = time.monotonic() - started

        # Faults stop. Everything still under way finishes; the clock moves past every
        # pending status change.
        world.faults(**NO_FAULTS)
        await soak.show("1")
        world.advance(120)
        stopped = time.monotonic()

        # Sessions: by itself (no key), within two refresh intervals (+ one refresh's time).
        truth = session_truth(world)
        await soak.until(lambda: sessions_shown(pane) == session_truth(world),
                         2 * REFRESH_SECONDS + 10, "Sessions pane converged")
        assert set(truth) == {str(k.value) for k in
                              app.query_one("#session-table", SessionGrid).rows}
        sessions_converged = time.monotonic() - stopped

        await soak.show("3")
        scripts = app.query_one(ScriptsPane)
        shown_at = time.monotonic()
        await soak.until(lambda: scripts_shown(scripts) == script_truth(world)
                         and not scripts.error, 2 * REFRESH_SECONDS + 10,
                         "Scripts pane converged")
        scripts_converged = time.monotonic() - shown_at

        # Stages and Search do not poll (a search is a one-shot query; the Stages tree reloads
        # when a followed deployment ends): `r` brings them up to date.
        await soak.show("4")
        await soak.until(lambda: not stages.watches, 30,
                         lambda: f"deployment watches ended ({stages.watches}; workers "
                         f"{[(w.group, w.state.name) for w in app.workers]}; last notes "
                         f"{app.shown[-4:]})")
        stages_current_without_r = all(stage_shown(stages, g, s) == stage_truth(world, g, s)
                                       for g, s in STAGES if (g, s) in stages.deployments)
        await soak.press("r")
        await soak.until(lambda: all(stage_shown(stages, g, s) == stage_truth(world, g, s)
                                     for g, s in STAGES if (g, s) in stages.deployments)
                         and not stages.pending and not stages.error, 20,
                         "Stages pane converged after r")

        await soak.show("2")
        await soak.press("r")
        search = app.query_one(SearchPane)
        expected = search_truth(world, fleet_id)
        await soak.until(lambda: {k: s.current_player_session_count
                                  for k, s in search.sessions.items()} == expected, 20,
                         "Search results converged after r")

        await settle(app, pilot)
        assert app.is_running
        result = {
            "soak_seconds": soak_seconds, "confirmed": soak.confirmed,
            "outcomes": soak.outcomes, "skipped": soak.skipped,
            "max_press": max(soak.press_times), "presses": len(soak.press_times),
            "sessions_converged": sessions_converged, "scripts_converged": scripts_converged,
            "stages_current_without_r": stages_current_without_r,
            "requests": world.state()["requests"], "steps": soak.step_times,
            "stage_reexpanded": soak.reexpanded,
        }

    # Every confirmed action got exactly one reported outcome.
    assert sum(result["confirmed"].values()) == len(result["outcomes"])
    assert Counter(a for a, _, _ in result["outcomes"]) == result["confirmed"]
    for kind in ACTIONS:
        assert result["confirmed"][kind] >= 1, f"{kind} never confirmed: {result['skipped']}"

    # The audit log and the simulator's record agree exactly.
    lines = audit_lines()
    assert audit_keys(lines) == sim_keys(world)
    result["audit_lines"] = len(lines)
    result["audit_errors"] = Counter(line.get("error", {}).get("code") for line in lines
                                     if line["outcome"] != "ok")
    result["mutations"] = len(world.mutations())
    return result


async def test_soak_under_faults(world: World, home: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Three attempts a call instead of the app's eight: some calls then fail for good under
    # this mix, so reported failures and audit error lines are exercised too (and botocore's
    # long backoffs do not eat the CI time). The long run keeps the app's own setting.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", os.environ.get("GAMEOPS_SOAK_MAX_ATTEMPTS", "3"))
    result = await run_soak(world, CI_SECONDS, seed=20261124)
    print("soak:", {k: v for k, v in result.items() if k != "outcomes"})


@pytest.mark.skipif(not os.environ.get("GAMEOPS_SOAK_SECONDS"),
                    reason="long soak: set GAMEOPS_SOAK_SECONDS (e.g. 600)")
@pytest.mark.timeout(int(float(os.environ.get("GAMEOPS_SOAK_SECONDS") or 0)) + 600)
async def test_soak_under_faults_long(world: World, home: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("GAMEOPS_SOAK_MAX_ATTEMPTS"):
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", os.environ["GAMEOPS_SOAK_MAX_ATTEMPTS"])
    seconds = float(os.environ["GAMEOPS_SOAK_SECONDS"])
    seed = int(os.environ.get("GAMEOPS_SOAK_SEED", "7"))
    result = await run_soak(world, seconds, seed=seed)
    print("long soak:", {k: v for k, v in result.items() if k != "outcomes"})
