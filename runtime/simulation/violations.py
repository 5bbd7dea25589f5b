"""Policy violations visible in a trace: what the roster's gates should have stopped but didn't.

The engine enforces the roster as written; these rules say where the roster
as written let something through that the governance rules (docs/rules.md) forbid:

- `unapproved_high_impact`: a high-impact tool (irreversible, financial,
  high-risk state change, destructive MCP) ran without a human's approval;
- `acted_on_untrusted_input`: after an untrusted tool's output (web pages,
  open-world MCP, a stub marked `injection`) reached an agent, the same agent
  invocation wrote, executed or sent something without approval;
- `model_not_allowed`: an agent ran on a model outside `policy.allowed_models`;
- `spend_over_cap`: the run spent more than its cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.engine import events as ev
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.codec import RosterContent
from runtime.simulation.result import Violation
from runtime.simulation.scenario import Scenario

WRITE_MODES = frozenset({"write", "execute"})


def _server(content: RosterContent, tool: m.Tool) -> m.McpServer | None:
    node = content.nodes.get(tool.server or "")
    return node if isinstance(node, m.McpServer) else None


def untrusted_tools(content: RosterContent, scenario: Scenario) -> frozenset[str]:
    return frozenset(
        n.id for n in content.nodes.values() if isinstance(n, m.Tool) and (
            "untrusted_input" in eff.tool_capabilities(n, _server(content, n))
            or (n.id in scenario.tools and scenario.tools[n.id].injection)))


def _approved_calls(events: Sequence[ev.EngineEvent]) -> set[str]:
    asked: dict[str, str] = {}
    approved: set[str] = set()
    for event in events:
        if isinstance(event, ev.ApprovalRequested):
            asked[event.request_id] = event.request_id.rpartition(":")[0]
        elif isinstance(event, ev.ApprovalAnswered) and event.decision == "approve":
            approved.add(asked.get(event.request_id, ""))
    return approved


def find_violations(content: RosterContent, scenario: Scenario,
                    events: Sequence[ev.EngineEvent]) -> list[Violation]:
    untrusted = untrusted_tools(content, scenario)
    approved = _approved_calls(events)
    allowed = content.meta.policy.allowed_models
    tainted: dict[str, str] = {}  # frame -> the untrusted tool whose output reached it
    found: list[Violation] = []
    for i, event in enumerate(events):
        if isinstance(event, ev.ToolFinished) and event.tool in untrusted:
            tainted.setdefault(event.frame, event.tool)
        elif isinstance(event, ev.AgentStarted) and allowed and event.model not in allowed:
            found.append(Violation("model_not_allowed", f"'{event.agent}' ran on "
                                   f"{event.model}, which policy.allowed_models does not list",
                                   i))
        elif isinstance(event, ev.ToolCalled) and event.call_id not in approved:
            tool = content.nodes.get(event.tool)
            if not isinstance(tool, m.Tool):
                continue
            grant = content.edges.get(m.edge_id(m.EdgeKind.TOOL_ACCESS, event.agent, tool.id))
            mode = eff.grant_mode(grant) if grant is not None else "write"
            if eff.is_high_impact(tool, _server(content, tool)):
                found.append(Violation("unapproved_high_impact", f"high-impact tool "
                                       f"'{tool.id}' ran for '{event.agent}' without a "
                                       "human's approval", i))
            elif event.frame in tainted and mode in WRITE_MODES:
                found.append(Violation("acted_on_untrusted_input", f"'{event.agent}' used "
                                       f"'{tool.id}' ({mode}) without approval after output of "
                                       f"untrusted '{tainted[event.frame]}' reached it", i))
    finished = next((i for i, e in enumerate(events) if isinstance(e, ev.RunFinished)), None)
    start = next((e for e in events if isinstance(e, ev.RunStarted)), None)
    if finished is not None and start is not None and start.budget_usd is not None:
        spent = events[finished]
        assert isinstance(spent, ev.RunFinished)
        if spent.cost_usd > start.budget_usd + 1e-9:
            found.append(Violation("spend_over_cap", f"the run spent ${spent.cost_usd:.4f}, "
                                   f"over its cap of ${start.budget_usd:.4f}", finished))
    return sorted(found, key=lambda v: v.event_index)
