"""The shared per-agent facts (checks/facts.py) and the cheap `Finding` constructor.

`agent_facts` must hold exactly what `runtime.roster.effective` says for every agent,
whether it was filled in one pass (a one-off check) or one agent at a time (an
incremental run), and an incremental checker must drop an agent's facts when the agent
or the roster defaults change: the model and limit rules that read them then agree with
a full check after every edit. `Finding` keeps its dataclass behaviour with the faster
`__init__`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bench.generate import generate
from runtime.roster import edits as e
from runtime.roster import effective as fx
from runtime.roster import model as m
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.engine import IncrementalChecker, check_roster
from runtime.roster.checks.facts import agent_facts, allowed_models, model_info
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document
from runtime.roster.io import loads

SAMPLES = sorted((Path(__file__).parents[3] / "resources" / "samples").glob("*.roster.yaml"))


def _contents() -> list[RosterContent]:
    return [generate("S"), *(loads(path.read_bytes()).content for path in SAMPLES)]


def _expected(ctx: CheckContext, agent: m.Agent) -> tuple[object, ...]:
    meta = ctx.meta
    name = fx.agent_model(agent, meta)
    return (agent, name, ctx.catalog.get(name) if name else None, fx.agent_max_turns(agent, meta),
            fx.agent_max_tokens(agent, meta), fx.agent_timeout(agent, meta),
            fx.agent_budget(agent, meta))


@pytest.mark.parametrize("touched", [None, "all"])
def test_agent_facts_are_the_effective_values(touched: str | None) -> None:
    """In one pass (one-off check) and one agent at a time (an incremental run)."""
    for content in _contents():
        ctx = CheckContext(content.meta, content.nodes, content.edges,
                           touched=frozenset(content.nodes) if touched else None)
        for node_id, node in content.nodes.items():
            facts = agent_facts(ctx, node_id)
            if isinstance(node, m.Agent):
                assert facts is not None
                assert tuple(facts) == _expected(ctx, node), node_id
            else:
                assert facts is None
        assert agent_facts(ctx, "no-such-node") is None


def test_allowed_models_resolves_aliases_and_is_none_without_a_policy() -> None:
    content = generate("S")
    ctx = CheckContext(content.meta, content.nodes, content.edges)
    allowed = content.meta.policy.allowed_models
    if allowed is None:
        assert allowed_models(ctx) is None
    else:
        assert allowed_models(ctx) == {ctx.catalog.resolve_alias(x) or x for x in allowed}
    policy = dataclasses.replace(content.meta.policy, allowed_models=None)
    meta = dataclasses.replace(content.meta, policy=policy)
    assert allowed_models(CheckContext(meta, content.nodes, content.edges)) is None


def test_model_info_is_the_catalog_entry_or_none() -> None:
    content = generate("S")
    ctx = CheckContext(content.meta, content.nodes, content.edges)
    for info in ctx.catalog.models():
        assert model_info(ctx, info.id) is info
    assert model_info(ctx, "no-such-model") is None
    assert model_info(ctx, None) is None
    assert model_info(ctx, "") is None


def test_incremental_model_and_limit_rules_follow_agent_and_default_edits() -> None:
    """Each edit changes a fact R05 and R24-R28 read; the memo must not hide it."""
    content = generate("S")
    document = Document(content)
    checker = IncrementalChecker(document)
    checker.findings()
    agent_id = next(n for n, x in content.nodes.items() if isinstance(x, m.Agent))
    edits = [
        e.SetProperty(agent_id, "model", "no-such-model"),  # R24
        e.SetProperty(agent_id, "model", "claude-opus-5-5"),
        e.SetProperty(agent_id, "budget_usd", 0.0001),  # R27
        e.SetProperty(agent_id, "max_turns", 500),  # R05
        e.SetProperty(agent_id, "max_turns", None),
        e.SetProperty(e.ROSTER, "defaults.max_turns", None),  # R05 for every agent
        e.SetProperty(e.ROSTER, "defaults.max_turns", 10),
        e.SetProperty(e.ROSTER, "policy.allowed_models", ("claude-haiku-5-5",)),  # R24
        e.SetProperty(agent_id, "model", None),
        e.SetProperty(e.ROSTER, "defaults.model", "claude-sonnet-5-5"),
    ]
    seen: set[str] = set()
    for edit in edits:
        document.apply(edit)
        found = checker.findings()
        assert found == check_roster(document.content()), edit
        seen.update(f.rule for f in found if agent_id in f.subjects)
    assert {"R05", "R24", "R27"} <= seen


# ---------------------------------------------------------------- Finding


def test_a_finding_is_still_a_frozen_dataclass() -> None:
    finding = Finding("R01", Severity.ERROR, "message", "fix", ("a", "b"), ("agents", "a"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "R02"  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(finding)] == [
        "rule", "severity", "message", "fix", "subjects", "path", "acknowledged"]
    assert (finding.rule, finding.severity, finding.message, finding.fix, finding.subjects,
            finding.path, finding.acknowledged) == (
        "R01", Severity.ERROR, "message", "fix", ("a", "b"), ("agents", "a"), False)


def test_a_finding_built_by_keyword_equals_one_built_by_position() -> None:
    by_position = Finding("R01", Severity.WARNING, "m", "f", ("a",))
    by_keyword = Finding(rule="R01", severity=Severity.WARNING, message="m", fix="f",
                         subjects=("a",), path=(), acknowledged=False)
    assert by_position == by_keyword and hash(by_position) == hash(by_keyword)
    assert by_position.path == () and by_position.subject == "a"
    acknowledged = dataclasses.replace(by_position, acknowledged=True)
    assert acknowledged.acknowledged and acknowledged != by_position
    assert repr(by_position).startswith("Finding(rule='R01', severity=")
