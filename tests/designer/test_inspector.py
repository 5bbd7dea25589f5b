"""The inspector, driven through its real widgets on the support-triage sample.

Each test types, clicks or picks in the generated editors and checks the
document, the undo stack and what the panel shows afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel

from designer.controller import RosterController
from designer.panels.guarded_editors import SECRET_WARNING
from designer.panels.inspector import InspectorPanel
from runtime.roster import model as m
from runtime.roster.catalog import load_catalog
from runtime.roster.io import load_roster
from tests.conftest import make_anthropic_key

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
GRANT = "refunds:uses:payments"


@pytest.fixture
def controller(qtbot) -> RosterController:
    controller = RosterController()
    controller.open(SAMPLES / "support-triage.roster.yaml")
    return controller


@pytest.fixture
def inspector(qtbot, controller: RosterController) -> InspectorPanel:
    panel = InspectorPanel(controller, load_catalog())
    qtbot.addWidget(panel)
    panel.resize(480, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def retype(qtbot, field, text: str) -> None:
    """Select everything in a line edit or spin box and type `text` over it."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def agent(controller: RosterController, agent_id: str) -> m.Agent:
    node = controller.document.nodes[agent_id]
    assert isinstance(node, m.Agent)
    return node


def test_selecting_an_agent_shows_its_fields(inspector: InspectorPanel) -> None:
    inspector.show_selection(["refunds"])

    assert inspector.header.kind_label.text() == "Agent"
    assert inspector.header.id_label.text() == "refunds"
    assert inspector.editor("name").field.text() == "Refund agent"
    assert inspector.editor("model").field.currentText().startswith("Sonnet 5.5 — standard")
    assert inspector.editor("clearance").field.currentText() == "confidential"
    assert inspector.editor("max_turns").field.text() == "(inherit default)"
    assert inspector.header.entry_box.isVisible() and not inspector.header.entry_box.isChecked()


def test_typing_a_name_is_one_undo_step(qtbot, inspector, controller) -> None:
    inspector.show_selection(["triage"])
    field = inspector.editor("name").field
    before = controller.undo_stack.count()

    retype(qtbot, field, "Front desk")

    assert agent(controller, "triage").name == "Front desk"
    assert controller.undo_stack.count() == before + 1
    assert field.hasFocus() and field.text() == "Front desk"
    controller.undo_stack.undo()
    assert agent(controller, "triage").name == "Ticket classifier"
    assert field.text() == "Ticket classifier"


def test_picking_a_model_sets_it_and_shows_tier_and_price(inspector, controller) -> None:
    inspector.show_selection(["triage"])
    combo = inspector.editor("model").field
    assert combo.currentText() == "(inherit default)"
    assert combo.itemText(0) == "(inherit default)"

    combo.setCurrentIndex(combo.findData("claude-sonnet-5-5"))

    assert agent(controller, "triage").model == "claude-sonnet-5-5"
    assert combo.currentText() == "Sonnet 5.5 — standard · $2.00/$10.00 per M"
    catalog = load_catalog()
    for index in range(1, combo.count()):
        info = catalog.get(combo.itemData(index))
        assert info is not None
        assert combo.itemText(index).endswith("(deprecated)") == info.deprecated


def test_clearing_max_turns_makes_it_unset(qtbot, inspector, controller) -> None:
    inspector.show_selection(["triage"])
    spin = inspector.editor("max_turns").field
    retype(qtbot, spin, "12")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert agent(controller, "triage").max_turns == 12

    retype(qtbot, spin, "")
    qtbot.keyClick(spin, Qt.Key.Key_Delete)
    qtbot.keyClick(spin, Qt.Key.Key_Return)

    assert agent(controller, "triage").max_turns is None
    assert spin.text() == "(inherit default)"


def test_a_key_reference_field_refuses_a_non_reference(qtbot, inspector, controller) -> None:
    inspector.show_selection(["payments"])
    editor = inspector.editor("credential")
    before = controller.undo_stack.count()

    retype(qtbot, editor.field, "hunter2")

    assert controller.document.nodes["payments"].credential == "keyring:agent-roster/payments"
    assert controller.undo_stack.count() == before
    assert "not a credential reference" in editor.problem
    assert editor.field.styleSheet() and editor.field.toolTip() == editor.problem

    retype(qtbot, editor.field, "env:PAYMENTS_KEY")

    assert controller.document.nodes["payments"].credential == "env:PAYMENTS_KEY"
    assert editor.problem == "" and editor.field.styleSheet() == ""


