"""The taint and data-flow rules stay exact under incremental re-checks.

R08, R13, R14 and R29–R31 keep their closures (taint chains, the tainted set, the
clearance flow) and their per-owner findings across edits (rules/closures.py,
checks/memo.py). These properties drive random edit sequences at those inputs on a
generated roster rich in delegation chains, sensitive and untrusted tools: grant and
delegation edges added and removed, grant modes and approvals, agents' clearance and
output schema (the quarantine switch), tools' capabilities, data class and vetting, node
removal, renames and additions. After every edit the incremental findings must equal a
full check's, finding for finding.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Size, generate
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.engine import IncrementalChecker, check_roster
from runtime.roster.document import Document
from runtime.roster.legality import connection
from tests.runtime.rules.helpers import agrees, edit_agrees

FLOW_RULES = frozenset({"R08", "R13", "R14", "R29", "R30", "R31"})
QUARANTINE = {"type": "object", "properties": {"v": {"type": "string", "enum": ["a", "b"]}},
              "additionalProperties": False}
AGENT_PROPS: dict[str, list[Any]] = {
    "clearance": [*m.CLASSIFICATIONS, None],
    "output_schema": [None, QUARANTINE],
    "max_turns": [4, 12],  # no closure input: the closures must be reused
}
TOOL_PROPS: dict[str, list[Any]] = {
    "capabilities": [(), ("untrusted_input",), ("external_comm",), ("reads_private_data",),
                     ("untrusted_input", "external_comm"), ("state_change",)],
    "data": [*m.CLASSIFICATIONS, None],
    "vetted": [True, False, None],
    "risk": ["low", "critical"],
}
GRANT_PROPS: dict[str, list[Any]] = {
    "mode": ["read", "write", "execute", None],
    "approval": ["allow", "ask", "deny", None],
}


def _roster() -> Document:
    return Document(generate(Size("flow", 24, 80, 8, 2, 1), seed=1))



def _edit(doc: Document, data: st.DataObject) -> e.Edit | None:
    agents = [k for k, v in doc.nodes.items() if isinstance(v, m.Agent)]
    tools = [k for k, v in doc.nodes.items() if isinstance(v, m.Tool)]
    edges = [k for k, v in doc.edges.items() if v.kind is not m.EdgeKind.ESCALATION]
    choice = data.draw(st.sampled_from(
        ["grant", "delegate", "disconnect", "disconnect", "agent", "tool", "edge", "remove",
         "rename", "add"]))
    if choice in ("grant", "delegate") and agents:
        source = data.draw(st.sampled_from(agents))
        pool = tools if choice == "grant" else agents
        if not pool:
            return None
        target = data.draw(st.sampled_from(pool))
        legal = connection(doc.nodes, doc.edges, source, target)
        return None if legal.kind is None else e.Connect(m.Edge(legal.kind, source, target))
    if choice == "disconnect" and edges:
        return e.Disconnect(data.draw(st.sampled_from(edges)))
    if choice == "agent" and agents:
        name = data.draw(st.sampled_from(list(AGENT_PROPS)))
        return e.SetProperty(data.draw(st.sampled_from(agents)), name,
                             data.draw(st.sampled_from(AGENT_PROPS[name])))
    if choice == "tool" and tools:
        name = data.draw(st.sampled_from(list(TOOL_PROPS)))
        return e.SetProperty(data.draw(st.sampled_from(tools)), name,
                             data.draw(st.sampled_from(TOOL_PROPS[name])))
    if choice == "edge":
        grants = [k for k, v in doc.edges.items() if v.kind is m.EdgeKind.TOOL_ACCESS]
        if not grants:
            return None
        name = data.draw(st.sampled_from(list(GRANT_PROPS)))
        return e.SetProperty(data.draw(st.sampled_from(grants)), name,
                             data.draw(st.sampled_from(GRANT_PROPS[name])))
    if choice == "remove":
        return e.RemoveNode(data.draw(st.sampled_from(agents + tools)))
    if choice == "rename":
        old = data.draw(st.sampled_from(agents + tools))
        return e.Rename(old, old + "-renamed")
    if choice == "add":
        if data.draw(st.booleans()):
            return e.AddNode(m.Agent(f"new-agent-{len(doc.nodes)}"))
        return e.AddNode(m.Tool(f"new-tool-{len(doc.nodes)}", kind="http",
                                capabilities=("untrusted_input", "external_comm")))
    return None


def _assert_agrees(doc: Document, checker: IncrementalChecker, why: object) -> None:
    assert agrees(doc, checker), why


def test_the_generated_roster_exercises_every_flow_rule() -> None:
    """Otherwise the properties below could pass without testing anything."""
    found = {f.rule for f in check_roster(_roster().content())}
    assert FLOW_RULES - {"R14", "R29"} <= found  # R29 and R14 come with the tool edits


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_flow_rules_match_a_full_check_after_random_edit_sequences(data: st.DataObject) -> None:
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for _ in range(data.draw(st.integers(1, 10))):
        edit = _edit(doc, data)
        if edit is not None:
            edit_agrees(doc, checker, edit, data.draw(st.booleans()))
    checker.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_several_edits_between_two_rechecks_still_match(data: st.DataObject) -> None:
    """Edits batch up between two `findings()` calls (an edit and its undo, a drag)."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for _ in range(data.draw(st.integers(1, 4))):
        for _ in range(data.draw(st.integers(2, 5))):
            edit = _edit(doc, data)
            if edit is None:
                continue
            try:
                doc.apply(edit)
            except e.EditError:
                continue
        _assert_agrees(doc, checker, "batch")
    checker.close()


