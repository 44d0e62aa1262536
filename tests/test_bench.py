"""The benchmark runs end to end at a small scale. A smoke test: no timing is asserted here."""

from __future__ import annotations

import pytest

from tui import bench


def test_benchmark_prints_every_case(capsys: pytest.CaptureFixture[str], home: object) -> None:
    bench.main(["--repeat", "1", "--sessions", "300", "--big-sessions", "600", "--big-fleets", "3",
                "--search-results", "60"])
    out = capsys.readouterr().out
    for case in ("full load, 1 fleet, 300 sessions", "key → screen", "refresh,",
                 "peak RSS, 300 sessions", "full load, 3 fleets, 600 sessions",
                 "search, ", "pages)", "cold start"):
        assert case in out, case
    # Each row ran against the same data as its baseline (bench asserts equal counts).
    assert "cursor kept" in out
