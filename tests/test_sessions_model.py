"""The Sessions pane's model without Textual: fleets, paging, what is loaded, the refresh
policy's back-off, paced bulk actions, the protection look-up and drain-then-terminate, on the
real simulator over HTTP (clock and sleep injected, so nothing here waits for real)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from simctl import World

from tui.models import session_actions as actions
from tui.models import sessions as model
from tui.services import gamelift
from tui.services.drains import Drain, DrainStore, DrainTarget

GRACEFUL = "TRIGGER_ON_PROCESS_TERMINATE"

# A private frozen world per test: these tests change sessions and inject throttling.
pytestmark = pytest.mark.world(sessions=120)


class FakeClock:
    """Moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps.append(seconds)


# --- refresh policy -------------------------------------------------------------------------


def test_throttling_doubles_the_interval_up_to_a_bound_and_a_good_refresh_resets_it() -> None:
    clock = FakeClock()
    policy = model.RefreshPolicy(15.0, clock)
    policy.started()
    assert not policy.due()
    clock.now = 15.0
    assert policy.due()
    assert policy.throttled() == 30.0
    assert not policy.due()  # 15 s on: the backed-off refresh waits for 30
    clock.now = 30.0
    assert policy.due()
    assert [policy.throttled() for _ in range(5)] == [60.0, 120.0, 240.0, 240.0, 240.0]
    assert policy.interval == model.MAX_REFRESH_SECONDS
    policy.succeeded()
    assert policy.interval == 15.0


# --- fleets, paging, what is loaded ---------------------------------------------------------


def test_fleets_scopes_and_pages_match_the_service(world: World, home: Path) -> None:
    aws = world.aws()
    sessions_model = model.SessionsModel(paging_concurrency=2)
    rows = sessions_model.load_fleets(aws)
    assert sessions_model.put_fleets(rows) is True
    assert sessions_model.put_fleets(rows) is False  # only the first overview is the first
    assert sessions_model.status_head() == ["no fleet"]
    multi = next(r for r in rows if len(r.fleet.locations) > 1)
    assert sessions_model.select(multi.fleet.fleet_id) is True
    assert sessions_model.select(multi.fleet.fleet_id) is False
    assert sessions_model.status_head() == [multi.fleet.name]
    # Each location of a multi-location fleet is paged on its own, side by side.
    assert sessions_model.paging_scopes() == [(multi.fleet.fleet_id, location)
                                              for location in multi.fleet.locations]

    sessions_model.select(model.ALL_FLEETS)
    assert sessions_model.status_head() == [f"all {len(rows)} fleets"]
    pages: list[model.SessionsPage] = []
    assert sessions_model.page_sessions(aws, sessions_model.paging_scopes(), {}, pages.append)
    loaded = model.LoadedSessions()
    loaded.begin()
    for page in pages:
        loaded.merge(page.changed, page.seen)
    assert loaded.finish() == []
    assert set(loaded.sessions) == set(world.sessions())
    assert not loaded.loading and loaded.updated_at is not None

    # A second load against what is held sends nothing on but the ids; a session that went
    # away is dropped when the load finishes.
    pages.clear()
    assert sessions_model.page_sessions(aws, sessions_model.paging_scopes(),
                                        dict(loaded.sessions), pages.append)
    assert [s for p in pages for s in p.changed] == []
    loaded.begin()
    phantom = dataclasses.replace(next(iter(loaded.sessions.values())), game_session_id="gone")
    loaded.merge([phantom])
    loaded.seen.discard("gone")
    for page in pages:
        loaded.merge(page.changed, page.seen)
    assert loaded.finish() == ["gone"]


def test_a_cancelled_load_stops_and_says_so(world: World, home: Path) -> None:
    aws = world.aws()
    sessions_model = model.SessionsModel()
    sessions_model.put_fleets(sessions_model.load_fleets(aws))
    sessions_model.select(model.ALL_FLEETS)
    pages: list[model.SessionsPage] = []
    stop = [False]

    def emit(page: model.SessionsPage) -> None:
        pages.append(page)
        stop[0] = True

    assert not sessions_model.page_sessions(aws, sessions_model.paging_scopes(), {}, emit,
                                            cancelled=lambda: stop[0])
    assert len(pages) == 1


