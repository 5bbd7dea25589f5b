"""`roster graph`: the JSON form works on every sample and the text form counts in English."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.cli.main import main

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "samples")
                 .glob("*.roster.yaml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_graph_json_runs_on_every_sample_and_keeps_counter_keys(
        path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agents"] == sum(data["agents_per_tier"].values())
    assert data["agents"] == sum(data["agents_per_model"].values())
    assert data["tools"] == sum(data["tools_per_risk"].values())
    assert all(isinstance(v, int) for v in data["edges"].values())
    assert data["depth"] >= 0
    for gate in data["gates"]:
        assert set(gate) == {"agent", "tool", "humans"}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_graph_json_agrees_with_the_text_summary(
        path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["graph", str(path), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    main(["graph", str(path)])
    text = capsys.readouterr().out
    assert f": {data['agents']} agent" in text.splitlines()[0]
    assert f"  human gates:       {len(data['gates'])}\n" in text
    assert f"  delegation depth:  {data['depth']} " in text


def test_graph_text_uses_singular_for_one(capsys: pytest.CaptureFixture[str]) -> None:
    path = next(p for p in SAMPLES if p.name.startswith("support-triage"))
    assert main(["graph", str(path)]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert head == "Support triage: 2 agents, 2 tools, 1 human, 2 MCP servers"


def test_graph_text_uses_singular_mcp_server(capsys: pytest.CaptureFixture[str]) -> None:
    path = next(p for p in SAMPLES if p.name.startswith("content-studio"))
    main(["graph", str(path)])
    assert capsys.readouterr().out.splitlines()[0].endswith(", 2 humans, 1 MCP server")
