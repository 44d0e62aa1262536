"""Following a stage deployment to its end: GetStageDeployment with backoff until COMPLETED or
FAILED. Plain Python; the Stages pane runs it in a thread worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tui.aws.records import StageDeployment
from tui.services import gamesparks
from tui.services.gamesparks import ClientSource

Update = Callable[[StageDeployment], None]


@dataclass(frozen=True)
class Backoff:
    """Delays between polls: ``initial``, growing by ``factor`` up to ``maximum`` seconds."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 10.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(self.maximum, delay * self.factor)


class WatchCancelled(Exception):
    """The watcher was told to stop before the deployment finished."""


def watch_deployment(ctx: ClientSource, game: str, stage: str, deployment_id: str,
                     on_update: Update, *, backoff: Backoff | None = None,
                     cancelled: Callable[[], bool] = lambda: False,
                     sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic,
                     max_errors: int = 5) -> StageDeployment:
    """Poll until the deployment is COMPLETED or FAILED and return it; ``on_update`` is called
    with every answer whose state differs from the one before. Network errors are retried
    (``max_errors`` in a row at most); AWS errors are raised."""
    from botocore.exceptions import ClientError

    delays = (backoff or Backoff()).delays()
    last_state: str | None = None
    errors = 0
    while True:
        if cancelled():
            raise WatchCancelled(deployment_id)
        try:
            deployment = gamesparks.get_stage_deployment(ctx, game, stage, deployment_id)
            errors = 0
        except ClientError:
            raise
        except Exception:
            errors += 1
            if errors >= max_errors:
                raise
        else:
            if deployment.deployment_state != last_state:
                last_state = deployment.deployment_state
                on_update(deployment)
            if deployment.finished:
                return deployment
        _sleep(next(delays), sleep, cancelled, clock)


def _sleep(seconds: float, sleep: Callable[[float], None], cancelled: Callable[[], bool],
           clock: Callable[[], float]) -> None:
    # In slices, so that a cancel (the app quitting) does not wait for a long backoff.
    end = clock() + seconds
    while not cancelled():
        left = end - clock()
        if left <= 0:
            return
        sleep(min(left, 0.1))
