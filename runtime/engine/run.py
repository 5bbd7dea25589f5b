"""One run of a roster: the agent loop, delegation, tools behind the policy gate, approvals,
limits and the kill switch.

Each agent is a model loop: call the model with the agent's instructions and
tools, run every tool_use block of the reply concurrently, send the results
back, and stop at a final answer or a limit. Delegation is offered as one tool
per agent it may delegate to (`agent__ID`), escalation as one tool per human
(`ask__ID`). Assistant content goes back verbatim and tool_choice is never
forced. Model calls, tool calls and approvals go through the step runner
under deterministic keys, so a durable runner can resume a run without
repeating completed work. Everything is reported as engine events.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.engine import events as ev
from runtime.engine import overload
from runtime.engine.asking import HumanAsker
from runtime.engine.budget import BudgetExceeded, CallCapReached, Ledger
from runtime.engine.fanout import run_all
from runtime.engine.killswitch import KillSwitch, absorb_cancellation
from runtime.engine.plan import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MAX_TURNS,
    DELEGATE_PREFIX,
    ESCALATE_PREFIX,
    AgentPlan,
    RunIndex,
)
from runtime.engine.policy import ALLOW, ASK, PolicyGate
from runtime.engine.processes import ProcessRef, ProcessRegistry
from runtime.engine.promptsize import content_chars, results_chars
from runtime.engine.protocols import (
    ApprovalChannel,
    ModelRequest,
    ModelResponse,
    Provider,
    ProviderError,
    StepRunner,
    Tool,
    ToolContext,
    ToolResult,
)
from runtime.engine.redact import Redactor
from runtime.engine.serial import (
    decode_response,
    decode_result,
    encode_response,
    encode_result,
)
from runtime.engine.slots import Slots
from runtime.engine.steps import MemoryStepRunner
from runtime.engine.tool_limits import ToolLimits, call_bounded
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.codec import RosterContent
from runtime.roster.costs import Usage

MAX_OUTPUT_CHARS = 20_000
_TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", "cache_read_tokens")


def _split(content: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A reply's text (its text blocks joined) and its tool_use blocks, in one pass."""
    texts: list[str] = []
    uses: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            uses.append(block)
    return "".join(texts), uses


class RunStopped(Exception):
    """The kill switch was pressed."""


@dataclass
class RunConfig:
    task: str
    entry: str | None = None
    max_usd: float | None = None
    unattended: bool = False
    run_id: str = field(default_factory=lambda: os.urandom(6).hex())  # 12 random hex digits
    static_deny: frozenset[str] = frozenset()
    secrets: tuple[str, ...] = ()  # resolved key values to redact from every event


@dataclass(slots=True)
class _Frame:
    agent: m.Agent
    plan: AgentPlan
    name: str
    depth: int
    caller: str | None
    cost: float = 0.0
    rounds: dict[str, int] = field(default_factory=dict)
    status: str = "pending"
    delegations: Slots | None = None  # max_parallel_delegations, once a reply may pass it
    deadline: float | None = None  # loop time at which the agent's timeout_s runs out
    # The earliest deadline of this agent or a caller with a timer armed: a caller's timer
    # cancels the whole call chain, so a timer that would fire later is never armed.
    cover: float | None = None


