"""Hostile service text in every view that shows it (issue 15, items 1 and 2).

Session names and game properties are chosen by players; script names, snapshot and game
descriptions come from other people's tools. Here they carry escape sequences (OSC 52 clipboard
writes, window titles, screen clears, cursor reports, hyperlinks), C0/C1 controls, NUL, DEL,
bidi overrides and Rich markup (``[/]``, ``[@click=screen.confirm]x[/]``), short or hundreds of
characters long. They are put into the simulator over real HTTP by botocore (the app's own
service layer for the session, so the audit log records the change as well), and the real app
is driven to every view that shows them.

For each view the test reads what the compositor hands to the terminal (the same render
``App.export_screenshot`` prints) and asserts:

- the app is still running (no MarkupError or other crash);
- no control or bidi character is drawn (C0 but tab/newline, ESC, DEL, C1, U+202A-E,
  U+2066-9, LRM/RLM/ALM, U+2028/9): each must be shown as a visible symbol;
- the text is drawn literally: the example's tag and the start of the name in the form
  ``tui.trust.visible`` gives it are on screen (markup would have eaten ``[…]``);
- clicking on the name fires nothing: the simulator's /_sim/mutations is unchanged and the
  confirmation is still open;
- exports keep the real value: JSON loads back to the exact string and holds no raw control
  character; CSV is formula-escaped and holds no raw control character.

Every problem of one example is collected (view by view) before the example fails, so a
failure names all the views that leak for that input.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
from apptest import make_app
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

import tui
from tui import trust
from tui.aws.session import AwsContext, Target
from tui.services import gamelift
from tui.sim.server import RunningSimulator, SimConfig, start_simulator

# --- what must never be drawn ----------------------------------------------------------------

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 but tab and newline, DEL, C1, bidi controls, line/paragraph separators.
FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}\u2028\u2029]")

PAYLOADS = (
    "\x1b]52;c;SGk=\x07",  # OSC 52: write the operator's clipboard
    "\x1b]52;c;SGVsbG8=\x1b\\",
    "\x1b]0;pwned-title\x07",  # window title
    "\x1b]2;pwned-title\x1b\\",
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b[6n",  # ask the terminal to type a cursor report
    "\x1bc",  # full reset
    "\x1b[31;1mred\x1b[0m",
    "\x1b[?1049l",  # leave the alternate screen
    "\x1b]8;;file:///etc/passwd\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b6n",  # C1 CSI
    "\x9d52;c;SGk=\x9c",  # C1 OSC ... ST
    "\x85", "\x90", "\x00", "\x07", "\x08", "\x7f", "\r", "\x0b", "\x0c", "\t", "\n",
    "[/]",
    "[@click=screen.confirm]x[/]",
    "[@click=app.quit]q[/]",
    "[@click=screen.dismiss(True)]yes[/]",
    "[bold",
    "[b]bold[/b]",
    "[link=file:///etc/passwd]l[/link]",
    "[red]",
    "\\[x]",
    "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c", "\u2028",
    "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(1)",
    "%s%n", "{0}", "'\"", "\u00e9t\u00e9", "\u4e16\u754c", "\U0001f680",
)
ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Co", "Cn"))
PIECE = st.one_of(st.sampled_from(PAYLOADS), st.text(ALPHABET, min_size=1, max_size=8))


def hostile(max_pieces: int) -> st.SearchStrategy[str]:
    """Control characters, escape sequences, markup and bidi controls mixed with any text:
    empty, short, or (repeated) hundreds of characters."""
    mixed = st.lists(PIECE, max_size=max_pieces).map("".join)
    long = st.tuples(st.sampled_from(PAYLOADS), st.integers(8, 40)).map(lambda p: p[0] * p[1])
    # The first branch gives Hypothesis's simplest example: hostile (an OSC 52 sequence
    # repeated), not empty.
    return st.one_of(long, mixed, st.just(""))


# Every hostile text starts with its own tag, so a view can be seen to show it.
_TAGS = itertools.count(1)
TAG = re.compile(r"H\d{4}")
TAG_LENGTH = 5


def tagged(text: str, limit: int) -> str:
    return (f"H{next(_TAGS) % 10000:04d}" + text)[:limit]


KITCHEN_SINK = "".join(PAYLOADS)

# --- the screen as the terminal gets it ------------------------------------------------------


def screen_lines(app: Any) -> list[str]:
    """The text of every cell of the screen (modals over their background, toasts included),
    from the compositor's full render: what ``export_screenshot`` prints, minus styles."""
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    return ["".join(segment.text for strip in line for segment in strip
                    if not segment.control) for line in update.strips]


