"""A tiny perf_counter harness: timings in milliseconds, p50/p95, ratios, tables, JSON.

`measure(fn)` runs `fn` a few times to warm caches, then times each of
`iterations` calls with `time.perf_counter` and returns `Stats` in ms. A
`budget_s` lets a slow *baseline* (pure-Python PyYAML on a 10 MB file) stop
early once enough samples are in; the number of samples actually taken is
always in `Stats.n`, so a shortened run is visible in every table and JSON
file. Percentiles interpolate linearly between the closest ranks (numpy's
default method).

Each sample also records the process CPU time (`time.process_time`): on a
shared machine where other jobs compete for the cores, wall-clock times
inflate but CPU times barely move, so `cpu_p50` tells noise from regressions.

`ratio(ours, baseline)` is baseline p50 / our p50: above 1 means we are
faster; tables show it for wall-clock and CPU time. Results go to
bench/results/<name>.json (git-ignored).
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

RESULTS_DIR = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Stats:
    """Timing summary in milliseconds over `n` samples."""

    p50: float
    p95: float
    mean: float
    n: int
    min: float = math.nan
    max: float = math.nan
    cpu_p50: float = math.nan  # process CPU time (time.process_time), immune to other load
    cpu_p95: float = math.nan

    def to_json(self) -> dict[str, float | int]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def percentile(sorted_ms: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted samples, linear interpolation."""
    if not sorted_ms:
        return math.nan
    pos = (len(sorted_ms) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (pos - lo)


def summarize(samples_ms: Iterable[float], cpu_ms: Iterable[float] = ()) -> Stats:
    """Stats of wall-clock samples, with CPU-time percentiles when `cpu_ms` is given."""
    data = sorted(samples_ms)
    cpu = sorted(cpu_ms)
    if not data:
        return Stats(math.nan, math.nan, math.nan, 0)
    return Stats(
        p50=percentile(data, 50),
        p95=percentile(data, 95),
        mean=sum(data) / len(data),
        n=len(data),
        min=data[0],
        max=data[-1],
        cpu_p50=percentile(cpu, 50),
        cpu_p95=percentile(cpu, 95),
    )


class Timer:
    """Collects wall-clock (perf_counter) and CPU (process_time) samples in ms."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._t = (0.0, 0.0)

    def start(self) -> None:
        self._t = (time.perf_counter(), time.process_time())

    def stop(self) -> float:
        wall = (time.perf_counter() - self._t[0]) * 1000.0
        self.wall.append(wall)
        self.cpu.append((time.process_time() - self._t[1]) * 1000.0)
        return wall

    def stats(self) -> Stats:
        return summarize(self.wall, self.cpu)


def measure(
    fn: Callable[[], object],
    *,
    warmup: int = 3,
    iterations: int = 20,
    budget_s: float | None = None,
    min_iterations: int = 3,
    collect: bool = True,
) -> Stats:
    """Time `iterations` calls of `fn` after `warmup` untimed calls.

    With `budget_s`, warm-ups and iterations stop once that much wall time has
    been spent and at least one warm-up and `min_iterations` samples are done.
    With `collect`, a full garbage collection runs (untimed) before each call so
    one call's garbage is not billed to the next.
    """
    start = time.perf_counter()

    def over_budget() -> bool:
        return budget_s is not None and time.perf_counter() - start > budget_s

    for i in range(warmup):
        if i >= 1 and over_budget():
            break
        fn()
    timer = Timer()
    for i in range(iterations):
        if i >= min_iterations and over_budget():
            break
        if collect:
            gc.collect()
        timer.start()
        fn()
        timer.stop()
    return timer.stats()


def measure_each(
    setup: Callable[[], T],
    fn: Callable[[T], object],
    *,
    warmup: int = 3,
    iterations: int = 20,
    budget_s: float | None = None,
    min_iterations: int = 3,
    collect: bool = True,
) -> Stats:
    """Like `measure`, but each call gets a fresh `setup()` value, made outside the timing."""
    start = time.perf_counter()

    def over_budget() -> bool:
        return budget_s is not None and time.perf_counter() - start > budget_s

    for i in range(warmup):
        if i >= 1 and over_budget():
            break
        fn(setup())
    timer = Timer()
    for i in range(iterations):
        if i >= min_iterations and over_budget():
            break
        arg = setup()
        if collect:
            gc.collect()
        timer.start()
        fn(arg)
        timer.stop()
    return timer.stats()


def ratio(ours: Stats, baseline: Stats, *, cpu: bool = False) -> float:
    """Baseline p50 / our p50: 5.0 means we are 5× faster, 0.5 means 2× slower.

    With `cpu`, the same ratio of CPU-time p50s: steadier when other jobs share the box.
    """
    mine, theirs = (ours.cpu_p50, baseline.cpu_p50) if cpu else (ours.p50, baseline.p50)
    if not mine or math.isnan(mine) or math.isnan(theirs):
        return math.nan
    return theirs / mine


def format_ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    if value >= 1:
        return f"{value:.1f}× faster"
    return f"{1 / value:.1f}× slower"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a result table.

    A baseline row gives either `ratio` (ours vs this row, precomputed) or `ours`,
    the stats it is compared with; with `ours` the table shows the wall-clock and
    the CPU-time ratio.
    """

    label: str
    stats: Stats
    ratio: float | None = None
    note: str = ""
    ours: Stats | None = None

    def ratios(self) -> str:
        if self.ours is None:
            return format_ratio(self.ratio)
        wall = format_ratio(ratio(self.ours, self.stats))
        cpu = ratio(self.ours, self.stats, cpu=True)
        return f"{wall} (cpu {format_ratio(cpu)})" if not math.isnan(cpu) else wall


def format_table(title: str, rows: Sequence[Row]) -> str:
    head = ("", "p50 ms", "p95 ms", "cpu p50", "n", "ours vs this", "")
    body = [
        (r.label, format_ms(r.stats.p50), format_ms(r.stats.p95), format_ms(r.stats.cpu_p50),
         str(r.stats.n), r.ratios(), r.note)
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]

    def render(line: tuple[str, ...]) -> str:
        cells = [line[0].ljust(widths[0])]
        cells += [line[i].rjust(widths[i]) for i in (1, 2, 3, 4)]
        cells += [line[5].ljust(widths[5]), line[6]]
        return "  ".join(cells).rstrip()

    rule = "-" * len(render(head))
    return "\n".join([title, rule, render(head), rule, *(render(b) for b in body), ""])


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write `payload` (plus machine info and a timestamp) to bench/results/<name>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {
        "benchmark": name,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        **payload,
    }
    path.write_text(json.dumps(_plain(document), indent=2) + "\n", encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    """JSON-safe data: Stats become dicts, NaN and infinities become null."""
    if isinstance(value, Stats):
        return _plain(value.to_json())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
