"""Zip checks are bounded and off the UI thread: a zip bomb is named as one and never freezes
the screen, while typing its path or on Review.

The bombs are real: a 1 MB deflate stream that inflates to 1 GiB (zlib's ~1000:1 on zeros),
put in a zip once with honest sizes and once with sizes that lie. The UI's responsiveness is
measured with a probe on the app's own event loop: a task that asks to wake every 5 ms and
records how late it wakes. A handler that blocks the loop shows up as that lateness.

"While the check runs" is measured exactly: from the last key (or Enter) until the check's
answer (ZipChecked) is dispatched to the form, seen through run_test's message hook. The lag
while typing and what the answer then makes the UI do (drawing the result, opening the
confirmation) are measured too and printed (pytest -s), not held to the bound: that is screen
work, the same for any text typed, and on a loaded 2-core machine it alone can take 50 ms.
"""

from __future__ import annotations

import asyncio
import io
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest import make_app, pane_of, settle, type_burst, wait_for
from textual import events
from textual.widgets import DataTable, Input, Static

from tui.services.zipcheck import (
    MAX_EXPANDED_BYTES,
    CheckCancelled,
    ZipBomb,
    check_zip_bytes,
    check_zip_file,
)
from tui.sim.server import RunningSimulator
from tui.ui.panes.scripts import ScriptsPane
from tui.ui.screens.script_forms import ScriptFormModal

MAX_LAG = 0.050  # the bound: no freeze over 50 ms for any zip
GIB_MIB = 1024


def deflated_zeros(mib: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``mib`` MiB of zeros, and its CRC-32, built in a fraction of a
    second: after a full flush the compressor is in the same state, so the 1 MiB blocks repeat
    byte for byte."""
    zeros = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    middle = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(zeros) + packer.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return first + middle * (mib - 2) + last, crc


def one_file_zip(name: bytes, stream: bytes, crc: int, declared: int) -> bytes:
    """A zip of one deflated file whose headers say it expands to ``declared`` bytes."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream),
                        declared, len(name), 0) + name
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                          len(stream), declared, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central),
                      len(local) + len(stream), 0)
    return local + stream + central + end


@pytest.fixture(scope="module")
def gib_stream() -> tuple[bytes, int]:
    return deflated_zeros(GIB_MIB)


@pytest.fixture
def bombs(gib_stream: tuple[bytes, int], tmp_path: Path) -> dict[str, Path]:
    stream, crc = gib_stream
    paths = {"honest": one_file_zip(b"index.js", stream, crc, GIB_MIB << 20),
             "lying": one_file_zip(b"index.js", stream, crc, 4096)}
    out = {}
    for label, data in paths.items():
        assert 1_000_000 < len(data) < 1_100_000  # "a 1 MB zip"
        path = tmp_path / f"{label}-bomb.zip"
        path.write_bytes(data)
        out[label] = path
    return out


