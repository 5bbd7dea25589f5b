"""Engine overhead (PERFORMANCE.md B8a–d): per step, fan-out, above the raw SDK, concurrency.

    python -m bench.bench_engine [--quick] [--peers] [--profile]

- **B8a** an N-node chain (N=50): agent a0 delegates to a1, ..., a49 answers;
  every model call is an in-process stub that returns a canned reply at once
  (each node but the last makes two calls: the delegation, then its answer).
  Per node = one whole `Run(...).execute()` (construction included) ÷ N, with
  the in-memory step runner; again with the durable `JournalStepRunner` (and
  its event listener, as real runs use it) on SQLite in a temporary directory,
  reported as the extra per node and per journaled model step.
- **B8b** 5-way fan-out + join: the hub's single reply holds 5 delegate
  tool_use blocks, each worker answers at once; one whole run per sample.
- **B8c** overhead above the raw SDK: p50 of a one-turn run with
  `AnthropicProvider` against the loopback `MessagesServer` minus p50 of a bare
  `AsyncAnthropic.messages.create` against the same server (zero delay),
  samples interleaved in one event loop.
- **B8d** 50 parallel delegations, each worker's model call taking 100 ms
  (stub with `asyncio.sleep(0.1)`), wall time of the run; also over the
  loopback server with a 100 ms server delay against 50 concurrent bare SDK
  calls.
- Also, in the same process: B8a with one event listener (real runs always
  have one; the gated row has none), how the journal's writes were grouped
  into transactions, and bare-asyncio floors for B8b's shape (5 tasks
  gathered) and B8d's (50 x `sleep(0.1)` gathered).
- `--peers`: LangGraph's equivalent 50-node chain, 5-way fan-out and 50-way
  parallel sleep in a separate venv (/tmp/bench-langgraph, created and filled
  with `pip install langgraph` when missing), same kind of async stub, printed
  as ratios.
- `--profile`: cProfile top functions for every row that misses its target.

Statistics: 3 warm-ups + 20 timed runs (more for B8c), p50/p95 in the
harness's sense; gates apply to p50. Results: bench/results/engine.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import secrets
import string
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bench import harness as h
from runtime.engine.approvals import DenyChannel
from runtime.engine.protocols import Block, ModelRequest, ModelResponse, Provider, Tool
from runtime.engine.redact import Redactor
from runtime.engine.run import DELEGATE_PREFIX, Run, RunConfig
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.codec import RosterContent
from runtime.roster.costs import Usage
from runtime.roster.io import loads

MODEL = "claude-haiku-5-5"
CHAIN_N = 50
FAN_N = 5
PAR_N = 50
PAR_DELAY_S = 0.1
LANGGRAPH_VENV = Path("/tmp/bench-langgraph")

TARGETS_MS = {  # p50 gates
    "B8a": 0.040,  # per node, in-memory
    "B8a-durable": 3.0,  # extra per journaled step
    "B8b": 0.150,
    "B8c": 0.5,
    "B8d": 105.0,
}
PUBLISHED_MS = {"B8a": {"Haystack": 0.048, "pydantic-graph": 0.079, "LangGraph": 0.219,
                        "LlamaIndex": 0.593, "AutoGen": 1.070},
                "B8b": {"LangGraph": 2.349, "Haystack": 0.290},
                "B8d": {"LangGraph (NeoGraph)": 711.0}}


# --------------------------------------------------------------------------- rosters


def roster_yaml(name: str, delegates: Mapping[str, list[str]], entry: str) -> str:
    """A roster whose agents delegate as given; limits generous enough never to stop a bench."""
    lines = [
        "format: agent-roster", "version: 1", f"name: {name}", f"entry: [{entry}]",
        f"defaults: {{model: {MODEL}, max_turns: 10, max_tokens_per_call: 256, "
        "timeout_s: 600, budget_usd: 1000, max_parallel_delegations: 64}",
        "policy: {budget_usd_per_run: 100000, max_model_calls_per_run: 100000, "
        "max_delegation_depth: 64, max_parallel_agents: 256}",
        "agents:",
    ]
    for agent, callees in delegates.items():
        lines += [f"  {agent}:", f"    name: Agent {agent}", f"    role: Bench agent {agent}.",
                  f"    instructions: You are bench agent {agent}. Answer briefly."]
        if callees:
            lines.append(f"    delegates_to: [{', '.join(callees)}]")
    return "\n".join(lines) + "\n"


def chain_content(n: int) -> RosterContent:
    ids = [f"a{i}" for i in range(n)]
    graph = {a: ([ids[i + 1]] if i + 1 < n else []) for i, a in enumerate(ids)}
    return loads(roster_yaml(f"Chain {n}", graph, ids[0])).content


def fan_content(n: int) -> RosterContent:
    workers = [f"w{i}" for i in range(n)]
    graph: dict[str, list[str]] = {"hub": workers, **{w: [] for w in workers}}
    return loads(roster_yaml(f"Fan-out {n}", graph, "hub")).content


def single_content() -> RosterContent:
    return loads(roster_yaml("Single", {"solo": []}, "solo")).content


# --------------------------------------------------------------------------- stub provider

USAGE = Usage(input_tokens=20, output_tokens=5)
ANSWER: list[Block] = [{"type": "text", "text": "ok"}]


def delegate_block(callee: str, call_id: str) -> Block:
    return {"type": "tool_use", "id": call_id, "name": f"{DELEGATE_PREFIX}{callee}",
            "input": {"task": "do your part"}}


class StubProvider:
    """Canned replies at once: an agent with a plan delegates on its first turn, then (and
    every other agent at once) answers "ok". `delays` makes an agent's calls sleep first."""

    def __init__(self, plan: Mapping[str, list[Block]],
                 delays: Mapping[str, float] | None = None) -> None:
        self.plan = dict(plan)
        self.delays = dict(delays or {})
        self.calls = 0

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.calls += 1
        delay = self.delays.get(request.agent)
        if delay:
            await asyncio.sleep(delay)
        blocks = self.plan.get(request.agent)
        if blocks and len(request.messages) == 1:
            return ModelResponse(blocks, "tool_use", USAGE, request.model)
        return ModelResponse(ANSWER, "end_turn", USAGE, request.model)


