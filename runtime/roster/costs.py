"""Cost arithmetic: turns token counts and a catalog `ModelInfo` into US dollars.

This module is the one place that multiplies tokens by prices. It prices one
call exactly (`call_cost`), bounds one call from above for budget reservations
(`max_call_cost`) and from below for "the budget cannot pay for a single call"
checks (`min_call_cost`), gives a rough estimate for a whole agent run, and
formats amounts for people. It is pure: no I/O, no clock, no API calls; the
prices themselves come from the catalog (catalog.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Final

from runtime.roster.catalog import ModelInfo, Prices

TOKENS_PER_PRICE_UNIT: Final = 1_000_000
"""Catalog prices are USD per this many tokens."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call, split the way the API bills them (mirrors `resp.usage`)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Usage.{f.name} must be an integer >= 0, got {value!r}")

    @property
    def prompt_tokens(self) -> int:
        """Every token of the prompt: plain input plus cache writes and cache reads."""
        return (
            self.input_tokens
            + self.cache_write_5m_tokens
            + self.cache_write_1h_tokens
            + self.cache_read_tokens
        )


def prices_for(model: ModelInfo, prompt_tokens: int) -> Prices:
    """The price band a request with this many prompt tokens is billed at (whole request)."""
    band = model.long_context_prices
    threshold = model.long_context_threshold
    if band is not None and threshold is not None and prompt_tokens > threshold:
        return band
    return model.prices


def call_cost(model: ModelInfo, usage: Usage) -> float:
    """The exact list-price cost of one call, in USD.

    When the model has a long-context band and the prompt (input + cache
    tokens) exceeds its threshold, every token of the request, output included,
    is billed at the band's rates.
    """
    return billed(usage, prices_for(model, usage.prompt_tokens))


def billed(usage: Usage, p: Prices) -> float:
    """The cost of `usage` at the rates of one price band, in USD (`call_cost` once the
    band is chosen; the engine calls it directly with a band it looked up once)."""
    total = (
        usage.input_tokens * p.input
        + usage.output_tokens * p.output
        + usage.cache_write_5m_tokens * p.cache_write_5m
        + usage.cache_write_1h_tokens * p.cache_write_1h
        + usage.cache_read_tokens * p.cache_read
    )
    return total / TOKENS_PER_PRICE_UNIT


def max_call_cost(
    model: ModelInfo, max_output_tokens: int, max_input_tokens: int | None = None
) -> float:
    """The most one call can cost within these limits: the amount to reserve before it.

    `max_input_tokens` defaults to what the context window leaves after the
    output. The worst case bills every prompt token at the dearest prompt rate
    (usually the 1-hour cache write) and, if the prompt may cross the
    long-context threshold, at the dearer band. So it is never below
    `call_cost` of any call whose prompt and output stay within the limits.
    """
    _check_count("max_output_tokens", max_output_tokens)
    if max_input_tokens is None:
        max_input_tokens = max(0, model.context_window - max_output_tokens)
    _check_count("max_input_tokens", max_input_tokens)
    bands = [model.prices]
    if model.long_context_prices is not None and max_input_tokens > (
        model.long_context_threshold or 0
    ):
        bands.append(model.long_context_prices)
    return max(
        (max_input_tokens * _dearest_prompt_rate(p) + max_output_tokens * p.output)
        / TOKENS_PER_PRICE_UNIT
        for p in bands
    )


def min_call_cost(model: ModelInfo, input_tokens: int = 1000, output_tokens: int = 100) -> float:
    """The cost of the cheapest realistic call: a short uncached prompt and a short answer.

    Used by the "budget cannot pay for even one call" check.
    """
    return call_cost(model, Usage(input_tokens=input_tokens, output_tokens=output_tokens))


def estimate_agent_run_cost(
    model: ModelInfo,
    turns: int,
    input_tokens_per_turn: int,
    output_tokens_per_turn: int,
    cached_fraction: float = 0.0,
) -> float:
    """A rough cost of an agent run of `turns` model calls of the same average size.

    `cached_fraction` of each turn's prompt is billed as cache reads and the
    rest as plain input; cache writes are not modelled. Each turn is priced on
    its own, so a long-context band applies per turn as the API bills it.
    """
    _check_count("turns", turns)
    _check_count("input_tokens_per_turn", input_tokens_per_turn)
    _check_count("output_tokens_per_turn", output_tokens_per_turn)
    if not 0.0 <= cached_fraction <= 1.0:
        raise ValueError(f"cached_fraction must be between 0 and 1, got {cached_fraction!r}")
    cached = round(input_tokens_per_turn * cached_fraction)
    per_turn = Usage(
        input_tokens=input_tokens_per_turn - cached,
        output_tokens=output_tokens_per_turn,
        cache_read_tokens=cached,
    )
    return turns * call_cost(model, per_turn)


def format_usd(x: float) -> str:
    """A dollar amount for people: "$1,234.56", "$1.23", "$0.0052", "$0.00".

    Amounts of a cent or more show cents. Smaller amounts keep two significant
    digits ("$0.0052", "$0.000042") so that per-call costs stay readable, and a
    sub-cent amount never reads as a cent or more ($0.00999 is "$0.00999", not
    "$0.01"); below a millionth of a dollar the text is "<$0.000001".
    """
    if not math.isfinite(x):
        raise ValueError(f"cannot format {x!r} as dollars")
    sign = "-" if x < 0 else ""
    amount = abs(x)
    if amount == 0 or amount >= 0.01:
        return f"{sign}${amount:,.2f}"
    if amount < 1e-6:
        return f"{sign}<$0.000001"
    decimals = 1 - math.floor(math.log10(amount))
    # Rounding to two significant digits may carry into the next power of ten
    # (0.00999 → 0.010): show up to two more digits, then cut instead of rounding.
    ceiling = 10.0 ** (math.floor(math.log10(amount)) + 1)
    for extra in range(3):
        if round(amount, decimals + extra) < ceiling:
            return f"{sign}${amount:.{decimals + extra}f}"
    decimals += 2
    return f"{sign}${math.floor(amount * 10**decimals) / 10**decimals:.{decimals}f}"


def _dearest_prompt_rate(p: Prices) -> float:
    return max(p.input, p.cache_write_5m, p.cache_write_1h, p.cache_read)


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")


# A "typical run" for the status bar and `roster graph`: every agent takes part once,
# uses half its turn allowance (at most TYPICAL_TURNS), with a prompt of
# TYPICAL_INPUT_TOKENS per turn of which TYPICAL_CACHED_FRACTION is a cache hit, and
# writes TYPICAL_OUTPUT_TOKENS (capped by its max_tokens). The forecaster refines this.
TYPICAL_TURNS = 6
TYPICAL_INPUT_TOKENS = 3_000
TYPICAL_OUTPUT_TOKENS = 600
TYPICAL_CACHED_FRACTION = 0.5


def typical_run_cost(agents: list[tuple[ModelInfo, int | None, int | None]]) -> float:
    """USD for one typical run; each agent as (model, max_turns, max_tokens_per_call)."""
    total = 0.0
    for model, max_turns, max_tokens in agents:
        turns = max(1, min(TYPICAL_TURNS, (max_turns or TYPICAL_TURNS * 2) // 2))
        output = min(TYPICAL_OUTPUT_TOKENS, max_tokens or TYPICAL_OUTPUT_TOKENS)
        total += estimate_agent_run_cost(model, turns, TYPICAL_INPUT_TOKENS, output,
                                         TYPICAL_CACHED_FRACTION)
    return total
