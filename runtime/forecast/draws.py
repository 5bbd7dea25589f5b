"""Exact random draws for the sampler, shaped for few NumPy passes over large arrays.

The sampler draws about a million steps per forecast, so the cost is in
passes over memory and in the generator's per-value work, not in Python.
Each helper here draws from exactly the distribution it names (no
approximation beyond single-precision rounding, noted where it applies):

- `poisson`: per-visit follow-up calls, by inversion of the Poisson CDF
  against a per-agent table (one single-precision uniform per value and a
  few comparison passes counted in bytes; the rare values past the table
  continue the search exactly).
  NumPy's own Poisson sampler with per-element means costs several times
  more per value for the small means workloads have.
- `bernoulli_pairs`: which cells of a visits × edges probability matrix
  fire (delegations, escalations), from single-precision uniforms and one
  flat nonzero.
- `fill_calls`: the seconds, output tokens and USD of every agent step's
  model calls, written straight into the caller's (float64) step columns,
  with all lognormal noise drawn in one generator call and the arithmetic
  done in place in single precision on per-(agent, calls) cell tables.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from runtime.forecast.dists import FloatArray
from runtime.forecast.tables import Float32Array, IntArray, Tables

INVERSION_MAX_MEAN: Final = 8.0
"""Above this mean, NumPy's Poisson sampler is used (the CDF table would be long)."""
TABLE_TAIL: Final = 0.01
"""The inversion table covers values until at most this share is left for the exact tail search."""


def poisson(rng: np.random.Generator, mean: FloatArray, agent: IntArray) -> IntArray:
    """One Poisson draw per row with mean `mean[agent[row]]`, by CDF inversion.

    X = min{j : u <= F(j)} for one uniform u per row: counted as the number
    of table thresholds u exceeds, for j below the table's length K; the rows
    past the table (fewer than `TABLE_TAIL` of them) continue the search.
    """
    n = agent.size
    top = float(mean.max(initial=0.0))
    if n == 0 or top <= 0.0:
        return np.zeros(n, np.int64)
    if top > INVERSION_MAX_MEAN or float(mean.min()) < 0.0:
        return np.asarray(rng.poisson(mean[agent]), dtype=np.int64)
    pmf = [np.exp(-mean)]
    cdf = [pmf[0]]
    j = 0
    while 1.0 - _poisson_cdf(top, j) > TABLE_TAIL:
        j += 1
        pmf.append(pmf[-1] * mean / j)
        cdf.append(cdf[-1] + pmf[-1])
    # single precision: a threshold F(j) is honoured to within 2**-24, and the
    # passes count in bytes (the table is short: under 30 entries for mean <= 8)
    u = rng.random(n, dtype=np.float32)
    uniform = float(mean.min()) == top
    below = np.zeros(n, np.int8)
    for c in cdf:
        below += u > (np.float32(c[0]) if uniform else c.astype(np.float32).take(agent))
    k = below.astype(np.int64)
    tail = np.flatnonzero(below == len(cdf))
    if tail.size:
        _continue_search(u[tail].astype(np.float64), mean[agent[tail]], k, tail,
                         pmf[-1][agent[tail]], cdf[-1][agent[tail]])
    return k


def _poisson_cdf(mean: float, j: int) -> float:
    term = total = math.exp(-mean)
    for i in range(1, j + 1):
        term *= mean / i
        total += term
    return total


def _continue_search(u: FloatArray, mean: FloatArray, k: IntArray, rows: IntArray,
                     p: FloatArray, f: FloatArray) -> None:
    """Rows whose uniform lies past the table: step j up until u <= F(j) (exact)."""
    j = k[rows].copy()  # F(j - 1) = f, P(j - 1) = p
    active = np.arange(rows.size)
    limit = mean + 40.0 * np.sqrt(mean) + 40.0  # F has reached 1 in double precision
    while active.size:
        p[active] *= mean[active] / j[active]
        f[active] += p[active]
        done = (u[active] <= f[active]) | (j[active] >= limit[active])
        k[rows[active[done]]] = j[active[done]]
        active = active[~done]
        j[active] += 1


