"""Asking a human during a run: one question as a durable step, and the backup chain.

`HumanAsker.ask` puts one `ApprovalRequest` to the run's approval channel as a
step (so a durable runner keeps a pending question pending across a crash),
bounded by the human's `timeout_s`; a channel that fails denies (fail closed).
`ask_chain` asks the first human of a grant's approvers and, when the question
times out and that human's `on_timeout` is "escalate", their backup, never
the same human twice. Both report `ApprovalRequested` / `ApprovalAnswered`.
The engine uses it for tool approvals, escalation questions and overload
pauses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from runtime.engine import events as ev
from runtime.engine.protocols import (
    ApprovalChannel,
    ApprovalDecision,
    ApprovalRequest,
    StepRunner,
)
from runtime.engine.redact import Redactor
from runtime.engine.serial import decode_decision, encode_decision
from runtime.roster import model as m

Emit = Callable[..., None]


class HumanAsker:
    def __init__(self, nodes: Mapping[str, m.Node], run_id: str, approvals: ApprovalChannel,
                 steps: StepRunner, emit: Emit, redactor: Redactor) -> None:
        self._nodes, self._run_id, self._approvals = nodes, run_id, approvals
        self._steps, self._emit, self._redactor = steps, emit, redactor

    async def ask_chain(self, frame: str, agent: str, humans: tuple[str, ...], tool_id: str,
                        call_id: str, arguments: dict[str, Any], risk: str) -> ApprovalDecision:
        human_id: str | None = humans[0]
        seen: set[str] = set()
        decision = ApprovalDecision(False, "nobody", timed_out=True)
        while human_id is not None and human_id not in seen:
            seen.add(human_id)
            decision = await self.ask(frame, agent, human_id, tool_id,
                                      f"{agent} wants to use {tool_id}", call_id, arguments, risk)
            human = self._nodes.get(human_id)
            if not decision.timed_out or not isinstance(human, m.Human):
                return decision
            human_id = human.backup if human.on_timeout == "escalate" else None
        return decision

    async def ask(self, frame: str, agent: str, human_id: str, tool: str, reason: str,
                  call_id: str, arguments: dict[str, Any], risk: str) -> ApprovalDecision:
        human = self._nodes.get(human_id)
        timeout = human.timeout_s if isinstance(human, m.Human) else None
        request = ApprovalRequest(f"{call_id}:{human_id}", self._run_id, agent, human_id, tool,
                                  self._redactor.value(arguments), reason, risk, timeout)
        self._emit(ev.ApprovalRequested, request_id=request.request_id, agent=agent,
                   human=human_id, tool=request.tool, arguments=request.arguments,
                   reason=reason, risk=risk, timeout_s=timeout)

        async def wait() -> ApprovalDecision:
            try:
                async with asyncio.timeout(timeout):
                    return await self._approvals.ask(request)
            except TimeoutError:
                return ApprovalDecision(False, "timeout", timed_out=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broken channel denies (fail closed)
                return ApprovalDecision(False, "channel", f"approval channel failed: {exc}")

        decision = await self._steps.run(f"{frame}/approval/{request.request_id}", "approval",
                                         wait, encode_decision, decode_decision)
        self._emit(ev.ApprovalAnswered, request_id=request.request_id, human=human_id,
                   decision="timeout" if decision.timed_out else (
                       "approve" if decision.approved else "deny"),
                   by=decision.by, note=self._redactor(decision.note))
        return decision


__all__ = ["HumanAsker"]
