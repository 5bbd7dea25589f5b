"""The delegation analysis updated edit by edit equals a full build, field for field.

`rules/delegation.py` keeps the last analysis of an incremental checker and updates it
from the agents an edit changed: delegation lists, the condensation's edges of the
changed components, the parallelism products, the widths and the parents; it falls back
to a full build when a component would merge or split, or an agent appears or goes.
These properties drive random delegation edits (connect with and without max_rounds,
disconnect, mid-list removal and its undo, max_rounds and parallelism edits, agent
removal with its delegations, renames, additions, batches) and require, after every
step, the kept analysis to equal a fresh build in every field and in dict order (the
topological order and every tie-break depend on it), and the findings to equal a full
check's in order.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import Size, generate
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.engine import IncrementalChecker
from runtime.roster.checks.rules import delegation as dl
from runtime.roster.checks.rules import structure
from runtime.roster.document import Document
from runtime.roster.legality import connection
from tests.runtime.rules.test_incremental_owners import apply_batch, same_as_full_check

_DELEGATION = m.EdgeKind.DELEGATION


def _roster(seed: int = 3) -> Document:
    """40 agents whose delegations close a bounded cycle (a two-member component)."""
    return Document(generate(Size("delegation", 40, 140, 8, 2, 1), seed=seed))


def _agents(doc: Document) -> list[str]:
    return [k for k, v in doc.nodes.items() if isinstance(v, m.Agent)]


def _delegations(doc: Document) -> list[str]:
    return [k for k, v in doc.edges.items() if v.kind is _DELEGATION]


def _fields(info: dl.Delegation) -> tuple[Any, ...]:
    """Every field of an analysis, dicts as item lists so that their order counts."""
    comps = None
    if info.components is not None:
        comp, members, dag = info.components
        comps = (list(comp.items()), members, [list(out.items()) for out in dag])
    return (list(info.children.items()), info.order, info.cyclic, list(info.width.items()),
            list(info.parent.items()), comps, info.comp_order, info.factors,
            list(info.came.items()))


def _fresh(doc: Document) -> dl.Delegation:
    return dl.delegation(CheckContext(doc.meta, doc.nodes, doc.edges))


def _kept(checker: IncrementalChecker) -> dl.Delegation:
    found = checker._cache[dl.KEY]
    assert isinstance(found, dl.Delegation)
    return found


def _check(doc: Document, checker: IncrementalChecker, why: object) -> None:
    assert same_as_full_check(doc, checker), why
    assert _fields(_kept(checker)) == _fields(_fresh(doc)), why


def _edit(doc: Document, data: st.DataObject) -> e.Edit | None:
    agents, delegations = _agents(doc), _delegations(doc)
    choice = data.draw(st.sampled_from(
        ["connect", "connect", "connect", "disconnect", "disconnect", "rounds", "parallel",
         "remove", "rename", "add"]))
    if choice == "connect" and len(agents) > 1:
        source, target = data.draw(st.sampled_from(agents)), data.draw(st.sampled_from(agents))
        if connection(doc.nodes, doc.edges, source, target).kind is not _DELEGATION:
            return None
        return e.Connect(m.Edge(_DELEGATION, source, target,
                                max_rounds=data.draw(st.sampled_from([None, 2]))))
    if choice == "disconnect" and delegations:
        return e.Disconnect(data.draw(st.sampled_from(delegations)))
    if choice == "rounds" and delegations:
        return e.SetProperty(data.draw(st.sampled_from(delegations)), "max_rounds",
                             data.draw(st.sampled_from([None, 2])))
    if choice == "parallel" and agents:
        return e.SetProperty(data.draw(st.sampled_from(agents)), "max_parallel_delegations",
                             data.draw(st.sampled_from([None, 1, 2, 4])))
    if choice == "remove" and agents:
        return e.RemoveNode(data.draw(st.sampled_from(agents)))
    if choice == "rename" and agents:
        old = data.draw(st.sampled_from(agents))
        return e.Rename(old, old + "-renamed")
    if choice == "add":
        return e.AddNode(m.Agent(f"new-agent-{len(doc.nodes)}"))
    return None


def test_the_roster_has_a_cycle_so_the_update_path_runs() -> None:
    info = _fresh(_roster())
    assert info.cyclic and info.components is not None
    assert any(len(group) > 1 for group in info.components[1])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_updated_analysis_equals_a_full_build_after_random_delegation_edits(
        data: st.DataObject) -> None:
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for _ in range(data.draw(st.integers(1, 15))):
        edit = _edit(doc, data)
        if edit is None:
            continue
        try:
            inverse = doc.apply(edit)
        except e.EditError:
            continue
        _check(doc, checker, edit)
        if data.draw(st.booleans()):  # an undone removal puts delegations back mid-list
            doc.apply(inverse)
            _check(doc, checker, ("undo", edit))
    checker.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_batches_of_delegation_edits_between_two_rechecks_match(data: st.DataObject) -> None:
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for _ in range(data.draw(st.integers(1, 4))):
        apply_batch(doc, data, _edit)
        _check(doc, checker, "batch")
    checker.close()


def test_a_delegation_between_components_updates_instead_of_rebuilding() -> None:
    """A connect that closes no cycle and its disconnect keep the components (the same
    member lists), so the update path ran; the result still equals a full build."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    members = _kept(checker).components[1]  # type: ignore[index]
    info = _kept(checker)
    source, target = next(
        (s, t) for s in _agents(doc) for t in _agents(doc)
        if connection(doc.nodes, doc.edges, s, t).kind is _DELEGATION
        and info.components is not None and not dl._reaches(
            info.components[2], info.components[0][t], info.components[0][s])
        and info.components[0][s] != info.components[0][t])
    edge = m.Edge(_DELEGATION, source, target)
    doc.apply(e.Connect(edge))
    _check(doc, checker, "connect")
    assert _kept(checker).components[1] is members  # type: ignore[index]
    doc.apply(e.Disconnect(edge.id))
    _check(doc, checker, "disconnect")
    assert _kept(checker).components[1] is members  # type: ignore[index]
    checker.close()


