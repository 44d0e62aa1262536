"""The read-only guard, walked over every operation of both service models.

It must let through exactly the read operations; each refused one is proven over HTTP too: the
simulator sees no request at all.
"""

from __future__ import annotations

import botocore.session
import httpx
import pytest

from tui.aws.guard import ReadOnlyGuard, ReadOnlyViolation
from tui.aws.session import AwsContext, Target, register_gamesparks_model
from tui.sim.server import RunningSimulator

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


def test_refused_calls_never_reach_the_service(sim: RunningSimulator, home) -> None:  # noqa: ANN001
    ctx = AwsContext(Target(profile=None, region="us-west-2", endpoint_url=sim.endpoint_url,
                            demo=True, read_only=True))
    before = httpx.get(f"{sim.endpoint_url}/_sim/state").json()["requests"]
    client = ctx.client("gamelift")
    for call in (lambda: client.delete_fleet(FleetId="fleet-1"),
                 lambda: client.create_script(Name="x"),
                 lambda: client.update_fleet_capacity(FleetId="fleet-1", DesiredInstances=1)):
        with pytest.raises(ReadOnlyViolation):
            call()
    after = httpx.get(f"{sim.endpoint_url}/_sim/state").json()["requests"]
    assert after == before  # control-surface reads are not AWS requests
