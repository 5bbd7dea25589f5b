"""Roster load, save, full check and one-edit re-check on the S/M/L/XL fixtures.

    python -m bench.bench_roster [--sizes S,M,L,XL] [--quick] [--slow-baselines]

Per size it measures, in one process on one machine:

- **load**: `io.loads(bytes)` (line reader or libyaml events → plain values → typed content)
  against PyYAML `CSafeLoader` (libyaml), `SafeLoader` (pure Python) and
  ruamel.yaml's pure safe loader. The baselines only build plain dicts; ours
  also decodes and validates into `RosterContent`. Parse-only and
  decode-only rows show where the time goes.
- **save**: `io.dumps(content).encode()` against `yaml.dump(data)` with
  `CSafeDumper` and `SafeDumper` on the same roster as plain dicts.
- **full check**: `check_roster` with whatever rules are registered at run
  time, on a fresh copy of the roster each time (new objects, as after opening
  the file), and again on the same objects (equal now that no rule keeps state
  between checks); against a reference networkx pass (graph build, DAG test,
  reachability from the entry agents); each rule alone at L.
- **one-edit re-check**: a seeded sequence of single edits (connect or
  disconnect a grant or a delegation, set a property of an agent or a tool,
  change a tool's capabilities) on a live `Document`; after each edit,
  `Document.apply` + `IncrementalChecker.findings()` is timed against
  `Document.apply` + `check_roster(document.content())` (a naive full
  re-check on the same state). At the end both must give the same findings.

Iterations (our code): 3 warm-ups + 20 timed runs of load and save at S, M
and L; up to 200 edits for the re-check. Budgets keep the whole run near five
minutes of CPU on the 2-core box, and every table prints n, the samples
actually taken:

- Full check on a fresh roster: at least 20 (S), 10 (M, L) or 3 (XL) timed
  runs, up to 20 while its budget (5, 3, 12 s) lasts.
- XL: no warm-up (the code is warm from the smaller sizes in the same
  process) and 3 timed runs; the re-check stops after 8 s once 6 edits are
  in, with 1 naive full re-check; no parse/decode breakdown.
- The re-check at S/M/L stops after 5/5/10 s once 20 edits are in; naive
  full re-checks run in the first half of that budget.
- Baselines run under a time budget: one untimed run, then more only while
  the budget lasts; a baseline slower than its budget is a single cold run.
  The pure-Python PyYAML baselines run at S and M only (a single run at M;
  at L they cost ~20 s of CPU, and PERFORMANCE.md quotes them at M too),
  ruamel.yaml only at S, and at XL only CSafeLoader, once, and no
  same-objects check; --slow-baselines runs every baseline at every size.
- --quick: a smoke run with a handful of iterations.

Every sample also records CPU time (`time.process_time`), shown as "cpu p50":
on a shared machine wall times inflate with other load, CPU times do not.
Results: bench/results/roster.json.
"""

from __future__ import annotations

import argparse
import collections
import copy
import dataclasses
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import yaml

from bench import harness as h
from bench.generate import SIZES, generate
from runtime.roster import codec, io, yaml_read, yaml_write
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.catalog import load_catalog
from runtime.roster.checks.base import Finding, Rule
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.engine import (
    IncrementalChecker,
    check_roster,
    load_rules,
    run_rules,
)
from runtime.roster.document import Document
from runtime.roster.graph import build_graph, kind_view

RuamelYAML: Any
try:
    from ruamel.yaml import YAML as RuamelYAML
except ImportError:  # optional baseline
    RuamelYAML = None


@dataclass(frozen=True, slots=True)
class Plan:
    """How many runs to do for one size, and the time budgets that may cut them short."""

    warmup: int
    iterations: int  # timed runs of our load and save; the most of everything else
    check_min: int  # timed full checks at least, past `check_budget_s`
    check_budget_s: float  # full check on a fresh roster
    edits: int  # single edits for the re-check, at most
    min_edits: int  # ... and at least, whatever the budget
    naive_edits: int  # naive full re-checks, at most
    recheck_budget_s: float  # edit loop: stops after this once `min_edits` are in
    c_budget_s: float | None  # each libyaml baseline; None = only the loader, once
    breakdown_budget_s: float | None  # each "of which" row; None = skipped
    pure_budget_s: float | None  # each pure-Python PyYAML baseline; None = skipped
    ruamel: bool  # the pure ruamel.yaml loader (the slowest baseline of all)
    aux_budget_s: float  # same-objects check, reference pass, CheckContext rows
    per_rule: bool  # time every rule alone
    same_objects: bool = True  # also time check_roster on the same objects (no memo hits)


