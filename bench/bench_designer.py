"""Designer benchmarks: cold start, open to first frame, frame times, auto-layout, memory.

    QT_QPA_PLATFORM=offscreen python -m bench.bench_designer [--sizes L,XL] [--quick]

PERFORMANCE.md B1, B2, B3, B6 and B9 on the generated L and XL rosters
(bench/generate.py; cached under bench/results/fixtures/). B5b (the autosave
stall) is measured elsewhere. The GUI parts run the real `MainWindow`
offscreen (software raster) at 1400 × 900, with private settings and XDG
folders, each size in a fresh process.

- **B1 cold start**: a fresh `python -c` creates the QApplication and the
  MainWindow, shows it and runs the event loop until the window's first
  Expose event plus one idle event (a zero-timer), then prints the time and
  its RSS. The clock starts here just before the child is spawned
  (CLOCK_MONOTONIC on both sides), so interpreter start-up and every import
  count; "cpu" is the child's whole CPU time (getrusage). Baseline in the
  same rounds: a bare QApplication + QMainWindow through the same steps;
  floors: `python -c pass` and `import PySide6.QtWidgets`. 2 untimed rounds,
  then 10 (the four variants interleaved), then one `-X importtime` run to
  show which imports the time goes to. `--b1-baseline DIR` adds a fifth
  variant, the same designer start run from another checkout (e.g. a copy of
  the tree before a change), interleaved with ours: a before/after ratio
  measured under the same load. The children may write bytecode even where
  PYTHONDONTWRITEBYTECODE is set: the untimed rounds compile whatever changed,
  as a real app's first run (or its installer) does; no round is timed with a
  module compiled from source.
- **B2 open to first frame**: `open_path(roster)` (load, checks, scene, fit)
  → `viewport().repaint()`; the clock stops when the canvas's `paintEvent`
  has completed (a `RosterView` subclass times it: the PERFORMANCE.md hook).
  Each size runs twice, each time in a fresh process: with the scene's BSP
  index (as shipped) and with NoIndex (set before the roster is loaded: the
  BSP tree is built from all items on the first paint, and that is where the
  two differ most). The first open in a process is "cold"; at L the BSP
  process then opens a small roster (untimed) and L again, once ("warm").
  At XL only the cold open runs (it takes minutes) and the overview dock is
  closed right after the first frame. "Until idle" adds the events the open
  queued (another canvas and overview paint, the findings, and the edge
  items the scene builds from the event loop after the first frame; the
  clock stops only when none is pending). Floors:
  `io.load_roster` alone and, at L, PyYAML's CSafeLoader parse.
- **B9 memory**: RSS and peak RSS right after the cold B2, per index method.
- **B3 frame times** with the roster loaded: per synthetic input step the
  input is applied, `viewport().repaint()` forces the frame and pending
  events are processed. "paint" is the canvas `paintEvent` (the gated
  number); "frame" is input + the whole synchronous repaint (other dirty
  widgets, the overview above all, paint in the same pass) + the deferred
  events. Inputs: B3a pan across the whole scene at 100 % along its
  diagonal, 60 steps (each step a jump of more than a screen, so every frame
  repaints the whole viewport); B3a' the pan a hand or a wheel makes, 60
  scroll steps of 24 × 12 px from the middle of the scene, where the frame
  is what `processEvents` paints after the scroll (Qt blits what stays in
  view and asks for the two exposed strips; a forced `repaint()` would
  repaint everything and measure B3a again). B3a stays the gated pan;
  B3b zoom from 100 % out to fit-all and back, 15 + 15 steps (transforms
  set directly: wheel zoom stops at 5 % and only Fit All goes further);
  B3c drag the node with the edge count closest to 20 round a 60-step
  circle at 100 % (`setPos`; its edges re-route); B3d a rubber band growing
  in 20 steps over a region holding 500 nodes (`setSelectionArea` with the
  view's transform and selection mode, as a rubber-band drag does;
  edges under it are selected too and the inspector follows the selection).
  Steps run in van der Corput order under a time budget, so the frames that
  fit are spread over the whole path, and every configuration times the
  same steps first; tables print n = frames timed / steps, and compare each
  configuration with BSP + NoCache on the steps both timed.
  Configurations: as shipped (BSP, no item cache, overview dock open), then
  with the overview closed: BSP + NoCache (the reference), BSP +
  DeviceCoordinateCache, BSP + ItemCoordinateCache on node cards only (an
  edge's item-coordinate pixmap would be as large as its bounding rect, up
  to 80,000 px tall) and, in the NoIndex process, NoIndex + NoCache. The
  winner is the configuration whose paint is fastest against BSP + NoCache
  on the same steps (geometric mean over the inputs), if by more than 10 %.
  Frames take about a second at L and several at XL, so the budgets are
  small: at L 4 s per input as shipped (1 untimed frame, then at least 2),
  1.5 s in the other configurations (at least 2 frames, and 1 untimed frame
  with an item cache, to fill it); at XL 2 frames per input with BSP +
  NoCache and with NoIndex + NoCache, and 2 pan frames with
  DeviceCoordinateCache, no untimed frames. One repaint of the overview
  alone is timed per process. cProfile of one open and of 2 frames per input
  at L (BSP) names the hot spots.
- **B6 auto-layout**: `layered_layout` (ours; 20 runs at L, 5 at XL)
  against, in the same process, `nx.multipartite_layout` (on BFS-depth
  layers from the entry agents, layering included), the networkx spring
  layout with 50 iterations (1 run), grandalf's `SugiyamaLayout` (pip install
  grandalf; a child process stopped after 40 s) and Graphviz dot if
  installed. `nx.spring_layout` needs SciPy above 500 nodes; SciPy is no
  project dependency, so without it networkx's own dense Fruchterman-Reingold
  solver (what spring_layout runs below 500 nodes) runs instead; at XL it is
  not run (n × n arrays of gigabytes per iteration) and its time is projected
  from L as O(n²), labelled as projected.

--quick: small budgets and few runs, a smoke test. Results:
bench/results/designer.json. A full run takes about 9 minutes on the
2-core box, over the 6 aimed for, because the app is far from its targets:
the two XL opens alone take over two minutes and XL frames take seconds;
`--sizes L` takes about 4.5 minutes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import importlib.metadata
import json
import math
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import harness as h

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = h.RESULTS_DIR / "fixtures"
SMALL_SAMPLE = ROOT / "resources" / "samples" / "support-triage.roster.yaml"
WINDOW_SIZE = (1400, 900)
MB = 1024 * 1024

# (label, limit) per PERFORMANCE.md
B1_MS, B1_RSS_MB = 700.0, 150.0
B2_MS = {"L": 400.0, "XL": 2000.0}
B3_MS = {"L": 16.7, "XL": 33.0}
B6_MS = {"L": 150.0, "XL": 1000.0}
B9_MB = {"L": 400.0, "XL": 900.0}


# ====================================================================== shared helpers


def _child_env(tmp: Path) -> dict[str, str]:
    """Environment for GUI children: offscreen, private XDG folders, the repo importable."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = str(tmp / var.lower())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _rss_kb() -> tuple[int, int]:
    """(VmRSS, VmHWM) of this process in kB."""
    values = {"VmRSS": 0, "VmHWM": 0}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key = line.split(":", 1)[0]
            if key in values:
                values[key] = int(line.split()[1])
    return values["VmRSS"], values["VmHWM"]


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("PySide6-Essentials", "PySide6", "shiboken6", "networkx", "numpy", "grandalf",
                 "scipy"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def fixture(size: str) -> Path:
    """The generated roster of `size`, cached; regenerated when bench/generate.py changes."""
    from bench.generate import DEFAULT_SEED, generate_text

    stamp = hashlib.sha256((ROOT / "bench" / "generate.py").read_bytes()).hexdigest()[:16]
    path = FIXTURES / f"{size}-{DEFAULT_SEED}-{stamp}.roster.yaml"
    if not path.exists():
        FIXTURES.mkdir(parents=True, exist_ok=True)
        for old in FIXTURES.glob(f"{size}-*.roster.yaml"):
            old.unlink()
        t0 = time.perf_counter()
        text = generate_text(size)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        print(f"generated the {size} fixture in {time.perf_counter() - t0:.1f} s: {path}")
    return path


def _fmt_mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


def _verdict(value: float, limit: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "PASS" if value <= limit else "MISS"


def _table(title: str, head: Sequence[str], rows: Sequence[Sequence[str]],
           right: Sequence[int] = ()) -> str:
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]

    def render(line: Sequence[str]) -> str:
        cells = [str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i])
                 for i, c in enumerate(line)]
        return "  ".join(cells).rstrip()

    rule = "-" * max(len(render(head)), len(title))
    return "\n".join([title, rule, render(head), rule, *(render(r) for r in rows), ""])