def chain_plan(n: int) -> dict[str, list[Block]]:
    return {f"a{i}": [delegate_block(f"a{i + 1}", f"toolu_c{i}")] for i in range(n - 1)}


def fan_plan(workers: int) -> dict[str, list[Block]]:
    return {"hub": [delegate_block(f"w{i}", f"toolu_f{i}") for i in range(workers)]}


# --------------------------------------------------------------------------- running

NO_TOOLS: Mapping[str, Tool] = {}


class Bench:
    def __init__(self, quick: bool, profile: bool = False) -> None:
        self.quick = quick
        self.profiling = profile
        self.profiles: dict[str, str] = {}
        self.durable_rows: tuple[h.Stats, float, h.Stats] = (h.summarize([]), math.nan,
                                                              h.summarize([]))
        self.iterations = 5 if quick else 20
        self.warmup = 1 if quick else 3
        self.loop = asyncio.new_event_loop()
        self.catalog: Catalog = load_catalog()
        self.results: dict[str, Any] = {}
        self.tables: list[str] = []
        self.journals: list[Any] = []
        self.listened = h.summarize([])

    def close(self) -> None:
        self.loop.close()

    def sync(self, make: Callable[[], Awaitable[object]]) -> Callable[[], object]:
        return lambda: self.loop.run_until_complete(make())

    def run(self, content: RosterContent, provider: Provider, **kw: Any) -> Run:
        return Run(content, RunConfig(task="bench"), provider, NO_TOOLS, DenyChannel(),
                   catalog=self.catalog, **kw)

    async def execute(self, content: RosterContent, provider: Provider, **kw: Any) -> Run:
        run = self.run(content, provider, **kw)
        await run.execute()
        if run.status != "completed":
            raise RuntimeError(f"bench run ended {run.status}")
        return run

    def measure(self, fn: Callable[[], object], iterations: int | None = None) -> h.Stats:
        return h.measure(fn, warmup=self.warmup, iterations=iterations or self.iterations)

    # ------------------------------------------------------------- B8a

    def b8a(self) -> tuple[h.Stats, h.Stats]:
        content = chain_content(CHAIN_N)
        provider = StubProvider(chain_plan(CHAIN_N))
        calls_per_run = 2 * CHAIN_N - 1

        def once() -> object:
            return self.sync(lambda: self.execute(content, provider))()

        total = self.measure(once)
        per_node = scale(total, 1 / CHAIN_N)
        sink: list[object] = []

        def heard() -> object:  # real runs always have a listener (CLI, journal, designer)
            sink.clear()
            return self.sync(lambda: self.execute(content, provider,
                                                  listeners=(sink.append,)))()

        self.listened = scale(self.measure(heard), 1 / CHAIN_N)
        durable, cleanup = self.durable_runner(content)
        try:
            dtotal = h.measure_each(durable, lambda go: go(), warmup=self.warmup,
                                    iterations=self.iterations)
            if (dtotal.p50 - total.p50) / calls_per_run > TARGETS_MS["B8a-durable"]:
                self.missed("B8a durable chain", lambda: durable()())
        finally:
            cleanup()
        steps_only, cleanup = self.durable_runner(content, record_events=False)
        try:
            stotal = h.measure_each(steps_only, lambda go: go(), warmup=self.warmup,
                                    iterations=self.iterations)
        finally:
            cleanup()
        floor = sqlite_commit_floor(self.iterations * 5)
        self.results["B8a"] = {"per_node_with_listener_ms": self.listened}
        dnode = scale(dtotal, 1 / CHAIN_N)
        snode = scale(stotal, 1 / CHAIN_N)
        extra_step = (dtotal.p50 - total.p50) / calls_per_run
        extra_node = dnode.p50 - per_node.p50
        self.durable_rows = (snode, (stotal.p50 - total.p50) / calls_per_run, floor)
        self.results["B8a"] = {
            **self.results["B8a"], "n": CHAIN_N, "model_calls_per_run": calls_per_run,
            "run_ms": total,
            "per_node_ms": per_node, "target_ms": TARGETS_MS["B8a"],
            "verdict": verdict(per_node.p50, TARGETS_MS["B8a"]),
            "durable_run_ms": dtotal, "durable_per_node_ms": dnode,
            "durable_extra_per_node_ms": extra_node, "durable_extra_per_step_ms": extra_step,
            "durable_steps_only_run_ms": stotal, "durable_steps_only_per_node_ms": snode,
            "durable_steps_only_extra_per_step_ms": self.durable_rows[1],
            "sqlite_commit_floor_ms": floor,
            "durable_target_ms": TARGETS_MS["B8a-durable"],
            "durable_verdict": verdict(extra_step, TARGETS_MS["B8a-durable"]),
            "published_peers_ms": PUBLISHED_MS["B8a"],
        }
        if per_node.p50 > TARGETS_MS["B8a"]:
            self.missed("B8a in-memory chain", once)
        return per_node, dnode

    def durable_runner(self, content: RosterContent, *, record_events: bool = True
                       ) -> tuple[Callable[[], Callable[[], object]], Callable[[], None]]:
        from runtime.engine.journal import Journal, JournalStepRunner

        tmp = tempfile.TemporaryDirectory(prefix="bench-engine-")
        journal = Journal(f"sqlite:///{Path(tmp.name) / 'runs.db'}")
        self.journals.append(journal)
        counter = iter(range(1_000_000))
        provider = StubProvider(chain_plan(CHAIN_N))

        def setup() -> Callable[[], object]:
            run_id = f"bench{next(counter):06d}"
            journal.create_run(run_id, roster_name=content.meta.name, task="bench")
            steps = JournalStepRunner(journal, run_id, attempt=1, redactor=Redactor(),
                                      approvals=DenyChannel(), audited=frozenset(),
                                      human_for={})
            run = Run(content, RunConfig(task="bench", run_id=run_id), provider, NO_TOOLS,
                      DenyChannel(), catalog=self.catalog, steps=steps,
                      listeners=(steps.on_event,) if record_events else ())
            steps.attach(run.emit)

            def go() -> object:
                self.loop.run_until_complete(run.execute())
                if run.status != "completed":
                    raise RuntimeError(f"durable bench run ended {run.status}")
                return run
            return go

        def cleanup() -> None:
            self.results.setdefault("journal_batches", []).append({
                "events": record_events, "transactions": journal.writer.batches,
                "writes": journal.writer.writes})
            journal.close()
            tmp.cleanup()
        return setup, cleanup

    # ------------------------------------------------------------- B8b

    def b8b(self) -> h.Stats:
        content = fan_content(FAN_N)
        provider = StubProvider(fan_plan(FAN_N))

        def once() -> object:
            return self.sync(lambda: self.execute(content, provider))()

        stats = self.measure(once, iterations=self.iterations * 5)
        self.results["B8b"] = {"workers": FAN_N, "run_ms": stats, "target_ms": TARGETS_MS["B8b"],
                               "verdict": verdict(stats.p50, TARGETS_MS["B8b"]),
                               "published_peers_ms": PUBLISHED_MS["B8b"]}
        if stats.p50 > TARGETS_MS["B8b"]:
            self.missed("B8b fan-out", once)
        return stats

    # ------------------------------------------------------------- B8c

    def b8c(self) -> tuple[h.Stats, h.Stats]:
        import anthropic

        from runtime.engine.providers.anthropic import AnthropicProvider
        from tests.messages_server import MessagesServer

        key = fake_key()
        content = single_content()
        system = content.nodes["solo"].instructions  # type: ignore[union-attr]
        n = 60 if self.quick else 300
        with no_nagle(), MessagesServer() as server:
            provider = AnthropicProvider(key, base_url=server.base_url)
            client = anthropic.AsyncAnthropic(api_key=key, base_url=server.base_url)

            async def bare() -> None:
                await client.messages.create(
                    model=MODEL, max_tokens=256, system=system,
                    messages=[{"role": "user", "content": "bench"}])

            async def ours() -> None:
                await self.execute(content, provider)

            async def sample() -> tuple[h.Timer, h.Timer]:
                sdk, run = h.Timer(), h.Timer()
                for i in range(n + 10):
                    for fn, timer in ((bare, sdk), (ours, run)):
                        timer.start()
                        await fn()
                        if i >= 10:
                            timer.stop()
                return sdk, run

            sdk_t, run_t = self.loop.run_until_complete(sample())
            self.loop.run_until_complete(provider.aclose())
            self.loop.run_until_complete(client.close())
        sdk, run = sdk_t.stats(), run_t.stats()
        over50 = run.p50 - sdk.p50
        over99 = pct(run_t.wall, 99) - pct(sdk_t.wall, 99)
        self.results["B8c"] = {
            "n": sdk.n, "sdk_ms": sdk, "run_ms": run, "overhead_p50_ms": over50,
            "overhead_p95_ms": run.p95 - sdk.p95, "overhead_p99_ms": over99,
            "target_p50_ms": TARGETS_MS["B8c"], "target_p99_ms": 2.0,
            "verdict": verdict(over50, TARGETS_MS["B8c"]), "p99_verdict": verdict(over99, 2.0),
        }
        if over50 > TARGETS_MS["B8c"]:
            self.missed("B8c one-turn run over SDK", lambda: None)
        return sdk, run

    # ------------------------------------------------------------- B8d

    def b8d(self) -> tuple[h.Stats, h.Stats, h.Stats]:
        content = fan_content(PAR_N)
        provider = StubProvider(fan_plan(PAR_N),
                                delays={f"w{i}": PAR_DELAY_S for i in range(PAR_N)})

        def once() -> object:
            return self.sync(lambda: self.execute(content, provider))()

        stub = self.measure(once)
        server_run, server_sdk = self.b8d_server(content)
        self.results["B8d"] = {
            "workers": PAR_N, "delay_s": PAR_DELAY_S, "stub_run_ms": stub,
            "target_ms": TARGETS_MS["B8d"], "verdict": verdict(stub.p50, TARGETS_MS["B8d"]),
            "server_run_ms": server_run, "server_sdk_gather_ms": server_sdk,
            "published_peers_ms": PUBLISHED_MS["B8d"],
        }
        if stub.p50 > TARGETS_MS["B8d"]:
            self.missed("B8d 50 parallel (stub)", once)
        return stub, server_run, server_sdk

    def b8d_server(self, content: RosterContent) -> tuple[h.Stats, h.Stats]:
        import anthropic

        from runtime.engine.providers.anthropic import AnthropicProvider
        from tests.messages_server import MessagesServer, Msg, tool_use

        key = fake_key()
        calls = [tool_use(f"{DELEGATE_PREFIX}w{i}", {"task": "do your part"}, id=f"toolu_p{i}")
                 for i in range(PAR_N)]

        def reply(body: dict[str, Any]) -> Msg:
            if "agent hub" in str(body.get("system")):
                return Msg(calls if len(body["messages"]) == 1 else "ok")
            return Msg("ok", delay_s=PAR_DELAY_S)

        with no_nagle(), MessagesServer() as server:
            server.script.handler = reply
            provider = AnthropicProvider(key, base_url=server.base_url)
            client = anthropic.AsyncAnthropic(api_key=key, base_url=server.base_url)

            async def gather() -> None:
                await asyncio.gather(*(client.messages.create(
                    model=MODEL, max_tokens=256, system="You are bench agent w.",
                    messages=[{"role": "user", "content": "bench"}]) for _ in range(PAR_N)))

            run = self.measure(self.sync(lambda: self.execute(content, provider)))
            sdk = self.measure(self.sync(gather))
            self.loop.run_until_complete(provider.aclose())
            self.loop.run_until_complete(client.close())
        return run, sdk

    # ------------------------------------------------------------- asyncio floors

    def floors(self) -> tuple[h.Stats, h.Stats]:
        """What bare asyncio costs here for B8b's shape (5 tasks gathered) and B8d's (50
        tasks sleeping 100 ms gathered), in the same loop: no engine at all."""
        async def nothing() -> None:
            return None

        async def fan() -> None:
            await asyncio.gather(*(asyncio.ensure_future(nothing()) for _ in range(FAN_N)))

        async def par() -> None:
            await asyncio.gather(*(asyncio.sleep(PAR_DELAY_S) for _ in range(PAR_N)))

        fan5 = self.measure(self.sync(fan), iterations=self.iterations * 5)
        par50 = self.measure(self.sync(par))
        self.results["asyncio_floor"] = {"fan5_ms": fan5, "par50_ms": par50}
        return fan5, par50

    # ------------------------------------------------------------- profiles

    def missed(self, label: str, fn: Callable[[], object]) -> None:
        if self.profiling:
            self.profiles[label] = self.profile(label, fn)

    def profile(self, label: str, fn: Callable[[], object], top: int = 14) -> str:
        if label.startswith("B8c"):
            return self.profile_b8c(top)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(5):
            fn()
        prof.disable()
        return render_profile(prof, top)

    def profile_b8c(self, top: int) -> str:
        from runtime.engine.providers.anthropic import AnthropicProvider
        from tests.messages_server import MessagesServer

        content = single_content()
        with no_nagle(), MessagesServer() as server:
            provider = AnthropicProvider(fake_key(), base_url=server.base_url)

            async def many() -> None:
                for _ in range(100):
                    await self.execute(content, provider)
            self.loop.run_until_complete(many())
            prof = cProfile.Profile()
            prof.enable()
            self.loop.run_until_complete(many())
            prof.disable()
            self.loop.run_until_complete(provider.aclose())
        return render_profile(prof, top)


