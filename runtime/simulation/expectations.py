"""Judging a trace against a scenario's expectations, one verdict per expectation.

Every failure message names the expectation and the event that broke it
(`event #SEQ Kind (gist)`), or, for something that never happened, the event
the run ended with and the nearest miss (a denied call for a tool that was
expected to run, say), so a reader can find the spot in the trace at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runtime.engine import events as ev
from runtime.engine.run import DELEGATE_PREFIX, ESCALATE_PREFIX
from runtime.simulation.result import ExpectationResult, Violation, describe
from runtime.simulation.scenario import Expectations

Events = Sequence[ev.EngineEvent]


def _first(events: Events, test: Callable[[ev.EngineEvent], bool]) -> int | None:
    return next((i for i, e in enumerate(events) if test(e)), None)


def _end(events: Events) -> int:
    found = _first(events, lambda e: isinstance(e, ev.RunFinished))
    return found if found is not None else len(events) - 1


def _chain(frame: str) -> list[str]:
    parts = frame.split("/")
    return [parts[0], *(p.split("@")[0] for p in parts[1:])]


def stops(events: Events) -> list[tuple[str, int]]:
    """What stopped work in the run, in order: gates (denied, approval) and limits."""
    found: list[tuple[str, int]] = []
    for i, e in enumerate(events):
        if isinstance(e, ev.ToolDenied):
            found.append(("approval" if e.reason.startswith("approval") else "denied", i))
        elif isinstance(e, ev.LimitExceeded):
            found.append((e.limit, i))
        elif (isinstance(e, ev.RunFinished) and e.status == "limit"
              and "budget exhausted" in e.error):
            found.append(("run_budget" if e.error.startswith("run ") else "budget", i))
    return found


class _Judge:
    def __init__(self, events: Events, violations: Sequence[Violation], guard: int | None):
        self.events = events
        self.violations = violations
        self.guard = guard
        self.end = _end(events)
        self.out: list[ExpectationResult] = []
        # First occurrences, indexed once: a suite may check thousands of tools.
        self.called_at: dict[str, int] = {}
        self.denied_at: dict[str, int] = {}
        self.asked_at: dict[str, int] = {}
        for i, e in enumerate(events):
            if isinstance(e, ev.ToolCalled):
                self.called_at.setdefault(e.tool, i)
            elif isinstance(e, ev.ToolDenied):
                self.denied_at.setdefault(e.tool, i)
            elif isinstance(e, ev.ApprovalRequested):
                for key in (e.tool, e.human, e.tool.removeprefix(ESCALATE_PREFIX)):
                    self.asked_at.setdefault(key, i)

    def ok(self, name: str, message: str, index: int | None = None) -> None:
        self.out.append(ExpectationResult(name, True, message, index))

    def fail(self, name: str, message: str, index: int | None) -> None:
        where = f" [{describe(self.events, index)}]" if index is not None else ""
        self.out.append(ExpectationResult(name, False, f"{name}: {message}{where}", index))

    def ended(self) -> str:
        return f"the run ended at {describe(self.events, self.end)}"

    def status(self, expected: str) -> None:
        end = self.events[self.end]
        got = end.status if isinstance(end, ev.RunFinished) else "unfinished"
        name = f"status: {expected}"
        if got == expected:
            self.ok(name, f"the run ended {got}", self.end)
        else:
            self.fail(name, f"expected the run to end {expected}, it ended {got}", self.end)

    def called(self, tool: str) -> None:
        name = f"tools_called: {tool}"
        hit = self.called_at.get(tool)
        if hit is not None:
            self.ok(name, f"called at {describe(self.events, hit)}", hit)
            return
        denied = self.denied_at.get(tool)
        if denied is not None:
            self.fail(name, f"'{tool}' was never called: the attempt was refused", denied)
        else:
            self.fail(name, f"'{tool}' was never called; {self.ended()}", None)

    def not_called(self, tool: str) -> None:
        name = f"tools_not_called: {tool}"
        hit = self.called_at.get(tool)
        if hit is None:
            self.ok(name, f"'{tool}' never ran")
        else:
            self.fail(name, f"'{tool}' ran", hit)

    def denied(self, tool: str) -> None:
        name = f"tools_denied: {tool}"
        hit = self.denied_at.get(tool)
        ran = self.called_at.get(tool)
        if ran is not None and (hit is None or ran < hit):
            self.fail(name, f"'{tool}' was expected to be refused but ran", ran)
        elif hit is None:
            self.fail(name, f"no call of '{tool}' was attempted and refused; {self.ended()}",
                      None)
        else:
            self.ok(name, f"refused at {describe(self.events, hit)}", hit)

    def approval(self, item: str) -> None:
        name = f"approvals_requested: {item}"
        hit = self.asked_at.get(item)
        if hit is not None:
            self.ok(name, f"requested at {describe(self.events, hit)}", hit)
            return
        ran = self.called_at.get(item)
        if ran is not None:
            self.fail(name, f"'{item}' ran without anyone being asked", ran)
        else:
            self.fail(name, f"nobody was asked about '{item}'; {self.ended()}", None)

    def path(self, path: tuple[str, ...]) -> None:
        name = "delegation_path: " + " → ".join(path)
        best: tuple[int, int | None] = (0, None)
        for i, e in enumerate(self.events):
            if not isinstance(e, ev.AgentStarted):
                continue
            chain = _chain(e.frame)
            for start in range(len(chain)):
                run = 0
                while (run < len(path) and start + run < len(chain)
                       and chain[start + run] == path[run]):
                    run += 1
                if run == len(path):
                    self.ok(name, f"taken at {describe(self.events, i)}", i)
                    return
                if run > best[0]:
                    best = (run, i)
        if best[1] is None:
            self.fail(name, f"no delegation from '{path[0]}' happened; {self.ended()}", None)
            return
        reached = " → ".join(path[:best[0]])
        refused = _first(self.events, lambda e: isinstance(e, ev.ToolDenied)
                         and e.agent == path[best[0] - 1]
                         and e.tool == f"{DELEGATE_PREFIX}{path[best[0]]}")
        if refused is not None:
            self.fail(name, f"the path stopped at {reached}: the delegation to "
                            f"'{path[best[0]]}' was refused", refused)
        else:
            self.fail(name, f"the path reached only {reached}", best[1])

    def spend(self, cap: float) -> None:
        name = f"max_usd: {cap:g}"
        spent = 0.0
        for i, e in enumerate(self.events):
            if isinstance(e, ev.ModelCalled):
                spent += e.cost_usd
                if spent > cap + 1e-12:
                    self.fail(name, f"spend reached ${spent:.4f}, over ${cap:g}", i)
                    return
        self.ok(name, f"spent ${spent:.4f}")

    def calls(self, cap: int) -> None:
        name = f"max_model_calls: {cap}"
        count = 0
        for i, e in enumerate(self.events):
            if isinstance(e, ev.ModelCalled):
                count += 1
                if count > cap:
                    stopped = " (the simulation stopped the run there)" if self.guard else ""
                    self.fail(name, f"more than {cap} model calls{stopped}; nothing in the "
                                    "roster bounded the run", i)
                    return
        self.ok(name, f"{count} model calls")

    def clean(self) -> None:
        name = "no_policy_violation"
        if not self.violations:
            self.ok(name, "no policy violation")
            return
        first = self.violations[0]
        more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        self.fail(name, f"{first.rule}: {first.message}{more}", first.event_index)

    def stopped_by(self, kinds: tuple[str, ...]) -> None:
        name = "stopped_by: " + ", ".join(kinds)
        seen = stops(self.events)
        hit = next(((k, i) for k, i in seen if k in kinds), None)
        if hit is not None:
            self.ok(name, f"{hit[0]} at {describe(self.events, hit[1])}", hit[1])
            return
        others = sorted({k for k, _ in seen})
        what = f"only {', '.join(others)} happened" if others else "no gate or limit acted"
        self.fail(name, f"expected {' or '.join(kinds)} to stop it; {what}", self.end)


def judge(expect: Expectations, events: Events, violations: Sequence[Violation],
          *, guard: int | None = None) -> list[ExpectationResult]:
    """One verdict per expectation, in the order the format lists them."""
    j = _Judge(events, violations, guard)
    if expect.status is not None:
        j.status(expect.status)
    for tool in expect.tools_called:
        j.called(tool)
    for tool in expect.tools_not_called:
        j.not_called(tool)
    for tool in expect.tools_denied:
        j.denied(tool)
    for item in expect.approvals_requested:
        j.approval(item)
    if expect.delegation_path:
        j.path(expect.delegation_path)
    if expect.max_usd is not None:
        j.spend(expect.max_usd)
    if expect.max_model_calls is not None:
        j.calls(expect.max_model_calls)
    if expect.no_policy_violation:
        j.clean()
    if expect.stopped_by:
        j.stopped_by(expect.stopped_by)
    return j.out