@pytest.mark.parametrize(("selection", "key"), [
    (["payments"], "credential"),
    ([], "providers.anthropic.api_key"),
])
def test_a_pasted_key_is_refused_with_a_warning(qtbot, inspector, controller,
                                                selection, key) -> None:
    inspector.show_selection(selection)
    editor = inspector.editor(key)
    secret = make_anthropic_key()
    saved = controller.document.content()
    before = controller.undo_stack.count()
    clipboard = QApplication.clipboard()
    clipboard.setText(secret)
    try:
        editor.field.setFocus()
        editor.field.selectAll()
        with qtbot.waitSignal(inspector.secret_pasted) as pasted:
            qtbot.keyClick(editor.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    finally:
        clipboard.clear()

    assert pasted.args == [key]
    assert controller.undo_stack.count() == before
    assert controller.document.content() == saved
    assert secret not in editor.field.text()
    assert editor.warning.isVisible() and editor.warning.text() == SECRET_WARNING


def test_a_key_typed_after_a_reference_prefix_is_refused(qtbot, inspector, controller) -> None:
    inspector.show_selection(["payments"])
    editor = inspector.editor("credential")

    retype(qtbot, editor.field, "keyring:agent-roster/")
    editor.field.insert(make_anthropic_key())

    assert controller.document.nodes["payments"].credential == "keyring:agent-roster/payments"
    assert editor.warning.isVisible()


def test_the_wheel_leaves_an_unfocused_number_alone(qtbot, inspector, controller) -> None:
    inspector.show_selection(["triage"])
    spin = inspector.editor("max_turns").field
    centre = QPointF(spin.rect().center())
    wheel = QWheelEvent(centre, spin.mapToGlobal(centre), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)

    QApplication.sendEvent(spin, wheel)

    assert agent(controller, "triage").max_turns is None
    assert spin.text() == "(inherit default)"


def test_an_edge_approval_changes_from_ask_to_allow(qtbot, inspector, controller) -> None:
    inspector.show_selection([GRANT])
    assert inspector.header.kind_label.text() == "Tool access"
    combo = inspector.editor("approval").field
    assert combo.currentText() == "ask"

    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # allow is listed right above ask

    assert controller.document.edges[GRANT].approval == "allow"
    controller.undo_stack.undo()
    assert controller.document.edges[GRANT].approval == "ask"
    assert combo.currentText() == "ask"


def test_roster_settings_are_editable_with_nothing_selected(qtbot, inspector, controller):
    inspector.show_selection([])
    assert inspector.header.kind_label.text() == "Roster"
    spin = inspector.editor("policy.budget_usd_per_run").field
    assert spin.text() == "2"

    retype(qtbot, spin, "5.25")
    qtbot.keyClick(spin, Qt.Key.Key_Return)

    assert controller.document.meta.policy.budget_usd_per_run == 5.25
    retype(qtbot, spin, "7")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert controller.document.meta.policy.budget_usd_per_run == 7
    assert isinstance(controller.document.meta.policy.budget_usd_per_run, int)


def test_a_provider_base_url_is_stored_as_a_new_provider(qtbot, inspector, controller):
    inspector.show_selection([])
    editor = inspector.editor("providers.anthropic.base_url")

    retype(qtbot, editor.field, "not a url")
    assert controller.document.meta.providers["anthropic"].base_url is None
    retype(qtbot, editor.field, "https://gateway.example.com")

    assert controller.document.meta.providers["anthropic"] == m.Provider(
        api_key="keyring:agent-roster/anthropic", base_url="https://gateway.example.com")


def test_undo_and_redo_refresh_the_visible_values(qtbot, inspector, controller) -> None:
    inspector.show_selection(["support-lead"])
    name = inspector.editor("name").field
    on_timeout = inspector.editor("on_timeout").field
    retype(qtbot, name, "Lead")
    on_timeout.setCurrentIndex(on_timeout.findData("escalate"))

    steps = controller.undo_stack.count()

    controller.undo_stack.undo()
    assert on_timeout.currentText() == "deny" and name.text() == "Lead"
    controller.undo_stack.undo()
    assert name.text() == "Support lead"
    controller.undo_stack.redo()
    controller.undo_stack.redo()
    assert name.text() == "Lead" and on_timeout.currentText() == "escalate"
    assert controller.undo_stack.count() == steps  # refreshing never echoed an edit


def test_selecting_another_node_regenerates_the_form(inspector, controller) -> None:
    inspector.show_selection(["triage"])
    assert "instructions" in inspector.keys()

    inspector.show_selection(["payments"])
    assert inspector.header.kind_label.text() == "Tool · MCP tool"
    assert "instructions" not in inspector.keys() and "kind" not in inspector.keys()
    assert inspector.editor("name").field.text() == "Payments"
    assert inspector.editor("server").field.currentText() == "payments-mcp"
    assert not inspector.header.entry_box.isVisible()

    inspector.show_selection(["triage", GRANT])
    assert inspector.keys() == []
    assert inspector.findChild(QLabel, "summary").text() == "2 items selected"


def test_the_form_follows_a_replaced_document(qtbot, inspector, controller) -> None:
    inspector.show_selection(["triage"])
    controller.open(SAMPLES / "content-studio.roster.yaml")

    assert inspector.header.kind_label.text() == "Roster"
    name = inspector.editor("name").field
    assert name.text() == controller.document.meta.name
    retype(qtbot, name, "Studio")
    controller.undo_stack.undo()
    assert name.text() == load_roster(SAMPLES / "content-studio.roster.yaml").content.meta.name


def test_rename_validates_the_id_and_follows_the_node(inspector, controller) -> None:
    inspector.show_selection(["triage"])

    assert "not a valid id" in (inspector.rename_to("Front Desk") or "")
    assert "already used" in (inspector.rename_to("refunds") or "")
    assert inspector.rename_to("front-desk") is None

    assert "front-desk" in controller.document.nodes
    assert inspector.header.id_label.text() == "front-desk"
    assert inspector.header.entry_box.isChecked()  # the entry list followed the rename


def test_the_entry_checkbox_sets_the_entry_agents(qtbot, inspector, controller) -> None:
    inspector.show_selection(["refunds"])
    qtbot.mouseClick(inspector.header.entry_box, Qt.MouseButton.LeftButton)
    assert controller.document.meta.entry == ("triage", "refunds")
    controller.undo_stack.undo()
    assert not inspector.header.entry_box.isChecked()


def test_nested_and_tag_editors_save_and_reload(qtbot, inspector, controller, tmp_path) -> None:
    inspector.show_selection(["payments"])
    network = inspector.editor("sandbox").editors["network"].field
    network.setCurrentIndex(network.findData("none"))
    inspector.editor("capabilities").boxes["code_exec"].click()

    target = tmp_path / "edited.roster.yaml"
    controller.save(target)
    tool = load_roster(target).content.nodes["payments"]
    assert isinstance(tool, m.Tool)
    assert tool.sandbox == m.Sandbox(network="none")
    assert tool.capabilities == (
        "financial", "irreversible", "external_comm", "state_change", "code_exec")


def test_yaml_objects_commit_on_focus_out_only_when_valid(qtbot, inspector, controller) -> None:
    inspector.show_selection(["crm-read"])
    editor = inspector.editor("input_schema")
    before = controller.document.nodes["crm-read"].input_schema

    editor.field.setFocus()
    editor.field.setPlainText("type: [unclosed")
    editor.field.clearFocus()
    assert controller.document.nodes["crm-read"].input_schema == before
    assert editor.error.isVisible() and editor.error.text().startswith("Not saved")

    editor.field.setFocus()
    editor.field.setPlainText("type: object\nproperties: {}\n")
    editor.field.clearFocus()
    assert m.thaw(controller.document.nodes["crm-read"].input_schema) == {
        "type": "object", "properties": {}}
    assert not editor.error.isVisible()


def test_text_left_in_a_field_does_not_leak_into_a_reopened_document(
        qtbot, inspector, controller) -> None:
    inspector.show_selection(["crm-read"])
    field = inspector.editor("input_schema").field
    field.setFocus()
    field.setPlainText("type: string\n")

    controller.open(SAMPLES / "support-triage.roster.yaml")  # File → Revert does this

    assert controller.undo_stack.count() == 0
    assert controller.document.nodes["crm-read"].input_schema["type"] == "object"
