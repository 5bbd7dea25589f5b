"""Per-model (or per-tier) concurrency and rate limits, as a roster declares them.

A roster declares the limits of its provider account under the namespaced
extension `x-rate-limits` (kept verbatim by the format), keyed by a model id
from the catalog or by a tier name (economy, standard, premium, frontier):

    extensions:
      x-rate-limits:
        claude-haiku-5-5: {requests_per_minute: 50, concurrency: 4}
        premium: {requests_per_minute: 1000, window_s: 60}

`requests_per_minute` is the number of model calls allowed to start in any
rolling window of `window_s` seconds (60 unless given; a shorter window scales
the same ceiling down, e.g. for tests); `concurrency` bounds calls in flight.
Both are shared by every process using the same run database: each key is one
DBOS queue (`roster-model-<model>` or `roster-tier-<tier>`), and a model call
first takes a permit from its queue. A model listed by id uses its own queue;
otherwise its tier's, if the tier is listed; otherwise it is not throttled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.roster.catalog import TIER_NAMES, Catalog, load_catalog
from runtime.roster.codec import RosterContent

EXTENSION = "x-rate-limits"
DEFAULT_WINDOW_S = 60.0
# The queue admits a call; the request reaches the API a moment later, and that moment
# varies. Widening the limiter's window by this guard keeps N admissions per window from
# becoming N+1 arrivals in some window at the API.
GUARD_S, GUARD_RATIO = 0.5, 0.02
_FIELDS = ("requests_per_minute", "concurrency", "window_s")


class LimitsError(ValueError):
    """A malformed `x-rate-limits` extension: where, what was expected, how to fix it."""


@dataclass(frozen=True, slots=True)
class ModelLimit:
    """The limits of one queue: calls started per window, and calls in flight."""

    queue: str
    requests: int | None = None
    window_s: float = DEFAULT_WINDOW_S
    concurrency: int | None = None

    @property
    def limiter(self) -> dict[str, Any] | None:
        """DBOS's limiter spelling (`{"limit", "period"}`), or None for no rate limit."""
        if self.requests is None:
            return None
        return {"limit": self.requests, "period": self.window_s * (1 + GUARD_RATIO) + GUARD_S}


def queue_name(key: str) -> str:
    """The DBOS queue of a model id or tier name."""
    tier = key in TIER_NAMES.values()
    return f"roster-tier-{key}" if tier else f"roster-model-{key}"


def all_queue_names(catalog: Catalog | None = None) -> list[str]:
    """Every queue a model call could use: one per catalog model and one per tier. A process
    listens to all of them, so any live process can grant a permit."""
    catalog = catalog or load_catalog()
    return ([queue_name(model.id) for model in catalog.models()]
            + [queue_name(tier) for tier in TIER_NAMES.values()])


def _positive(where: str, value: Any, kind: type) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        noun = "a positive whole number" if kind is int else "a positive number of seconds"
        raise LimitsError(f"extensions.{EXTENSION}.{where}: expected {noun}, got {value!r}")
    return kind(value)


def parse_limits(content: RosterContent, catalog: Catalog | None = None
                 ) -> dict[str, ModelLimit]:
    """The limits that apply to each model the roster's extension covers, keyed by model id.
    Raises LimitsError naming the offending key for anything malformed."""
    catalog = catalog or load_catalog()
    raw = content.meta.extensions.get(EXTENSION)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise LimitsError(f"extensions.{EXTENSION}: expected a mapping of model id or tier "
                          f"name to limits, got {type(raw).__name__}")
    tiers = set(TIER_NAMES.values())
    declared: dict[str, ModelLimit] = {}
    for key, spec in raw.items():
        key = str(key)
        if catalog.get(key) is None and key not in tiers:
            raise LimitsError(
                f"extensions.{EXTENSION}.{key}: not a model in the catalog nor a tier "
                f"({', '.join(sorted(tiers))}); use a model id such as "
                f"{catalog.models()[0].id if catalog.models() else 'claude-...'}")
        if not isinstance(spec, Mapping):
            raise LimitsError(f"extensions.{EXTENSION}.{key}: expected a mapping such as "
                              "{requests_per_minute: 50, concurrency: 4}")
        unknown = sorted(set(map(str, spec)) - set(_FIELDS))
        if unknown:
            raise LimitsError(f"extensions.{EXTENSION}.{key}.{unknown[0]}: unknown field; "
                              f"expected one of {', '.join(_FIELDS)}")
        requests = spec.get("requests_per_minute")
        concurrency = spec.get("concurrency")
        window = spec.get("window_s", DEFAULT_WINDOW_S)
        declared[key] = ModelLimit(
            queue_name(key),
            None if requests is None else _positive(f"{key}.requests_per_minute", requests, int),
            float(_positive(f"{key}.window_s", window, float)),
            None if concurrency is None else _positive(f"{key}.concurrency", concurrency, int))
    out: dict[str, ModelLimit] = {}
    for model in catalog.models():
        found = declared.get(model.id) or declared.get(model.tier_name)
        if found is not None:
            out[model.id] = found
    return out


__all__ = ["EXTENSION", "LimitsError", "ModelLimit", "all_queue_names", "parse_limits",
           "queue_name"]
