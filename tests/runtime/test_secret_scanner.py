"""Specification of the secret scanner: what it reports, what it leaves alone, where it
says a secret is, and how it redacts without ever showing one.

Every key-shaped string here is generated at test time (see secret_corpus.py); the
figures follow RELIABILITY.md's "Secret scanner" row (>= 200 positives, >= 100 negatives,
100 % recall, 0 false positives).
"""

from __future__ import annotations

import base64
import random
from collections import Counter
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.secrets.scanner import (
    SecretHit,
    contains_secret,
    is_reference,
    redact,
    scan_text,
    scan_value,
)
from tests.runtime.secret_corpus import (
    ALNUM,
    BASE32,
    HEX,
    KEY_CHARS,
    Negative,
    Positive,
    contexts,
    negative_contexts,
    negatives,
    positives,
    rand,
    roster_yaml,
)

POSITIVES = positives()
NEGATIVES = negatives()
# Positives recognisable without a credential-like name next to them.
BARE = [p for p in POSITIVES if p.text == p.secret]
REQUIRED_KINDS = (
    "anthropic-api03",
    "anthropic-admin01",
    "openai-proj",
    "openai-svcacct",
    "openai-legacy",
    "aws-akia",
    "aws-asia",
    "github",
    "slack",
    "pem",
    "high-entropy",
)


