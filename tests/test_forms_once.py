"""Forms and confirmations answer once (issue 15, items 3-5 and the terminate part of 12).

Real app, real simulator over HTTP. Each double press is tried back to back (both keys queued
before the first is handled) and 150 ms apart; afterwards exactly one request was applied
(the simulator's mutation log), the app is running, and no detail screen or second modal is
open. Keys stamped before a confirmation was drawn never confirm it. Editing Max players leaves
a padded name and values with commas or spaces exactly as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, pane_of, settle, type_burst, wait_for
from simctl import World
from textual import events
from textual.widgets import Input

from tui.ui.app import GameOpsApp
from tui.ui.panes.sessions import SessionsPane
from tui.ui.screens.base import REPEAT_SECONDS, OnceModal
from tui.ui.screens.confirm import ConfirmModal, TerminateModal
from tui.ui.screens.edit_session import CreateSessionModal, EditSessionModal, PropertyRows
from tui.ui.screens.session_detail import SessionDetailScreen
from tui.ui.widgets.session_grid import SessionGrid

GAPS = [0.0, 0.15]  # back to back, and 150 ms apart
CHARS = {"enter": "\r", "y": "y", "p": "p"}

# Each test its own frozen world of 120 sessions: its mutation log holds only what it sent.
pytestmark = pytest.mark.world(sessions=120)


def burst(app: GameOpsApp, *keys: str) -> None:
    """Queue every key at once: the second is waiting before the first is handled."""
    for key in keys:
        app.post_message(events.Key(key, CHARS.get(key)))


async def double(app: GameOpsApp, pilot: Any, key: str, gap: float) -> None:
    """The key twice: queued together, or the second ``gap`` seconds after the first (its
    stamp says so, as the terminal's reader would stamp it, however slow this machine is)."""
    if gap:
        first = events.Key(key, CHARS.get(key))
        app.post_message(first)
        await pilot.pause(gap)
        second = events.Key(key, CHARS.get(key))
        second.time = first.time + gap
        app.post_message(second)
    else:
        burst(app, key, key)
    await handled(app, pilot)


async def handled(app: GameOpsApp, pilot: Any, rounds: int = 3) -> None:
    """Every key posted so far has been handled, and what it led to: ``rounds`` times, a
    callback queued behind every message on the app and on each node of every open screen
    has run (a key goes from the app to the screen to the focused widget; a screen it opens
    is walked in the next round). The moment a second answer would have happened."""
    for _ in range(rounds):
        ran: list[bool] = []
        nodes = [app, *(node for screen in app.screen_stack
                        for node in screen.walk_children(with_self=True))]
        expected = sum(1 for node in nodes if node.call_later(ran.append, True))
        await wait_for(pilot, lambda ran=ran, n=expected: len(ran) >= n)


async def focus(pilot: Any, app: GameOpsApp, widget: Any) -> None:
    widget.focus()
    await wait_for(pilot, lambda: app.focused is widget)


async def applied(app: GameOpsApp, pilot: Any, world: World,
                  operation: str) -> list[dict[str, Any]]:
    """The ``operation`` calls the service applied, once the first has arrived and then every
    key has been handled and every worker has finished: a second would be there too."""
    await wait_for(pilot, lambda: world.mutations(operation))
    await handled(app, pilot)
    await settle(app, pilot)
    return world.mutations(operation)


async def shown(pilot: Any, app: GameOpsApp, cls: type) -> Any:
    """The modal of that class once its first frame has been painted."""
    await wait_for(pilot, lambda: isinstance(app.screen, cls) and app.screen.drawn, timeout=5)
    return app.screen


async def past_repeat(pilot: Any) -> None:
    await pilot.pause(REPEAT_SECONDS + 0.1)


def modals(app: GameOpsApp) -> list[OnceModal[Any]]:
    return [s for s in app.screen_stack if isinstance(s, OnceModal)]


def no_detail(app: GameOpsApp) -> bool:
    return not any(isinstance(s, SessionDetailScreen) for s in app.screen_stack)


async def cursor_to_active(app: GameOpsApp, world: World) -> str:
    pane = app.query_one(SessionsPane)
    table = app.query_one("#session-table", SessionGrid)
    truth = world.sessions()
    target = next(k for k in (str(r.value) for r in table.rows)
                  if truth[k]["Status"] == "ACTIVE" and k in pane.sessions)
    table.focus()
    table.move_cursor(row=table.get_row_index(target))
    return target


async def confirm_twice(app: GameOpsApp, pilot: Any, key: str, gap: float) -> None:
    """On a drawn confirmation: the confirming key twice (Enter on the Confirm button)."""
    await past_repeat(pilot)
    if key == "enter":
        await focus(pilot, app, app.screen.query_one("#confirm"))
    await double(app, pilot, key, gap)


# --------------------------------------------------------------------------- edit and create


@pytest.mark.parametrize("gap", GAPS)
async def test_edit_double_enter_opens_one_confirmation_and_sends_once(
        world: World, home: Path, gap: float) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await cursor_to_active(app, world)
        before = world.sessions()[target]["MaximumPlayerSessionCount"]
        world.clear_mutations()
        await pilot.press("e")
        form = await shown(pilot, app, EditSessionModal)
        form.query_one("#max", Input).value = str(before + 1)
        await focus(pilot, app, form.query_one("#max", Input))
        await double(app, pilot, "enter", gap)  # returns once both Enters were handled
        assert app.is_running and no_detail(app)
        assert [type(m) for m in modals(app)] == [EditSessionModal, ConfirmModal]
        assert world.mutations() == []  # nothing is sent before the confirmation says yes
        await shown(pilot, app, ConfirmModal)
        await confirm_twice(app, pilot, "enter", gap)
        sent = await applied(app, pilot, world, "UpdateGameSession")
        assert app.is_running and no_detail(app) and modals(app) == []
        assert len(sent) == 1 and sent[0]["target"] == target
        assert world.sessions()[target]["MaximumPlayerSessionCount"] == before + 1


@pytest.mark.parametrize("gap", GAPS)
async def test_create_double_enter_and_double_y_create_one_session(
        world: World, home: Path, gap: float) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.query_one("#session-table", SessionGrid).focus()
        world.clear_mutations()
        await pilot.press("n")
        form = await shown(pilot, app, CreateSessionModal)
        form.query_one("#name", Input).value = f"double-{gap}"
        await focus(pilot, app, form.query_one("#max", Input))
        await double(app, pilot, "enter", gap)
        assert app.is_running and no_detail(app)
        assert [type(m) for m in modals(app)] == [CreateSessionModal, ConfirmModal]
        confirm = await shown(pilot, app, ConfirmModal)
        cli = str(confirm.query_one("#confirm-cli").render())
        assert "aws gamelift create-game-session" in cli and form.token in cli
        await confirm_twice(app, pilot, "y", gap)
        created = await applied(app, pilot, world, "CreateGameSession")
        assert app.is_running and no_detail(app) and modals(app) == []
        assert len(created) == 1
        assert created[0]["params"]["Name"] == f"double-{gap}"


async def test_cancel_in_the_confirmation_returns_to_the_form(world: World,
                                                              home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await cursor_to_active(app, world)
        world.clear_mutations()
        await pilot.press("e")
        form = await shown(pilot, app, EditSessionModal)
        form.query_one("#max", Input).value = "77"
        await pilot.click("#save")
        await shown(pilot, app, ConfirmModal)
        await past_repeat(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form)
        # Back on the form: the confirmation was answered no, nothing was sent.
        assert form.query_one("#max", Input).value == "77" and world.mutations() == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: modals(app) == [])
        await settle(app, pilot)  # every worker done
        assert world.mutations() == []


async def test_edit_of_max_players_leaves_everything_else_as_it_was(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await cursor_to_active(app, world)
        props = [{"Key": "map", "Value": "dust, mode=deathmatch"},
                 {"Key": "note", "Value": " spaced "}]
        world.aws().client("gamelift").update_game_session(
            GameSessionId=target, Name=" padded-name ", GameProperties=props)
        pane = app.query_one(SessionsPane)
        await pilot.press("r")
        await wait_for(pilot, lambda: target in pane.sessions
                       and pane.sessions[target].name == " padded-name ")
        await settle(app, pilot)
        await cursor_to_active(app, world)
        app.query_one("#session-table", SessionGrid).move_cursor(
            row=app.query_one("#session-table", SessionGrid).get_row_index(target))
        before = world.sessions()[target]
        world.clear_mutations()
        await pilot.press("e")
        form = await shown(pilot, app, EditSessionModal)
        assert form.query_one("#name", Input).value == " padded-name "
        rows = form.query_one(PropertyRows).rows()
        assert ("map", "dust, mode=deathmatch") in rows and ("note", " spaced ") in rows
        new_max = before["MaximumPlayerSessionCount"] + 3
        form.query_one("#max", Input).value = str(new_max)
        await pilot.click("#save")
        confirm = await shown(pilot, app, ConfirmModal)
        body = str(confirm.query_one("#confirm-body").render())
        cli = str(confirm.query_one("#confirm-cli").render())
        assert f"Max players: {before['MaximumPlayerSessionCount']} → {new_max}" in body
        assert "Name" not in body and "property" not in body
        assert "aws gamelift update-game-session" in cli and target in cli
        assert f"--maximum-player-session-count {new_max}" in cli
        assert "--name" not in cli and "--game-properties" not in cli
        await past_repeat(pilot)
        await pilot.press("y")
        await applied(app, pilot, world, "UpdateGameSession")
        sent = world.mutations()
        assert [m["operation"] for m in sent] == ["UpdateGameSession"]
        assert set(sent[0]["params"]) == {"GameSessionId", "MaximumPlayerSessionCount"}
        after = world.sessions()[target]
        assert after["Name"] == " padded-name "
        assert after["GameProperties"] == before["GameProperties"]
        assert {p["Key"]: p["Value"] for p in after["GameProperties"]}["note"] == " spaced "
        assert after["MaximumPlayerSessionCount"] == new_max


async def test_property_rows_change_one_value_and_add_one(world: World,
                                                          home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await cursor_to_active(app, world)
        before = world.sessions()[target]
        world.clear_mutations()
        await pilot.press("e")
        form = await shown(pilot, app, EditSessionModal)
        rows = form.query_one(PropertyRows)
        first_key = before["GameProperties"][0]["Key"]
        form.query_one("#prop-value-0", Input).value = "a, b=c "
        await pilot.click("#add-prop")
        await wait_for(pilot, lambda: rows.row_count == len(before["GameProperties"]) + 1)
        assert app.focused is list(rows.query(".prop-key"))[-1]  # ready for the new key
        await rows.add_row()
        await wait_for(pilot, lambda: rows.row_count == len(before["GameProperties"]) + 2)
        keys = list(rows.query(".prop-key"))
        values = list(rows.query(".prop-value"))
        keys[-2].value, values[-2].value = "added", " x "
        keys[-1].value, values[-1].value = "dropped", "y"
        removes = list(rows.query(".prop-remove"))
        assert len(removes) == 2  # the session's own properties cannot be removed
        removes[-1].press()
        await wait_for(pilot, lambda: rows.row_count == len(before["GameProperties"]) + 1)
        await pilot.click("#save")
        confirm = await shown(pilot, app, ConfirmModal)
        body = str(confirm.query_one("#confirm-body").render())
        assert f'property {first_key}: "{before["GameProperties"][0]["Value"]}" → "a, b=c "' \
            in body
        assert 'property added: (not set) → " x "' in body
        await past_repeat(pilot)
        await pilot.press("y")
        await applied(app, pilot, world, "UpdateGameSession")
        sent = [m["params"] for m in world.mutations()]
        assert sent == [{"GameSessionId": target, "GameProperties": [
            {"Key": first_key, "Value": "a, b=c "}, {"Key": "added", "Value": " x "}]}]


# --------------------------------------------------------------------------- confirmations


@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("toggle, key", [("p", "y"), ("l", "enter")])
async def test_toggle_confirmation_answers_once(world: World, home: Path,
                                                gap: float, toggle: str, key: str) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        target = await cursor_to_active(app, world)
        world.clear_mutations()
        await pilot.press(toggle)
        confirm = await shown(pilot, app, ConfirmModal)
        body = str(confirm.query_one("#confirm-body").render())
        assert "→" in body
        assert target in str(confirm.query_one("#confirm-cli").render())
        await confirm_twice(app, pilot, key, gap)
        await applied(app, pilot, world, "UpdateGameSession")
        assert app.is_running and no_detail(app) and modals(app) == []
        assert len(world.mutations()) == 1


@pytest.mark.parametrize("gap", GAPS)
async def test_terminate_answers_once(world: World, home: Path, gap: float) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await cursor_to_active(app, world)
        world.clear_mutations()
        await pilot.press("t")
        await shown(pilot, app, TerminateModal)
        await confirm_twice(app, pilot, "enter", gap)
        await applied(app, pilot, world, "TerminateGameSession")
        assert app.is_running and no_detail(app) and modals(app) == []
        assert [m["operation"] for m in world.mutations()] == ["TerminateGameSession"]


async def test_keys_typed_before_a_confirmation_was_drawn_never_confirm(
        world: World, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await cursor_to_active(app, world)
        world.clear_mutations()
        # Typed as a word, all at once: the y is read before the confirmation exists.
        await type_burst(app, pilot, "py")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))  # p was handled
        await handled(app, pilot)  # and so was the y, and whatever it led to
        await settle(app, pilot)
        assert world.mutations() == []
        if isinstance(app.screen, ConfirmModal):
            await pilot.press("escape")
        await wait_for(pilot, lambda: modals(app) == [])
        # A y read from the terminal while the confirmation was being drawn, handled after
        # it was: its stamp is older than the first frame.
        await past_repeat(pilot)
        await pilot.press("p")
        confirm = await shown(pilot, app, ConfirmModal)
        for key in ("y", "enter"):
            early = events.Key(key, CHARS[key])
            early.time = confirm._once_drawn_at - 0.01  # type: ignore[operator]
            if key == "enter":
                await focus(pilot, app, confirm.query_one("#confirm"))
            app.post_message(early)
            await handled(app, pilot)  # the key has been handled (and ignored)
        assert app.screen is confirm and not confirm.answered
        await settle(app, pilot)
        assert world.mutations() == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: modals(app) == [])
        await settle(app, pilot)
        assert world.mutations() == []


async def test_terminate_warns_when_protection_is_on_or_unknown(world: World,
                                                                home: Path) -> None:
    import dataclasses

    app = make_app(world)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        active = [s for s in pane.sessions.values() if s.status == "ACTIVE"][:3]
        for policies, words in ((("NoProtection",), None),
                                ((None,), "1 whose protection is unknown (?)"),
                                (("FullProtection", None, "NoProtection"),
                                 "1 protected and 1 whose protection is unknown (?)")):
            sessions = [dataclasses.replace(s, protection_policy=p)
                        for s, p in zip(active, policies, strict=False)]
            modal = TerminateModal(sessions, "EC2")
            app.push_screen(modal)
            await shown(pilot, app, TerminateModal)
            warning = modal.query("#protection-warning")
            if words is None:
                assert not warning
            else:
                assert words in str(warning.first().render())
            if None in policies:
                assert "protection ?" in app.export_screenshot().replace("&#160;", " ")
            await pilot.press("escape")
            await wait_for(pilot, lambda: modals(app) == [])


# --------------------------------------------------------------------------- search and stages


@pytest.mark.parametrize("gap", GAPS)
async def test_add_condition_double_enter_adds_one(world: World, home: Path,
                                                   gap: float) -> None:
    from textual.widgets import OptionList

    from tui.ui.panes.search import SearchPane
    from tui.ui.screens.search_forms import ConditionForm

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(app, pilot)
        pane = await pane_of(app, pilot, SearchPane)
        builder = pane.query_one("#search-builder", OptionList)
        await wait_for(pilot, lambda: app.focused is builder)
        count = builder.option_count
        await pilot.press("a")
        form = await shown(pilot, app, ConditionForm)
        form.query_one("#value", Input).value = "7"
        await focus(pilot, app, form.query_one("#value", Input))
        await double(app, pilot, "enter", gap)  # returns once both Enters were handled
        await wait_for(pilot, lambda: builder.option_count > count)
        await handled(app, pilot)
        await settle(app, pilot)
        assert app.is_running and modals(app) == []
        assert builder.option_count == count + 1


@pytest.mark.world(sessions=20)
@pytest.mark.parametrize("gap", GAPS)
async def test_new_snapshot_double_enter_creates_one(world: World, home: Path,
                                                     gap: float) -> None:
    from test_stages_pane import open_stage

    from tui.ui.screens.snapshot_create import SnapshotCreateModal

    app = make_app(world)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_stage(app, pilot, "kart-league", "dev")
        screens = list(app.screen_stack)
        world.clear_mutations()
        await pilot.press("n")
        form = await shown(pilot, app, SnapshotCreateModal)
        form.query_one("#snapshot-description", Input).value = " twice? "
        await double(app, pilot, "enter", gap)
        created = await applied(app, pilot, world, "CreateSnapshot")
        await wait_for(pilot, lambda: not pane.pending)
        assert app.is_running and list(app.screen_stack) == screens
        assert len(created) == 1
        # The public model's SnapshotDescription pattern refuses outer white space: trimmed.
        assert created[0]["params"]["Description"] == "twice?"
