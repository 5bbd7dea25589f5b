"""The JSON Schema (draft 2020-12) of workload files: the single source of their structure.

The loader (loader.py) validates a file by interpreting this very schema
(the subset of JSON Schema it uses: types, properties, required,
additionalProperties, bounds, enums, items and anyOf), so editor validation
and the loader cannot drift apart; a test checks the shipped
resources/schema/workload.schema.json equals `build_schema()`. Checks the
schema cannot express (an id that must exist in the roster, p95 ≥ p50, a
delegation the roster does not have) are the loader's.
"""

from __future__ import annotations

import json
from typing import Any, Final

from runtime.forecast.calendar import DAY_NAMES
from runtime.forecast.workload import FORMAT_NAME, FORMAT_VERSION, ON_TIMEOUT

SCHEMA_ID: Final = "https://agent-roster.invalid/schema/workload-v1.json"
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
MAX_TASKS_PER_DAY: Final = 10_000_000


def _number(help_text: str, minimum: float = 0, maximum: float | None = None,
            exclusive: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "number", "description": help_text}
    out["exclusiveMinimum" if exclusive else "minimum"] = minimum
    if maximum is not None:
        out["maximum"] = maximum
    return out


def _dist(help_text: str) -> dict[str, Any]:
    return {
        "description": help_text + " A number (fixed), {p50, p95} (lognormal) or {mean} "
        "(exponential).",
        "anyOf": [
            {"type": "number", "minimum": 0},
            {"type": "object", "additionalProperties": False, "required": ["p50", "p95"],
             "properties": {"p50": {"type": "number", "exclusiveMinimum": 0},
                            "p95": {"type": "number", "exclusiveMinimum": 0}}},
            {"type": "object", "additionalProperties": False, "required": ["mean"],
             "properties": {"mean": {"type": "number", "exclusiveMinimum": 0}}},
        ],
    }


def _by_id(value: dict[str, Any], help_text: str) -> dict[str, Any]:
    return {"type": "object", "description": help_text, "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": value}


_HOURS: Final = {
    "description": "When work happens: 'always', or hours of the day on some weekdays.",
    "anyOf": [
        {"type": "string", "enum": ["always"]},
        {"type": "object", "additionalProperties": False, "required": ["start", "end"],
         "properties": {
             "start": _number("Opening hour (0-24, e.g. 9 or 8.5).", 0, 24),
             "end": _number("Closing hour (0-24, after start).", 0, 24),
             "days": {"type": "array", "items": {"type": "string", "enum": list(DAY_NAMES)},
                      "minItems": 1, "uniqueItems": True,
                      "description": "Working days (default mon-fri)."},
         }},
    ],
}

_AGENT: Final = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string", "description": "Model for this forecast (default: the "
                  "roster's)."},
        "calls": _number("Mean model calls per visit (at least 1).", 1),
        "input_tokens": _dist("Prompt tokens per call."),
        "output_tokens": _dist("Output tokens per call."),
        "cached_fraction": _number("Share of prompt tokens read from the cache.", 0, 1),
        "seconds_per_call": _dist("Seconds one model call takes."),
        "concurrency": {"type": "integer", "minimum": 1,
                        "description": "Visits of this agent that can run at once."},
        "delegates": _by_id(_number("Probability per visit.", 0, 1),
                            "Probability, per visit, of handing work to each delegate."),
        "escalates": _by_id(_number("Probability per visit.", 0, 1),
                            "Probability, per visit, of asking each human."),
        "tools": _by_id(_number("Mean calls per visit."),
                        "Mean calls per visit of each granted tool."),
        "max_parallel_delegations": {
            "type": "integer", "minimum": 1, "maximum": 256,
            "description": "Delegations of one visit that run at once (default: the roster's "
            "max_parallel_delegations, else 1)."},
        "deny": _by_id(_number("Probability that a request at this gate is denied.", 0, 1),
                       "Denial probability per gate: a human this agent escalates to, or a "
                       "tool whose calls need approval; overrides the human's deny."),
    },
}

_HUMAN: Final = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "response_s": _dist("Working seconds to answer one request."),
        "reviewers": {"type": "integer", "minimum": 1,
                      "description": "People answering in parallel."},
        "hours": _HOURS,
        "deny": _number("Probability that an answered request is denied (default 0).", 0, 1),
        "timeout_s": {"description": "Seconds after which a request times out (default: the "
                      "roster's timeout_s); null for never.",
                      "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}]},
        "on_timeout": {"type": "string", "enum": list(ON_TIMEOUT),
                       "description": "What a timed-out request becomes (default: the "
                       "roster's on_timeout, else deny)."},
        "backup": {"type": "string", "description": "The human a timed-out request escalates "
                   "to with on_timeout: escalate (default: the roster's backup)."},
    },
}


def build_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Agent Roster workload",
        "description": "What a roster's forecast assumes: arrivals, work per agent visit, "
        "human reviewers, rate limits. Anything left out is derived from the roster.",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "version"],
        "properties": {
            "format": {"type": "string", "enum": [FORMAT_NAME]},
            "version": {"type": "integer", "enum": [FORMAT_VERSION]},
            "name": {"type": "string"},
            "roster": {"type": "string", "description": "The roster file this workload is for "
                       "(relative to this file); informative."},
            "tasks_per_day": _number("Tasks arriving per day on which tasks arrive.", 0,
                                     MAX_TASKS_PER_DAY, exclusive=True),
            "arrival": {"type": "object", "additionalProperties": False,
                        "properties": {"hours": _HOURS}},
            "mix": _by_id(_number("Relative weight.", 0),
                          "Share of tasks entering at each entry agent (weights)."),
            "api_tier": {"description": "Anthropic usage tier whose limits apply to models "
                         "without a rate_limits entry; null for none.",
                         "anyOf": [{"type": "integer", "minimum": 1, "maximum": 4},
                                   {"type": "null"}]},
            "rate_limits": _by_id(
                {"type": "object", "additionalProperties": False,
                 "required": ["requests_per_minute", "output_tokens_per_minute"],
                 "properties": {
                     "requests_per_minute": _number("Requests per minute.", 0, None, True),
                     "output_tokens_per_minute": _number("Output tokens per minute.", 0, None,
                                                         True),
                 }},
                "Token buckets by model id or model tier (economy, standard, premium, "
                "frontier).",
            ),
            "agents": _by_id(_AGENT, "Work per visit of each agent."),
            "tools": _by_id({"type": "object", "additionalProperties": False,
                             "properties": {"seconds": _dist("Seconds one call takes.")}},
                            "Latency of each tool."),
            "humans": _by_id(_HUMAN, "Each human's reviewers, answer time, working hours, "
                             "denials and timeouts."),
        },
    }


def schema_text() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
