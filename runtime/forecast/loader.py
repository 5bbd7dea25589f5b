"""Reading NAME.workload.yaml: safe YAML, schema validation, roster cross-checks, defaults merged.

`load_workload(path, content)` returns a complete `Workload`: every value the
file gives, and for everything else the defaults derived from the roster
(defaults.py). Per agent, per human and per tool, fields merge one by one;
in `delegates`, `escalates`, `tools` and `mix` entries merge per id (set one
to 0 to switch it off). Any problem raises a `RosterLoadError` placed at
file:line:col, saying what was expected and how to fix it; nothing is
partly loaded.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from runtime.forecast import validate
from runtime.forecast.calendar import DAY_NAMES, Hours
from runtime.forecast.defaults import call_seconds, default_workload
from runtime.forecast.dists import Dist, dist_from_data
from runtime.forecast.schema import build_schema
from runtime.forecast.workload import (
    AgentLoad,
    Arrival,
    HumanLoad,
    RateLimit,
    ToolLoad,
    Workload,
)
from runtime.roster import model as m
from runtime.roster import yaml_read
from runtime.roster.catalog import TIER_NAMES, Catalog, load_catalog
from runtime.roster.codec import RosterContent
from runtime.roster.errors import RosterLoadError

Path_ = tuple[str | int, ...]


def load_workload(path: str | Path, content: RosterContent,
                  catalog: Catalog | None = None) -> Workload:
    """Load a workload file for the roster `content` (see the module docstring)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(yaml_read.MAX_BYTES + 1)
    except FileNotFoundError:
        raise RosterLoadError("file not found", file=str(path),
                              hint="check the path, or leave --workload out to use the "
                              "defaults derived from the roster") from None
    except OSError as exc:
        raise RosterLoadError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    return loads_workload(data, content, filename=str(path), catalog=catalog)


def loads_workload(data: bytes | str, content: RosterContent, *, filename: str = "<workload>",
                   catalog: Catalog | None = None) -> Workload:
    """Parse workload text (or bytes) for `content`."""
    text: str | None = None
    try:
        text = yaml_read.decode(data) if isinstance(data, bytes) else data
        raw = yaml_read.parse(text)
        if raw is None:
            raise RosterLoadError("the file is empty", line=1, column=1,
                                  expected="format: agent-roster-workload and version: 1",
                                  hint="see docs/workloads.md for an example")
        validate.validate(raw, build_schema())
        return _build(raw, content, catalog or load_catalog(), filename)
    except RosterLoadError as error:
        raise _place(error, text, filename) from None


def _place(error: RosterLoadError, text: str | None, filename: str) -> RosterLoadError:
    error.file = filename
    if error.line is None and text is not None:
        try:
            index = yaml_read.position_index(text)
        except RosterLoadError:
            return error
        where = yaml_read.locate(index, error.path, value=not error.at_key)
        if where is not None:
            error.line, error.column = where
    return error


def _fail(path: Path_, message: str, hint: str | None = None, *,
          at_key: bool = True) -> RosterLoadError:
    return RosterLoadError(message, path=path, hint=hint, at_key=at_key)


