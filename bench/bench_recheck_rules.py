"""Where a one-edit re-check spends its CPU: per roster-scope rule and per edit kind.

    python -m bench.bench_recheck_rules [--size L] [--edits 100] [--seed 7] [--delegations]

Runs the edit loop of bench_roster.py (the same seeded `EditMaker`, the same warm-up) on a
live `Document` with an `IncrementalChecker`, and charges the CPU time
(`time.process_time`) of each roster-scope rule's pass to that rule; a shared closure
(the flow levels, the taint chains, the delegation analysis) is charged to the first rule
that asks for it in registry order. Prints p50/p95 CPU per edit, per edit kind, and the
mean CPU per edit of every rule, then checks that the incremental findings equal a full
check's after the last edit. With --delegations, every edit connects or disconnects a
delegation (half each, seeded), the edits that decide the p95. A profile, not a gate: for
the targets see bench_roster.py.
Results: bench/results/recheck-rules.json.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from bench import harness as h
from bench.bench_roster import EditMaker, fresh_copy
from bench.generate import SIZES, generate
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster.checks.base import Finding
from runtime.roster.checks.context import CheckContext
from runtime.roster.checks.engine import IncrementalChecker, check_roster, load_rules
from runtime.roster.document import Document


def _charged(fn: Callable[[CheckContext], Iterable[Finding]], code: str,
             spent: dict[str, float]) -> Callable[[CheckContext], list[Finding]]:
    def run(ctx: CheckContext) -> list[Finding]:
        started = time.process_time()
        found = list(fn(ctx))
        spent[code] += time.process_time() - started
        return found

    return run


class DelegationEdits:
    """Seeded delegation edits only: connect a new delegation (max_rounds 2, as EditMaker
    does) or disconnect an existing one, half each."""

    def __init__(self, document: Document, seed: int) -> None:
        self.doc = document
        self.rng = random.Random(seed)
        self.agents = [k for k, v in document.nodes.items() if isinstance(v, m.Agent)]
        self.present = [k for k, v in document.edges.items() if v.kind is m.EdgeKind.DELEGATION]

    def next(self) -> tuple[str, e.Edit]:
        rng, kind = self.rng, m.EdgeKind.DELEGATION
        if rng.random() < 0.5 or not self.present:
            while True:
                source, target = rng.choice(self.agents), rng.choice(self.agents)
                if source != target and m.edge_id(kind, source, target) not in self.doc.edges:
                    break
            edge = m.Edge(kind, source, target, max_rounds=2)
            self.present.append(edge.id)
            return "connect-delegation", e.Connect(edge)
        i = rng.randrange(len(self.present))
        self.present[i], self.present[-1] = self.present[-1], self.present[i]
        return "disconnect-delegation", e.Disconnect(self.present.pop())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_recheck_rules",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="L", choices=list(SIZES))
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7, help="seed of the edit sequence")
    parser.add_argument("--delegations", action="store_true",
                        help="delegation connects and disconnects only")
    args = parser.parse_args(argv)
    spent: dict[str, float] = collections.defaultdict(float)
    rules = load_rules()
    originals = {code: rule.check for code, rule in rules.items()}
    for code, rule in rules.items():
        if rule.check is not None:
            object.__setattr__(rule, "check", _charged(rule.check, code, spent))
    try:
        doc = Document(fresh_copy(generate(SIZES[args.size])))
        checker = IncrementalChecker(doc)
        checker.findings()
        maker: EditMaker | DelegationEdits = (
            DelegationEdits(doc, args.seed) if args.delegations else EditMaker(doc, args.seed))
        for _ in range(3):  # warm-up edits, as bench_roster does
            doc.apply(maker.next()[1])
            checker.findings()
        spent.clear()
        per_kind: dict[str, list[float]] = collections.defaultdict(list)
        every: list[float] = []
        for _ in range(args.edits):
            kind, edit = maker.next()
            started = time.process_time()
            doc.apply(edit)
            checker.findings()
            ms = (time.process_time() - started) * 1000.0
            every.append(ms)
            per_kind[kind].append(ms)
        same = collections.Counter(checker.findings()) == collections.Counter(
            check_roster(doc.content()))
        checker.close()
    finally:
        for code, fn in originals.items():
            object.__setattr__(rules[code], "check", fn)
    stats = h.summarize(every, every)
    rows = [h.Row("apply + findings, CPU", stats)]
    rows += [h.Row(f"  {kind}", h.summarize(ms, ms)) for kind, ms in sorted(per_kind.items())]
    print(h.format_table(f"One-edit re-check {args.size}, {args.edits} edits (CPU ms)", rows))
    by_rule = {code: s * 1000.0 / args.edits for code, s in spent.items()}
    print("Roster-scope rules, mean CPU ms per edit:")
    for code, ms in sorted(by_rule.items(), key=lambda x: -x[1]):
        print(f"  {code}  {ms:7.2f}")
    print(f"  sum  {sum(by_rule.values()):7.2f} (the rest: apply, node rules, sorting)")
    print(f"incremental == full check after the last edit: {'yes' if same else 'NO'}")
    result: dict[str, Any] = {"delegations_only": args.delegations, "size": args.size,
                              "edits": args.edits, "seed": args.seed,
                              "recheck": stats, "per_edit_kind": {
                                  k: h.summarize(v, v) for k, v in per_kind.items()},
                              "rule_ms_per_edit": by_rule, "matches_full_check": same}
    name = "recheck-rules-delegations" if args.delegations else "recheck-rules"
    print(f"wrote {h.write_results(name, result)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