def shown_prefix(text: str, cells: int) -> str:
    """The start of ``text`` as the rule draws it, at most ``cells`` wide."""
    shown = trust.visible(text)
    out = ""
    for char in shown:
        if cell_len(out + char) > cells:
            break
        out += char
    return out.rstrip()


def find(lines: list[str], needle: str, region: Any = None) -> tuple[int, int] | None:
    """Screen offset (x in cells, y) where ``needle`` starts, if it is drawn (inside
    ``region``, a Textual Region, when given)."""
    for y, line in enumerate(lines):
        start = 0
        while (index := line.find(needle, start)) >= 0:
            x = cell_len(line[:index])
            if region is None or region.contains(x, y):
                return x, y
            start = index + 1
    return None


def crop(lines: list[str], region: Any) -> list[str]:
    """The part of the screen inside ``region`` (cells, so wide characters count twice)."""
    if region is None:
        return lines
    out = []
    for line in lines[region.y:region.bottom]:
        x, kept = 0, []
        for char in line:
            if region.x <= x < region.right:
                kept.append(char)
            x += cell_len(char)
        out.append("".join(kept))
    return out


def dialog_region(app: Any) -> Any:
    """Where a modal draws its box (its first child), or the whole screen."""
    screen = app.screen
    children = list(screen.children)
    return children[0].region if getattr(screen, "is_modal", False) and children else None


def dialog_inside(app: Any) -> Any:
    """A modal's box without its border and padding, or the whole screen."""
    screen = app.screen
    children = list(screen.children)
    return (children[0].content_region if getattr(screen, "is_modal", False) and children
            else None)


def squash(text: str) -> str:
    """Text without white space: a long name may be wrapped onto the next line."""
    return re.sub(r"\s+", "", text)


class Checks:
    """The problems found for one example, each naming its view."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        self.problems: list[str] = []
        self.view = "start"

    def mutations(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.sim.endpoint_url}/_sim/mutations", timeout=10)
        return answer.json()["mutations"]

    def look(self, app: Any, view: str, *expected: str) -> list[str]:
        """Check what is drawn now; returns the screen's lines."""
        self.view = view
        if not app.is_running:
            raise AppDied(view)
        lines = screen_lines(app)
        box = dialog_region(app)
        # A modal's own box first; what leaks behind it belongs to the view underneath.
        parts = [(view, crop(lines, box))]
        if box is not None:
            parts.append((f"{view} [behind the dialog]", lines))
        for name, part in parts:
            bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall("\n".join(part))})
            if bad:
                where = next(line for line in part if FORBIDDEN.search(line))
                self.problems.append(f"{name}: control/bidi characters drawn raw {bad} in "
                                     f"line {where.strip()!r}")
                break
        # In a modal, what is expected must be in its box, not in the screen behind it.
        inside = squash("".join(crop(lines, dialog_inside(app))))
        for text in expected:
            if text and squash(text) not in inside:
                self.problems.append(f"{view}: {text!r} is not on screen (not drawn literally)")
        return lines

    def note(self, problem: str) -> None:
        self.problems.append(f"{self.view}: {problem}")


class AppDied(Exception):
    pass


async def until(app: Any, pilot: Any, condition: Callable[[], Any], what: str,
                timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if not app.is_running:
            raise AppDied(what)
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.03)


async def click_names(app: Any, pilot: Any, lines: list[str], anchor: str,
                      checks: Checks, start: int = 0) -> None:
    """Click the cells where a name is drawn (``start`` cells after ``anchor``): its first
    cells, where markup such as ``Hx001[@click=screen.confirm]x[/]`` would have put a link,
    and a few further on. Nothing may be sent and the screen must stay."""
    place = find(lines, anchor, dialog_region(app))
    if place is None:
        checks.note(f"{anchor!r} not on screen (in the dialog), nothing to click")
        return
    x, y = place
    before = checks.mutations()
    screen = app.screen
    for dx in (0, 5, 6):
        if x + start + dx >= app.size.width:
            break
        await pilot.click(offset=(x + start + dx, y))
        if not app.is_running:
            raise AppDied(f"{checks.view}: click")
        if app.screen is not screen:
            checks.note(f"a click at ({x + start + dx}, {y}) on the name closed the screen")
            break
    await pilot.pause()
    after = checks.mutations()
    if after != before:
        checks.note(f"a click on the name sent {[m['operation'] for m in after[len(before):]]}")