_BUILTIN = re.compile(r"<(?:method|built-in method) '(\w+)' of '(?:[\w.]*\.)?(\w+)' objects>")


def _profile_top(profile: cProfile.Profile, n: int = 10) -> list[dict[str, Any]]:
    """The `n` functions with the most own time, labelled briefly."""
    stats = pstats.Stats(profile)
    rows = []
    for (file, line, name), (_cc, ncalls, tottime, cumtime, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        if file == "~":
            match = _BUILTIN.match(name)
            label = f"{match.group(2)}.{match.group(1)}" if match else name.strip("<>{}")
            if "TimedView.paintEvent" in name:  # own time: Qt's C++ inside the view's paint
                label = "canvas QGraphicsView.paintEvent (Qt C++ work)"
            elif "TimedOverview.paintEvent" in name:
                label = "overview QGraphicsView.paintEvent (Qt C++ work)"
        else:
            path = Path(file)
            try:
                shown = str(path.resolve().relative_to(ROOT))
            except ValueError:
                shown = path.name
            label = f"{shown}:{line}({name})"
        rows.append({"function": label, "calls": ncalls, "own_ms": tottime * 1000,
                     "cum_ms": cumtime * 1000})
    rows.sort(key=lambda r: r["own_ms"], reverse=True)
    return rows[:n]


def _print_profile(title: str, rows: list[dict[str, Any]]) -> None:
    body = [(r["function"], f"{r['calls']:,}", h.format_ms(r["own_ms"]), h.format_ms(r["cum_ms"]))
            for r in rows]
    print(_table(title, ("function", "calls", "own ms", "cum ms"), body, right=(1, 2, 3)))


# ====================================================================== B1 cold start

_B1_CODE = r"""
import json, sys, time
T = {"start": time.monotonic()}
MODE, INI = sys.argv[1], sys.argv[2]
if MODE == "interp":
    T["idle"] = T["start"]
else:
    from PySide6.QtCore import QEvent, QObject, QSettings, QTimer, qVersion
    from PySide6.QtWidgets import QApplication
    T["qt_imported"] = time.monotonic()
    if MODE == "import":
        T["idle"] = T["qt_imported"]
if MODE in ("bare", "text", "designer"):
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("Agent Roster bench")
    app.setApplicationName("Agent Roster Designer bench")
    T["app"] = time.monotonic()
    if MODE == "designer":
        from designer.main_window import MainWindow
        T["imported"] = time.monotonic()
        window = MainWindow(QSettings(INI, QSettings.Format.IniFormat))
    else:
        from PySide6.QtWidgets import QLabel, QMainWindow
        T["imported"] = time.monotonic()
        window = QMainWindow()
        window.resize(1400, 900)
        if MODE == "text":  # any text on screen: Qt's font database and text layout start
            window.menuBar().addMenu("&File")
            window.setCentralWidget(QLabel("Agent Roster"))
    T["constructed"] = time.monotonic()
    state = {"exposed": False}

    def idle():
        T["idle"] = time.monotonic()
        app.quit()

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if (not state["exposed"] and event.type() == QEvent.Type.Expose
                    and obj is window.windowHandle()):
                state["exposed"] = True
                T["expose"] = time.monotonic()
                QTimer.singleShot(0, idle)
            return False

    watch = Watch()
    app.installEventFilter(watch)
    window.show()
    T["shown"] = time.monotonic()
    app.exec()
rss = hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1])
    elif line.startswith("VmHWM:"):
        hwm = int(line.split()[1])
qt = qVersion() if MODE != "interp" else ""
print("B1RESULT " + json.dumps({"t": T, "rss_kb": rss, "hwm_kb": hwm, "qt": qt}), flush=True)
"""

B1_MODES = ("designer", "bare", "text", "import", "interp")
B1_LABELS = {
    "designer": "MainWindow to expose + idle (ours)",
    "baseline": "the same from the --b1-baseline tree (before)",
    "bare": "bare QApplication + QMainWindow (baseline)",
    "text": "the same with a menu and a label (baseline)",
    "import": "floor: python + import PySide6.QtWidgets",
    "interp": "floor: python -c (interpreter only)",
}


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _b1_once(mode: str, tmp: Path, baseline: Path | None = None) -> dict[str, Any]:
    env = _child_env(tmp)
    # A started app finds its modules compiled (pip compiles them at install, Python writes
    # them on the first run). With PYTHONDONTWRITEBYTECODE set, as in this dev shell, every
    # module edited since its .pyc was written would be compiled again in every round.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ini = str(tmp / f"b1-{mode}.ini")
    tree = ROOT
    if mode == "baseline" and baseline is not None:
        tree = baseline  # `-c` puts the cwd first on sys.path: that tree's designer runs
        env["PYTHONPATH"] = os.pathsep.join([str(baseline), env.get("PYTHONPATH", "")])
    cpu0 = _children_cpu_s()
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _B1_CODE,
                           "designer" if mode == "baseline" else mode, ini], env=env, cwd=tree,
                          capture_output=True, text=True, timeout=120, check=False)
    cpu_ms = (_children_cpu_s() - cpu0) * 1000  # the whole child, exit included
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("B1RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"B1 child ({mode}) failed: {proc.returncode}\n{proc.stderr[-2000:]}")
    data = json.loads(lines[-1].removeprefix("B1RESULT "))
    t = data["t"]
    data["ms"] = (t["idle"] - t0) * 1000.0
    data["cpu_ms"] = cpu_ms
    data["interp_ms"] = (t["start"] - t0) * 1000.0
    return data


def _b1_imports(tmp: Path, min_ms: float = 15.0) -> list[dict[str, Any]]:
    """`python -X importtime` of the designer start: the imports under designer.main_window
    that take at least `min_ms` (cumulative), in tree order, with their depth."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", _B1_CODE, "designer",
                           str(tmp / "b1-importtime.ini")], env=_child_env(tmp), cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    entries = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, self_us, cum_us, name = (part for part in re.split(r"import time:|\|", line))
        if not self_us.strip().isdigit():
            continue
        depth = (len(name) - len(name.lstrip(" "))) // 2
        entries.append({"module": name.strip(), "depth": depth, "self_ms": int(self_us) / 1000,
                        "cum_ms": int(cum_us) / 1000})
    # children are printed before their parent: the block before designer.main_window
    root = next((i for i, e in enumerate(entries) if e["module"] == "designer.main_window"), None)
    if root is None:
        return []
    base = entries[root]["depth"]
    start = root
    while start > 0 and entries[start - 1]["depth"] > base:
        start -= 1
    tree = [entries[root] | {"depth": 0}]
    # reversed post-order is a pre-order: each parent above its children
    tree += [e | {"depth": e["depth"] - base} for e in reversed(entries[start:root])
             if e["cum_ms"] >= min_ms and e["depth"] - base <= 5]
    return tree


def bench_b1(rounds: int, warmup: int, baseline: Path | None = None) -> dict[str, Any]:
    modes = (*B1_MODES, "baseline") if baseline is not None else B1_MODES
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="bench-b1-") as tmpdir:
        tmp = Path(tmpdir)
        for r in range(warmup + rounds):
            for mode in modes:
                result = _b1_once(mode, tmp, baseline)
                if r >= warmup:
                    samples[mode].append(result)
        imports = _b1_imports(tmp)
    stats = {m: h.summarize([s["ms"] for s in v], [s["cpu_ms"] for s in v])
             for m, v in samples.items()}
    ours = stats["designer"]
    rows = [h.Row(B1_LABELS[m], stats[m], h.ratio(ours, stats[m]) if m != "designer" else None)
            for m in modes]
    qt = samples["designer"][0]["qt"] if samples["designer"] else "?"
    print(h.format_table(f"B1 cold start to an interactive empty window ({rounds} runs each, "
                         f"spawn to first Expose + one idle event; Qt {qt})", rows))

    def phase(mode: str, a: str, b: str) -> h.Stats:
        return h.summarize([(s["t"][b] - s["t"][a]) * 1000 for s in samples[mode]])

    phases = {
        "interpreter start (spawn → first line)": h.summarize(
            [s["interp_ms"] for s in samples["designer"]]),
        "import PySide6 QtCore + QtWidgets": phase("designer", "start", "qt_imported"),
        "QApplication()": phase("designer", "qt_imported", "app"),
        "import designer.main_window (+ runtime)": phase("designer", "app", "imported"),
        **({"import designer.main_window (baseline tree)": phase("baseline", "app", "imported"),
            "MainWindow(settings) (baseline tree)": phase("baseline", "imported", "constructed")}
           if baseline is not None else {}),
        "MainWindow(settings)": phase("designer", "imported", "constructed"),
        "show()": phase("designer", "constructed", "shown"),
        "show → first Expose": phase("designer", "shown", "expose"),
        "Expose → idle": phase("designer", "expose", "idle"),
    }
    bare_phases = {
        "QMainWindow() (bare)": phase("bare", "imported", "constructed"),
        "show → first Expose (bare)": phase("bare", "shown", "expose"),
        "show → first Expose (menu and label)": phase("text", "shown", "expose"),
    }
    print(h.format_table("B1 where the time goes (ours; p50 of each phase)",
                         [h.Row(k, v) for k, v in {**phases, **bare_phases}.items()]))
    rss = {m: h.summarize([s["rss_kb"] / 1024 for s in samples[m]])
           for m in ("designer", "bare", "text", "import")}
    rss_rows = [(B1_LABELS[m], f"{rss[m].p50:,.0f} MB", f"{rss[m].max:,.0f} MB")
                for m in rss]
    print(_table("B1 idle RSS at the idle point", ("", "p50", "max"), rss_rows, right=(1, 2)))
    if imports:
        print(_table("B1 imports under designer.main_window taking ≥ 15 ms (python -X importtime,"
                     " one run; cumulative, children indented below their parent)",
                     ("module", "cum ms", "self ms"),
                     [("  " * e["depth"] + e["module"], f"{e['cum_ms']:,.0f}",
                       f"{e['self_ms']:,.1f}") for e in imports], right=(1, 2)))
    return {
        "runs": rounds,
        "stats": stats,
        "phases": phases | bare_phases,
        "rss_mb": rss,
        "imports": imports,
        "ratio_vs_bare": h.ratio(ours, stats["bare"]),
        "ratio_vs_text": h.ratio(ours, stats["text"]),
        **({"ratio_vs_baseline_tree": h.ratio(ours, stats["baseline"]),
            "ratio_vs_baseline_tree_cpu": h.ratio(ours, stats["baseline"], cpu=True)}
           if baseline is not None else {}),
        "qt": qt,
    }


# ====================================================================== B2 / B3 / B9 (child)


ALL_INPUTS: tuple[str, ...] = ("B3a pan", "B3a' scroll", "B3b zoom", "B3c drag",
                               "B3d rubber band")
PAN_ONLY: tuple[str, ...] = ("B3a pan",)


@dataclass(frozen=True, slots=True)
class Config:
    """One B3 configuration in a child: item cache, overview dock, and how many frames."""

    cache: str  # NoCache, DeviceCoordinateCache, ItemCoordinateCache (nodes)
    overview: bool  # the overview dock open (as shipped) or closed
    budget_s: float  # per input; frames stop once it is spent and min_frames are in
    inputs: tuple[str, ...] = ALL_INPUTS
    warmup: int = 0  # untimed frames first
    min_frames: int = 2


@dataclass(frozen=True, slots=True)
class GuiPlan:
    """What one child (one size, one index method) runs."""

    warm_opens: int  # B2 warm opens after the cold one
    configs: tuple[Config, ...]
    profile_frames: int = 0  # cProfile this many frames per input, and one open (0: none)
    floor_runs: int = 0  # io.load_roster (and CSafeLoader at L) alone
    close_overview: bool = False  # close the overview dock right after the first frame


SHIPPED = "NoIndex"  # the scene's index method (designer/canvas/scene.py)
OTHER = "BSP"


def gui_plan(size: str, index: str, quick: bool) -> GuiPlan:
    nc, dcc, icc = "NoCache", "DeviceCoordinateCache", "ItemCoordinateCache (nodes)"
    if quick:
        if index == OTHER:
            return GuiPlan(0, (Config(nc, False, 0.0, PAN_ONLY, 0, 1),), close_overview=True)
        return GuiPlan(0, (Config(nc, size == "L", 0.5, ALL_INPUTS, 0, 1),
                           Config(dcc, False, 0.0, PAN_ONLY, 0, 1)),
                       floor_runs=1, close_overview=size == "XL")
    if size == "XL":
        if index == OTHER:
            return GuiPlan(0, (Config(nc, False, 0.0, ALL_INPUTS, 0, 2),), close_overview=True)
        return GuiPlan(0, (Config(nc, False, 0.0, ALL_INPUTS, 0, 2),
                           Config(dcc, False, 0.0, PAN_ONLY, 0, 2)),
                       floor_runs=1, close_overview=True)
    if index == OTHER:
        return GuiPlan(0, (Config(nc, False, 1.5, ALL_INPUTS, 0, 2),))
    return GuiPlan(1, (Config(nc, True, 4.0, ALL_INPUTS, 1, 2),
                       Config(nc, False, 1.5, ALL_INPUTS, 0, 2),
                       Config(dcc, False, 1.5, ALL_INPUTS, 1, 2),
                       Config(icc, False, 0.0, ALL_INPUTS, 1, 2)),
                   profile_frames=2, floor_runs=2)


def _spread_order(n: int) -> list[int]:
    """0..n-1 in van der Corput order: every prefix is spread evenly over the range."""
    seen: set[int] = set()
    out: list[int] = []
    k = 0
    while len(out) < n:
        x, f, i = 0.0, 0.5, k
        while i:
            x += f * (i & 1)
            i >>= 1
            f *= 0.5
        idx = min(int(x * n), n - 1)
        if idx not in seen:
            seen.add(idx)
            out.append(idx)
        k += 1
    return out


class GuiBench:
    """One process, one size: the real MainWindow with timing subclasses of its views."""

    def __init__(self, size: str, index: str, roster: Path, plan: GuiPlan, tmp: Path) -> None:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        self.size, self.index, self.plan, self.tmp = size, index, plan, tmp
        self.app = QApplication.instance() or QApplication([])
        import designer.main_window as mw
        from designer.canvas.view import RosterView
        from designer.panels.overview import OverviewPanel

        self.paints: list[tuple[str, float, float, float]] = []  # (which, start, end, cpu ms)
        paints = self.paints

        class TimedView(RosterView):
            def paintEvent(self, event: Any) -> None:
                t0, c0 = time.perf_counter(), time.process_time()
                super().paintEvent(event)
                paints.append(("canvas", t0, time.perf_counter(),
                               (time.process_time() - c0) * 1000))

        class TimedOverview(OverviewPanel):
            def paintEvent(self, event: Any) -> None:
                t0, c0 = time.perf_counter(), time.process_time()
                super().paintEvent(event)
                paints.append(("overview", t0, time.perf_counter(),
                               (time.process_time() - c0) * 1000))

        mw.RosterView = TimedView  # type: ignore[misc]
        mw.OverviewPanel = TimedOverview  # type: ignore[misc]
        self.settings = QSettings(str(tmp / "designer.ini"), QSettings.Format.IniFormat)
        self.window = mw.MainWindow(self.settings)
        self.window.maybe_save = lambda: True  # never block on a question
        self.window.resize(*WINDOW_SIZE)
        self.window.show()
        self.settle()
        self.view = self.window.view
        self.scene = self.window.scene
        self.viewport = self.view.viewport()
        self.set_index(index)  # before anything is loaded: the index is built as items arrive
        self.roster = tmp / roster.name  # a private copy: the lock file lands beside it
        shutil.copy(roster, self.roster)
        self.small = tmp / SMALL_SAMPLE.name
        shutil.copy(SMALL_SAMPLE, self.small)

    # ------------------------------------------------------------ basics

    def settle(self, rounds: int = 30) -> None:
        """Process events until a round is quick and paints nothing."""
        for _ in range(rounds):
            before = len(self.paints)
            t0 = time.perf_counter()
            self.app.processEvents()
            if time.perf_counter() - t0 < 0.002 and len(self.paints) == before:
                return

    def overview_dock(self) -> Any:
        return self.window.overview.parentWidget()

    def set_index(self, index: str) -> None:
        from PySide6.QtWidgets import QGraphicsScene

        methods = {"BSP": QGraphicsScene.ItemIndexMethod.BspTreeIndex,
                   "NoIndex": QGraphicsScene.ItemIndexMethod.NoIndex}
        if self.scene.itemIndexMethod() != methods[index]:
            self.scene.setItemIndexMethod(methods[index])

    # ------------------------------------------------------------ B2 + B9

    def open_once(self, close_overview: bool = False) -> dict[str, float]:
        """open_path → repaint → the canvas paintEvent done; then until idle (with the
        overview dock closed first when `close_overview`)."""
        self.paints.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        if not self.window.open_path(self.roster):
            raise RuntimeError(f"could not open {self.roster}")
        t_open = time.perf_counter()
        self.viewport.repaint()
        canvas = [p for p in self.paints if p[0] == "canvas" and p[1] >= t_open]
        if not canvas:
            raise RuntimeError("the canvas did not paint")
        first = canvas[0][2]
        c_first = time.process_time()
        overview = sum(p[2] - p[1] for p in self.paints if p[0] == "overview")
        if close_overview:
            self.overview_dock().setVisible(False)
        self.settle()
        pending = getattr(self.scene, "edges_pending", lambda: 0)
        while pending():  # edge items are built from the event loop after the first frame
            self.app.processEvents()
        self.settle()
        idle = time.perf_counter()
        return {"first_frame_ms": (first - t0) * 1000, "cpu_ms": (c_first - c0) * 1000,
                "open_ms": (t_open - t0) * 1000, "paint_ms": (canvas[0][2] - canvas[0][1]) * 1000,
                "overview_paint_ms": overview * 1000, "until_idle_ms": (idle - t0) * 1000}

    def bench_b2(self) -> dict[str, Any]:
        from PySide6.QtGui import QPixmapCache

        if self.scene.itemIndexMethod().name != ("BspTreeIndex" if self.index == "BSP"
                                                  else "NoIndex"):
            raise RuntimeError("the index method was not applied")
        cold = self.open_once(self.plan.close_overview)
        rss, hwm = _rss_kb()
        out: dict[str, Any] = {"cold": cold, "rss_kb": rss, "hwm_kb": hwm,
                               "items": len(self.scene.items()), "nodes": len(self.scene.nodes),
                               "edges": len(self.scene.edges),
                               "viewport": [self.viewport.width(), self.viewport.height()],
                               "fit_zoom": self.view.transform().m11(),
                               "pixmap_cache_kb": QPixmapCache.cacheLimit(),
                               "index": self.index, "overview_closed_after_first_frame":
                               self.plan.close_overview}
        warm: list[dict[str, float]] = []
        for _ in range(self.plan.warm_opens):
            self.window.open_path(self.small)
            self.settle()
            gc.collect()
            warm.append(self.open_once())
        out["warm"] = warm
        if warm:
            out["warm_first_frame"] = h.summarize([w["first_frame_ms"] for w in warm],
                                                  [w["cpu_ms"] for w in warm])
        # floors in the same process
        from runtime.roster import io

        floor_runs = self.plan.floor_runs
        if floor_runs:
            out["load_roster"] = h.measure(lambda: io.load_roster(self.roster), warmup=0,
                                           iterations=floor_runs)
        if floor_runs and self.size != "XL":
            import yaml

            text = self.roster.read_bytes()
            out["csafeloader"] = h.measure(lambda: yaml.load(text, Loader=yaml.CSafeLoader),
                                           warmup=0, iterations=floor_runs)
        if self.plan.profile_frames:
            self.window.open_path(self.small)
            self.settle()
            gc.collect()
            profile = cProfile.Profile()
            profile.enable()
            self.window.open_path(self.roster)
            self.viewport.repaint()
            profile.disable()
            self.settle()
            out["profile"] = _profile_top(profile, 14)
        return out

    # ------------------------------------------------------------ B3 inputs

    def _visible_scene_rect(self) -> Any:
        return self.view.mapToScene(self.viewport.rect()).boundingRect()

    def _set_zoom(self, zoom: float, centre: Any) -> None:
        from PySide6.QtGui import QTransform

        self.view.setTransform(QTransform.fromScale(zoom, zoom))
        self.view.centerOn(centre)
        self.view.zoom_changed.emit(zoom)  # as RosterView.set_zoom does (the overview follows)

    def inputs(self) -> dict[str, dict[str, Any]]:
        """Each input: steps (callables), prepare and finish (untimed), and a description."""
        from PySide6.QtCore import QPointF, QRectF, Qt
        from PySide6.QtGui import QPainterPath

        from runtime.roster import model as m

        scene, view = self.scene, self.view
        getattr(scene, "ensure_edges", lambda: None)()  # every card knows all its edges
        bounds = scene.itemsBoundingRect()
        centre = bounds.center()
        fit_zoom = self._fit_zoom(bounds)
        out: dict[str, dict[str, Any]] = {}

        # B3a pan at 100 % along the scene's diagonal
        half_w = self.viewport.width() / 2
        half_h = self.viewport.height() / 2
        a = QPointF(bounds.left() + half_w, bounds.top() + half_h)
        b = QPointF(bounds.right() - half_w, bounds.bottom() - half_h)
        pan_points = [a + (b - a) * (i / 59) for i in range(60)]
        out["B3a pan"] = {
            "steps": [lambda p=p: view.centerOn(p) for p in pan_points],
            "prepare": lambda: self._set_zoom(1.0, pan_points[0]),
            "finish": lambda: None,
            "what": f"60 steps at 100 % from {a.x():.0f},{a.y():.0f} to {b.x():.0f},{b.y():.0f}",
        }
        # B3a' pan as a hand does: scroll by 24 × 12 px a frame at 100 %, painting only what
        # the scroll exposed (Qt blits the rest), from the middle of the scene
        hbar, vbar = view.horizontalScrollBar(), view.verticalScrollBar()

        def scroll_by(dx: int, dy: int) -> None:
            hbar.setValue(hbar.value() + dx)
            vbar.setValue(vbar.value() + dy)

        out["B3a' scroll"] = {
            "steps": [lambda: scroll_by(24, 12)] * 60,
            "prepare": lambda: self._set_zoom(1.0, centre),
            "finish": lambda: None,
            "scroll": True,
            "what": "60 scroll steps of 24 × 12 px at 100 % from the middle of the scene; "
                    "each frame paints what the scroll exposed",
        }
        # B3b zoom out to fit and back in
        levels_out = [math.exp(math.log(fit_zoom) * i / 15) for i in range(1, 16)]
        levels = levels_out + levels_out[-2::-1] + [1.0]
        out["B3b zoom"] = {
            "steps": [lambda z=z: self._set_zoom(z, centre) for z in levels],
            "prepare": lambda: self._set_zoom(1.0, centre),
            "finish": lambda: None,
            "what": f"100 % → {fit_zoom:.2%} (fit) → 100 %, {len(levels)} steps",
        }
        # B3c drag the node whose edge count is closest to 20
        candidates = [(abs(len(item.edges) - 20), not isinstance(item.node, m.Agent), i, item)
                      for i, item in enumerate(scene.nodes.values())]
        _, _, _, node = min(candidates, key=lambda c: c[:3])
        start = node.pos()
        radius = 150.0
        circle = [start + QPointF(radius * (math.cos(2 * math.pi * i / 60) - 1),
                                  radius * math.sin(2 * math.pi * i / 60)) for i in range(1, 61)]

        def drag_prepare() -> None:
            self._set_zoom(1.0, node.sceneBoundingRect().center() - QPointF(radius, 0))
            scene.clearSelection()
            node.setSelected(True)

        def drag_finish() -> None:
            node.setPos(start)
            scene.clearSelection()

        out["B3c drag"] = {
            "steps": [lambda p=p: node.setPos(p) for p in circle],
            "prepare": drag_prepare,
            "finish": drag_finish,
            "what": f"{node.node_id} ({len(node.edges)} edges) round a {radius:.0f} px circle, "
                    "60 steps at 100 %",
        }
        # B3d rubber band over the first 500 nodes from the top
        items = sorted(scene.nodes.values(), key=lambda it: (it.sceneBoundingRect().top(),
                                                            it.sceneBoundingRect().left()))
        chosen = items[:500]
        region = QRectF()
        for it in chosen:
            region = region.united(it.sceneBoundingRect())
        # the full width of the scene, down to the 500th node's bottom
        region = QRectF(QPointF(bounds.left() - 10, bounds.top() - 10),
                        QPointF(bounds.right() + 10, region.bottom() + 1))
        origin = region.topLeft()
        rects = [QRectF(origin, QPointF(origin.x() + region.width() * f,
                                        origin.y() + region.height() * f))
                 for f in [i / 20 for i in range(1, 21)]]

        def band(rect: QRectF) -> None:
            path = QPainterPath()
            path.addRect(rect)
            scene.setSelectionArea(path, Qt.ItemSelectionOperation.ReplaceSelection,
                                   view.rubberBandSelectionMode(), view.viewportTransform())

        def band_prepare() -> None:
            scene.clearSelection()
            view.fitInView(region, Qt.AspectRatioMode.KeepAspectRatio)
            view.zoom_changed.emit(view.transform().m11())

        selected_nodes = sum(1 for it in scene.nodes.values()
                             if region.intersects(it.sceneBoundingRect()))
        out["B3d rubber band"] = {
            "steps": [lambda r=r: band(r) for r in rects],
            "prepare": band_prepare,
            "finish": scene.clearSelection,
            "what": f"20 growing steps over {region.width():.0f} × {region.height():.0f} "
                    f"selecting {selected_nodes} nodes at the end",
        }
        return out

    def _fit_zoom(self, bounds: Any) -> float:
        rect = bounds.adjusted(-60, -60, 60, 60)
        vp = self.viewport.rect()
        return min(vp.width() / rect.width(), vp.height() / rect.height())

    def run_input(self, spec: dict[str, Any], budget_s: float, min_frames: int, warmup: int
                  ) -> dict[str, Any]:
        steps: list[Callable[[], None]] = spec["steps"]
        spec["prepare"]()
        self.settle()
        order = _spread_order(len(steps))
        frames: list[dict[str, float]] = []
        started = time.perf_counter()
        try:
            warm = [order[0]] * warmup
            for k, index in enumerate([*warm, *order]):
                if k >= len(warm) + min_frames and time.perf_counter() - started > budget_s:
                    break
                self.paints.clear()
                t0, c0 = time.perf_counter(), time.process_time()
                steps[index]()
                t1 = time.perf_counter()
                if spec.get("scroll"):
                    self.app.processEvents()  # the exposed strips paint, as on screen
                else:
                    self.viewport.repaint()
                t2 = time.perf_counter()
                during = list(self.paints)
                self.settle()
                t3, c3 = time.perf_counter(), time.process_time()
                canvas = [p for p in during if p[0] == "canvas"]
                if k < len(warm):
                    started = time.perf_counter()
                    continue
                frames.append({
                    "step": index,
                    "input_ms": (t1 - t0) * 1000,
                    "paint_ms": sum(p[2] - p[1] for p in canvas) * 1000,
                    "paint_cpu_ms": sum(p[3] for p in canvas),
                    "repaint_ms": (t2 - t1) * 1000,
                    "overview_ms": sum(p[2] - p[1] for p in self.paints
                                       if p[0] == "overview") * 1000,
                    "deferred_ms": (t3 - t2) * 1000,
                    "frame_ms": (t3 - t0) * 1000,
                    "frame_cpu_ms": (c3 - c0) * 1000,
                })
        finally:
            spec["finish"]()
            self.settle()

        def col(key: str, cpu: str | None = None) -> h.Stats:
            return h.summarize([f[key] for f in frames], [f[cpu] for f in frames] if cpu else ())

        return {
            "paint": col("paint_ms", "paint_cpu_ms"),
            "frame": col("frame_ms", "frame_cpu_ms"),
            "input": col("input_ms"),
            "repaint": col("repaint_ms"),
            "overview": col("overview_ms"),
            "deferred": col("deferred_ms"),
            "of_steps": len(steps),
            "samples": [(f["step"], f["paint_ms"], f["frame_ms"]) for f in frames],
        }

    def set_cache(self, cache: str) -> None:
        from PySide6.QtWidgets import QGraphicsItem

        from designer.canvas.items import NodeItem

        modes = QGraphicsItem.CacheMode
        for item in self.scene.items():
            if cache == "NoCache":
                item.setCacheMode(modes.NoCache)
            elif cache == "DeviceCoordinateCache":
                item.setCacheMode(modes.DeviceCoordinateCache)
            elif cache == "ItemCoordinateCache (nodes)":
                item.setCacheMode(modes.ItemCoordinateCache if isinstance(item, NodeItem)
                                  else modes.NoCache)
            else:
                raise ValueError(cache)
        self.settle()

    def bench_b3(self) -> dict[str, Any]:
        plan = self.plan
        inputs = self.inputs()
        results: dict[str, Any] = {"inputs": {k: v["what"] for k, v in inputs.items()},
                                   "configs": []}
        dock = self.overview_dock()
        for config in plan.configs:
            dock.setVisible(config.overview)
            self.set_cache(config.cache)
            label = f"{self.index} + {config.cache}" + (
                " + overview (as shipped)" if config.overview and self.index == SHIPPED
                and config.cache == "NoCache" else " + overview" if config.overview else "")
            entry: dict[str, Any] = {"index": self.index, "cache": config.cache,
                                     "overview": config.overview, "label": label,
                                     "budget_s": config.budget_s, "warmup": config.warmup,
                                     "results": {}}
            for name in config.inputs:
                r = self.run_input(inputs[name], config.budget_s, config.min_frames,
                                   config.warmup)
                entry["results"][name] = r
                print(f"  {self.size} {label:<48} {name:<16} paint p50 "
                      f"{h.format_ms(r['paint'].p50):>7} p95 {h.format_ms(r['paint'].p95):>7}"
                      f"  frame p50 {h.format_ms(r['frame'].p50):>7} (n={r['paint'].n})",
                      flush=True)
            results["configs"].append(entry)
        self.set_cache("NoCache")
        # the overview alone, one repaint of the whole scene in miniature
        dock.setVisible(True)
        self.settle()
        self.paints.clear()
        t0 = time.perf_counter()
        self.window.overview.refresh()  # the cached miniature, redrawn from scratch
        self.window.overview.repaint()
        results["overview_repaint_ms"] = (time.perf_counter() - t0) * 1000
        self.settle()
        if plan.profile_frames:
            dock.setVisible(False)
            self.settle()
            results["profiles"] = {}
            for name, spec in inputs.items():
                spec["prepare"]()
                self.settle()
                steps = spec["steps"]
                picks = [steps[i] for i in _spread_order(len(steps))[:plan.profile_frames]]
                profile = cProfile.Profile()
                for step in picks:
                    profile.enable()
                    step()
                    self.viewport.repaint()
                    profile.disable()
                    self.settle()
                spec["finish"]()
                self.settle()
                results["profiles"][name] = _profile_top(profile, 8)
            dock.setVisible(True)
        return results

    def close(self) -> None:
        self.window.controller.undo_stack.setClean()
        self.window.close()
        self.settle()


def child_main(size: str, index: str, roster: Path, result: Path, quick: bool) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    plan = gui_plan(size, index, quick)
    with tempfile.TemporaryDirectory(prefix=f"bench-gui-{size}-") as tmpdir:
        tmp = Path(tmpdir)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(tmp / var.lower())
        bench = GuiBench(size, index, roster, plan, tmp)
        t0 = time.perf_counter()
        b2 = bench.bench_b2()
        cold = b2["cold"]
        print(f"  {size} {index}: B2 cold first frame {cold['first_frame_ms']:,.0f} ms (open "
              f"{cold['open_ms']:,.0f}, overview paint {cold['overview_paint_ms']:,.0f}, canvas "
              f"paint {cold['paint_ms']:,.0f}; until idle {cold['until_idle_ms']:,.0f}); RSS "
              f"{_fmt_mb(b2['rss_kb'])}; {len(b2['warm'])} warm opens "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        b3 = bench.bench_b3()
        bench.close()
    result.write_text(json.dumps(h._plain({"b2": b2, "b3": b3, "plan": repr(plan)})),
                      encoding="utf-8")
    return 0


def run_gui(size: str, index: str, quick: bool) -> dict[str, Any]:
    """B2, B9 and B3 for one size and index method, in a fresh process."""
    roster = fixture(size)
    with tempfile.TemporaryDirectory(prefix="bench-gui-") as tmpdir:
        result = Path(tmpdir) / "result.json"
        env = _child_env(Path(tmpdir))
        cmd = [sys.executable, "-m", "bench.bench_designer", "--child", size, "--index", index,
               "--fixture", str(roster), "--result", str(result)]
        if quick:
            cmd.append("--quick")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, check=False)
        if proc.returncode != 0 or not result.exists():
            raise RuntimeError(f"the {size} {index} GUI child failed ({proc.returncode})")
        data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
        data["elapsed_s"] = time.perf_counter() - t0
        return data


def _stats(d: dict[str, Any] | None) -> h.Stats:
    if not d:
        return h.Stats(math.nan, math.nan, math.nan, 0)
    return h.Stats(**{k: (math.nan if v is None else v) for k, v in d.items()})


def report_b2(size: str, runs: dict[str, dict[str, Any]], empty_rss_mb: float) -> None:
    """B2 and B9 for one size; `runs` maps the index method to that child's results."""
    rows = []
    first = next(iter(runs.values()))["b2"]
    ours = None
    for index, data in runs.items():
        b2 = data["b2"]
        cold = b2["cold"]
        shipped = " (as shipped)" if index == SHIPPED else ""
        one = h.summarize([cold["first_frame_ms"]], [cold["cpu_ms"]])
        rows.append(h.Row(f"{index}{shipped}: open → canvas paintEvent done, cold", one))
        warm = _stats(b2.get("warm_first_frame"))
        if warm.n:
            rows.append(h.Row(f"{index}{shipped}: the same, warm", warm))
        if ours is None:
            ours = warm if warm.n else one
    assert ours is not None
    for data in runs.values():
        b2 = data["b2"]
        if b2.get("load_roster"):
            load = _stats(b2["load_roster"])
            rows.append(h.Row("floor: io.load_roster (parse, decode, validate)", load,
                              h.ratio(ours, load)))
        if b2.get("csafeloader"):
            c = _stats(b2["csafeloader"])
            rows.append(h.Row("reference: yaml.load CSafeLoader (plain dicts only)", c,
                              h.ratio(ours, c)))
    print(h.format_table(
        f"B2 open {size} ({first['nodes']:,} nodes, {first['edges']:,} edges, "
        f"{first['items']:,} items) to the first painted frame; viewport "
        f"{first['viewport'][0]}×{first['viewport'][1]}, fit zoom {first['fit_zoom']:.2%}; "
        f"target ≤ {B2_MS[size]:g} ms", rows))
    head = ("cold open, ms", *runs)
    phase_rows = []
    for key, label in (("open_ms", "open_path (load, checks, build scene, fit)"),
                       ("overview_paint_ms", "overview paint (same repaint pass, before canvas)"),
                       ("paint_ms", "canvas paint"),
                       ("first_frame_ms", "= first frame"),
                       ("until_idle_ms", "until idle (queued repaints, findings)")):
        phase_rows.append((label, *(f"{d['b2']['cold'][key]:,.0f}" for d in runs.values())))
    print(_table(f"B2 {size} cold open by phase", head, phase_rows,
                 right=tuple(range(1, len(head)))))
    closed = [i for i, d in runs.items() if d["b2"].get("overview_closed_after_first_frame")]
    if closed:
        print(f"({', '.join(closed)} at {size}: the overview dock is closed right after the "
              "first frame, so 'until idle' has no second overview paint)\n")
    for index, data in runs.items():
        if data["b2"].get("profile"):
            _print_profile(f"B2 {size} hot spots ({index}; cProfile of one open + repaint; "
                           "own time)", data["b2"]["profile"])
    body = []
    for index, data in runs.items():
        b2 = data["b2"]
        rss = b2["rss_kb"] / 1024
        body.append((f"{index}{' (as shipped)' if index == SHIPPED else ''}", f"{rss:,.0f}",
                     f"{b2['hwm_kb'] / 1024:,.0f}",
                     "-" if math.isnan(empty_rss_mb) else f"{rss - empty_rss_mb:,.0f}",
                     f"≤ {B9_MB[size]:g}", _verdict(rss, B9_MB[size])))
    print(_table(f"B9 memory right after B2 at {size} (MB)",
                 ("index", "RSS", "peak RSS", "over the empty window (B1)", "target", ""),
                 body, right=(1, 2, 3)))
    index_summary = index_comparison(runs)
    if index_summary:
        print(f"NoIndex against BSP at {size}: first frame "
              f"{h.format_ratio(index_summary['first_frame_ratio'])} (cold), RSS "
              f"{index_summary['rss_saved_mb']:,.0f} MB lower\n")


def index_comparison(runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """NoIndex against BSP in B2 and B9: BSP first frame / NoIndex's, and the RSS saved."""
    if not {"BSP", "NoIndex"} <= runs.keys():
        return {}
    bsp, noindex = runs["BSP"]["b2"], runs["NoIndex"]["b2"]
    return {"first_frame_ratio": bsp["cold"]["first_frame_ms"] / noindex["cold"]["first_frame_ms"],
            "rss_saved_mb": (bsp["rss_kb"] - noindex["rss_kb"]) / 1024}


def _merged_b3(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The B3 results of all children of one size as one: their configurations in a row."""
    merged: dict[str, Any] = {"inputs": {}, "configs": [], "overview_repaint_ms": {},
                              "profiles": {}}
    for index, data in runs.items():
        b3 = data["b3"]
        merged["inputs"] = merged["inputs"] or b3["inputs"]
        merged["configs"] += b3["configs"]
        merged["overview_repaint_ms"][index] = b3["overview_repaint_ms"]
        for name, prof in (b3.get("profiles") or {}).items():
            merged["profiles"][f"{name} ({index})"] = prof
    return merged


def _is_reference(entry: dict[str, Any]) -> bool:
    return entry["index"] == "BSP" and entry["cache"] == "NoCache" and not entry["overview"]


def _paired(entry: dict[str, Any], reference: dict[str, Any], name: str
            ) -> tuple[float, int]:
    """Reference paint / this paint, summed over the steps both timed (the same steps:
    every configuration starts with the same van der Corput order); and how many."""
    mine = {step: paint for step, paint, _ in entry["results"][name]["samples"]}
    ref = {step: paint for step, paint, _ in reference["results"][name]["samples"]}
    common = sorted(mine.keys() & ref.keys())
    if not common:
        return math.nan, 0
    return sum(ref[s] for s in common) / sum(mine[s] for s in common), len(common)


def _reference(b3: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in b3["configs"] if _is_reference(e)), None)


def report_b3(size: str, b3: dict[str, Any]) -> None:
    limit = B3_MS[size]
    print(f"B3 inputs at {size}:")
    for name, what in b3["inputs"].items():
        print(f"  {name}: {what}")
    print()
    reference = _reference(b3)
    body = []
    for name in b3["inputs"]:
        for entry in b3["configs"]:
            r = entry["results"].get(name)
            if r is None:
                continue
            paint, frame = _stats(r["paint"]), _stats(r["frame"])
            if entry is reference:
                rel = "(reference)"
            elif reference is None or name not in reference["results"]:
                rel = ""
            else:
                value, k = _paired(entry, reference, name)
                rel = f"{h.format_ratio(value)} ({k} steps)" if k else ""
            body.append((name, entry["label"], h.format_ms(paint.p50), h.format_ms(paint.p95),
                         h.format_ms(paint.cpu_p50), _verdict(paint.p95, limit),
                         h.format_ms(_stats(r["input"]).p50),
                         h.format_ms(_stats(r["overview"]).p50) if entry["overview"] else "-",
                         h.format_ms(frame.p50), h.format_ms(frame.p95),
                         _verdict(frame.p95, limit), f"{paint.n}/{r['of_steps']}", rel))
    print(_table(f"B3 frame times at {size} (ms; target p95 ≤ {limit:g} ms; paint = canvas "
                 "paintEvent, frame = input + whole repaint + deferred events; n = frames "
                 "timed / steps)",
                 ("input", "configuration", "paint p50", "p95", "cpu p50", "", "input p50",
                  "overview p50", "frame p50", "p95", "", "n",
                  "paint vs BSP + NoCache on the same steps"),
                 body, right=(2, 3, 4, 6, 7, 8, 9, 11)))
    shown = "; ".join(f"{index} {ms:,.0f} ms" for index, ms in b3["overview_repaint_ms"].items())
    print(f"One repaint of the overview at {size} (the whole scene in miniature): {shown}. "
          "It is a cached pixmap, redrawn at most every 250 ms after the scene changes; "
          "scrolling only blits it.\n")
    for name, prof in b3["profiles"].items():
        _print_profile(f"B3 {size} {name} hot spots (cProfile over a few frames, no item "
                       "cache, overview closed; own time)", prof)


def b3_winner(b3: dict[str, Any]) -> dict[str, Any]:
    """Each configuration (overview closed) against BSP + NoCache on the same steps: the
    geometric mean over the inputs both ran of reference paint / its paint. The winner is
    the highest; within ±10 % of the reference counts as no difference."""
    reference = _reference(b3)
    scores: dict[str, dict[str, Any]] = {}
    for entry in b3["configs"]:
        if entry["overview"] or reference is None:
            continue
        ratios = {}
        for name in entry["results"]:
            if name in reference["results"]:
                value, k = _paired(entry, reference, name)
                if k:
                    ratios[name] = value
        if ratios:
            gmean = math.exp(sum(math.log(v) for v in ratios.values()) / len(ratios))
            scores[entry["label"]] = {"speedup": gmean, "inputs": ratios}
    full = {k: v for k, v in scores.items() if len(v["inputs"]) == len(b3["inputs"])}
    pool = full or scores
    if not pool:
        return {"overall": "", "speedup": math.nan, "scores": scores, "worst_p95_ms": math.nan}
    label = max(pool, key=lambda k: pool[k]["speedup"])
    if pool[label]["speedup"] < 1.1:
        label = reference["label"] if reference else label
    entry = next(e for e in b3["configs"] if e["label"] == label)
    worst = max(_stats(r["paint"]).p95 for r in entry["results"].values())
    return {"overall": label, "speedup": pool[label]["speedup"] if label in pool else 1.0,
            "scores": scores, "worst_p95_ms": worst}


# ====================================================================== B6 auto-layout

_GRANDALF_CODE = r"""
import json, sys, threading, time
from runtime.roster import io
from grandalf.graphs import Vertex, Edge, Graph
from grandalf.layouts import SugiyamaLayout

class View:
    w, h = 196.0, 72.0

sys.setrecursionlimit(1_000_000)  # its block placement recurses once per rank
threading.stack_size(1 << 29)
content = io.load_roster(sys.argv[1]).content


def run():
    t0 = time.perf_counter()
    V = {}
    for n in content.nodes:
        v = Vertex(n)
        v.view = View()
        V[n] = v
    E = [Edge(V[e.source], V[e.target]) for e in content.edges.values()
         if e.source in V and e.target in V]
    g = Graph(list(V.values()), E)
    t1 = time.perf_counter()
    print("GRANDALF " + json.dumps({"phase": "graph", "ms": (t1 - t0) * 1000,
                                    "components": len(g.C)}), flush=True)
    for comp in g.C:
        sug = SugiyamaLayout(comp)
        roots = [V[r] for r in content.meta.entry if r in V and V[r] in comp.sV]
        sug.init_all(roots=roots or None)
        sug.draw(N=1.5)
    t2 = time.perf_counter()
    print("GRANDALF " + json.dumps({"phase": "done", "graph_ms": (t1 - t0) * 1000,
                                    "layout_ms": (t2 - t1) * 1000, "ms": (t2 - t0) * 1000}),
          flush=True)


worker = threading.Thread(target=run)
worker.start()
worker.join()
"""


def _grandalf(roster: Path, timeout_s: float) -> dict[str, Any]:
    try:
        import grandalf  # noqa: F401
    except ImportError:
        return {"status": "not installed (pip install grandalf)"}
    with tempfile.TemporaryDirectory(prefix="bench-grandalf-") as tmpdir:
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-c", _GRANDALF_CODE, str(roster)],
                                  env=_child_env(Path(tmpdir)), cwd=ROOT, capture_output=True,
                                  text=True, timeout=timeout_s, check=False)
            stdout = proc.stdout
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or b""
            stdout = out.decode() if isinstance(out, bytes) else out
            phases = [json.loads(ln.removeprefix("GRANDALF ")) for ln in stdout.splitlines()
                      if ln.startswith("GRANDALF ")]
            graph = next((p for p in phases if p["phase"] == "graph"), None)
            note = (f"graph built in {graph['ms'] / 1000:.1f} s, " if graph else
                    "graph not even built, ")
            return {"status": f"did not finish in {timeout_s:.0f} s ({note}layout unfinished)",
                    "finished": False, "timeout_s": timeout_s, "phases": phases}
        wall = time.perf_counter() - t0
    phases = [json.loads(ln.removeprefix("GRANDALF ")) for ln in stdout.splitlines()
              if ln.startswith("GRANDALF ")]
    done = next((p for p in phases if p["phase"] == "done"), None)
    if done is None:
        return {"status": f"failed ({proc.returncode}): {proc.stderr[-300:]}", "finished": False}
    return {"status": "finished", "finished": True, "ms": done["ms"],
            "graph_ms": done["graph_ms"], "layout_ms": done["layout_ms"], "wall_s": wall}


def _dot(roster: Path, timeout_s: float) -> dict[str, Any]:
    dot = shutil.which("dot")
    if dot is None:
        return {"status": "Graphviz dot not installed"}
    from runtime.roster import io

    content = io.load_roster(roster).content
    lines = ["digraph G { rankdir=LR; node [shape=box width=2.7 height=1];"]
    lines += [f'"{e.source}" -> "{e.target}";' for e in content.edges.values()]
    lines.append("}")
    t0 = time.perf_counter()
    try:
        subprocess.run([dot, "-Tplain"], input="\n".join(lines), capture_output=True, text=True,
                       timeout=timeout_s, check=True)
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish in {timeout_s:.0f} s", "finished": False}
    return {"status": "finished", "finished": True, "ms": (time.perf_counter() - t0) * 1000}


def _nx_graphs(content: Any) -> tuple[Any, Any]:
    """(the whole roster as a DiGraph, the agents' delegation DiGraph); built untimed."""
    import networkx as nx

    from runtime.roster import model as m

    nodes, edges = content.nodes, content.edges
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((e.source, e.target) for e in edges.values()
                         if e.source in nodes and e.target in nodes)
    delegation = nx.DiGraph()
    delegation.add_nodes_from(k for k, v in nodes.items() if isinstance(v, m.Agent))
    delegation.add_edges_from((e.source, e.target) for e in edges.values()
                              if e.kind is m.EdgeKind.DELEGATION and e.source in delegation
                              and e.target in delegation)
    return graph, delegation


def _multipartite(graph: Any, delegation: Any, kinds: dict[str, str], sources: list[str]
                  ) -> object:
    """nx.multipartite_layout on BFS-depth layers (agents), then tools, servers, humans."""
    import networkx as nx

    layers: dict[int, list[str]] = {}
    placed: set[str] = set()
    depth = 0
    for depth, layer in enumerate(nx.bfs_layers(delegation, sources)):
        layers[depth] = list(layer)
        placed.update(layer)
    rest = [a for a in delegation if a not in placed]
    top = depth + 1
    if rest:
        layers[top] = rest
        top += 1
    groups = {"Tool": "Tool", "Placeholder": "Tool", "McpServer": "McpServer", "Human": "Human"}
    for offset, kind in enumerate(("Tool", "McpServer", "Human")):
        members = [k for k, v in kinds.items() if groups.get(v) == kind]
        if members:
            layers[top + offset] = members
    return nx.multipartite_layout(graph, subset_key=layers)


def _dense_spring(graph: Any) -> object:
    """What nx.spring_layout does below 500 nodes: dense Fruchterman-Reingold, 50 iterations."""
    import networkx as nx
    import numpy as np

    matrix = nx.to_numpy_array(graph, weight="weight")
    pos = nx.drawing.layout._fruchterman_reingold(
        matrix, None, None, None, 50, 1e-4, 2, np.random.RandomState(1))
    return nx.rescale_layout(pos, scale=1)


def _b6_size(size: str, quick: bool, have_scipy: bool, spring_l: tuple[int, float] | None,
             grandalf_l: dict[str, Any] | None) -> dict[str, Any]:
    import networkx as nx

    from runtime.roster import io
    from runtime.roster.autolayout import layered_layout

    roster = fixture(size)
    content = io.load_roster(roster).content
    nodes, edges, entry = content.nodes, content.edges, content.meta.entry
    n = len(nodes)
    big = size == "XL"
    ours = h.measure(lambda: layered_layout(nodes, edges, entry),
                     warmup=1 if (big or quick) else 3,
                     iterations=3 if quick else (5 if big else 20))
    rows = [h.Row("layered_layout (ours)", ours)]
    res: dict[str, Any] = {"nodes": n, "edges": len(edges), "ours": ours}

    graph, delegation = _nx_graphs(content)
    kinds = {k: type(v).__name__ for k, v in nodes.items()}
    sources = [e for e in entry if e in delegation]
    multi = h.measure(lambda: _multipartite(graph, delegation, kinds, sources), warmup=1,
                      iterations=3 if (big or quick) else 10)
    rows.append(h.Row("nx.multipartite_layout (BFS layers, no crossing reduction)", multi,
                      h.ratio(ours, multi), note="nx graph built untimed"))
    res["multipartite"] = multi

    spring: h.Stats | None = None
    if not big:
        if have_scipy:
            spring = h.measure(lambda: nx.spring_layout(graph, iterations=50, seed=1),
                               warmup=0, iterations=1)
            label = "nx.spring_layout(iterations=50)"
        else:
            spring = h.measure(lambda: _dense_spring(graph), warmup=0, iterations=1)
            label = "nx spring layout, 50 iterations (networkx's dense FR solver: no SciPy)"
        rows.append(h.Row(label, spring, h.ratio(ours, spring), note="1 run"))
        res["spring"] = {"stats": spring, "label": label, "n": n}
    elif spring_l is not None:
        projected = spring_l[1] * (n / spring_l[0]) ** 2
        proj = h.Stats(projected, projected, projected, 0)
        rows.append(h.Row("nx spring layout, 50 iterations: PROJECTED from L as O(n²)", proj,
                          h.ratio(ours, proj), note="not run: n×n arrays of gigabytes"))
        res["spring"] = {"projected_ms": projected, "label": "projected from L as O(n²)"}

    limit = 15.0 if quick else 40.0
    if big and grandalf_l is not None and not grandalf_l.get("finished"):
        g = {"status": f"not run: it did not finish L in {grandalf_l.get('timeout_s', 0):.0f} s",
             "finished": False}
    else:
        g = _grandalf(roster, limit)
    res["grandalf"] = g
    if g.get("finished"):
        gs = h.summarize([g["ms"]])
        rows.append(h.Row("grandalf SugiyamaLayout (graph + layout)", gs, h.ratio(ours, gs),
                          note=f"1 run; layout alone {g['layout_ms'] / 1000:.1f} s"))
    else:
        rows.append(h.Row(f"grandalf SugiyamaLayout: {g['status']}",
                          h.Stats(math.nan, math.nan, math.nan, 0)))
    d = _dot(roster, limit)
    res["dot"] = d
    if d.get("finished"):
        ds = h.summarize([d["ms"]])
        rows.append(h.Row("Graphviz dot -Tplain", ds, h.ratio(ours, ds), note="1 run"))
    else:
        rows.append(h.Row(f"Graphviz dot: {d['status']}", h.Stats(math.nan, math.nan, math.nan, 0)))
    print(h.format_table(f"B6 auto-layout {size} ({n:,} nodes, {len(edges):,} edges; "
                         f"target ≤ {B6_MS[size]:g} ms)", rows))
    return res


def bench_b6(sizes: list[str], quick: bool) -> dict[str, Any]:
    try:
        import scipy  # noqa: F401

        have_scipy = True
    except ImportError:
        have_scipy = False
    out: dict[str, Any] = {"scipy": have_scipy}
    spring_l: tuple[int, float] | None = None
    grandalf_l: dict[str, Any] | None = None
    for size in sizes:
        res = _b6_size(size, quick, have_scipy, spring_l, grandalf_l)
        spring = res.get("spring", {}).get("stats")
        if spring is not None:
            spring_l = (res["nodes"], spring.p50)
        if size == "L":
            grandalf_l = res["grandalf"]
        out[size] = res
    return out


# ====================================================================== driver


def target_rows(b1: dict[str, Any] | None, gui: dict[str, dict[str, Any]],
                b6: dict[str, Any] | None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(label: str, limit: str, value: float, lim: float, unit: str = "ms",
            ratio: str = "") -> None:
        shown = "-" if math.isnan(value) else (f"{value:,.1f} {unit}" if value < 100
                                                else f"{value:,.0f} {unit}")
        rows.append({"target": label, "limit": limit, "measured": shown,
                     "verdict": _verdict(value, lim), "ratio": ratio})

    if b1:
        ours = _stats(b1["stats"]["designer"]) if isinstance(b1["stats"]["designer"], dict) \
            else b1["stats"]["designer"]
        add("B1 cold start p50", f"≤ {B1_MS:g} ms", ours.p50, B1_MS,
            ratio=f"vs bare window: {h.format_ratio(b1['ratio_vs_bare'])}"
            + (f", vs a window with a menu and a label: {h.format_ratio(b1['ratio_vs_text'])}"
               if "ratio_vs_text" in b1 else ""))
        rss = b1["rss_mb"]["designer"]
        rss_p50 = rss["p50"] if isinstance(rss, dict) else rss.p50
        add("B1 idle RSS p50", f"≤ {B1_RSS_MB:g} MB", rss_p50, B1_RSS_MB, "MB")
    for size, per_size in gui.items():
        for index, data in per_size["runs"].items():
            b2 = data["b2"]
            warm = _stats(b2.get("warm_first_frame"))
            value = warm.p50 if warm.n else b2["cold"]["first_frame_ms"]
            which = f"warm p50 of {warm.n}" if warm.n else "cold, 1 run"
            add(f"B2 open {size} to first frame, {index} ({which})", f"≤ {B2_MS[size]:g} ms",
                value, B2_MS[size], ratio=f"cold {b2['cold']['first_frame_ms']:,.0f} ms")
    for size, per_size in gui.items():
        b3 = per_size["b3"]
        shipped = b3["configs"][0]
        for name, r in shipped["results"].items():
            paint = _stats(r["paint"])
            add(f"B3 {name} {size} paint p95 ({shipped['label']})",
                f"≤ {B3_MS[size]:g} ms", paint.p95, B3_MS[size],
                ratio=f"frame p95 {h.format_ms(_stats(r['frame']).p95)} ms")
        win = per_size["winner"]
        add(f"B3 {size} winner ({win['overall']}), worst input paint p95",
            f"≤ {B3_MS[size]:g} ms", win["worst_p95_ms"], B3_MS[size],
            ratio=f"{h.format_ratio(win['speedup'])} than BSP + NoCache")
    if b6:
        for size in [s for s in B6_MS if s in b6]:
            ours = b6[size]["ours"]
            ours = _stats(ours) if isinstance(ours, dict) else ours
            spring = b6[size].get("spring") or {}
            sp = spring.get("stats")
            sp_ms = (sp["p50"] if isinstance(sp, dict) else sp.p50) if sp else \
                spring.get("projected_ms", math.nan)
            add(f"B6 layered_layout {size} p50", f"≤ {B6_MS[size]:g} ms", ours.p50, B6_MS[size],
                ratio=f"vs spring: {h.format_ratio(sp_ms / ours.p50)}"
                + (" (projected)" if "projected_ms" in spring else ""))
    for size, per_size in gui.items():
        for index, data in per_size["runs"].items():
            add(f"B9 RSS after B2 {size}, {index}", f"≤ {B9_MB[size]:g} MB",
                data["b2"]["rss_kb"] / 1024, B9_MB[size], "MB")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_designer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="L,XL",
                        type=lambda s: [x.strip().upper() for x in s.split(",") if x.strip()])
    parser.add_argument("--quick", action="store_true", help="small budgets: a smoke run")
    parser.add_argument("--only", default="b1,b2,b3,b6,b9",
                        type=lambda s: {x.strip().lower() for x in s.split(",") if x.strip()},
                        help="which parts to run (b2, b3 and b9 run together)")
    parser.add_argument("--name", default="designer", help="result file bench/results/NAME.json")
    parser.add_argument("--b1-baseline", type=Path, metavar="DIR",
                        help="B1 also runs the designer of this checkout (a copy of the tree "
                        "before a change), interleaved with ours")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--index", default=SHIPPED, help=argparse.SUPPRESS)
    parser.add_argument("--fixture", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, args.index, args.fixture, args.result, args.quick)
    unknown = [s for s in args.sizes if s not in B2_MS]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from L, XL")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    load_before = os.getloadavg()
    machine = h.machine_info()
    versions = _versions()
    print(f"machine: {machine['nproc']} CPUs, {machine['cpu']}, Python {machine['python']}; "
          f"PySide6 {versions.get('PySide6-Essentials') or versions.get('PySide6', '?')}, "
          f"networkx {versions.get('networkx', '?')}, grandalf "
          f"{versions.get('grandalf', 'not installed')}, SciPy "
          f"{versions.get('scipy', 'not installed')}; QT_QPA_PLATFORM="
          f"{os.environ['QT_QPA_PLATFORM']}")
    print(f"load average before: {load_before[0]:.2f} (1 min)\n")
    for size in sorted(args.sizes, key=list(B2_MS).index):
        fixture(size)

    b1 = None
    if "b1" in args.only:
        b1 = bench_b1(rounds=3 if args.quick else 10, warmup=1 if args.quick else 2,
                      baseline=args.b1_baseline)
    empty_rss = b1["rss_mb"]["designer"].p50 if b1 else math.nan
    gui: dict[str, dict[str, Any]] = {}
    if args.only & {"b2", "b3", "b9"}:
        for size in sorted(args.sizes, key=list(B2_MS).index):
            runs = {}
            for index in (SHIPPED, OTHER):
                print(f"=== {size}, {index} scene index: B2, B9 and B3 in a fresh process",
                      flush=True)
                runs[index] = run_gui(size, index, args.quick)
            print()
            report_b2(size, runs, empty_rss)
            merged = _merged_b3(runs)
            report_b3(size, merged)
            win = b3_winner(merged)
            gui[size] = {"runs": runs, "b3": merged, "winner": win,
                         "noindex_vs_bsp": index_comparison(runs)}
            scores = "; ".join(f"{k}: {h.format_ratio(v['speedup'])} over "
                               f"{len(v['inputs'])} input(s)" for k, v in win["scores"].items())
            print(f"B3 at {size}, paint against BSP + NoCache on the same steps (geometric mean "
                  f"over inputs): {scores}.\nWinner (more than 10 % faster, else the "
                  f"reference): {win['overall']}\n")
    b6 = None
    if "b6" in args.only:
        b6 = bench_b6(sorted(args.sizes, key=list(B2_MS).index), args.quick)

    targets = target_rows(b1, gui, b6)
    cols = ("target", "limit", "measured", "verdict", "ratio")
    print(_table("Targets (PERFORMANCE.md; wall clock; the machine is shared, see the load "
                 "average)", cols, [tuple(t[c] for c in cols) for t in targets], right=(2,)))
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} (1 min); above {machine['nproc']} means "
          "other processes competed for the CPUs and wall times are inflated")
    path = h.write_results(args.name, {
        "load_average": {"before": load_before, "after": load_after},
        "quick": args.quick,
        "versions": versions,
        "window": WINDOW_SIZE,
        "b1": b1,
        "gui": gui,
        "b6": b6,
        "targets": targets,
        "elapsed_s": elapsed,
    })
    print(f"\nwrote {path} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
