"""Plain-text tables of forecasts for the `roster forecast` command.

Formatting only: dollars through `format_usd`, durations as "42 s", "3.5 min",
"2.1 h" or "1.6 d", shares as percentages; confidence intervals in
brackets. One column per forecast (engines side by side), and a delta table
for "what if" comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from runtime.forecast.result import DeltaRow, Forecast, ForecastDelta
from runtime.forecast.stats import Estimate
from runtime.roster.costs import format_usd

ENGINE_TITLES = {"mc": "Monte Carlo", "des": "discrete-event"}


_UNITS = ((90.0, 1.0, "s"), (5400.0, 60.0, "min"), (2 * 86400.0, 3600.0, "h"),
          (math.inf, 86400.0, "d"))


def _unit_for(seconds: float) -> tuple[float, str]:
    return next((size, name) for below, size, name in _UNITS if abs(seconds) < below)


def duration(seconds: float, like: float | None = None) -> str:
    """Seconds in the unit that suits them (or that suits `like`, so the numbers of one
    row, such as a what-if's baseline, variant and change, share a unit)."""
    if not math.isfinite(seconds):
        return "-"
    size, name = _unit_for(seconds if like is None else like)
    return f"{seconds / size:.3g} {name}"


def usd(x: float) -> str:
    """Dollars with three significant digits below $1 (per-task costs, trailing zeros
    kept so a column lines up: $0.470, not $0.47), else cents."""
    if abs(x) >= 1 or x == 0 or not math.isfinite(x):
        return format_usd(x)
    return f"{'-' if x < 0 else ''}${abs(x):#.3g}" if abs(x) >= 1e-6 else "<$0.000001"


def number(x: float) -> str:
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def _share(x: float) -> str:
    return f"{x:.1%}"


def shower(unit: str, like: float | None = None) -> Callable[[float], str]:
    """How to print a value of `unit` ("usd", "s", "share", "per_day"); durations in the
    unit that suits `like` when given."""
    if unit == "s":
        return lambda v: duration(v, like)
    shows: dict[str, Callable[[float], str]] = {"usd": usd, "share": _share, "per_day": number}
    return shows[unit]


def _with_ci(e: Estimate, fmt: str) -> str:
    show = shower(fmt)
    if math.isnan(e.low):
        return show(e.value)
    return f"{show(e.value)} [{show(max(e.low, 0.0))} – {show(e.high)}]"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return "\n".join(lines)


def summary(forecasts: Sequence[Forecast]) -> str:
    """Headline metrics, one column per forecast, with 95% intervals."""
    head = ["", *(f"{ENGINE_TITLES[f.engine]} (95% CI)" for f in forecasts)]
    metrics: list[tuple[str, str, str]] = [
        ("cost per task p50", "cost_p50", "usd"),
        ("cost per task p95", "cost_p95", "usd"),
        ("cost per task mean", "cost_mean", "usd"),
        ("cost per month", "cost_per_month", "usd"),
        ("latency p50", "latency_p50", "s"),
        ("latency p95", "latency_p95", "s"),
        ("tasks needing a human", "escalation_rate", "share"),
    ]
    rows = [[label, *(_with_ci(getattr(f, attr), unit) for f in forecasts)]
            for label, attr, unit in metrics]
    first = forecasts[0]
    for human in first.approvals_per_day:
        rows.append([f"requests/day to {human}",
                     *(_with_ci(f.approvals_per_day[human], "per_day") for f in forecasts)])
    for human in first.approvals_per_day:
        for label, attr in (("timed out", "timeout_rate"), ("denied", "denial_rate")):
            shares = [getattr(f, attr).get(human, 0.0) for f in forecasts]
            if any(shares):
                rows.append([f"  {label} ({human})", *(f"{x:.1%} of requests" for x in shares)])
    rows.append(["bottleneck", *(_bottleneck(f) for f in forecasts)])
    return _table(head, rows)


def _bottleneck(f: Forecast) -> str:
    name = f.bottleneck
    return "-" if name is None else f"{name} ({f.utilisation[name]:.0%} busy)"


def details(f: Forecast, top: int = 8) -> str:
    """Utilisation, waits and spend per agent and human, busiest first."""
    names = sorted(f.utilisation, key=lambda k: -f.utilisation[k])[:top]
    rows = [[n, f"{f.utilisation[n]:.1%}", duration(f.mean_wait.get(n, 0.0)),
             f"{f.spend_share[n]:.1%}" if n in f.spend_share else "-",
             usd(f.spend_share.get(n, 0.0) * f.cost_per_month.value)
             if n in f.spend_share else "-"] for n in names]
    head = ["busiest agents and humans", "utilisation", "mean wait", "spend share",
            "spend/month"]
    text = f"{ENGINE_TITLES[f.engine]}:\n" + _table(head, rows)
    if f.rate_limit_use:
        limits = ", ".join(f"{m} {u:.1%}" for m, u in
                           sorted(f.rate_limit_use.items(), key=lambda kv: -kv[1]))
        text += f"\nrate limits used at the arrival peak: {limits}"
    return text


def delta_cells(r: DeltaRow) -> tuple[str, str, str, str]:
    """Baseline, what-if, change and relative change of one row, as text. The three
    numbers share a unit; a change of a share is in percentage points (pp), so it is never
    mistaken for the relative change beside it; no change reads "±0"."""
    show = shower(r.unit, like=max(abs(r.a), abs(r.b)))
    tiny = abs(r.delta) <= 1e-9 * max(abs(r.a), abs(r.b), 1e-12)
    sign = "±" if tiny else "+" if r.delta > 0 else "-"
    size = 0.0 if tiny else abs(r.delta)
    change = f"{size * 100:.1f} pp" if r.unit == "share" else show(size)
    relative = "" if tiny or math.isnan(r.relative) else f"{r.relative:+.1%}"
    return show(r.a), show(r.b), sign + change, relative


def deltas(delta: ForecastDelta, label: str) -> str:
    """A what-if comparison: baseline, what-if, change, relative change (`delta_cells`)."""
    rows = [[r.metric, *delta_cells(r)] for r in delta.rows if r.a != 0 or r.b != 0]
    head = ["", "baseline", label, "change", "relative"]
    return f"What if {label} ({ENGINE_TITLES[delta.a.engine]}):\n" + _table(head, rows)