# --- the pure rule ---------------------------------------------------------------------------


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(ALPHABET, max_size=6),
                          st.characters(codec="utf-8")), max_size=30).map("".join))
def test_visible_never_lets_a_control_through(text: str) -> None:
    shown = trust.visible(text)
    assert not FORBIDDEN.search(shown), ascii(shown)
    assert "\n" not in shown and "\t" not in shown
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in shown)
    assert trust.visible(shown) == shown  # drawing what was drawn changes nothing
    assert trust.is_clean(shown)
    block = trust.visible(text, newlines=True)
    assert not FORBIDDEN.search(block)
    assert block.count("\n") == text.count("\n")
    assert trust.visible(block, newlines=True) == block
    rich_text = trust.safe_text(text)
    assert rich_text.plain == shown and not rich_text.spans  # never parsed as markup
    if not FORBIDDEN.search(text) and "\n" not in text and "\t" not in text and \
            trust.is_clean(text):
        assert shown == text  # clean text is drawn as it is


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(ALPHABET, max_size=60),
                 st.lists(st.sampled_from(("..", ".", "/", "\\", "a", "\x00", "~", "-", " ",
                                           "\u202e", "C:", "%2e")), max_size=12).map("".join)))
def test_safe_basename_is_one_harmless_component(name: str) -> None:
    base = trust.safe_basename(name)
    assert base and "/" not in base and "\\" not in base and "\x00" not in base
    assert base not in (".", "..") and not base.startswith(".")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", base)
    assert len(base) <= 120
    folder = Path("/tmp/gameops-basename-check")
    assert trust.contained(folder, base).parent == folder.resolve()


@settings(max_examples=300, deadline=None)
@given(token=st.text(st.characters(codec="ascii", categories=("L", "N"),
                                   include_characters="+/="), min_size=16, max_size=80),
       around=st.text(ALPHABET, max_size=20))
def test_scrub_secrets_removes_session_tokens(token: str, around: str) -> None:
    token = "IQoJb3JpZ2luX2Vj" + token  # how STS session tokens start
    assume(token not in around)
    messages = (
        f"{around} x-amz-security-token:{token}\n{around}",
        f"X-Amz-Security-Token: {token} {around}",
        f"https://gamelift.us-west-2.amazonaws.com/?X-Amz-Security-Token={token}&a=b",
        f"{around}aws_session_token = {token}",
    )
    for message in messages:
        scrubbed = trust.scrub_secrets(message)
        assert token not in scrubbed, scrubbed
        assert "[redacted]" in scrubbed


# --- the world -------------------------------------------------------------------------------

GAME, STAGE = "space-raiders", "dev"
SIZE = (120, 50)


def gamelift_client(sim: RunningSimulator) -> Any:
    return boto3.client("gamelift", region_name="us-west-2", endpoint_url=sim.endpoint_url,
                        aws_access_key_id="AKIDHOSTILE", aws_secret_access_key="secret")


def gamesparks_client(sim: RunningSimulator) -> Any:
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(
        0, str(Path(tui.__file__).parent / "aws" / "data"))
    return boto3.session.Session(botocore_session=session).client(
        "gamesparks", region_name="us-west-2", endpoint_url=sim.endpoint_url,
        aws_access_key_id="AKIDHOSTILE", aws_secret_access_key="secret")


def sparks_text(text: str) -> str:
    """What GameSparks takes as a description: the public model's GameDescription and
    SnapshotDescription are at most 250 characters matching ^\\S(.*\\S)?$|^$ (no line break, no
    white space at either end), and the service refuses anything else."""
    return text[:250].replace("\n", " ").rstrip()


def small_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.js", "exports.ssExports = {};\n")
    return out.getvalue()


@dataclass
class Planted:
    """The hostile texts of one example as the service holds them, and what carries them.
    Every text but an empty one starts with its own tag (``H0001``…)."""

    sessions: list[str] = field(default_factory=list)  # ids, first fleet, ACTIVE
    names: list[str] = field(default_factory=list)  # one per session
    props: list[tuple[str, str]] = field(default_factory=list)  # on the first session
    scripts: list[str] = field(default_factory=list)  # ids
    script_texts: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    snapshots: list[str] = field(default_factory=list)  # ids, in GAME
    descriptions: list[str] = field(default_factory=list)
    game: str = ""  # GAME's description

    def describe(self) -> str:
        return (f"names={self.names!r}\nprops={self.props!r}\nscripts={self.script_texts!r}\n"
                f"descriptions={self.descriptions!r}\ngame={self.game!r}")


