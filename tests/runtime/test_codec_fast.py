"""The decoder's short ways give exactly what the full checks give: values and errors.

`props_fast.read_props` stands in for `fields.read_props` on the load path; the
codec takes a short way for plain delegation ids, well-typed grants and layout
positions. Each falls back to the original checks on anything unusual, so
the result, and the first error reported with its path, message, expectation
and fix, must be the same. Checked on generated property mappings for every
spec list (valid and invalid values alike) and on rosters whose parsed data was
randomly damaged, decoded once with the short ways and once without.
"""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.roster import codec, fields, props_fast, yaml_read
from runtime.roster import props as p
from runtime.roster.errors import RosterLoadError
from runtime.roster.kinds import BUILTIN_TOOL_KINDS
from tests.runtime import test_roundtrip as roundtrip

ANNOTATIONS = next(s for s in p.TOOL_PROPS if s.name == "annotations").nested
SPEC_LISTS: dict[str, tuple[p.PropSpec, ...]] = {
    "agent": p.AGENT_PROPS, "tool": p.TOOL_PROPS, "human": p.HUMAN_PROPS,
    "server": p.MCP_SERVER_PROPS, "grant": p.GRANT_PROPS, "delegation": p.DELEGATION_PROPS,
    "sandbox": p.SANDBOX_PROPS, "defaults": p.DEFAULTS_PROPS, "policy": p.POLICY_PROPS,
    "provider": p.PROVIDER_PROPS, "audit": p.AUDIT_PROPS, "ack": p.ACK_PROPS,
    "meta": p.META_PROPS, "annotations": ANNOTATIONS,
    **{f"config:{kind.id}": kind.config for kind in BUILTIN_TOOL_KINDS if kind.config},
}
VALUES = [
    None, True, False, 0, 1, -1, 2, 7, 64, 10**6, 0.0, 0.5, -0.5, 1.0, 2.5, 1e308,
    math.inf, -math.inf, math.nan, "", "x", "a b", "read", "write", "ask", "allow", "deny",
    "low", "high", "internal", "restricted", "untrusted_input", "external_comm",
    "claude-haiku-5-5", "keyring:agent-roster/x", "env:X", "sk-nope", "a" * 64,
    "0123456789abcdef" * 4, "journal", "R10", [], ["x"], ["x", "x"], ["read", "write"],
    ["untrusted_input", "external_comm"], ["untrusted_input", "untrusted_input"], [1],
    ["x", None], {}, {"x": 1}, {"type": "object"},
]


def raw_mappings(specs: tuple[p.PropSpec, ...]) -> Any:
    names = [spec.name for spec in specs] + ["extensions", "bogus", "nme"]
    return st.dictionaries(st.sampled_from(names), st.sampled_from(VALUES), max_size=6)


def outcome(read: Any, raw: dict[str, Any], specs: tuple[p.PropSpec, ...], extra: tuple[str, ...]
            ) -> Any:
    try:
        return ("ok", read(copy.deepcopy(raw), specs, ("agents", "a"), "agent 'a'", extra=extra))
    except RosterLoadError as error:
        return ("error", str(error), error.path, error.expected, error.hint, error.at_key)


def same_values(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    return all(type(a[k]) is type(b[k]) and (a[k] == b[k] or a[k] != a[k]) for k in a)


@roundtrip.property_settings(share=10)
@given(st.sampled_from(sorted(SPEC_LISTS)), st.data(), st.booleans())
def test_fast_property_reader_matches_the_full_one(name: str, data: Any, extra: bool) -> None:
    specs = SPEC_LISTS[name]
    raw = data.draw(raw_mappings(specs))
    extras = ("extensions",) if extra else ()
    fast = outcome(props_fast.read_props, raw, specs, extras)
    full = outcome(fields.read_props, raw, specs, extras)
    if full[0] == "ok":
        assert fast[0] == "ok" and same_values(fast[1], full[1])
    else:
        assert fast == full


def _boundaries(spec: p.PropSpec) -> list[Any]:
    out: list[Any] = list(spec.choices)
    for bound in (spec.minimum, spec.maximum):
        if bound is not None:
            out += [bound, int(bound), bound - 1, bound + 1, bound - 1e-9, bound + 1e-9,
                    float(bound)]
    return out


@pytest.mark.parametrize("name", sorted(SPEC_LISTS))
def test_fast_property_reader_matches_the_full_one_on_every_field_and_value(name: str) -> None:
    """Each field alone, with every pooled value and the values at its bounds."""
    specs = SPEC_LISTS[name]
    required = {spec.name: "x" for spec in specs if spec.required}
    for spec in specs:
        for value in VALUES + _boundaries(spec):
            raw = {**required, spec.name: value}
            fast = outcome(props_fast.read_props, raw, specs, ())
            full = outcome(fields.read_props, raw, specs, ())
            if full[0] == "ok":
                assert fast[0] == "ok" and same_values(fast[1], full[1]), (spec.name, value)
            else:
                assert fast == full, (spec.name, value)


def test_a_spec_list_with_other_extra_keys_gets_its_own_table() -> None:
    raw = {"name": "n", "extensions": {}}
    assert props_fast.read_props(raw, p.HUMAN_PROPS, (), "h", extra=("extensions",)) == {
        "name": "n"}
    with pytest.raises(RosterLoadError, match="unknown key 'extensions'"):
        props_fast.read_props(raw, p.HUMAN_PROPS, (), "h")


ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "resources" / "samples").glob("*.roster.yaml")) + sorted(
    (ROOT / "tests" / "golden" / "v1").glob("*.roster.yaml"))
