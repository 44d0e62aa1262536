"""Terminal and process faults: a terminal shrunk to 40×12 and back on every pane, and SIGTERM /
SIGHUP while a deployment is followed or a snapshot export is under way.

The signal tests run the real CLI (`python -m tui --demo`; the hang-up test points it at the
test's own world with `--endpoint-url`, to slow that world down) in a subprocess on a
pseudo-terminal that is its controlling terminal, as sshd gives one, so closing the terminal
delivers SIGHUP the way a dropped SSH session does. Afterwards: the process ended by itself
(it was not killed by the signal), the terminal was restored (alternate screen left), no
traceback was printed, no partial file sits under a final name, and every audit line is valid
JSON.

Textual 8.2.8 leaves SIGTERM and SIGHUP at their default action (only SIGTSTP, SIGCONT and
SIGWINCH have handlers in its Linux driver), so without tui.ui.lifecycle (installed by
cli.run_app) the process dies on the spot with the terminal still in raw mode on the alternate
screen.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apptest import make_app, pane_of, settle, wait_for
from simctl import World

from tui import cli
from tui.ui.lifecycle import install_signal_handlers
from tui.ui.screens.base import REPEAT_SECONDS

CLI = [sys.executable, "-m", "tui", "--demo"]
DOWN = b"\x1b[B"
LEFT_ALT_SCREEN = b"\x1b[?1049l"


# --- resize ----------------------------------------------------------------------------------


# The pilot tests' world: 80 sessions, frozen (no drift, the clock stopped).
WORLD = pytest.mark.world(sessions=80)


@WORLD
async def test_shrink_to_40x12_and_back_on_every_pane(world: World,
                                                     home: Path) -> None:
    from textual.widgets import Static

    app = make_app(world)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        for key, status in (("1", "#session-status"), ("2", None), ("3", "#scripts-status"),
                            ("4", "#stages-status")):
            await pilot.press(key)
            await settle(app, pilot)
            for size in ((40, 12), (120, 36)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                assert app.size == size
                if size == (40, 12):
                    # Keys still work at this size: move, refresh, open and close help.
                    await pilot.press("down", "r")
                    await settle(app, pilot)
                    await pilot.press("question_mark")
                    await pilot.pause()
                    await pilot.press("escape")
                    await pilot.pause()
                assert app.export_screenshot()  # renders without an error
                assert app.is_running
            if status is not None:
                assert "STALE" not in str(app.query_one(status, Static).render())
        # A modal open while the terminal shrinks.
        await pilot.press("1")
        await settle(app, pilot)
        app.query_one("#session-table").focus()
        await pilot.press("t")
        await pilot.pause()
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.resize_terminal(120, 36)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and world.mutations() == []


# --- signals, in process ---------------------------------------------------------------------


@WORLD
async def test_sigterm_ends_the_app_and_stops_a_deployment_poll(world: World,
                                                                home: Path) -> None:
    from tui.ui.panes.stages import StagesPane

    app = make_app(world)
    restore = install_signal_handlers(app)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app, pilot)
            pane = await pane_of(app, pilot, StagesPane)
            client = app.aws.client("gamesparks")
            snapshot = client.list_snapshots(GameName="kart-league")["Snapshots"][0]["Id"]
            started = client.start_stage_deployment(
                GameName="kart-league", StageName="staging", SnapshotId=snapshot,
                ClientToken="terminal-faults-test-token-000000001")["StageDeployment"]
            # The clock is frozen: the deployment stays PENDING and the pane polls it forever.
            from tui.aws.records import StageDeployment

            pane._follow(StageDeployment.from_api(started, "kart-league", "staging"))

            def watching() -> list[Any]:
                return [w for w in app.workers
                        if w.group.startswith("stages-watch") and w.is_running]

            await wait_for(pilot, watching)
            watchers = watching()
            assert watchers and watchers[0].is_running
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + 10
            while app.is_running and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert not app.is_running
        assert app.return_code == 128 + signal.SIGTERM
        deadline = time.monotonic() + 5
        while watchers[0].is_running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not watchers[0].is_running  # the poll stopped, it did not outlive the app
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


# --- signals, the real CLI in a subprocess on a pty -----------------------------------------


class Terminal:
    """A pseudo-terminal that is the child's controlling terminal; output is drained."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))

        def controlling_tty() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     preexec_fn=controlling_tty, close_fds=True, cwd=env["HOME"])
        os.close(slave)
        self.output = bytearray()
        self.closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output.extend(data)

    def written(self) -> bytes:
        return bytes(self.output)

    def send(self, key: bytes | str) -> None:
        os.write(self.master, key.encode() if isinstance(key, str) else key)

    def wait_drawn(self, texts: tuple[str, ...], seconds: float, what: str,
                   since: int = 0) -> None:
        """Until every one of ``texts`` has been drawn since ``since`` (read without escape
        sequences and white space)."""
        wait_until(lambda: all(text in drawn_text(self.written()[since:]) for text in texts),
                   seconds, what)

    def key(self, key: bytes | str, *shows: str, seconds: float = 10) -> None:
        """Press ``key``; wait until the screen shows ``shows``: the app handled it."""
        mark = len(self.output)
        self.send(key)
        self.wait_drawn(shows, seconds, f"after {key!r}: {shows}", since=mark)

    def hang_up(self) -> None:
        """Close the terminal: the kernel sends SIGHUP, as when an SSH session drops."""
        os.close(self.master)
        self.closed = True

    def wait(self, seconds: float) -> int | None:
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.closed:
            os.close(self.master)
            self.closed = True


_SEQUENCE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -~]")