def tag_of(text: str) -> str:
    return text[:TAG_LENGTH] if TAG.match(text) else ""


def plant(sim: RunningSimulator, texts: dict[str, Any]) -> Planted:
    """Put the texts into the simulator over HTTP. The session changes go through the app's
    own service layer (botocore), so the audit log holds them and the activity view shows
    them; scripts and snapshots through plain boto3 clients."""
    aws = AwsContext(Target(api_budget=None,
                            region="us-west-2", endpoint_url=sim.endpoint_url, demo=True))
    fleet_id = gamelift.fleet_overview(aws)[0].fleet.fleet_id  # the fleet the pane opens
    data = httpx.get(f"{sim.endpoint_url}/_sim/gamelift/sessions/{fleet_id}", timeout=10).json()
    active = [s for s in data["GameSessions"] if s["Status"] == "ACTIVE"]
    planted = Planted()
    planted.sessions = [s["GameSessionId"] for s in active][:len(texts["names"])]
    planted.names = [tagged(n, 1024) for n in texts["names"]][:len(planted.sessions)]
    room = 16 - len(active[0]["GameProperties"])  # a session holds at most 16 properties
    planted.props = [(tagged(k, 32), tagged(v, 96) if v else "")
                     for k, v in texts["props"]][:room]
    for index, (sid, name) in enumerate(zip(planted.sessions, planted.names, strict=True)):
        changes: dict[str, Any] = {"Name": name}
        if index == 0:
            changes["GameProperties"] = [{"Key": k, "Value": v} for k, v in planted.props]
        gamelift.update_game_session(aws, sid, **changes)
    client = gamelift_client(sim)
    for name, version in texts["scripts"]:
        pair = (tagged(name, 1024), tagged(version, 1024))
        script = client.create_script(Name=pair[0], Version=pair[1], ZipFile=small_zip())
        planted.scripts.append(script["Script"]["ScriptId"])
        planted.script_texts.append(pair)
    sparks = gamesparks_client(sim)
    for description in texts["descriptions"]:
        text = sparks_text(tagged(description, 1024)) if description else ""
        snapshot = sparks.create_snapshot(GameName=GAME, Description=text)["Snapshot"]
        planted.snapshots.append(snapshot["Id"])
        planted.descriptions.append(text)
    planted.game = sparks_text(tagged(texts["game"], 1024))
    sparks.update_game(GameName=GAME, Description=planted.game)
    return planted


def with_markup(texts: list[str], limit: int = 3) -> list[str]:
    """The texts that could be markup (a click on them is worth trying), at most ``limit``."""
    return [t for t in texts if "[" in t and tag_of(t)][:limit]


async def click_texts(app: Any, pilot: Any, lines: list[str], texts: list[str],
                      checks: Checks) -> None:
    """Click where each text starts, and on the cells right after its tag: markup such as
    ``H0001[@click=screen.confirm]x[/]`` would have made a link of the ``x`` drawn there.
    Nothing may be sent and the screen must stay."""
    if not texts:
        return
    before = checks.mutations()
    screen = app.screen
    for text in texts:
        place = find(lines, tag_of(text), dialog_region(app))
        if place is None:
            checks.note(f"{tag_of(text)!r} not on screen, nothing to click")
            continue
        x, y = place
        for dx in (0, TAG_LENGTH, TAG_LENGTH + 1):
            if x + dx >= app.size.width:
                break
            await pilot.click(offset=(x + dx, y))
            if not app.is_running:
                raise AppDied(f"{checks.view}: a click on {text!r}")
            if app.screen is not screen:
                checks.note(f"a click on {text!r} at ({x + dx}, {y}) closed the screen")
                return
    await pilot.pause()
    after = checks.mutations()
    if after != before:
        checks.note(f"a click on a name sent {[m['operation'] for m in after[len(before):]]}")


