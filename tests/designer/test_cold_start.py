"""The designer's start path stays light: heavy libraries load when a panel first needs them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.designer.conftest import ROOT

DEFERRED = ("pyqtgraph", "sqlalchemy", "dbos", "anthropic", "mcp",
            "designer.forecast.panel", "designer.simulation.panel", "runtime.forecast",
            "runtime.simulation")


def test_opening_the_main_window_loads_no_chart_database_or_sdk_library() -> None:
    code = textwrap.dedent(f"""
        import json, sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from designer.main_window import MainWindow
        window = MainWindow()
        window.show()
        app.processEvents()
        print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                              "HOME": str(ROOT / ".venv"), "XDG_CONFIG_HOME": "/nonexistent"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
