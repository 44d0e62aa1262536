"""The snapshot diff, the rollback candidates, the deployment watcher and the export download
(the last two against the simulator over real HTTP)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from simctl import World

from tui.aws.records import Snapshot, StageDeployment
from tui.aws.session import AwsContext
from tui.services import gamesparks
from tui.services.deploy_watch import Backoff, watch_deployment
from tui.services.snapshot_diff import (
    ADDED,
    CHANGED,
    REMOVED,
    UNCHANGED,
    Change,
    diff_json,
    diff_sections,
    diff_snapshots,
)


def test_json_diff_walks_objects_and_arrays() -> None:
    old = {"Currency": "credits", "Items": {"a": {"Price": 120}, "b": {"Price": 200}},
           "Loadout": ["x", "y"], "Flag": True}
    new = {"Items": {"a": {"Price": None}, "c": {"Price": 5}},
           "Loadout": ["x", "z", "w"], "Flag": 1, "my.key": 2}
    assert diff_json(old, new) == [
        Change("Currency", REMOVED, old="credits"),
        Change("Flag", CHANGED, old=True, new=1),  # equal in Python, not in JSON
        Change("Items.a.Price", CHANGED, old=120, new=None),
        Change("Items.b", REMOVED, old={"Price": 200}),
        Change("Items.c", ADDED, new={"Price": 5}),
        Change("Loadout[1]", CHANGED, old="y", new="z"),
        Change("Loadout[2]", ADDED, new="w"),
        Change('["my.key"]', ADDED, new=2),
    ]
    assert diff_json(old, old) == []
    assert diff_json(1, "1") == [Change("", CHANGED, old=1, new="1")]


def test_section_diff_sorts_kinds_and_summarises() -> None:
    current = {"Config": {"Max": 8}, "Legacy.Store": {"On": True}, "Player": {"Level": 40}}
    target = {"Config": {"Max": 10}, "Events.Season": {"Name": "winter"},
              "Player": {"Level": 40}}
    diff = diff_sections(current, target)
    kinds = {s.name: s.kind for s in diff.sections}
    assert kinds == {"Config": CHANGED, "Events.Season": ADDED, "Legacy.Store": REMOVED,
                     "Player": UNCHANGED}
    assert diff.summary() == "sections: 1 added, 1 removed, 1 changed, 1 unchanged"
    lines = [text for _, text in diff.lines()]
    assert lines[0].startswith("~ Config (changed")
    assert "    ~ Max: 8 → 10" in lines
    assert any(line.startswith("+ Events.Season (added") for line in lines)
    assert any(line.startswith("- Legacy.Store (removed") for line in lines)
    assert not any("Player" in line for line in lines)
    assert not diff.is_empty
    assert diff_sections(current, current).is_empty


def test_long_diffs_are_cut_with_a_count() -> None:
    diff = diff_sections({"S": {f"k{i}": i for i in range(30)}},
                         {"S": {f"k{i}": -i - 1 for i in range(30)}})
    lines = diff.lines(max_changes=5)
    assert len(lines) == 1 + 5 + 1
    assert lines[-1][1].strip() == "… and 25 more change(s)"


def test_snapshot_diff_with_nothing_serving_adds_everything() -> None:
    target = Snapshot.from_api({"Id": "Snapshot_x", "Sections": {
        "A": {"Name": "A", "Size": 7, "Attributes": {"k": 1}}}})
    diff = diff_snapshots(None, target)
    assert [(s.name, s.kind, s.new_size) for s in diff.sections] == [("A", ADDED, 7)]


def _d(ident: str, state: str, action: str = "DEPLOY", snapshot: str = "") -> StageDeployment:
    return StageDeployment(ident, snapshot_id=snapshot or f"S-{ident}", deployment_state=state,
                           deployment_action=action)


def test_serving_and_rollback_candidates() -> None:
    history = [_d("7", "FAILED"), _d("6", "COMPLETED", snapshot="S-b"),
               _d("5", "COMPLETED", snapshot="S-a"), _d("4", "FAILED"),
               _d("3", "COMPLETED", snapshot="S-b"), _d("2", "COMPLETED", snapshot="S-a"),
               _d("1", "COMPLETED", snapshot="S-0")]
    assert gamesparks.serving_deployment(history) is history[1]
    assert [d.deployment_id for d in gamesparks.rollback_candidates(history)] == ["5", "1"]
    undeployed = [_d("9", "COMPLETED", action="UNDEPLOY"), *history]
    assert gamesparks.serving_deployment(undeployed) is None
    running = [_d("8", "IN_PROGRESS"), *history]
    assert gamesparks.in_progress(running) is running[0]
    assert gamesparks.serving_deployment(running) is history[1]


# --- against the simulator -----------------------------------------------------------------

pytestmark = pytest.mark.world(sessions=10)


@pytest.fixture
def ctx(world: World, home: Path) -> AwsContext:
    return world.aws()


def test_export_re_requests_an_expired_url_once(world: World, ctx: AwsContext,
                                                tmp_path: Path) -> None:
    snapshot_id = gamesparks.list_snapshots(ctx, "kart-league")[0].id
    stale = gamesparks.export_snapshot_url(ctx, "kart-league", snapshot_id)
    world.advance(601)  # past the 10 minutes an export URL lives
    target = tmp_path / "out.json"
    seen: list[int] = []
    path = gamesparks.download_snapshot(ctx, "kart-league", snapshot_id, target,
                                        lambda done, total: seen.append(done), url=stale)
    assert path == target and b'"SnapshotId": "' + snapshot_id.encode() in target.read_bytes()
    assert seen and seen[-1] == target.stat().st_size
    assert not (tmp_path / "out.json.part").exists()


def test_watch_reports_each_state_once_until_completed(world: World,
                                                       ctx: AwsContext) -> None:
    world.advance(100)  # nothing left running in the seeded world
    snapshot_id = gamesparks.list_snapshots(ctx, "kart-league")[0].id
    token = gamesparks.new_client_token()
    started = gamesparks.start_stage_deployment(ctx, "kart-league", "dev", snapshot_id, token)
    again = gamesparks.start_stage_deployment(ctx, "kart-league", "dev", snapshot_id, token)
    assert again.deployment_id == started.deployment_id  # same token: the same deployment
    states: list[str] = []

    def tick(seconds: float) -> None:
        world.advance(0.3)  # each wait moves the simulated world on a little
        time.sleep(seconds)

    final = watch_deployment(ctx, "kart-league", "dev", started.deployment_id,
                             lambda d: states.append(d.deployment_state or ""),
                             backoff=Backoff(0.01, 2, 0.02), sleep=tick)
    assert states == ["PENDING", "IN_PROGRESS", "COMPLETED"]
    assert final.deployment_state == "COMPLETED" and final.result_code == "SUCCESS"