def sqlite_commit_floor(iterations: int) -> h.Stats:
    """One row inserted and committed with the journal's pragmas (WAL, synchronous=FULL) by
    bare sqlite3 in a temporary directory: the fsync floor a durable step pays at least."""
    import sqlite3

    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
        keys = iter(range(1_000_000))

        def commit() -> None:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO t VALUES (?, ?)", (str(next(keys)), "x" * 200))
            conn.execute("COMMIT")
        stats = h.measure(commit, iterations=iterations, collect=False)
        conn.close()
    return stats


@contextlib.contextmanager
def no_nagle() -> Iterator[None]:
    """The loopback server sends headers and body in two writes; with Nagle's algorithm on,
    the body then waits for the client's delayed ACK (~40 ms on Linux), which would swamp
    everything B8c measures. Turn it off for the server's handler while the bench runs."""
    from tests import messages_server

    handler = messages_server._Handler
    before = handler.disable_nagle_algorithm
    handler.disable_nagle_algorithm = True
    try:
        yield
    finally:
        handler.disable_nagle_algorithm = before


# --------------------------------------------------------------------------- LangGraph peer

LANGGRAPH_SCRIPT = r'''
import asyncio, gc, json, operator, sys, time
from typing import Annotated, TypedDict
from langgraph.graph import END, START, StateGraph

ITER, WARM = int(sys.argv[1]), int(sys.argv[2])
ANSWER = {"role": "assistant", "content": "ok"}

class S(TypedDict):
    msgs: Annotated[list, operator.add]

async def stub_llm(delay=0.0):  # the in-process "model call": canned reply at once
    if delay:
        await asyncio.sleep(delay)
    return ANSWER

def node(delay=0.0):
    async def run(state):
        return {"msgs": [await stub_llm(delay)]}
    return run

def chain(n):
    g = StateGraph(S)
    for i in range(n):
        g.add_node(f"a{i}", node())
    g.add_edge(START, "a0")
    for i in range(n - 1):
        g.add_edge(f"a{i}", f"a{i+1}")
    g.add_edge(f"a{n-1}", END)
    return g.compile()

def fan(n, delay=0.0):
    g = StateGraph(S)
    g.add_node("hub", node())
    g.add_node("join", node())
    g.add_edge(START, "hub")
    for i in range(n):
        g.add_node(f"w{i}", node(delay))
        g.add_edge("hub", f"w{i}")
        g.add_edge(f"w{i}", "join")
    g.add_edge("join", END)
    return g.compile()

async def timed(graph, iters, warm):
    for _ in range(warm):
        await graph.ainvoke({"msgs": []})
    out, cpu = [], []
    for _ in range(iters):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        res = await graph.ainvoke({"msgs": []})
        out.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return out, cpu, len(res["msgs"])

async def main():
    import langgraph
    from importlib.metadata import version
    result = {"version": version("langgraph")}
    for name, graph, n in (("chain50", chain(50), ITER), ("fan5", fan(5), ITER * 5),
                           ("par50", fan(50, 0.1), ITER)):
        result[name + "_ms"], result[name + "_cpu_ms"], result[name + "_msgs"] = \
            await timed(graph, n, WARM)
    print(json.dumps(result))

asyncio.run(main())
'''


