"""Oversight benchmark: is the UI thread ever blocked while a 50-step run streams?

    QT_QPA_PLATFORM=offscreen python -m bench.bench_oversight [--runs 3] [--steps 50]

The real `MainWindow` (offscreen, 1400 × 900) runs the desk roster from the
run panel, entry `writer`, against the loopback Messages-API server (in a
child process, as a real API is remote and does not compete for this
process's GIL) with the real Anthropic SDK, DBOS and the journal: the writer takes `--steps` model
turns, each calling the memory tool (approval: allow), then answers, so each
run streams about 4 events per step through the bridge to the canvas
overlay, the transcript and the status bar. An event-loop stall probe (a
5 ms `QTimer` on the UI thread recording the gap between its ticks) runs
during each run, from the Run click to `run_finished`; a gap above 50 ms
would be a visible freeze. One untimed run first opens DBOS and warms up.

Rows, all measured in this process: the coalescing bridge as shipped; the
same bridge with a naive listener that posts one queued signal per event
(what the coalescing replaces); and the probe on an idle UI thread for the
same time (the floor: the timer's own jitter). Ratios compare probe-gap p50s.
Results: bench/results/oversight.json; the table goes to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QSettings, QTimer, Signal  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.harness import Row, Stats, format_table, summarize, write_results  # noqa: E402
from designer.run_bridge import RunBridge  # noqa: E402
from runtime.engine import events as ev  # noqa: E402
from tests.conftest import make_anthropic_key  # noqa: E402
from tests.designer import oversight_support as sup  # noqa: E402
from tests.messages_server import MessagesServer, Msg, sha256_hex, tool_use  # noqa: E402

PROBE_MS = 5
STALL_LIMIT_MS = 50.0


class StallProbe:
    """A 5 ms timer on the UI thread; the gaps between its ticks are the UI's latency."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.last = 0.0
        self.last_cpu = 0.0
        self.gaps: list[float] = []
        self.busy: list[float] = []  # UI-thread CPU time spent within each gap

    def start(self) -> None:
        self.clock.start()
        self.last = self.clock.nsecsElapsed() / 1e6
        self.last_cpu = time.thread_time() * 1000
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        gaps, self.gaps = self.gaps, []
        return gaps

    def take_busy(self) -> list[float]:
        busy, self.busy = self.busy, []
        return busy

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        cpu = time.thread_time() * 1000
        self.gaps.append(now - self.last)
        self.busy.append(cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu


class NaiveBridge(RunBridge):
    """The baseline: every event crosses on its own queued signal (no coalescing)."""

    _each = Signal(object)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._each.connect(lambda event: self.events_ready.emit([event]))

    def _on_event(self, event: ev.EngineEvent) -> None:
        self._each.emit(event)


def script(server: MessagesServer, steps: int) -> None:
    for i in range(steps - 1):
        server.script.push(Msg([tool_use("notes", {"operation": "append", "topic": "bench",
                                                   "note": f"step {i}"})]),
                           system_contains=sup.WRITER)
    server.script.push(Msg("All notes saved."), system_contains=sup.WRITER)


class ServerProcess:
    """The loopback API server in a child process (as a real API is: not competing with
    the designer for the GIL), with every run's replies scripted up front."""

    def __init__(self, key_sha256: str, runs: int, steps: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_oversight", "--serve", key_sha256,
             "--runs", str(runs), "--steps", str(steps)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


def serve(key_sha256: str, runs: int, steps: int) -> int:
    """The child: serve `runs` scripted runs until stdin closes."""
    with MessagesServer(expect_key_sha256=key_sha256) as server:
        for _ in range(runs):
            script(server, steps)
        print(server.base_url, flush=True)
        sys.stdin.read()
    return 0


def one_run(app: QApplication, window: Any, steps: int,
            probe: StallProbe | None) -> tuple[list[float], int, int, float]:
    """(probe gaps, events, deliveries, seconds) of one run from the panel; the probe keeps
    the UI thread's CPU time per gap (`take_busy`)."""
    oversight = window.oversight
    counts = [0, 0]

    def seen(batch: list[ev.EngineEvent]) -> None:
        counts[0] += len(batch)
        counts[1] += 1

    oversight.bridge.events_ready.connect(seen)
    done: list[object] = []
    oversight.bridge.run_finished.connect(done.append)
    panel = oversight.run_panel
    panel.entry.setCurrentText("writer")
    panel.task.setPlainText("Save the bench notes")
    started = time.perf_counter()
    if probe is not None:
        probe.start()
    panel.run_button.click()
    while not done:
        app.processEvents()
        time.sleep(0.001)
    gaps = probe.stop() if probe is not None else []
    elapsed = time.perf_counter() - started
    for _ in range(20):  # let the last batch and the history refresh land
        app.processEvents()
        time.sleep(0.005)
    oversight.bridge.events_ready.disconnect(seen)
    oversight.bridge.run_finished.disconnect(done.append)
    return gaps, counts[0], counts[1], elapsed


def idle(app: QApplication, seconds: float, probe: StallProbe) -> list[float]:
    probe.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    return probe.stop()


def session(app: QApplication, runs: int, steps: int, naive: bool, folder: Path
            ) -> dict[str, Any]:
    from designer.main_window import MainWindow
    from designer.oversight import presenter

    key = make_anthropic_key()
    os.environ[sup.KEY_ENV] = key
    os.environ["ROSTER_DATA_DIR"] = str(folder / ("naive" if naive else "coalesced"))
    (folder / "notes").mkdir(parents=True, exist_ok=True)
    original = presenter.RunBridge
    if naive:
        presenter.RunBridge = NaiveBridge  # type: ignore[misc]
    server = ServerProcess(sha256_hex(key), runs + 1, steps)
    try:
        window = MainWindow(QSettings(str(folder / "settings.ini"),
                                      QSettings.Format.IniFormat))
        window.resize(1400, 900)
        window.show()
        path = folder / "desk.roster.yaml"
        path.write_text(sup.roster_yaml(server.base_url, tool_approval="allow"),
                        encoding="utf-8")
        window.open_path(path)
        probe = StallProbe()
        one_run(app, window, steps, None)  # warm-up: DBOS launch, imports
        gaps: list[float] = []
        events = deliveries = 0
        seconds = 0.0
        busy: list[float] = []
        for _ in range(runs):
            g, e, d, s = one_run(app, window, steps, probe)
            busy += probe.take_busy()
            gaps += g
            events += e
            deliveries += d
            seconds += s
        window.oversight.shutdown()
        window.close()
        return {"gaps": gaps, "busy": busy, "events": events, "deliveries": deliveries,
                "seconds": seconds}
    finally:
        server.close()
        presenter.RunBridge = original  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--serve", metavar="KEY_SHA256", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.runs, args.steps)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        shipped = session(app, args.runs, args.steps, False, Path(tmp) / "a")
        naive = session(app, args.runs, args.steps, True, Path(tmp) / "b")
        floor = idle(app, shipped["seconds"], StallProbe())
    ours: Stats = summarize(shipped["gaps"])
    rows = [
        Row(f"coalesced bridge (shipped), max {ours.max:.1f} ms", ours,
            note=f"{shipped['events']} events in {shipped['deliveries']} deliveries"),
        Row(f"one signal per event, max {max(naive['gaps'], default=0):.1f} ms",
            summarize(naive["gaps"]), ours=ours,
            note=f"{naive['events']} events in {naive['deliveries']} deliveries"),
        Row(f"idle UI thread (floor), max {max(floor, default=0):.1f} ms", summarize(floor),
            ours=ours),
    ]
    busy = summarize(shipped["busy"])
    rows.append(Row(f"UI-thread CPU within a gap (shipped), max {busy.max:.1f} ms", busy,
                    note="our own work between two probe ticks"))
    over = sum(1 for g in shipped["gaps"] if g > STALL_LIMIT_MS)
    title = (f"UI event-loop gaps (5 ms probe) during {args.runs} runs of {args.steps} steps; "
             f"limit {STALL_LIMIT_MS:.0f} ms")
    print(format_table(title, rows))
    verdict = "PASS" if ours.max <= STALL_LIMIT_MS else "FAIL"
    print(f"{verdict}: longest UI stall while streaming {ours.max:.1f} ms "
          f"(limit {STALL_LIMIT_MS:.0f} ms); {over} of {ours.n} gaps over the limit; the UI "
          f"thread's own work never took more than {busy.max:.1f} ms between two ticks; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    write_results("oversight", {
        "runs": args.runs, "steps": args.steps, "limit_ms": STALL_LIMIT_MS,
        "shipped": {**{k: v for k, v in shipped.items() if k not in ("gaps", "busy")},
                    "gaps": ours, "busy": busy, "over_limit": over},
        "naive": {**{k: v for k, v in naive.items() if k not in ("gaps", "busy")},
                  "gaps": summarize(naive["gaps"])},
        "load_average": os.getloadavg()[0],
        "idle": summarize(floor), "verdict": verdict})
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