def _build(raw: dict[str, Any], content: RosterContent, catalog: Catalog,
           filename: str) -> Workload:
    base = default_workload(content, catalog)
    nodes = content.nodes
    agents = {k for k, v in nodes.items() if isinstance(v, m.Agent)}
    humans = {k for k, v in nodes.items() if isinstance(v, m.Human)}
    tools = {k for k, v in nodes.items() if isinstance(v, m.Tool)}
    mix = dict(base.mix)
    for agent_id, weight in raw.get("mix", {}).items():
        _known(agent_id, agents, ("mix", agent_id), "agent")
        mix[agent_id] = float(weight)
    if raw.get("mix") is not None:
        mix = {k: v for k, v in mix.items() if k in raw["mix"]}
    total = sum(mix.values())
    if total <= 0:
        raise _fail(("mix",), "the mix gives no agent a share of the tasks",
                    "give at least one entry agent a weight above 0", at_key=False)
    loads = dict(base.agents)
    for agent_id, spec in raw.get("agents", {}).items():
        _known(agent_id, agents, ("agents", agent_id), "agent")
        loads[agent_id] = _agent(loads[agent_id], spec, ("agents", agent_id), content, catalog)
    tool_loads = dict(base.tools)
    for tool_id, spec in raw.get("tools", {}).items():
        _known(tool_id, tools, ("tools", tool_id), "tool")
        if "seconds" in spec:
            tool_loads[tool_id] = ToolLoad(_dist(spec["seconds"], ("tools", tool_id, "seconds")))
    human_loads = dict(base.humans)
    for human_id, spec in raw.get("humans", {}).items():
        _known(human_id, humans, ("humans", human_id), "human")
        human_loads[human_id] = _human(human_loads[human_id], spec, ("humans", human_id),
                                       humans)
    limits = {}
    tiers = set(TIER_NAMES.values())
    for name, spec in raw.get("rate_limits", {}).items():
        if name not in tiers and catalog.get(name) is None:
            close = catalog.suggest(name)
            raise _fail(("rate_limits", name), f"{name!r} is neither a model nor a model tier",
                        f"did you mean {close[0]!r}?" if close else
                        "use a model id from the catalog or one of " + ", ".join(sorted(tiers)))
        key = name if name in tiers else catalog.get(name).id  # type: ignore[union-attr]
        limits[key] = RateLimit(float(spec["requests_per_minute"]),
                                float(spec["output_tokens_per_minute"]))
    arrival = base.arrival
    if "arrival" in raw and "hours" in raw["arrival"]:
        arrival = Arrival(_hours(raw["arrival"]["hours"], ("arrival", "hours")))
    notes = (f"values not given in {Path(filename).name} come from these defaults:",
             *still_default(base, raw))
    return Workload(
        name=str(raw.get("name") or base.name),
        tasks_per_day=float(raw.get("tasks_per_day", base.tasks_per_day)),
        arrival=arrival,
        mix=MappingProxyType({k: v / total for k, v in mix.items()}),
        agents=MappingProxyType(loads),
        tools=MappingProxyType(tool_loads),
        humans=MappingProxyType(human_loads),
        rate_limits=MappingProxyType(limits),
        api_tier=raw["api_tier"] if "api_tier" in raw else base.api_tier,
        max_depth=base.max_depth,
        assumptions=notes,
    )


def still_default(base: Workload, raw: dict[str, Any]) -> list[str]:
    """The default assumptions a workload file leaves in force: those about values it does
    not set, reworded where it sets them only in part."""
    denies = "deny" in str(raw.get("agents", {})) or any(
        "deny" in spec for spec in raw.get("humans", {}).values() if isinstance(spec, dict))
    out = []
    topics = base.assumption_topics or ("",) * len(base.assumptions)
    for topic, text in zip(topics, base.assumptions, strict=True):
        if topic in ("tasks_per_day", "arrival") and topic in raw:
            continue
        if topic == "arrival" and "hours" not in raw.get("arrival", {"hours": 1}):
            continue
        if topic == "api_tier" and "api_tier" in raw:
            continue
        if topic == "api_tier" and raw.get("rate_limits"):
            text += " for models without a rate_limits entry"
        if topic == "deny" and denies:
            text = ("humans and gates given no deny probability approve every request they "
                    "answer; " + text.split("; ", 1)[-1])
        out.append(text)
    return out


def _known(name: str, ids: set[str], path: Path_, kind: str) -> None:
    if name not in ids:
        close = difflib.get_close_matches(name, sorted(ids), n=1)
        raise _fail(path, f"the roster has no {kind} {name!r}",
                    f"did you mean {close[0]!r}?" if close else
                    f"use the id of a {kind} in the roster")


def _dist(value: Any, path: Path_) -> Dist:
    if isinstance(value, dict) and "p50" in value and value["p95"] < value["p50"]:
        raise _fail((*path, "p95"), f"p95 ({value['p95']}) is below p50 ({value['p50']})",
                    "p95 is the value 95% of cases stay under: at least p50", at_key=False)
    return dist_from_data(value)