async def export_both(app: Any, pilot: Any, checks: Checks, what: str, downloads: Path,
                      before_each: Callable[[], Any]) -> dict[str, str]:
    """``E`` then CSV, ``E`` then JSON; the files' texts by format."""
    from tui.ui.screens.export_dialog import ExportModal

    files: dict[str, str] = {}
    for fmt, letter in (("csv", "c"), ("json", "j")):
        await before_each()
        previous = getattr(app, "last_export", None)
        await pilot.press("E")
        await until(app, pilot, lambda: isinstance(app.screen, ExportModal), "export dialog")
        await pilot.press(letter)
        await until(app, pilot, lambda p=previous: getattr(app, "last_export", None) not in
                    (None, p), f"the {fmt} export of {what}")
        await pilot.pause()
        checks.look(app, f"export toast ({what}, {fmt})")
        path = Path(app.last_export)
        if path.parent.resolve() != downloads.resolve():
            checks.note(f"export written outside the downloads folder: {path}")
        files[fmt] = path.read_text(encoding="utf-8")
    return files


def check_exported(checks: Checks, what: str, files: dict[str, str], id_field: str,
                   expected: dict[str, dict[str, Any]]) -> None:
    """Exports keep the real value: JSON loads back to the exact value; CSV keeps formula
    escaping; neither file holds a raw control or bidi character (JSON escapes them as \\u,
    CSV shows them as symbols)."""
    for fmt, text in files.items():
        checks.view = f"{fmt} export of {what} (tui/services/export.py)"
        raw = FORBIDDEN.findall(text.replace("\n", ""))
        if raw:
            checks.note(f"raw control characters in the file: "
                        f"{sorted({f'U+{ord(c):04X}' for c in raw})}")
        if fmt == "json":
            rows = {r.get(id_field): r for r in json.loads(text)["rows"]}
        else:
            rows = {r.get(id_field): r for r in csv.DictReader(io.StringIO(text))}
        for ident, fields in expected.items():
            row = rows.get(ident)
            if row is None:
                checks.note(f"{ident} is not in the file")
                continue
            for name, value in fields.items():
                got = row.get(name)
                if fmt == "json":
                    if isinstance(value, dict):
                        changed = {k: (got or {}).get(k) for k, v in value.items()
                                   if (got or {}).get(k) != v}
                        if changed:
                            checks.note(f"{name} changed: {changed!r}")
                    elif got != value and not (value == "" and got is None):
                        checks.note(f"{name} changed: {got!r} != {value!r}")
                    continue
                if isinstance(value, dict):
                    continue  # a JSON text in one cell; its values are checked in JSON
                cell = got or ""
                if value.startswith(("=", "+", "-", "@", "\t", "\r")) and \
                        not cell.startswith("'"):
                    checks.note(f"{name}: formula not escaped: {cell!r}")
                clean = not FORBIDDEN.search(value) and not re.search("[\t\r\n]", value)
                if clean and cell.removeprefix("'") != value:
                    checks.note(f"{name}: a clean value changed: {cell!r} != {value!r}")


# --- sessions: table, detail, confirmations, activity, exports -------------------------------


