"""Desktop integration files: the desktop entry, the MIME type, the icons and install.sh.

Fast checks that need no bundle; tests/installer/test_bundle.py installs a real
one. The MIME type is compiled with the real update-mime-database when present.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installer" / "linux"
MIME_TYPE = "application/x-agent-roster"
sys.path.insert(0, str(ROOT / "installer"))

from icons import SIZES, render_icons  # noqa: E402


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(LINUX / "agent-roster.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_opens_roster_files_in_the_designer() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "roster-designer %f", "%f: a file manager passes the file"
    assert entry["Icon"] == "agent-roster"
    assert entry["Terminal"] == "false"
    assert MIME_TYPE in entry["MimeType"].split(";")
    assert entry["Categories"].endswith(";") and entry["MimeType"].endswith(";")


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    done = subprocess.run(["desktop-file-validate", str(LINUX / "agent-roster.desktop")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_mime_type_claims_roster_yaml_files() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(LINUX / "agent-roster.xml").getroot()
    mime = root.find("m:mime-type", ns)
    assert mime is not None and mime.get("type") == MIME_TYPE
    globs = [g.get("pattern") for g in mime.findall("m:glob", ns)]
    assert "*.roster.yaml" in globs
    assert mime.find("m:icon", ns).get("name") == _desktop_entry()["Icon"]


@pytest.mark.skipif(shutil.which("update-mime-database") is None,
                    reason="shared-mime-info not installed")
def test_update_mime_database_maps_the_glob_to_the_type(tmp_path: Path) -> None:
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(LINUX / "agent-roster.xml", packages)
    done = subprocess.run(["update-mime-database", str(tmp_path / "mime")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    globs = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8")
    assert f"{MIME_TYPE}:*.roster.yaml" in globs
    assert (tmp_path / "mime" / "application" / "x-agent-roster.xml").is_file()


def test_icons_render_at_every_usual_size_from_the_svg(tmp_path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QImage

    written = render_icons(tmp_path)
    assert {16, 32, 48, 256, 512} <= set(SIZES)
    assert len(written) == len(SIZES) + 1
    for size in SIZES:
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "agent-roster.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255, "drawn, not blank"
        assert image.pixelColor(0, 0).alpha() == 0, "transparent corners"
    assert (tmp_path / "hicolor" / "scalable" / "apps" / "agent-roster.svg").is_file()


def _install(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(cwd / "install.sh"), *args], capture_output=True,
                          text=True, check=False, env={**os.environ, "HOME": str(cwd)})


def test_install_script_refuses_to_run_outside_a_bundle(tmp_path: Path) -> None:
    shutil.copy(ROOT / "installer" / "install.sh", tmp_path)
    done = _install("--prefix", str(tmp_path / "prefix"), cwd=tmp_path)
    assert done.returncode == 2
    assert "is not an Agent Roster bundle" in done.stderr
    assert "installer/build.py" in done.stderr, "it says how to get a bundle"
    assert not (tmp_path / "prefix" / "bin").exists(), "nothing was installed"


def test_install_script_usage(tmp_path: Path) -> None:
    shutil.copy(ROOT / "installer" / "install.sh", tmp_path)
    helped = _install("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--uninstall" in helped.stdout
    wrong = _install("--frobnicate", cwd=tmp_path)
    assert wrong.returncode == 2 and "unknown option '--frobnicate'" in wrong.stderr


def test_smoke_only_on_a_folder_without_a_bundle_fails_clearly(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "installer" / "build.py"), "--smoke-only",
                           "--dist", str(tmp_path)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 1
    assert "has no roster" in done.stderr and "installer/build.py" in done.stderr