def test_filter_sort_and_exports(world: World, home: Path) -> None:
    aws = world.aws()
    fleets = model.SessionsModel.load_fleets(aws)
    fleet_id = fleets[0].fleet.fleet_id
    sessions = {s.game_session_id: s for s in gamelift.list_game_sessions(aws, fleet_id)}
    winter = {k for k, s in sessions.items()
              if model.matches(s, model.ALL_STATUSES, "WINTER-cup")}
    assert winter == {k for k, s in world.sessions(fleet_id).items()
                      if any(p["Value"] == "winter-cup" for p in s["GameProperties"])}
    assert not any(model.matches(s, {"ACTIVE"}, "") for s in sessions.values()
                   if s.status != "ACTIVE")
    by_players = [s.current_player_session_count for _, s in model.ordered(sessions, 1)]
    assert by_players == sorted(by_players, reverse=True)
    assert [k for k, _ in model.ordered(sessions, 0)] == list(sessions)

    table = model.export_sessions(sessions.values(), pane_id="sessions", head=["arena"],
                                  filter_text="cup", statuses={"ACTIVE"}, fleet_id=fleet_id)
    assert table.slug == fleet_id and len(table) == len(sessions)
    assert table.title == ("game sessions of arena · filter 'cup' · hiding ACTIVATING, ERROR, "
                           "TERMINATED, TERMINATING")
    search = model.export_sessions([], pane_id="search", head=[], filter_text="",
                                   statuses=model.ALL_STATUSES, expression="playerSessionCount>0")
    assert (search.slug, search.title) == ("search",
                                           "search results for playerSessionCount>0 · search")
    assert model.export_sessions([], pane_id="sessions", head=["x"], filter_text="",
                                 statuses=model.ALL_STATUSES,
                                 fleet_id=model.ALL_FLEETS).slug == "all-fleets"
    fleet_table = model.export_fleets(fleets)
    assert [r["fleet_id"] for r in fleet_table.rows] == [f.fleet.fleet_id for f in fleets]
    assert all("utilization_current_player_session_count" in r for r in fleet_table.rows)


# --- bulk actions ---------------------------------------------------------------------------


def active_sessions(sim: World, *, busy: bool = False) -> list[str]:
    return [k for k, s in sim.sessions().items() if s["Status"] == "ACTIVE"
            and s.get("PlayerSessionCreationPolicy") != "DENY_ALL"
            and (not busy or s["CurrentPlayerSessionCount"] > 0)]


def lock(aws: Any, sid: str) -> object:
    return gamelift.update_game_session(aws, sid, PlayerSessionCreationPolicy="DENY_ALL")


