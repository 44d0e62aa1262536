"""Drain first, then terminate, surviving the app: the workflow and its state file
(tui.services.drains, no Textual) on the simulator over HTTP, then the real app: a drain
started, the app quit (it asks first), a new app on the same target resumes it and terminates
the session once its players have left.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, settle, wait_for
from simctl import World

from tui import locations
from tui.services.drains import (
    FORGET_AFTER,
    Drain,
    DrainStore,
    DrainStoreError,
    DrainTarget,
    DrainWorkflow,
)

GRACEFUL = "TRIGGER_ON_PROCESS_TERMINATE"

# A private frozen world per test: these tests lock and terminate sessions.
pytestmark = pytest.mark.world(sessions=80)


def busy_sessions(world: World, fleet_id: str | None = None) -> list[str]:
    """ACTIVE sessions with players (of one fleet when given), open to new players."""
    return [sid for sid, s in world.sessions(fleet_id).items()
            if s["Status"] == "ACTIVE" and s["CurrentPlayerSessionCount"] > 0
            and s.get("PlayerSessionCreationPolicy") != "DENY_ALL"]


class FakeClock:
    """A clock that moves only when the workflow sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


# --- the store ----------------------------------------------------------------------------


def test_store_keeps_drains_per_target_in_a_0600_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "drains.json"
    store = DrainStore(path)
    prod = DrainTarget("prod", "us-west-2")
    demo = DrainTarget("prod", "us-west-2", "http://127.0.0.1:4000")
    assert store.pending(prod) == []
    store.add(prod, [Drain("gs-1", GRACEFUL, 1.0), Drain("gs-2", "FORCE_TERMINATE", 2.0)])
    store.add(demo, [Drain("gs-9", GRACEFUL, 3.0)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A new store (the next start) reads what the first wrote.
    again = DrainStore(path)
    assert [d.game_session_id for d in again.pending(prod)] == ["gs-1", "gs-2"]
    assert again.pending(prod)[1].mode == "FORCE_TERMINATE"
    assert [d.game_session_id for d in again.pending(demo)] == ["gs-9"]
    assert again.pending(DrainTarget("prod", "eu-west-1")) == []
    again.remove(prod, ["gs-1"])
    assert [d.game_session_id for d in store.pending(prod)] == ["gs-2"]
    store.add(prod, [Drain("gs-2", GRACEFUL, 5.0)])  # the same session again: one entry
    assert store.pending(prod) == [Drain("gs-2", GRACEFUL, 5.0)]
    store.remove(prod, ["gs-2"])
    data = json.loads(path.read_text())
    assert list(data["targets"]) == [demo.key]  # a target with nothing left is dropped
    assert not list(path.parent.glob(".drains.json.*"))  # no temporary file left behind


def test_store_forgets_targets_nobody_came_back_to(tmp_path: Path) -> None:
    now = [1000.0]
    store = DrainStore(tmp_path / "drains.json", clock=lambda: now[0])
    old, new = DrainTarget("demo", "us-west-2", "http://127.0.0.1:1"), DrainTarget("p", "r")
    store.add(old, [Drain("gs-old", GRACEFUL, 0.0)])
    now[0] += FORGET_AFTER + 1
    store.add(new, [Drain("gs-new", GRACEFUL, 0.0)])
    assert store.pending(old) == [] and len(store.pending(new)) == 1


def test_a_damaged_store_is_named_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "drains.json"
    path.write_text("{not json")
    store = DrainStore(path)
    with pytest.raises(DrainStoreError, match="drains.json"):
        store.pending(DrainTarget("p", "r"))
    with pytest.raises(DrainStoreError):
        store.add(DrainTarget("p", "r"), [Drain("gs-1", GRACEFUL, 0.0)])
    assert path.read_text() == "{not json"
    # Entries that make no sense are skipped, the rest kept.
    path.write_text(json.dumps({"version": 1, "targets": {"p|r|": {"drains": [
        {"GameSessionId": "gs-1", "TerminationMode": GRACEFUL}, {"GameSessionId": 3},
        {"GameSessionId": "gs-2", "TerminationMode": "EXPLODE"}, "junk"]}}}))
    assert [d.game_session_id for d in store.pending(DrainTarget("p", "r"))] == ["gs-1"]


def test_drains_path_lives_in_the_data_folder(home: Path) -> None:
    assert locations.drains_path() == home / "data" / "drains.json"


# --- the workflow on the simulator -------------------------------------------------------


def test_workflow_locks_remembers_waits_and_terminates(world: World,
                                                       tmp_path: Path, home: Path) -> None:
    ctx = world.aws()
    store = DrainStore(tmp_path / "drains.json")
    target = DrainTarget.of(ctx)
    sid = busy_sessions(world)[0]
    clock = FakeClock()
    flow = DrainWorkflow(ctx, store, target, poll_seconds=5.0, clock=clock, sleep=clock.sleep)
    flow.start([sid], GRACEFUL)
    assert world.sessions()[sid]["PlayerSessionCreationPolicy"] == "DENY_ALL"
    assert [d.game_session_id for d in store.pending(target)] == [sid]
    report = flow.poll_once()
    assert report.waiting == [sid] and report.players > 0
    assert world.mutations("TerminateGameSession") == []

    rounds: list[int] = []

    def progress(r: Any) -> None:
        rounds.append(len(r.waiting))
        if len(rounds) == 2:
            world.set_players(sid, 0)

    report = flow.run(progress)
    assert rounds == [1, 1, 0]
    assert clock.slept == pytest.approx(10.0)  # two waits of poll_seconds, on the fake clock
    assert [m["target"] for m in world.mutations("TerminateGameSession")] == [sid]
    assert report.outcomes["drained and terminated"] == 1 and not report.waiting
    assert store.pending(target) == []


def test_a_stopped_drain_stays_in_the_store_and_a_new_workflow_resumes_it(
        world: World, tmp_path: Path, home: Path) -> None:
    ctx = world.aws()
    path = tmp_path / "drains.json"
    target = DrainTarget.of(ctx)
    first, second = busy_sessions(world)[:2]
    stop = [False]
    clock = FakeClock()
    flow = DrainWorkflow(ctx, DrainStore(path), target, clock=clock, sleep=clock.sleep,
                         cancelled=lambda: stop[0])
    flow.start([first, second], "FORCE_TERMINATE")

    def progress(_r: Any) -> None:
        stop[0] = True  # the app quits after the first look

    report = flow.run(progress)
    assert report.outcomes["still draining when stopped"] == 2
    pending = DrainStore(path).pending(target)
    assert {d.game_session_id for d in pending} == {first, second}

    # The next run: one session emptied meanwhile, the other ended some other way.
    world.set_players(first, 0)
    world.set_players(second, 0)
    flow = DrainWorkflow(ctx, DrainStore(path), target, clock=clock, sleep=clock.sleep)
    flow.resume(pending)
    report = flow.run()
    terminated = {m["target"]: m["params"]["TerminationMode"]
                  for m in world.mutations("TerminateGameSession")}
    assert terminated == {first: "FORCE_TERMINATE", second: "FORCE_TERMINATE"}
    assert DrainStore(path).pending(target) == []
    # Resumed again (a stale file): the sessions are found ended and dropped, nothing sent.
    store = DrainStore(path)
    store.add(target, pending)
    flow = DrainWorkflow(ctx, store, target, clock=clock, sleep=clock.sleep)
    flow.resume(store.pending(target))
    report = flow.run()
    assert sum(n for what, n in report.outcomes.items() if what.startswith("already")) == 2
    assert len(world.mutations("TerminateGameSession")) == 2
    assert store.pending(target) == []


def test_nothing_is_locked_when_the_store_cannot_be_written(world: World,
                                                            tmp_path: Path,
                                                            home: Path) -> None:
    ctx = world.aws()
    blocked = tmp_path / "file"
    blocked.write_text("")
    store = DrainStore(blocked / "drains.json")  # its folder is a file
    sid = busy_sessions(world)[0]
    with pytest.raises(DrainStoreError):
        DrainWorkflow(ctx, store, DrainTarget.of(ctx)).start([sid], GRACEFUL)
    assert world.mutations("UpdateGameSession") == []


def test_a_refused_lock_is_not_remembered(world: World, tmp_path: Path,
                                          home: Path) -> None:
    ctx = world.aws(read_only=True)
    store = DrainStore(tmp_path / "drains.json")
    target = DrainTarget.of(ctx)
    report = DrainWorkflow(ctx, store, target).start(busy_sessions(world)[:1], GRACEFUL)
    assert report.outcomes["refused (read-only)"] == 1 and not report.waiting
    assert store.pending(target) == []
    assert world.mutations("UpdateGameSession") == []


# --- the app ------------------------------------------------------------------------------


async def start_drain(app: Any, pilot: Any, world: World) -> str:
    """t on a session with players, drain first, Terminate: returns the session."""
    from textual.widgets import Checkbox

    from tui.ui.panes.sessions import SessionsPane
    from tui.ui.screens.confirm import TerminateModal
    from tui.ui.widgets.session_grid import SessionGrid

    await settle(app, pilot)
    pane = app.query_one(SessionsPane)
    pane.drain_poll_seconds = 0.2
    table = app.query_one("#session-table", SessionGrid)
    busy = set(busy_sessions(world, pane.fleet_id))
    target = next(k for k in (str(r.value) for r in table.rows) if k in busy)
    table.focus()
    table.move_cursor(row=table.get_row_index(target))
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal))
    modal = app.screen
    modal.query_one("#drain", Checkbox).value = True
    await wait_for(pilot, lambda: modal.drawn)  # keys typed before it was drawn do not count
    await pilot.press("tab", "enter")  # Cancel → Terminate
    await wait_for(pilot, lambda: pane.draining is not None and pane.draining[1] >= 0)
    return target