async def session_views(app: Any, pilot: Any, checks: Checks, planted: Planted,
                        downloads: Path) -> None:
    from tui.ui.panes.sessions import SessionsPane
    from tui.ui.screens.activity import ActivityScreen
    from tui.ui.screens.confirm import ConfirmModal, TerminateModal
    from tui.ui.screens.session_detail import SessionDetailScreen

    await until(app, pilot, lambda: any(p.is_mounted for p in app.query(SessionsPane)),
                "the Sessions pane")
    pane = app.query_one(SessionsPane)
    table = pane.table
    await until(app, pilot, lambda: all(s in table.rows for s in planted.sessions),
                "the hostile sessions' rows")
    first, names = planted.sessions[0], planted.names
    table.focus()
    table.move_cursor(row=table.get_row_index(first))
    await pilot.pause(0.15)  # the grid repaints at most 10 times a second
    before = checks.mutations()

    lines = checks.look(app, "session table rows (tui/ui/widgets/session_grid.py, "
                        "tui/ui/panes/session_table.py)", *[shown_prefix(n, 12) for n in names])
    place = find(lines, tag_of(names[0]))
    if place is not None:
        await pilot.click(offset=place)
        checks.look(app, "session table after a click on a name")

    # Detail (enter): every field, the properties table.
    table.move_cursor(row=table.get_row_index(first))
    await pilot.press("enter")
    await until(app, pilot, lambda: isinstance(app.screen, SessionDetailScreen), "detail")
    await pilot.pause()
    texts = [names[0], *(k for k, _ in planted.props), *(v for _, v in planted.props)]
    lines = checks.look(app, "session detail (tui/ui/screens/session_detail.py)",
                        shown_prefix(names[0], 30), *[shown_prefix(t, 10) for t in texts[1:]])
    await click_texts(app, pilot, lines, with_markup(texts), checks)
    if isinstance(app.screen, SessionDetailScreen):
        await pilot.press("escape")
    await until(app, pilot, lambda: app.screen is pane.screen, "back from the detail")

    # Every hostile session marked: the confirmations list them all.
    table.focus()
    for sid in planted.sessions:
        table.move_cursor(row=table.get_row_index(sid))
        await pilot.press("space")
    for key, modal, view in (
            ("p", ConfirmModal, "protect confirmation (tui/ui/screens/confirm.py ConfirmModal, "
                                "describe_sessions)"),
            ("t", TerminateModal, "terminate confirmation (tui/ui/screens/confirm.py "
                                  "TerminateModal)")):
        table.focus()
        await pilot.press(key)
        await until(app, pilot, lambda m=modal: isinstance(app.screen, m), view)
        await pilot.pause()
        lines = checks.look(app, view, *[shown_prefix(n, 16) for n in names])
        await click_texts(app, pilot, lines, with_markup(names), checks)
        if isinstance(app.screen, modal):
            await pilot.press("escape")
        await until(app, pilot, lambda: app.screen is pane.screen, f"{view} closed")
    if checks.mutations() != before:
        checks.note("the confirmations were cancelled, yet something was sent")

    # Activity (L): the audit records of the UpdateGameSession calls that set the names.
    await pilot.press("L")
    await until(app, pilot, lambda: isinstance(app.screen, ActivityScreen), "activity")
    await until(app, pilot, lambda: tag_of(names[-1]) in repr(app.screen.shown()[:1]),
                "the audit records")
    await pilot.pause()
    checks.look(app, "activity view (tui/ui/screens/activity.py)", tag_of(names[-1]))
    await pilot.press("escape")
    await until(app, pilot, lambda: app.screen is pane.screen, "back from activity")

    # Exports: CSV and JSON keep the real values.
    async def focus_table() -> None:
        table.focus()
        await pilot.pause()

    files = await export_both(app, pilot, checks, "sessions", downloads, focus_table)
    expected: dict[str, dict[str, Any]] = {sid: {"name": name} for sid, name in
                                           zip(planted.sessions, names, strict=True)}
    expected[first]["game_properties"] = dict(planted.props)  # beside the seeded ones
    check_exported(checks, "sessions", files, "game_session_id", expected)
    if checks.mutations() != before:
        checks.note("the session views and exports sent a mutation")


# --- Scripts pane and script detail -----------------------------------------------------------


async def script_views(app: Any, pilot: Any, checks: Checks, planted: Planted) -> None:
    from textual.widgets import DataTable

    from tui.ui.panes.scripts import ScriptsPane
    from tui.ui.screens.script_detail import ScriptDetailScreen

    await pilot.press("3")
    await until(app, pilot, lambda: any(p.is_mounted for p in app.query(ScriptsPane)),
                "the Scripts pane")
    pane = app.query_one(ScriptsPane)
    table = pane.query_one("#scripts-table", DataTable)
    await until(app, pilot, lambda: all(s in table.rows for s in planted.scripts),
                "the hostile scripts' rows")
    table.focus()
    table.move_cursor(row=table.get_row_index(planted.scripts[0]))
    await pilot.pause()
    texts = [t for pair in planted.script_texts for t in pair]
    checks.look(app, "Scripts pane table and fleets box (tui/ui/panes/scripts.py)",
                *[shown_prefix(t, 10) for t in texts])
    before = checks.mutations()
    await pilot.press("enter")
    await until(app, pilot, lambda: isinstance(app.screen, ScriptDetailScreen), "script detail")
    await pilot.pause()
    name, version = planted.script_texts[0]
    lines = checks.look(app, "script detail (tui/ui/screens/script_detail.py)",
                        shown_prefix(name, 20), shown_prefix(version, 20))
    await click_texts(app, pilot, lines, with_markup([name, version]), checks)
    if isinstance(app.screen, ScriptDetailScreen):
        await pilot.press("escape")
    await until(app, pilot, lambda: app.screen is pane.screen, "back from the script detail")
    if checks.mutations() != before:
        checks.note("the Scripts views sent a mutation")


# --- Stages: tree, detail, exports, deploy picker and confirmation, toasts -------------------


