"""Approval channels: who answers when a tool call needs a human.

`DenyChannel` answers every request with deny (unattended runs);
`ScriptedChannel` answers from a script (simulation and tests: approve, deny,
or never answer so the human's timeout applies); `TerminalChannel` shows the
request in the terminal (agent, tool, arguments, why, risk, time left) and
reads y/n, off the event loop so the run keeps going while it waits.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from runtime.engine.protocols import ApprovalDecision, ApprovalRequest


class DenyChannel:
    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        return ApprovalDecision(False, "unattended", "nobody is attending this run")


class ScriptedChannel:
    """Answers by human id (or '*'): 'approve', 'deny', 'deny:NOTE' or 'timeout'."""

    def __init__(self, answers: Mapping[str, str | list[str]]) -> None:
        self._answers = {k: ([v] if isinstance(v, str) else list(v)) for k, v in answers.items()}
        self.asked: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        self.asked.append(request)
        queue = self._answers.get(request.human) or self._answers.get("*") or ["deny"]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer == "timeout":
            await asyncio.Event().wait()  # never answers; the human's timeout decides
        verb, _, note = answer.partition(":")
        return ApprovalDecision(verb == "approve", request.human, note)


class TerminalChannel:
    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 reader: Callable[[], str] | None = None) -> None:
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stderr
        self._reader = reader
        self._lock = asyncio.Lock()

    def _prompt(self, request: ApprovalRequest) -> str:
        args = json.dumps(request.arguments, ensure_ascii=False, indent=2)
        limit = f"{request.timeout_s:g} s" if request.timeout_s else "no limit"
        return (f"\n── approval needed ({request.human}) ──\n"
                f"agent:  {request.agent}\ntool:   {request.tool} (risk: {request.risk})\n"
                f"why:    {request.reason}\nargs:   {args}\ntime:   {limit}\n"
                "approve? [y/N, or 'n: note to the agent'] ")

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        async with self._lock:  # one question on the terminal at a time
            self._out.write(self._prompt(request))
            self._out.flush()
            read = self._reader or self._in.readline
            line = (await asyncio.to_thread(read)).strip()
        answer, _, note = line.partition(":")
        approved = answer.strip().lower() in ("y", "yes")
        return ApprovalDecision(approved, f"{request.human} (terminal)", note.strip())
