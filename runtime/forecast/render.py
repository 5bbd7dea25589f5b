"""Plain-text tables of forecasts for the `roster forecast` command.

Formatting only: dollars through `format_usd`, durations as "42 s", "3.5 min",
"2.1 h" or "1.6 d", shares as percentages; confidence intervals in
brackets. One column per forecast (engines side by side), and a delta table
for "what if" comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from runtime.forecast.result import Forecast, ForecastDelta
from runtime.forecast.stats import Estimate
from runtime.roster.costs import format_usd

ENGINE_TITLES = {"mc": "Monte Carlo", "des": "discrete-event"}


def duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    if seconds < 90:
        return f"{seconds:.3g} s"
    if seconds < 5400:
        return f"{seconds / 60:.3g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} d"


def usd(x: float) -> str:
    """Dollars with three significant digits below $1 (per-task costs), else cents."""
    if abs(x) >= 1 or x == 0 or not math.isfinite(x):
        return format_usd(x)
    return f"{'-' if x < 0 else ''}${abs(x):.3g}" if abs(x) >= 1e-6 else "<$0.000001"


def number(x: float) -> str:
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def _with_ci(e: Estimate, fmt: str) -> str:
    show = {"usd": usd, "s": duration, "share": lambda v: f"{v:.1%}",
            "per_day": number}[fmt]
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


def deltas(delta: ForecastDelta, label: str) -> str:
    """A what-if comparison: baseline, what-if, change, relative change."""
    rows = []
    for r in delta.rows:
        if r.a == 0 and r.b == 0:
            continue
        show = {"usd": usd, "s": duration, "share": lambda v: f"{v:.1%}",
                "per_day": number}[r.unit]
        tiny = abs(r.delta) <= 1e-9 * max(abs(r.a), abs(r.b), 1e-12)
        sign = "±" if tiny else "+" if r.delta > 0 else "-"
        rel = "" if math.isnan(r.relative) else f"{r.relative:+.1%}"
        rows.append([r.metric, show(r.a), show(r.b), sign + show(0.0 if tiny else abs(r.delta)),
                     "" if tiny else rel])
    head = ["", "baseline", label, "change", ""]
    return f"What if {label} ({ENGINE_TITLES[delta.a.engine]}):\n" + _table(head, rows)
