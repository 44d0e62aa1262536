"""The documented API rate limits, read from one data file (``rate_limits.json`` beside this
module, with its source and date): the simulator enforces them, the console's budget
(tui/aws/budget.py) keeps to a share of them."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("rate_limits.json")

Limit = tuple[float, float]  # (calls a second sustained, burst)


@dataclass(frozen=True)
class ServiceLimits:
    """One service's limits: the account's total (None: none documented) and per operation."""

    account: Limit | None = None
    operations: dict[str, Limit] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentedLimits:
    source: str
    retrieved: str
    services: dict[str, ServiceLimits]

    def service(self, name: str) -> ServiceLimits:
        """``name`` as botocore's service id spells it (GameLift, GameSparks); none: no limits."""
        return self.services.get(name, ServiceLimits())


def _limit(where: str, value: Any) -> Limit:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0
                       for v in value)):
        raise ValueError(f"{DATA.name}: {where} must be [sustained, burst], both > 0")
    return float(value[0]), float(value[1])


def parse(raw: dict[str, Any]) -> DocumentedLimits:
    services: dict[str, ServiceLimits] = {}
    for name, entry in raw["services"].items():
        account = entry.get("account")
        services[name] = ServiceLimits(
            _limit(f"{name}.account", account) if account is not None else None,
            {op: _limit(f"{name}.{op}", pair) for op, pair in entry["operations"].items()})
    return DocumentedLimits(str(raw["source"]), str(raw["retrieved"]), services)


@functools.cache
def documented_limits() -> DocumentedLimits:
    return parse(json.loads(DATA.read_text(encoding="utf-8")))
