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


def test_fleets_name_the_script_they_run_as_the_service_says(world: World) -> None:
    held = world.fleets()
    client = world.aws().client("gamelift")
    described = client.describe_fleet_attributes(FleetIds=list(held)[:10])["FleetAttributes"]
    for fleet in described:
        assert held[fleet["FleetId"]]["ScriptId"] == fleet.get("ScriptId")
        assert held[fleet["FleetId"]]["Status"] == fleet["Status"]
    # Another region is another world, with fleets of its own.
    assert not set(world.fleets("eu-west-1")) & set(held)


def test_script_zip_is_what_was_uploaded(world: World) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", "exports.ok = true;\n")
    client = world.aws().client("gamelift")
    created = client.create_script(Name="probe", Version="0.0.1", ZipFile=buffer.getvalue())
    assert world.script_zip(created["Script"]["ScriptId"]) == buffer.getvalue()


def test_gamesparks_reset_gives_the_same_world_each_time(world: World) -> None:
    world.reset_gamesparks(1_767_225_600.0, seed=8)
    first = world.gamesparks()
    world.reset_gamesparks(1_767_225_600.0, seed=8)
    assert world.gamesparks() == first
    world.reset_gamesparks(1_767_225_600.0, seed=9)
    assert world.gamesparks() != first


@pytest.mark.world(socket_timeout=0.5, idle_timeout=1.0)
def test_a_spec_sets_the_servers_patience(world: World) -> None:
    import socket
    import time
    from urllib.parse import urlsplit

    address = urlsplit(world.endpoint_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        started = time.monotonic()
        conn.recv(4096)  # an answer, or the close, once the server gives up on the body
        assert time.monotonic() - started < 4
