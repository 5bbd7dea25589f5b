"""What stands in for the model, the tools and the humans in a dry run.

`provider_for` compiles each agent's script (queued turns or a rule) into one
`ScriptedProvider`, the provider tests and dry runs share; `StubTool` is a
`Tool` that returns canned output (after checking the arguments against the
tool's input schema, as a real MCP server would); `ScriptedAnswers` is the
`ApprovalChannel` that answers as the scenario says. A `timeout` answer raises
`TimeoutError` inside the engine's own wait, so the engine treats it exactly as
a human who never answered, without a dry run waiting hours of real time.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from typing import Any

import jsonschema

from runtime.engine.protocols import (
    ApprovalDecision,
    ApprovalRequest,
    ModelRequest,
    ToolContext,
    ToolResult,
    ToolSpec,
)
from runtime.engine.providers.scripted import Action as ProviderAction
from runtime.engine.providers.scripted import ScriptedProvider, Turn
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.simulation.scenario import INJECTION_TEXT, AgentScript, Scenario, ToolStub, TurnSpec

DEFAULT_ANSWER = "Done."


def _turn(spec: TurnSpec, script: AgentScript) -> Turn:
    actions: list[ProviderAction] = []
    text = spec.final if spec.final is not None else spec.say
    if text:
        actions.append(("text", text))
    actions.extend(a.as_provider_action() for a in spec.actions)
    if not actions and spec.fail is None:
        actions.append(("text", script.final or DEFAULT_ANSWER))
    return Turn(actions, spec.usage or script.usage, spec.delay_s, spec.fail)


def _task_of(request: ModelRequest) -> str:
    first = request.messages[0]["content"] if request.messages else ""
    return first if isinstance(first, str) else json.dumps(first)


class AgentPlayer:
    """Plays one agent: the queued turns first, then its rule, then its final answer."""

    def __init__(self, script: AgentScript) -> None:
        self.script = script
        self._queue = list(script.turns)

    def __call__(self, request: ModelRequest) -> Turn:
        script = self.script
        turn = 1 + sum(1 for x in request.messages if x["role"] == "assistant")
        if script.fail_on_turn == turn:
            return Turn(fail=f"scripted failure of the model call on turn {turn}")
        if self._queue:
            return _turn(self._queue.pop(0), script)
        final = Turn([("text", script.final or DEFAULT_ANSWER)], script.usage)
        if script.route is not None:
            if turn > 1:
                return final
            task = _task_of(request)
            lowered = task.lower()
            for keyword, agent in script.route.keywords:
                if keyword.lower() in lowered:
                    return Turn([("delegate", agent, task)], script.usage)
            return Turn([("text", script.route.otherwise)], script.usage)
        if script.repeat is not None and turn <= script.repeat.times:
            return Turn([script.repeat.action.as_provider_action()], script.usage)
        return final


def provider_for(scenario: Scenario) -> ScriptedProvider:
    players = {agent: AgentPlayer(script) for agent, script in scenario.agents.items()}
    fallback = AgentPlayer(AgentScript())

    def play(request: ModelRequest) -> Turn:
        return players.get(request.agent, fallback)(request)

    return ScriptedProvider({}, default=play)


class StubTool:
    """A roster tool replaced by canned behaviour; counts its calls."""

    def __init__(self, tool: m.Tool, stub: ToolStub, seed: int) -> None:
        self.tool = tool
        self.stub = stub
        schema = dict(m.thaw(tool.input_schema)) if tool.input_schema else {"type": "object"}
        self.spec = ToolSpec(tool.id, tool.description or tool.name or tool.id, schema)
        self._validator = jsonschema.Draft202012Validator(schema) if tool.input_schema else None
        self._seed = f"{seed}:{tool.id}"
        self._rng: random.Random | None = None  # made on first use: most stubs never pick
        self.calls = 0

    def _output(self, arguments: dict[str, Any]) -> str:
        outputs = self.stub.outputs
        if not outputs:
            text = f"[{self.tool.id}] ok: {json.dumps(arguments, sort_keys=True)[:200]}"
        elif self.stub.pick == "random":
            self._rng = self._rng or random.Random(self._seed)
            text = self._rng.choice(outputs)
        else:
            text = outputs[min(self.calls, len(outputs)) - 1]
        return f"{text}\n\n{INJECTION_TEXT}" if self.stub.injection else text

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        self.calls += 1
        if self.stub.latency_s:
            await asyncio.sleep(self.stub.latency_s)
        if self._validator is not None:
            problem = next(iter(self._validator.iter_errors(arguments)), None)
            if problem is not None:
                where = "/".join(str(p) for p in problem.absolute_path) or "input"
                return ToolResult(f"invalid arguments for {self.tool.id} at {where}: "
                                  f"{problem.message}", is_error=True)
        if self.stub.error is not None or self.stub.fail_on_call == self.calls:
            return ToolResult(self.stub.error or f"{self.tool.id} failed on call {self.calls}",
                              is_error=True)
        return ToolResult(self._output(arguments))


def tools_for(content: RosterContent, scenario: Scenario) -> dict[str, StubTool]:
    """A stub for every tool of the roster (the scenario's, or a default that echoes)."""
    return {node.id: StubTool(node, scenario.tools.get(node.id, ToolStub()), scenario.seed)
            for node in content.nodes.values() if isinstance(node, m.Tool)}


class ScriptedAnswers:
    """Answers approvals per human (or '*'): approve, deny, timeout, with an optional note.

    Several answers are used in turn and the last one repeats; a human the
    scenario does not mention denies (fail closed, like an unattended run)."""

    def __init__(self, answers: Mapping[str, tuple[str, ...]]) -> None:
        self._answers = {k: list(v) for k, v in answers.items()}
        self.asked: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> ApprovalDecision:
        self.asked.append(request)
        queue = self._answers.get(request.human) or self._answers.get("*") or ["deny"]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        verb, _, note = answer.partition(":")
        verb = verb.strip()
        if verb == "timeout":
            raise TimeoutError  # the engine's wait turns this into an unanswered request
        return ApprovalDecision(verb == "approve", request.human, note.strip())
