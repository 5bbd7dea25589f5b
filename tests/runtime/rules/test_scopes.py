"""The dependency model rules declare, and the shortcuts the checker takes on it.

A node rule's `applies_to` must hold (it finds nothing on other node types),
roster-scope rules must ignore the prose fields an edit of which fires no trigger,
derived structures survive exactly the edits their triggers do not cover, the fast
"provably clean" proof of R15 never clears a node the full scan would flag, and the
delegation analysis' own strongly-connected-components pass agrees with networkx.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.context import DERIVED, CheckContext, surviving
from runtime.roster.checks.engine import (
    PROSE_FIELDS,
    IncrementalChecker,
    load_rules,
    property_trigger,
)
from runtime.roster.checks.rules.secrets import _provably_clean
from runtime.roster.checks.rules.structure import _strongly_connected
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document
from runtime.roster.io import loads, to_data
from runtime.secrets.scanner import scan_value
from tests.runtime.rules.conftest import base_roster_yaml
from tests.runtime.secret_corpus import positives

SAMPLES = sorted((Path(__file__).parents[3] / "resources" / "samples").glob("*.roster.yaml"))


def _rosters() -> list[RosterContent]:
    return [loads(base_roster_yaml()).content,
            *(loads(path.read_bytes()).content for path in SAMPLES)]


def _key(findings: Any) -> list[tuple[Any, ...]]:
    return sorted((f.rule, f.message, f.subjects, f.path) for f in findings)


@pytest.mark.parametrize("code", sorted(c for c, r in load_rules().items() if r.applies_to))
def test_a_node_rule_finds_nothing_on_node_types_it_does_not_apply_to(code: str) -> None:
    """The engine never calls a rule outside `applies_to`; this proves nothing is lost."""
    rule = load_rules()[code]
    assert rule.check_node is not None and rule.applies_to is not None
    for content in _rosters():
        ctx = CheckContext(content.meta, content.nodes, content.edges)
        for node_id, node in content.nodes.items():
            if not isinstance(node, rule.applies_to):
                assert list(rule.check_node(ctx, node_id)) == [], (code, node_id)


def test_every_rule_declares_what_its_node_check_reads() -> None:
    for rule in load_rules().values():
        assert rule.reads <= {base.READS_OWN_EDGES, base.READS_META, base.READS_NEIGHBOURHOOD}
    assert load_rules()["R15"].reads == {base.READS_OWN_EDGES}


def _prose_value(node: m.Node, name: str) -> Any:
    if name == "tasks":
        return ("an entirely different task",)
    if name == "extensions":
        return m.freeze({"x-note": {"said": "something else"}})
    return "Something else entirely, with 'quotes', a keyring:agent-roster/x and a path /srv/x."


@pytest.mark.parametrize("roster", range(1 + len(SAMPLES)))
def test_roster_rules_ignore_the_prose_fields_that_fire_no_trigger(roster: int) -> None:
    content = _rosters()[roster]
    rules = [r for r in load_rules().values() if r.check is not None]
    before = CheckContext(content.meta, content.nodes, content.edges)
    expected = {r.code: _key(r.check(before)) for r in rules if r.check}
    nodes = dict(content.nodes)
    for node_id, node in content.nodes.items():
        prose = PROSE_FIELDS.get(type(node), frozenset())
        nodes[node_id] = dataclasses.replace(
            node, **{name: _prose_value(node, name) for name in prose})  # type: ignore[arg-type]
    after = CheckContext(content.meta, nodes, content.edges)
    for rule in rules:
        assert rule.check is not None
        assert _key(rule.check(after)) == expected[rule.code], rule.code


def test_a_prose_edit_fires_no_trigger_and_any_other_edit_does() -> None:
    agent = m.Agent("a", instructions="Do the work.", max_turns=4)
    prose = e.PropertyChanged(agent, dataclasses.replace(agent, instructions="Do less."),
                              "instructions")
    both = e.PropertyChanged(agent, dataclasses.replace(agent, instructions="x", max_turns=5),
                             "max_turns")
    assert property_trigger(prose) is None
    assert property_trigger(both) == base.TRIGGER_AGENT


def test_derived_structures_outlive_a_run_only_until_one_of_their_triggers_fires() -> None:
    cache = {"rules.delegation": object(), "per-run": 1}
    assert "rules.delegation" in DERIVED and "per-run" not in DERIVED
    kept = surviving(cache, {base.TRIGGER_TOOL_ACCESS})
    assert set(kept) == {"rules.delegation"}  # grants do not change the delegation graph
    assert surviving(cache, {base.TRIGGER_DELEGATION}) == {}
    assert surviving(cache, base.ALL_TRIGGERS) == {}


def test_keyed_structures_lose_only_the_entries_of_touched_nodes() -> None:
    """Live grants per agent survive a grant edit elsewhere; the touched agents' go."""
    grants = {"a": [], "b": [], "c": []}
    kept = surviving({"rules.live_grants": grants}, {base.TRIGGER_TOOL_ACCESS}, {"b", "x"})
    assert kept["rules.live_grants"] == {"a": [], "c": []}
    assert surviving({"rules.live_grants": {"a": []}}, {base.TRIGGER_META}) == {}


