"""One agent's per-call price arithmetic, worked out once per run.

Every model turn reserves the most the call can cost (`costs.max_call_cost`
with the agent's max_tokens and the prompt estimate) and settles the actual
cost (`costs.call_cost`). Those functions validate their arguments, build a
list of price bands and take a generator `max` on every call; the model and
max_tokens of an agent do not change during a run, so `CallPricing` looks the
rates up once and per turn only picks the band: the actual cost is
`costs.billed` at that band (what `call_cost` does once it has chosen), and
the reservation mirrors `max_call_cost`'s two products with the dearest
prompt rate looked up once. The results are the same floats, bit for bit: the
same operations in the same order (a test compares them over every catalog
model, many usages and prompt sizes). Arguments the fast path
cannot vouch for (a max_tokens that is not a whole number >= 0) go to the
general functions, which raise their usual errors.
"""

from __future__ import annotations

from runtime.roster.catalog import ModelInfo
from runtime.roster.costs import (
    TOKENS_PER_PRICE_UNIT,
    Usage,
    billed,
    call_cost,
    max_call_cost,
)


def _dearest_prompt_rate(input_: float, write_5m: float, write_1h: float, read: float) -> float:
    return max(input_, write_5m, write_1h, read)


class CallPricing:
    """`reserve(prompt_chars)` and `cost(usage)` for one model and max_tokens."""

    __slots__ = ("_base", "_dearest", "_long", "_long_dearest", "_max_tokens", "_model",
                 "_threshold", "_valid")

    def __init__(self, model: ModelInfo, max_tokens: int) -> None:
        self._model = model
        self._max_tokens = max_tokens
        self._valid = (not isinstance(max_tokens, bool) and isinstance(max_tokens, int)
                       and max_tokens >= 0)
        p = model.prices
        self._base = p
        self._dearest = _dearest_prompt_rate(p.input, p.cache_write_5m, p.cache_write_1h,
                                             p.cache_read)
        self._long = model.long_context_prices
        self._threshold = model.long_context_threshold
        lp = self._long
        self._long_dearest = 0.0 if lp is None else _dearest_prompt_rate(
            lp.input, lp.cache_write_5m, lp.cache_write_1h, lp.cache_read)

    def reserve(self, prompt_chars: int) -> float:
        """What to reserve before a call with a prompt of `prompt_chars` characters so far:
        `max_call_cost(model, max_tokens, max_input_tokens=prompt_chars // 3 + 2000)`."""
        max_input = prompt_chars // 3 + 2000
        if not self._valid or max_input < 0:
            return max_call_cost(self._model, self._max_tokens, max_input_tokens=max_input)
        out = self._max_tokens
        amount = (max_input * self._dearest + out * self._base.output) / TOKENS_PER_PRICE_UNIT
        long = self._long
        if long is not None and max_input > (self._threshold or 0):
            dearer = (max_input * self._long_dearest + out * long.output) / TOKENS_PER_PRICE_UNIT
            if dearer > amount:
                amount = dearer
        return amount

    def cost(self, usage: Usage) -> float:
        """`call_cost(model, usage)`: the list-price cost of one call."""
        if type(usage) is not Usage:
            return call_cost(self._model, usage)
        p = self._base
        threshold = self._threshold
        if self._long is not None and threshold is not None and (
                usage.input_tokens + usage.cache_write_5m_tokens + usage.cache_write_1h_tokens
                + usage.cache_read_tokens) > threshold:
            p = self._long
        return billed(usage, p)


__all__ = ["CallPricing"]
