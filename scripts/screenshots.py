"""Regenerate the SVG screenshots in screenshots/ from the demo world at a fixed size."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui.aws.session import AwsContext, Target
from tui.sim.server import SimConfig, start_simulator
from tui.ui.app import GameOpsApp
from tui.ui.widgets.context_bar import ContextBar

OUT = Path(__file__).resolve().parents[1] / "screenshots"
SHOTS = [("sessions", "1"), ("search", "2"), ("scripts", "3"), ("stages", "4"),
         ("help", "question_mark")]


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    sim = start_simulator(SimConfig(rate_limits="off", drift=False))
    try:
        for name, key in SHOTS:
            target = Target(profile=None, region="us-west-2", endpoint_url=sim.endpoint_url,
                            demo=True)
            app = GameOpsApp(AwsContext(target), simulator=sim)
            async with app.run_test(size=(100, 30)) as pilot:
                bar = app.query_one(ContextBar)
                bar.endpoint_label = "http://127.0.0.1:PORT"
                bar.update(bar.render_bar())
                await app.workers.wait_for_complete()
                await pilot.pause(0.3)
                await pilot.press(key)
                await pilot.pause(0.3)
                app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
                print(OUT / f"{name}.svg")
    finally:
        sim.stop()


if __name__ == "__main__":
    asyncio.run(main())