def test_the_incremental_checker_reuses_the_delegation_analysis_across_a_grant_edit() -> None:
    doc = Document(loads(base_roster_yaml()).content)
    checker = IncrementalChecker(doc)
    checker.findings()
    first = checker._cache.get("rules.delegation")
    assert first is not None
    grant = next(x for x in doc.edges.values() if x.kind is m.EdgeKind.TOOL_ACCESS)
    doc.apply(e.SetProperty(grant.id, "purpose", "a new purpose"))
    checker.findings()
    assert checker._cache.get("rules.delegation") is first
    delegation = next(x for x in doc.edges.values() if x.kind is m.EdgeKind.DELEGATION)
    doc.apply(e.SetProperty(delegation.id, "max_rounds", 2))
    checker.findings()
    assert checker._cache.get("rules.delegation") is not first
    checker.close()


def _plant(content: RosterContent, rng: random.Random, secret: str) -> dict[str, m.Node]:
    """Every node with `secret` in one of its text fields or free-form mappings."""
    out: dict[str, m.Node] = {}
    for node_id, node in content.nodes.items():
        if isinstance(node, m.Agent):
            where = rng.choice(["instructions", "role", "extensions", "tasks"])
        elif isinstance(node, m.Tool):
            where = rng.choice(["description", "config", "credential", "extensions"])
        elif isinstance(node, m.McpServer):
            where = rng.choice(["args", "env", "command"])
        else:
            where = "name"
        value: Any = {
            "extensions": m.freeze({"x-note": {"token": secret}}),
            "config": m.freeze({"api_key": secret}),
            "env": m.freeze({"API_TOKEN": secret}),
            "args": ("--token", secret),
            "tasks": (f"use {secret}",),
        }.get(where, f"see {secret} here" if where != "credential" else secret)
        out[node_id] = dataclasses.replace(node, **{where: value})  # type: ignore[arg-type]
    return out


def test_the_fast_proof_never_clears_a_node_the_full_scan_flags() -> None:
    """R15 skips the field-by-field walk only for nodes it proves clean; every generated
    secret planted anywhere in any node must defeat that proof."""
    content = loads(base_roster_yaml()).content
    rng = random.Random(7)
    checked = 0
    for positive in positives():
        for node_id, node in _plant(content, rng, positive.text).items():
            grants = tuple(x for x in content.edges.values() if x.source == node_id)
            data = to_data(RosterContent(m.RosterMeta(), {node_id: node},
                                         {x.id: x for x in grants}))  # what R15 walks
            if scan_value(data):
                assert not _provably_clean(node, grants), (positive.kind, node_id)
                checked += 1
    assert checked > 100


def test_the_fast_proof_clears_the_clean_samples() -> None:
    for content in _rosters()[:1]:
        for node_id, node in content.nodes.items():
            grants = tuple(x for x in content.edges.values() if x.source == node_id)
            assert _provably_clean(node, grants), node_id


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=60))
def test_strongly_connected_components_agree_with_networkx(pairs: list[tuple[int, int]]) -> None:
    names = [f"a{i:02d}" for i in range(15)]
    children: dict[str, list[m.Edge]] = {x: [] for x in names}
    for u, v in dict.fromkeys(pairs):
        children[names[u]].append(m.Edge(m.EdgeKind.DELEGATION, names[u], names[v]))
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from((names[u], names[v]) for u, v in pairs)
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(graph))
    assert sorted(_strongly_connected(children)) == expected