def _agent(load: AgentLoad, spec: dict[str, Any], path: Path_, content: RosterContent,
           catalog: Catalog) -> AgentLoad:
    changes: dict[str, Any] = {}
    if "model" in spec:
        info = catalog.get(spec["model"])
        if info is None:
            close = catalog.suggest(spec["model"])
            raise _fail((*path, "model"), f"model {spec['model']!r} is not in the catalog",
                        f"did you mean {close[0]!r}?" if close else "see `roster explain "
                        "models` or resources/catalog/models.yaml", at_key=False)
        changes["model"] = info.id
    for name in ("input_tokens", "output_tokens", "seconds_per_call"):
        if name in spec:
            changes[name] = _dist(spec[name], (*path, name))
    for name in ("calls", "cached_fraction"):
        if name in spec:
            changes[name] = float(spec[name])
    if "concurrency" in spec:
        changes["concurrency"] = int(spec["concurrency"])
    if "max_parallel_delegations" in spec:
        changes["parallel"] = int(spec["max_parallel_delegations"])
    agent_id = str(path[-1])
    edges = [e for e in content.edges.values() if e.source == agent_id]
    for field, kind, noun in (("delegates", m.EdgeKind.DELEGATION, "delegate to"),
                              ("escalates", m.EdgeKind.ESCALATION, "escalate to"),
                              ("tools", m.EdgeKind.TOOL_ACCESS, "use")):
        if field not in spec:
            continue
        allowed = {e.target for e in edges if e.kind is kind and e.target in content.nodes}
        merged = dict(getattr(load, field))
        for target, value in spec[field].items():
            if target not in allowed:
                raise _fail((*path, field, target),
                            f"{agent_id!r} does not {noun} {target!r} in the roster",
                            "add the edge to the roster, or remove this line")
            merged[target] = float(value)
        changes[field] = MappingProxyType(merged)
    if "deny" in spec:
        gates = {e.target for e in edges if e.target in content.nodes and (
            e.kind is m.EdgeKind.ESCALATION or (e.kind is m.EdgeKind.TOOL_ACCESS
                                                and e.target in load.approval_tools))}
        merged = dict(load.deny)
        for target, value in spec["deny"].items():
            if target not in gates:
                raise _fail((*path, "deny", target),
                            f"{target!r} is not a gate of {agent_id!r}: neither a human it "
                            "escalates to nor a tool whose calls need approval ('ask')",
                            "name an escalation target or an 'ask' tool grant of this agent")
            merged[target] = float(value)
        changes["deny"] = MappingProxyType(merged)
    if "seconds_per_call" in spec:
        changes["latency_from_model"] = False
    updated = replace(load, **changes)
    if updated.latency_from_model and ("model" in spec or "output_tokens" in spec):
        info = catalog.get(updated.model)
        if info is not None:
            updated = replace(updated, seconds_per_call=call_seconds(info, updated.output_tokens))
    return updated


def _human(load: HumanLoad, spec: dict[str, Any], path: Path_, humans: set[str]) -> HumanLoad:
    changes: dict[str, Any] = {}
    if "deny" in spec:
        changes["deny"] = float(spec["deny"])
    if "timeout_s" in spec:
        changes["timeout_s"] = None if spec["timeout_s"] is None else float(spec["timeout_s"])
    if "on_timeout" in spec:
        changes["on_timeout"] = str(spec["on_timeout"])
    if "backup" in spec:
        _known(spec["backup"], humans - {str(path[-1])}, (*path, "backup"), "other human")
        changes["backup"] = str(spec["backup"])
    if "response_s" in spec:
        changes["response_seconds"] = _dist(spec["response_s"], (*path, "response_s"))
    if "reviewers" in spec:
        changes["reviewers"] = int(spec["reviewers"])
    if "hours" in spec:
        changes["hours"] = _hours(spec["hours"], (*path, "hours"))
    updated = replace(load, **changes)
    if updated.on_timeout == "escalate" and updated.backup is None:
        raise _fail((*path, "on_timeout"), "on_timeout is 'escalate' but the human has no backup",
                    "add backup: ID (here or in the roster), or use on_timeout: deny",
                    at_key=False)
    return updated


def _hours(value: Any, path: Path_) -> Hours:
    if value == "always":
        return Hours()
    if value["end"] <= value["start"]:
        raise _fail((*path, "end"), f"end ({value['end']}) is not after start "
                    f"({value['start']})", "hours run within one day, e.g. start: 9, end: 17",
                    at_key=False)
    days = value.get("days", list(DAY_NAMES[:5]))
    return Hours(float(value["start"]), float(value["end"]),
                 tuple(DAY_NAMES.index(d) for d in days))
