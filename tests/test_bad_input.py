"""Bad input, everywhere a user types: CLI flags, the session forms, search conditions, script
zip paths, player ids. Each gets a message, never a traceback, and nothing invalid is sent.

"Nothing invalid is sent" is judged by the service, not by the form's own rules: whatever a
form accepts is sent to the simulator (which answers as GameLift does) and must be accepted
there; whatever it refuses must leave the simulator's mutation record unchanged.
Snapshot ids are never typed (the Stages pane offers them from ListSnapshots in a picker), so
there is no snapshot-id field to sweep.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from apptest import settle, wait_for
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from simctl import World

from tui import cli
from tui.aws.records import GameSession
from tui.aws.session import AwsContext
from tui.services import filter_builder as fb
from tui.services import search_expr as se
from tui.services.session_edit import EditError, plan_update, property_rows
from tui.services.zipcheck import MAX_ZIP_BYTES, check_zip_file
from tui.ui.app import GameOpsApp

NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "-1", "0", "1e9", "99999999999999999999", "NaN", "inf", "１２",
                     "٣", "1_000", "0x10", " 7 ", "\x00", "é" * 300, "x" * 10_000, "k=v,=x",
                     "a=b=c", "=", ",,,", "🎮=🎮", "k" * 33 + "=v", "k=" + "v" * 97]))
HUGE = 2**31 - 1  # GameLift's WholeNumber is a 32-bit integer on the wire

# A private frozen world of 40 sessions per test (rate limits off): its mutation log holds
# only what the test sent.
pytestmark = pytest.mark.world(sessions=40)


# --- CLI flags -------------------------------------------------------------------------------

FLAGS = ["--profile", "--region", "--endpoint-url", "--read-only", "--demo-sessions",
         "--version", "sim", "--port", "--sessions", "--fleets", "--seed", "--throttle-rate",
         "--error-rate", "--drop-rate", "--latency-ms", "--rate-limits", "--no-drift", "--host"]


def run_cli(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, err.getvalue() + out.getvalue()


def would_start(argv: list[str]) -> bool:
    """Whether main(argv) would start the UI or the simulator (not what this sweep is for)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = cli.build_parser().parse_args(argv)
        except SystemExit:
            return False
    if args.command == "sim":
        return args.rate_limits in ("default", "off") or os.path.isfile(args.rate_limits)
    return bool(args.demo)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.lists(st.one_of(st.sampled_from(FLAGS), NASTY_TEXT), max_size=6))
def test_cli_flags_never_give_a_traceback(argv: list[str], hermetic_aws_env: Path) -> None:
    assume(not would_start(argv) and "--version" not in argv and "-h" not in argv
           and "--help" not in argv and not any(a.startswith("--h") for a in argv))
    code, text = run_cli(argv)
    assert code != 0 or "--print-config-paths" in argv
    assert "Traceback" not in text
    if code:
        assert text.strip(), "a non-zero exit needs a message"


@pytest.mark.parametrize(("argv", "words"), [
    (["--demo-sessions", "0"], "whole number ≥ 1"),
    (["--demo-sessions", "-5"], "whole number ≥ 1"),
    (["--demo-sessions", "many"], "whole number ≥ 1"),
    (["--region", "mars-north-1; rm -rf /"], "not a valid AWS region"),
    (["--region", "us-west-2"], "No AWS credentials"),
    (["--profile", "nope"], "not found"),
    (["--profile", "ünïcødé"], "not found"),
    (["sim", "--port", "70000"], "port number"),
    (["sim", "--throttle-rate", "1.5"], "fraction between 0 and 1"),
    (["sim", "--rate-limits", "/no/such/file.json"], "no such file"),
    (["--no-such-flag"], "unrecognized arguments"),
])
def test_cli_refusals_say_why(argv: list[str], words: str, hermetic_aws_env: Path) -> None:
    code, text = run_cli(argv)
    assert code == 2
    assert words in text
    assert "Traceback" not in text


def test_cli_refuses_a_demo_world_too_big_to_build() -> None:
    # Only parsed: main() would go on to build the world.
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            args = cli.build_parser().parse_args(["--demo", "--demo-sessions", str(10**12)])
        except SystemExit:
            return  # refused with a message
    if args.demo_sessions == 10**12:
        pytest.fail("--demo-sessions / sim --sessions have no upper bound: "
                     "`--demo --demo-sessions 1000000000000` builds the world until memory "
                     "runs out (cli.py _positive needs a maximum)")