def bernoulli_pairs(rng: np.random.Generator, p: FloatArray, agent: IntArray
                    ) -> tuple[IntArray, IntArray]:
    """Row and column of every cell of `p[agent]` (a visits × edges matrix) that fires.

    Row-major order (by row, then column), like `np.nonzero`. Columns past
    the last one any agent present may fire are not drawn (agents with fewer
    edges than the widest leave zeros there). When every agent present has
    the same row of probabilities, it is compared broadcast (no per-visit
    gather), and against one number when that row's edges share one
    probability. Uniforms and probabilities are single precision: a
    probability is honoured to within 2**-24.
    """
    empty = np.zeros(0, np.int64)
    if not (agent.size and p.shape[1]):
        return empty, empty
    present = np.flatnonzero(np.bincount(agent, minlength=p.shape[0]))
    used = np.flatnonzero(p[present].any(axis=0))
    if not used.size:
        return empty, empty
    width = int(used[-1]) + 1
    rows_p = p[present, :width].astype(np.float32)
    u = rng.random((agent.size, width), dtype=np.float32)
    if (rows_p == rows_p[0]).all():
        row = rows_p[0]
        fired = u < (row[0] if (row == row[0]).all() else row)
    else:
        fired = u < np.take(p[:, :width].astype(np.float32), agent, axis=0)
    hit = np.flatnonzero(fired)
    rows = hit // width  # floor division by a scalar is several times faster than divmod
    cols = np.multiply(rows, -width)
    cols += hit
    return rows, cols


def fill_calls(table: Tables, agent: IntArray, count: IntArray, rng: np.random.Generator,
               seconds: FloatArray, output: FloatArray, cost: FloatArray) -> None:
    """Write each step's model-call seconds, output tokens and USD into the given columns.

    A step of `count[i]` calls by `agent[i]`: its input and output tokens are
    the sums of `count[i]` draws (one lognormal each, see
    `DistTable.cells`); a call time derived from the model is first-token
    time per call plus output tokens over the model's speed; the
    long-context band applies when the step's average prompt crosses the
    model's threshold.
    """
    if not agent.size:
        return
    if not (table.input_tokens.all_lognormal and table.output_tokens.all_lognormal):
        seconds[:], output[:], cost[:] = _calls_generic(table, agent, count, rng)
        return
    top = int(count.max())
    cell = agent * top
    cell += count
    cell -= 1
    noise = rng.standard_normal((2, agent.size), dtype=np.float32)
    buf = np.empty(agent.size, np.float32)
    inp = _lognormal_sums(noise[0], *table.input_tokens.cells(top), cell, buf)
    out = _lognormal_sums(noise[1], *table.output_tokens.cells(top), cell, buf)
    output[:] = out
    derived = ~np.isnan(table.first_token_s)
    per_call = np.where(derived, table.first_token_s, 0.0)
    first = (per_call[:, None] * np.arange(1, top + 1)[None, :]).ravel().astype(np.float32)
    inv_speed = np.where(derived, 1.0 / table.tokens_per_s, 0.0).astype(np.float32)
    np.multiply(out, inv_speed.take(agent), out=buf)
    np.add(buf, first.take(cell), out=seconds)
    if not derived.all():
        given = np.flatnonzero(~derived[agent])
        seconds[given] = table.seconds.sums(rng, agent[given], count[given])
    price_in = table.price_in.astype(np.float32).take(agent)
    price_out = table.price_out.astype(np.float32).take(agent)
    if np.isfinite(table.long_threshold).any():
        limit = (table.long_threshold[:, None] * np.arange(1, top + 1)[None, :]).ravel()
        long = np.flatnonzero(inp > limit.astype(np.float32).take(cell))
        if long.size:
            price_in[long] = table.long_in[agent[long]]
            price_out[long] = table.long_out[agent[long]]
    np.multiply(inp, price_in, out=buf)
    cost[:] = buf
    np.multiply(out, price_out, out=buf)
    cost += buf


def _lognormal_sums(noise: Float32Array, mu: Float32Array, sd: Float32Array, cell: IntArray,
                    buf: Float32Array) -> Float32Array:
    """exp(mu[cell] + sd[cell] * noise), in place in `noise`."""
    np.take(sd, cell, out=buf)
    noise *= buf
    np.take(mu, cell, out=buf)
    noise += buf
    np.exp(noise, out=noise)
    return noise


def _calls_generic(table: Tables, agent: IntArray, per_step: IntArray,
                   rng: np.random.Generator) -> tuple[FloatArray, FloatArray, FloatArray]:
    """`fill_calls` for token distributions that are not all lognormal (fixed, exponential)."""
    inp = table.input_tokens.sums(rng, agent, per_step)
    out = table.output_tokens.sums(rng, agent, per_step)
    secs = per_step * table.first_token_s[agent] + out / table.tokens_per_s[agent]
    given = np.isnan(secs)
    if given.all():
        secs = table.seconds.sums(rng, agent, per_step)
    elif given.any():
        secs[given] = table.seconds.sums(rng, agent[given], per_step[given])
    long = inp > table.long_threshold[agent] * per_step
    price_in = np.where(long, table.long_in[agent], table.price_in[agent])
    price_out = np.where(long, table.long_out[agent], table.price_out[agent])
    return secs, out, inp * price_in + out * price_out


__all__ = ["bernoulli_pairs", "fill_calls", "poisson"]
