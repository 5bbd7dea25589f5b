"""A scripted provider: model turns played from a script, for dry runs and tests.

Each agent has a queue of turns. A turn is either plain text (a final answer)
or a list of actions: `("tool", name, input)`, `("delegate", agent, task)`,
`("ask", human, question)` or `("text", words)`. Usage is taken from the turn or
derived from text length (about four characters a token), so costs are
realistic without any tokens being spent. A turn may also be a callable that
receives the request and returns a `ModelResponse`, for rule-based behaviour.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.protocols import ModelRequest, ModelResponse, ProviderError
from runtime.engine.run import DELEGATE_PREFIX, ESCALATE_PREFIX
from runtime.roster.costs import Usage

Action = tuple[str, ...] | tuple[str, str, Any]


@dataclass
class Turn:
    actions: list[Action] = field(default_factory=list)
    usage: Usage | None = None
    delay_s: float = 0.0
    fail: str | None = None  # raise a ProviderError with this message


TurnLike = str | Turn | list[Action] | Callable[[ModelRequest], ModelResponse]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ScriptedProvider:
    def __init__(self, scripts: dict[str, Sequence[TurnLike]],
                 default: TurnLike = "Done.") -> None:
        self._queues = {agent: list(turns) for agent, turns in scripts.items()}
        self._default = default
        self._ids = itertools.count(1)
        self.requests: list[ModelRequest] = []

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        queue = self._queues.get(request.agent)
        turn: TurnLike = queue.pop(0) if queue else self._default
        if callable(turn) and not isinstance(turn, Turn | list | str):
            return turn(request)
        if isinstance(turn, str):
            turn = Turn([("text", turn)])
        elif isinstance(turn, list):
            turn = Turn(turn)
        if turn.delay_s:
            await asyncio.sleep(turn.delay_s)
        if turn.fail:
            raise ProviderError(turn.fail, status=500)
        content: list[dict[str, Any]] = []
        for action in turn.actions:
            kind = action[0]
            if kind == "text":
                content.append({"type": "text", "text": str(action[1])})
                continue
            name = {"tool": "", "delegate": DELEGATE_PREFIX, "ask": ESCALATE_PREFIX}[kind]
            name += str(action[1])
            payload = action[2] if len(action) > 2 else {}
            if kind == "delegate":
                payload = {"task": payload}
            elif kind == "ask":
                payload = {"question": payload}
            content.append({"type": "tool_use", "id": f"toolu_{next(self._ids):06d}",
                            "name": name, "input": payload})
        prompt = request.system + "".join(str(m["content"]) for m in request.messages)
        written = "".join(str(b.get("text", b.get("input", ""))) for b in content)
        usage = turn.usage or Usage(input_tokens=_tokens(prompt), output_tokens=_tokens(written))
        stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
        return ModelResponse(content, stop, usage, request.model)
