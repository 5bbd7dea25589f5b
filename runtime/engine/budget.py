"""Spend accounting: reserve the worst case before a model call, settle from usage.

Before each call the engine reserves the most that call can cost (its
max_tokens of output and a prompt of its current size, at catalog prices);
the reservation must fit in both the agent's and the run's remaining budget,
or the call is refused with `BudgetExceeded`. After the call the reservation
is replaced by the actual cost. So spend can never pass a cap by more than
what is already reserved by calls in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class BudgetExceeded(Exception):
    def __init__(self, scope: str, needed: float, remaining: float) -> None:
        super().__init__(f"{scope} budget exhausted: the next call may cost up to "
                         f"${needed:.4f}, ${max(remaining, 0):.4f} left")
        self.scope = scope
        self.needed = needed
        self.remaining = remaining


@dataclass
class Ledger:
    run_cap: float | None
    agent_caps: dict[str, float | None] = field(default_factory=dict)
    spent: float = 0.0
    reserved: float = 0.0
    agent_spent: dict[str, float] = field(default_factory=dict)
    agent_reserved: dict[str, float] = field(default_factory=dict)

    def remaining(self, agent: str | None = None) -> float:
        if agent is None:
            cap = self.run_cap
            return float("inf") if cap is None else cap - self.spent - self.reserved
        cap = self.agent_caps.get(agent)
        if cap is None:
            return float("inf")
        return cap - self.agent_spent.get(agent, 0.0) - self.agent_reserved.get(agent, 0.0)

    def reserve(self, agent: str, amount: float) -> float:
        if amount > self.remaining(agent):
            raise BudgetExceeded(f"agent '{agent}'", amount, self.remaining(agent))
        if amount > self.remaining():
            raise BudgetExceeded("run", amount, self.remaining())
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
