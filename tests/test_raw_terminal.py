"""The bytes the app writes to a real terminal carry none of the hostile sequences on screen
(issue 15, item 1).

The shipped CLI (``python -m tui --endpoint-url … --region us-west-2``) runs on a pseudo-terminal
of 100×30 (TERM=xterm-256color) against a simulator in this process whose game sessions, game
and snapshots were given names and descriptions full of escape sequences (OSC 52 clipboard
writes, window titles, a cursor-position request, ``file://`` hyperlinks, a full reset, a screen
clear), C1 controls, NUL and the right-to-left override. Every byte the app writes is recorded
while it shows the sessions table, a session's detail (Enter) and the Stages pane (``4``); then
it quits (``q``).

Textual writes escape sequences of its own (cursor moves, colours, modes), so the test looks
for the exact byte strings planted (each payload with a marker after it) and for sequences
Textual never writes unasked (checked on a run with harmless names: OSC 52, window titles,
``ESC[6n``, OSC 8 ``file:``, ``ESC c``, U+202E, NUL, C1 as UTF-8). It also finds the visible
forms (``␛]52;c;…``) in the output: the names were on screen, shown, not sent.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from simctl import World

import tui

# The world: 60 sessions, frozen (no drift, the clock stopped), no rate limits.
pytestmark = [pytest.mark.timeout(60), pytest.mark.world(sessions=60)]

SIZE = (100, 30)
GAME = "space-raiders"

# (payload, marker): the marker follows the payload in the planted text, so "payload+marker"
# in the output can only be our text sent raw. ``shown`` is how the trust rule draws it.
PLANTED: tuple[tuple[str, str], ...] = (
    ("\x1b]52;c;SGVsbG8=\x07", "ZQCLIP"),  # OSC 52: write the clipboard
    ("\x1b]0;PWNED-TITLE\x07", "ZQTITLE0"),  # window title
    ("\x1b]2;PWNED-TITLE\x1b\\", "ZQTITLE2"),
    ("\x1b[6n", "ZQDSR"),  # the terminal would type a cursor report
    ("\x1b]8;;file:///etc/passwd\x1b\\here\x1b]8;;\x1b\\", "ZQLINK"),  # hyperlink
    ("\x1bc", "ZQRIS"),  # full reset
    ("\x1b[2J", "ZQCLEAR"),  # clear the screen
    ("\x9b6n", "ZQC1CSI"),  # C1 CSI: a cursor report again
    ("\x9d0;C1-TITLE\x9c", "ZQC1OSC"),  # C1 OSC … ST
    ("\x85", "ZQNEL"),
    ("\u202e", "ZQRLO"),  # right-to-left override
    ("\x00", "ZQNUL"),
)
HOSTILE = "HOSTILE " + "".join(payload + marker for payload, marker in PLANTED)

# Sequences that must not be in the output at all, whoever wrote them: Textual does not write
# them unasked (no clipboard copy, no title, no cursor query, no hyperlink to a file).
NEVER = (
    (b"\x1b]52", "OSC 52 (clipboard write)"),
    (b"\x1b]0;", "OSC 0 (window title)"),
    (b"\x1b]2;", "OSC 2 (window title)"),
    (b"\x1b[6n", "CSI 6n (cursor position request)"),
    (b"\x1b]8;;file", "OSC 8 hyperlink to a file"),
    (b"\x1bc", "ESC c (full reset)"),
    ("\u202e".encode(), "U+202E right-to-left override"),
    (b"\x00", "NUL"),
)
C1_AS_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
# Rich opens its own hyperlinks with an id (``ESC]8;id=…;url``) and closes them with
# ``ESC]8;;ESC\``: an OSC 8 with empty parameters followed by anything else is someone else's.
FOREIGN_LINK = re.compile(rb"\x1b\]8;;(?!\x1b\\)")


# --- the terminal ----------------------------------------------------------------------------


class Terminal:
    """The CLI on a pseudo-terminal (its controlling terminal); a thread drains the output so
    the app never blocks on a full pty."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))

        def controlling_tty() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=cwd, preexec_fn=controlling_tty, close_fds=True)
        os.close(slave)
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO once the child has closed its side
                return
            if not data:
                return
            with self._lock:
                self.output.extend(data)

    def written(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait_for(self, condition: Callable[[bytes], Any], seconds: float, what: str,
                 since: int = 0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition(self.written()[since:]):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited ({self.proc.returncode}) before {what}:\n"
                                     f"{tail(self.written())}")
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {seconds}s\n{tail(self.written())}")

    def wait_drawn(self, texts: tuple[str, ...], seconds: float, what: str,
                   since: int = 0) -> None:
        """Until every one of ``texts`` has been drawn since ``since`` (compared without
        escape sequences and white space, as :func:`drawn_text` reads the output)."""
        self.wait_for(lambda out: all(text in drawn_text(out) for text in texts), seconds,
                      what, since)

    def finish(self, seconds: float) -> int | None:
        """Wait for the app to end; kill it if it does not."""
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return None
        finally:
            self._reader.join(2)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass


def tail(data: bytes, size: int = 1500) -> str:
    return repr(data[-size:])


# --- the world -------------------------------------------------------------------------------


def plant(world: World, text: str) -> list[str]:
    """``text`` as the name of every session of every fleet (whichever fleet the app opens
    shows it), as a game property, as the game's and a new snapshot's description."""
    gamelift = boto3.client("gamelift", region_name="us-west-2",
                            endpoint_url=world.endpoint_url,
                            aws_access_key_id="AKIDRAWTERM", aws_secret_access_key="secret")
    planted = []
    for index, session in enumerate(world.sessions().values()):
        if session["Status"] != "ACTIVE":
            continue
        changes: dict[str, Any] = {"Name": f"{text[:8]}{index:02d}{text[8:]}"[:1024]}
        if len(session["GameProperties"]) < 16:
            changes["GameProperties"] = [{"Key": "lobby", "Value": text[:96]}]
        gamelift.update_game_session(GameSessionId=session["GameSessionId"], **changes)
        planted.append(session["GameSessionId"])
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(
        0, str(Path(tui.__file__).parent / "aws" / "data"))
    sparks = boto3.session.Session(botocore_session=session).client(
        "gamesparks", region_name="us-west-2", endpoint_url=world.endpoint_url,
        aws_access_key_id="AKIDRAWTERM", aws_secret_access_key="secret")
    sparks.update_game(GameName=GAME, Description=text)
    sparks.create_snapshot(GameName=GAME, Description=text)
    return planted


def run_app(world: World, tmp_path: Path) -> bytes:
    """Start the CLI, show the sessions, a detail (enter), the Stages pane (4), quit (q);
    every byte written to the terminal. Each key is sent once the screen shows that the one
    before it was handled (what it drew, its footer included), not after a fixed pause."""
    home = tmp_path / "home"
    env = dict(os.environ)  # conftest's hermetic AWS settings
    env.update(TERM="xterm-256color", COLORTERM="truecolor", HOME=str(tmp_path),
               GAMEOPS_TUI_HOME=str(home), AWS_ACCESS_KEY_ID="AKIDRAWTERM",
               AWS_SECRET_ACCESS_KEY="raw-terminal-secret", COLUMNS=str(SIZE[0]),
               LINES=str(SIZE[1]))
    for name in ("NO_COLOR", "TEXTUAL", "TEXTUAL_DRIVER", "TEXTUAL_FPS"):
        env.pop(name, None)
    argv = [sys.executable, "-m", "tui", "--endpoint-url", world.endpoint_url,
            "--region", "us-west-2"]
    term = Terminal(argv, env, tmp_path)
    try:
        # The sessions table: the names' first cells, the first fleet's sessions loaded (the
        # fleet table has the keyboard, its cursor on the first row).
        term.wait_drawn(("HOSTILE", "sessions·updated"), 20, "the sessions table")
        mark = len(term.written())
        term.send(b"\r")  # enter on the fleet: its sessions, the keyboard in their table
        term.wait_drawn(("updated0sago", "/Filterrows"), 8, "the fleet's sessions reloaded",
                        since=mark)
        mark = len(term.written())
        term.send(b"\r")  # enter on a session: its detail, the whole name and properties
        term.wait_for(lambda out: b"GameSessionId" in out, 8, "the session detail", since=mark)
        # Its players loaded and the footer following the detail's keys: the screen is drawn.
        term.wait_drawn(("GameSessionId", "PlayerId", "escBack"), 8,
                        "the session detail settled", since=mark)
        mark = len(term.written())
        term.send(b"\x1b")  # escape: back to the table (a lone ESC, then nothing)
        term.wait_drawn(("sessions·updated", "/Filterrows"), 8, "back on the sessions table",
                        since=mark)
        mark = len(term.written())
        term.send(b"4")  # the Stages pane: the game's description is in the tree
        term.wait_for(lambda out: GAME.encode() in out, 8, "the Stages pane", since=mark)
        # The games listed with their descriptions, the footer on the Stages keys.
        term.wait_drawn((f"{GAME}HOSTILE", "games·updated", "Rollback"), 8,
                        "the Stages pane settled", since=mark)
        term.send(b"q")
        code = term.finish(8)
        assert code is not None, f"the app did not quit on q:\n{tail(term.written())}"
        return term.written()
    finally:
        term.close()


def raw_findings(output: bytes, planted: tuple[tuple[str, str], ...]) -> list[str]:
    found = []
    for payload, marker in planted:
        raw = (payload + marker).encode()
        if raw in output:
            found.append(f"planted {payload!r} reached the terminal raw")
    for sequence, what in NEVER:
        if sequence in output:
            at = output.find(sequence)
            found.append(f"{what}: {output[max(0, at - 40):at + 40]!r}")
    for pattern, what in ((C1_AS_UTF8, "C1 control as UTF-8"),
                          (FOREIGN_LINK, "an OSC 8 hyperlink not opened by Rich")):
        match = pattern.search(output)
        if match:
            found.append(f"{what}: {output[max(0, match.start() - 40):match.end() + 40]!r}")
    return found


# --- the tests -------------------------------------------------------------------------------


def test_harmless_names_write_none_of_the_banned_sequences(world: World,
                                                          tmp_path: Path) -> None:
    """The control case: Textual's own output has none of the sequences banned below, so
    finding one with hostile names on screen means it came from them."""
    plant(world, "HOSTILE harmless name with [brackets] and ✓ marks")
    output = run_app(world, tmp_path)
    assert b"\x1b[" in output  # Textual drew: cursor moves and colours
    assert raw_findings(output, ()) == []


def test_hostile_names_on_screen_never_reach_the_terminal_raw(world: World,
                                                             tmp_path: Path) -> None:
    plant(world, HOSTILE)
    output = run_app(world, tmp_path)
    findings = raw_findings(output, PLANTED)
    assert not findings, "\n".join(findings)
    # The names were on screen, drawn as symbols (a long name wraps: compare the text drawn,
    # without Textual's sequences and white space).
    text = drawn_text(output)
    for shown in ("␛]52;c;SGVsbG8=␇ZQCLIP", "␛]0;PWNED-TITLE␇ZQTITLE0", "␛[6nZQDSR",
                  "␛]8;;file:///etc/passwd␛\\here", "␛cZQRIS", "␛[2JZQCLEAR",
                  "⟨U+009B⟩6nZQC1CSI", "⟨U+009D⟩0;C1-TITLE⟨U+009C⟩ZQC1OSC", "⟨U+0085⟩ZQNEL",
                  "⟨U+202E⟩ZQRLO", "␀ZQNUL"):
        assert shown in text, f"{shown!r} not drawn"


_SEQUENCE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -~]")


def drawn_text(output: bytes) -> str:
    """The characters the app drew, in the order written, without escape sequences (ours are
    all shown as symbols by now) and white space."""
    return re.sub(r"\s+", "", _SEQUENCE.sub(b"", output).decode("utf-8", "replace"))
