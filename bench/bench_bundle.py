"""The standalone bundle against the venv: start-up of the programs a user types.

    python -m bench.bench_bundle [BUNDLE] [--quick]      # BUNDLE: default dist/agent-roster

Each sample is one whole process, started and waited for, as a user or a CI job
runs it: `roster --version` (interpreter and CLI start-up), `roster check` on the
content-studio sample (imports, load, all rules) and `roster-designer --self-test
--headless` (every sample loaded, checked, simulated and forecast). The baseline
is the same command through the venv's entry points (`.venv/bin/roster`, ...) in
the same run; the ratio is venv p50 / bundle p50 (above 1: the bundle is faster).
Also reports the bundle's size on disk. Results: bench/results/bundle.json.
Build the bundle first: `python installer/build.py`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import harness as h

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SAMPLE = "resources/samples/content-studio.roster.yaml"


def folder_size_mb(folder: Path) -> float:
    """Bytes on disk / 1e6; links to libraries (PyInstaller dedupes with them) count once."""
    return sum(p.lstat().st_size for p in folder.rglob("*")
               if p.is_file() and not p.is_symlink()) / 1e6


def runner(command: list[str], cwd: Path, env: dict[str, str], expect: int = 0
           ) -> Callable[[], None]:
    def run() -> None:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n"
                             f"{done.stderr.decode(errors='replace')[-2000:]}")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=ROOT / "dist" / "agent-roster")
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args(argv)
    bundle = args.bundle.resolve()
    if not (bundle / "roster").is_file():
        print(f"error: no bundle in {bundle}: build it with `python installer/build.py`",
              file=sys.stderr)
        return 2
    iterations = 3 if args.quick else 10
    bundled_sample = bundle / "_internal" / SAMPLE
    cases = [
        ("roster --version", ["roster", "--version"], []),
        ("roster check content-studio", ["roster", "check"], [SAMPLE]),
        ("roster-designer --self-test --headless",
         ["roster-designer", "--self-test", "--headless"], []),
    ]
    results: dict[str, object] = {"bundle_mb": round(folder_size_mb(bundle), 1)}
    rows: list[h.Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as home:
        env = {**os.environ, "HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("AGENT_ROSTER_RESOURCES", None)
        for label, (program, *flags), files in cases:
            bundled_files = [str(bundled_sample) for _ in files]
            ours = h.measure(runner([str(bundle / program), *flags, *bundled_files],
                                    Path(home), env),
                             warmup=1, iterations=iterations, collect=False)
            venv = h.measure(runner([str(VENV_BIN / program), *flags,
                                     *[str(ROOT / f) for f in files]], ROOT, env),
                             warmup=1, iterations=iterations, collect=False)
            rows += [h.Row(f"bundle: {label}", ours),
                     h.Row(f"venv:   {label}", venv, ratio=h.ratio(ours, venv))]
            key = label.split()[0].replace("-", "_") + "_" + label.split()[1].strip("-")
            results[key] = ours
            results[f"{key}_venv"] = venv
    print(h.format_table(f"Process start to exit ({results['bundle_mb']} MB bundle)", rows))
    print(f"results: {h.write_results('bundle', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
