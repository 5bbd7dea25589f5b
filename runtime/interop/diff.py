"""Semantic differences between two rosters, riskiest first.

Compares what a roster *means*, never how it is laid out: canvas positions
are ignored, and so is the order of sections. Permission and escalation
changes come first, in words that say what the risk is ("billing gained write
on payments without approval", "refunds no longer escalates to ops-lead"),
then delegation, models, nodes, policy and the rest. Each change carries a
risk (high, medium, low), a category, the roster path it concerns, and the
values before and after, so the same list feeds the CLI text, `--format
json` and the designer's diff view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from runtime.roster import codec, effective
from runtime.roster import model as m
from runtime.roster.catalog import Catalog, load_catalog
from runtime.roster.migrations import CURRENT_VERSION

RISK_ORDER: Final = {"high": 0, "medium": 1, "low": 2}
CATEGORY_ORDER: Final = {"permission": 0, "escalation": 0, "delegation": 1, "model": 2,
                         "policy": 2, "agent": 3, "tool": 3, "mcp_server": 3, "human": 3,
                         "roster": 4}
_EDGE_FIELDS: Final = ("delegates_to", "uses", "escalates_to")
_SECTION_CATEGORY: Final = {"agents": "agent", "tools": "tool", "mcp_servers": "mcp_server",
                            "humans": "human"}
_GATE: Final = {"allow": "without approval", "ask": "with approval", "deny": "denied"}


@dataclass(frozen=True, slots=True)
class Change:
    risk: str
    category: str
    subject: str
    message: str
    path: str
    before: Any = None
    after: Any = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sort_key(change: Change) -> tuple[int, int, str, str]:
    return (CATEGORY_ORDER.get(change.category, 5), RISK_ORDER[change.risk], change.subject,
            change.message)


def _high_impact(content: codec.RosterContent, tool_id: str) -> bool:
    tool = content.nodes.get(tool_id)
    if not isinstance(tool, m.Tool):
        return True  # unknown kinds are judged at their worst
    server = content.nodes.get(tool.server or "")
    return effective.is_high_impact(tool, server if isinstance(server, m.McpServer) else None)


def _grant_changes(old: codec.RosterContent, new: codec.RosterContent) -> list[Change]:
    out: list[Change] = []
    for eid in sorted(set(old.edges) | set(new.edges)):
        a, b = old.edges.get(eid), new.edges.get(eid)
        edge = b or a
        assert edge is not None
        src, dst = edge.source, edge.target
        if edge.kind is m.EdgeKind.TOOL_ACCESS:
            path = f"agents.{src}.uses.{dst}"
            out += _tool_edge(a, b, src, dst, path, new if b else old)
        elif edge.kind is m.EdgeKind.ESCALATION:
            path = f"agents.{src}.escalates_to"
            if a is None:
                out.append(Change("low", "escalation", src, f"{src} now escalates to {dst}",
                                  path, None, dst))
            elif b is None:
                out.append(Change("high", "escalation", src, f"{src} no longer escalates to "
                                  f"{dst}: nobody reviews what it escalated before", path, dst))
        else:
            path = f"agents.{src}.delegates_to"
            if a is None:
                out.append(Change("medium", "delegation", src, f"{src} may now delegate to {dst}",
                                  path, None, dst))
            elif b is None:
                out.append(Change("low", "delegation", src, f"{src} no longer delegates to {dst}",
                                  path, dst))
            elif a != b:
                out.append(Change("low", "delegation", src, f"{src} → {dst} delegation limits "
                                  f"changed", path, a.max_rounds, b.max_rounds))
    return out


def _tool_edge(a: m.Edge | None, b: m.Edge | None, src: str, dst: str, path: str,
               content: codec.RosterContent) -> list[Change]:
    impact = _high_impact(content, dst)
    if a is None and b is not None:
        mode, gate = effective.grant_mode(b), effective.grant_approval(b)
        risk = "low" if gate == "deny" else "high" if gate == "allow" and (
            mode != "read" or impact) else "medium"
        return [Change(risk, "permission", src, f"{src} gained {mode} on {dst} {_GATE[gate]}",
                       path, None, {"mode": mode, "approval": gate})]
    if b is None and a is not None:
        return [Change("low", "permission", src, f"{src} lost access to {dst}", path,
                       {"mode": effective.grant_mode(a), "approval": effective.grant_approval(a)})]
    assert a is not None and b is not None
    out: list[Change] = []
    ga, gb = effective.grant_approval(a), effective.grant_approval(b)
    ma, mb = effective.grant_mode(a), effective.grant_mode(b)
    if ga != gb:
        loosened = ["deny", "ask", "allow"].index(gb) > ["deny", "ask", "allow"].index(ga)
        if gb == "allow":
            text = f"{src} now uses {dst} ({mb}) without approval (was {ga})"
        else:
            text = f"{src}'s access to {dst} is now {gb} (was {ga})"
        risk = ("high" if gb == "allow" else "medium") if loosened else "low"
        out.append(Change(risk, "permission", src, text, f"{path}.approval", ga, gb))
    if ma != mb:
        order = list(m.MODES)
        widened = order.index(mb) > order.index(ma)
        risk = ("high" if gb == "allow" else "medium") if widened else "low"
        out.append(Change(risk, "permission", src, f"{src}'s access to {dst} "
                          f"{'widened' if widened else 'narrowed'} from {ma} to {mb} "
                          f"({_GATE[gb]})", f"{path}.mode", ma, mb))
    if a.purpose != b.purpose:
        out.append(Change("low", "permission", src, f"purpose of {src}'s grant on {dst} changed",
                          f"{path}.purpose", a.purpose, b.purpose))
    return out


def _field_change(section: str, node_id: str, key: str, before: Any, after: Any,
                  catalog: Catalog) -> Change:
    category = _SECTION_CATEGORY[section]
    path = f"{section}.{node_id}.{key}"
    if key == "model":
        infos = [catalog.get(v) if isinstance(v, str) else None for v in (before, after)]
        tiers = [i.tier_name if i is not None else "?" for i in infos]
        up = [i.tier if i is not None else 0 for i in infos]
        return Change("medium" if up[1] > up[0] else "low", "model", node_id,
                      f"{node_id} model {before or 'default'} → {after or 'default'} "
                      f"({tiers[0]} → {tiers[1]})", path, before, after)
    if key == "capabilities":
        gained = sorted(set(after or ()) - set(before or ()))
        lost = sorted(set(before or ()) - set(after or ()))
        parts = ([f"gained {', '.join(gained)}"] if gained else []) + (
            [f"lost {', '.join(lost)}"] if lost else [])
        risky = set(gained) & {"irreversible", "financial", "code_exec", "external_comm"}
        return Change("high" if risky else "medium" if gained else "low", category, node_id,
                      f"{node_id} {'; '.join(parts)}", path, before, after)
    if key == "trust" and after == "trusted":
        return Change("high", category, node_id, f"{node_id} is now trusted: its tool "
                      "annotations will be believed", path, before, after)
    if key in ("budget_usd", "max_turns", "timeout_s") and (after is None or (
            isinstance(before, int | float) and isinstance(after, int | float)
            and after > before)):
        verb = "removed" if after is None else f"raised {before} → {after}"
        return Change("medium", category, node_id, f"{node_id} {key} {verb}", path, before,
                      after)
    if key == "vetted" and not after:
        return Change("medium", category, node_id, f"{node_id} is no longer vetted", path,
                      before, after)
    if key == "instructions":
        return Change("low", category, node_id, f"{node_id} instructions changed", path,
                      before, after)
    return Change("low", category, node_id, f"{node_id} {key}: {_short(before)} → "
                  f"{_short(after)}", path, before, after)


def _short(value: Any) -> str:
    text = "unset" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _node_changes(old: dict[str, Any], new: dict[str, Any], catalog: Catalog) -> list[Change]:
    out: list[Change] = []
    for section, category in _SECTION_CATEGORY.items():
        a_nodes, b_nodes = old.get(section, {}), new.get(section, {})
        for node_id in sorted(set(a_nodes) | set(b_nodes)):
            a, b = a_nodes.get(node_id), b_nodes.get(node_id)
            if a is None:
                out.append(Change("medium", category, node_id, f"{category.replace('_', ' ')} "
                                  f"{node_id} added", f"{section}.{node_id}", None, b))
                continue
            if b is None:
                out.append(Change("low", category, node_id, f"{category.replace('_', ' ')} "
                                  f"{node_id} removed", f"{section}.{node_id}", a, None))
                continue
            for key in [k for k in {**a, **b} if k not in _EDGE_FIELDS]:
                if a.get(key) != b.get(key):
                    out.append(_field_change(section, node_id, key, a.get(key), b.get(key),
                                             catalog))
    return out


def _policy_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    for section in ("policy", "defaults", "providers", "audit"):
        a, b = old.get(section, {}) or {}, new.get(section, {}) or {}
        for key in sorted(set(a) | set(b)):
            before, after = a.get(key), b.get(key)
            if before == after:
                continue
            looser = after is None or (isinstance(before, int | float) and isinstance(
                after, int | float) and after > before) or (isinstance(before, list) and
                isinstance(after, list) and set(after) > set(before))
            verb = "removed" if after is None else f"{_short(before)} → {_short(after)}"
            out.append(Change("medium" if looser else "low", "policy", section,
                              f"{section}.{key} {verb}", f"{section}.{key}", before, after))
    for key in ("name", "description", "entry", "acknowledged", "extensions"):
        if old.get(key) != new.get(key):
            risk = "medium" if key in ("acknowledged", "entry") else "low"
            out.append(Change(risk, "roster", "roster", f"{key} changed", key, old.get(key),
                              new.get(key)))
    return out


def diff(old: codec.RosterContent, new: codec.RosterContent,
         catalog: Catalog | None = None) -> list[Change]:
    """What changed from `old` to `new`, riskiest first; layout is ignored."""
    catalog = catalog or load_catalog()
    a, b = codec.encode(old, CURRENT_VERSION), codec.encode(new, CURRENT_VERSION)
    changes = _grant_changes(old, new) + _node_changes(a, b, catalog) + _policy_changes(a, b)
    return sorted(changes, key=_sort_key)


def as_text(changes: list[Change], old_name: str, new_name: str) -> str:
    if not changes:
        return f"{old_name} → {new_name}: no semantic changes (layout is not compared)"
    high = sum(c.risk == "high" for c in changes)
    head = f"{old_name} → {new_name}: {len(changes)} change(s), {high} high risk"
    rows = [f"{c.risk.upper():6} {c.category:11} {c.message}" for c in changes]
    return "\n".join([head, *rows])
