"""Where the shipped data lives: model catalog, samples, templates, schema, icons.

Resources sit in the top-level `resources/` folder next to `runtime/` in a
checkout; a bundled build sets AGENT_ROSTER_RESOURCES to its copy.
"""

from __future__ import annotations

import os
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("AGENT_ROSTER_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