def langgraph_peer(iterations: int, warmup: int, install_timeout_s: float = 240.0
                   ) -> dict[str, Any]:
    python = LANGGRAPH_VENV / "bin" / "python"
    check = [str(python), "-c", "import langgraph.graph"]
    started = time.perf_counter()
    if not python.exists() or subprocess.run(check, capture_output=True).returncode != 0:
        print(f"  installing LangGraph into {LANGGRAPH_VENV} ...", flush=True)
        try:
            if not python.exists():
                subprocess.run(["python3", "-m", "venv", str(LANGGRAPH_VENV)], check=True,
                               capture_output=True, timeout=60)
            subprocess.run([str(LANGGRAPH_VENV / "bin" / "pip"), "install", "-q", "langgraph"],
                           check=True, capture_output=True, timeout=install_timeout_s)
        except (subprocess.SubprocessError, OSError) as exc:
            return {"error": f"LangGraph install failed or timed out: {short(exc)}"}
    install_s = time.perf_counter() - started
    try:
        done = subprocess.run([str(python), "-c", LANGGRAPH_SCRIPT, str(iterations),
                               str(warmup)], capture_output=True, text=True, timeout=180,
                              check=True)
        data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, OSError, ValueError, IndexError) as exc:
        return {"error": f"LangGraph bench failed: {short(exc)}"}
    data["install_s"] = round(install_s, 1)
    return data