# --- the edit session form: what it accepts, the service accepts -----------------------------


@pytest.fixture
def edit_target(world: World, tmp_path: Path) -> tuple[AwsContext, str]:
    """The test's own world and one of its sessions; a Hypothesis test's examples share it."""
    # A real file: the audit is written (and synced) before each change is sent.
    audit = tmp_path / "edit-audit" / "audit.jsonl"
    audit.parent.mkdir()
    ctx = AwsContext(world.target(), audit_path=audit)
    client = ctx.client("gamelift")
    fleet = client.list_fleets()["FleetIds"][0]
    sessions = client.describe_game_sessions(FleetId=fleet, StatusFilter="ACTIVE")
    return ctx, sessions["GameSessions"][0]["GameSessionId"]


def fresh(ctx: AwsContext, session_id: str) -> GameSession:
    from tui.services import gamelift

    return gamelift.describe_game_session(ctx, session_id)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(max_text=NASTY_TEXT, name=NASTY_TEXT, key=NASTY_TEXT, value=NASTY_TEXT)
def test_edit_form_accepts_only_what_the_service_accepts(
        edit_target: tuple[AwsContext, str], max_text: str, name: str, key: str,
        value: str) -> None:
    from tui.services import gamelift

    ctx, session_id = edit_target
    session = fresh(ctx, session_id)
    try:
        plan = plan_update(session, max_text, name, [*session.game_properties, (key, value)])
    except EditError as err:
        assert str(err)  # refused with a message: nothing is sent
        return
    if plan.empty:
        return
    changes = params = plan.params
    maximum = params.get("MaximumPlayerSessionCount")
    assume(maximum is None or maximum <= HUGE)  # see test_edit_form_bounds_max_players
    try:
        gamelift.update_game_session(ctx, session_id, **params)
    except ClientError as err:
        raise AssertionError(f"the form accepted {changes!r} but the service refused it: "
                             f"{err}") from None


def test_edit_form_bounds_max_players(edit_target: tuple[AwsContext, str]) -> None:
    ctx, session_id = edit_target
    session = fresh(ctx, session_id)
    try:
        plan = plan_update(session, str(10**12), session.name or "n",
                           list(session.game_properties))
    except EditError as err:
        assert str(err)
        return
    pytest.fail(f"edit form accepts max players {plan.params['MaximumPlayerSessionCount']}, "
                 "beyond GameLift's 32-bit WholeNumber (the create form too): "
                 "plan_update / plan_create need an upper bound")


@given(rows=st.lists(st.tuples(st.text(max_size=40), st.text(max_size=120)), max_size=20))
def test_property_rows_give_pairs_as_typed_or_a_message(rows: list[tuple[str, str]]) -> None:
    try:
        pairs = property_rows(rows)
    except EditError as err:
        assert str(err)
        return
    assert pairs == [row for row in rows if row != ("", "")]  # nothing trimmed or split
    for key, value in pairs:
        assert key and len(key) <= 32 and len(value) <= 96


# --- the create session form, through the pilot ----------------------------------------------


CREATE_CASES = [
    {"max": "ten"}, {"max": "-1"}, {"max": ""}, {"max": "1.5"}, {"max": "١٢"},
    {"max": str(10**12)}, {"location": "mars-1"}, {"location": ""},
    {"props": [("", "novalue")]}, {"props": [(f"k{i}", "v") for i in range(17)]},
    {"props": [("k" * 33, "v")]}, {"props": [("mode", "a"), ("mode", "b")]},
    {"name": "x" * 10_000}, {"name": "🎮 ünïcødé"}, {"props": [("mode", "v" * 97)]},
    {"props": [("mode", "")]}, {"props": [("map", "dust, mode=deathmatch"), ("n", " x ")]},
]


