"""R15's batch proof reports exactly what the field-by-field walk of every node reports.

In a one-off check (and the first run of an incremental checker) R15 proves all nodes
clean with one `clean_groups` scan and walks only the nodes it cannot clear; on a
later incremental run with few touched nodes it proves each node on its own. Both must
give the findings of the reference: `scan_value` over each node's encoded YAML (with its
outgoing edges), for every node, with secrets planted in every kind of place a node
holds strings, grants included.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.base import RULES, Finding
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.engine import IncrementalChecker, check_roster, load_rules
from runtime.roster.checks.rules import secrets as r15
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document
from runtime.roster.io import loads, to_data
from runtime.secrets.scanner import scan_value
from tests.runtime.rules.conftest import base_roster_yaml
from tests.runtime.secret_corpus import positives

SAMPLES = sorted((Path(__file__).parents[2] / "resources" / "samples").glob("*.roster.yaml"))


def _reference_r15(content: RosterContent) -> list[tuple[Any, ...]]:
    """R15's node findings the slow way: every node encoded and walked."""
    load_rules()
    out: list[Finding] = []
    for node_id, node in content.nodes.items():
        edges = {x.id: x for x in content.edges.values() if x.source == node_id}
        section = m.section_of(node)
        data = to_data(RosterContent(m.RosterMeta(), {node_id: node}, edges)).get(section, {})
        out.extend(r15._findings(RULES["R15"], scan_value(data, (section,)), node_id))
    return _key(out)