async def stage_views(app: Any, pilot: Any, checks: Checks, planted: Planted,
                      sim: RunningSimulator, downloads: Path) -> None:
    from textual.widgets import OptionList

    from tui.ui.panes.stages import DEPLOYMENTS, SNAPSHOT, SNAPSHOTS, Ref, StagesPane
    from tui.ui.panes.stages import GAME as GAME_NODE
    from tui.ui.panes.stages import STAGE as STAGE_NODE
    from tui.ui.screens.stage_deploy import StageDeployModal
    from tui.ui.screens.stage_pick import StagePickModal

    await pilot.press("4")
    await until(app, pilot, lambda: any(p.is_mounted for p in app.query(StagesPane)),
                "the Stages pane")
    pane = app.query_one(StagesPane)
    pane.poll_initial, pane.poll_max = 0.05, 0.1  # follow the deployment without waiting
    tree = pane.stage_tree
    tree.focus()

    async def cursor_to(ref: Any, what: str) -> Any:
        await until(app, pilot, lambda: pane._find(ref.key) is not None, what)
        node = pane._find(ref.key)
        tree.move_cursor(node)
        await pilot.pause()
        return node

    async def expand(ref: Any, what: str) -> None:
        node = await cursor_to(ref, what)
        if not node.is_expanded:
            await pilot.press("space")  # Tree: space toggles a node
        await until(app, pilot, lambda: not pane.pending, f"{what} loaded")

    descriptions = [d for d in planted.descriptions if d]
    await expand(Ref(GAME_NODE, GAME), "the game node")
    await until(app, pilot, lambda: pane.games.get(GAME) is not None
                and pane.games[GAME].arn is not None, "the game's detail")
    await pilot.pause()
    lines = checks.look(app, "Stages game label and detail (tui/ui/panes/stages.py "
                        "_game_label, game_detail)", shown_prefix(planted.game, 20))
    before = checks.mutations()
    place = find(lines, tag_of(planted.game))
    if place is not None:  # on the game's label: the tree may fold the node, nothing else
        await pilot.click(offset=place)
        await pilot.pause()
        checks.look(app, "Stages tree after a click on the game's description")
    await expand(Ref(GAME_NODE, GAME), "the game node")
    await expand(Ref(STAGE_NODE, GAME, STAGE), "the stage node")
    await expand(Ref(DEPLOYMENTS, GAME, STAGE), "the Deployments branch")
    await expand(Ref(SNAPSHOTS, GAME, STAGE), "the Snapshots branch")
    first = planted.snapshots[0]
    await cursor_to(Ref(SNAPSHOT, GAME, STAGE, first), "the hostile snapshot's node")
    await until(app, pilot, lambda: not pane.pending, "the snapshot's detail")
    await pilot.pause()
    checks.look(app, "Stages tree snapshot labels and snapshot detail "
                "(tui/ui/panes/stages.py snapshot_label, _detail)",
                *[shown_prefix(d, 12) for d in descriptions])

    async def on_snapshots() -> None:
        await cursor_to(Ref(SNAPSHOTS, GAME, STAGE), "the Snapshots branch")

    files = await export_both(app, pilot, checks, "snapshots", downloads, on_snapshots)
    check_exported(checks, "snapshots", files, "id", {
        ident: {"description": text}
        for ident, text in zip(planted.snapshots, planted.descriptions, strict=True)})
    if checks.mutations() != before:
        checks.note("the Stages views and exports sent a mutation")

    # The deploy picker (d on the stage), then the deploy confirmation.
    await cursor_to(Ref(STAGE_NODE, GAME, STAGE), "the stage node")
    await pilot.press("d")
    await until(app, pilot, lambda: isinstance(app.screen, StagePickModal), "the deploy picker")
    await pilot.pause()
    checks.look(app, "deploy picker (tui/ui/screens/stage_pick.py, tui/ui/panes/stages.py "
                "on_deploy_options)", *[shown_prefix(d, 12) for d in descriptions])
    options = app.screen.query_one(OptionList)
    options.highlighted = options.get_option_index(first)
    await pilot.press("enter")
    await until(app, pilot, lambda: isinstance(app.screen, StageDeployModal),
                "the deploy confirmation")
    await pilot.pause()
    description = planted.descriptions[0]
    lines = checks.look(app, "deploy confirmation (tui/ui/screens/stage_deploy.py)",
                        shown_prefix(description, 20))
    await click_texts(app, pilot, lines, with_markup([description]), checks)
    if checks.mutations() != before:
        checks.note("the deploy picker and confirmation sent something before y")
        return
    if not isinstance(app.screen, StageDeployModal):
        return
    # As a person would: a moment after the picker's Enter (a y at once reads as its repeat)
    # and once the confirmation is on screen (keys typed before it was drawn are dropped).
    await until(app, pilot, lambda: getattr(app.screen, "drawn", True), "the confirmation drawn")
    await pilot.pause(0.4)
    await pilot.press("y")
    await until(app, pilot, lambda: len(checks.mutations()) > len(before), "the deployment")
    await until(app, pilot, lambda: (GAME, STAGE) in pane.watches, "the deployment followed")
    await pilot.pause()
    checks.look(app, "toast after the deployment started (tui/ui/panes/stages.py start)",
                tag_of(description))
    sent = [m["operation"] for m in checks.mutations()[len(before):]]
    if sent != ["StartStageDeployment"]:
        checks.note(f"y sent {sent}, not one StartStageDeployment")
    httpx.post(f"{sim.endpoint_url}/_sim/clock", json={"advance": 10}, timeout=10)
    await until(app, pilot, lambda: (GAME, STAGE) not in pane.watches, "the deployment's end",
                timeout=15)
    await until(app, pilot, lambda: not pane.pending, "the history after the deployment")
    await cursor_to(Ref(DEPLOYMENTS, GAME, STAGE), "the Deployments branch")
    await pilot.pause(0.2)
    checks.look(app, "Stages deployment labels and completion toast (tui/ui/panes/stages.py "
                "deployment_label, on_deployment_progress)", shown_prefix(description, 12))


