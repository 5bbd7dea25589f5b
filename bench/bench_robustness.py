"""Cost of the engine's robustness fixes: the bounded tool call and the kill switch.

`python -m bench.bench_robustness [--quick]` — results in bench/results/robustness.json.

R1  1000 tool calls through `call_bounded` (the engine's time-limit backstop: one task and
    one timer per call) against the same 1000 `impl.call` awaited directly, same loop.
R2  A run of the governance-vacuum delegation loop (scripted provider, never suspends)
    stopped by a listener pressing the kill switch on the 100th ModelCalled, against the
    same run stopped by the roster's model-call cap at 100: the kill path should cost
    about what a natural stop costs.
R3  Press-to-return latency of R2's kill (from `kill()` to `execute()` returning).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from bench import harness as h
from runtime.engine import events as ev
from runtime.engine.approvals import ScriptedChannel
from runtime.engine.protocols import ModelRequest, ToolContext, ToolResult, ToolSpec
from runtime.engine.providers.scripted import ScriptedProvider, Turn
from runtime.engine.run import Run, RunConfig
from runtime.engine.tool_limits import call_bounded
from runtime.roster.codec import RosterContent
from runtime.roster.io import loads

SAMPLE = Path(__file__).resolve().parents[1] / "resources/samples/governance-vacuum.roster.yaml"
CALLS = 1000
STOP_AT = 100


class Echo:
    spec = ToolSpec("echo", "Echoes.", {"type": "object"})

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        return ToolResult("ok")


def r1(iterations: int) -> tuple[h.Stats, h.Stats]:
    tool, ctx = Echo(), ToolContext("r", "a", "c", timeout_s=30.0)

    def kill() -> None:
        pass

    async def bounded() -> None:
        for _ in range(CALLS):
            await call_bounded(tool, {}, ctx, kill)

    async def direct() -> None:
        for _ in range(CALLS):
            await tool.call({}, ctx)

    loop = asyncio.new_event_loop()
    try:
        ours = h.measure(lambda: loop.run_until_complete(bounded()), iterations=iterations)
        base = h.measure(lambda: loop.run_until_complete(direct()), iterations=iterations)
    finally:
        loop.close()
    return ours, base


def loop_turn(request: ModelRequest) -> Turn:
    other = "ops-bot" if request.agent == "assistant" else "assistant"
    return Turn([("delegate", other, "keep going")])


def r2(iterations: int) -> tuple[h.Stats, h.Stats, h.Stats]:
    text = SAMPLE.read_text(encoding="utf-8")
    killed_content = loads(text).content
    capped_content = loads(text.replace(
        "\nagents:\n", f"\npolicy: {{max_model_calls_per_run: {STOP_AT}}}\nagents:\n", 1)).content
    latency = h.Timer()

    def make(content: RosterContent, press: bool) -> Run:
        calls = [0]
        run: Run | None = None

        def listener(event: ev.EngineEvent) -> None:
            if press and isinstance(event, ev.ModelCalled):
                calls[0] += 1
                if calls[0] == STOP_AT and run is not None:
                    latency.start()
                    run.kill("bench")

        run = Run(content, RunConfig(task="loop", unattended=True),
                  ScriptedProvider({}, default=loop_turn), {}, ScriptedChannel({"*": "deny"}),
                  listeners=(listener,))
        return run

    def killed() -> None:
        run = make(killed_content, True)
        asyncio.run(run.execute())
        latency.stop()
        assert run.status == "stopped" and run.model_calls == STOP_AT

    def capped() -> None:
        run = make(capped_content, False)
        asyncio.run(run.execute())
        assert run.status == "limit" and run.model_calls == STOP_AT

    ours = h.measure(killed, iterations=iterations)
    latency.wall.clear()
    latency.cpu.clear()
    ours = h.measure(killed, iterations=iterations, warmup=0)
    base = h.measure(capped, iterations=iterations)
    return ours, base, latency.stats()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    n = 5 if args.quick else 20
    started = time.perf_counter()
    b_ours, b_base = r1(n)
    k_ours, k_base, k_latency = r2(n)
    print(h.format_table(f"R1: {CALLS} tool calls", [
        h.Row("call_bounded (time-limit backstop)", b_ours),
        h.Row("impl.call awaited directly", b_base, ours=b_ours)]))
    print(h.format_table(f"R2: delegation loop stopped at {STOP_AT} model calls", [
        h.Row("kill switch from a listener", k_ours),
        h.Row("model-call cap (natural stop)", k_base, ours=k_ours)]))
    print(h.format_table("R3: kill() to execute() returning", [
        h.Row("press-to-return", k_latency)]))
    path = h.write_results("robustness", {
        "r1_bounded": b_ours, "r1_direct": b_base, "r2_killed": k_ours, "r2_capped": k_base,
        "r3_press_to_return": k_latency, "elapsed_s": time.perf_counter() - started})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