def plan_for(size: str, *, quick: bool, slow_baselines: bool) -> Plan:
    if quick:
        small = size in ("S", "M")
        return Plan(
            warmup=1 if small else 0, iterations=5 if small else 3, check_min=3,
            check_budget_s=2.0, edits=50, min_edits=10, naive_edits=10, recheck_budget_s=5.0,
            c_budget_s=1.0, breakdown_budget_s=1.0 if small else None,
            pure_budget_s=1.0 if small or slow_baselines else None, ruamel=size == "S",
            aux_budget_s=1.0, per_rule=False,
        )
    if size == "XL":
        return Plan(
            warmup=0, iterations=3, check_min=3, check_budget_s=0.0, edits=200, min_edits=6,
            naive_edits=1, recheck_budget_s=8.0, c_budget_s=1.0 if slow_baselines else None,
            breakdown_budget_s=None, pure_budget_s=0.5 if slow_baselines else None,
            ruamel=slow_baselines, aux_budget_s=1.0, per_rule=False, same_objects=False,
        )
    if size == "L":
        return Plan(
            warmup=3, iterations=20, check_min=10, check_budget_s=12.0, edits=200, min_edits=20,
            naive_edits=200, recheck_budget_s=10.0, c_budget_s=2.0, breakdown_budget_s=1.0,
            pure_budget_s=0.5 if slow_baselines else None, ruamel=slow_baselines,
            aux_budget_s=1.5, per_rule=True,
        )
    if size == "M":
        return Plan(
            warmup=3, iterations=20, check_min=10, check_budget_s=3.0, edits=200, min_edits=20,
            naive_edits=200, recheck_budget_s=5.0, c_budget_s=3.0, breakdown_budget_s=1.0,
            pure_budget_s=0.5, ruamel=slow_baselines, aux_budget_s=2.0, per_rule=False,
        )
    return Plan(
        warmup=3, iterations=20, check_min=20, check_budget_s=5.0, edits=200, min_edits=20,
        naive_edits=200, recheck_budget_s=5.0, c_budget_s=2.0, breakdown_budget_s=1.0,
        pure_budget_s=1.5, ruamel=True, aux_budget_s=2.0, per_rule=False,
    )


# (label, size, benchmark key, statistic, limit in ms)
TARGETS: tuple[tuple[str, str, str, str, float], ...] = (
    ("L load", "L", "load", "p50", 800.0),
    ("L save", "L", "save", "p50", 500.0),
    ("L full check", "L", "check", "p50", 30.0),
    ("L re-check after one edit", "L", "recheck", "p95", 2.0),
    ("XL load", "XL", "load", "p50", 5000.0),
    ("XL full check", "XL", "check", "p50", 150.0),
)


# ---------------------------------------------------------------- load and save


def _compare(ours: h.Stats, baseline: h.Stats) -> dict[str, Any]:
    return {"stats": baseline, "ratio": h.ratio(ours, baseline),
            "ratio_cpu": h.ratio(ours, baseline, cpu=True)}


def _baseline(fn: Callable[[], object], plan: Plan, budget_s: float) -> h.Stats:
    """A baseline under a time budget: one warm-up unless a single run eats the budget."""
    first = h.Timer()
    first.start()
    fn()
    first_s = first.stop() / 1000.0
    if first_s > budget_s:  # too slow to repeat: the first run is the one sample
        return first.stats()
    return h.measure(fn, warmup=0, iterations=plan.iterations, budget_s=budget_s - first_s,
                     min_iterations=1)


def _part(fn: Callable[[], object], plan: Plan) -> h.Stats | None:
    """An "of which" row: a few runs, enough to see where the time goes."""
    if plan.breakdown_budget_s is None:
        return None
    return h.measure(fn, warmup=0, iterations=plan.iterations, budget_s=plan.breakdown_budget_s,
                     min_iterations=2)  # warm already: the full call ran just before


