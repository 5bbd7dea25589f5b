"""Per-agent parameters of a workload as NumPy arrays, so one level of visits samples at once.

The sampler draws every visit of a delegation level together, whatever agent
it belongs to, by gathering each visit's parameters from these tables by
agent index: call counts, token and time distributions (as kind, mean and
sigma per agent), prices, and dense matrices of delegation, escalation and
tool-call rates. Built once per forecast; sizes are agents × delegates,
agents × humans and agents × tools, all small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from runtime.forecast.defaults import MODEL_SPEED, model_info
from runtime.forecast.dists import Dist, Exponential, FloatArray, LogNormal
from runtime.forecast.workload import ON_TIMEOUT, Workload
from runtime.roster.catalog import Catalog
from runtime.roster.costs import TOKENS_PER_PRICE_UNIT

IntArray = NDArray[np.int64]
Float32Array = NDArray[np.float32]
FIXED, LOGNORMAL, EXPONENTIAL = 0, 1, 2
NO_THRESHOLD: Final = np.inf


@dataclass(frozen=True, slots=True)
class DistTable:
    """One distribution per agent: kind, mean and (lognormal) sigma."""

    kind: IntArray
    mean: FloatArray
    sigma: FloatArray

    @classmethod
    def of(cls, dists: list[Dist]) -> DistTable:
        kind = [LOGNORMAL if isinstance(d, LogNormal) else EXPONENTIAL
                if isinstance(d, Exponential) else FIXED for d in dists]
        sigma = [d.sigma if isinstance(d, LogNormal) else 0.0 for d in dists]
        return cls(np.array(kind, np.int64), np.array([d.mean for d in dists]),
                   np.array(sigma))

    def sums(self, rng: np.random.Generator, agent: IntArray, counts: IntArray) -> FloatArray:
        """For each visit, the sum of counts[i] draws of its agent's distribution (counts >= 1).

        Lognormal sums are one lognormal with the sum's exact mean and variance
        (Fenton–Wilkinson), looked up per (agent, count) in a small table.
        """
        kinds = self.kind[agent]
        out = np.empty(agent.size)
        if (kinds == LOGNORMAL).all():
            return self._lognormal(rng, agent, counts)
        for kind in np.unique(kinds).tolist():
            rows = kinds == kind
            a, k = agent[rows], counts[rows]
            if kind == LOGNORMAL:
                out[rows] = self._lognormal(rng, a, k)
            elif kind == EXPONENTIAL:
                out[rows] = rng.gamma(k, self.mean[a])
            else:
                out[rows] = k * self.mean[a]
        return out

    @property
    def all_lognormal(self) -> bool:
        """Whether every agent's distribution is a lognormal (the sampler's fast path)."""
        return bool((self.kind == LOGNORMAL).all())

    def cells(self, top: int) -> tuple[Float32Array, Float32Array]:
        """Lognormal mu and sigma of the sum of k draws, per cell `agent * top + k - 1`.

        A sum of k lognormals is drawn as one lognormal with the sum's exact
        mean and variance (Fenton–Wilkinson), in single precision.
        """
        k = np.arange(1, top + 1, dtype=np.float64)
        s2 = self.sigma**2
        sum_s2 = np.log1p(np.expm1(s2)[:, None] / k[None, :])
        with np.errstate(divide="ignore"):
            mu = np.log(self.mean[:, None] * k[None, :]) - sum_s2 / 2
        return mu.ravel().astype(np.float32), np.sqrt(sum_s2).ravel().astype(np.float32)

    def _lognormal(self, rng: np.random.Generator, agent: IntArray,
                   counts: IntArray) -> FloatArray:
        top = int(counts.max(initial=1))
        mu32, sd32 = self.cells(top)
        flat = agent * top + counts - 1
        # single precision is ample for a forecast and about a third faster to draw
        noise = rng.standard_normal(agent.size, dtype=np.float32)
        return np.asarray(np.exp(mu32[flat] + sd32[flat] * noise), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything the sampler needs per agent, by agent index."""

    extra_calls: FloatArray
    """Mean follow-up calls per visit (calls - 1)."""
    input_tokens: DistTable
    output_tokens: DistTable
    seconds: DistTable
    first_token_s: FloatArray
    """Per agent whose call time derives from its model: seconds to the first token, else NaN."""
    tokens_per_s: FloatArray
    price_in: FloatArray
    """USD per prompt token, cache reads blended in, normal band."""
    price_out: FloatArray
    long_threshold: FloatArray
    long_in: FloatArray
    long_out: FloatArray
    delegate_p: FloatArray
    """agents × delegate slots: probability per visit."""
    delegate_to: IntArray
    escalate_p: FloatArray
    """agents × humans: probability per visit."""
    tool_rate: FloatArray
    """agents × tools: mean calls per visit."""
    tool_asks: NDArray[np.bool_]
    """agents × tools: every call waits for the agent's approver."""
    approver: IntArray
    """Per agent: human index of its approver, or -1."""
    deny_escalate: FloatArray
    """agents × humans: probability that an escalation to the human is denied."""
    deny_tool: FloatArray
    """agents × tools: probability that an approval of a call of the tool is denied."""
    human_deny: FloatArray
    """Per human: denial probability of a request from a backup chain (no gate override)."""
    timeout_s: FloatArray
    """Per human: timeout in seconds (inf: none)."""
    on_timeout: IntArray
    """Per human: what a timeout becomes (index into workload.ON_TIMEOUT)."""
    backup: IntArray
    """Per human: index of the backup, or -1."""
    parallel: IntArray
    """Per agent: delegations of one visit that run at once."""

    @property
    def delegates(self) -> NDArray[np.bool_]:
        """Per agent: whether it may hand work off at all."""
        return np.asarray(self.delegate_p.any(axis=1), dtype=bool)

    @property
    def escalates(self) -> NDArray[np.bool_]:
        """Per agent: whether it may ask a human at all."""
        return np.asarray(self.escalate_p.any(axis=1), dtype=bool)

    @classmethod
    def build(cls, workload: Workload, catalog: Catalog) -> Tables:
        agents = list(workload.agents)
        humans = list(workload.humans)
        tools = list(workload.tools)
        loads = [workload.agents[a] for a in agents]
        infos = [model_info(catalog, load.model) for load in loads]
        slots = max((len(load.delegates) for load in loads), default=0)
        delegate_p = np.zeros((len(agents), slots))
        delegate_to = np.zeros((len(agents), slots), np.int64)
        escalate_p = np.zeros((len(agents), len(humans)))
        tool_rate = np.zeros((len(agents), len(tools)))
        tool_asks = np.zeros((len(agents), len(tools)), dtype=bool)
        approver = np.full(len(agents), -1, np.int64)
        for a, load in enumerate(loads):
            for j, (target, p) in enumerate(load.delegates.items()):
                delegate_p[a, j], delegate_to[a, j] = p, agents.index(target)
            for human, p in load.escalates.items():
                escalate_p[a, humans.index(human)] = p
            if load.approver is not None and load.approver in workload.humans:
                approver[a] = humans.index(load.approver)
            for tool, rate in load.tools.items():
                tool_rate[a, tools.index(tool)] = rate
                tool_asks[a, tools.index(tool)] = tool in load.approval_tools and approver[a] >= 0
        hloads = [workload.humans[h] for h in humans]
        human_deny = np.array([h.deny for h in hloads], dtype=np.float64)
        deny_escalate = np.tile(human_deny, (len(agents), 1))
        deny_tool = np.zeros((len(agents), len(tools)))
        for a, load in enumerate(loads):
            if approver[a] >= 0:
                deny_tool[a, :] = human_deny[approver[a]]
            for gate, p in load.deny.items():
                if gate in workload.humans:
                    deny_escalate[a, humans.index(gate)] = p
                elif gate in workload.tools:
                    deny_tool[a, tools.index(gate)] = p
        cf = np.array([load.cached_fraction for load in loads])

        def blended(prices: list[tuple[float, float]]) -> FloatArray:
            rates = np.array(prices)
            return np.asarray(((1 - cf) * rates[:, 0] + cf * rates[:, 1])
                              / TOKENS_PER_PRICE_UNIT, dtype=np.float64)

        long_band = [i.long_context_prices or i.prices for i in infos]
        return cls(
            extra_calls=np.array([load.calls - 1 for load in loads]),
            input_tokens=DistTable.of([load.input_tokens for load in loads]),
            output_tokens=DistTable.of([load.output_tokens for load in loads]),
            seconds=DistTable.of([load.seconds_per_call for load in loads]),
            first_token_s=np.array([MODEL_SPEED.get(i.tier, MODEL_SPEED[2])[0]
                                    if load.latency_from_model else np.nan
                                    for load, i in zip(loads, infos, strict=True)]),
            tokens_per_s=np.array([MODEL_SPEED.get(i.tier, MODEL_SPEED[2])[1] for i in infos]),
            price_in=blended([(i.prices.input, i.prices.cache_read) for i in infos]),
            price_out=np.array([i.prices.output for i in infos]) / TOKENS_PER_PRICE_UNIT,
            long_threshold=np.array([float(i.long_context_threshold or NO_THRESHOLD)
                                     for i in infos]),
            long_in=blended([(b.input, b.cache_read) for b in long_band]),
            long_out=np.array([b.output for b in long_band]) / TOKENS_PER_PRICE_UNIT,
            delegate_p=delegate_p,
            delegate_to=delegate_to,
            escalate_p=escalate_p,
            tool_rate=tool_rate,
            tool_asks=tool_asks,
            approver=approver,
            deny_escalate=deny_escalate,
            deny_tool=deny_tool,
            human_deny=human_deny,
            timeout_s=np.array([np.inf if h.timeout_s is None else h.timeout_s for h in hloads],
                               dtype=np.float64),
            on_timeout=np.array([ON_TIMEOUT.index(h.on_timeout) for h in hloads], np.int64),
            backup=np.array([humans.index(h.backup) if h.backup is not None
                             and h.backup in workload.humans else -1 for h in hloads], np.int64),
            parallel=np.array([max(1, load.parallel) for load in loads], np.int64),
        )