@pytest.fixture(scope="module")
def heavy_zip_bytes() -> bytes:
    """A zip that is not a bomb but makes the check work hardest: ~99 MB of files (just under
    the cap, at about 30:1) in a 3.4 MB zip, all of it inflated and CRC-checked."""
    import random

    rng = random.Random(5)
    base = bytes(rng.getrandbits(4) | 0x40 for _ in range(450_000))
    body = b"".join(base[i:i + 1000] * 20 for i in range(0, len(base), 1000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.js", "exports.ssExports = {};\n")
        for part in range(11):
            archive.writestr(f"data/part{part}.js", body)
    return buffer.getvalue()


# --- the check itself: bounded ---------------------------------------------------------------


def test_the_gib_stream_is_what_it_claims(gib_stream: tuple[bytes, int]) -> None:
    stream, crc = gib_stream
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total, check = 0, 0
    # Inflate only the first 8 MiB here: enough to see the zeros and that it goes on.
    while total < 8 << 20:
        piece = inflater.decompress(inflater.unconsumed_tail or stream, 1 << 20)
        total += len(piece)
        check = zlib.crc32(piece, check)
        assert piece == bytes(len(piece))
    assert not inflater.eof
    assert len(stream) * 1000 < GIB_MIB << 20  # over 1000:1


@pytest.mark.parametrize("label", ["honest", "lying"])
def test_a_bomb_is_refused_as_one_after_reading_a_bounded_amount(bombs: dict[str, Path],
                                                                 label: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ZipBomb, match="zip bomb") as caught:
        check_zip_file(bombs[label])
    spent = time.perf_counter() - start
    # Inflating the whole GiB takes seconds (2.4 s for ZipFile.testzip on this machine); the
    # bound stops after the declared size at most.
    assert spent < 0.5, f"{label}: {spent:.3f} s"
    text = str(caught.value)
    assert ("1,073,741,824" in text) if label == "honest" else ("4,096 bytes it declares" in text)


def test_a_file_beyond_the_ratio_limit_is_a_bomb() -> None:
    stream, crc = deflated_zeros(8)
    with pytest.raises(ZipBomb, match="expands .* times"):
        check_zip_bytes(one_file_zip(b"index.js", stream, crc, 8 << 20), "ratio.zip")


def test_a_heavy_honest_zip_passes_under_the_cap(heavy_zip_bytes: bytes) -> None:
    check = check_zip_bytes(heavy_zip_bytes, "heavy.zip")
    assert sum(size for _, size in check.files) < MAX_EXPANDED_BYTES
    assert sum(size for _, size in check.files) > 0.9 * MAX_EXPANDED_BYTES


def test_a_check_can_be_given_up(heavy_zip_bytes: bytes) -> None:
    with pytest.raises(CheckCancelled):
        check_zip_bytes(heavy_zip_bytes, "heavy.zip", cancelled=lambda: True)


# --- in the app: the event loop never waits for a check -------------------------------------


class LagProbe:
    """How late the app's event loop wakes a task that sleeps 5 ms at a time."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.samples: list[tuple[float, float]] = []  # (woke at, how late)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period)
            woke = time.perf_counter()
            self.samples.append((woke, woke - before - self.period))

    def start(self) -> None:
        self.samples = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> float:
        """The worst lateness since start."""
        assert self._task is not None
        self._task.cancel()
        return max((lag for _, lag in self.samples), default=0.0)

    def worst_between(self, start: float, end: float) -> float:
        """The worst lateness of the wake-ups from ``start`` to ``end``; when none fell in
        between, the whole span (no freeze can have been longer)."""
        lags = [lag for woke, lag in self.samples if start < woke <= end]
        return max(lags) if lags else end - start


class CheckAnswers:
    """run_test's message hook: when each zip check's answer reached the form, and when each
    key was dispatched."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.keys: list[float] = []

    def __call__(self, message: object) -> None:
        if type(message).__name__ == "ZipChecked":
            self.times.append(time.perf_counter())
        elif isinstance(message, events.Key):
            self.keys.append(time.perf_counter())

    def last(self) -> float:
        assert self.times, "no zip check answered"
        return self.times[-1]

    def last_key_before(self, moment: float) -> float:
        return max(t for t in self.keys if t <= moment)


@pytest.fixture
def measured() -> Iterator[list[str]]:
    """Lines of what was measured, printed at the end of a test (pytest -s shows them)."""
    lines: list[str] = []
    yield lines
    for line in lines:
        print(line)


async def open_update_form(app: object, pilot: object) -> ScriptFormModal:
    await pilot.press("3")  # type: ignore[attr-defined]
    await settle(app, pilot)
    await pane_of(app, pilot, ScriptsPane)
    table = app.query_one("#scripts-table", DataTable)  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: table.row_count > 1)
    table.focus()
    table.move_cursor(row=1)  # the first version under the first script's group line
    await pilot.press("u")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, ScriptFormModal))  # type: ignore[attr-defined]
    form = app.screen  # type: ignore[attr-defined]
    await settle(app, pilot, rounds=1)
    return form


def check_line(form: ScriptFormModal) -> str:
    return str(form.query_one("#script-check", Static).render())


def problem_line(form: ScriptFormModal) -> str:
    return str(form.query_one("#problem", Static).render())


async def test_the_probe_sees_a_blocked_loop(sim: RunningSimulator, home: Path) -> None:
    """The probe is worth something: a 120 ms block on the loop (what the old check did, for
    3.4 s) is measured as such."""
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot, rounds=1)
        probe = LagProbe()
        probe.start()
        await pilot.pause(0.05)
        time.sleep(0.12)  # the UI thread blocked, as a synchronous check would
        await pilot.pause(0.05)
        assert probe.stop() >= 0.1


