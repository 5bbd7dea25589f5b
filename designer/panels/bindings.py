"""Ties each generated editor to one place in the document: a node's or an edge's field.

A `Binding` reads the value to show and turns an editor's committed value into
what `SetProperty` stores: an unset field takes its dataclass default ("" for
a name, () for a list), a sandbox or annotations mapping becomes its frozen
value type, and a tool's `config` keeps the keys no editor shows. This module
also picks the specs per node and edge type (a tool's config fields come from
its kind); roster_settings.py builds the roster-wide bindings the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Final

from designer.controller import RosterController
from designer.panels.editor_base import UNSET, PropertyEditor
from designer.panels.property_widgets import INHERIT
from runtime.roster import model as m
from runtime.roster import props as p
from runtime.roster.kinds import tool_kind

EditorMaker = Callable[[p.PropSpec, str], PropertyEditor]
"""Builds the editor for a spec, given the text of its unset state."""

Holder = m.Agent | m.Tool | m.Human | m.McpServer | m.Placeholder | m.Edge

INHERITED: Final = frozenset(spec.name for spec in p.DEFAULTS_PROPS)
"""Agent fields that fall back to the roster's defaults when unset."""

_VALUE_TYPES: Final[Mapping[str, type]] = {"sandbox": m.Sandbox, "annotations": m.Annotations}


@dataclasses.dataclass(frozen=True, slots=True)
class Binding:
    key: str  # "name", "defaults.model", "providers.anthropic.api_key"
    editor: PropertyEditor
    read: Callable[[], Any]
    write: Callable[[Any, bool], None]  # (committed value, merge with the last step)
    section: str = ""  # a group heading in the form, "" for the main form


def unset_text(spec: p.PropSpec, *, inherits: bool = False) -> str:
    if inherits:
        return INHERIT
    return UNSET if spec.default is None else f"(default: {spec.default})"


def field_default(holder: Any, key: str) -> Any:
    """The value a dataclass field has when the file does not mention it."""
    for f in dataclasses.fields(holder):
        if f.name == key:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
    return None


def stored_value(holder: Any, spec: p.PropSpec, value: Any) -> Any:
    """What SetProperty should store for an editor's committed `value` (None = unset)."""
    if spec.name == "config" and spec.nested:
        shown = {s.name for s in spec.nested}
        return _merged(getattr(holder, "config", m.EMPTY), value or {}, shown)
    if value is None:
        return field_default(holder, spec.name)
    value_type = _VALUE_TYPES.get(spec.name)
    if value_type is not None and isinstance(value, Mapping):
        return value_type(**value)
    return value


def _merged(old: Mapping[str, Any], new: Mapping[str, Any], shown: set[str]) -> dict[str, Any]:
    """`old` with the shown keys replaced by `new`, in the file's key order."""
    out = {k: (new[k] if k in shown else v) for k, v in old.items() if k not in shown or k in new}
    out.update((k, v) for k, v in new.items() if k not in out)
    return out


def node_specs(node: m.Node) -> tuple[p.PropSpec, ...]:
    if isinstance(node, m.Agent):
        return p.AGENT_PROPS
    if isinstance(node, m.Human):
        return p.HUMAN_PROPS
    if isinstance(node, m.McpServer):
        return p.MCP_SERVER_PROPS
    if isinstance(node, m.Tool):
        kind = tool_kind(node.kind)
        config = kind.config if kind is not None else ()
        # `kind` shows in the header: changing it would be a different node.
        return tuple(
            dataclasses.replace(spec, nested=config) if spec.name == "config" else spec
            for spec in p.TOOL_PROPS if spec.name != "kind"
        )
    return ()  # a placeholder is kept verbatim, never edited field by field


def edge_specs(edge: m.Edge) -> tuple[p.PropSpec, ...]:
    if edge.kind is m.EdgeKind.TOOL_ACCESS:
        return p.GRANT_PROPS
    if edge.kind is m.EdgeKind.DELEGATION:
        return p.DELEGATION_PROPS
    return ()


def item_bindings(controller: RosterController, item: Holder, make: EditorMaker) -> list[Binding]:
    """Bindings for every editable field of one node or edge."""
    specs = edge_specs(item) if isinstance(item, m.Edge) else node_specs(item)
    inherits = isinstance(item, m.Agent)
    return [
        _item_binding(controller, item.id, spec,
                      make(spec, unset_text(spec, inherits=inherits and spec.name in INHERITED)))
        for spec in specs
    ]


def _item_binding(controller: RosterController, item_id: str, spec: p.PropSpec,
                  editor: PropertyEditor) -> Binding:
    def holder() -> Any:
        document = controller.document
        return document.nodes.get(item_id) or document.edges.get(item_id)

    def read() -> Any:
        current = holder()
        return None if current is None else getattr(current, spec.name)

    def write(value: Any, merge: bool) -> None:
        current = holder()
        if current is not None:
            stored = stored_value(current, spec, value)
            controller.set_property(item_id, spec.name, stored, merge=merge)

    return Binding(spec.name, editor, read, write)