def _key(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return sorted((f.message, f.fix, f.subjects, f.path, f.severity) for f in findings)


def _r15_of_check(content: RosterContent) -> list[tuple[Any, ...]]:
    return _key([f for f in check_roster(content) if f.rule == "R15" and f.subjects])


def _plant(content: RosterContent, seed: int, every: int = 4) -> RosterContent:
    """`content` with a generated secret in one string of every `every`-th node, cycling
    through text fields, tuples, free-form mappings, credential fields and grants."""
    rng = random.Random(seed)
    secrets = [p for p in positives() if "\n" not in p.text]
    nodes = dict(content.nodes)
    edges = dict(content.edges)
    for i, (node_id, node) in enumerate(content.nodes.items()):
        if i % every:
            continue
        secret = rng.choice(secrets).text
        kind = i // every % 5
        if kind == 4:  # in the purpose of one of its grants
            grant = next((x for x in edges.values() if x.source == node_id), None)
            if grant is not None:
                edges[grant.id] = dataclasses.replace(grant, purpose=f"because {secret}")
                continue
        changes: dict[str, Any]
        if isinstance(node, m.Agent):
            changes = [{"instructions": f"do this\nthen {secret}\n"},
                       {"tasks": ("triage", f"use {secret}")},
                       {"extensions": m.freeze({"x-note": {"token": secret}})},
                       {"role": secret}, {"name": f"agent {secret}"}][kind]
        elif isinstance(node, m.Tool):
            changes = [{"description": f"calls {secret}"},
                       {"config": m.freeze({"api_key": secret})}, {"credential": secret},
                       {"extensions": m.freeze({"x": [secret]})}, {"name": secret}][kind]
        elif isinstance(node, m.McpServer):
            changes = [{"args": ("--token", secret)}, {"env": m.freeze({"API_TOKEN": secret})},
                       {"command": f"run {secret}"}, {"name": secret}, {"name": secret}][kind]
        elif isinstance(node, m.Human):
            changes = {"name": f"person {secret}"}
        else:
            continue
        nodes[node_id] = dataclasses.replace(node, **changes)  # type: ignore[arg-type]
    return RosterContent(content.meta, nodes, edges)


def test_the_generated_fixture_is_large_enough_for_the_batch() -> None:
    """Otherwise the tests below would only exercise the per-node proof."""
    content = generate("S")
    assert len(content.nodes) >= r15._BATCH_MIN
    ctx = CheckContext(content.meta, content.nodes, content.edges)
    covered, clean = r15._batch(ctx)
    assert covered == set(content.nodes) and clean == covered


def test_only_a_run_that_touched_most_of_the_roster_proves_in_one_batch() -> None:
    """An ordinary edit touches a node's neighbours too (every holder of a tool), but R15
    re-checks only the edited nodes: proving all touched nodes would cost more."""
    content = generate("S")
    nodes = list(content.nodes)

    def covered(touched: frozenset[str]) -> frozenset[str]:
        ctx = CheckContext(content.meta, content.nodes, content.edges, touched=touched)
        return r15._batch(ctx)[0]

    assert covered(frozenset(nodes)) == set(nodes)  # an incremental checker's first run
    assert covered(frozenset(nodes[: len(nodes) // 3])) == set()
    assert covered(frozenset(nodes[:3])) == set()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_full_check_reports_what_walking_every_node_reports(seed: int) -> None:
    content = _plant(generate("S"), seed)
    expected = _reference_r15(content)
    assert len(expected) >= 10  # the planted secrets are found
    assert _r15_of_check(content) == expected


def test_a_clean_generated_roster_has_no_r15_finding_either_way() -> None:
    content = generate("S")
    assert _r15_of_check(content) == _reference_r15(content) == []


@pytest.mark.parametrize("batch_min", [1, 10**9])
def test_batch_and_per_node_proofs_agree_on_every_sample_and_planted_base(
        monkeypatch: pytest.MonkeyPatch, batch_min: int) -> None:
    """With the batch forced on (1) and off (never reached), on small rosters too."""
    monkeypatch.setattr(r15, "_BATCH_MIN", batch_min)
    contents = [loads(path.read_bytes()).content for path in SAMPLES]
    base = loads(base_roster_yaml()).content
    contents += [base, _plant(base, 7, every=1), _plant(base, 8, every=2)]
    for content in contents:
        assert _r15_of_check(content) == _reference_r15(content)


def test_a_node_the_batch_cannot_prove_is_walked_not_cleared() -> None:
    """A PEM block spans lines: the joined text proves nothing about it."""
    content = generate("S")
    tool_id = next(n for n, x in content.nodes.items() if isinstance(x, m.Tool))
    pem = next(p.text for p in positives() if p.kind == "pem")
    nodes = dict(content.nodes)
    nodes[tool_id] = dataclasses.replace(nodes[tool_id], description=pem)  # type: ignore[arg-type]
    planted = RosterContent(content.meta, nodes, content.edges)
    ctx = CheckContext(planted.meta, planted.nodes, planted.edges)
    covered, clean = r15._batch(ctx)
    assert tool_id in covered and tool_id not in clean
    found = _r15_of_check(planted)
    assert found == _reference_r15(planted) and len(found) == 1


def test_the_incremental_checker_agrees_with_a_full_check_as_secrets_come_and_go() -> None:
    """Its first run proves every node in one batch, later runs the touched nodes."""
    content = generate("S")
    document = Document(content)
    checker = IncrementalChecker(document)
    assert checker.findings() == check_roster(document.content())
    agent_id = next(n for n, x in content.nodes.items() if isinstance(x, m.Agent))
    secret = positives()[3].text
    document.apply(e.SetProperty(agent_id, "instructions", f"use {secret}"))
    found = checker.findings()
    assert found == check_roster(document.content())
    assert [f.subject for f in found if f.rule == "R15"] == [agent_id]
    grant = next(x for x in document.edges.values() if x.source == agent_id
                 and x.kind is m.EdgeKind.TOOL_ACCESS)
    document.apply(e.SetProperty(grant.id, "purpose", f"for {secret}"))
    assert checker.findings() == check_roster(document.content())
    document.apply(e.SetProperty(agent_id, "instructions", "nothing secret"))
    document.apply(e.SetProperty(grant.id, "purpose", None))
    found = checker.findings()
    assert found == check_roster(document.content())
    assert not [f for f in found if f.rule == "R15"]
