"""The JSON Schema (draft 2020-12) of the roster file, generated from the property specs.

The schema is derived from the same `PropSpec` declarations the loader
enforces, so the two cannot drift apart; a test checks that the shipped
resources/schema/roster.schema.json equals `build_schema()` and that every
sample and fixture is judged alike by both. Editors use it for completion
and inline validation (`# yaml-language-server: $schema=...`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from runtime.roster import props as p
from runtime.roster.codec import FORMAT_NAME
from runtime.roster.fields import ID_PATTERN
from runtime.roster.kinds import BUILTIN_TOOL_KINDS
from runtime.roster.migrations import CURRENT_VERSION

SCHEMA_ID = "https://agent-roster.invalid/schema/roster-v1.json"
ID_REGEX = ID_PATTERN.pattern.removesuffix(r"\Z")
REF_REGEX = (r"^(keyring:[A-Za-z0-9][A-Za-z0-9._-]{0,127}/[A-Za-z0-9][A-Za-z0-9._@-]{0,127}"
             r"|env:[A-Za-z_][A-Za-z0-9_]{0,254})$")


def _prop(spec: p.PropSpec) -> dict[str, Any]:
    t = spec.type
    out: dict[str, Any]
    if t in (p.PropType.STRING, p.PropType.MULTILINE, p.PropType.MODEL, p.PropType.URL):
        out = {"type": "string"}
    elif t is p.PropType.ID_REF:
        out = {"type": "string", "pattern": f"^{ID_REGEX}$"}
    elif t is p.PropType.CHOICE:
        out = {"type": "string"}
        if spec.choices:
            out["enum"] = list(spec.choices)
    elif t in (p.PropType.INT, p.PropType.NUMBER):
        out = {"type": "integer" if t is p.PropType.INT else "number"}
        if spec.minimum is not None:
            out["exclusiveMinimum" if spec.exclusive_minimum else "minimum"] = spec.minimum
        if spec.maximum is not None:
            out["maximum"] = spec.maximum
    elif t is p.PropType.BOOL:
        out = {"type": "boolean"}
    elif t in (p.PropType.STRING_LIST, p.PropType.PATH_LIST):
        out = {"type": "array", "items": {"type": "string"}}
    elif t is p.PropType.TAGS:
        items: dict[str, Any] = {"type": "string"}
        if spec.choices:
            items["enum"] = list(spec.choices)
        out = {"type": "array", "items": items, "uniqueItems": True}
    elif t is p.PropType.KEY_REF:
        out = {"type": "string", "pattern": REF_REGEX}
    elif t is p.PropType.SHA256:
        out = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    else:
        out = _object(spec.nested) if spec.nested else {"type": "object"}
    if spec.help:
        out["description"] = spec.help
    if spec.default is not None:
        out["default"] = spec.default
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(
    specs: Sequence[p.PropSpec], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    properties = {spec.name: _nullable(_prop(spec)) if not spec.required else _prop(spec)
                  for spec in specs}
    properties.update(extra or {})
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "additionalProperties": False}
    required = [spec.name for spec in specs if spec.required]
    if required:
        out["required"] = required
    return out


def _ids(value: dict[str, Any]) -> dict[str, Any]:
    return {"type": ["object", "null"], "propertyNames": {"pattern": f"^{ID_REGEX}$"},
            "additionalProperties": value}


def _section(specs: Sequence[p.PropSpec]) -> dict[str, Any]:
    return {"anyOf": [_object(specs), {"type": "null"}]}


def build_schema() -> dict[str, Any]:
    extensions = {"type": ["object", "null"], "propertyNames": {"pattern": "^x-"}}
    grant = {"anyOf": [_object(p.GRANT_PROPS), {"type": "null"}]}
    delegation_item = {"anyOf": [
        {"type": "string", "pattern": f"^{ID_REGEX}$"},
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "propertyNames": {"pattern": f"^{ID_REGEX}$"},
         "additionalProperties": _object(p.DELEGATION_PROPS)},
    ]}
    id_list = {"type": ["array", "null"], "items": {"type": "string", "pattern": f"^{ID_REGEX}$"}}
    agent = _object(p.AGENT_PROPS, {
        "output": {"type": ["object", "null"], "properties": {"schema": {"type": "object"}},
                   "additionalProperties": False},
        "delegates_to": {"type": ["array", "null"], "items": delegation_item},
        "uses": {"type": ["object", "null"], "propertyNames": {"pattern": f"^{ID_REGEX}$"},
                 "additionalProperties": grant},
        "escalates_to": id_list,
        "extensions": extensions,
    })
    known_kinds = [kind.id for kind in BUILTIN_TOOL_KINDS]
    tool = _object(p.TOOL_PROPS, {"extensions": extensions})
    tool["properties"]["kind"] = {"type": "string", "description": "built-in: "
                                  + ", ".join(known_kinds) + "; or a plugin kind"}
    # A tool of a kind no plugin provides is kept as-is, so only known kinds are strict.
    tool_any = {"if": {"properties": {"kind": {"enum": known_kinds}}}, "then": tool,
                "else": {"type": "object", "required": ["kind"],
                         "properties": {"kind": {"type": "string"}}}}
    server = _object(p.MCP_SERVER_PROPS, {"extensions": extensions})
    server["properties"]["env"] = {"type": ["object", "null"],
                                   "additionalProperties": {"type": "string"}}
    human = _object(p.HUMAN_PROPS, {"extensions": extensions})
    position = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x", "y"], "additionalProperties": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Agent Roster file",
        "description": "A roster of AI agents: models, tools, delegation, human gates, policy. "
                       "See docs/format.md.",
        "type": "object",
        "required": ["format", "version"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT_NAME},
            "version": {"type": "integer", "minimum": 1, "maximum": CURRENT_VERSION},
            "name": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]},
            "entry": id_list,
            "defaults": _section(p.DEFAULTS_PROPS),
            "policy": _section(p.POLICY_PROPS),
            "providers": {"type": ["object", "null"],
                          "additionalProperties": _section(p.PROVIDER_PROPS)},
            "audit": _section(p.AUDIT_PROPS),
            "agents": _ids(agent),
            "tools": _ids(tool_any),
            "mcp_servers": _ids(server),
            "humans": _ids(human),
            "acknowledged": {"type": ["array", "null"], "items": _object(p.ACK_PROPS)},
            "extensions": extensions,
            "layout": {"type": ["object", "null"], "additionalProperties": position},
        },
    }


def schema_text() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


__all__ = ["build_schema", "schema_text"]