async def test_create_session_form_sweep(world: World, home: Path) -> None:
    from textual.widgets import Input, Static

    from tui.ui.panes.sessions import SessionsPane
    from tui.ui.screens.base import REPEAT_SECONDS
    from tui.ui.screens.confirm import ConfirmModal
    from tui.ui.screens.edit_session import CreateSessionModal, PropertyRows

    app = GameOpsApp(world.aws(), simulator=world)
    sent_invalid: list[str] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot, rounds=1)
        pane = app.query_one(SessionsPane)
        for case in CREATE_CASES:
            before = len(world.mutations())
            results_before = len(app._notifications)
            app.query_one("#session-table").focus()
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, CreateSessionModal)
                           and app.screen.is_mounted, timeout=5)
            modal = app.screen
            assert isinstance(modal, CreateSessionModal)
            for field, value in case.items():
                if field == "props":
                    for key, text in value:  # type: ignore[misc]
                        await modal.query_one(PropertyRows).add_row(key, text)
                else:
                    modal.query_one(f"#{field}", Input).value = value  # type: ignore[assignment]
            modal.query_one("#max", Input).focus()

            def problem(form: CreateSessionModal = modal) -> str:
                return str(form.query_one("#problem", Static).render())

            await pilot.press("enter")
            # The form answers either way: a problem line (refused) or the confirmation.
            await wait_for(pilot, lambda: problem().strip()
                           or isinstance(app.screen, ConfirmModal), timeout=5)
            if not isinstance(app.screen, ConfirmModal):
                assert app.screen is modal, case
                assert "nothing was sent" in problem(), case
                await pilot.press("escape")
                await wait_for(pilot, lambda form=modal: app.screen is not form
                               and not isinstance(app.screen, CreateSessionModal), timeout=5)
                # The form is gone and nothing it held was confirmed: the record is as it was.
                assert len(world.mutations()) == before, case
                continue
            # Accepted by the form: confirmed, the service must accept it too.
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal)
                           and app.screen.drawn, timeout=5)
            await pilot.pause(REPEAT_SECONDS)  # the confirmation ignores keys held over
            await pilot.press("y")
            # The answer is one toast (its summary), success or not: wait for it.
            await wait_for(pilot, lambda count=results_before: len(app._notifications) > count,
                           timeout=10)
            await settle(app, pilot, rounds=1)
            notes = [str(n.message) for n in list(app._notifications)[results_before:]]
            if len(world.mutations()) == before:
                sent_invalid.append(f"{case}: {notes}")
        assert app.is_running and pane.is_mounted
    if sent_invalid:
        pytest.fail("the create form accepted input the service refused: "
                     + "; ".join(s[:160] for s in sent_invalid))


# --- search conditions: what the builder accepts, SearchGameSessions accepts ------------------


OPERANDS = sorted(se.OPERAND_TYPES)
COMPARATORS = ["=", "<>", "<", "<=", ">", ">="]


# Only searches: the examples share the test's world.
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operand=st.sampled_from(OPERANDS), comparator=st.sampled_from(COMPARATORS),
       value=NASTY_TEXT, key=st.one_of(st.just("mode"), st.text(max_size=40)),
       negated=st.booleans())
def test_search_condition_values(world: World, operand: str, comparator: str, value: str,
                                 key: str, negated: bool) -> None:
    import boto3

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    root = fb.Group("AND", [fb.Cond(operand, key, comparator, value, negated)])
    try:
        fb.typed_value(root.children[0], now)  # type: ignore[arg-type]
    except se.ExprError as err:
        assert err.message
    result = fb.preview(root, "", "", "ASC", now)
    if result.problems:
        assert all(p for p in result.problems)
        return
    client = boto3.client("gamelift", region_name="us-west-2", endpoint_url=world.endpoint_url,
                          aws_access_key_id="AKIDBADINPUT", aws_secret_access_key="x")
    fleet = client.list_fleets()["FleetIds"][0]
    try:
        client.search_game_sessions(FleetId=fleet, FilterExpression=result.filter_expression)
    except ClientError as err:
        raise AssertionError(f"builder sent {result.filter_expression!r}, refused: {err}") from None


# --- script zip paths ------------------------------------------------------------------------