def drawn_text(output: bytes) -> str:
    """The characters the app drew, in the order written, without escape sequences and
    white space."""
    return re.sub(r"\s+", "", _SEQUENCE.sub(b"", output).decode("utf-8", "replace"))


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds}s")


@pytest.fixture
def terminal_env(home: Path, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)  # the hermetic AWS settings of conftest, GAMEOPS_TUI_HOME = home
    env.update(TERM="xterm-256color", HOME=str(tmp_path), COLUMNS="120", LINES="30")
    env.pop("NO_COLOR", None)
    return env


def listening_port(pid: int) -> int | None:
    """The TCP port the process listens on (the demo's in-process simulator)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    inodes = set()
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            return int(fields[1].split(":")[1], 16)
    return None


def start(argv: list[str], env: dict[str, str]) -> Terminal:
    """The CLI on a terminal, once its first loads are on screen (the first fleet's
    sessions)."""
    term = Terminal(argv, env, (120, 30))
    wait_until(lambda: b"Sessions" in term.output, 20, "the app drew its screen")
    if "--demo" in argv:
        wait_until(lambda: listening_port(term.proc.pid), 10, "the simulator listens")
    term.wait_drawn(("sessions·updated",), 20, "the first loads")
    return term


def world_cli(world: World) -> list[str]:
    """The shipped CLI pointed at the test's world (whose faults the test sets)."""
    return [sys.executable, "-m", "tui", "--endpoint-url", world.endpoint_url,
            "--region", "us-west-2"]


def open_stages(term: Terminal) -> None:
    """Stages pane, the first game expanded, the cursor on its first stage."""
    term.key("4", "games·updated", "kart-league")
    term.key(" ", "└──▶prod")
    term.key(DOWN, "Stagekart-league/dev")


def audit_lines(home: Path) -> list[dict[str, Any]]:
    path = home / "log" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]  # all valid JSON


def check_files(home: Path) -> None:
    downloads = home / "data" / "downloads"
    for path in downloads.iterdir() if downloads.exists() else ():
        assert not path.name.endswith(".part"), f"partial download left: {path.name}"
        json.loads(path.read_text())  # a file under its final name is complete
    for path in home.rglob("*.tmp"):
        raise AssertionError(f"temporary file left: {path}")


def deploy_keys(term: Terminal) -> None:
    """Stages pane, first game, its first stage: d, the first snapshot, y."""
    open_stages(term)
    term.key("d", "Deployasnapshotofkart-leaguetostagedev", "(serving)")
    term.key("\r", "willdeploy:", "Deploy(y)")
    # A y this soon after the picker's Enter counts as its repeat and is dropped
    # (tui.ui.screens.base): a person reads the diff first.
    time.sleep(REPEAT_SECONDS)
    term.send("y")


def check_clean_exit(term: Terminal, code: int | None, signum: int) -> None:
    assert code is not None, "the app did not exit within the time limit"
    assert code == 128 + signum, f"exit status {code}: ended by the signal, not by the app"
    out = bytes(term.output)
    if not term.closed:
        assert LEFT_ALT_SCREEN in out[-4000:], "terminal not restored"
    assert b"Traceback" not in out


def test_sigterm_during_a_deployment_poll(terminal_env: dict[str, str], home: Path) -> None:
    term = start(CLI, terminal_env)
    try:
        mark = len(term.output)
        deploy_keys(term)
        wait_until(lambda: any(a["operation"] == "StartStageDeployment" and a["outcome"] == "ok"
                               for a in audit_lines(home)), 15, "deployment started")
        # The pane reports it and follows it: it polls GetStageDeployment (PENDING ~2.5 s).
        term.wait_drawn(("Deploymentstarted",), 10, "the deployment followed", since=mark)
        term.proc.send_signal(signal.SIGTERM)
        code = term.wait(15)
        check_clean_exit(term, code, signal.SIGTERM)
    finally:
        term.close()
    check_files(home)
    assert [a["operation"] for a in audit_lines(home)] == ["StartStageDeployment"]


def test_terminal_hang_up_during_a_snapshot_export(world: World, terminal_env: dict[str, str],
                                                   home: Path) -> None:
    # The CLI on the test's world (not --demo's own simulator): the test slows that world down.
    terminal_env.update(AWS_ACCESS_KEY_ID="AKIDTERMFAULTS", AWS_SECRET_ACCESS_KEY="secret")
    term = start(world_cli(world), terminal_env)
    try:
        # Stages: first game, first stage, its Snapshots branch, the first snapshot.
        open_stages(term)
        term.key(" ", "└──▶Snapshots")
        term.key(DOWN, "expandtoloadthedeploymenthistory")
        term.key(DOWN, "thegame'ssnapshots,newestfirst")
        term.key(" ", "▼Snapshots(")
        term.key(DOWN, "SnapshotIdSnapshot_", "Sections")
        # Slow the service down so that the export is surely under way when the line drops.
        world.faults(latency_ms=2500)
        mark = len(term.output)
        term.send("x")
        # The status line says the export is under way (ExportSnapshot is being answered).
        wait_until(lambda: b"exporting" in term.output[mark:], 5, "export started")
        term.hang_up()
        code = term.wait(20)
        check_clean_exit(term, code, signal.SIGHUP)
    finally:
        term.close()
    check_files(home)
    audit_lines(home)


def test_the_cli_as_shipped_on_sigterm(terminal_env: dict[str, str], home: Path) -> None:
    """`python -m tui --demo` exactly as cli.py runs it."""
    term = start(CLI, terminal_env)
    try:
        term.proc.send_signal(signal.SIGTERM)
        code = term.wait(15)
    finally:
        term.close()
    check_files(home)
    audit_lines(home)
    assert "install_signal_handlers" in Path(cli.__file__).read_text()
    check_clean_exit(term, code, signal.SIGTERM)
