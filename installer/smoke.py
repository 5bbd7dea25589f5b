"""Smoke-test a built bundle the way a user would meet it: no venv, no checkout, a fresh HOME.

`smoke_test(bundle)` runs the bundled programs in a clean environment (no
PYTHONPATH, HOME and the XDG folders in a temporary directory, the working
directory outside the checkout, Qt offscreen) and checks:

- `roster --version` and `roster-designer --version` print the project version;
- `roster check` on the bundled content-studio sample is clean (exit 0) and on the
  governance-vacuum sample reports rule findings (exit 1: the rules are bundled);
- `roster simulate` on the bundled content-studio sample passes every scenario;
- `roster-designer --self-test` (every sample loaded, checked, simulated, forecast,
  and opened in a main window offscreen) exits 0;
- `install.sh --prefix TMP` installs programs, desktop entry, icons and MIME type,
  the installed `roster` link runs, and `--uninstall` removes it all again.

Run it on its own with `python installer/smoke.py dist/agent-roster`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT_S = 240
DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "AGENT_ROSTER_RESOURCES",
               "PYTHONSTARTUP", "PYTHONSAFEPATH")


def program(bundle: Path, name: str) -> Path:
    """The path of a bundled program (`roster.exe` on Windows)."""
    return bundle / (f"{name}.exe" if sys.platform == "win32" else name)


class SmokeFailure(Exception):
    """A smoke step whose program exited or printed something other than expected."""


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 25) -> str:
        text = (self.stdout + "\n" + self.stderr).strip().splitlines()
        return "\n".join(text[-lines:])


def project_version() -> str:
    sys.path.insert(0, str(ROOT))
    try:
        from runtime import __version__
    finally:
        sys.path.pop(0)
    return __version__


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a fresh user account: nothing from the venv or the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_STATE_HOME=str(home / ".local" / "state"),
               XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and ".venv" not in p)
    return env


class Smoke:
    def __init__(self, bundle: Path, home: Path, log: Callable[[str], None]) -> None:
        self.bundle = bundle
        self.home = home
        self.env = clean_env(home)
        self.log = log
        self.samples = bundle / "_internal" / "resources" / "samples"
        self.version = project_version()

    def run(self, args: Sequence[str | Path], expect: int = 0, contains: str = "",
            what: str = "") -> Outcome:
        started = time.perf_counter()
        command = [str(a) for a in args]
        done = subprocess.run(command, cwd=self.home, env=self.env, capture_output=True,
                              text=True, timeout=STEP_TIMEOUT_S, check=False)
        outcome = Outcome(done.returncode, done.stdout, done.stderr)
        shown = what or " ".join(Path(command[0]).name.split() + command[1:])
        seconds = time.perf_counter() - started
        if outcome.code != expect:
            raise SmokeFailure(f"{shown}: exit {outcome.code}, expected {expect}\n"
                               f"{outcome.tail()}")
        if contains and contains not in outcome.stdout + outcome.stderr:
            raise SmokeFailure(f"{shown}: output lacks {contains!r}\n{outcome.tail()}")
        self.log(f"ok   {shown} ({seconds:.1f} s)")
        return outcome

    def programs(self) -> None:
        roster, designer = program(self.bundle, "roster"), program(self.bundle, "roster-designer")
        self.run([roster, "--version"], contains=f"roster {self.version}")
        self.run([designer, "--version"], contains=f"roster-designer {self.version}")
        studio = self.samples / "content-studio.roster.yaml"
        self.run([roster, "check", studio], what="roster check content-studio (clean)")
        self.run([roster, "check", self.samples / "governance-vacuum.roster.yaml"], expect=1,
                 contains="R0", what="roster check governance-vacuum (findings)")
        self.run([roster, "simulate", studio], contains="passed",
                 what="roster simulate content-studio")
        self.run([designer, "--self-test"], contains="self-test passed",
                 what="roster-designer --self-test (offscreen)")

    def install(self) -> None:
        prefix = self.home / "prefix"
        script = self.bundle / "install.sh"
        self.run(["bash", script, "--prefix", prefix], contains="installed",
                 what="install.sh --prefix")
        expected = [prefix / "bin" / "roster", prefix / "bin" / "roster-designer",
                    prefix / "share" / "applications" / "agent-roster.desktop",
                    prefix / "share" / "mime" / "packages" / "agent-roster.xml",
                    prefix / "share" / "icons" / "hicolor" / "256x256" / "apps"
                    / "agent-roster.png"]
        missing = [str(p) for p in expected if not p.exists()]
        if missing:
            raise SmokeFailure(f"install.sh did not install: {', '.join(missing)}")
        desktop = expected[2].read_text(encoding="utf-8")
        if f'Exec="{prefix / "lib" / "agent-roster" / "roster-designer"}" %f' not in desktop:
            raise SmokeFailure(f"installed desktop entry has no absolute Exec:\n{desktop}")
        self.run([prefix / "bin" / "roster", "--version"], contains=self.version,
                 what="installed bin/roster --version (through the link)")
        self.run(["bash", script, "--prefix", prefix, "--uninstall"], contains="removed",
                 what="install.sh --uninstall")
        left = [str(p) for p in expected if p.exists() or p.is_symlink()]
        if left or (prefix / "lib" / "agent-roster").exists():
            raise SmokeFailure(f"--uninstall left files behind: {left}")


def smoke_test(bundle: Path, log: Callable[[str], None] = print) -> None:
    """Run every smoke step on `bundle`; raises `SmokeFailure` at the first that fails."""
    bundle = bundle.resolve()
    for name in ("roster", "roster-designer"):
        if not program(bundle, name).is_file():
            raise SmokeFailure(f"{bundle} has no {name}: build it with installer/build.py")
    with tempfile.TemporaryDirectory(prefix="roster-smoke-") as folder:
        smoke = Smoke(bundle, Path(folder), log)
        smoke.programs()
        if sys.platform.startswith("linux"):
            smoke.install()
    log("smoke test passed")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke-test a built Agent Roster bundle.")
    parser.add_argument("bundle", type=Path, help="the bundle folder (dist/agent-roster)")
    args = parser.parse_args(argv)
    try:
        smoke_test(args.bundle)
    except SmokeFailure as failure:
        print(f"smoke test FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