@pytest.fixture
def zip_paths(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "scripts"
    folder.mkdir()
    oversize = tmp_path / "big.zip"
    with open(oversize, "wb") as handle:
        handle.truncate(MAX_ZIP_BYTES + 1)
    unreadable = tmp_path / "locked.zip"
    unreadable.write_bytes(b"PK\x05\x06" + bytes(18))
    unreadable.chmod(0)
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    return {"missing": tmp_path / "nope.zip", "folder": folder, "oversize": oversize,
            "unreadable": unreadable, "fifo": fifo, "empty": tmp_path / "",
            "long": tmp_path / ("x" * 5000 + ".zip"), "nul": Path("bad\x00name.zip"),
            "unicode": tmp_path / "スクリプト.zip", "dev": Path("/dev/zero")}


def test_zip_paths_are_refused_with_a_message(zip_paths: dict[str, Path]) -> None:
    for label, path in zip_paths.items():
        if label == "unreadable" and os.geteuid() == 0:
            continue  # root reads anything
        try:
            check_zip_file(path)
        except ValueError as err:  # ZipProblem, or os.stat's own for a NUL in the path
            assert str(err), label
        else:
            raise AssertionError(f"{label}: {path} accepted")


@given(text=st.text(max_size=300))
def test_any_typed_zip_path_gives_a_check_or_a_message(text: str) -> None:
    # The script form shows any ValueError as its problem line (ZipProblem is one); a NUL in
    # the path gives the plain ValueError of os.stat ("embedded null byte"), still a message.
    assume(not text.strip().startswith("~"))  # see test_zip_path_of_an_unknown_users_home
    try:
        check_zip_file(text)
    except ValueError as err:
        assert str(err)


async def test_zip_path_of_an_unknown_users_home(world: World, home: Path) -> None:
    """`~someone/x.zip` for a user that does not exist: Path.expanduser raises RuntimeError,
    which neither zipcheck nor the script form catches."""
    from textual.widgets import DataTable, Input, Static

    from tui.ui.screens.script_forms import ScriptFormModal

    crashed_check = False
    try:
        check_zip_file("~no-such-user-gameops/fix.zip")
    except ValueError as err:
        assert str(err)
    except RuntimeError:
        crashed_check = True
    app = GameOpsApp(world.aws(), simulator=world)
    crashed_app = unanswered = False
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("3")
            await settle(app, pilot, rounds=1)
            table = app.query_one("#scripts-table", DataTable)
            table.focus()
            table.move_cursor(row=1)
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, ScriptFormModal)
                           and app.screen.is_mounted, timeout=5)
            form = app.screen
            form.query_one("#script-content", Input).focus()
            await pilot.press(*"~no-such-user-gameops/fix.zip")
            await pilot.press("enter")
            # The form's answer is its problem line: why nothing was sent (no such file).
            try:
                await wait_for(pilot, lambda: "nothing was sent"
                               in str(form.query_one("#problem", Static).render()), timeout=10)
            except AssertionError:
                unanswered = True  # the check died without a word
            assert app.is_running
    except RuntimeError as err:
        crashed_app = "home directory" in str(err)
        if not crashed_app:
            raise
    if crashed_check or crashed_app or unanswered:
        pytest.fail(f"(app crashed: {crashed_app}, form never answered: {unanswered}) "
                     "typing ~unknownuser/… in the script form's zip field: "
                     "Path.expanduser() raises RuntimeError (tui/services/zipcheck.py "
                     "check_zip_file and tui/ui/screens/script_forms.py _show_check); use "
                     "os.path.expanduser, which leaves such a path as it is")


# --- player ids on the Stages players screen -------------------------------------------------


async def test_player_id_sweep(world: World, home: Path) -> None:
    from textual.widgets import Input, Static

    from tui.ui.screens.player_connections import PlayerScreen

    app = GameOpsApp(world.aws(), simulator=world)
    before = len(world.mutations())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        screen = PlayerScreen("space-raiders", "prod")
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.is_mounted and app.screen is screen, timeout=5)

        def status() -> str:
            return str(screen.query_one("#player-status", Static).render())
        for player in ("x" * 10_000, "🎮", "a b", "../../etc", "'; DROP", "\t", "p" * 45,
                       "player-1"):
            box = screen.query_one("#player-id", Input)
            box.value = player
            box.focus()
            await pilot.press("enter")
            # Each lookup ends in an answer on the status line (a blank id starts none).
            await wait_for(pilot, lambda: status() and "looking up" not in status(), timeout=10)
            await settle(app, pilot)
            text = status()
            assert text and "looking up" not in text, player
            assert "Traceback" not in text
            if player.strip() and player != "player-1":
                # A malformed id is explained (by the service, as no local check exists).
                assert "⚠" in text or "not connected" in text, (player, text)
        assert app.is_running
    # Every lookup was answered (above): none of them changed the service.
    assert len(world.mutations()) == before
