"""Constants shared by the keystore specification."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FAST = 0.5  # seconds; the timeout used wherever the real default is not the point
