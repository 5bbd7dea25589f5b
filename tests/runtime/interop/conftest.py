"""Shared paths of the interop corpus (tests/fixtures/interop)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
CC_PROJECT = FIXTURES / "claude_code" / "project"
CC_AGENTS = CC_PROJECT / ".claude" / "agents"
CC_BAD = FIXTURES / "claude_code" / "bad"
CC_PLUGIN = FIXTURES / "claude_code" / "plugin"
CREWAI = FIXTURES / "crewai"
CREW_PROJECTS = sorted(p for p in CREWAI.iterdir() if p.is_dir() and p.name != "bad")
SAMPLES = sorted((Path(__file__).resolve().parents[3] / "resources" / "samples")
                 .glob("*.roster.yaml"))
