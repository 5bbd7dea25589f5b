"""The Document: the one mutable owner of a roster, changed only by `apply(edit)`.

Specification (ARCHITECTURE.md, "The document and its edits"): every edit returns its
exact inverse, and applying the inverse restores the document, including the order of
nodes and edges, so the saved bytes are identical. Illegal edits are refused with a
reason and change nothing: no new revision, no events. Events are past tense and the
inverse emits the mirror image of the edit's events. `revision` counts applies.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.roster import edits as e
from runtime.roster import io
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.roster.document import Document
from runtime.roster.legality import connection
from tests.runtime.test_roundtrip import EXAMPLES, PHASES, rosters

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "samples" / "support-triage.roster.yaml"

Snapshot = tuple[Any, ...]


def snapshot(doc: Document) -> Snapshot:
    """Everything that defines the document: settings, nodes and edges in order, layout,
    and the bytes a save would write."""
    content = doc.content()
    return (content.meta, list(content.nodes.items()), list(content.edges.items()),
            dict(content.layout), saved_bytes(doc))


def saved_bytes(doc: Document) -> bytes:
    return io.dumps(doc.content()).encode("utf-8")


class Recorder:
    def __init__(self, doc: Document) -> None:
        self.events: list[e.Event] = []
        doc.subscribe(self.hear)

    def hear(self, event: e.Event) -> None:
        self.events.append(event)

    def take(self) -> list[e.Event]:
        taken, self.events = self.events, []
        return taken


@pytest.fixture
def doc() -> Document:
    return Document(io.load_roster(SAMPLE).content)


@pytest.fixture
def events(doc: Document) -> Recorder:
    return Recorder(doc)


def assert_inverse_restores(doc: Document, edit: e.Edit) -> e.Edit:
    """Apply `edit`, check its inverse restores the document and the saved bytes exactly."""
    before = snapshot(doc)
    inverse = doc.apply(edit)
    assert snapshot(doc) != before, "the edit changed nothing"
    doc.apply(inverse)
    assert snapshot(doc) == before
    return inverse


def agent(node_id: str, **fields: Any) -> m.Agent:
    return m.Agent(id=node_id, name=node_id.title(), **fields)


# ---------------------------------------------------------------- each edit and its inverse


def test_add_node_applies_and_its_inverse_removes_it(doc: Document) -> None:
    edit = e.AddNode(agent("reviewer"), position=m.Position(640, 0))
    inverse = assert_inverse_restores(doc, edit)
    assert inverse == e.RemoveNode("reviewer")


def test_add_node_at_an_index_keeps_that_place_in_the_file(doc: Document) -> None:
    doc.apply(e.AddNode(agent("reviewer"), index=1))
    assert list(doc.nodes)[1] == "reviewer"
    assert saved_bytes(doc).index(b"  reviewer:") < saved_bytes(doc).index(b"  refunds:")


def test_remove_node_cascades_into_its_edges_and_entry_and_undo_restores_them(
    doc: Document,
) -> None:
    assert "triage" in doc.meta.entry and doc.edges_of("triage")
    before = snapshot(doc)
    inverse = doc.apply(e.RemoveNode("triage"))
    assert "triage" not in doc.nodes and "triage" not in doc.layout
    assert doc.edges_of("triage") == []
    assert "triage" not in doc.meta.entry
    doc.apply(inverse)
    assert snapshot(doc) == before


def test_remove_node_removes_edges_pointing_at_it_too(doc: Document) -> None:
    incoming = [x.id for x in doc.edges.values() if x.target == "payments"]
    assert incoming
    assert_inverse_restores(doc, e.RemoveNode("payments"))
    doc.apply(e.RemoveNode("payments"))
    assert not set(incoming) & set(doc.edges)


def test_connect_applies_and_its_inverse_disconnects(doc: Document) -> None:
    edge = m.Edge(m.EdgeKind.TOOL_ACCESS, "triage", "payments", mode="read", approval="ask")
    inverse = assert_inverse_restores(doc, e.Connect(edge))
    assert inverse == e.Disconnect(edge.id)


def test_disconnect_applies_and_its_inverse_reconnects_in_the_same_place(doc: Document) -> None:
    edge_id = list(doc.edges)[1]
    inverse = assert_inverse_restores(doc, e.Disconnect(edge_id))
    assert isinstance(inverse, e.Connect) and inverse.index == 1


def test_set_property_on_a_node(doc: Document) -> None:
    inverse = assert_inverse_restores(doc, e.SetProperty("refunds", "max_turns", 7))
    assert inverse == e.SetProperty("refunds", "max_turns", None)


def test_set_property_on_a_list_field_of_a_node(doc: Document) -> None:
    assert_inverse_restores(doc, e.SetProperty("payments", "capabilities", ["financial"]))
    doc.apply(e.SetProperty("payments", "capabilities", ["financial"]))
    assert doc.nodes["payments"].capabilities == ("financial",)  # type: ignore[union-attr]


def test_set_property_on_an_edge(doc: Document) -> None:
    edge_id = m.edge_id(m.EdgeKind.TOOL_ACCESS, "refunds", "payments")
    assert_inverse_restores(doc, e.SetProperty(edge_id, "approval", "deny"))
    doc.apply(e.SetProperty(edge_id, "approval", "deny"))
    assert doc.edges[edge_id].approval == "deny"


def test_set_property_on_the_roster_by_dotted_key(doc: Document) -> None:
    edit = e.SetProperty(e.ROSTER, "policy.budget_usd_per_run", 9.5)
    inverse = assert_inverse_restores(doc, edit)
    assert inverse == e.SetProperty(e.ROSTER, "policy.budget_usd_per_run", 2.0)


def test_set_property_on_the_roster_name(doc: Document) -> None:
    assert_inverse_restores(doc, e.SetProperty(e.ROSTER, "name", "Renamed roster"))


def test_move_applies_and_its_inverse_moves_back(doc: Document) -> None:
    inverse = assert_inverse_restores(doc, e.Move("triage", m.Position(5, 6)))
    assert inverse == e.Move("triage", doc.layout["triage"])


def test_move_of_a_node_without_position_is_undone_by_removing_the_position(
    doc: Document,
) -> None:
    doc.apply(e.AddNode(agent("fresh")))
    inverse = assert_inverse_restores(doc, e.Move("fresh", m.Position(1, 2)))
    assert inverse == e.Move("fresh", None)


def test_rename_updates_edges_layout_entry_acknowledgements_backup_and_server_refs() -> None:
    content = io.load_roster(SAMPLE).content
    content.nodes["backup-lead"] = m.Human(id="backup-lead", backup="support-lead")
    content.meta = dataclasses.replace(content.meta, acknowledged=(
        m.Acknowledgement("R10", "triage", "support-lead", "reviewed"),))
    doc = Document(content)
    before = snapshot(doc)
    inverse = doc.apply(e.Rename("triage", "classifier"))
    assert "classifier" in doc.nodes and "triage" not in doc.nodes
    assert doc.nodes["classifier"].id == "classifier"
    assert next(iter(doc.nodes)) == "classifier"  # keeps its place
    assert all("triage" not in (x.source, x.target) for x in doc.edges.values())
    assert all(key == edge.id for key, edge in doc.edges.items())
    assert "classifier" in doc.layout and "triage" not in doc.layout
    assert doc.meta.entry == ("classifier",)
    assert doc.meta.acknowledged[0].subject == "classifier"
    doc.apply(e.Rename("support-lead", "lead"))
    assert doc.nodes["backup-lead"].backup == "lead"  # type: ignore[union-attr]
    doc.apply(e.Rename("payments-mcp", "pay-server"))
    assert doc.nodes["payments"].server == "pay-server"  # type: ignore[union-attr]
    doc.apply(e.Rename("pay-server", "payments-mcp"))
    doc.apply(e.Rename("lead", "support-lead"))
    doc.apply(inverse)
    assert snapshot(doc) == before


def test_batch_applies_in_order_and_its_inverse_undoes_in_reverse_order(doc: Document) -> None:
    batch = e.Batch((
        e.AddNode(agent("reviewer"), position=m.Position(0, 400)),
        e.Connect(m.Edge(m.EdgeKind.DELEGATION, "refunds", "reviewer", max_rounds=2)),
        e.SetProperty("reviewer", "max_turns", 3),
        e.Move("reviewer", m.Position(10, 410)),
    ), "add a reviewer")
    inverse = assert_inverse_restores(doc, batch)
    assert isinstance(inverse, e.Batch) and inverse.label == "add a reviewer"
    assert isinstance(inverse.edits[-1], e.RemoveNode)


def test_redo_after_undo_gives_the_same_bytes_as_the_first_apply(doc: Document) -> None:
    edit = e.Batch((e.RemoveNode("refunds"), e.Rename("triage", "desk")))
    inverse = doc.apply(edit)
    done = snapshot(doc)
    redo = doc.apply(inverse)
    doc.apply(redo)
    assert snapshot(doc) == done


# ---------------------------------------------------------------- refusals change nothing


def assert_refused(doc: Document, events: Recorder, edit: e.Edit, reason: str) -> None:
    before, revision = snapshot(doc), doc.revision
    with pytest.raises(e.EditError, match=reason):
        doc.apply(edit)
    assert snapshot(doc) == before
    assert doc.revision == revision
    assert events.take() == []


def test_connect_from_a_tool_to_an_agent_is_refused(doc: Document, events: Recorder) -> None:
    edge = m.Edge(m.EdgeKind.DELEGATION, "payments", "triage")
    assert_refused(doc, events, e.Connect(edge), "only agents hold connections")


def test_connect_from_an_agent_to_an_mcp_server_is_refused(
    doc: Document, events: Recorder
) -> None:
    edge = m.Edge(m.EdgeKind.TOOL_ACCESS, "triage", "crm-mcp")
    assert_refused(doc, events, e.Connect(edge), "cannot connect to an MCP server")


def test_self_delegation_is_refused(doc: Document, events: Recorder) -> None:
    edge = m.Edge(m.EdgeKind.DELEGATION, "triage", "triage")
    assert_refused(doc, events, e.Connect(edge), "cannot delegate to itself")


def test_a_duplicate_edge_is_refused(doc: Document, events: Recorder) -> None:
    edge = m.Edge(m.EdgeKind.DELEGATION, "triage", "refunds")
    assert edge.id in doc.edges
    assert_refused(doc, events, e.Connect(edge), "already connected")


def test_an_edge_of_the_wrong_kind_for_its_ends_is_refused(
    doc: Document, events: Recorder
) -> None:
    edge = m.Edge(m.EdgeKind.ESCALATION, "triage", "payments")
    assert_refused(doc, events, e.Connect(edge), "not")


def test_an_edge_to_a_missing_node_is_refused(doc: Document, events: Recorder) -> None:
    edge = m.Edge(m.EdgeKind.DELEGATION, "triage", "nobody")
    assert_refused(doc, events, e.Connect(edge), "there is no node 'nobody'")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (e.AddNode(m.Agent(id="Bad Id")), "not a valid id"),
        (e.AddNode(m.Agent(id="triage")), "already used"),
        (e.RemoveNode("nobody"), "there is no node"),
        (e.Disconnect("triage:uses:nothing"), "there is no edge"),
        (e.Move("nobody", m.Position(0, 0)), "there is no node"),
        (e.Rename("nobody", "somebody"), "there is no node"),
        (e.Rename("triage", "Not Valid"), "not a valid id"),
        (e.Rename("triage", "refunds"), "already used"),
        (e.SetProperty("nobody", "name", "x"), "there is no node or edge"),
        (e.SetProperty("triage", "colour", "red"), "has no field"),
        (e.SetProperty("triage", "id", "other"), "cannot be set"),
        (e.SetProperty(e.ROSTER, "policy.no_such_limit", 1), "has no field"),
    ],
    ids=["add-bad-id", "add-taken-id", "remove-missing", "disconnect-missing", "move-missing",
         "rename-missing", "rename-to-bad-id", "rename-to-taken-id", "set-on-missing",
         "set-unknown-field", "set-id", "set-unknown-roster-field"],
)
def test_an_edit_that_cannot_apply_is_refused_with_a_reason_and_changes_nothing(
    doc: Document, events: Recorder, edit: e.Edit, reason: str
) -> None:
    assert_refused(doc, events, edit, reason)


def test_a_batch_with_a_failing_edit_changes_nothing(doc: Document, events: Recorder) -> None:
    batch = e.Batch((
        e.AddNode(agent("reviewer")),
        e.Connect(m.Edge(m.EdgeKind.DELEGATION, "triage", "reviewer")),
        e.Connect(m.Edge(m.EdgeKind.DELEGATION, "reviewer", "reviewer")),
    ))
    assert_refused(doc, events, batch, "cannot delegate to itself")


def test_a_batch_is_checked_step_by_step_so_later_edits_see_earlier_ones(doc: Document) -> None:
    batch = e.Batch((
        e.AddNode(agent("reviewer")),
        e.Connect(m.Edge(m.EdgeKind.DELEGATION, "triage", "reviewer")),
        e.Rename("reviewer", "checker"),
        e.SetProperty("triage:delegates_to:checker", "max_rounds", 2),
    ))
    assert_inverse_restores(doc, batch)


# ---------------------------------------------------------------- events and revision


def mirror(event: e.Event) -> type:
    """The event type the inverse of an edit emits for `event`."""
    return {
        e.NodeAdded: e.NodeRemoved, e.NodeRemoved: e.NodeAdded,
        e.EdgeAdded: e.EdgeRemoved, e.EdgeRemoved: e.EdgeAdded,
    }.get(type(event), type(event))


def test_every_event_type_is_named_in_the_past_tense() -> None:
    for event_type in e.Event.__args__:  # type: ignore[attr-defined]
        assert event_type.__name__.endswith(("Added", "Removed", "Changed", "Moved", "Renamed"))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (e.AddNode(m.Agent(id="new")), [e.NodeAdded]),
        (e.Connect(m.Edge(m.EdgeKind.TOOL_ACCESS, "triage", "payments")), [e.EdgeAdded]),
        (e.SetProperty("triage", "name", "Desk"), [e.PropertyChanged]),
        (e.SetProperty("triage:delegates_to:refunds", "max_rounds", 4), [e.EdgeChanged]),
        (e.SetProperty(e.ROSTER, "name", "Other"), [e.RosterChanged]),
        (e.Move("triage", m.Position(1, 1)), [e.NodeMoved]),
        (e.Rename("triage", "desk"), [e.NodeRenamed]),
        (e.Disconnect("triage:delegates_to:refunds"), [e.EdgeRemoved]),
        (e.RemoveNode("triage"),
         [e.EdgeRemoved, e.EdgeRemoved, e.EdgeRemoved, e.RosterChanged, e.NodeRemoved]),
    ],
    ids=["add", "connect", "set-node", "set-edge", "set-roster", "move", "rename",
         "disconnect", "remove-cascade"],
)
def test_edit_emits_past_tense_events_and_its_inverse_emits_the_mirror_events(
    doc: Document, events: Recorder, edit: e.Edit, expected: list[type]
) -> None:
    inverse = doc.apply(edit)
    done = events.take()
    assert [type(x) for x in done] == expected
    doc.apply(inverse)
    undone = events.take()
    assert [type(x) for x in undone] == [mirror(x) for x in reversed(done)]


def test_undo_events_carry_the_values_of_the_mirror_change(
    doc: Document, events: Recorder
) -> None:
    inverse = doc.apply(e.SetProperty("triage", "name", "Desk"))
    (done,) = events.take()
    doc.apply(inverse)
    (undone,) = events.take()
    assert isinstance(done, e.PropertyChanged) and isinstance(undone, e.PropertyChanged)
    assert (undone.old, undone.new, undone.key) == (done.new, done.old, done.key)
    inverse = doc.apply(e.Rename("refunds", "payouts"))
    doc.apply(inverse)
    assert events.take() == [e.NodeRenamed("refunds", "payouts"),
                             e.NodeRenamed("payouts", "refunds")]


def test_revision_counts_each_apply_including_undo_and_batches(doc: Document) -> None:
    assert doc.revision == 0
    inverse = doc.apply(e.SetProperty("triage", "name", "Desk"))
    assert doc.revision == 1
    doc.apply(inverse)
    assert doc.revision == 2
    doc.apply(e.Batch((e.Move("triage", m.Position(0, 1)), e.Move("refunds", m.Position(0, 2)))))
    assert doc.revision == 3


def test_an_unsubscribed_listener_hears_nothing(doc: Document) -> None:
    heard: list[e.Event] = []
    unsubscribe = doc.subscribe(heard.append)
    unsubscribe()
    doc.apply(e.Move("triage", m.Position(3, 3)))
    assert heard == []


def test_content_is_a_snapshot_that_later_edits_do_not_change(doc: Document) -> None:
    content = doc.content()
    text = io.dumps(content)
    doc.apply(e.RemoveNode("refunds"))
    assert io.dumps(content) == text


# ---------------------------------------------------------------- layout positions of absent ids
# The codec keeps positions of ids no node has ("never dropped"); edits that reuse such
# an id must still be undone exactly, the stale position included.


def test_rename_onto_an_id_that_only_has_a_position_is_undone_exactly() -> None:
    doc = Document(RosterContent(nodes={"a": agent("a")},
                                 layout={"a": m.Position(1, 1), "ghost": m.Position(9, 9)}))
    assert_inverse_restores(doc, e.Rename("a", "ghost"))


def test_adding_a_node_whose_id_only_has_a_position_is_undone_exactly() -> None:
    doc = Document(RosterContent(nodes={"a": agent("a")}, layout={"ghost": m.Position(9, 9)}))
    assert_inverse_restores(doc, e.AddNode(agent("ghost")))


# ---------------------------------------------------------------- edges the file allows
# The loader accepts edges a new Connect would refuse (legality is a check finding in a
# file, not a load error); removing them must still be undoable.

ALLOWED_BY_THE_FILE = [
    pytest.param("agents:\n  a:\n    delegates_to: [a]\n", "a:delegates_to:a",
                 id="self-delegation"),
    pytest.param("agents:\n  a:\n    uses:\n      w: {mode: read}\ntools:\n  w: {kind: acme}\n",
                 "a:uses:w", id="unknown-kind-tool"),
    pytest.param("agents:\n  a:\n    escalates_to: [gone]\n", "a:escalates_to:gone",
                 id="dangling-target"),
]


@pytest.mark.parametrize(("body", "edge_id"), ALLOWED_BY_THE_FILE)
def test_disconnecting_an_edge_the_file_allowed_can_be_undone(body: str, edge_id: str) -> None:
    doc = Document(io.loads("format: agent-roster\nversion: 1\n" + body).content)
    assert edge_id in doc.edges
    assert_inverse_restores(doc, e.Disconnect(edge_id))


@pytest.mark.parametrize(("body", "edge_id"), ALLOWED_BY_THE_FILE)
def test_removing_the_agent_of_an_edge_the_file_allowed_can_be_undone(
    body: str, edge_id: str
) -> None:
    doc = Document(io.loads("format: agent-roster\nversion: 1\n" + body).content)
    assert_inverse_restores(doc, e.RemoveNode("a"))


# ---------------------------------------------------------------- property: random edits


def _pick(data: Any, items: list[Any]) -> Any:
    return data.draw(st.sampled_from(items)) if items else None


NEW_NODE = st.sampled_from(["agent", "tool", "human"])
SMALL_TEXT = st.sampled_from(["", "x", "no", "1:20", "é 日本", "two\nlines\n", " pad "])
NUMBER = st.integers(1, 50) | st.floats(0.5, 100)


def _fresh_id(data: Any, doc: Document) -> str:
    base = data.draw(st.sampled_from(["n", "fresh", "z9", "new-node"]))
    suffix = 0
    while f"{base}{suffix}" in doc.nodes or f"{base}{suffix}" in doc.layout:
        suffix += 1
    return f"{base}{suffix}"


def _node_edit(data: Any, doc: Document) -> e.Edit | None:
    ids = list(doc.nodes)
    choice = data.draw(st.sampled_from(["add", "remove", "move", "rename"]))
    if choice == "add":
        node_id = _fresh_id(data, doc)
        kind = data.draw(NEW_NODE)
        node: m.Node = (m.Agent(id=node_id, name=data.draw(SMALL_TEXT)) if kind == "agent"
                        else m.Tool(id=node_id, kind="memory") if kind == "tool"
                        else m.Human(id=node_id, on_timeout="deny"))
        index = data.draw(st.none() | st.integers(0, len(ids)))
        position = data.draw(st.none() | st.builds(m.Position, NUMBER, NUMBER))
        return e.AddNode(node, index, position)
    target = _pick(data, ids)
    if target is None:
        return None
    if choice == "remove":
        return e.RemoveNode(target)
    if choice == "move":
        return e.Move(target, data.draw(st.none() | st.builds(m.Position, NUMBER, NUMBER)))
    return e.Rename(target, _fresh_id(data, doc))


def _edge_edit(data: Any, doc: Document) -> e.Edit | None:
    if data.draw(st.booleans()) and doc.edges:
        return e.Disconnect(_pick(data, list(doc.edges)))
    agents = [i for i, n in doc.nodes.items() if isinstance(n, m.Agent)]
    source = _pick(data, agents)
    if source is None:
        return None
    targets = [t for t in doc.nodes if connection(doc.nodes, doc.edges, source, t).ok]
    target = _pick(data, targets)
    if target is None:
        return None
    kind = connection(doc.nodes, doc.edges, source, target).kind
    assert kind is not None
    index = data.draw(st.none() | st.integers(0, len(doc.edges)))
    return e.Connect(m.Edge(kind, source, target), index)


def _property_edit(data: Any, doc: Document) -> e.Edit | None:
    where = data.draw(st.sampled_from(["node", "edge", "roster"]))
    if where == "roster":
        key, value = data.draw(st.sampled_from([
            ("name", "Renamed"), ("description", "two\nlines"), ("policy.budget_usd_per_run", 3.5),
            ("policy.max_delegation_depth", 2), ("defaults.max_turns", 9),
            ("defaults.model", None), ("entry", []),
        ]))
        return e.SetProperty(e.ROSTER, key, value)
    if where == "edge":
        edge_id = _pick(data, list(doc.edges))
        if edge_id is None:
            return None
        edge = doc.edges[edge_id]
        if edge.kind is m.EdgeKind.DELEGATION:
            return e.SetProperty(edge_id, "max_rounds", data.draw(st.none() | st.integers(1, 9)))
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            return e.SetProperty(edge_id, "approval", data.draw(st.sampled_from(m.APPROVALS)))
        return None
    node_id = _pick(data, [i for i, n in doc.nodes.items() if not isinstance(n, m.Placeholder)])
    if node_id is None:
        return None
    node = doc.nodes[node_id]
    if isinstance(node, m.Agent):
        key, value = data.draw(st.sampled_from([
            ("name", "Renamed agent"), ("max_turns", 5), ("tasks", ["a", "b"]),
            ("clearance", "restricted"), ("instructions", "line\nline\n"), ("model", None)]))
    elif isinstance(node, m.Tool):
        key, value = data.draw(st.sampled_from([
            ("risk", "critical"), ("capabilities", ["financial", "irreversible"]),
            ("vetted", False), ("name", "Tool")]))
    elif isinstance(node, m.Human):
        key, value = data.draw(st.sampled_from([("timeout_s", 60), ("on_timeout", "escalate")]))
    else:
        key, value = data.draw(st.sampled_from([("trust", "untrusted"), ("args", ["-v"])]))
    return e.SetProperty(node_id, key, value)


def random_edit(data: Any, doc: Document, depth: int = 0) -> e.Edit | None:
    family = data.draw(st.sampled_from(["node", "edge", "property", "batch"] if depth == 0
                                       else ["node", "edge", "property"]))
    if family == "node":
        return _node_edit(data, doc)
    if family == "edge":
        return _edge_edit(data, doc)
    if family == "property":
        return _property_edit(data, doc)
    # A batch is built against a scratch copy so each step is legal after the previous.
    scratch = Document(doc.content())
    steps = []
    for _ in range(data.draw(st.integers(1, 3))):
        step = random_edit(data, scratch, depth + 1)
        if step is not None:
            scratch.apply(step)
            steps.append(step)
    return e.Batch(tuple(steps), "random batch") if steps else None


@settings(
    max_examples=max(1, EXAMPLES // 2),
    derandomize=True,
    database=None,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rosters(max_nodes=5), st.data())
def test_any_edit_followed_by_its_inverse_restores_the_document_and_its_bytes(
    content: RosterContent, data: Any
) -> None:
    doc = Document(content)
    recorder = Recorder(doc)
    start = snapshot(doc)
    undo_stack = []
    for _ in range(6):
        edit = random_edit(data, doc)
        if edit is None:
            continue
        before = snapshot(doc)
        inverse = doc.apply(edit)
        after = snapshot(doc)
        done = recorder.take()
        redo = doc.apply(inverse)
        assert snapshot(doc) == before  # undo restores, byte for byte
        assert [type(x) for x in recorder.take()] == [mirror(x) for x in reversed(done)]
        undo_stack.append(doc.apply(redo))
        assert snapshot(doc) == after  # redo gives the same result as the first apply
        recorder.take()
    for inverse in reversed(undo_stack):
        doc.apply(inverse)
    assert snapshot(doc) == start  # undoing everything returns to the loaded roster