def test_closing_and_opening_a_cycle_merges_and_splits_components() -> None:
    """A back edge along a chain merges its members into one component (a full build),
    and removing it splits them again; both equal a full build."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    info = _kept(checker)
    chain = next(e for e in info.children.values() for e in e)
    back = m.Edge(_DELEGATION, chain.target, chain.source, max_rounds=2)
    if back.id in doc.edges:
        doc.apply(e.Disconnect(back.id))
        _check(doc, checker, "open")
    before = len(_kept(checker).components[1])  # type: ignore[index]
    doc.apply(e.Connect(back))
    _check(doc, checker, "close")
    assert len(_kept(checker).components[1]) == before - 1  # type: ignore[index]
    doc.apply(e.Disconnect(back.id))
    _check(doc, checker, "open again")
    assert len(_kept(checker).components[1]) == before  # type: ignore[index]
    checker.close()


def test_parallelism_edits_update_the_widths() -> None:
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    for agent in _agents(doc)[:10]:
        doc.apply(e.SetProperty(agent, "max_parallel_delegations", 4))
        _check(doc, checker, agent)
    assert max(_kept(checker).width.values()) > 1
    checker.close()


def test_the_rules_reading_the_analysis_run_whenever_it_is_dropped() -> None:
    """The update reads `CheckContext.changed` of the run it happens in, so the analysis
    must be rebuilt in every run that dropped it: R03 and R04 (roster rules, run whenever
    triggered) fire on every trigger that drops it."""
    from runtime.roster.checks.base import RULES
    from runtime.roster.checks.context import DERIVED

    assert structure.RULE_R03 is RULES["R03"]
    assert DERIVED[dl.KEY] <= RULES["R03"].triggers | RULES["R04"].triggers


def test_a_second_delegator_from_upstream_moves_a_cycle_members_parent() -> None:
    """The width of a cycle's component comes through one upstream agent; a member it
    does not delegate to has its parent inside the cycle. Delegating to that member too
    changes neither the widths nor where they came from, but makes the upstream agent the
    member's parent: the update must redo the parents of the agents an edit changed."""
    doc = _roster()
    checker = IncrementalChecker(doc)
    checker.findings()
    info = _kept(checker)
    assert info.components is not None
    comp, members, _ = info.components
    for group in (g for g in members if len(g) > 1 and comp[g[0]] in info.came):
        via = info.came[comp[group[0]]]
        loose = [x for x in group if info.parent.get(x) != via
                 and m.edge_id(_DELEGATION, via, x) not in doc.edges]
        if loose:
            break
    else:
        raise AssertionError("the generated roster has no such cycle")
    came = dict(info.came)
    doc.apply(e.Connect(m.Edge(_DELEGATION, via, loose[0])))
    _check(doc, checker, "second delegator")
    assert _kept(checker).came == came
    assert _kept(checker).parent[loose[0]] == via
    checker.close()
