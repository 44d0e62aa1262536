"""The cold-start probe of the benchmark, run in a fresh interpreter by `tui.bench`.

A module of its own so that what it imports is only what the app's own start-up imports (the
benchmark's argparse, subprocess and statistics are no part of starting the app).
"""

from __future__ import annotations

import asyncio


def first_paint(endpoint: str, started: float) -> float:
    """Seconds from `started` until the fleet table holds rows and has been painted. The steps
    and their order are those of `tui.cli.run_app`."""
    from tui.ui.gc_schedule import pause_during_startup

    pause_during_startup()
    from tui.aws.session import AwsContext, Target
    from tui.services import fleet_prefetch

    context = AwsContext(Target(demo=True, endpoint_url=endpoint, region="us-west-2"))
    fleets_early = fleet_prefetch.start(context)
    from tui.ui.app import GameOpsApp

    async def run() -> float:
        app = GameOpsApp(context, fleets_early=fleets_early)
        async with app.run_test(size=(120, 40)):
            pane = app.query_one("#sessions-pane")
            # Set after the screen refresh that drew the fleet rows: painted, not only filled.
            while pane.fleets_painted_at is None:  # type: ignore[attr-defined]
                await asyncio.sleep(0.002)
            return pane.fleets_painted_at - started  # type: ignore[attr-defined]

    return asyncio.run(run())
