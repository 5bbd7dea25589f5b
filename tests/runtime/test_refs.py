"""Specification of credential references: `keyring:SERVICE/NAME` and `env:VAR`."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.secrets.refs import (
    DEFAULT_SERVICE,
    EnvRef,
    KeyringRef,
    ReferenceSyntaxError,
    check_name,
    format_ref,
    is_ref,
    looks_like_ref,
    parse_ref,
)
from tests.runtime.keyring_backends import fake_api_key


def test_default_service_is_agent_roster() -> None:
    assert DEFAULT_SERVICE == "agent-roster"


def test_keyring_reference_parses_into_service_and_name() -> None:
    assert parse_ref("keyring:agent-roster/anthropic") == KeyringRef("agent-roster", "anthropic")


def test_env_reference_parses_into_variable_name() -> None:
    assert parse_ref("env:ANTHROPIC_API_KEY") == EnvRef("ANTHROPIC_API_KEY")


def test_keyring_reference_formats_back_to_its_string() -> None:
    assert format_ref(KeyringRef("agent-roster", "payments")) == "keyring:agent-roster/payments"


def test_env_reference_formats_back_to_its_string() -> None:
    assert str(EnvRef("PAYMENTS_TOKEN")) == "env:PAYMENTS_TOKEN"


def test_references_are_frozen() -> None:
    ref = KeyringRef("agent-roster", "anthropic")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.name = "other"  # type: ignore[misc]


def test_name_may_hold_dots_dashes_underscores_and_at() -> None:
    assert parse_ref("keyring:svc/ops.bot_1-a@corp") == KeyringRef("svc", "ops.bot_1-a@corp")


def test_only_the_first_slash_separates_service_from_name() -> None:
    with pytest.raises(ReferenceSyntaxError):
        parse_ref("keyring:svc/a/b")


@pytest.mark.parametrize(
    "text",
    [
        "keyring:anthropic",  # no service
        "keyring:/anthropic",  # empty service
        "keyring:agent-roster/",  # empty name
        "keyring:agent roster/anthropic",  # space in service
        "keyring:agent-roster/__index__",  # reserved, starts with '_'
        "keyring:agent-roster/" + "n" * 129,  # too long
        "Keyring:agent-roster/anthropic",  # the scheme is lower case
        " keyring:agent-roster/anthropic",  # surrounding whitespace
    ],
)
def test_malformed_keyring_reference_is_rejected(text: str) -> None:
    with pytest.raises(ReferenceSyntaxError, match="keyring:SERVICE/NAME"):
        parse_ref(text)


@pytest.mark.parametrize("text", ["env:", "env:1ABC", "env:MY-VAR", "env:A B"])
def test_malformed_env_reference_is_rejected_with_the_expected_form(text: str) -> None:
    with pytest.raises(ReferenceSyntaxError, match="env:VAR"):
        parse_ref(text)


def test_plain_text_is_not_a_reference_and_the_error_shows_both_forms() -> None:
    with pytest.raises(ReferenceSyntaxError) as info:
        parse_ref("hunter2")
    assert "keyring:SERVICE/NAME" in str(info.value)
    assert "env:VAR" in str(info.value)


def test_non_string_is_rejected() -> None:
    with pytest.raises(ReferenceSyntaxError):
        parse_ref(42)  # type: ignore[arg-type]


def test_reference_syntax_error_is_a_value_error() -> None:
    assert issubclass(ReferenceSyntaxError, ValueError)


def test_error_message_never_echoes_a_key_pasted_into_a_reference() -> None:
    key = fake_api_key()
    for text in (f"keyring:{key}", f"env:{key}", key):
        with pytest.raises(ReferenceSyntaxError) as info:
            parse_ref(text)
        assert key not in str(info.value)
        assert key[13:30] not in str(info.value)


def test_constructing_an_invalid_reference_directly_is_rejected() -> None:
    with pytest.raises(ReferenceSyntaxError):
        KeyringRef("agent-roster", "")


def test_is_ref_is_true_only_for_valid_references() -> None:
    assert is_ref("keyring:agent-roster/anthropic")
    assert is_ref("env:HOME")
    assert not is_ref("keyring:anthropic")
    assert not is_ref("just text")
    assert not is_ref(None)


def test_looks_like_ref_flags_broken_references_but_not_prose() -> None:
    assert looks_like_ref("keyring:anthropic")
    assert looks_like_ref("env:1BAD")
    assert not looks_like_ref("env: production")
    assert not looks_like_ref("see keyring:agent-roster/x")


def test_check_name_accepts_a_valid_name_and_rejects_the_index_name() -> None:
    assert check_name("anthropic") == "anthropic"
    with pytest.raises(ReferenceSyntaxError):
        check_name("__index__")


_part = st.text(alphabet=st.sampled_from("abcXYZ019._-"), min_size=0, max_size=20).map(
    lambda s: "a" + s
)


@given(service=_part, name=_part)
def test_format_then_parse_is_the_identity_for_keyring_references(service: str, name: str) -> None:
    ref = KeyringRef(service, name)
    assert parse_ref(format_ref(ref)) == ref


@given(var=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True))
def test_format_then_parse_is_the_identity_for_env_references(var: str) -> None:
    assert parse_ref(format_ref(EnvRef(var))) == EnvRef(var)


@given(text=st.text(max_size=60))
def test_parse_either_succeeds_or_raises_reference_syntax_error(text: str) -> None:
    try:
        ref = parse_ref(text)
    except ReferenceSyntaxError:
        assert not is_ref(text)
    else:
        assert format_ref(ref) == text
