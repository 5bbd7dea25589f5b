"""Build the standalone Agent Roster bundle and smoke-test it.

    python installer/build.py                 # dist/agent-roster/, then the smoke test
    python installer/build.py --archive       # also dist/agent-roster-VERSION-linux-x86_64.tar.gz
    python installer/build.py --smoke-only    # smoke-test an existing dist/agent-roster/

Needs the `build` extra (`pip install -e '.[designer,build]'`). Steps: render the
icons from resources/icons/agent-roster.svg with Qt; run PyInstaller on
installer/agent-roster.spec (one onedir bundle with `roster` and `roster-designer`
and all of resources/); add the desktop integration the install script uses
(share/applications, share/mime/packages, share/icons/hicolor, install.sh); then run
installer/smoke.py on the result. Exit status: 0 built and smoke-tested, 1 the build
or the smoke test failed, 2 bad usage or PyInstaller missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # icons.py and smoke.py sit next to this script

from icons import platform_icon, render_icons  # noqa: E402
from smoke import SmokeFailure, project_version, smoke_test  # noqa: E402

NAME = "agent-roster"
SPEC = HERE / "agent-roster.spec"
SOURCES = ("runtime", "designer", "resources", "installer")  # what the spec reads


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="installer/build.py",
        description="Build the onedir bundle of roster and roster-designer, then smoke-test it.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist",
                        help="where the bundle goes (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder (default: build/pyinstaller/)")
    parser.add_argument("--smoke-only", action="store_true",
                        help="do not build; smoke-test the bundle already in --dist")
    parser.add_argument("--no-smoke", action="store_true", help="build without smoke-testing")
    parser.add_argument("--archive", action="store_true",
                        help="also pack the bundle into a .tar.gz next to it")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def snapshot(work: Path) -> Path:
    """Copy the sources the bundle is made of into `work/src` and return that folder.

    PyInstaller reads modules over minutes; building from a copy taken in one go means a
    file edited meanwhile in the checkout cannot leave the bundle half old, half new.
    """
    source = work / "src"
    if source.exists():
        shutil.rmtree(source)
    ignore = shutil.ignore_patterns("__pycache__", ".*", "*.pyc", "*~", "*#")
    for folder in SOURCES:
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    return source


def pyinstaller(dist: Path, work: Path, source: Path) -> None:
    spec = source / SPEC.relative_to(ROOT)
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
               "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work),
               str(spec)]
    log("pyinstaller: " + " ".join(command[3:]))
    subprocess.run(command, cwd=source, check=True)


def add_desktop_integration(bundle: Path, work: Path) -> None:
    """share/ (desktop entry, MIME type, icons) and install.sh inside the bundle."""
    share = bundle / "share"
    applications = share / "applications"
    packages = share / "mime" / "packages"
    for folder in (applications, packages):
        folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "linux" / f"{NAME}.desktop", applications / f"{NAME}.desktop")
    shutil.copyfile(HERE / "linux" / f"{NAME}.xml", packages / f"{NAME}.xml")
    icons = share / "icons"
    if icons.exists():
        shutil.rmtree(icons)
    shutil.copytree(work / "icons", icons)
    shutil.copy2(HERE / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)


def archive(bundle: Path) -> Path:
    machine = platform.machine().lower() or "unknown"
    target = bundle.parent / f"{NAME}-{project_version()}-{sys.platform}-{machine}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(bundle, arcname=NAME)
    return target


def build(dist: Path, work: Path) -> Path:
    """Build the bundle into `dist/agent-roster` and return its path."""
    started = time.perf_counter()
    written = render_icons(work / "icons")
    log(f"icons: {len(written)} files in {work / 'icons'}")
    platform_icon(work)
    source = snapshot(work)
    log(f"sources: {', '.join(SOURCES)} copied to {source}")
    pyinstaller(dist, work, source)
    bundle = dist / NAME
    add_desktop_integration(bundle, work)
    log(f"bundle: {bundle} ({time.perf_counter() - started:.0f} s)")
    return bundle


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    bundle = dist / NAME
    if not args.smoke_only:
        if importlib.util.find_spec("PyInstaller") is None:
            print("error: PyInstaller is not installed in this Python.\n"
                  "Install the build extra: pip install -e '.[designer,build]'", file=sys.stderr)
            return 2
        try:
            bundle = build(dist, work)
        except subprocess.CalledProcessError as exc:
            print(f"error: PyInstaller failed (exit {exc.returncode}); see its output above",
                  file=sys.stderr)
            return 1
    if not args.no_smoke:
        log(f"smoke test of {bundle}")
        try:
            smoke_test(bundle, log=log)
        except SmokeFailure as failure:
            print(f"error: smoke test FAILED: {failure}", file=sys.stderr)
            return 1
    if args.archive:
        log(f"archive: {archive(bundle)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
