"""Roster data ⇄ plain YAML values, for the current format version.

`decode` turns the parsed mapping of a (migrated) roster file into
`RosterContent`: roster settings, nodes by id in file order, edges and the
layout. `encode` is its inverse and fixes the output shape: sections in
FORMAT order, fields in spec order, grants and positions on one line. Edges
are stored on the agent that holds them, as in the file. A tool of a kind
nobody registered becomes a `Placeholder` holding its raw mapping, so it is
written back untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

from runtime.roster import fields as f
from runtime.roster import model as m
from runtime.roster import props as p
from runtime.roster.kinds import tool_kind
from runtime.roster.props_fast import read_props, write_props
from runtime.roster.yaml_write import Flow

FORMAT_NAME: Final = "agent-roster"
TOP_LEVEL: Final = (
    "format",
    "version",
    "name",
    "description",
    "entry",
    "defaults",
    "policy",
    "providers",
    "audit",
    "agents",
    "tools",
    "mcp_servers",
    "humans",
    "acknowledged",
    "extensions",
    "layout",
)
NODE_SECTIONS: Final = ("agents", "tools", "mcp_servers", "humans")
AGENT_EXTRA: Final = ("output", "delegates_to", "uses", "escalates_to", "extensions")


@dataclass
class RosterContent:
    meta: m.RosterMeta = field(default_factory=m.RosterMeta)
    nodes: dict[str, m.Node] = field(default_factory=dict)
    edges: dict[str, m.Edge] = field(default_factory=dict)
    layout: dict[str, m.Position] = field(default_factory=dict)


# ---------------------------------------------------------------- decoding


def _sandbox(value: Any, path: f.Path) -> m.Sandbox:
    raw = f.expect_mapping(value, path, "sandbox")
    return m.Sandbox(**read_props(raw, p.SANDBOX_PROPS, path, "sandbox"))


def _annotations(value: Any, path: f.Path) -> m.Annotations:
    spec = next(s for s in p.TOOL_PROPS if s.name == "annotations")
    raw = f.expect_mapping(value, path, "annotations")
    return m.Annotations(**read_props(raw, spec.nested, path, "annotations"))


def _decode_agent(agent_id: str, raw: dict[str, Any], path: f.Path, content: RosterContent) -> None:
    values = read_props(raw, p.AGENT_PROPS, path, f"agent '{agent_id}'", extra=AGENT_EXTRA)
    output = raw.get("output")
    if output is not None:
        out = f.expect_mapping(output, (*path, "output"), "output")
        f.check_keys(out, ["schema"], (*path, "output"), "output")
        schema = f.expect_mapping(out.get("schema"), (*path, "output", "schema"), "output schema")
        values["output_schema"] = m.freeze(schema)
    if raw.get("extensions") is not None:
        values["extensions"] = f.read_extensions(raw["extensions"], (*path, "extensions"))
    content.nodes[agent_id] = m.Agent(id=agent_id, **values)
    _decode_edges(agent_id, raw, path, content)


_ID_MATCH: Final = f.ID_PATTERN.match


def _decode_edges(agent_id: str, raw: dict[str, Any], path: f.Path, content: RosterContent) -> None:
    """The agent's delegations, grants and escalations. Plain ids and well-typed grants
    take the short way; anything else goes through the checks that name the problem."""
    edges = content.edges

    def add(kind: m.EdgeKind, target: str, attrs: dict[str, Any], at: f.Path) -> None:
        edge_id = m.edge_id(kind, agent_id, target)
        if edge_id in edges:
            f.fail(at, f"{target!r} is listed twice", hint="remove the repeat")
        edges[edge_id] = m.Edge(kind, agent_id, target, **attrs)

    delegates = raw.get("delegates_to")
    if delegates is not None:
        at = (*path, "delegates_to")
        if not isinstance(delegates, list):
            f.fail(
                at,
                f"expected a list of agent ids, found {f.type_name(delegates)}",
                expected="a list such as [seo, research]",
                hint="write the agent ids in [ ] or as '- id' lines",
            )
        kind = m.EdgeKind.DELEGATION
        for i, item in enumerate(delegates):
            attrs: dict[str, Any] = {}
            if item.__class__ is str and _ID_MATCH(item) is not None:
                target = item  # the common case: a plain, valid id
            else:
                if isinstance(item, dict) and len(item) == 1:
                    ((target, spec),) = item.items()
                    attrs = read_props(
                        f.expect_mapping(spec, (*at, i, target), "delegation"),
                        p.DELEGATION_PROPS,
                        (*at, i, target),
                        "delegation",
                    )
                else:
                    target = item
                f.check_id(target, (*at, i), "delegate")
            add(kind, target, attrs, (*at, i))
    uses = raw.get("uses")
    if uses is not None:
        at = (*path, "uses")
        kind = m.EdgeKind.TOOL_ACCESS
        for tool_id, grant in f.expect_mapping(uses, at, "uses").items():
            grant_at = (*at, tool_id)
            if tool_id.__class__ is not str or _ID_MATCH(tool_id) is None:
                f.check_id(tool_id, grant_at, "tool")
            spec = grant if grant.__class__ is dict else f.expect_mapping(
                grant, grant_at, "tool grant")
            add(kind, tool_id, read_props(spec, p.GRANT_PROPS, grant_at, "tool grant"), grant_at)
    escalates = raw.get("escalates_to")
    if escalates is not None:
        at = (*path, "escalates_to")
        kind = m.EdgeKind.ESCALATION
        for i, human in enumerate(f.string_list(escalates, at)):
            if _ID_MATCH(human) is None:
                f.check_id(human, (*at, i), "human")
            add(kind, human, {}, (*at, i))


def _decode_tool(tool_id: str, raw: dict[str, Any], path: f.Path, content: RosterContent) -> None:
    kind_id = raw.get("kind")
    if not isinstance(kind_id, str):
        f.fail(
            (*path, "kind"),
            f"tool '{tool_id}' needs a 'kind'",
            expected="fs_read, fs_write, http_fetch, sqlite, shell, mcp, memory, email_send "
            "or a plugin kind",
        )
    kind = tool_kind(kind_id)
    if kind is None:
        content.nodes[tool_id] = m.Placeholder(tool_id, "tools", kind_id, m.freeze(raw))
        return
    values = read_props(raw, p.TOOL_PROPS, path, f"tool '{tool_id}'", extra=("extensions",))
    if "sandbox" in values:
        values["sandbox"] = _sandbox(raw["sandbox"], (*path, "sandbox"))
    if "annotations" in values:
        values["annotations"] = _annotations(raw["annotations"], (*path, "annotations"))
    if kind.config and "config" in values:
        config_path = (*path, "config")
        read_props(m.thaw(values["config"]), kind.config, config_path, f"{kind_id} config")
    if raw.get("extensions") is not None:
        values["extensions"] = f.read_extensions(raw["extensions"], (*path, "extensions"))
    content.nodes[tool_id] = m.Tool(id=tool_id, **values)


def _decode_human(human_id: str, raw: dict[str, Any], path: f.Path, content: RosterContent) -> None:
    values = read_props(raw, p.HUMAN_PROPS, path, f"human '{human_id}'", extra=("extensions",))
    if raw.get("extensions") is not None:
        values["extensions"] = f.read_extensions(raw["extensions"], (*path, "extensions"))
    content.nodes[human_id] = m.Human(id=human_id, **values)


def _decode_server(
    server_id: str, raw: dict[str, Any], path: f.Path, content: RosterContent
) -> None:
    values = read_props(
        raw, p.MCP_SERVER_PROPS, path, f"MCP server '{server_id}'", extra=("extensions",)
    )
    if "sandbox" in values:
        values["sandbox"] = _sandbox(raw["sandbox"], (*path, "sandbox"))
    for name, ref in values.get("env", {}).items():
        if not isinstance(ref, str):
            f.fail(
                (*path, "env", name),
                f"expected text, found {f.type_name(ref)}",
                expected="a reference such as keyring:agent-roster/NAME or env:VAR",
                hint="quote the value",
            )
    if raw.get("extensions") is not None:
        values["extensions"] = f.read_extensions(raw["extensions"], (*path, "extensions"))
    content.nodes[server_id] = m.McpServer(id=server_id, **values)


_DECODERS = {
    "agents": _decode_agent,
    "tools": _decode_tool,
    "mcp_servers": _decode_server,
    "humans": _decode_human,
}


def _decode_meta(raw: dict[str, Any]) -> m.RosterMeta:
    values = read_props(
        {k: raw[k] for k in ("name", "description") if k in raw}, p.META_PROPS, (), "roster"
    )
    entry: tuple[str, ...] = ()
    if raw.get("entry") is not None:
        entry = f.string_list(raw["entry"], ("entry",))
    defaults = m.Defaults(
        **read_props(
            f.expect_mapping(raw.get("defaults"), ("defaults",), "defaults"),
            p.DEFAULTS_PROPS,
            ("defaults",),
            "defaults",
        )
    )
    policy_raw = read_props(
        f.expect_mapping(raw.get("policy"), ("policy",), "policy"),
        p.POLICY_PROPS,
        ("policy",),
        "policy",
    )
    if "allowed_models" in policy_raw:
        policy_raw["allowed_models"] = tuple(policy_raw["allowed_models"])
    providers = {}
    for name, spec in f.expect_mapping(raw.get("providers"), ("providers",), "providers").items():
        at = ("providers", name)
        providers[name] = m.Provider(
            **read_props(
                f.expect_mapping(spec, at, "provider"), p.PROVIDER_PROPS, at, f"provider '{name}'"
            )
        )
    audit = None
    if raw.get("audit") is not None:
        audit = m.Audit(
            **read_props(
                f.expect_mapping(raw["audit"], ("audit",), "audit"),
                p.AUDIT_PROPS,
                ("audit",),
                "audit",
            )
        )
    acks = []
    ack_list = raw.get("acknowledged") or []
    if not isinstance(ack_list, list):
        f.fail(
            ("acknowledged",),
            "expected a list of acknowledgements",
            expected="- {rule: R10, subject: ID, by: WHO, reason: WHY}",
        )
    for i, item in enumerate(ack_list):
        ack_at: f.Path = ("acknowledged", i)
        acks.append(
            m.Acknowledgement(
                **read_props(
                    f.expect_mapping(item, ack_at, "acknowledgement"),
                    p.ACK_PROPS,
                    ack_at,
                    "acknowledgement",
                )
            )
        )
    extensions = m.EMPTY
    if raw.get("extensions") is not None:
        extensions = f.read_extensions(raw["extensions"], ("extensions",))
    return m.RosterMeta(
        entry=entry,
        defaults=defaults,
        policy=m.Policy(**policy_raw),
        providers=m.freeze(providers),
        audit=audit,
        acknowledged=tuple(acks),
        extensions=extensions,
        **values,
    )


def decode(raw: dict[str, Any]) -> RosterContent:
    """Typed content of a roster mapping whose envelope has already been checked."""
    f.check_keys(raw, TOP_LEVEL, (), "the roster")
    content = RosterContent(meta=_decode_meta(raw))
    for section in NODE_SECTIONS:
        for node_id, node_raw in f.expect_mapping(raw.get(section), (section,), section).items():
            path: f.Path = (section, node_id)
            f.check_id(node_id, path, "id")
            if node_id in content.nodes:
                f.fail(
                    path,
                    f"id {node_id!r} is already used in another section",
                    hint="ids are shared by agents, tools, humans and MCP servers; rename one",
                    at_key=True,
                )
            _DECODERS[section](node_id, f.expect_mapping(node_raw, path, node_id), path, content)
    layout = content.layout
    for node_id, pos in f.expect_mapping(raw.get("layout"), ("layout",), "layout").items():
        if pos.__class__ is dict and len(pos) == 2:  # the common case: {x: number, y: number}
            x, y = pos.get("x"), pos.get("y")
            if _finite(x) and _finite(y):
                layout[node_id] = m.Position(float(x), float(y))  # type: ignore[arg-type]
                continue
        at: f.Path = ("layout", node_id)
        pos_map = f.expect_mapping(pos, at, "position")
        f.check_keys(pos_map, ["x", "y"], at, "position")
        xy = [pos_map.get(axis) for axis in ("x", "y")]
        for axis, value in zip(("x", "y"), xy, strict=True):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                f.fail(
                    (*at, axis),
                    f"expected a finite number, found {f.type_name(value)}",
                    expected="a canvas coordinate such as 120 or -40.5",
                    hint="move the node in the designer, or delete this layout entry",
                )
        layout[node_id] = m.Position(float(xy[0]), float(xy[1]))  # type: ignore[arg-type]
    return content


def _finite(value: Any) -> bool:
    """An int or a float that is neither infinite nor NaN (exact types: the short way)."""
    cls = value.__class__
    return cls is int or (cls is float and math.isfinite(value))


# ---------------------------------------------------------------- encoding


def _number(value: float) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _compact(value: Any, depth: int = 0) -> Any:
    """Plain data with small leaf mappings (a schema property) kept on one line."""
    if isinstance(value, dict):
        inner = {k: _compact(v, depth + 1) for k, v in value.items()}
        leafy = all(not isinstance(v, dict) or isinstance(v, Flow) for v in inner.values())
        return Flow(inner) if depth > 0 and leafy else inner
    if isinstance(value, list):
        return [_compact(v, depth + 1) for v in value]
    return value


def _encode_nested(obj: Any, specs: tuple[p.PropSpec, ...]) -> dict[str, Any]:
    return write_props(obj, specs)


def _encode_agent(agent: m.Agent, edges: list[m.Edge]) -> dict[str, Any]:
    out = write_props(agent, p.AGENT_PROPS)
    if agent.output_schema is not None:
        out["output"] = {"schema": _compact(m.thaw(agent.output_schema))}
    delegates: list[Any] = []
    uses: dict[str, Any] = {}
    escalates: list[str] = []
    for edge in edges:
        if edge.kind is m.EdgeKind.DELEGATION:
            attrs = write_props(edge, p.DELEGATION_PROPS)
            delegates.append(Flow({edge.target: Flow(attrs)}) if attrs else edge.target)
        elif edge.kind is m.EdgeKind.TOOL_ACCESS:
            uses[edge.target] = Flow(write_props(edge, p.GRANT_PROPS))
        else:
            escalates.append(edge.target)
    if delegates:
        out["delegates_to"] = delegates
    if uses:
        out["uses"] = uses
    if escalates:
        out["escalates_to"] = escalates
    if agent.extensions:
        out["extensions"] = m.thaw(agent.extensions)
    return out


def _encode_tool(tool: m.Tool) -> dict[str, Any]:
    out = write_props(tool, p.TOOL_PROPS)
    if "input_schema" in out:
        out["input_schema"] = _compact(out["input_schema"])
    if tool.sandbox is not None:
        out["sandbox"] = _encode_nested(tool.sandbox, p.SANDBOX_PROPS)
    if tool.annotations is not None:
        spec = next(s for s in p.TOOL_PROPS if s.name == "annotations")
        out["annotations"] = Flow(_encode_nested(tool.annotations, spec.nested))
    if "config" in out and not out["config"]:
        del out["config"]
    if tool.extensions:
        out["extensions"] = m.thaw(tool.extensions)
    return out


def _encode_node(node: m.Node, edges: list[m.Edge]) -> dict[str, Any]:
    if isinstance(node, m.Agent):
        return _encode_agent(node, edges)
    if isinstance(node, m.Tool):
        return _encode_tool(node)
    if isinstance(node, m.Placeholder):
        return m.thaw(node.raw)  # type: ignore[no-any-return]
    specs = p.HUMAN_PROPS if isinstance(node, m.Human) else p.MCP_SERVER_PROPS
    out = write_props(node, specs)
    if isinstance(node, m.McpServer) and node.sandbox is not None:
        out["sandbox"] = _encode_nested(node.sandbox, p.SANDBOX_PROPS)
    if isinstance(node, m.McpServer) and "env" in out:
        out["env"] = Flow(out["env"])
        if not out["env"]:
            del out["env"]
    if node.extensions:
        out["extensions"] = m.thaw(node.extensions)
    return out


def encode(content: RosterContent, version: int) -> dict[str, Any]:
    meta = content.meta
    out: dict[str, Any] = {"format": FORMAT_NAME, "version": version}
    out.update(write_props(meta, p.META_PROPS))
    if meta.entry:
        out["entry"] = list(meta.entry)
    for key, value, specs in (
        ("defaults", meta.defaults, p.DEFAULTS_PROPS),
        ("policy", meta.policy, p.POLICY_PROPS),
    ):
        fields_set = write_props(value, specs)
        if fields_set:
            out[key] = fields_set
    if meta.providers:
        out["providers"] = {
            name: write_props(prov, p.PROVIDER_PROPS) for name, prov in meta.providers.items()
        }
    if meta.audit is not None:
        out["audit"] = write_props(meta.audit, p.AUDIT_PROPS)
    by_source: dict[str, list[m.Edge]] = {}
    for edge in content.edges.values():
        by_source.setdefault(edge.source, []).append(edge)
    sections: dict[str, dict[str, Any]] = {s: {} for s in NODE_SECTIONS}
    for node in content.nodes.values():
        edges = sorted(by_source.get(node.id, ()), key=_edge_kind_order)
        sections[m.section_of(node)][node.id] = _encode_node(node, edges)
    for section in NODE_SECTIONS:
        if sections[section]:
            out[section] = sections[section]
    if meta.acknowledged:
        out["acknowledged"] = [Flow(write_props(a, p.ACK_PROPS)) for a in meta.acknowledged]
    if meta.extensions:
        out["extensions"] = m.thaw(meta.extensions)
    layout = _encode_layout(content)
    if layout:
        out["layout"] = layout
    return out


_KIND_ORDER: Final = {m.EdgeKind.DELEGATION: 0, m.EdgeKind.TOOL_ACCESS: 1, m.EdgeKind.ESCALATION: 2}


def _edge_kind_order(edge: m.Edge) -> int:
    return _KIND_ORDER[edge.kind]


def _encode_layout(content: RosterContent) -> dict[str, Any]:
    """Positions in the order the node sections are written, then stale ids."""
    layout = content.layout
    out: dict[str, Any] = {}
    for section in NODE_SECTIONS:
        for node in content.nodes.values():
            pos = layout.get(node.id)
            if pos is not None and m.section_of(node) == section:
                out[node.id] = Flow({"x": _number(pos.x), "y": _number(pos.y)})
    for node_id, pos in layout.items():  # positions of ids no node has: kept, never dropped
        if node_id not in out:
            out[node_id] = Flow({"x": _number(pos.x), "y": _number(pos.y)})
    return out
