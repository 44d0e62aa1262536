"""Pages joined into batches by time: nothing lost, nothing reordered, first rows at once."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from tui.services.batching import coalesce


def timed_pages(pages: list[list[int]], gaps: list[float],
                clock: list[float]) -> Iterator[list[int]]:
    """Yield each page after advancing the fake clock by its gap (the page's round trip)."""
    for page, gap in zip(pages, gaps, strict=True):
        clock[0] += gap
        yield page


def test_fast_pages_are_joined_and_the_first_goes_out_alone() -> None:
    clock = [0.0]
    pages = [[i * 10 + j for j in range(3)] for i in range(10)]
    batches = list(coalesce(timed_pages(pages, [0.01] * 10, clock), every=0.05,
                            clock=lambda: clock[0]))
    assert batches[0] == pages[0]
    assert len(batches) < len(pages)
    assert [x for b in batches for x in b] == [x for p in pages for x in p]


def test_slow_pages_each_go_out_as_they_arrive() -> None:
    clock = [0.0]
    pages = [[1], [2], [3]]
    batches = list(coalesce(timed_pages(pages, [0.2, 0.2, 0.2], clock), every=0.05,
                            clock=lambda: clock[0]))
    assert batches == [[1], [2], [3]]


def test_empty_pages_never_make_an_empty_batch() -> None:
    clock = [0.0]
    pages: list[list[int]] = [[], [], [7], [], []]
    batches = list(coalesce(timed_pages(pages, [0.1] * 5, clock), every=0.05,
                            clock=lambda: clock[0]))
    assert batches == [[7]]


@given(st.lists(st.lists(st.integers(), max_size=5), max_size=30),
       st.lists(st.floats(min_value=0, max_value=0.2), min_size=30, max_size=30))
def test_every_item_arrives_once_in_order(pages: list[list[int]], gaps: list[float]) -> None:
    clock = [0.0]
    batches = list(coalesce(timed_pages(pages, gaps[:len(pages)], clock), every=0.05,
                            clock=lambda: clock[0]))
    assert all(batches)
    assert [x for b in batches for x in b] == [x for p in pages for x in p]