async def test_quit_asks_then_the_next_start_resumes_and_terminates(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.ui.panes.session_table import SessionTablePane
    from tui.ui.panes.sessions import SessionsPane
    from tui.ui.screens.confirm import ConfirmModal

    # Set before the apps start: the resumed drain begins as the second app mounts.
    monkeypatch.setattr(SessionTablePane, "drain_poll_seconds", 0.2)

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        target = await start_drain(app, pilot, world)
        assert world.sessions()[target]["PlayerSessionCreationPolicy"] == "DENY_ALL"
        path = locations.drains_path()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert target in path.read_text()
        # q asks first, and says what happens to the drain.
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = app.screen
        assert question.title_text == "Quit while draining 1 session(s)?"
        body = str(question.body)
        assert "stay locked" in body and "resumes them" in body and "us-west-2" in body
        await pilot.press("escape")  # no: stay
        await wait_for(pilot, lambda: question.answered
                       and not isinstance(app.screen, ConfirmModal))
        assert app.is_running and app.query_one(SessionsPane).draining is not None
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal)
                       and app.screen is not question)
        again = app.screen
        await wait_for(pilot, lambda: again.drawn)
        await pilot.press("tab", "enter")  # Cancel → Quit
        await wait_for(pilot, lambda: not app.is_running)
    assert world.mutations("TerminateGameSession") == []
    assert target in locations.drains_path().read_text()  # still waiting, for the next start

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        # No settle: it waits for every worker, and the resumed drain runs on purpose.
        await wait_for(pilot, lambda: any(p.is_mounted for p in app.query(SessionsPane)))
        pane = app.query_one(SessionsPane)
        await wait_for(pilot, lambda: pane.draining is not None)
        # Toasts reach the app as messages of their own: wait for it, not just the drain.
        short = target.rsplit("/", 1)[-1]
        await wait_for(pilot, lambda: any("Resumed 1 drain(s)" in str(n.message)
                                          and short in str(n.message)
                                          for n in app._notifications))
        # The resumed drain looked and found players still there: it terminated nothing.
        await wait_for(pilot, lambda: (pane.draining or (0, -1))[1] > 0)
        assert world.mutations("TerminateGameSession") == []
        world.set_players(target, 0)
        await wait_for(pilot, lambda: world.mutations("TerminateGameSession"))
        assert [m["target"] for m in world.mutations("TerminateGameSession")] == [target]
        await wait_for(pilot, lambda: pane.draining is None)
        assert json.loads(locations.drains_path().read_text())["targets"] == {}
        await pilot.press("q")  # nothing draining: quits at once
        await wait_for(pilot, lambda: not app.is_running)


