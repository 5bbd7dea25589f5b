"""The runtime is Qt-free: importing every runtime module never loads PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
import runtime
names = [m.name for m in pkgutil.walk_packages(runtime.__path__, "runtime.")]
for name in names:
    importlib.import_module(name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"})
print(len(names))
print(",".join(qt))
"""


def test_every_runtime_module_imports_without_loading_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    count, qt_modules = result.stdout.strip().split("\n") if "\n" in result.stdout.strip() else (
        result.stdout.strip(), "")
    assert int(count) > 10
    assert qt_modules == "", f"runtime imported Qt: {qt_modules}"


def test_no_runtime_source_mentions_a_qt_import() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "runtime").rglob("*.py")
        if any(
            line.lstrip().startswith(("import PySide6", "from PySide6", "import shiboken6"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
