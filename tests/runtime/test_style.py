"""The project's style rules hold on every run of the suite, not only when someone
remembers them: `ruff check .` is clean and `runtime/` type-checks under `mypy --strict`
(the settings are pyproject.toml's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_runtime_type_checks_strictly() -> None:
    result = run("mypy", "--strict", "runtime")
    assert result.returncode == 0, result.stdout + result.stderr
