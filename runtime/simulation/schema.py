"""The JSON Schema of scenario files, the one structural definition the loader checks against.

The loader validates every file with this schema before it builds the
scenario, so the schema shipped in resources/schema/scenario.schema.json
(written by `schema_text`, compared in the tests) and the loader cannot
disagree. Cross-references to the roster (agent, tool and human ids) are
checked later, against the roster the scenario runs on.
"""

from __future__ import annotations

import json
from typing import Any, Final

from runtime.simulation.scenario import (
    ANSWERS,
    CURRENT_VERSION,
    FORMAT_NAME,
    SCENARIO_KINDS,
    STATUSES,
    STOPS,
)

SCHEMA_ID: Final = "https://agent-roster.dev/schema/scenario.schema.json"
_ID: Final = {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$"}
_TEXT: Final = {"type": "string"}
_IDS: Final = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
_SECONDS: Final = {"type": "number", "minimum": 0, "maximum": 3600}


def _object(properties: dict[str, Any], required: list[str] | None = None,
            **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "additionalProperties": False, **extra}
    if required:
        out["required"] = required
    return out


USAGE: Final = _object({
    "input_tokens": {"type": "integer", "minimum": 0},
    "output_tokens": {"type": "integer", "minimum": 0},
    "cache_read_tokens": {"type": "integer", "minimum": 0},
}, description="Token usage of a turn; omitted, it is derived from the text length.")

_ACTION_PROPS: Final = {
    "tool": {**_TEXT, "description": "call this tool (its id in the roster)"},
    "input": {"type": "object", "description": "the tool's arguments"},
    "delegate": {**_TEXT, "description": "delegate to this agent"},
    "message": {**_TEXT, "description": "the task handed to the delegate"},
    "ask": {**_TEXT, "description": "ask this human"},
    "question": _TEXT,
}
# A turn (or a repeat) may carry one action inline: at most one of tool, delegate, ask, and
# each payload key only with its action.
_ONE_ACTION: Final[dict[str, Any]] = {
    "not": {"anyOf": [{"required": ["tool", "delegate"]}, {"required": ["tool", "ask"]},
                      {"required": ["delegate", "ask"]}]},
    "dependentRequired": {"input": ["tool"], "message": ["delegate"], "question": ["ask"]},
}
ACTION: Final = _object(_ACTION_PROPS, **_ONE_ACTION, oneOf=[
    {"required": ["tool"], "not": {"anyOf": [{"required": ["delegate"]},
                                             {"required": ["ask"]}]}},
    {"required": ["delegate"], "not": {"anyOf": [{"required": ["tool"]},
                                                 {"required": ["ask"]}]}},
    {"required": ["ask"], "not": {"anyOf": [{"required": ["tool"]},
                                            {"required": ["delegate"]}]}},
])

TURN: Final = _object({
    **_ACTION_PROPS,
    "actions": {"type": "array", "items": ACTION, "minItems": 1,
                "description": "several tool_use blocks in one turn (they run concurrently)"},
    "say": {**_TEXT, "description": "text written alongside the actions"},
    "final": {**_TEXT, "description": "the final answer; ends the agent"},
    "fail": {**_TEXT, "description": "the model call fails with this message"},
    "usage": USAGE,
    "delay_s": _SECONDS,
}, minProperties=1, **_ONE_ACTION)

AGENT: Final = _object({
    "turns": {"type": "array", "items": TURN,
              "description": "played in order across every invocation of the agent"},
    "route": _object({
        "keywords": {"type": "object", "additionalProperties": _ID, "minProperties": 1,
                     "description": "keyword → agent; the first keyword found in the task "
                                    "decides (case-insensitive)"},
        "otherwise": _TEXT,
    }, ["keywords"]),
    "repeat": _object({**_ACTION_PROPS, "times": {"type": "integer", "minimum": 1,
                                                  "maximum": 1000}}, ["times"], **_ONE_ACTION),
    "fail_on_turn": {"type": "integer", "minimum": 1},
    "final": {**_TEXT, "description": "the answer once turns and rules have run out"},
    "usage": USAGE,
})

TOOL: Final = _object({
    "output": _TEXT,
    "outputs": {"type": "array", "items": _TEXT, "minItems": 1},
    "pick": {"enum": ["sequence", "random"]},
    "error": {**_TEXT, "description": "every call fails with this message"},
    "fail_on_call": {"type": "integer", "minimum": 1},
    "latency_s": _SECONDS,
    "injection": {"type": "boolean",
                  "description": "append prompt-injection text to the output"},
})

_ANSWER: Final = {"type": "string", "pattern": "^(" + "|".join(ANSWERS) + r")(\s*:.*)?$"}

EXPECT: Final = _object({
    "status": {"enum": list(STATUSES)},
    "tools_called": _IDS,
    "tools_not_called": _IDS,
    "tools_denied": _IDS,
    "approvals_requested": _IDS,
    "delegation_path": {"type": "array", "items": _ID, "minItems": 2},
    "max_usd": {"type": "number", "minimum": 0},
    "max_model_calls": {"type": "integer", "minimum": 1},
    "no_policy_violation": {"type": "boolean"},
    "stopped_by": {"type": "array", "items": {"enum": list(STOPS)}, "minItems": 1,
                   "uniqueItems": True},
})

SCENARIO_SCHEMA: Final = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Agent Roster scenario",
    "description": "A token-free dry run of a roster: the task, scripted model turns, tool "
                   "stubs, human answers and what must happen. See docs/scenarios.md.",
    **_object({
        "format": {"const": FORMAT_NAME},
        "version": {"const": CURRENT_VERSION},
        "name": {"type": "string", "minLength": 1},
        "description": _TEXT,
        "roster": {**_TEXT, "description": "the roster file it was written for"},
        "task": {"type": "string", "minLength": 1},
        "entry": _ID,
        "seed": {"type": "integer", "minimum": 0},
        "kind": {"enum": list(SCENARIO_KINDS), "description": "who wrote it: a person (written) or "
                 "`roster simulate --generate` (coverage, adversarial)"},
        "max_usd": {"type": "number", "exclusiveMinimum": 0},
        "unattended": {"type": "boolean"},
        "agents": {"type": "object", "additionalProperties": AGENT},
        "tools": {"type": "object", "additionalProperties": TOOL},
        "humans": {"type": "object", "additionalProperties": {
            "oneOf": [_ANSWER, {"type": "array", "items": _ANSWER, "minItems": 1}]}},
        "expect": EXPECT,
    }, ["format", "version", "name", "task", "expect"]),
}


def schema_text() -> str:
    """The schema as the bytes of resources/schema/scenario.schema.json."""
    return json.dumps(SCENARIO_SCHEMA, indent=2, ensure_ascii=False) + "\n"