def short(exc: BaseException) -> str:
    text = str(exc)
    stderr = getattr(exc, "stderr", None)
    if stderr:
        text += " :: " + (stderr if isinstance(stderr, str) else stderr.decode())[-400:]
    return text[-600:]


# --------------------------------------------------------------------------- helpers


def fake_key() -> str:
    """A random string shaped like an Anthropic key, made at run time and never stored."""
    alnum = string.ascii_letters + string.digits
    return "sk-ant-api03-" + "".join(secrets.choice(alnum) for _ in range(93)) + "AA"


def scale(stats: h.Stats, factor: float) -> h.Stats:
    return h.Stats(p50=stats.p50 * factor, p95=stats.p95 * factor, mean=stats.mean * factor,
                   n=stats.n, min=stats.min * factor, max=stats.max * factor,
                   cpu_p50=stats.cpu_p50 * factor, cpu_p95=stats.cpu_p95 * factor)


def pct(samples: list[float], q: float) -> float:
    return h.percentile(sorted(samples), q)


def verdict(value: float, limit: float) -> str:
    return "PASS" if value <= limit else "MISS"


def us(ms: float) -> str:
    return "-" if math.isnan(ms) else f"{ms * 1000:,.1f} µs"


def render_profile(prof: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[max(0, start - 1):])


