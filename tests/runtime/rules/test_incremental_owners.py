"""Roster-scope rules rebuilt per owner stay exact under incremental re-checks.

R08, R09, R13, R29, R30 and R31 keep their findings per owner (an agent, a tool, a grant)
with the nodes each owner's findings read (checks/memo.py `by_owner`), and rebuild only
the owners an edit changed or whose closure entries moved; the delegation analysis is kept
across agent edits other than `max_parallel_delegations`; list positions of delegation and
escalation edges are kept per agent; the checker's output is kept sorted per rule. These
properties drive random edit sequences at exactly those inputs (grants, delegations with
and without max_rounds, escalations, mid-list removals and their undo, file tools' roots
and modes, risk, capabilities, data classes, clearance, quarantine, parallelism, node
removal, renames, additions, batches) and require the incremental findings to equal a
full check's, in the same order, after every step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Size, generate
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.engine import IncrementalChecker, check_roster
from runtime.roster.document import Document
from runtime.roster.legality import connection
from tests.runtime.rules.helpers import finding_key

QUARANTINE = {"type": "object", "properties": {"v": {"type": "string", "enum": ["a", "b"]}},
              "additionalProperties": False}
AGENT_PROPS: dict[str, list[Any]] = {
    "clearance": ["public", "confidential", "restricted", None],
    "output_schema": [None, QUARANTINE],
    "max_parallel_delegations": [None, 1, 4],
    "max_turns": [4, 40],
}
TOOL_PROPS: dict[str, list[Any]] = {
    "capabilities": [(), ("untrusted_input",), ("external_comm",), ("financial",),
                     ("untrusted_input", "external_comm"), ("state_change",)],
    "data": ["public", "confidential", "restricted", None],
    "vetted": [True, False],
    "risk": ["low", "high", "critical"],
    "fs_roots": [(), ("/srv/shared",), ("/srv/shared/inbox",), ("/srv/legal/shared",), ("~",)],
    "modes": [(), ("read",), ("read", "write"), ("write",)],
}
EDGE_PROPS: dict[m.EdgeKind, dict[str, list[Any]]] = {
    m.EdgeKind.TOOL_ACCESS: {"mode": ["read", "write", "execute", None],
                             "approval": ["allow", "ask", "deny", None]},
    m.EdgeKind.DELEGATION: {"max_rounds": [None, 2]},
}


def _roster() -> Document:
    return Document(generate(Size("owners", 30, 110, 10, 3, 2), seed=3))


def _connect(doc: Document, data: st.DataObject, pool: list[str]) -> e.Edit | None:
    agents = [k for k, v in doc.nodes.items() if isinstance(v, m.Agent)]
    if not agents or not pool:
        return None
    source, target = data.draw(st.sampled_from(agents)), data.draw(st.sampled_from(pool))
    legal = connection(doc.nodes, doc.edges, source, target)
    if legal.kind is None:
        return None
    extra: dict[str, Any] = {}
    if legal.kind is m.EdgeKind.TOOL_ACCESS:
        extra = {"mode": data.draw(st.sampled_from(["read", "write", "execute"])),
                 "approval": data.draw(st.sampled_from(["allow", "ask"]))}
    elif legal.kind is m.EdgeKind.DELEGATION:
        extra = {"max_rounds": data.draw(st.sampled_from([None, 2]))}
    return e.Connect(m.Edge(legal.kind, source, target, **extra))


def _edit(doc: Document, data: st.DataObject) -> e.Edit | None:
    of = {kind: [k for k, v in doc.nodes.items() if isinstance(v, kind)]
          for kind in (m.Agent, m.Tool, m.Human)}
    choice = data.draw(st.sampled_from(
        ["grant", "delegate", "escalate", "disconnect", "disconnect", "agent", "tool", "tool",
         "edge", "remove", "rename", "add"]))
    if choice in ("grant", "delegate", "escalate"):
        pool = {"grant": m.Tool, "delegate": m.Agent, "escalate": m.Human}[choice]
        return _connect(doc, data, of[pool])
    if choice == "disconnect" and doc.edges:
        return e.Disconnect(data.draw(st.sampled_from(list(doc.edges))))
    if choice == "agent" and of[m.Agent]:
        name = data.draw(st.sampled_from(list(AGENT_PROPS)))
        return e.SetProperty(data.draw(st.sampled_from(of[m.Agent])), name,
                             data.draw(st.sampled_from(AGENT_PROPS[name])))
    if choice == "tool" and of[m.Tool]:
        name = data.draw(st.sampled_from(list(TOOL_PROPS)))
        return e.SetProperty(data.draw(st.sampled_from(of[m.Tool])), name,
                             data.draw(st.sampled_from(TOOL_PROPS[name])))
    if choice == "edge":
        edges = [k for k, v in doc.edges.items() if v.kind in EDGE_PROPS]
        if not edges:
            return None
        edge = doc.edges[data.draw(st.sampled_from(edges))]
        name = data.draw(st.sampled_from(list(EDGE_PROPS[edge.kind])))
        return e.SetProperty(edge.id, name, data.draw(st.sampled_from(
            EDGE_PROPS[edge.kind][name])))
    nodes = of[m.Agent] + of[m.Tool]
    if choice == "remove" and nodes:
        return e.RemoveNode(data.draw(st.sampled_from(nodes)))
    if choice == "rename" and nodes:
        old = data.draw(st.sampled_from(nodes))
        return e.Rename(old, old + "-renamed")
    if choice == "add":
        if data.draw(st.booleans()):
            return e.AddNode(m.Agent(f"new-agent-{len(doc.nodes)}"))
        return e.AddNode(m.Tool(f"new-tool-{len(doc.nodes)}", kind="fs_write",
                                fs_roots=("/srv/shared",), modes=("read", "write")))
    return None


def same_as_full_check(doc: Document, checker: IncrementalChecker) -> bool:
    """The incremental findings equal a full check's, finding for finding, in order."""
    full = [finding_key(f) for f in check_roster(doc.content())]
    return [finding_key(f) for f in checker.findings()] == full