def _ids(samples: list[Positive] | list[Negative]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for s in samples:
        seen[s.kind] += 1
        out.append(f"{s.kind}-{seen[s.kind]}")
    return out


def _covered(hits: list[SecretHit], start: int, end: int) -> bool:
    return all(any(h.start <= i < h.end for h in hits) for i in range(start, end))


def _rng() -> random.Random:
    return random.Random(7)


def _anthropic_key(prefix: str = "sk-ant-api03-", suffix: str = "AA") -> str:
    return prefix + rand(_rng(), KEY_CHARS, 93) + suffix


def _rules(text: str) -> list[str]:
    return [h.rule for h in scan_text(text)]


# -- The corpus meets the figures ------------------------------------------------------


def test_corpus_has_at_least_200_positives_and_100_negatives() -> None:
    assert len(POSITIVES) >= 200
    assert len(NEGATIVES) >= 100


def test_corpus_has_at_least_20_positives_of_each_required_kind() -> None:
    counts = Counter(p.kind for p in POSITIVES)
    assert {kind: counts[kind] for kind in REQUIRED_KINDS if counts[kind] < 20} == {}


def test_corpus_is_the_same_on_every_run() -> None:
    assert positives() == POSITIVES
    assert negatives() == NEGATIVES


# -- Recall: every positive is found, in every context ---------------------------------


@pytest.mark.parametrize("p", POSITIVES, ids=_ids(POSITIVES))
def test_positive_on_its_own_is_reported_by_its_rule(p: Positive) -> None:
    text, secret = contexts(p)["standalone"]
    hits = scan_text(text)
    start = text.index(secret)
    assert [h.rule for h in hits] == [p.rule]
    assert _covered(hits, start, start + len(secret))


@pytest.mark.parametrize("p", POSITIVES, ids=_ids(POSITIVES))
def test_positive_is_found_inside_a_sentence(p: Positive) -> None:
    text, secret = contexts(p)["sentence"]
    start = text.index(secret)
    assert _covered(scan_text(text), start, start + len(secret))


@pytest.mark.parametrize("p", POSITIVES, ids=_ids(POSITIVES))
def test_positive_is_found_as_the_value_of_a_yaml_line(p: Positive) -> None:
    text, secret = contexts(p)["yaml-line"]
    start = text.index(secret)
    assert _covered(scan_text(text), start, start + len(secret))


@pytest.mark.parametrize("p", POSITIVES, ids=_ids(POSITIVES))
def test_positive_is_found_by_scan_value_under_its_key(p: Positive) -> None:
    hits = scan_value({"config": {p.key: p.secret}})
    assert [h.path for h in hits] == [("config", p.key)]
    assert (hits[0].start, hits[0].end) == (0, len(p.secret))


# -- Precision: no negative is reported, in any context --------------------------------


@pytest.mark.parametrize("n", NEGATIVES, ids=_ids(NEGATIVES))
def test_negative_on_its_own_is_not_reported(n: Negative) -> None:
    assert scan_text(negative_contexts(n)["standalone"]) == []


@pytest.mark.parametrize("n", NEGATIVES, ids=_ids(NEGATIVES))
def test_negative_inside_a_sentence_is_not_reported(n: Negative) -> None:
    assert scan_text(negative_contexts(n)["sentence"]) == []


@pytest.mark.parametrize("n", NEGATIVES, ids=_ids(NEGATIVES))
def test_negative_as_the_value_of_a_yaml_line_is_not_reported(n: Negative) -> None:
    assert scan_text(negative_contexts(n)["yaml-line"]) == []


@pytest.mark.parametrize("n", NEGATIVES, ids=_ids(NEGATIVES))
def test_negative_under_its_key_is_not_reported_by_scan_value(n: Negative) -> None:
    assert scan_value({"config": {n.key: n.text}}) == []


def test_roster_shaped_document_without_secrets_has_no_hits() -> None:
    assert scan_text(roster_yaml(150)) == []


# -- Provider rules ----------------------------------------------------------------------


def test_admin_key_is_reported_as_an_admin_key_not_a_runtime_key() -> None:
    assert _rules(_anthropic_key("sk-ant-admin01-")) == ["anthropic-admin-api-key"]


def test_anthropic_key_with_a_wrong_suffix_is_caught_by_the_loose_rule() -> None:
    assert _rules(_anthropic_key(suffix="BB")) == ["anthropic-key"]


def test_truncated_anthropic_key_is_caught_by_the_loose_rule() -> None:
    assert _rules(_anthropic_key()[:40]) == ["anthropic-key"]


def test_anthropic_prefix_with_a_low_entropy_body_is_not_reported() -> None:
    assert scan_text("sk-ant-api03-" + "ab" * 20) == []


def test_aws_documentation_example_key_id_is_allowed() -> None:
    assert scan_text("aws_access_key_id = " + "AKIA" + "IOSFODNN7EXAMPLE") == []


def test_aws_key_id_that_continues_a_word_is_not_reported() -> None:
    assert scan_text("X" + "AKIA" + rand(_rng(), BASE32, 16)) == []


def test_key_after_an_escaped_newline_is_still_reported() -> None:
    key_id = "AKIA" + rand(_rng(), BASE32, 16)
    assert _rules(f'"first line\\n{key_id}\\n"') == ["aws-access-key-id"]


def test_private_key_header_without_a_body_is_not_reported() -> None:
    assert scan_text("Paste it after -----BEGIN RSA " + "PRIVATE KEY----- and stop.") == []


def test_bearer_token_in_an_authorization_header_is_reported() -> None:
    token = rand(_rng(), ALNUM, 32)
    text = f"Authorization: Bearer {token}"
    assert [(h.rule, text[h.start : h.end]) for h in scan_text(text)] == [
        ("keyword-assignment", token)
    ]


def test_secret_in_escaped_json_is_reported_without_the_escape() -> None:
    secret = rand(_rng(), ALNUM, 24)
    text = f'{{\\"api_key\\": \\"{secret}\\"}}'
    assert [text[h.start : h.end] for h in scan_text(text)] == [secret]


def test_author_is_not_a_credential_name() -> None:
    assert scan_value({"author": "j4n3.D0e-2026!x"}) == []
    assert scan_text("author: j4n3.D0e-2026!x") == []


def test_plain_word_after_a_credential_name_in_prose_is_not_reported() -> None:
    assert scan_text("The secret: Internationalization") == []


# -- Hex digests and credential-like names -------------------------------------------------


def test_bare_hex_digests_are_not_reported() -> None:
    assert scan_text(f"commit {rand(_rng(), HEX, 40)} has sha256 {rand(_rng(), HEX, 64)}") == []


@pytest.mark.parametrize("name", ["client_secret", "api_key", "AUTH_TOKEN", "cookie"])
def test_hex_of_32_or_more_chars_under_a_credential_name_is_reported(name: str) -> None:
    value = rand(_rng(), HEX, 32)
    assert _rules(f"{name}: {value}") == ["keyword-assignment"]
    assert [h.rule for h in scan_value({name: value})] == ["keyword-assignment"]


def test_hex_shorter_than_32_chars_under_a_credential_name_is_not_reported() -> None:
    assert scan_value({"api_key": rand(_rng(), HEX, 31)}) == []


@pytest.mark.parametrize("name", ["tools_sha256", "sha256", "api_key_sha256", "token_digest"])
def test_hex_under_a_digest_name_is_not_reported(name: str) -> None:
    value = rand(_rng(), HEX, 64)
    assert scan_text(f"{name}: {value}") == []
    assert scan_value({name: value}) == []


def test_base64_digest_under_a_digest_key_is_not_reported() -> None:
    digest = base64.b64encode(random.Random(1).randbytes(48)).decode()
    assert scan_text(digest) != []  # on its own it looks random
    assert scan_value({"integrity": digest}) == []


def test_value_under_a_credential_key_that_looks_like_one_is_a_keyword_assignment() -> None:
    hits = scan_value({"db": {"password": "Tr0ub4dor&3xyz"}})
    assert [(h.rule, h.path, h.start, h.end) for h in hits] == [
        ("keyword-assignment", ("db", "password"), 0, 14)
    ]


@pytest.mark.parametrize(
    "value",
    [
        "Tr0ub4dor&3",  # 11 characters
        "Tr0ub4dor &3xyz",  # a space
        "aaaaaaaabbbbbbbb",  # entropy 1.0
        "keyring:agent-roster/db",
        "env:DB_PASSWORD",
        "ANTHROPIC_API_KEY",  # the name of a variable, not its value
    ],
)
def test_value_under_a_credential_key_that_does_not_look_like_one_is_not_reported(
    value: str,
) -> None:
    assert scan_value({"password": value}) == []


def test_each_item_of_a_list_under_a_credential_key_counts_as_under_it() -> None:
    values = [rand(_rng(), ALNUM, 20), "Zq" + rand(_rng(), ALNUM, 20)]
    hits = scan_value({"api_keys": values})
    assert [(h.rule, h.path) for h in hits] == [
        ("keyword-assignment", ("api_keys", 0)),
        ("keyword-assignment", ("api_keys", 1)),
    ]


# -- scan_value walks the whole structure --------------------------------------------------

_SAFE_KEYS = st.sampled_from(["agents", "tools", "config", "args", "notes", "x-ext", "mcp"])
_STEPS = st.lists(st.one_of(_SAFE_KEYS, st.integers(0, 3)), max_size=8)


def _plant(steps: list[str | int], secret: str) -> object:
    value: object = secret
    for step in reversed(steps):
        if isinstance(step, str):
            value = {"name": "filler", step: value}
        else:
            value = ["filler"] * step + [value, "more filler"]
    return value


@given(steps=_STEPS, which=st.integers(0, len(BARE) - 1))
def test_scan_value_finds_a_secret_at_any_depth_and_reports_its_path(
    steps: list[str | int], which: int
) -> None:
    secret = BARE[which].secret
    hits = scan_value(_plant(steps, secret))
    assert [(h.path, h.start, h.end) for h in hits] == [(tuple(steps), 0, len(secret))]


def test_secret_used_as_a_mapping_key_is_reported_with_the_path_to_that_key() -> None:
    key = _anthropic_key()
    hits = scan_value({"agents": {key: "oops"}})
    assert [(h.rule, h.path) for h in hits] == [("anthropic-api-key", ("agents", key))]


def test_scan_value_starts_paths_with_the_given_prefix() -> None:
    hits = scan_value({"env": {"TOKEN": _anthropic_key()}}, ("mcp_servers", "pay"))
    assert [h.path for h in hits] == [("mcp_servers", "pay", "env", "TOKEN")]


def test_tuples_and_read_only_mappings_are_walked() -> None:
    value = MappingProxyType({"args": ("--verbose", _anthropic_key())})
    assert [h.path for h in scan_value(value)] == [("args", 1)]


def test_non_string_scalars_are_ignored() -> None:
    assert scan_value({"a": 1, "b": 2.5, "c": None, "d": True, 3: [b"bytes"]}) == []


def test_a_structure_that_contains_itself_is_walked_without_looping() -> None:
    loop: list[object] = [_anthropic_key()]
    loop.append(loop)
    assert [h.path for h in scan_value(loop)] == [(0,)]


def test_a_top_level_string_is_scanned_like_text() -> None:
    key = _anthropic_key()
    assert scan_value(f"use {key}") == scan_text(f"use {key}")


def test_contains_secret_says_whether_scan_value_finds_anything() -> None:
    assert contains_secret({"tools": [{"config": {"note": _anthropic_key()}}]})
    assert not contains_secret({"providers": {"api_key": "keyring:agent-roster/anthropic"}})


# -- Hits describe a secret without exposing it --------------------------------------------


def test_hits_come_in_order_of_position() -> None:
    secrets = [p.secret for p in BARE[::25]]
    hits = scan_text(" then ".join(secrets))
    assert [h.start for h in hits] == sorted(h.start for h in hits)
    assert len(hits) == len(secrets)


@pytest.mark.parametrize("p", BARE, ids=_ids(BARE))
def test_hit_offsets_delimit_exactly_the_secret(p: Positive) -> None:
    text = f"before {p.secret} after"
    assert [text[h.start : h.end] for h in scan_text(text)] == [p.secret]


@pytest.mark.parametrize("p", POSITIVES, ids=_ids(POSITIVES))
def test_a_hit_never_shows_the_secret(p: Positive) -> None:
    for hit in scan_text(p.text):
        assert p.secret not in hit.redacted()
        assert p.secret not in repr(hit)
        assert len(hit.prefix) <= (hit.end - hit.start) // 2


def test_redacted_form_shows_the_provider_prefix_and_the_length() -> None:
    (hit,) = scan_text(_anthropic_key())
    assert hit.redacted() == "sk-ant-api03-…(108 chars)"
    assert hit.description == "an Anthropic API key"


def test_redacted_form_of_a_generic_secret_shows_none_of_its_characters() -> None:
    (hit,) = scan_value({"password": "Tr0ub4dor&3xyz"})
    assert hit.redacted() == "…(14 chars)"


# -- redact() ---------------------------------------------------------------------------------


@pytest.mark.parametrize("p", POSITIVES, ids=_ids(POSITIVES))
def test_redact_replaces_the_secret_and_keeps_the_surrounding_text(p: Positive) -> None:
    text = f"before {p.text} after"
    expected = f"before {p.text.replace(p.secret, f'[REDACTED:{p.rule}]')} after"
    assert redact(text) == expected


def test_redact_removes_every_secret_planted_in_one_document() -> None:
    document = "\n".join(f"- item {i}: {p.text} (rotate soon)" for i, p in enumerate(POSITIVES))
    cleaned = redact(document)
    assert [p.kind for p in POSITIVES if p.secret in cleaned] == []
    assert cleaned.count("(rotate soon)") == len(POSITIVES)


def test_redact_replaces_every_occurrence_of_an_extra_value() -> None:
    resolved = "plain words key"  # a resolved secret need not look like one
    text = f"sent {resolved} to the API; echo: {resolved}"
    assert redact(text, [resolved]) == (
        "sent [REDACTED:known-secret] to the API; echo: [REDACTED:known-secret]"
    )


def test_redact_ignores_extra_values_shorter_than_8_chars() -> None:
    assert redact("the code is 1234567", ["1234567"]) == "the code is 1234567"


def test_redact_merges_an_extra_value_overlapping_a_detected_secret() -> None:
    key = _anthropic_key()
    assert redact(f"key={key}!", [key[:50]]) == "key=[REDACTED:anthropic-api-key]!"


def test_redact_leaves_text_without_secrets_unchanged() -> None:
    text = "\n".join(negative_contexts(n)["yaml-line"] for n in NEGATIVES)
    assert redact(text) == text


def test_redact_is_idempotent() -> None:
    once = redact("\n".join(p.text for p in POSITIVES))
    assert redact(once) == once


# -- is_reference() ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "keyring:agent-roster/anthropic",
        "keyring:acme.prod/team.openai",
        "keyring:svc/user@example.com",
        "env:ANTHROPIC_API_KEY",
        "env:_private",
    ],
)
def test_is_reference_accepts_keyring_and_env_references(value: str) -> None:
    assert is_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "keyring:",
        "keyring:agent-roster",
        "keyring:/anthropic",
        "keyring: agent-roster/anthropic",
        " keyring:agent-roster/anthropic",
        "KEYRING:agent-roster/anthropic",
        "env:",
        "env:1PASSWORD",
        "env:API KEY",
        "env:API_KEY\n",
        "file:/etc/passwd",
        "sk-ant-api03-...",
    ],
)
def test_is_reference_rejects_anything_else(value: str) -> None:
    assert not is_reference(value)


def test_a_reference_whose_name_is_itself_a_key_is_reported() -> None:
    assert [h.rule for h in scan_value({"api_key": f"keyring:svc/{_anthropic_key()}"})] == [
        "anthropic-api-key"
    ]
