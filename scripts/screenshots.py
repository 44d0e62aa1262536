"""Regenerate the SVG screenshots in screenshots/ from the demo world at a fixed size.

    python scripts/screenshots.py                    # every picture, into screenshots/
    python scripts/screenshots.py stages activity    # only the named ones
    python scripts/screenshots.py --out /tmp/shots   # somewhere else

Each picture is taken from a fresh app on the same simulator. To make the files come out the
same from run to run (so a diff shows what changed in the app, not in the clock):

- the simulator's clock is frozen at FIXED_NOW and its worlds rebuilt from their seeds as of
  that moment; the app's "now" (session ages, relative search times) and the audit log's
  timestamps are that moment too; TZ is UTC;
- the endpoint label shows PORT instead of the ephemeral port; "updated Ns ago" is reset just
  before each picture; notifications are cleared; cursors do not blink;
- the API meter reads "API <5%" (the pictures' target counts calls but has no budget);
- the app's home (config, audit log, downloads) is a fixed folder emptied at start, so nothing
  of the user's own history or saved searches shows.

What is left to chance: nothing the pictures show, as far as we know (request ids and call
durations are in the audit log but not on screen).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable from a checkout without installing
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "screenshots"
SIZE = (100, 30)
FIXED_NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOME = Path(tempfile.gettempdir()) / "gameops-tui-screenshots"
SEED = 7
THEME = "textual-dark"


def freeze_app_time() -> None:
    """The app's wall clock is FIXED_NOW: ages and 'older than 2h' are computed from it."""
    fixed = dt.datetime.fromtimestamp(FIXED_NOW, dt.UTC)

    class FrozenDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return fixed.astimezone(tz) if tz else fixed.astimezone().replace(tzinfo=None)

    shim = types.SimpleNamespace(**{k: getattr(dt, k) for k in dir(dt) if not k.startswith("__")})
    shim.datetime = FrozenDatetime
    import tui.aws.audit
    import tui.ui.panes.search
    import tui.ui.panes.session_table
    import tui.ui.screens.activity
    import tui.ui.screens.search_forms

    for module in (tui.ui.panes.session_table, tui.ui.panes.search, tui.ui.screens.search_forms,
                   tui.ui.screens.activity, tui.aws.audit):
        module.dt = shim  # type: ignore[attr-defined]


def fix_tokens() -> None:
    """The rollback confirmation shows its ClientToken: make it the same on every run."""
    import uuid

    import tui.services.gamesparks

    fixed = uuid.UUID("5eed5eed-0000-4000-8000-000000000001")
    tui.services.gamesparks.uuid = types.SimpleNamespace(  # type: ignore[attr-defined]
        uuid4=lambda: fixed)


def prepare_environment() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    shutil.rmtree(HOME, ignore_errors=True)
    os.environ["GAMEOPS_TUI_HOME"] = str(HOME)
    # The demo ignores ~/.aws; these would still change retries and endpoints.
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


def start_world() -> Any:
    from tui.sim.server import SimConfig, start_simulator

    # Built as of the fixed moment with the clock stopped there: ids and times come from the
    # seed.
    return start_simulator(SimConfig(rate_limits="off", drift=False, seed=SEED,
                                     frozen_at=FIXED_NOW))


# --- helpers for the arrangements ------------------------------------------------------------


async def settle(app: Any, pilot: Any) -> None:
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(3):
        try:
            await app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):
            pass
        await pilot.pause()


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not reach the expected state in time")
        await pilot.pause(0.05)


def session_with_players(app: Any) -> str:
    """The first ACTIVE session with players in the session table: the detail shows them."""
    from tui.ui.panes.sessions import SessionsPane

    pane = app.query_one(SessionsPane)
    for key in pane.table.ordered_keys:
        session = pane.sessions.get(str(key))
        if session and session.status == "ACTIVE" and session.current_player_session_count:
            return str(key)
    raise RuntimeError("no ACTIVE session with players in the first fleet")


