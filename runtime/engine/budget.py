"""Spend accounting: reserve the worst case before a model call, settle from usage.

Before each call the engine reserves the most that call can cost (its
max_tokens of output and a prompt of its current size, at catalog prices);
the reservation must fit in both the agent's and the run's remaining budget,
or the call is refused with `BudgetExceeded`. After the call the reservation
is replaced by the actual cost. So spend can never pass a cap by more than
what is already reserved by calls in flight.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field


def check_cap(value: float | None, what: str) -> float | None:
    """`value` if it is a usable spending cap (None = no cap), else ValueError.

    A cap must be a finite number of at least 0: NaN compares false with
    everything, so a NaN cap would let every reservation through, and a negative
    or infinite one is a typo, never an intent. Refusing here means no path
    (CLI, API, scenario, roster) can switch a cap off by accident.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number of US dollars, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number of US dollars, 0 or more; "
                         f"got {value!r}")
    return float(value)


def usd_cap_arg(text: str) -> float:
    """An argparse `type` for `--max-usd`: a finite amount of US dollars, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a finite amount of US dollars, 0 or more (such as 5 or 0.50), "
            f"not {text!r}")
    return value


def _is_plain_cap(value: object) -> bool:
    """None, or a number `check_cap` accepts (the common case, checked without building
    its error text)."""
    kind = type(value)
    return value is None or ((kind is float or kind is int)
                             and 0 <= value < math.inf)  # type: ignore[operator]


def _plain_cap(value: float | None) -> float | None:
    """What `check_cap` returns for a value `_is_plain_cap` accepted."""
    return None if value is None else float(value)


class BudgetExceeded(Exception):
    def __init__(self, scope: str, needed: float, remaining: float) -> None:
        super().__init__(f"{scope} budget exhausted: the next call may cost up to "
                         f"${needed:.4f}, ${max(remaining, 0):.4f} left")
        self.scope = scope
        self.needed = needed
        self.remaining = remaining


class CallCapReached(BudgetExceeded):
    """The run made as many model calls as its policy allows: a count, not dollars.

    A `BudgetExceeded`, so the engine ends the run through its ordinary limit path."""

    def __init__(self, limit: int, used: int | None = None) -> None:
        used = limit if used is None else used
        Exception.__init__(self, f"model-call cap reached: {used} of {limit} calls used")
        self.scope, self.needed, self.remaining = "model-call", 1.0, 0.0
        self.limit = limit
        self.used = used


@dataclass
class Ledger:
    run_cap: float | None
    agent_caps: dict[str, float | None] = field(default_factory=dict)
    spent: float = 0.0
    reserved: float = 0.0
    agent_spent: dict[str, float] = field(default_factory=dict)
    agent_reserved: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.run_cap = check_cap(self.run_cap, "the run's spending cap")
        self.agent_caps = {agent: _plain_cap(cap) if _is_plain_cap(cap)
                           else check_cap(cap, f"agent '{agent}' spending cap")
                           for agent, cap in self.agent_caps.items()}

    def remaining(self, agent: str | None = None) -> float:
        if agent is None:
            cap = self.run_cap
            return float("inf") if cap is None else cap - self.spent - self.reserved
        cap = self.agent_caps.get(agent)
        if cap is None:
            return float("inf")
        return cap - self.agent_spent.get(agent, 0.0) - self.agent_reserved.get(agent, 0.0)

    def reserve(self, agent: str, amount: float) -> float:
        cap = self.agent_caps.get(agent)  # `remaining(agent)` and `remaining()`, inlined
        if cap is not None:
            left = cap - self.agent_spent.get(agent, 0.0) - self.agent_reserved.get(agent, 0.0)
            if amount > left:
                raise BudgetExceeded(f"agent '{agent}'", amount, left)
        run_cap = self.run_cap
        if run_cap is not None:
            left = run_cap - self.spent - self.reserved
            if amount > left:
                raise BudgetExceeded("run", amount, left)
        self.reserved += amount
        self.agent_reserved[agent] = self.agent_reserved.get(agent, 0.0) + amount
        return amount

    def settle(self, agent: str, reserved: float, actual: float) -> None:
        self.reserved -= reserved
        self.agent_reserved[agent] = self.agent_reserved.get(agent, 0.0) - reserved
        self.spent += actual
        self.agent_spent[agent] = self.agent_spent.get(agent, 0.0) + actual

    def release(self, agent: str, reserved: float) -> None:
        self.settle(agent, reserved, 0.0)
