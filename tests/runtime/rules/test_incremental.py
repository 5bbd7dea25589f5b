"""The incremental checker agrees with a full check after any sequence of single edits.

Hypothesis drives random Connect, Disconnect, SetProperty and RemoveNode edits
(and sometimes their undo) on the clean base roster, including prose edits that fire no
roster-scope trigger and edits that plant or remove a secret; after each edit the
`IncrementalChecker`'s findings
must equal `check_roster` on a snapshot of the document, finding for finding
(rule, severity, message, subjects, YAML path).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.engine import IncrementalChecker
from runtime.roster.document import Document
from runtime.roster.io import loads
from runtime.roster.legality import connection
from tests.runtime.rules.conftest import base_roster_yaml
from tests.runtime.rules.helpers import edit_agrees
from tests.runtime.secret_corpus import positives

# A key-shaped string generated at run time (never committed), so edits plant and remove
# R15 findings: the node's own rules (and its grants') must follow them.
SECRET = next(p.text for p in positives() if p.rule.startswith("anthropic"))

# (node type, field) -> values a random SetProperty may write
NODE_PROPS: dict[tuple[type, str], list[Any]] = {
    (m.Agent, "model"): ["claude-opus-5-5", "claude-haiku-5-5", "claude-opus-5", "gpt-9", None],
    (m.Agent, "max_turns"): [0, 5, 200, None],
    (m.Agent, "budget_usd"): [0.0, 0.001, 10.0, None],
    (m.Agent, "max_parallel_delegations"): [1, 8, 64],
    (m.Agent, "tasks"): [(), ("issue refunds",)],
    (m.Agent, "output_schema"): [None, {"type": "object", "properties": {"x": {"type": "string"}}}],
    # prose: no roster-scope trigger fires, node rules (R10, R15) must still see it
    (m.Agent, "instructions"): ["Plan the work.\n", f"Call the API with {SECRET}.\n", ""],
    (m.Agent, "role"): ["Plans refunds and issues them.", ""],
    (m.Agent, "name"): ["Renamed", f"key {SECRET}"],
    (m.Tool, "description"): ["Looks things up.", f"token: {SECRET}"],
    (m.Tool, "name"): ["Payments", ""],
    (m.Human, "name"): ["Pat", f"{SECRET}"],
    (m.Tool, "capabilities"): [(), ("untrusted_input",), ("reads_private_data", "code_exec"),
                               ("financial",), ("external_comm", "state_change")],
    (m.Tool, "risk"): ["low", "high", "critical"],
    (m.Tool, "modes"): [(), ("read",), ("write",)],
    (m.Tool, "server"): [None, "payments-mcp", "nowhere", "ops-lead"],
    (m.Tool, "sandbox"): [None, m.Sandbox(network="none")],
    (m.Tool, "audit"): [True, False, None],
    (m.Tool, "annotations"): [None, m.Annotations(read_only=True, destructive=False,
                                                  open_world=False)],
    (m.Human, "on_timeout"): ["deny", "escalate", None],
    (m.Human, "backup"): [None, "ops-lead", "ghost"],
    (m.McpServer, "trust"): ["trusted", "untrusted", None],
    (m.McpServer, "sandbox"): [None, m.Sandbox(network="none", fs_roots=("/srv/x",), cpu_s=1,
                                               memory_mb=64, timeout_s=5)],
}
EDGE_PROPS: dict[str, list[Any]] = {
    "approval": ["allow", "ask", "deny", None],
    "mode": ["read", "write", "execute", None],
    "purpose": [None, "because", f"uses token {SECRET}"],
    "max_rounds": [None, 2],
}
ROSTER_PROPS: dict[str, list[Any]] = {
    "policy.max_delegation_depth": [1, 4],
    "policy.max_parallel_agents": [1, 16],
    "policy.budget_usd_per_run": [0.1, 100.0, None],
    "policy.allowed_models": [None, ("claude-haiku-5-5",)],
    "entry": [("lead",), (), ("billing", "ghost")],
}



def _edit(doc: Document, data: st.DataObject) -> e.Edit | None:
    nodes, edges = list(doc.nodes), list(doc.edges)
    choice = data.draw(st.sampled_from(["connect", "disconnect", "node", "edge", "roster",
                                        "remove"]))
    if choice == "connect" and nodes:
        source, target = data.draw(st.sampled_from(nodes)), data.draw(st.sampled_from(nodes))
        legal = connection(doc.nodes, doc.edges, source, target)
        return None if legal.kind is None else e.Connect(m.Edge(legal.kind, source, target))
    if choice == "disconnect" and edges:
        return e.Disconnect(data.draw(st.sampled_from(edges)))
    if choice == "remove" and nodes:
        return e.RemoveNode(data.draw(st.sampled_from(nodes)))
    if choice == "node" and nodes:
        node = doc.nodes[data.draw(st.sampled_from(nodes))]
        fields = [f for (t, f) in NODE_PROPS if isinstance(node, t)]
        if not fields:
            return None
        name = data.draw(st.sampled_from(fields))
        value = data.draw(st.sampled_from(NODE_PROPS[(type(node), name)]))
        return e.SetProperty(node.id, name, value)
    if choice == "edge" and edges:
        name = data.draw(st.sampled_from(list(EDGE_PROPS)))
        return e.SetProperty(data.draw(st.sampled_from(edges)), name,
                             data.draw(st.sampled_from(EDGE_PROPS[name])))
    if choice == "roster":
        name = data.draw(st.sampled_from(list(ROSTER_PROPS)))
        return e.SetProperty(e.ROSTER, name, data.draw(st.sampled_from(ROSTER_PROPS[name])))
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_incremental_matches_full_check(data: st.DataObject) -> None:
    doc = Document(loads(base_roster_yaml()).content)
    checker = IncrementalChecker(doc)
    assert checker.findings() == []
    for _ in range(data.draw(st.integers(1, 6))):
        edit = _edit(doc, data)
        if edit is not None:
            edit_agrees(doc, checker, edit, data.draw(st.booleans()))
    checker.close()