async def cursor_on_session(app: Any, pilot: Any) -> None:
    from tui.ui.panes.sessions import SessionsPane

    pane = app.query_one(SessionsPane)
    await wait_for(pilot, lambda: pane.table.row_count > 0 and not pane.loading_sessions)
    key = session_with_players(app)
    pane.table.focus()
    pane.table.move_cursor(row=pane.table.get_row_index(key))
    await pilot.pause()


async def open_stage(app: Any, pilot: Any, game: str = "space-raiders",
                     stage: str = "prod") -> Any:
    from tui.ui.panes.stages import DEPLOYMENTS, GAME, STAGE, Ref, StagesPane

    await pilot.press("4")
    pane = app.query_one(StagesPane)
    tree = pane.stage_tree
    for ref in (Ref(GAME, game), Ref(STAGE, game, stage), Ref(DEPLOYMENTS, game, stage)):
        await wait_for(pilot, lambda ref=ref: pane._find(ref.key) is not None)
        tree.move_cursor(pane._find(ref.key))
        await pilot.press("space")  # expand
        await pilot.pause()
    await wait_for(pilot, lambda: (game, stage) in pane.deployments and not pane.pending)
    tree.move_cursor(pane._find(Ref(STAGE, game, stage).key))
    await settle(app, pilot)
    return pane


# --- the pictures ----------------------------------------------------------------------------


async def sessions(app: Any, pilot: Any) -> None:
    await cursor_on_session(app, pilot)


async def search(app: Any, pilot: Any) -> None:
    from tui.ui.panes.search import SearchPane

    await pilot.press("2")
    pane = app.query_one(SearchPane)
    await settle(app, pilot)
    await pilot.press("g")  # run the default search: sessions with players
    await settle(app, pilot)
    await wait_for(pilot, lambda: not pane.running)
    # The measured time varies from run to run; the picture should not.
    pane.search_run.elapsed = 0.1
    pane.show_status()


async def filter_builder(app: Any, pilot: Any) -> None:
    from tui.services.filter_builder import SearchSpec
    from tui.ui.panes.search import SearchPane

    await pilot.press("2")
    pane = app.query_one(SearchPane)
    await settle(app, pilot)
    pane.load_spec(SearchSpec(
        filter_expression="playerSessionCount > 0 AND (gameSessionProperties.mode = 'ranked' "
                          "OR gameSessionProperties.mode = 'tournament') AND "
                          "NOT hasAvailablePlayerSessions = false",
        sort_expression="playerSessionCount DESC"))
    await settle(app, pilot)
    builder = app.query_one("#search-builder")
    builder.focus()
    builder.highlighted = 2  # gameSessionProperties.mode = 'ranked', inside the OR group
    await pilot.press("enter")  # edit it
    await settle(app, pilot)


async def scripts(app: Any, pilot: Any) -> None:
    await pilot.press("3")
    await settle(app, pilot)
    await wait_for(pilot, lambda: app.query_one("#scripts-table").row_count > 0)


async def stages(app: Any, pilot: Any) -> None:
    from tui.ui.panes.stages import DEPLOYMENTS, Ref

    pane = await open_stage(app, pilot)
    failed = pane._find(Ref(DEPLOYMENTS, "space-raiders", "prod").key).children[0]
    pane.stage_tree.move_cursor(failed)
    await settle(app, pilot)


async def session_detail(app: Any, pilot: Any) -> None:
    from tui.ui.screens.session_detail import SessionDetailScreen

    await cursor_on_session(app, pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SessionDetailScreen))
    await settle(app, pilot)


async def terminate_confirm(app: Any, pilot: Any) -> None:
    from tui.ui.screens.confirm import TerminateModal

    await cursor_on_session(app, pilot)
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, TerminateModal))


async def rollback_diff(app: Any, pilot: Any) -> None:
    from tui.ui.screens.stage_deploy import StageDeployModal
    from tui.ui.screens.stage_pick import StagePickModal

    await open_stage(app, pilot)
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, StagePickModal))
    await pilot.press("enter")  # the newest good deployment
    await wait_for(pilot, lambda: isinstance(app.screen, StageDeployModal))
    await settle(app, pilot)


async def help_keys(app: Any, pilot: Any) -> None:
    await cursor_on_session(app, pilot)
    await pilot.press("question_mark")


