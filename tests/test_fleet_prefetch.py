"""The first fleet overview from a forked child: the same rows as asking directly, and the
same errors, reported by the parent."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from simctl import World

from tui.aws.session import AwsContext
from tui.services import fleet_prefetch
from tui.services.gamelift import fleet_overview

# Run in a fresh interpreter: the forked path is only taken while the process has one
# thread, and the test process has the simulator's.
PROBE = textwrap.dedent("""
    import os, sys
    from tui.aws.session import AwsContext, Target
    from tui.services import fleet_prefetch
    from tui.services.gamelift import fleet_overview

    ctx = AwsContext(Target(api_budget=None,
                            demo=True, endpoint_url=sys.argv[1], region="us-west-2"))
    forked = fleet_prefetch.can_fork()
    future = fleet_prefetch.start(ctx)
    try:
        rows = future.result(timeout=60)
    except Exception as err:
        print("error", forked, type(err).__name__, err)
    else:
        print("rows", forked, rows == fleet_overview(ctx), len(rows))
""")


def _probe(endpoint: str, **env: str) -> list[str]:
    import os

    done = subprocess.run([sys.executable, "-c", PROBE, endpoint], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_forked_child_brings_the_same_rows_as_asking_directly(sim: World) -> None:
    kind, forked, same, count = _probe(sim.endpoint_url)[:4]
    if fleet_prefetch.usable_cores() >= 2 and sys.platform == "linux":
        assert forked == "True"  # the path under test was the fork, not the thread
    assert (kind, same) == ("rows", "True")
    assert int(count) >= 2


def test_error_in_the_child_reaches_the_parent_as_that_error() -> None:
    # Nothing listens on port 9 of localhost: the connection is refused at once.
    words = _probe("http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    assert words[0] == "error"
    assert words[2] == "EndpointConnectionError"
    assert "127.0.0.1:9" in " ".join(words[3:])


def test_with_threads_running_it_falls_back_to_a_thread(aws: AwsContext) -> None:
    assert not fleet_prefetch.can_fork()  # the simulator's thread is running here
    assert fleet_prefetch.start(aws).result(timeout=60) == fleet_overview(aws)


def test_demo_order_forks_before_its_simulator_serves() -> None:
    # `gameops-tui --demo` makes its simulator listen, forks the prefetch, then starts serving:
    # the child's connection waits in the listen queue meanwhile. So this one is a bare
    # RunningSimulator, built but not yet serving (a World serves from the start), in a fresh
    # interpreter (the fork is only taken while the process has one thread).
    probe = textwrap.dedent("""
        from tui.aws.session import AwsContext, Target
        from tui.services import fleet_prefetch
        from tui.services.gamelift import fleet_overview
        from tui.sim.server import RunningSimulator, SimConfig

        sim = RunningSimulator(SimConfig(sessions=50))
        ctx = AwsContext(Target(api_budget=None,
                                demo=True, endpoint_url=sim.endpoint_url, region="us-west-2"))
        forked = fleet_prefetch.can_fork()
        future = fleet_prefetch.start(ctx)
        sim.start()
        try:
            rows = future.result(timeout=60)
            print(forked, rows == fleet_overview(ctx), len(rows))
        finally:
            sim.stop()
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    forked, same, count = done.stdout.split()
    if fleet_prefetch.usable_cores() >= 2 and sys.platform == "linux":
        assert forked == "True"
    assert same == "True" and int(count) >= 2


def test_a_simulator_that_never_served_stops_at_once() -> None:
    import threading

    from tui.sim.server import RunningSimulator, SimConfig

    # What is under test is RunningSimulator itself before it serves (a World always serves).
    sim = RunningSimulator(SimConfig(sessions=10))
    # No serve loop ran: stopping must not wait for one (socketserver's shutdown would).
    stopping = threading.Thread(target=sim.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=10)
    assert not stopping.is_alive()