async def test_a_read_only_start_leaves_the_drains_alone_and_says_so(
        world: World, home: Path) -> None:
    ctx = world.aws()
    sid = busy_sessions(world)[0]
    store = DrainStore()
    store.add(DrainTarget.of(ctx), [Drain(sid, GRACEFUL, 0.0)])
    world.set_players(sid, 0)
    app = make_app(world, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await wait_for(pilot, lambda: any("not followed" in str(n.message)
                                          for n in app._notifications))
        await settle(app, pilot)  # the drain that said so has ended
    assert world.mutations("TerminateGameSession") == []
    assert [d.game_session_id for d in store.pending(DrainTarget.of(ctx))] == [sid]


async def test_another_target_does_not_resume_these_drains(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.ui.panes.session_table import SessionTablePane
    from tui.ui.panes.sessions import SessionsPane

    sid = busy_sessions(world)[0]
    elsewhere = DrainTarget(None, "eu-west-1", world.endpoint_url)
    DrainStore().add(elsewhere, [Drain(sid, GRACEFUL, 0.0)])
    world.set_players(sid, 0)
    done: list[Any] = []
    real_done = SessionTablePane._drain_done

    def drain_done(pane: SessionTablePane, result: Any) -> None:
        done.append(result)
        real_done(pane, result)

    monkeypatch.setattr(SessionTablePane, "_drain_done", drain_done)
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        # The start's own resume has ended: it found nothing for this target.
        await wait_for(pilot, lambda: done == [None])
        # Resume once more, and wait for that drain to end too.
        await app.resume_drains()
        await wait_for(pilot, lambda: len(done) == 2)
        assert done == [None, None]  # None: nothing was left to resume
        assert app.query_one(SessionsPane).draining is None
    assert world.mutations("TerminateGameSession") == []