class Run:
    def __init__(
        self,
        content: RosterContent,
        config: RunConfig,
        provider: Provider,
        tools: Mapping[str, Tool],
        approvals: ApprovalChannel,
        *,
        steps: StepRunner | None = None,
        catalog: Catalog | None = None,
        listeners: tuple[ev.Listener, ...] = (),
    ) -> None:
        self.content = content
        self.meta = content.meta
        self.config = config
        self.provider = provider
        self.tools = tools
        self.approvals = approvals
        self.steps = steps or MemoryStepRunner()
        self.catalog = catalog or load_catalog()
        self.listeners = list(listeners)
        self.redactor = Redactor(config.secrets)
        self.gate = PolicyGate(content.nodes, content.edges, content.meta,
                               static_deny=config.static_deny, unattended=config.unattended)
        run_cap = config.max_usd
        if self.meta.policy.budget_usd_per_run is not None:
            run_cap = min(x for x in (run_cap, self.meta.policy.budget_usd_per_run)
                          if x is not None)
        self.ledger = Ledger(run_cap, {
            a.id: eff.agent_budget(a, self.meta) for a in content.nodes.values()
            if isinstance(a, m.Agent)})
        self.index = RunIndex(content, tools, self.catalog)
        self.model_calls = 0
        self._tokens = [0, 0, 0, 0, 0]  # in the order of _TOKEN_FIELDS
        self._seq = itertools.count(1)
        self._depth_cap = eff.policy_depth(self.meta)
        self._agents_sem = Slots(eff.policy_parallel(self.meta))
        self.asker = HumanAsker(content.nodes, config.run_id, approvals, self.steps, self.emit,
                                self.redactor)
        self.processes = ProcessRegistry()
        self.tool_limits = ToolLimits(content.nodes)
        self.switch = KillSwitch(self._on_kill)
        self._emitting = False
        self._deferred: deque[ev.EngineEvent] = deque()
        self.status = "pending"
        self.output = ""

    @property
    def usage(self) -> Usage:
        """Tokens of every model call so far, summed."""
        return Usage(*self._tokens)

    # ------------------------------------------------------------ events

    def emit(self, event_type: type[ev.EngineEvent], **fields: Any) -> None:
        """Build and deliver an event; with no listener nothing is built (the hot path calls
        `self.listeners` first so it also skips redacting the event's text)."""
        if not self.listeners:
            return
        event = event_type(run_id=self.config.run_id, seq=next(self._seq), at=time.time(),
                           **fields)
        if self._emitting:  # a listener (or a signal handler) emitted: deliver it after this one
            self._deferred.append(event)
            return
        self._emitting = True
        try:
            for listener in self.listeners:
                listener(event)
            while self._deferred:
                later = self._deferred.popleft()
                for listener in self.listeners:
                    listener(later)
        finally:
            self._emitting = False

    # ------------------------------------------------------------ running

    def entry_agent(self) -> m.Agent:
        entry = self.config.entry or (self.meta.entry[0] if self.meta.entry else None)
        agent = self.content.nodes.get(entry) if entry else None
        if not isinstance(agent, m.Agent):
            raise ValueError(f"no entry agent {entry!r}; the roster's entry agents are "
                             f"{', '.join(self.meta.entry) or 'none'}")
        return agent

    async def execute(self) -> str:
        agent = self.entry_agent()
        self.status = "running"
        self.switch.arm()
        if self.listeners:
            self.emit(ev.RunStarted, roster=self.meta.name, task=self.redactor(self.config.task),
                      entry=agent.id, budget_usd=self.ledger.run_cap)
        try:
            return await self._execute(agent)
        finally:  # whatever happened, what the journal was given is committed before we return
            self.switch.disarm()  # finished: the kill switch has nothing left to cancel
            flush = getattr(self.steps, "flush", None)
            if flush is not None:
                await flush()

    async def _execute(self, agent: m.Agent) -> str:
        status, error = "completed", ""
        try:
            frame = _Frame(agent, self.index.plan(agent), agent.id, 0, None)
            self.output = await self._run_agent(frame, self.config.task)
            if frame.status == "limit":
                status, error = "limit", f"'{agent.id}' stopped at a limit"
            elif frame.status != "completed":
                status, error = "failed", f"'{agent.id}' did not complete"
        except asyncio.CancelledError:
            status = "stopped"
            error = self.switch.reason or "cancelled"
            if self.switch.reason is not None:
                await absorb_cancellation()
        except BudgetExceeded as exc:
            status, error = "limit", str(exc)
        except Exception as exc:  # the run ends; partial results stay in the events/journal
            from runtime.engine.failures import failure_reason  # only ever on this path

            status, error = "failed", self.redactor(failure_reason(exc))
        finally:
            self.processes.kill()
        self.status = status
        self.switch.disarm()  # a press from here on (a RunFinished listener) changes nothing
        if self.listeners:
            self.emit(ev.RunFinished, status=status, output=self.redactor(self.output),
                      cost_usd=self.ledger.spent, usage=self.usage,
                      model_calls=self.model_calls, error=error)
        return self.output

    def kill(self, reason: str = "kill switch") -> None:
        """The kill switch: cancel everything in flight, kill tool processes, and let the
        run finish with status "stopped" and a RunFinished event. Safe from any context:
        a coroutine or event listener of this run, another thread, a signal handler.
        Pressing it again, or after the run ended, does nothing."""
        self.switch.press(reason)

    def _on_kill(self, reason: str) -> None:
        self.emit(ev.KillSwitchPressed, reason=reason)
        self.processes.kill()

    def _register(self, owner: str, ref: ProcessRef) -> None:
        self.processes.register(ref, owner)
        if self.switch.reason is not None:
            self.processes.kill()

    # ------------------------------------------------------------ one agent

    async def _run_agent(self, frame: _Frame, task: str) -> str:
        agent, plan = frame.agent, frame.plan
        timeout = plan.timeout
        if self.listeners:
            self.emit(ev.AgentStarted, agent=agent.id, model=plan.model_id, depth=frame.depth,
                      caller=frame.caller, task=self.redactor(task), frame=frame.name)
        status, output = "failed", ""
        deadline = None
        if timeout is not None:
            frame.deadline = deadline = asyncio.get_running_loop().time() + timeout
            cover = frame.cover
            if cover is None or deadline <= cover:
                frame.cover = cover = deadline
            else:  # a caller's timer fires first and stops this agent too: no timer of its own
                deadline = None
        try:
            if deadline is None:
                status, output = await self._loop(frame, task)
            else:
                async with asyncio.timeout_at(deadline):
                    status, output = await self._loop(frame, task)
        except asyncio.CancelledError:
            status = "stopped"
            raise
        except TimeoutError:
            self.emit(ev.LimitExceeded, agent=agent.id, limit="timeout",
                      detail=f"'{agent.id}' ran longer than {timeout:g} s")
            status, output = "limit", f"[stopped: '{agent.id}' timed out after {timeout:g} s]"
        finally:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                status = "stopped"
            frame.status = status
            if self.listeners:
                self.emit(ev.AgentFinished, agent=agent.id, frame=frame.name, status=status,
                          output=self.redactor(output)[:MAX_OUTPUT_CHARS], cost_usd=frame.cost)
        return output

    async def _loop(self, frame: _Frame, task: str) -> tuple[str, str]:
        agent, plan = frame.agent, frame.plan
        pricing, model_id = plan.pricing, plan.model_id
        if pricing is None:
            raise ValueError(f"agent '{agent.id}' has model {model_id!r}, not in the catalog")
        # The provider reports its retry waits through this (a ModelRetrying event of this
        # agent); set once for the agent's turns, restored for the caller afterwards.
        notice = overload.RETRY_NOTICE.set(functools.partial(self._retrying, frame, model_id))
        try:
            agent_id, max_turns, max_tokens = agent.id, plan.max_turns, plan.max_tokens
            ledger, tokens, switch = self.ledger, self._tokens, self.switch
            specs = list(plan.specs)
            messages: list[dict[str, Any]] = [{"role": "user", "content": task}]
            prompt_chars = len(task) + len(agent.instructions)  # grows with the history
            last_text = ""
            for turn in range(1, max_turns + 1):
                switch.check()
                self._check_model_cap(agent_id)
                held = ledger.reserve(agent_id, pricing.reserve(prompt_chars))
                request = ModelRequest(agent_id, model_id, agent.instructions, list(messages),
                                       specs, max_tokens, {"run_id": self.config.run_id})
                started = time.monotonic()
                try:
                    response = await self._call_model(frame, request, turn)
                except BaseException:
                    ledger.release(agent_id, held)
                    raise
                usage = response.usage
                cost = pricing.cost(usage)
                ledger.settle(agent_id, held, cost)
                frame.cost += cost
                self.model_calls += 1
                tokens[0] += usage.input_tokens
                tokens[1] += usage.output_tokens
                tokens[2] += usage.cache_write_5m_tokens
                tokens[3] += usage.cache_write_1h_tokens
                tokens[4] += usage.cache_read_tokens
                content = response.content
                text, uses = _split(content)  # response.text and .tool_uses(), in one pass
                last_text = text or last_text
                if self.listeners:
                    self.emit(ev.ModelCalled, agent=agent_id, frame=frame.name, model=model_id,
                              turn=turn, usage=usage, cost_usd=cost,
                              stop_reason=response.stop_reason,
                              duration_s=time.monotonic() - started, text=self.redactor(text),
                              retries=response.retries)
                messages.append({"role": "assistant", "content": content})
                prompt_chars += content_chars(content)  # len(str(content)), cheaper
                if response.stop_reason == "pause_turn":
                    continue
                if not uses:
                    return "completed", text
                results = [await self._use(frame, uses[0])] if len(uses) == 1 else \
                    await self._use_all(frame, uses)  # one block runs in this task
                answers = [{"type": "tool_result", "tool_use_id": block["id"],
                            "content": result.content, "is_error": result.is_error}
                           for block, result in zip(uses, results, strict=True)]
                messages.append({"role": "user", "content": answers})
                prompt_chars += results_chars(uses, results)  # len(str(answers))
            self.emit(ev.LimitExceeded, agent=agent_id, limit="max_turns",
                      detail=f"'{agent_id}' used all {max_turns} turns")
            return "limit", (last_text
                             or f"[stopped: '{agent_id}' reached max_turns {max_turns}]")
        finally:
            overload.RETRY_NOTICE.reset(notice)

    async def _use_all(self, frame: _Frame, uses: list[dict[str, Any]]) -> list[ToolResult]:
        """The tool_use blocks of one reply (two or more), concurrently, each in a task.

        Only this reply's blocks run at once (the next turn waits for all of them), so the
        agent's max_parallel_delegations can only bind when the reply has more blocks than
        that: only then is its limiter made."""
        if len(uses) > frame.plan.parallel >= 1 and frame.delegations is None:
            frame.delegations = Slots(frame.plan.parallel)
        return await run_all([self._use(frame, block) for block in uses])

    async def _call_model(self, frame: _Frame, request: ModelRequest, turn: int
                          ) -> ModelResponse:
        """One model call as a step; an overloaded model pauses the agent and asks a human
        whether to wait and try again (each retry is a step of its own)."""
        key = f"{frame.name}/model/{turn}"
        slots = self._agents_sem
        for pause in range(overload.MAX_PAUSES + 1):
            try:
                # max_parallel_agents bounds agents working at once; an agent waiting for
                # its delegates holds no slot, so nested delegation never deadlocks on it.
                if not slots.try_acquire():
                    await slots.acquire()
                try:
                    return await self.steps.run(
                        key if pause == 0 else f"{key}/retry/{pause}", "model",
                        functools.partial(self.provider.create, request),
                        encode_response, decode_response)
                finally:
                    slots.release()
            except ProviderError as exc:
                if not overload.is_overload(exc) or not await self._pause(
                        frame, request.model, exc, turn, pause + 1):
                    raise
        raise AssertionError("unreachable: the last pause refuses")  # pragma: no cover

    def _retrying(self, frame: _Frame, model_id: str, wait: overload.RetryWait) -> None:
        self.emit(ev.ModelRetrying, agent=frame.agent.id, model=model_id,
                  attempt=wait.attempt, status=wait.status, wait_s=wait.wait_s,
                  asked_s=wait.asked_s, capped=wait.capped)

    async def _pause(self, frame: _Frame, model_id: str, exc: ProviderError, turn: int,
                     pause: int) -> bool:
        """Ask whether to wait for an overloaded model; True once the wait is over."""
        wait = overload.pause_wait(exc)
        ask = not self.config.unattended and pause <= overload.MAX_PAUSES
        self.emit(ev.ModelOverloaded, agent=frame.agent.id, frame=frame.name, model=model_id,
                  status=exc.status, error=self.redactor(str(exc)), pause=pause, wait_s=wait,
                  action="ask" if ask else "stop")
        if not ask:
            return False
        human = (frame.plan.humans or (overload.OPERATOR,))[0]
        decision = await self.asker.ask(frame.name, frame.agent.id, human, f"model:{model_id}",
                                        overload.pause_reason(model_id, exc, wait),
                                        f"overload-{turn}-{pause}",
                                        {"model": model_id, "wait_s": wait}, "low")
        if not decision.approved:
            return False
        await asyncio.sleep(wait)
        return True

    def _check_model_cap(self, agent_id: str) -> None:
        cap = self.meta.policy.max_model_calls_per_run
        if cap is not None and self.model_calls >= cap:
            self.emit(ev.LimitExceeded, agent=agent_id, limit="model_calls",
                      detail=f"the run reached its cap of {cap} model calls")
            raise CallCapReached(cap, self.model_calls)

    # ------------------------------------------------------------ tool_use blocks

    async def _use(self, frame: _Frame, block: dict[str, Any]) -> ToolResult:
        name = str(block.get("name", ""))
        call_id = str(block.get("id", ""))
        arguments = block.get("input")
        self.switch.check()
        if not isinstance(arguments, dict):
            return self._denied(frame, name, call_id,
                                "the tool input was not a JSON object; call again with an object")
        try:
            if name.startswith(DELEGATE_PREFIX):
                return await self._delegate(frame, name.removeprefix(DELEGATE_PREFIX), call_id,
                                            arguments)
            if name.startswith(ESCALATE_PREFIX):
                return await self._escalate(frame, name.removeprefix(ESCALATE_PREFIX), call_id,
                                            arguments)
            return await self._call_tool(frame, name, call_id, arguments)
        except (BudgetExceeded, asyncio.CancelledError):
            raise
        except ProviderError as exc:
            return ToolResult(f"the delegate failed: {self.redactor(str(exc))}", is_error=True)

    async def _delegate(self, frame: _Frame, callee_id: str, call_id: str,
                        arguments: dict[str, Any]) -> ToolResult:
        edge = self.content.edges.get(m.edge_id(m.EdgeKind.DELEGATION, frame.agent.id, callee_id))
        callee = self.content.nodes.get(callee_id)
        if edge is None or not isinstance(callee, m.Agent):
            return self._denied(frame, f"{DELEGATE_PREFIX}{callee_id}", call_id,
                                f"'{frame.agent.id}' may not delegate to '{callee_id}'")
        depth_cap = self._depth_cap
        if frame.depth + 1 > depth_cap:
            self.emit(ev.LimitExceeded, agent=frame.agent.id, limit="depth",
                      detail=f"delegation deeper than {depth_cap}")
            return ToolResult(f"delegation depth limit {depth_cap} reached; finish the work "
                              "yourself or answer with what you have", is_error=True)
        rounds = frame.rounds.get(callee_id, 0) + 1
        if edge.max_rounds is not None and rounds > edge.max_rounds:
            self.emit(ev.LimitExceeded, agent=frame.agent.id, limit="rounds",
                      detail=f"'{frame.agent.id}' → '{callee_id}' exceeded {edge.max_rounds}")
            return ToolResult(f"you may delegate to '{callee_id}' at most {edge.max_rounds} "
                              "times", is_error=True)
        frame.rounds[callee_id] = rounds
        task = str(arguments.get("task", ""))
        child = _Frame(callee, self.index.plan(callee), f"{frame.name}/{callee_id}@{call_id}",
                       frame.depth + 1, frame.agent.id, cover=frame.cover)
        slots = frame.delegations  # None: this reply cannot exceed max_parallel_delegations
        if slots is None and frame.plan.parallel < 1:  # refused as before: Slots raises
            slots = frame.delegations = Slots(frame.plan.parallel)
        if slots is not None and not slots.try_acquire():
            await slots.acquire()
        try:
            if self.listeners:
                self.emit(ev.Delegated, caller=frame.agent.id, callee=callee_id,
                          frame=child.name, call_id=call_id, message=self.redactor(task))
            output = await self._run_agent(child, task)
        finally:
            if slots is not None:
                slots.release()
        return ToolResult(output or "(no answer)")

    async def _escalate(self, frame: _Frame, human_id: str, call_id: str,
                        arguments: dict[str, Any]) -> ToolResult:
        if human_id not in frame.plan.humans:
            return self._denied(frame, f"{ESCALATE_PREFIX}{human_id}", call_id,
                                f"'{frame.agent.id}' may not ask '{human_id}'")
        if self.config.unattended:
            return ToolResult("nobody is attending this run; decide within your policy or stop",
                              is_error=True)
        question = str(arguments.get("question", ""))
        decision = await self.asker.ask(frame.name, frame.agent.id, human_id,
                                        f"{ESCALATE_PREFIX}{human_id}",
                                        f"question from {frame.agent.id}", call_id,
                                        {"question": question}, "question")
        return ToolResult(decision.note or ("yes" if decision.approved else "no answer"),
                          is_error=not decision.approved and decision.timed_out)

    def _denied(self, frame: _Frame, tool: str, call_id: str, reason: str) -> ToolResult:
        self.emit(ev.ToolDenied, agent=frame.agent.id, frame=frame.name, tool=tool,
                  call_id=call_id, reason=reason)
        return ToolResult(f"denied: {reason}", is_error=True)

    async def _call_tool(self, frame: _Frame, tool_id: str, call_id: str,
                         arguments: dict[str, Any]) -> ToolResult:
        verdict = await self.gate.check(frame.agent.id, tool_id, arguments)
        impl = self.tools.get(tool_id)
        if verdict.action not in (ALLOW, ASK) or impl is None:
            reason = verdict.reason if impl is not None or verdict.action not in (ALLOW, ASK) \
                else f"'{tool_id}' is not available in this run"
            return self._denied(frame, tool_id, call_id, reason)
        if verdict.action == ASK:
            tool_node = self.content.nodes[tool_id]
            risk = eff.tool_risk(tool_node) if isinstance(tool_node, m.Tool) else "high"
            decision = await self.asker.ask_chain(frame.name, frame.agent.id, verdict.humans,
                                                  tool_id, call_id, arguments, risk)
            if not decision.approved:
                why = "timed out" if decision.timed_out else f"denied by {decision.by}"
                note = f": {decision.note}" if decision.note else ""
                return self._denied(frame, tool_id, call_id, f"approval {why}{note}")
        shown = self.redactor.value(arguments)
        self.emit(ev.ToolCalled, agent=frame.agent.id, frame=frame.name, tool=tool_id,
                  call_id=call_id, arguments=shown)
        self.switch.check()
        started = time.monotonic()
        owner = f"{frame.name}/tool/{call_id}"
        limit = self.tool_limits.limit(tool_id, frame.deadline)
        ctx = ToolContext(self.config.run_id, frame.agent.id, call_id,
                          functools.partial(self._register, owner), limit,
                          self.processes.unregister)
        try:
            result = await self.steps.run(
                owner, "tool", functools.partial(call_bounded, impl, arguments, ctx,
                                                 functools.partial(self.processes.kill, owner)),
                encode_result, decode_result)
        except (asyncio.CancelledError, BudgetExceeded):
            raise
        except Exception as exc:  # a failing tool is an error result for the model, not a crash
            result = ToolResult(f"the tool failed: {type(exc).__name__}: "
                                f"{self.redactor(str(exc))}", is_error=True)
        content = self.redactor(result.content)
        if len(content) > MAX_OUTPUT_CHARS:
            content = content[:MAX_OUTPUT_CHARS] + f"\n[truncated: {len(result.content)} chars]"
        result = ToolResult(content, result.is_error)
        self.emit(ev.ToolFinished, agent=frame.agent.id, frame=frame.name, tool=tool_id,
                  call_id=call_id, ok=not result.is_error, output=content[:2000],
                  duration_s=time.monotonic() - started)
        return result


__all__ = ["DEFAULT_MAX_TOKENS", "DEFAULT_MAX_TURNS", "DELEGATE_PREFIX", "ESCALATE_PREFIX",
           "ModelResponse", "Run", "RunConfig", "RunStopped"]