def bench_load(text: str, plan: Plan) -> tuple[list[h.Row], dict[str, Any]]:
    data = text.encode("utf-8")
    ours = h.measure(lambda: io.loads(data), warmup=plan.warmup, iterations=plan.iterations)
    rows = [h.Row("io.loads (ours, typed + validated)", ours)]
    out: dict[str, Any] = {"ours": ours, "baselines": {}}
    parse = _part(lambda: yaml_read.parse(text), plan)
    if parse is not None:
        raw = yaml_read.parse(text)
        decode = _part(lambda: codec.decode(raw), plan)
        assert decode is not None
        events = _part(lambda: yaml_read.parse_events(text), plan)  # the reader before round 3
        assert events is not None
        rows += [h.Row("  of which yaml_read.parse", parse,
                       note="line reader (yaml_fast), libyaml events when it hands back"),
                 h.Row("  of which codec.decode", decode, note="plain values → RosterContent"),
                 h.Row("  parse via libyaml events only", events, ours=parse,
                       note="yaml_read.parse_events, the whole parse before round 3")]
        out |= {"parse": parse, "decode": decode, "parse_events": events}

    def baseline(label: str, key: str, fn: Callable[[], object], budget: float) -> None:
        stats = _baseline(fn, plan, budget)
        rows.append(h.Row(label, stats, ours=ours))
        out["baselines"][key] = _compare(ours, stats)

    baseline("PyYAML CSafeLoader (libyaml)", "pyyaml_c",
             lambda: yaml.load(text, Loader=yaml.CSafeLoader), plan.c_budget_s or 0.0)
    if plan.pure_budget_s is not None:
        baseline("PyYAML SafeLoader (pure Python)", "pyyaml_pure",
                 lambda: yaml.load(text, Loader=yaml.SafeLoader), plan.pure_budget_s)
        if plan.ruamel and RuamelYAML is not None:
            loader = RuamelYAML(typ="safe", pure=True)
            baseline("ruamel.yaml safe (pure Python)", "ruamel_pure", lambda: loader.load(text),
                     plan.pure_budget_s)
    return rows, out


def bench_save(
    content: codec.RosterContent, text: str, plan: Plan
) -> tuple[list[h.Row], dict[str, Any]]:
    ours = h.measure(lambda: io.dumps(content).encode("utf-8"), warmup=plan.warmup,
                     iterations=plan.iterations)
    rows = [h.Row("io.dumps + encode (ours)", ours)]
    out: dict[str, Any] = {"ours": ours, "baselines": {}}
    encode = _part(lambda: io.to_data(content), plan)
    if encode is not None:
        data = io.to_data(content)
        emit = _part(lambda: yaml_write.dumps(data), plan)
        assert emit is not None
        rows += [h.Row("  of which codec.encode", encode, note="RosterContent → plain values"),
                 h.Row("  of which yaml_write.dumps", emit, note="plain values → text")]
        out |= {"encode": encode, "emit": emit}
    plain = yaml_read.parse(text)  # the same roster as plain dicts (no Flow markers)

    def dump(dumper: Any) -> bytes:
        return yaml.dump(plain, Dumper=dumper, sort_keys=False, allow_unicode=True).encode()

    def baseline(label: str, key: str, dumper: Any, budget: float) -> None:
        stats = _baseline(lambda: dump(dumper), plan, budget)
        rows.append(h.Row(label, stats, ours=ours))
        out["baselines"][key] = _compare(ours, stats)

    if plan.c_budget_s is not None:
        baseline("PyYAML CSafeDumper (libyaml)", "pyyaml_c", yaml.CSafeDumper, plan.c_budget_s)
    if plan.pure_budget_s is not None:
        baseline("PyYAML SafeDumper (pure Python)", "pyyaml_pure", yaml.SafeDumper,
                 plan.pure_budget_s)
    return rows, out


# ---------------------------------------------------------------- checks


def networkx_reference(content: codec.RosterContent) -> int:
    """What a straightforward networkx validation pass costs: the floor PERFORMANCE.md cites."""
    graph = build_graph(content.nodes, content.edges)
    delegation = kind_view(graph, m.EdgeKind.DELEGATION)
    nx.is_directed_acyclic_graph(delegation)
    reached: set[str] = set(content.meta.entry)
    for entry in content.meta.entry:
        if entry in graph:
            reached |= nx.descendants(graph, entry)
    return len(reached)


