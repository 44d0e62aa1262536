"""Credentials that stop working mid-session: expired (ExpiredTokenException), revoked
(UnrecognizedClientException) or short of a permission (AccessDenied / Unauthorized).

The app says so in words a user can act on, keeps running, and works again after the user fixed
the credentials without a restart. No credential value ever reaches the screen, a notification,
a status line, the audit log, an export or an error text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apptest import settle
from botocore.exceptions import ClientError
from textual.widgets import Static

from tui import locations
from tui.aws.errors import explain
from tui.aws.session import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, AwsContext, Target
from tui.sim.server import RunningSimulator, SimConfig, start_simulator
from tui.ui.app import GameOpsApp
from tui.ui.panes.sessions import SessionsPane
from tui.ui.widgets.session_grid import SessionGrid

# Keys shaped like real ones, so that any pattern-based scrubbing is exercised too.
KEY_ID = "AKIAGAMEOPSTEST4KEY1"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYgameopsKEY"
ALL_SECRETS = (KEY_ID, SECRET, DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY)


@pytest.fixture
def world() -> Iterator[RunningSimulator]:
    sim = start_simulator(SimConfig(rate_limits="off", sessions=60, drift=False))
    sim.sim.clock.freeze()
    yield sim
    sim.stop()


def make_app(sim: RunningSimulator, *, key: str = KEY_ID, secret: str = SECRET) -> GameOpsApp:
    target = Target(region="us-west-2", endpoint_url=sim.endpoint_url, demo=True,
                    access_key_id=key, secret_access_key=secret)
    return GameOpsApp(AwsContext(target), simulator=sim)


def credentials(sim: RunningSimulator, **lists: list[str]) -> None:
    body = {"expired": [], "revoked": [], "denied": [], **lists}
    httpx.post(f"{sim.endpoint_url}/_sim/credentials", json=body).raise_for_status()


def mutations(sim: RunningSimulator) -> list[dict[str, Any]]:
    return sim.sim.mutations.as_list()


def notes(app: GameOpsApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


def status(app: GameOpsApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def assert_no_secret_shown(app: GameOpsApp) -> None:
    screen = app.export_screenshot()
    texts = [screen, *notes(app)]
    texts += [str(widget.render()) for widget in app.screen.query(Static)]
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text
    # The demo's secret is short; its key id must not even appear partly scrubbed.
    assert "AKIA" not in screen


def assert_no_secret_in_files() -> None:
    for path in (locations.audit_log(create=False), *locations.data_dir().rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            for secret in ALL_SECRETS:
                assert secret.encode() not in data, path


async def cursor_to_active(app: GameOpsApp, sim: RunningSimulator) -> str:
    pane = app.query_one(SessionsPane)
    table = app.query_one("#session-table", SessionGrid)
    truth = httpx.get(f"{sim.endpoint_url}/_sim/gamelift/sessions/{pane.fleet_id}").json()
    active = {s["GameSessionId"] for s in truth["GameSessions"] if s["Status"] == "ACTIVE"}
    key = next(str(r.value) for r in table.rows if str(r.value) in active)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    return key


@pytest.mark.parametrize(("kind", "code", "words"), [
    ("expired", "ExpiredTokenException", "expired"),
    ("revoked", "UnrecognizedClientException", "invalid"),
])
async def test_bad_credentials_mid_session_then_fixed_without_restart(
        world: RunningSimulator, home: Path, kind: str, code: str, words: str) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        rows = app.query_one("#session-table", SessionGrid).row_count
        assert rows and pane.error is None

        credentials(world, **{kind: [KEY_ID]})
        await pilot.press("r")
        await settle(app, pilot)
        line = status(app, "#session-status")
        assert "STALE" in line and code in line and words in line
        assert "refresh them" in line and "press r" in line  # what to do about it
        assert app.query_one("#session-table", SessionGrid).row_count == rows  # rows kept
        assert any(code in n for n in notes(app))

        # An action meanwhile: reported as failed, nothing changed at the service.
        target = await cursor_to_active(app, world)
        await pilot.press("l", "y")
        await settle(app, pilot)
        assert any("Result" in n and code in n for n in notes(app))
        assert mutations(world) == []
        assert app.is_running
        assert_no_secret_shown(app)

        # The user fixes the credentials; r retries, no restart.
        credentials(world)
        await pilot.press("r")
        await settle(app, pilot)
        assert pane.error is None and "STALE" not in status(app, "#session-status")
        await cursor_to_active(app, world)
        app.query_one("#session-table", SessionGrid).move_cursor(
            row=app.query_one("#session-table", SessionGrid).get_row_index(target))
        await pilot.press("l", "y")
        await settle(app, pilot)
        assert [(m["operation"], m["target"]) for m in mutations(world)] == [
            ("UpdateGameSession", target)]
        assert any("set to DENY_ALL" in n for n in notes(app))

        # The other services' panes recover the same way.
        credentials(world, **{kind: [KEY_ID]})
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert "STALE" in status(app, "#stages-status")
        credentials(world)
        await pilot.press("r")
        await settle(app, pilot)
        assert "STALE" not in status(app, "#stages-status")
        assert_no_secret_shown(app)

    assert_no_secret_in_files()
    audit = [json.loads(line) for line in locations.audit_log().read_text().splitlines()]
    # One line per attempted mutation with its real outcome: the refused one, the good one.
    assert [(a["operation"], a["outcome"], a.get("error", {}).get("code")) for a in audit] == [
        ("UpdateGameSession", "error", code), ("UpdateGameSession", "ok", None)]


async def test_missing_permission_names_the_action(world: RunningSimulator, home: Path) -> None:
    app = make_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        credentials(world, denied=["UpdateGameSession"])
        target = await cursor_to_active(app, world)
        await pilot.press("p", "y")
        await settle(app, pilot)
        assert any("your role lacks gamelift:UpdateGameSession" in n for n in notes(app))
        assert mutations(world) == []
        # Reads still work: the pane is not marked stale by a refused write.
        await pilot.press("r")
        await settle(app, pilot)
        assert "STALE" not in status(app, "#session-status")
        credentials(world)
        table = app.query_one("#session-table", SessionGrid)
        table.move_cursor(row=table.get_row_index(target))
        await pilot.press("p", "y")
        await settle(app, pilot)
        assert [m["target"] for m in mutations(world)] == [target]
        assert_no_secret_shown(app)
    assert_no_secret_in_files()


async def test_credentials_rotated_in_the_credentials_file_are_picked_up(
        world: RunningSimulator, home: Path, hermetic_aws_env: Path) -> None:
    """A real account, not the demo: the key in ~/.aws/credentials is revoked, the user puts a
    new one there (as `aws configure` does) and presses r."""
    aws_dir = hermetic_aws_env
    aws_dir.mkdir(parents=True, exist_ok=True)
    (aws_dir / "config").write_text("[profile ops]\nregion = us-west-2\n")
    new_key, new_secret = "AKIAGAMEOPSROTATED02", "rotated/Secret/Value/For/GameOpsTests00"

    def write_credentials(key: str, secret: str) -> None:
        (aws_dir / "credentials").write_text(
            f"[ops]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")

    write_credentials(KEY_ID, SECRET)
    target = Target(profile="ops", endpoint_url=world.endpoint_url)
    app = GameOpsApp(AwsContext(target), simulator=world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(SessionsPane)
        assert pane.error is None
        credentials(world, revoked=[KEY_ID])
        await pilot.press("r")
        await settle(app, pilot)
        assert "UnrecognizedClientException" in status(app, "#session-status")
        write_credentials(new_key, new_secret)
        await pilot.press("r")
        await settle(app, pilot)
        still_stale = pane.error
        for text in (app.export_screenshot(), *notes(app)):
            for secret in (KEY_ID, SECRET, new_key, new_secret):
                assert secret not in text
    # AwsContext builds a new session after an ExpiredToken/UnrecognizedClient answer, so the
    # new key in the file is used.
    assert still_stale is None, still_stale


def test_error_texts_never_carry_credentials() -> None:
    scope = f"Credential={KEY_ID}/20260101/us-west-2/gamelift/aws4_request"
    for code in ("InvalidSignatureException", "SignatureDoesNotMatch", "AccessDenied",
                 "UnrecognizedClientException", "ExpiredTokenException"):
        err = ClientError({"Error": {"Code": code, "Message": (
            f"The request signature we calculated does not match. {scope}, "
            f"SignedHeaders=host, key {KEY_ID} ({DEMO_ACCESS_KEY_ID})")}},
            "UpdateGameSession")
        text = explain(err, profile="ops")
        assert KEY_ID not in text and DEMO_ACCESS_KEY_ID not in text
        assert "Credential=[redacted]" in text
        assert code in text


def test_audit_log_redacts_credential_values_whatever_field_holds_them(
        sim: RunningSimulator, home: Path) -> None:
    ctx = AwsContext(Target(region="us-west-2", endpoint_url=sim.endpoint_url, demo=True,
                            access_key_id=KEY_ID, secret_access_key=SECRET))
    client = ctx.client("gamelift")
    fleet = client.list_fleets()["FleetIds"][0]
    session = client.describe_game_sessions(FleetId=fleet, Limit=1)["GameSessions"][0]
    # A user pastes a secret into a session name by mistake; the call is made and audited.
    client.update_game_session(GameSessionId=session["GameSessionId"], Name=f"oops {SECRET}")
    client.update_game_session(GameSessionId=session["GameSessionId"], Name=session["Name"])
    text = locations.audit_log().read_text()
    assert SECRET not in text and KEY_ID not in text
    assert "[redacted]" in text
    for line in text.splitlines():
        json.loads(line)


# A session token as a signature-mismatch report or a validation error quotes it.
TOKEN = "FQoGZXIvYXdzEJr//////////wEaDGameOpsSessionTokenX9k2"
HOSTILE_PLAYER = f"x-amz-security-token:{TOKEN}"


async def test_an_error_quoting_a_session_token_is_shown_scrubbed(
        world: RunningSimulator, home: Path) -> None:
    """The service's validation error quotes the value it refused; here that is a header line
    with a session token (pasted as a player id). The toast and the status line show it cut."""
    from apptest import pane_of, wait_for

    from tui.ui.panes.stages import StagesPane
    from tui.ui.screens.player_connections import PlayerScreen

    app = make_app(world)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        pane = await pane_of(app, pilot, StagesPane)
        await wait_for(pilot, lambda: not pane.pending)
        app.push_screen(PlayerScreen("kart-league", "prod"))
        await wait_for(pilot, lambda: isinstance(app.screen, PlayerScreen))
        await pilot.press(*HOSTILE_PLAYER, "enter")
        await wait_for(pilot, lambda: any("ValidationException" in n for n in notes(app)))
        shown = [n for n in notes(app) if "ValidationException" in n]
        assert all(TOKEN not in n and "x-amz-security-token:[redacted]" in n for n in shown)
        assert TOKEN not in str(app.screen.query_one("#player-status", Static).render())
        assert_no_secret_shown(app)  # (the input box still shows what the user typed)


def test_the_audit_log_scrubs_tokens_out_of_error_messages(
        world: RunningSimulator, home: Path) -> None:
    from tui.services import gamesparks

    ctx = AwsContext(Target(region="us-west-2", endpoint_url=world.endpoint_url, demo=True))
    with pytest.raises(ClientError) as refused:
        gamesparks.disconnect_player(ctx, "kart-league", "prod", HOSTILE_PLAYER)
    assert TOKEN in str(refused.value)  # the service did quote it
    assert TOKEN not in explain(refused.value)
    [line] = [json.loads(text) for text in locations.audit_log().read_text().splitlines()]
    assert line["operation"] == "DisconnectPlayer" and line["outcome"] == "error"
    assert TOKEN not in line["error"]["message"]
    assert "x-amz-security-token:[redacted]" in line["error"]["message"]
