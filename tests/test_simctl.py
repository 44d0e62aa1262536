"""The world fixture and its controls do what they say, over real HTTP to the simulator."""

from __future__ import annotations

import pytest
from simctl import World, WorldSpec

from tui.services import gamelift


@pytest.mark.world(sessions=12, fleets=2)
def test_a_marked_world_is_private_frozen_and_of_its_size(world: World) -> None:
    held = world.sessions()
    assert len(held) == 12
    assert world.mutations() == []
    before = world.now()
    assert world.advance(90) == pytest.approx(before + 90)
    # Frozen: the clock moved by the advance alone.
    assert world.now() == pytest.approx(before + 90)


@pytest.mark.parametrize(
    "world", [WorldSpec(sessions=4, fleets=1), WorldSpec(sessions=10, fleets=2)], indirect=True)
def test_an_indirect_spec_builds_the_world(world: World) -> None:
    assert len(world.sessions()) == world.spec.sessions


def test_players_leave_and_the_mutation_log_records_a_change(world: World) -> None:
    sid, session = next(iter(world.sessions().items()))
    assert world.set_players(sid, 0) == 0
    assert world.sessions()[sid]["CurrentPlayerSessionCount"] == 0
    aws = world.aws()
    gamelift.update_game_session(aws, sid, Name="renamed by test")
    changed = world.mutations("UpdateGameSession")
    assert [m["operation"] for m in changed] == ["UpdateGameSession"]
    world.clear_mutations()
    assert world.mutations() == []
