"""A scripted provider: model turns played from a script, for dry runs and tests.

Each agent has a queue of turns. A turn is either plain text (a final answer)
or a list of actions: `("tool", name, input)`, `("delegate", agent, task)`,
`("ask", human, question)` or `("text", words)`. Usage is taken from the turn or
derived from text length (about `chars_per_token` characters a token; a turn's
input or output count left at zero is derived too), so costs are realistic
without any tokens being spent. A turn may also be a callable that
receives the request and returns a `ModelResponse`, or any other turn (text, a
list of actions, a `Turn`) to be played like a queued one: that is how the
simulation plays rule-based behaviour. A queue that runs dry plays `default`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Union

from runtime.engine.protocols import ModelRequest, ModelResponse, ProviderError
from runtime.engine.run import DELEGATE_PREFIX, ESCALATE_PREFIX
from runtime.roster.costs import Usage

Action = tuple[str, ...] | tuple[str, str, Any]
CHARS_PER_TOKEN = 4


@dataclass
class Turn:
    actions: list[Action] = field(default_factory=list)
    usage: Usage | None = None
    delay_s: float = 0.0
    fail: str | None = None  # raise a ProviderError with this message


TurnLike = Union[str, Turn, list[Action], Callable[[ModelRequest], "ModelResponse | TurnLike"]]  # noqa: UP007 (a recursive alias needs Union)


def _tokens(text: str, chars_per_token: int = CHARS_PER_TOKEN) -> int:
    return max(1, len(text) // chars_per_token)


class ScriptedProvider:
    def __init__(self, scripts: dict[str, Sequence[TurnLike]],
                 default: TurnLike = "Done.", *, chars_per_token: int = CHARS_PER_TOKEN) -> None:
        self._queues = {agent: list(turns) for agent, turns in scripts.items()}
        self._default = default
        self._chars_per_token = max(1, chars_per_token)
        self._ids = itertools.count(1)
        self.requests: list[ModelRequest] = []

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        queue = self._queues.get(request.agent)
        played: ModelResponse | TurnLike = queue.pop(0) if queue else self._default
        while callable(played) and not isinstance(played, Turn | list | str):
            played = played(request)
        if isinstance(played, ModelResponse):
            return played
        turn = played
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
        usage = Usage(input_tokens=_tokens(prompt, self._chars_per_token),
                      output_tokens=_tokens(written, self._chars_per_token))
        if turn.usage is not None:  # counts left at zero are derived, the rest are as given
            usage = replace(turn.usage, input_tokens=turn.usage.input_tokens or usage.input_tokens,
                            output_tokens=turn.usage.output_tokens or usage.output_tokens)
        stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
        return ModelResponse(content, stop, usage, request.model)
