"""Pages joined into fewer, larger batches before they cross to the UI thread.

Every message a worker posts costs the UI thread a dispatch, a merge and often a repaint, and
the two threads share one GIL: a hundred 20-row search pages made the UI thread's share of a
search larger than the paging itself. The screen repaints a few times a second at most, so
batches a few tens of milliseconds apart look the same to the user.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

EVERY = 0.05  # seconds between batches while pages keep coming


def coalesce(pages: Iterable[list[T]], every: float = EVERY,
             clock: Callable[[], float] = time.monotonic) -> Iterator[list[T]]:
    """The items of ``pages`` in batches: the first non-empty page at once (the first rows
    should show without delay), then whatever arrived once ``every`` seconds have passed since
    the last batch (looked at as each page arrives), and the rest at the end. Never an empty
    batch."""
    batch: list[T] = []
    last: float | None = None
    for page in pages:
        batch.extend(page)
        if not batch:
            continue
        now = clock()
        if last is None or now - last >= every:
            yield batch
            batch, last = [], now
    if batch:
        yield batch
