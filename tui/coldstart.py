"""The cold-start probe of the benchmark, run in a fresh interpreter by `tui.bench`.

A module of its own so that what it imports is only what the app's own start-up imports (the
benchmark's argparse, subprocess and statistics are no part of starting the app).
"""

from __future__ import annotations

import asyncio
import time


def first_paint(endpoint: str, started: float) -> float:
    """Seconds from `started` until the terminal is handed the first frame that shows the
    fleet table's rows. The steps and their order are those of `tui.cli.run_app`."""
    from tui.ui.gc_schedule import pause_during_startup
    from tui.ui.responsiveness import choose_frame_rate

    choose_frame_rate()
    pause_during_startup()
    from tui.aws.session import AwsContext, Target
    from tui.services import fleet_prefetch

    context = AwsContext(Target(demo=True, endpoint_url=endpoint, region="us-west-2"))
    fleets_early = fleet_prefetch.start(context)
    from tui.ui.app import GameOpsApp
    from tui.ui.panes.sessions import FleetTable

    async def run() -> float:
        app = GameOpsApp(context, fleets_early=fleets_early)
        shown: list[float] = []

        def frame_shown() -> None:
            # The first frame handed to the terminal with rows in the fleet table: a frame is
            # drawn from what the widgets hold when it is made, just before it is handed over.
            if not shown and any(table.row_count for table in app.query(FleetTable)):
                shown.append(time.perf_counter())

        app.responsiveness.on_frame(app, frame_shown)
        async with app.run_test(size=(120, 40)):
            deadline = time.perf_counter() + 60
            while not shown:
                if time.perf_counter() > deadline:
                    raise TimeoutError("the fleet list was never painted")
                await asyncio.sleep(0.002)
            return shown[0] - started

    return asyncio.run(run())