def test_an_edit_outside_the_closure_inputs_reuses_the_closures() -> None:
    """A turn limit moves neither taint nor flow, a clearance only the flow, an untrusted
    capability the taint: each group is kept exactly while its inputs hold."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()

    def groups() -> tuple[object, object]:
        return checker._cache["taint.closures"], checker._cache["flow.closures"]

    taint, flow = groups()
    assert taint and flow
    agent = next(k for k, v in doc.nodes.items() if isinstance(v, m.Agent))
    doc.apply(e.SetProperty(agent, "max_turns", 17))
    checker.findings()
    assert groups() == (taint, flow) and groups()[0] is taint and groups()[1] is flow
    doc.apply(e.SetProperty(agent, "clearance", "restricted"))
    checker.findings()
    assert groups()[0] is taint and groups()[1] is not flow
    flow = groups()[1]
    tool = next(k for k, v in doc.nodes.items()
                if isinstance(v, m.Tool) and "untrusted_input" not in v.capabilities)
    doc.apply(e.SetProperty(tool, "capabilities", ("untrusted_input",)))
    checker.findings()
    assert groups()[0] is not taint and groups()[1] is flow
    checker.close()


def test_an_undone_disconnect_walks_the_edges_in_document_order_again() -> None:
    """Regression: the adjacency index appended a re-inserted grant at the end while the
    document put it back in place, so the flow walk recorded another hop than a full
    check and R30's path differed (found by the property above)."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    edge = "marketing-router-00009:uses:web-fetch-research-0005"
    assert edge in doc.edges
    edit_agrees(doc, checker, e.Disconnect(edge), undo=True)
    checker.close()


def test_every_closure_input_of_every_node_is_seen() -> None:
    """A sweep, not a sample: each agent's clearance and quarantine switch and each tool's
    capabilities and data class set to every listed value in turn (and undone), on one
    live checker, each step checked against a full check."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    sweeps = {m.Agent: ("clearance", "output_schema"), m.Tool: ("capabilities", "data")}
    values = {**AGENT_PROPS, **TOOL_PROPS}
    for node_id, node in list(doc.nodes.items()):
        for name in sweeps.get(type(node), ()):
            for value in values[name]:
                edit_agrees(doc, checker, e.SetProperty(node_id, name, value), undo=True)
    checker.close()