RAWS = [yaml_read.parse(path.read_text(encoding="utf-8")) for path in SOURCES]


def _containers(value: Any) -> list[Any]:
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list) and item:
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


def damage(raw: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Replace, delete or add one to three values anywhere in a parsed roster."""
    raw = copy.deepcopy(raw)
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(_containers(raw))
        value = copy.deepcopy(rng.choice([*VALUES, {"a-b": {"max_rounds": 0}}, "Bad Id"]))
        if isinstance(target, list):
            target[rng.randrange(len(target))] = value
        elif rng.random() < 0.2:
            del target[rng.choice(list(target))]
        else:
            key = rng.choice([*target, "x", "mode", "kind", "max_rounds", "y"])
            target[key] = value
    return raw


def decoded(raw: dict[str, Any]) -> Any:
    try:
        content = codec.decode(copy.deepcopy(raw))
    except RosterLoadError as error:
        return ("error", str(error), error.path, error.expected, error.hint, error.at_key)
    return ("ok", content.meta, content.nodes, content.edges, content.layout)


@roundtrip.property_settings(share=10)
@given(st.integers(0, len(RAWS) - 1), st.integers(0, 2**32))
def test_decoding_damaged_rosters_gives_the_same_result_without_the_short_ways(
    index: int, seed: int
) -> None:
    raw = damage(RAWS[index], random.Random(seed))
    with_short_ways = decoded(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "read_props", fields.read_props)
        patch.setattr(codec, "_ID_MATCH", lambda text: None)
        patch.setattr(codec, "_finite", lambda value: False)
        without = decoded(raw)
    assert with_short_ways == without


def _written_objects(content: codec.RosterContent) -> list[tuple[Any, tuple[p.PropSpec, ...]]]:
    meta = content.meta
    pairs: list[tuple[Any, tuple[p.PropSpec, ...]]] = [
        (meta, p.META_PROPS), (meta.defaults, p.DEFAULTS_PROPS), (meta.policy, p.POLICY_PROPS),
        *((ack, p.ACK_PROPS) for ack in meta.acknowledged),
        *((provider, p.PROVIDER_PROPS) for provider in meta.providers.values()),
    ]
    if meta.audit is not None:
        pairs.append((meta.audit, p.AUDIT_PROPS))
    by_type = {"Agent": p.AGENT_PROPS, "Tool": p.TOOL_PROPS, "Human": p.HUMAN_PROPS,
               "McpServer": p.MCP_SERVER_PROPS}
    for node in content.nodes.values():
        specs = by_type.get(type(node).__name__)
        if specs is not None:
            pairs.append((node, specs))
        sandbox = getattr(node, "sandbox", None)
        if sandbox is not None:
            pairs.append((sandbox, p.SANDBOX_PROPS))
        if getattr(node, "annotations", None) is not None:
            pairs.append((node.annotations, ANNOTATIONS))  # type: ignore[union-attr]
    for edge in content.edges.values():
        pairs += [(edge, p.GRANT_PROPS), (edge, p.DELEGATION_PROPS)]
    return pairs


@roundtrip.property_settings(share=2)
@given(roundtrip.rosters(grouped=False))
def test_fast_property_writer_matches_the_full_one(content: codec.RosterContent) -> None:
    for obj, specs in _written_objects(content):
        fast, full = props_fast.write_props(obj, specs), fields.write_props(obj, specs)
        assert fast == full and list(fast) == list(full)
        assert [type(v) for v in fast.values()] == [type(v) for v in full.values()]


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_fast_property_writer_matches_the_full_one_on_the_samples(path: Path) -> None:
    from runtime.roster import io

    for obj, specs in _written_objects(io.load_roster(path).content):
        fast, full = props_fast.write_props(obj, specs), fields.write_props(obj, specs)
        assert fast == full and list(fast) == list(full)