def fresh_copy(content: codec.RosterContent) -> codec.RosterContent:
    """The same roster in new objects, as after opening the file again.

    No rule keeps state between checks any more (R15 used to memoise each
    node's scan by identity), but a memo added later would make checking the
    same objects twice measure the memo, not the check. The first check after
    opening a file sees new objects; this copy reproduces that without paying
    for a reload, and the same-objects row shows whether anything is kept.
    """
    return codec.RosterContent(
        meta=copy.copy(content.meta),
        nodes={k: copy.copy(v) for k, v in content.nodes.items()},
        edges={k: copy.copy(v) for k, v in content.edges.items()},
        layout=dict(content.layout),
    )


def bench_check(content: codec.RosterContent, plan: Plan, *, per_rule: bool
                ) -> tuple[list[h.Row], dict[str, Any], list[h.Row]]:
    load_catalog()  # cached; keep the file read out of the timings
    last: list[list[Finding]] = []

    def check(fresh: codec.RosterContent) -> None:
        last[:] = [check_roster(fresh)]

    ours = h.measure_each(lambda: fresh_copy(content), check, warmup=plan.warmup,
                          iterations=plan.iterations, budget_s=plan.check_budget_s,
                          min_iterations=plan.check_min)
    findings = last[0]
    warm = None
    if plan.same_objects:
        check_roster(content)  # would fill any identity memo for the same objects
        warm = h.measure(lambda: check_roster(content), warmup=0, iterations=plan.iterations,
                         budget_s=plan.aux_budget_s, min_iterations=2)
    ref = h.measure(lambda: networkx_reference(content), warmup=min(plan.warmup, 1),
                    iterations=plan.iterations, budget_s=plan.aux_budget_s)
    ctx_stats = h.measure(lambda: CheckContext(content.meta, content.nodes, content.edges),
                          warmup=1, iterations=plan.iterations, budget_s=plan.aux_budget_s)
    by_rule = collections.Counter(f.rule for f in findings)
    rows = [
        h.Row("check_roster on a fresh roster (ours)", ours,
              note=f"{len(findings):,} findings from {len(load_rules())} rules"),
        h.Row("  of which CheckContext + AdjacencyIndex", ctx_stats),
    ]
    if warm is not None:
        rows.append(h.Row("check_roster again, same objects", warm,
                          note="no state kept between checks: should match the row above"))
    rows.append(h.Row("networkx reference pass", ref, ours=ours,
                      note="graph build + DAG test + reachability; not a rule set"))
    out: dict[str, Any] = {
        "ours": ours, "same_objects": warm, "context": ctx_stats, "findings": len(findings),
        "findings_by_rule": dict(sorted(by_rule.items())),
        "baselines": {"networkx_reference": _compare(ours, ref)},
    }
    rule_rows: list[h.Row] = []
    if per_rule:
        per: dict[str, h.Stats] = {}
        def fresh_context() -> CheckContext:
            fresh = fresh_copy(content)
            return CheckContext(fresh.meta, fresh.nodes, fresh.edges)

        for code, rule in load_rules().items():
            def run(ctx: CheckContext, rule: Rule = rule) -> None:
                run_rules(ctx, [rule])

            per[code] = h.measure_each(fresh_context, run, warmup=0, iterations=2,
                                       collect=False)
        out["per_rule"] = per
        total = sum(stats.p50 for stats in per.values())
        for code, stats in sorted(per.items(), key=lambda kv: -kv[1].p50)[:10]:
            rule = load_rules()[code]
            rule_rows.append(h.Row(
                f"{code} {rule.title[:44]}", stats,
                note=f"{stats.p50 / total:4.0%} of the sum; {rule.scope} scope, "
                     f"{by_rule.get(code, 0)} findings"))
    return rows, out, rule_rows


# ---------------------------------------------------------------- edits