async def export_dialog(app: Any, pilot: Any) -> None:
    from tui.ui.screens.export_dialog import ExportModal

    await cursor_on_session(app, pilot)
    await pilot.press("E")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportModal))


async def activity(app: Any, pilot: Any) -> None:
    """Three actions first — a lock that works, a protect the role may not do, a lock refused
    in read-only mode — then `L`."""
    from tui.aws.guard import ReadOnlyViolation
    from tui.services import gamelift
    from tui.ui.screens.activity import ActivityScreen
    from tui.ui.screens.base import REPEAT_SECONDS, OnceConfirm

    async def confirm(key: str) -> None:
        # A confirmation hears only keys typed after it was drawn (and not a repeat).
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, OnceConfirm) and app.screen.drawn)
        await pilot.pause(REPEAT_SECONDS)
        await pilot.press("y")
        await settle(app, pilot)

    await cursor_on_session(app, pilot)
    await confirm("l")  # lock to new players: ok
    simulator = app.simulator.sim
    simulator.denied = {"UpdateGameSession"}
    await confirm("p")  # protect: AccessDenied
    simulator.denied = set()
    # Read-only: the key no longer opens the flow, so the refusal comes from the guard itself.
    app.aws.read_only = True
    try:
        gamelift.update_game_session(app.aws, session_with_players(app),
                                     PlayerSessionCreationPolicy="ACCEPT_ALL")
    except ReadOnlyViolation:
        pass
    app.aws.read_only = False
    await pilot.press("L")
    await wait_for(pilot, lambda: isinstance(app.screen, ActivityScreen)
                   and app.screen.query_one("#activity-table").row_count >= 3)


SHOTS: dict[str, Callable[[Any, Any], Awaitable[None]]] = {
    "sessions": sessions,
    "search": search,
    "filter-builder": filter_builder,
    "scripts": scripts,
    "stages": stages,
    "session-detail": session_detail,
    "terminate-confirm": terminate_confirm,
    "rollback-diff": rollback_diff,
    "help": help_keys,
    "export": export_dialog,
    "activity": activity,
}


async def take(name: str, sim: Any, out: Path) -> Path:
    from textual.widgets import Input

    from tui.aws.session import AwsContext, Target
    from tui.ui.app import GameOpsApp
    from tui.ui.widgets.context_bar import ContextBar

    # No API budget, only counting: the meter then reads "API <5%" in every picture, instead
    # of a share that depends on how many pictures were taken before on this simulator.
    target = Target(profile=None, region="us-west-2", endpoint_url=sim.endpoint_url, demo=True,
                    api_budget=None)
    app = GameOpsApp(AwsContext(target), simulator=sim)
    async with app.run_test(size=SIZE) as pilot:
        # The same colours whatever terminal runs the script (the app would pick a 16-colour
        # theme for a 16-colour terminal).
        if THEME in app.available_themes:
            app.theme = THEME
        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        await settle(app, pilot)
        await SHOTS[name](app, pilot)
        await settle(app, pilot)
        # What changes from run to run and is not the app's doing.
        for widget in [*app.screen_stack[0].query("*"), *app.screen.query("*")]:
            if hasattr(widget, "updated_at") and getattr(widget, "updated_at", None) is not None:
                widget.updated_at = time.monotonic()
                show = getattr(widget, "show_status", None)
                if callable(show):
                    show()
            if isinstance(widget, Input):
                widget.cursor_blink = False
        app.clear_notifications()
        await pilot.pause(0.2)
        app.save_screenshot(filename=f"{name}.svg", path=str(out))
    return out / f"{name}.svg"


async def main(args: list[str]) -> int:
    out = OUT
    if args[:1] == ["--out"] and len(args) >= 2:
        out, args = Path(args[1]), args[2:]
    unknown = [n for n in args if n not in SHOTS]
    if unknown:
        print(f"unknown screenshot(s): {', '.join(unknown)}; known: {', '.join(SHOTS)}",
              file=sys.stderr)
        return 2
    prepare_environment()
    freeze_app_time()
    fix_tokens()
    out.mkdir(parents=True, exist_ok=True)
    sim = start_world()
    try:
        for name in args or list(SHOTS):
            print(await take(name, sim, out))
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