def test_a_bulk_action_waits_out_throttling_and_finishes(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore gives up at once (no retries of its own, no client-side rate limiter), so what
    # is left is the model's pacing: sleeping 1 s, then 2 s, on the injected sleep.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    aws = world.aws()
    first, second = active_sessions(world)[:2]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            world.faults(throttle_rate=0.0)  # the service lets calls through again

    world.faults(throttle_rate=1.0)
    result = actions.BulkAction("locked", lock, aws.classify, sleep=sleep).run(aws, [first,
                                                                                      second])
    assert slept == [1.0, 2.0]
    assert result.summary == "2 locked" and not result.failed
    assert {m["target"] for m in world.mutations("UpdateGameSession")} == {first, second}


def test_a_bulk_action_reports_each_failure_and_goes_on(
        world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    aws = world.aws()
    good = active_sessions(world)[0]
    missing = good.rsplit("/", 1)[0] + "/gsess-nope"
    slept: list[float] = []
    result = actions.BulkAction("locked", lock, aws.classify, sleep=slept.append).run(
        aws, [missing, good])
    assert slept == []  # not throttled: nothing is tried again
    assert result.failed and result.summary.startswith("1 NotFoundException, 1 locked — ")
    # Throttled for good, the attempts end (a cancel ends them at once).
    world.faults(throttle_rate=1.0)
    stopped = actions.BulkAction("locked", lock, aws.classify, sleep=slept.append,
                                 cancelled=lambda: True).run(aws, [good])
    assert slept == [] and stopped.summary.startswith("1 ThrottlingException — ")
    result = actions.BulkAction("locked", lock, aws.classify, sleep=slept.append).run(aws,
                                                                                       [good])
    assert slept == [1.0, 2.0, 4.0, 8.0] and result.failed


def test_a_read_only_bulk_action_is_refused_and_sends_nothing(world: World,
                                                              home: Path) -> None:
    aws = world.aws(read_only=True)
    result = actions.BulkAction("locked", lock, aws.classify).run(aws, active_sessions(world)[:2])
    assert result.summary.startswith("2 refused (read-only) — read-only")
    assert world.mutations("UpdateGameSession") == []


def test_protection_is_looked_up_only_where_unknown(world: World, home: Path) -> None:
    aws = world.aws()
    fleet_id = model.SessionsModel.load_fleets(aws)[0].fleet.fleet_id
    described = gamelift.list_game_sessions(aws, fleet_id)[:3]
    unknown = [dataclasses.replace(s, protection_policy=None) for s in described]
    assert actions.needs_protection_lookup(unknown)
    assert not actions.needs_protection_lookup(described)
    too_many = unknown * (actions.PROTECTION_LOOKUPS // 3 + 1)
    assert not actions.needs_protection_lookup(too_many)  # the dialog says "unknown" instead
    known = actions.look_up_protection(aws, unknown)
    assert [s.protection_policy for s in known] == [s.protection_policy for s in described]


# --- drain, then terminate ------------------------------------------------------------------


def test_a_drain_reports_its_progress_and_terminates_when_empty(
        world: World, tmp_path: Path, home: Path) -> None:
    aws = world.aws()
    sid = active_sessions(world, busy=True)[0]
    store = DrainStore(tmp_path / "drains.json")
    clock = FakeClock()
    news: list[actions.DrainNews] = []

    def heard(item: actions.DrainNews) -> None:
        news.append(item)
        if len(news) == 3:  # two looks with players on it, then they leave
            world.set_players(sid, 0)

    run = actions.DrainRun(store, DrainTarget.of(aws), aws.explain, heard, poll_seconds=5.0,
                           clock=clock, sleep=clock.sleep)
    result = run.run(aws, [sid], GRACEFUL)
    assert result is not None and result.summary == "1 drained and terminated"
    assert not result.failed
    updates = [n for n in news if isinstance(n, actions.DrainUpdate)]
    assert updates[0] == actions.DrainUpdate(1, -1, reload=True)  # the locks are sent
    assert updates[1].waiting == 1 and updates[1].players > 0
    assert updates[-1] == actions.DrainUpdate(0, 0)
    assert sum(clock.sleeps) == pytest.approx(10.0)  # two waits of poll_seconds, faked
    assert [m["target"] for m in world.mutations("TerminateGameSession")] == [sid]
    assert store.pending(DrainTarget.of(aws)) == []

    board = actions.DrainBoard()
    one, two = board.new_run(), board.new_run()
    board.update(one, 2, -1)
    board.update(two, 1, 4)
    assert board.draining == (3, -1)  # one drain has not looked yet
    board.update(one, 2, 3)
    assert board.draining == (3, 7)
    board.update(one, 0, 0)
    board.update(two, 0, 0)
    assert board.draining is None


def test_a_read_only_resume_reports_the_drains_and_leaves_them(
        world: World, tmp_path: Path, home: Path) -> None:
    aws = world.aws(read_only=True)
    sid = active_sessions(world, busy=True)[0]
    store = DrainStore(tmp_path / "drains.json")
    target = DrainTarget.of(aws)
    store.add(target, [Drain(sid, GRACEFUL, 0.0)])
    news: list[actions.DrainNews] = []
    run = actions.DrainRun(store, target, aws.explain, news.append)
    assert run.run(aws, [], "", resume=True, read_only=True) is None
    assert news == [actions.DrainsFound(store.pending(target), target, refused=True)]
    assert [d.game_session_id for d in store.pending(target)] == [sid]
    assert world.mutations("TerminateGameSession") == []
    # Nothing left for another target: nothing to say.
    other = actions.DrainRun(store, DrainTarget(None, "eu-west-1", world.endpoint_url),
                             aws.explain, news.append)
    assert other.run(aws, [], "", resume=True) is None and len(news) == 1


def test_the_graceful_watch_reports_a_bounce_once_and_forgets_ended_sessions(
        world: World) -> None:
    aws = world.aws()
    fleet = gamelift.list_fleet_ids(aws)[0]
    first, second, third = [s for s in gamelift.list_game_sessions(aws, fleet)
                            if s.status == "ACTIVE"][:3]
    now = [100.0]
    watch = actions.GracefulWatch(clock=lambda: now[0], seconds=600)
    watch.asked([first.game_session_id, second.game_session_id, third.game_session_id])
    ending = dataclasses.replace(first, status="TERMINATING")
    ended = dataclasses.replace(second, status="TERMINATED")
    # TERMINATING is what the answer said: nothing to report yet; an ended one is forgotten.
    assert watch.bounced([ending, ended]) == []
    assert watch.bounced([first]) == [first]  # ACTIVE again
    assert watch.bounced([first, second]) == []  # each said once; the ended one is gone
    now[0] += 601
    assert watch.bounced([third]) == []  # the watch ran out
    assert not watch.watching()
    text = actions.bounce_text([first])
    assert "ACTIVE again after a graceful terminate" in text and (first.name or "") in text
