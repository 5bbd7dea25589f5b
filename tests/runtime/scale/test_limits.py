"""The roster's `x-rate-limits` extension: which queue and limits each model gets, and
clear errors for anything malformed."""

from __future__ import annotations

import pytest

from runtime.roster.io import loads
from runtime.scale.limits import GUARD_RATIO, GUARD_S, LimitsError, parse_limits, queue_name

BASE = """\
format: agent-roster
version: 1
name: Limits
entry: [a]
agents:
  a: {name: A, role: r, instructions: i, model: claude-haiku-5-5}
"""


def limits_of(extension: str) -> dict[str, object]:
    return dict(parse_limits(loads(BASE + extension).content))


def test_a_roster_without_the_extension_throttles_nothing() -> None:
    assert limits_of("") == {}


def test_a_model_key_gets_its_own_queue_with_a_guarded_window() -> None:
    found = limits_of("extensions:\n  x-rate-limits:\n    claude-haiku-5-5: "
                      "{requests_per_minute: 50, concurrency: 4}\n")
    limit = found["claude-haiku-5-5"]
    assert limit.queue == "roster-model-claude-haiku-5-5"  # type: ignore[attr-defined]
    assert limit.concurrency == 4  # type: ignore[attr-defined]
    assert limit.limiter == {"limit": 50,  # type: ignore[attr-defined]
                             "period": 60 * (1 + GUARD_RATIO) + GUARD_S}


def test_a_tier_key_covers_every_model_of_the_tier_through_one_shared_queue() -> None:
    found = limits_of("extensions:\n  x-rate-limits:\n    economy: {requests_per_minute: 5, "
                      "window_s: 2}\n")
    assert "claude-haiku-5-5" in found
    queues = {limit.queue for limit in found.values()}  # type: ignore[attr-defined]
    assert queues == {queue_name("economy")} == {"roster-tier-economy"}


@pytest.mark.parametrize(("body", "message"), [
    ("    nosuchmodel: {requests_per_minute: 5}", "not a model in the catalog nor a tier"),
    ("    claude-haiku-5-5: {requests_per_minute: 0}", "expected a positive whole number"),
    ("    claude-haiku-5-5: {requests_per_minute: 2.5}", "expected a positive whole number"),
    ("    claude-haiku-5-5: {concurrency: true}", "expected a positive whole number"),
    ("    claude-haiku-5-5: {window_s: -1}", "positive number of seconds"),
    ("    claude-haiku-5-5: {rpm: 5}", "unknown field; expected one of"),
    ("    claude-haiku-5-5: 5", "expected a mapping"),
])
def test_malformed_limits_are_refused_naming_the_key(body: str, message: str) -> None:
    with pytest.raises(LimitsError, match=message) as caught:
        limits_of("extensions:\n  x-rate-limits:\n" + body + "\n")
    assert str(caught.value).startswith("extensions.x-rate-limits")
