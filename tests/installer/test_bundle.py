"""The standalone bundle: installer/build.py builds it with PyInstaller and smoke-tests it.

This is the slow end-to-end test CI runs (marked `bundle`; a few minutes): the
bundled `roster --version`, `roster check`, `roster simulate` on a bundled
sample, `roster-designer --version` and `--self-test` offscreen, all in a fresh
HOME without the venv, then install.sh into a temporary prefix and back out.
Deselect it locally with `-m "not bundle"`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 900


@pytest.mark.bundle
@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 60)
def test_build_script_builds_a_bundle_that_passes_its_smoke_test(tmp_path: Path) -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        message = "PyInstaller is not installed (pip install -e '.[designer,build]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    dist, work = tmp_path / "dist", tmp_path / "work"
    done = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--dist", str(dist),
         "--work", str(work)],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "smoke test passed" in output
    bundle = dist / "agent-roster"
    resources = bundle / "_internal" / "resources"
    for shipped in ("samples/content-studio.roster.yaml", "catalog/models.yaml",
                    "schema/roster.schema.json", "templates/blank.roster.yaml",
                    "icons/agent-roster.svg"):
        assert (resources / shipped).is_file(), shipped
    assert not [p for p in resources.rglob("*") if p.name.startswith(".")], \
        "no lock or hidden files from the checkout are bundled"
    internal = bundle / "_internal"
    assert not [p.name for p in internal.rglob("*") if p.name.startswith(("libgtk-3", "libqgtk3"))
                ], "the build machine's GTK stays out (Qt's GTK theme plugin is dropped)"
    share = bundle / "share"
    for size in (16, 32, 48, 128, 256, 512):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
                / "agent-roster.png").is_file()
    assert (share / "applications" / "agent-roster.desktop").is_file()
    assert (share / "mime" / "packages" / "agent-roster.xml").is_file()
    assert os.access(bundle / "install.sh", os.X_OK)