@pytest.mark.parametrize("label", ["honest", "lying"])
async def test_typing_a_bomb_path_keeps_the_ui_responsive(
        sim: RunningSimulator, home: Path, bombs: dict[str, Path], label: str,
        measured: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bombs[label].parent)
    typed_path = bombs[label].name
    app = make_app(sim)
    answers = CheckAnswers()
    async with app.run_test(size=(100, 30), message_hook=answers) as pilot:
        form = await open_update_form(app, pilot)
        form.query_one("#script-content", Input).focus()
        probe = LagProbe()
        probe.start()
        started = time.perf_counter()
        await pilot.press(*typed_path)  # key by key, as a user types it
        await wait_for(pilot, lambda: "zip bomb" in check_line(form), timeout=15)
        answered = answers.last()
        typed = answers.last_key_before(answered)
        while_typing = probe.worst_between(started, typed)
        check_lag = probe.worst_between(typed, answered)
        with_drawing = probe.stop()
        checks = len(answers.times)
        # Review: the finished check is used; no second read, no freeze.
        probe.start()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "zip bomb" in problem_line(form))
        await pilot.pause(0.1)
        review_lag = probe.stop()
        assert app.screen is form and "nothing was sent" in problem_line(form)
        assert len(answers.times) == checks, "Review checked the zip again"
        measured.append(f"{label} bomb: {len(typed_path)} keys in {typed - started:.2f} s, "
                        f"answered {answered - typed:.2f} s after the last, {checks} check(s); "
                        f"max loop lag {check_lag * 1000:.1f} ms from the last key to the "
                        f"answer, {review_lag * 1000:.1f} ms on Review (typing "
                        f"{while_typing * 1000:.1f} ms, drawing the answer "
                        f"{with_drawing * 1000:.1f} ms)")
        assert check_lag < MAX_LAG, f"UI froze {check_lag * 1000:.0f} ms during the check"
        assert review_lag < MAX_LAG, f"UI froze {review_lag * 1000:.0f} ms on Review"


