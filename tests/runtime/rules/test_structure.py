"""R02 reachability, R03 bounded delegation, R04 fan-out: fires, stays quiet, points right."""

from __future__ import annotations

import time
from typing import Any

from runtime.roster.checks.engine import load_rules
from runtime.roster.checks.rules.structure import MAX_CYCLES
from tests.runtime.rules.conftest import codes, mutate
from tests.runtime.rules.helpers import of, tool


def _orphan(d: dict[str, Any]) -> None:
    d["agents"]["orphan"] = {"name": "Orphan", "role": "Nobody calls it.",
                             "escalates_to": ["ops-lead"]}


def test_r02_unreachable_agent_and_tool() -> None:
    def change(d: dict[str, Any]) -> None:
        _orphan(d)
        d["tools"]["spare"] = tool("fs_read", fs_roots=["/srv/data/spare"])

    text = mutate(change)
    assert codes(text) == {"R02"}
    found = {f.subject: f for f in of(text, "R02")}
    assert set(found) == {"orphan", "spare"}
    assert found["orphan"].path == ("agents", "orphan")
    assert found["spare"].path == ("tools", "spare")
    assert "cannot be reached from the entry agents ('lead')" in found["orphan"].message


def test_r02_reaches_servers_through_tools_and_backups_through_humans(base: str) -> None:
    def change(d: dict[str, Any]) -> None:
        d["humans"]["deputy"] = {"name": "Deputy", "role": "Backs up the ops lead.",
                                 "timeout_s": 600, "on_timeout": "deny"}
        d["humans"]["ops-lead"]["backup"] = "deputy"

    assert "R02" not in codes(base)
    assert "R02" not in codes(mutate(change))


def test_r02_no_entry_is_one_finding_on_entry() -> None:
    text = mutate(lambda d: d.update(entry=[]))
    assert codes(text) == {"R02"}
    found = of(text, "R02")
    assert [(f.path, f.subjects) for f in found] == [(("entry",), ())]


def test_r03_unbounded_cycle() -> None:
    text = mutate(lambda d: d["agents"]["billing"].update(delegates_to=["lead"]))
    assert codes(text) == {"R03"}
    (f,) = of(text, "R03")
    assert f.path == ("agents", "billing", "delegates_to", 0)
    assert set(f.subjects[:2]) == {"billing", "lead"}
    assert "lead → billing → lead" in f.message
    assert "max_rounds" in f.fix


def test_r03_bounded_cycle_is_fine() -> None:
    bounded = [{"lead": {"max_rounds": 2}}]
    text = mutate(lambda d: d["agents"]["billing"].update(delegates_to=bounded))
    assert "R03" not in codes(text)


def _chain(depth: int) -> str:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["researcher"]["delegates_to"] = ["billing"]
        d["policy"]["max_delegation_depth"] = depth

    return mutate(change)


def test_r03_chain_deeper_than_policy() -> None:
    text = _chain(1)
    assert codes(text) == {"R03"}
    (f,) = of(text, "R03")
    assert f.subjects[:3] == ("lead", "researcher", "billing")
    assert f.path == ("agents", "researcher", "delegates_to", 0)
    assert "2 hops deep; the policy allows 1" in f.message


def test_r03_chain_within_policy() -> None:
    assert "R03" not in codes(_chain(2))


def test_r03_caps_cycle_enumeration_and_stays_fast() -> None:
    def change(d: dict[str, Any]) -> None:
        names = [f"a{i}" for i in range(12)]
        for name in names:
            d["agents"][name] = {"name": name, "role": "loops", "escalates_to": ["ops-lead"],
                                 "delegates_to": [x for x in names if x != name]}
        d["agents"]["lead"]["delegates_to"].append("a0")

    text = mutate(change)
    rule = load_rules()["R03"]
    assert rule.check is not None
    start = time.perf_counter()
    found = of(text, "R03")
    assert time.perf_counter() - start < 5
    assert 1 <= len(found) <= MAX_CYCLES + 1


def test_r04_fan_out_over_policy() -> None:
    text = mutate(lambda d: d["policy"].update(max_parallel_agents=1))
    assert codes(text) == {"R04"}
    (f,) = of(text, "R04")
    assert f.subject == "lead"
    assert f.path == ("agents", "lead", "max_parallel_delegations")
    assert "up to 2 instances" in f.message


def test_r04_multiplies_along_paths() -> None:
    def change(d: dict[str, Any]) -> None:
        d["agents"]["researcher"]["delegates_to"] = ["billing"]
        d["agents"]["researcher"]["max_parallel_delegations"] = 3
        d["policy"]["max_parallel_agents"] = 5
        d["policy"]["budget_usd_per_run"] = 50.0

    text = mutate(change)
    assert codes(text) == {"R04", "R20"}  # R20: 6 billing instances x 8 turns of approvals
    (f,) = of(text, "R04")
    assert "up to 6 instances of 'billing'" in f.message
    assert f.subject == "researcher"


def test_r04_quiet_within_policy(base: str) -> None:
    assert "R04" not in codes(base)