class EditMaker:
    """Seeded single edits that are always legal on the document's current state."""

    KINDS = ("connect-grant", "connect-delegation", "disconnect", "agent-property",
             "tool-property", "tool-capabilities")
    WEIGHTS = (15, 10, 25, 20, 15, 15)

    def __init__(self, document: Document, seed: int) -> None:
        self.doc = document
        self.rng = random.Random(seed)
        self.agents = [k for k, v in document.nodes.items() if isinstance(v, m.Agent)]
        self.tools = [k for k, v in document.nodes.items() if isinstance(v, m.Tool)]
        self.removable = [k for k, v in document.edges.items()
                          if v.kind is not m.EdgeKind.ESCALATION]
        self.models = [info.id for info in load_catalog().models() if not info.deprecated]

    def next(self) -> tuple[str, e.Edit]:
        rng = self.rng
        kind = rng.choices(self.KINDS, weights=self.WEIGHTS)[0]
        doc = self.doc
        if kind == "connect-grant":
            while True:
                agent, tool_id = rng.choice(self.agents), rng.choice(self.tools)
                if m.edge_id(m.EdgeKind.TOOL_ACCESS, agent, tool_id) not in doc.edges:
                    break
            tool = doc.nodes[tool_id]
            assert isinstance(tool, m.Tool)
            edge = m.Edge(m.EdgeKind.TOOL_ACCESS, agent, tool_id,
                          mode=rng.choice(tool.modes or ("read",)), approval="ask",
                          purpose="added while benchmarking")
            self.removable.append(edge.id)
            return kind, e.Connect(edge)
        if kind == "connect-delegation":
            while True:
                source, target = rng.choice(self.agents), rng.choice(self.agents)
                if source != target and m.edge_id(
                        m.EdgeKind.DELEGATION, source, target) not in doc.edges:
                    break
            edge = m.Edge(m.EdgeKind.DELEGATION, source, target, max_rounds=2)
            self.removable.append(edge.id)
            return kind, e.Connect(edge)
        if kind == "disconnect":
            i = rng.randrange(len(self.removable))
            self.removable[i], self.removable[-1] = self.removable[-1], self.removable[i]
            return kind, e.Disconnect(self.removable.pop())
        if kind == "agent-property":
            agent_id = rng.choice(self.agents)
            key, value = rng.choice((
                ("max_turns", rng.choice((4, 8, 12, 20, 40))),
                ("budget_usd", rng.choice((0.1, 0.5, 1.0, 5.0))),
                ("model", rng.choice(self.models)),
                ("clearance", rng.choice(m.CLASSIFICATIONS)),
                ("instructions", f"Revised instructions {rng.randrange(10**6)}.\nBe brief.\n"),
            ))
            return kind, e.SetProperty(agent_id, key, value)
        tool_id = rng.choice(self.tools)
        tool = doc.nodes[tool_id]
        assert isinstance(tool, m.Tool)
        if kind == "tool-property":
            key, value = rng.choice((
                ("risk", rng.choice(m.RISKS)),
                ("vetted", not tool.vetted),
                ("data", rng.choice(m.CLASSIFICATIONS)),
            ))
            return kind, e.SetProperty(tool_id, key, value)
        cap = rng.choice(m.CAPABILITIES)
        caps = tuple(c for c in tool.capabilities if c != cap)
        if len(caps) == len(tool.capabilities):
            caps = (*caps, cap)
        return kind, e.SetProperty(tool_id, "capabilities", caps)


