"""The Markdown handbook: every agent present, a Mermaid block that looks valid, findings."""

from __future__ import annotations

import re

import pytest

from runtime.interop.handbook import handbook, mermaid
from runtime.roster import io
from runtime.roster import model as m

from .conftest import SAMPLES

# agent ["..."], human (["..."]), tool [("...")], MCP server {{"..."}}
NODE_SHAPE = r'  (n_\w+)(\["[^"]*"\]|\(\["[^"]*"\]\)|\[\("[^"]*"\)\]|\{\{"[^"]*"\}\})'


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_agent_has_a_section_and_a_diagram_node(path: object) -> None:
    content = io.load_roster(path).content  # type: ignore[arg-type]
    text = handbook(content)
    for node in content.nodes.values():
        if isinstance(node, m.Agent):
            assert f"(`{node.id}`)" in text
            assert re.search(rf"^  n_{re.escape(node.id.replace('-', '_'))}\[", text, re.M)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_the_mermaid_block_is_well_formed(path: object) -> None:
    content = io.load_roster(path).content  # type: ignore[arg-type]
    text = handbook(content)
    block = text.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    lines = block.splitlines()
    assert lines[0] == "flowchart LR"
    declared = set()
    for line in lines[1:]:
        node = re.fullmatch(NODE_SHAPE, line)
        edge = re.fullmatch(r"  (n_\w+) (-->|-\.->|==>)\|[^|]+\| (n_\w+)", line)
        assert node or edge, line
        if node:
            declared.add(node.group(1))
        else:
            assert edge is not None and edge.group(1) in declared
    assert len(lines) - 1 == len(content.nodes) + len(content.edges)


def test_model_tier_reason_grants_escalation_budget_and_findings_are_written() -> None:
    path = next(p for p in SAMPLES if "support" in p.name)
    text = handbook(io.load_roster(path).content)
    assert "economy tier, for high-volume, routine work" in text
    assert "**payments**: write after a person approves" in text
    assert "**Escalates to**: support-lead" in text
    assert "**Budget**: $0.50 per task" in text
    vacuum = next(p for p in SAMPLES if "vacuum" in p.name)
    bad = handbook(io.load_roster(vacuum).content)
    assert "Open findings:" in bad and "error R" in bad


def test_quotes_in_names_do_not_break_the_diagram() -> None:
    content = io.loads('format: agent-roster\nversion: 1\nagents:\n  a: {name: \'Say "hi"\'}\n'
                       ).content
    assert 'n_a["Say #quot;hi#quot;"]' in mermaid(content)