async def test_a_burst_of_keys_is_checked_once(sim: RunningSimulator, home: Path,
                                               bombs: dict[str, Path], measured: list[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys as a fast typist (or a paste) sends them: one check, after the typing stops. (The
    pilot's one-key-at-a-time typing above waits for each key to be drawn, which on a busy
    machine can outlast the pause the check waits for.)"""
    monkeypatch.chdir(bombs["honest"].parent)
    app = make_app(sim)
    answers = CheckAnswers()
    async with app.run_test(size=(100, 30), message_hook=answers) as pilot:
        form = await open_update_form(app, pilot)
        form.query_one("#script-content", Input).focus()
        await type_burst(app, pilot, bombs["honest"].name)
        await wait_for(pilot, lambda: "zip bomb" in check_line(form), timeout=15)
        await pilot.pause(0.5)
        measured.append(f"burst of {len(bombs['honest'].name)} keys: "
                        f"{len(answers.times)} check(s)")
        assert form.query_one("#script-content", Input).value == bombs["honest"].name
        assert len(answers.times) == 1


async def test_review_right_after_typing_waits_for_the_check_without_blocking(
        sim: RunningSimulator, home: Path, bombs: dict[str, Path], heavy_zip_bytes: bytes,
        tmp_path: Path, measured: list[str]) -> None:
    """Enter before the pause in typing has passed: the check runs now, on its worker, and the
    form answers when it is done. The heavy zip is fully inflated (about 99 MB) meanwhile."""
    heavy = tmp_path / "heavy.zip"
    heavy.write_bytes(heavy_zip_bytes)
    app = make_app(sim)
    answers = CheckAnswers()
    async with app.run_test(size=(100, 30), message_hook=answers) as pilot:
        form = await open_update_form(app, pilot)
        content = form.query_one("#script-content", Input)
        content.focus()
        probe = LagProbe()
        probe.start()
        content.value = str(bombs["honest"])
        started = time.perf_counter()
        await pilot.press("enter")
        await pilot.press("enter")  # a second Enter while the first is handled: nothing more
        await wait_for(pilot, lambda: "zip bomb" in problem_line(form))
        bomb_lag = probe.worst_between(started, answers.last())
        probe.stop()
        assert app.screen is form

        form.query_one("#script-version", Input).value = "heavy-1"
        await pilot.pause()
        probe.start()
        started = time.perf_counter()
        content.value = str(heavy)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not form, timeout=15)
        answered = answers.last()
        heavy_after = answered - started
        heavy_lag = probe.worst_between(started, answered)
        await pilot.pause(0.1)
        with_confirmation = probe.stop()
        assert "Upload" in str(app.screen.query_one("#confirm").label)  # the confirmation
        measured.append(f"Review at once: bomb max lag {bomb_lag * 1000:.1f} ms; heavy zip "
                        f"(99 MB inflated and CRC-checked) answered after {heavy_after:.2f} s, "
                        f"max lag {heavy_lag * 1000:.1f} ms meanwhile (opening the "
                        f"confirmation after it: {with_confirmation * 1000:.1f} ms)")
        assert bomb_lag < MAX_LAG, f"UI froze {bomb_lag * 1000:.0f} ms on a bomb"
        assert heavy_lag < MAX_LAG, f"UI froze {heavy_lag * 1000:.0f} ms inflating 99 MB"
        await pilot.press("escape")


async def test_a_fixed_path_clears_the_old_error(sim: RunningSimulator, home: Path,
                                                 tmp_path: Path) -> None:
    bad = tmp_path / "notes.zip"
    bad.write_text("not a zip at all\n")
    good = tmp_path / "good.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", "exports.ssExports = {};\n")
    good.write_bytes(buffer.getvalue())
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_update_form(app, pilot)
        content = form.query_one("#script-content", Input)
        content.focus()
        content.value = str(bad)
        await wait_for(pilot, lambda: "not a zip archive" in check_line(form))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "not a zip archive" in problem_line(form))
        # The user fixes the path: the old refusal goes at once, the new verdict follows.
        content.value = str(good)
        await pilot.pause()
        assert problem_line(form) == ""
        assert "not a zip" not in check_line(form)
        await wait_for(pilot, lambda: "readable zip" in check_line(form))
        assert problem_line(form) == "" and "not a zip" not in check_line(form)
        # Typing on, to a path that names no file yet: nothing stale stays either.
        content.value = str(tmp_path / "goo")
        await pilot.pause(0.5)
        assert check_line(form) == "" and problem_line(form) == ""


async def test_comparing_with_a_bomb_says_so_and_keeps_the_ui_responsive(
        sim: RunningSimulator, home: Path, bombs: dict[str, Path], measured: list[str]) -> None:
    """`c` diffs two zips that were never checked (an S3 object, or an archive entry written
    by hand): each is checked, bounded, on the compare screen's worker before any diff."""
    from tui.services.script_archive import ScriptArchive
    from tui.ui.screens.script_compare import ScriptCompareScreen
    from tui.ui.screens.script_history import ScriptHistoryScreen

    script_id = next(s.script_id for s in sim.sim.gamelift.scripts.values()
                     if s.name == "party-matchmaker")
    archive = ScriptArchive()
    honest = io.BytesIO()
    with zipfile.ZipFile(honest, "w") as zf:
        zf.writestr("index.js", "let x = 1;\n")
    archive.add(honest.getvalue(), script_id=script_id, name="party-matchmaker",
                version="2.3.1", target="demo:us-west-2")
    archive.add(bombs["lying"].read_bytes(), script_id=script_id, name="party-matchmaker",
                version="2.3.2", target="demo:us-west-2")
    app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        pane = await pane_of(app, pilot, ScriptsPane)
        table = app.query_one("#scripts-table", DataTable)
        await wait_for(pilot, lambda: script_id in table.rows)
        table.focus()
        table.move_cursor(row=table.get_row_index(script_id))
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, ScriptHistoryScreen))
        probe = LagProbe()
        probe.start()
        await pilot.press("space", "down", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, ScriptCompareScreen))
        files = app.screen.query_one("#script-compare-files", Static)
        await wait_for(pilot, lambda: "zip bomb" in str(files.render()), timeout=15)
        lag = probe.stop()
        measured.append(f"compare with a bomb: max loop lag {lag * 1000:.1f} ms")
        assert "cannot compare the zips" in str(files.render())
        # The window includes building and painting the compare screen and the answer (24-56 ms
        # on a loaded 2-core machine); the old inline inflate of 1 GiB froze it for seconds.
        assert lag < 2 * MAX_LAG, f"UI froze {lag * 1000:.0f} ms while comparing"
        assert pane.is_attached
