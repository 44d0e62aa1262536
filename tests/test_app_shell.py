"""The app shell on the demo world: it starts, shows the context, switches panes, helps, quits."""

from __future__ import annotations

import time
from pathlib import Path

from apptest import make_app, settle
from textual.widgets import TabbedContent

from tui.aws.session import AwsContext, Target
from tui.sim.server import RunningSimulator
from tui.ui.app import GameOpsApp
from tui.ui.screens.help import HelpScreen
from tui.ui.widgets.context_bar import ContextBar


async def test_demo_app_starts_with_context_bar(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = app.query_one(ContextBar).render_bar().plain
        assert "DEMO" in bar
        assert "READ-ONLY" in bar
        assert "us-west-2" in bar
        assert app.query_one("#panes", TabbedContent).active == "sessions"


async def test_number_keys_switch_panes(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        for key, pane in (("2", "search"), ("3", "scripts"), ("4", "stages"), ("1", "sessions")):
            await pilot.press(key)
            assert app.query_one("#panes", TabbedContent).active == pane


async def test_help_lists_live_keys_and_closes(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {row[0] for _, rows in app.screen.sections for row in rows}
        assert {"1", "2", "3", "4", "?", "r", "q"} <= keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(sim: RunningSimulator, home: Path) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
    assert app.return_code in (0, None)


def test_help_screen_snapshot(home: Path, snap_compare) -> None:  # noqa: ANN001
    # A private frozen world, so the Sessions pane behind the help screen holds still.
    import httpx

    from tui.sim.server import SimConfig, start_simulator
    from tui.ui.panes.sessions import SessionsPane

    world = start_simulator(SimConfig(rate_limits="off", sessions=60, drift=False))
    httpx.post(f"{world.endpoint_url}/_sim/clock", json={"freeze": True})
    app = make_app(world)

    async def open_help(pilot) -> None:  # noqa: ANN001
        await settle(app, pilot)
        bar = app.query_one(ContextBar)
        bar.endpoint_label = "http://127.0.0.1:PORT"
        bar.update(bar.render_bar())
        pane = app.query_one(SessionsPane)
        pane.updated_at = None  # "updated Ns ago" ticks with the wall clock
        pane.show_status()
        await pilot.press("question_mark")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)
    finally:
        world.stop()


# --- config in the app: keys, theme, refresh, problems ------------------------------------------

def settings_app(sim: RunningSimulator, **values) -> GameOpsApp:  # noqa: ANN003
    from tui.config import Settings

    target = Target(api_budget=None,
                    profile=None, region="us-west-2", endpoint_url=sim.endpoint_url, demo=True)
    return GameOpsApp(AwsContext(target), simulator=sim, settings=Settings(**values))


async def test_keys_from_config_rebind_and_show_in_help(sim: RunningSimulator, home: Path) -> None:
    from pathlib import Path as P

    app = settings_app(sim, keys={"app.refresh": "f5", "session-table.terminate": "T",
                                  "nope.missing": "z"},
                       key_lines={"nope.missing": 7}, path=P("/cfg/config.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        active = app.screen.active_bindings
        assert active["f5"].binding.action == "refresh_pane"
        assert "r" not in active or active["r"].binding.action != "refresh_pane"
        assert active["T"].binding.action == "terminate"
        assert "t" not in active  # the old key is free
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("/cfg/config.toml, line 7, key keys.nope.missing: no key "
                                "binding has this id") for m in messages)
        await pilot.press("question_mark")
        rows = {row[2]: row[0] for _, rows in app.screen.sections for row in rows}
        assert rows["app.refresh"] == "f5" and rows["session-table.terminate"] == "T"
        await pilot.press("escape")
        # The palette names pane actions with their live key.
        assert ("Sessions: Terminate", "key T") in {
            (c.title, c.help) for c in app.get_system_commands(app.screen)}


async def test_palette_finds_pane_actions_and_switches(sim: RunningSimulator, home: Path) -> None:
    from textual.command import CommandList, CommandPalette

    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"switch region")
        await pilot.pause(0.3)
        found = app.screen.query_one(CommandList)
        prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        assert any("Switch region" in p and "(key G)" in p for p in prompts)
        await pilot.press("escape", "escape")
        await pilot.press("ctrl+p", *"sort")
        await pilot.pause(0.3)
        found = app.screen.query_one(CommandList)
        prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        assert any("Sessions: Sort" in p and "key s" in p for p in prompts)


async def test_theme_from_config_then_remembered(sim: RunningSimulator, home: Path) -> None:
    app = settings_app(sim, theme="nord")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "nord"
        app.theme = "dracula"  # what the palette's theme picker does
        await pilot.pause()
    app = settings_app(sim, theme="nord")
    async with app.run_test(size=(80, 24)):
        assert app.theme == "dracula"
    app = settings_app(sim, theme="gruvbox")  # the config was edited since: it wins
    async with app.run_test(size=(80, 24)):
        assert app.theme == "gruvbox"


async def test_unknown_theme_is_named_and_default_used(sim: RunningSimulator, home: Path) -> None:
    from pathlib import Path as P

    app = settings_app(sim, theme="neon-pink", path=P("/cfg/config.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert any("key theme: no theme 'neon-pink'" in n.message for n in app._notifications)
    from tui import locations

    assert not locations.state_file(create=False).exists()  # a fallback is not a choice


async def test_config_problems_are_shown_and_refresh_settings_reach_the_panes(
        sim: RunningSimulator, home: Path) -> None:
    app = settings_app(sim, refresh_seconds=45.0, paging_concurrency=2,
                       problems=("/cfg/config.toml, line 3, key region: bad; using the default",))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.query_one("#sessions-pane")
        assert (pane.refresh_seconds, pane.interval, pane.paging_concurrency) == (45.0, 45.0, 2)
        assert any("line 3, key region" in n.message for n in app._notifications)


async def test_no_color_keeps_every_signal_in_words(sim: RunningSimulator, home: Path,
                                                    monkeypatch) -> None:  # noqa: ANN001
    from tui.config import BannerRule

    monkeypatch.setenv("NO_COLOR", "1")
    app = settings_app(sim, banner=(BannerRule("*demo*", "red", "DEMO-ACCT"),))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.no_color
        text = app.query_one(ContextBar).render_bar().plain
        assert text.startswith(" DEMO-ACCT ") and "DEMO" in text


def test_sixteen_colour_terminal_gets_an_ansi_theme() -> None:
    from tui.ui.app import theme_for_terminal

    # Rich reports "standard" for TERM=xterm / screen: 16 colours, so the terminal's own
    # palette (ansi-dark) rather than truecolor squeezed into 16 colours.
    assert theme_for_terminal("standard", headless=False) == "ansi-dark"
    assert theme_for_terminal("256", headless=False) == "textual-dark"
    assert theme_for_terminal("truecolor", headless=False) == "textual-dark"
    assert theme_for_terminal("standard", headless=True) == "textual-dark"
    # NO_COLOR: Textual's monochrome filter over a truecolor theme keeps the contrast.
    assert theme_for_terminal("standard", headless=False, no_color=True) == "textual-dark"


async def test_hidden_panes_are_built_after_the_fleet_list_and_load_on_their_own(
        sim: RunningSimulator, home: Path) -> None:
    from apptest import wait_for

    from tui.ui.app import WARM_UP_FALLBACK
    from tui.ui.panes.base import Pane
    from tui.ui.panes.sessions import SessionsPane
    from tui.ui.panes.stages import StagesPane

    app = make_app(sim)
    started = time.monotonic()
    async with app.run_test(size=(100, 30)) as pilot:
        sessions = app.query_one(SessionsPane)
        first = [type(p).__name__ for p in app.query(Pane)]
        # The first screen holds only the pane the user sees (unless the fleet list is already
        # painted, or start-up took so long on a loaded machine that the fallback fired).
        if sessions.fleets_painted_at is None and time.monotonic() - started < WARM_UP_FALLBACK:
            assert first == ["SessionsPane"]
        await wait_for(pilot, lambda: sessions.fleet_rows, timeout=30)
        # Then the others are built and start loading without the user visiting them.
        await wait_for(pilot, lambda: len(app.query(Pane)) == 4, timeout=30)
        stages = app.query_one(StagesPane)
        # Mounted is not yet composed (a loaded machine shows the gap): the tree comes first.
        await wait_for(pilot, lambda: stages.query("#stages-tree")
                       and stages.stage_tree.root.children, timeout=30)
        await pilot.press("4")
        assert app.query_one("#panes", TabbedContent).active == "stages"
        assert any("space-raiders" in str(n.label) for n in stages.stage_tree.root.children)


async def test_pane_shown_before_warm_up_is_built_at_once(sim: RunningSimulator,
                                                          home: Path) -> None:
    from apptest import pane_of, wait_for

    from tui.ui.panes.scripts import ScriptsPane

    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")  # before the fleet list has even arrived
        pane = await pane_of(app, pilot, ScriptsPane)
        assert app.active_pane_id() == "scripts"
        await wait_for(pilot, lambda: pane.first_load_begun)
        await wait_for(pilot, lambda: pane.query_one("#scripts-table").row_count > 0, timeout=30)


async def test_footer_follows_the_pane_shown(sim: RunningSimulator, home: Path) -> None:
    from apptest import wait_for
    from textual.widgets._footer import FooterKey

    app = make_app(sim)

    def footer_keys() -> set[str]:
        return {str(k.description) for k in app.query(FooterKey)}

    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        await wait_for(pilot, lambda: "Terminate" in " ".join(footer_keys()))
        await pilot.press("4")
        await wait_for(pilot, lambda: "Roll back stage" in footer_keys())
        assert "Terminate" not in " ".join(footer_keys())


async def test_footer_waits_while_rows_stream_in(sim: RunningSimulator, home: Path,
                                                 monkeypatch) -> None:  # noqa: ANN001
    from apptest import wait_for
    from textual.widgets._footer import FooterKey

    from tui.ui.widgets.footer import KeyFooter

    app = make_app(sim)
    started = time.monotonic()

    def footer_keys() -> str:
        return " ".join(str(k.description) for k in app.query(FooterKey))

    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        await wait_for(pilot, lambda: "Terminate" in footer_keys())
        # The first fleet's sessions reached the table, and the table said so.
        assert app.last_data_at > started
        # Rows keep arriving (never a quiet moment) while the user switches panes.
        monkeypatch.setattr(app, "last_data_at", float("inf"))
        monkeypatch.setattr(KeyFooter, "MAX_DEFER", 60.0)
        await pilot.press("4")
        await pilot.pause(KeyFooter.SETTLE * 4)
        assert "Terminate" in footer_keys()
        assert "Roll back stage" not in footer_keys()
        # The stream ends: the footer follows the pane now shown.
        app.last_data_at = 0.0
        await wait_for(pilot, lambda: "Roll back stage" in footer_keys())

        # A stream that does not end holds the footer back only for MAX_DEFER.
        app.last_data_at = float("inf")
        monkeypatch.setattr(KeyFooter, "MAX_DEFER", 0.3)
        await pilot.press("1")
        await wait_for(pilot, lambda: "Terminate" in footer_keys())


async def test_focus_request_while_the_shown_pane_is_still_being_built(
        sim: RunningSimulator, home: Path) -> None:
    """The focus queued at start-up (and after a profile switch) can land while the pane the
    user just asked for is in the tree but its widgets are not composed yet: under a loaded
    CI machine that crashed the app. It must wait, and the pane gets the keyboard once built."""
    from textual.widgets import TabPane

    from tui.ui.panes.search import BuilderList

    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        tab = app.query_one("#search", TabPane)
        await tab.remove_children()  # whether or not the warm-up got there first
        pane = app.make_pane("search")
        mounting = tab.mount(pane)  # in the tree now; composed only once this is awaited
        app.query_one("#panes", TabbedContent).active = "search"
        assert not pane.is_mounted and not pane.query(BuilderList)
        app._focus_pane()
        await mounting
        app._focus_pane()
        await pilot.pause()
        assert isinstance(app.focused, BuilderList)
        assert app.is_running and app.active_pane_id() == "search"


async def test_a_late_focus_from_the_pane_just_left_does_not_switch_back(
        sim: RunningSimulator, home: Path) -> None:
    """Textual applies a focus a turn after it is asked for, and TabbedContent shows the pane
    of a focused widget: the fleet list arriving just after the user pressed 2 threw them back
    to Sessions. The pane the user chose stays, and keeps the keyboard."""
    from apptest import pane_of, wait_for

    from tui.ui.panes.search import BuilderList, SearchPane
    from tui.ui.panes.sessions import FleetTable

    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await pane_of(app, pilot, SearchPane)
        await wait_for(pilot, lambda: isinstance(app.focused, BuilderList))
        app.query_one(FleetTable).focus()  # asked for by the Sessions pane, now hidden
        await pilot.pause(0.2)
        assert app.active_pane_id() == "search"
        await wait_for(pilot, lambda: isinstance(app.focused, BuilderList), timeout=5)
        await pilot.press("1")
        assert app.active_pane_id() == "sessions"
        await wait_for(pilot, lambda: isinstance(app.focused, FleetTable), timeout=5)


async def test_palette_shows_a_hostile_saved_search_name_literally(sim: RunningSimulator,
                                                                   home: Path) -> None:
    # Textual's palette parses titles and help as markup; a saved search is a file's text.
    from textual.command import CommandList, CommandPalette

    from tui.services.filter_builder import SearchSpec
    from tui.services.saved_searches import SearchStore

    SearchStore().save("[/]lobby [@click=app.quit]x[/]",
                       SearchSpec(fleet_id="fleet-1", filter_expression="name = '[/]'"))
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p", *"saved search")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        found = app.screen.query_one(CommandList)
        prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
        assert any("[/]lobby [@click=app.quit]x[/]" in p and "name = '[/]'" in p
                   for p in prompts), prompts
        await pilot.press("escape")
        assert app.is_running
