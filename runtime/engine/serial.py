"""Plain-JSON forms of step results (model responses, tool results, approval decisions),
for step records and the journal."""

from __future__ import annotations

from typing import Any

from runtime.engine.protocols import ApprovalDecision, ModelResponse, ToolResult
from runtime.roster.costs import Usage

_USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", "cache_read_tokens")


def encode_usage(usage: Usage) -> dict[str, int]:
    return {name: getattr(usage, name) for name in _USAGE_FIELDS}


def decode_usage(data: dict[str, Any]) -> Usage:
    return Usage(**{name: int(data.get(name, 0)) for name in _USAGE_FIELDS})


def encode_response(response: ModelResponse) -> dict[str, Any]:
    return {"content": response.content, "stop_reason": response.stop_reason,
            "usage": encode_usage(response.usage), "model": response.model,
            "retries": response.retries}


def decode_response(data: dict[str, Any]) -> ModelResponse:
    return ModelResponse(list(data["content"]), str(data["stop_reason"]),
                         decode_usage(data["usage"]), str(data["model"]),
                         int(data.get("retries", 0)))


def encode_result(result: ToolResult) -> dict[str, Any]:
    return {"content": result.content, "is_error": result.is_error}


def decode_result(data: dict[str, Any]) -> ToolResult:
    return ToolResult(str(data["content"]), bool(data["is_error"]))


def encode_decision(decision: ApprovalDecision) -> dict[str, Any]:
    return {"approved": decision.approved, "by": decision.by, "note": decision.note,
            "timed_out": decision.timed_out}


def decode_decision(data: dict[str, Any]) -> ApprovalDecision:
    return ApprovalDecision(bool(data["approved"]), str(data["by"]), str(data.get("note", "")),
                            bool(data.get("timed_out", False)))