def bench_recheck(content: codec.RosterContent, plan: Plan, seed: int
                  ) -> tuple[list[h.Row], dict[str, Any], list[h.Row]]:
    doc = Document(fresh_copy(content))
    gc.collect()
    t0 = time.perf_counter()
    checker = IncrementalChecker(doc)
    checker.findings()
    initial_ms = (time.perf_counter() - t0) * 1000.0
    maker = EditMaker(doc, seed)
    for _ in range(3):  # warm-up edits, untimed
        doc.apply(maker.next()[1])
        checker.findings()
    # (wall ms, cpu ms) per edit
    inc: list[tuple[float, float]] = []
    recheck_only: list[tuple[float, float]] = []
    naive: list[tuple[float, float]] = []
    full_only: list[tuple[float, float]] = []
    per_kind: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    wall, cpu = time.perf_counter, time.process_time
    started = wall()
    for _ in range(plan.edits):
        if len(inc) >= plan.min_edits and wall() - started > plan.recheck_budget_s:
            break
        kind, edit = maker.next()
        w0, c0 = wall(), cpu()
        doc.apply(edit)
        w1, c1 = wall(), cpu()
        checker.findings()
        w2, c2 = wall(), cpu()
        apply_ms = ((w1 - w0) * 1000.0, (c1 - c0) * 1000.0)
        find_ms = ((w2 - w1) * 1000.0, (c2 - c1) * 1000.0)
        total = (apply_ms[0] + find_ms[0], apply_ms[1] + find_ms[1])
        inc.append(total)
        recheck_only.append(find_ms)
        per_kind[kind].append(total)
        # Naive full re-checks on the same states, in the first half of the budget.
        if len(naive) < plan.naive_edits and (
            len(naive) < plan.min_edits or wall() - started < plan.recheck_budget_s / 2
        ):
            w3, c3 = wall(), cpu()
            check_roster(doc.content())
            full_ms = ((wall() - w3) * 1000.0, (cpu() - c3) * 1000.0)
            naive.append((apply_ms[0] + full_ms[0], apply_ms[1] + full_ms[1]))
            full_only.append(full_ms)

    def stats(pairs: list[tuple[float, float]]) -> h.Stats:
        return h.summarize([p[0] for p in pairs], [p[1] for p in pairs])

    incremental = stats(inc)
    naive_stats = stats(naive)
    final_inc = collections.Counter(checker.findings())
    final_full = collections.Counter(check_roster(doc.content()))
    differing = sum(((final_inc - final_full) + (final_full - final_inc)).values())
    checker.close()
    r = h.ratio(incremental, naive_stats)
    p95_ratio = naive_stats.p95 / incremental.p95 if incremental.p95 else float("nan")
    rows = [
        h.Row("apply + IncrementalChecker.findings (ours)", incremental),
        h.Row("  of which findings() alone", stats(recheck_only)),
        h.Row("apply + check_roster(content()) (naive)", naive_stats, ours=incremental,
              note=f"p95 ratio {p95_ratio:.1f}×"),
        h.Row("  of which check_roster alone", stats(full_only)),
    ]
    kind_rows = [h.Row(kind, stats(samples)) for kind, samples in sorted(per_kind.items())]
    out = {
        "initial_findings_ms": initial_ms,
        "ours": incremental,
        "findings_only": stats(recheck_only),
        "naive": naive_stats,
        "naive_check_only": stats(full_only),
        "ratio_p50": r,
        "ratio_p50_cpu": h.ratio(incremental, naive_stats, cpu=True),
        "ratio_p95": p95_ratio,
        "per_edit_kind": {k: stats(v) for k, v in sorted(per_kind.items())},
        "incremental_matches_full": differing == 0,
        "differing_findings": differing,
    }
    return rows, out, kind_rows


# ---------------------------------------------------------------- driver


def run_size(name: str, plan: Plan, seed: int) -> dict[str, Any]:
    spec = SIZES[name]
    t0 = time.perf_counter()
    content = generate(name)
    text = io.dumps(content)
    gen_s = time.perf_counter() - t0
    size_bytes = len(text.encode("utf-8"))
    counts = collections.Counter(type(n).__name__ for n in content.nodes.values())
    print(f"=== {name}: {spec.agents:,} agents, {counts['Tool']:,} tools, "
          f"{counts['Human']:,} humans, {counts['McpServer']} MCP servers, "
          f"{len(content.edges):,} edges; YAML {size_bytes:,} bytes (generated in {gen_s:.1f} s)")
    print(f"    plan: warm-up {plan.warmup}, iterations {plan.iterations} (full check: at "
          f"least {plan.check_min}, more within {plan.check_budget_s:g} s); edits up to "
          f"{plan.edits} (at least {plan.min_edits}, more within {plan.recheck_budget_s:g} s; "
          f"naive re-check on up to {plan.naive_edits})\n")
    result: dict[str, Any] = {"bytes": size_bytes, "nodes": dict(counts),
                              "edges": len(content.edges), "plan": dataclasses.asdict(plan)}

    rows, result["load"] = bench_load(text, plan)
    mb = size_bytes / 1e6
    speed = mb / result["load"]["ours"].p50 * 1000
    print(h.format_table(f"Load {name} ({mb:.2f} MB; ours {speed:.1f} MB/s)", rows))
    rows, result["save"] = bench_save(content, text, plan)
    print(h.format_table(f"Save {name}", rows))
    rows, result["check"], rule_rows = bench_check(content, plan, per_rule=plan.per_rule)
    print(h.format_table(f"Full check {name}", rows))
    if rule_rows:
        print(h.format_table(f"Slowest rules at {name} (each run alone on a fresh roster and "
                             "context; context build not timed)", rule_rows))
    rows, result["recheck"], kind_rows = bench_recheck(content, plan, seed)
    print(h.format_table(
        f"One-edit re-check {name} ({result['recheck']['ours'].n} edits; initial full pass "
        f"{result['recheck']['initial_findings_ms']:.1f} ms; incremental == full at the end: "
        f"{'yes' if result['recheck']['incremental_matches_full'] else 'NO'})", rows))
    print(h.format_table(f"Re-check by edit kind {name} (apply + findings)", kind_rows))
    return result