def from_samples(peer: Mapping[str, Any], name: str) -> h.Stats:
    return h.summarize(peer[f"{name}_ms"], peer.get(f"{name}_cpu_ms", ()))


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run, few iterations")
    parser.add_argument("--peers", action="store_true",
                        help="also run LangGraph in /tmp/bench-langgraph (installs it if needed)")
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile top functions for every missed target")
    parser.add_argument("--name", default="engine", help="results file name")
    args = parser.parse_args(argv)
    wall0 = time.perf_counter()
    bench = Bench(args.quick, args.profile)
    try:
        print(f"B8a: {CHAIN_N}-node chain ...", flush=True)
        node_mem, node_dur = bench.b8a()
        print("B8b: 5-way fan-out ...", flush=True)
        fan = bench.b8b()
        print("B8c: one-turn run vs raw SDK over loopback ...", flush=True)
        sdk, one = bench.b8c()
        print(f"B8d: {PAR_N} parallel delegations x {PAR_DELAY_S * 1000:g} ms ...", flush=True)
        par, par_srv, par_sdk = bench.b8d()
        print("asyncio floors ...", flush=True)
        floor_fan, floor_par = bench.floors()
        peer: dict[str, Any] = {}
        if args.peers:
            print("LangGraph peer ...", flush=True)
            peer = langgraph_peer(bench.iterations, bench.warmup)
        bench.results["langgraph"] = peer or {"skipped": "run with --peers"}
        profiles = bench.profiles
    finally:
        bench.close()

    r = bench.results
    a, c = r["B8a"], r["B8c"]
    rows = [
        h.Row(f"B8a per node, in-memory (target {us(TARGETS_MS['B8a'])})", node_mem,
              note=a["verdict"]),
        h.Row("B8a per node, in-memory, one event listener", bench.listened),
        h.Row("B8a per node, durable journal (SQLite)", node_dur,
              note=f"extra {a['durable_extra_per_step_ms']:.3f} ms/model step "
                   f"(target ≤ {TARGETS_MS['B8a-durable']:g}) {a['durable_verdict']}"),
        h.Row("B8a per node, durable steps only (no event listener)", bench.durable_rows[0],
              note=f"extra {bench.durable_rows[1]:.3f} ms/model step"),
        h.Row("B8a floor: one bare sqlite3 commit (WAL, synchronous=FULL)",
              bench.durable_rows[2]),
        h.Row(f"B8b 5-way fan-out run (target {us(TARGETS_MS['B8b'])})", fan,
              note=r["B8b"]["verdict"]),
        h.Row("B8b floor: bare asyncio, 5 tasks gathered", floor_fan, ours=fan),
        h.Row("B8c raw AsyncAnthropic.messages.create", sdk),
        h.Row("B8c one-turn Run (AnthropicProvider)", one,
              note=f"+{c['overhead_p50_ms']:.3f} ms p50, +{c['overhead_p99_ms']:.3f} ms p99 "
                   f"(target ≤ 0.5 / 2) {c['verdict']}/{c['p99_verdict']}"),
        h.Row(f"B8d {PAR_N} parallel x 100 ms, stub (target 105)", par,
              note=r["B8d"]["verdict"]),
        h.Row(f"B8d floor: bare asyncio, {PAR_N} x sleep(0.1) gathered", floor_par, ours=par),
        h.Row(f"B8d {PAR_N} parallel x 100 ms, loopback server", par_srv),
        h.Row(f"B8d {PAR_N} x raw SDK gather, loopback server", par_sdk, ours=par_srv),
    ]
    if "chain50_ms" in peer:
        lg_node = scale(from_samples(peer, "chain50"), 1 / CHAIN_N)
        lg_fan = from_samples(peer, "fan5")
        lg_par = from_samples(peer, "par50")
        rows += [
            h.Row(f"LangGraph {peer['version']} per node ({CHAIN_N}-chain)", lg_node,
                  ours=node_mem),
            h.Row("LangGraph 5-way fan-out", lg_fan, ours=fan),
            h.Row("LangGraph 50 parallel x 100 ms", lg_par, ours=par),
        ]
        peer["ratios"] = {"B8a": h.ratio(node_mem, lg_node), "B8b": h.ratio(fan, lg_fan),
                          "B8d": h.ratio(par, lg_par)}
        peer["cpu_ratios"] = {"B8a": h.ratio(node_mem, lg_node, cpu=True),
                              "B8b": h.ratio(fan, lg_fan, cpu=True),
                              "B8d": h.ratio(par, lg_par, cpu=True)}
        peer["per_node_ms"], peer["fan5_stats_ms"], peer["par50_stats_ms"] = \
            lg_node, lg_fan, lg_par
    elif peer.get("error"):
        rows.append(h.Row(f"LangGraph: {peer['error'][:100]}", h.summarize([])))
    print()
    print(h.format_table("Engine (B8), times in ms", rows))
    for name, peers in PUBLISHED_MS.items():
        ours = {"B8a": node_mem, "B8b": fan, "B8d": par}[name]
        line = ", ".join(f"{p} {h.format_ratio(h.ratio(ours, h.Stats(v, v, v, 1)))}"
                         for p, v in peers.items())
        print(f"{name} vs published peer numbers (other hardware): {line}")
    for label, text in profiles.items():
        print(f"\ncProfile, {label} (top by tottime):\n{text}")
    bench.results["profiles"] = profiles
    bench.results["quick"] = args.quick
    bench.results["duration_s"] = round(time.perf_counter() - wall0, 1)
    path = h.write_results(args.name, bench.results)
    print(f"\nresults: {path} ({bench.results['duration_s']} s)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