# --- the property test over the real app -----------------------------------------------------

TEXTS = st.fixed_dictionaries({
    "names": st.lists(hostile(20), min_size=6, max_size=6),
    "props": st.lists(st.tuples(hostile(3), hostile(8)), min_size=10, max_size=10),
    "scripts": st.lists(st.tuples(hostile(15), hostile(4)), min_size=3, max_size=3),
    "descriptions": st.lists(hostile(20), min_size=3, max_size=3),
    "game": hostile(20),
})
# Every payload at least once: markup that would make a link of the text's first cell (a
# click there would confirm) first, where the clicks land; the rest spread over the fields.
_P = list(PAYLOADS)
EVERY_PAYLOAD = {
    "names": ["[@click=screen.confirm]x[/]", "\x1b]52;c;SGk=\x07", "\x1b]0;pwned-title\x07",
              "[/]\x1b[2J\x1b[6n\x1bc", "\u202e\u2066evil\x00\x9b6n\x9d52;c;SGk=\x9c",
              KITCHEN_SINK],
    "props": [(_P[i % len(_P)], _P[(i + 1) % len(_P)] * 3) for i in range(0, 20, 2)],
    "scripts": [("[@click=screen.confirm]x[/]", "[/]"), (KITCHEN_SINK, "\x1b]52;c;SGk=\x07"),
                ("".join(_P[20:]), "".join(_P[:20]))],
    "descriptions": ["[@click=screen.confirm]x[/]", KITCHEN_SINK, ""],
    "game": KITCHEN_SINK,
}


@settings(max_examples=2, deadline=None,
          phases=(Phase.explicit, Phase.generate),  # no shrinking: a walk takes seconds
          suppress_health_check=(HealthCheck.function_scoped_fixture, HealthCheck.too_slow))
@given(texts=TEXTS)
@example(texts=EVERY_PAYLOAD)
def test_hostile_service_text_in_every_view(home: Path, texts: dict[str, Any]) -> None:
    # A world of its own for each example, its clock frozen: nothing moves but what we do.
    sim = start_simulator(SimConfig(rate_limits="off", sessions=120, drift=False))
    try:
        sim.sim.clock.freeze()
        planted = plant(sim, texts)
        checks = Checks(sim)
        downloads = home / "data" / "downloads"

        async def run() -> None:
            app = make_app(sim)
            try:
                async with app.run_test(size=SIZE) as pilot:
                    await session_views(app, pilot, checks, planted, downloads)
                    await script_views(app, pilot, checks, planted)
                    await stage_views(app, pilot, checks, planted, sim, downloads)
            except AppDied as err:
                checks.problems.append(f"the app stopped at {err}")
            except Exception as err:  # a crash inside the app surfaces here
                checks.problems.append(f"{checks.view}: {type(err).__name__}: {err}")

        asyncio.run(run())
    finally:
        threading.Thread(target=sim.stop, daemon=True).start()  # its shutdown takes 0.5 s
    assert not checks.problems, "\n".join([planted.describe(), *checks.problems])
