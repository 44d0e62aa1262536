"""The read-only guard, walked over every operation of both service models.

It must let through exactly the read operations; each refused one is proven over HTTP too: the
simulator sees no request at all.
"""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
from simctl import World

from tui.aws.guard import ReadOnlyGuard, ReadOnlyViolation
from tui.aws.session import register_gamesparks_model

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Resolve")
READ_BY_MEANING = {"ExportSnapshot", "ValidateMatchmakingRuleSet"}


def operations(service: str) -> list[str]:
    session = botocore.session.get_session()
    register_gamesparks_model(session)
    return list(session.get_service_model(service).operation_names)


@pytest.mark.parametrize("service", ["gamelift", "gamesparks"])
def test_guard_passes_exactly_the_reads(service: str) -> None:
    guard = ReadOnlyGuard(enabled=True)
    names = operations(service)
    assert len(names) > (100 if service == "gamelift" else 30)
    for name in names:
        is_read = name.startswith(READ_PREFIXES) or name in READ_BY_MEANING
        if is_read:
            guard.check(service, name, {})
        else:
            with pytest.raises(ReadOnlyViolation):
                guard.check(service, name, {})


def test_refused_calls_never_reach_the_service(world: World, home: Path) -> None:
    # A private world: its request count moves only with what this test sends.
    ctx = world.aws(read_only=True)
    before = world.state()["requests"]
    client = ctx.client("gamelift")
    for call in (lambda: client.delete_fleet(FleetId="fleet-1"),
                 lambda: client.create_script(Name="x"),
                 lambda: client.update_fleet_capacity(FleetId="fleet-1", DesiredInstances=1)):
        with pytest.raises(ReadOnlyViolation):
            call()
    after = world.state()["requests"]
    assert after == before  # control-surface reads are not AWS requests
    assert world.mutations() == []
    # The count does move with a request that is sent: a read goes through and is counted.
    client.list_fleets()
    assert world.state()["requests"] == after + 1


def test_gamesparks_reads_are_exactly_its_get_operations() -> None:
    """An oracle independent of the naming rule: GameSparks is a REST service, and the HTTP
    method of each operation in its model says whether it reads."""
    session = botocore.session.get_session()
    register_gamesparks_model(session)
    model = session.get_service_model("gamesparks")
    guard = ReadOnlyGuard(enabled=True)
    for name in model.operation_names:
        method = model.operation_model(name).http["method"]
        try:
            guard.check("gamesparks", name, {})
            let_through = True
        except ReadOnlyViolation:
            let_through = False
        assert let_through == (method == "GET"), f"{name} ({method})"


# Verbs of GameLift operations that change something. A new operation with a verb not listed
# here or among the read prefixes fails the test below until someone decides which it is.
MUTATING_VERBS = {"Accept", "Claim", "Create", "Delete", "Deregister", "Put", "Register",
                  "Request", "Resume", "Start", "Stop", "Suspend", "Tag", "Terminate",
                  "Untag", "Update"}


def test_every_gamelift_verb_is_classified() -> None:
    import re

    for name in operations("gamelift"):
        verb = re.match(r"[A-Z][a-z]+", name).group(0)  # type: ignore[union-attr]
        if name in READ_BY_MEANING or name.startswith(READ_PREFIXES):
            continue
        assert verb in MUTATING_VERBS, f"{name}: is {verb} a read or a change?"


def test_every_refused_operation_is_refused_before_any_request_and_audited(
        world: World, home: Path) -> None:
    """Each non-read operation of both models, called through a read-only context: refused
    before a single HTTP request, and recorded once as "refused" in the audit log."""
    import json

    from botocore import xform_name

    from tui import locations

    ctx = world.aws(read_only=True)
    refused: list[str] = []
    before = world.state()["requests"]
    for service in ("gamelift", "gamesparks"):
        client = ctx.client(service)
        for name in operations(service):
            if name.startswith(READ_PREFIXES) or name in READ_BY_MEANING:
                continue
            with pytest.raises(ReadOnlyViolation):
                getattr(client, xform_name(name))()  # no parameters: refused before validation
            refused.append(name)
    after = world.state()["requests"]
    assert after == before
    assert world.mutations() == []
    lines = [json.loads(line) for line in locations.audit_log().read_text().splitlines()]
    assert [line["operation"] for line in lines] == refused
    assert {line["outcome"] for line in lines} == {"refused"}
    assert len(refused) > 80