def _apply(doc: Document, checker: IncrementalChecker, edit: e.Edit, undo: bool) -> None:
    try:
        inverse = doc.apply(edit)
    except e.EditError:
        return
    assert same_as_full_check(doc, checker), edit
    if undo:  # an undone removal puts edges back mid-list
        doc.apply(inverse)
        assert same_as_full_check(doc, checker), ("undo", edit)


def test_the_generated_roster_exercises_the_owner_rules() -> None:
    """Otherwise the properties below could pass without testing anything (R09 and R03
    come with the risk and delegation edits)."""
    found = {f.rule for f in check_roster(_roster().content())}
    assert {"R08", "R13", "R29", "R30", "R31", "R04", "R20"} <= found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_owner_rules_match_a_full_check_after_random_edit_sequences(
        data: st.DataObject) -> None:
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for _ in range(data.draw(st.integers(1, 12))):
        edit = _edit(doc, data)
        if edit is not None:
            _apply(doc, checker, edit, data.draw(st.booleans()))
    checker.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_batched_edits_between_two_rechecks_still_match(data: st.DataObject) -> None:
    """Several edits (and undos) between two `findings()` calls, as a drag or a Batch."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for _ in range(data.draw(st.integers(1, 4))):
        apply_batch(doc, data, _edit)
        assert same_as_full_check(doc, checker), "batch"
    checker.close()


def apply_batch(doc: Document, data: st.DataObject,
                draw: Callable[[Document, st.DataObject], e.Edit | None]) -> None:
    """2–6 drawn edits (illegal ones skipped), each undone at random, with no re-check
    between them."""
    for _ in range(data.draw(st.integers(2, 6))):
        edit = draw(doc, data)
        if edit is None:
            continue
        try:
            inverse = doc.apply(edit)
        except e.EditError:
            continue
        if data.draw(st.booleans()):
            doc.apply(inverse)


def test_removing_and_restoring_a_delegation_mid_list_keeps_list_positions() -> None:
    """Each delegation's YAML path names its list position: removing the first of an
    agent's delegations moves the others' positions, undoing it moves them back."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    source = next(k for k, v in doc.nodes.items() if isinstance(v, m.Agent)
                  and len([x for x in doc.edges.values()
                           if x.source == k and x.kind is m.EdgeKind.DELEGATION]) >= 2)
    first = next(x for x in doc.edges.values()
                 if x.source == source and x.kind is m.EdgeKind.DELEGATION)
    _apply(doc, checker, e.Disconnect(first.id), undo=True)
    _apply(doc, checker, e.SetProperty(first.id, "max_rounds", None), undo=True)
    checker.close()


def test_only_parallelism_drops_the_delegation_analysis() -> None:
    """The delegation analysis (R03, R04, R20's widths) reads nothing of an agent but its
    max_parallel_delegations: other agent edits keep it, that one rebuilds it."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    agent = next(k for k, v in doc.nodes.items() if isinstance(v, m.Agent))
    analysis = checker._cache["rules.delegation"]
    for name, value in (("max_turns", 33), ("clearance", "restricted"), ("model", None)):
        doc.apply(e.SetProperty(agent, name, value))
        assert same_as_full_check(doc, checker)
        assert checker._cache["rules.delegation"] is analysis, name
    doc.apply(e.SetProperty(agent, "max_parallel_delegations", 5))
    assert same_as_full_check(doc, checker)
    assert checker._cache["rules.delegation"] is not analysis
    checker.close()


def test_an_edit_rebuilds_only_the_owners_it_reaches() -> None:
    """A turn limit on one agent moves no flow entry: every R30 and R31 owner but the
    ones reading that agent keeps the very findings it had."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    memos = {code: checker._cache[f"owners.{code}"] for code in ("R30", "R31")}
    before = {code: dict(memo.found) for code, memo in memos.items()}
    assert before["R30"] and before["R31"]
    agent = next(iter(before["R30"]))
    doc.apply(e.SetProperty(agent, "max_turns", 33))
    assert same_as_full_check(doc, checker)
    for code, memo in memos.items():
        assert checker._cache[f"owners.{code}"] is memo
        kept = [o for o, found in before[code].items() if memo.found.get(o) is found]
        assert len(kept) >= len(before[code]) - len(memo.readers.get(agent, ())) - 1
    checker.close()


def test_every_file_tool_input_of_every_tool_is_seen() -> None:
    """A sweep: each tool's roots, modes and capabilities set to every listed value in
    turn (and undone) on one live checker: the readers R13 keeps must follow."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for node_id, node in list(doc.nodes.items()):
        if isinstance(node, m.Tool):
            for name in ("fs_roots", "modes", "capabilities"):
                for value in TOOL_PROPS[name]:
                    _apply(doc, checker, e.SetProperty(node_id, name, value), undo=True)
    checker.close()