def target_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """Each target with the wall-clock verdict (the gate) and the CPU-time one (for noise)."""
    out = []
    for label, size, key, stat, limit in TARGETS:
        row = {"target": label, "limit": f"≤ {limit:g} ms ({stat})"}
        if size not in results:
            out.append(row | {"measured": "not run", "verdict": "n/a", "cpu": "",
                              "cpu_verdict": ""})
            continue
        stats: h.Stats = results[size][key]["ours"]
        value, cpu_value = getattr(stats, stat), getattr(stats, f"cpu_{stat}")
        out.append(row | {
            "measured": f"{h.format_ms(value)} ms",
            "verdict": "PASS" if value <= limit else "MISS",
            "cpu": f"{h.format_ms(cpu_value)} ms",
            "cpu_verdict": "PASS" if cpu_value <= limit else "MISS",
        })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_roster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M,L,XL",
                        type=lambda s: [x.strip().upper() for x in s.split(",") if x.strip()])
    parser.add_argument("--quick", action="store_true", help="few iterations: a smoke run")
    parser.add_argument("--slow-baselines", action="store_true",
                        help="also run the pure-Python baselines at XL (minutes)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the edit sequence")
    parser.add_argument("--name", default="roster", help="result file bench/results/NAME.json")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    started = time.perf_counter()
    load_before = os.getloadavg()
    machine = h.machine_info()
    rules = load_rules()
    print(f"machine: {machine['nproc']} CPUs, {machine['cpu']}, Python {machine['python']}; "
          f"PyYAML {yaml.__version__} (libyaml: {yaml.__with_libyaml__})")
    print(f"rules registered: {len(rules)} ({', '.join(sorted(rules)) or 'none'})")
    print(f"load average before: {load_before[0]:.2f} (1 min)\n")
    results: dict[str, dict[str, Any]] = {}
    for name in sorted(args.sizes, key=list(SIZES).index):
        plan = plan_for(name, quick=args.quick, slow_baselines=args.slow_baselines)
        results[name] = run_size(name, plan, args.seed)
    targets = target_rows(results)
    print("Targets (gate on wall-clock p50; the re-check on p95 over the edits; "
          "cpu = process time)")
    cols = ("target", "limit", "measured", "verdict", "cpu", "cpu_verdict")
    widths = {c: max(len(c), *(len(t[c]) for t in targets)) for c in cols}
    print("  " + "  ".join(c.ljust(widths[c]) for c in cols))
    for t in targets:
        print("  " + "  ".join(t[c].ljust(widths[c]) for c in cols))
    if "L" in results:
        print(f"\nL YAML size: {results['L']['bytes']:,} bytes")
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} (1 min); above {machine['nproc']} means "
          "other processes competed for the CPUs and wall times are inflated")
    path = h.write_results(args.name, {
        "load_average": {"before": load_before, "after": load_after},
        "quick": args.quick,
        "rules": sorted(rules),
        "pyyaml": {"version": yaml.__version__, "libyaml": yaml.__with_libyaml__},
        "ruamel": RuamelYAML is not None,
        "sizes": results,
        "targets": targets,
        "elapsed_s": elapsed,
    })
    print(f"\nwrote {path} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
