"""The scanner's fast paths give exactly the results of the code they replaced.

Three shortcuts keep `scan_text` and R15 cheap on large rosters, and none may change a
result:

- `_may_hold_provider_key`, a few substring searches, replaces the `_PROVIDER_HINT`
  regex (an alternation tried at every position) as the gate before the provider rules;
- `_references` finds credential references with `str.find` and a regex per prefix
  instead of `_REFERENCE.finditer`;
- `clean_groups` proves many groups of strings clean with one scan of their distinct
  strings, instead of one scan per group.

Each is checked against its reference implementation (kept here) on the strings of the
generated S fixture and the samples, on the secret corpus, and on generated text.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from runtime.roster.io import loads
from runtime.secrets import scanner
from runtime.secrets.proof import clean_groups, strings_of
from runtime.secrets.scanner import SecretHit, scan_text
from tests.runtime.secret_corpus import negatives, positives

SAMPLES = sorted((Path(__file__).parents[2] / "resources" / "samples").glob("*.roster.yaml"))

PEM_HEADER = "-----BEGIN " + "PRIVATE KEY-----"  # assembled: no key-shaped literal in the tree

# Fragments that steer generated text at every rule: provider prefixes, credential words,
# references, PEM markers, escapes, separators and random token characters.
FRAGMENTS = [
    "sk-", "sk-ant-api03-", "sk-proj-", "T3BlbkFJ", "AKIA", "A3T", "ASIA", "aws_secret=", "AWS",
    PEM_HEADER, "-----", "ghp_", "gho_", "github_pat_", "glpat-", "xoxb-",
    "hf_", "sk_live_", "rk_prod_", "AIza", "eyJ", "key", "token: ", "secret=", "password: ",
    "auth", "author", "Bearer ", "cookie=", "credential", "keyring:", "keyring:svc/name",
    "env:", "env:API_KEY", "/", ":", "=", "\\n", "\n", " ", "\t", "'", '"', "-", "_", ".",
]
TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"


def _reference_references(text: str) -> list[tuple[int, int]]:
    """What `_scan_tokens` blanked before: every `_REFERENCE.finditer` match."""
    return [m.span() for m in scanner._REFERENCE.finditer(text)]


def _reference_gate(text: str, lowered: str) -> bool:
    """The gate `_scan_providers` used before: the `_PROVIDER_HINT` regex."""
    return scanner._PROVIDER_HINT.search(text) is not None or "aws" in lowered


def _roster_strings() -> list[str]:
    contents = [generate("S"), *(loads(path.read_bytes()).content for path in SAMPLES)]
    out: list[str] = []
    for content in contents:
        for node in content.nodes.values():
            strings_of(node, out)
        for edge in content.edges.values():
            out.extend(x for x in (edge.target, edge.mode, edge.approval, edge.purpose) if x)
    return list(dict.fromkeys(out))


def _corpus_texts() -> list[str]:
    rng = random.Random(5)
    texts = [p.text for p in positives()] + [n.text for n in negatives()]
    texts += [f"{p.key}: {p.text}" for p in positives()]
    texts += [f"see {rng.choice(texts)} and {rng.choice(texts)}\n{rng.choice(texts)}"
              for _ in range(200)]
    return texts


def _generated(rng: random.Random, n: int) -> Iterator[str]:
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.5:
                parts.append(rng.choice(FRAGMENTS))
            else:
                parts.append("".join(rng.choice(TOKEN_CHARS) for _ in range(rng.randint(1, 40))))
        yield "".join(parts)


def _all_texts() -> list[str]:
    return _roster_strings() + _corpus_texts() + list(_generated(random.Random(11), 2000))


text_strategy = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=TOKEN_CHARS, max_size=40),
              st.text(max_size=8)),
    max_size=14,
).map("".join)


# ---------------------------------------------------------------- references


def test_reference_spans_equal_the_regex_on_every_known_text() -> None:
    for text in _all_texts():
        assert scanner._references(text) == _reference_references(text), text


def test_a_reference_starting_inside_another_is_skipped_like_finditer() -> None:
    text = "keyring:a/env:ABCDEFGHIJ"
    assert scanner._references(text) == _reference_references(text) == [(0, 13)]


@settings(max_examples=200, deadline=None)
@given(text_strategy)
def test_reference_spans_equal_the_regex_on_generated_text(text: str) -> None:
    assert scanner._references(text) == _reference_references(text)


# ---------------------------------------------------------------- provider gate


def test_the_provider_gate_lets_through_every_text_the_old_gate_did() -> None:
    for text in _all_texts():
        lowered = scanner._lowercase(text)
        if _reference_gate(text, lowered):
            assert scanner._may_hold_provider_key(text, lowered), text


@settings(max_examples=200, deadline=None)
@given(text_strategy)
def test_the_provider_gate_is_a_superset_of_the_old_gate(text: str) -> None:
    lowered = scanner._lowercase(text)
    assert scanner._may_hold_provider_key(text, lowered) or not _reference_gate(text, lowered)


def test_every_provider_positive_passes_the_gate_on_its_own() -> None:
    """Recall: a text with a provider key is never ruled out before the rules run."""
    for p in positives():
        if p.rule in {rule.name for rule in scanner._RULES}:
            assert scanner._may_hold_provider_key(p.text, scanner._lowercase(p.text)), p.kind


# ---------------------------------------------------------------- scan_text as before


def _scan_with_reference_helpers(text: str, monkeypatch: pytest.MonkeyPatch) -> list[SecretHit]:
    with monkeypatch.context() as patch:
        patch.setattr(scanner, "_references", _reference_references)
        patch.setattr(scanner, "_may_hold_provider_key", _reference_gate)
        return scanner.scan_text(text)


def test_scan_text_gives_the_old_hits_on_every_known_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _all_texts()
    texts.append("\n".join(texts[:400]))  # a long text takes the other provider branch
    found = 0
    for text in texts:
        hits = scan_text(text)
        assert hits == _scan_with_reference_helpers(text, monkeypatch), text
        found += bool(hits)
    assert found > 200  # the corpus' positives are among them


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text_strategy)
def test_scan_text_gives_the_old_hits_on_generated_text(
        monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    assert scan_text(text) == _scan_with_reference_helpers(text, monkeypatch)


# ---------------------------------------------------------------- clean_groups


def _reference_clean(groups: dict[int, list[str]]) -> set[int]:
    """One scan per string: what the joined-text proof stands for."""
    return {key for key, texts in groups.items()
            if not any(scan_text(t) or "-----" in t for t in texts)}


def _pool() -> list[str]:
    rng = random.Random(3)
    roster = _roster_strings()
    secrets = [p.text for p in positives()]
    return rng.sample(roster, 300) + rng.sample(secrets, 60) + [n.text for n in negatives()][:60]


POOL = _pool()


def test_clean_groups_of_clean_roster_strings_are_all_clean() -> None:
    strings = _roster_strings()
    groups = {i: strings[i::50] for i in range(50)}
    assert clean_groups(groups) == set(groups) == _reference_clean(groups)


def test_clean_groups_finds_the_group_with_a_planted_secret() -> None:
    strings = _roster_strings()
    groups = {i: strings[i::50] for i in range(50)}
    secret = positives()[0].text
    groups[17] = [*groups[17], f"note: {secret}"]
    assert clean_groups(groups) == set(groups) - {17}


def test_a_pem_marker_makes_its_groups_unproven() -> None:
    groups = {"a": ["plain words"], "b": ["-----BEGIN NOTHING-----"], "c": ["x", "y"]}
    assert clean_groups(groups) == {"a", "c"}


def test_a_pem_block_does_not_reach_into_the_strings_joined_after_it() -> None:
    """The PEM pattern spans lines: in the joined text a header could match on into the
    next strings and mark clean ones (found by the property below)."""
    pem = next(p.text for p in positives() if p.kind == "pem")
    groups = {0: ["request figures from research", "Security specialist 43"],
              1: [pem, PEM_HEADER]}
    for order in (groups, dict(reversed(groups.items()))):
        assert clean_groups(order) == {0} == _reference_clean(order)


def test_an_empty_group_and_no_groups_are_clean() -> None:
    assert clean_groups({"a": []}) == {"a"}
    assert clean_groups({}) == set()


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(
    st.integers(0, 40),
    st.lists(st.one_of(st.sampled_from(POOL), text_strategy), max_size=8),
    max_size=25,
))
def test_clean_groups_equals_one_scan_per_string(groups: dict[int, list[str]]) -> None:
    assert clean_groups(groups) == _reference_clean(groups)
