"""Session-only keys, resolving key references, and the scrubbed child environment."""

from __future__ import annotations

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.secrets import keystore
from runtime.secrets.keystore import (
    KeyNotFound,
    KeyStore,
    SessionKeys,
    resolve,
    scrubbed_env,
)
from runtime.secrets.refs import ReferenceSyntaxError
from tests.runtime.keyring_backends import (
    MemoryKeyring,
    OddValuesKeyring,
    fake_api_key,
)
from tests.runtime.keys.support import FAST

# --- session-only keys ---------------------------------------------------------------


def test_a_session_key_reads_back() -> None:
    session = SessionKeys()
    session.set("anthropic", "v")
    assert session.get("anthropic") == "v"
    assert session.list_names() == ["anthropic"]


def test_clearing_a_session_forgets_every_key() -> None:
    session = SessionKeys()
    session.set("anthropic", "v")
    session.clear()
    assert session.get("anthropic") is None and len(session) == 0


def test_sessions_are_cleared_by_the_exit_hook() -> None:
    session = SessionKeys()
    session.set("anthropic", "v")
    keystore._clear_all_sessions()
    assert len(session) == 0


def test_deleting_a_missing_session_key_raises_key_not_found() -> None:
    with pytest.raises(KeyNotFound):
        SessionKeys().delete("anthropic")


def test_a_session_repr_never_shows_values() -> None:
    key = fake_api_key()
    session = SessionKeys()
    session.set("anthropic", key)
    assert key not in repr(session)


# --- resolving references ------------------------------------------------------------


def test_a_keyring_reference_resolves_through_the_store(store: KeyStore) -> None:
    key = fake_api_key()
    store.set("anthropic", key)
    assert resolve("keyring:agent-roster/anthropic", store, env={}) == key


def test_a_keyring_reference_to_another_service_resolves(
    store: KeyStore, memory: MemoryKeyring
) -> None:
    memory.store[("payments-svc", "token")] = "t"
    assert resolve("keyring:payments-svc/token", store, env={}) == "t"


def test_a_missing_keyring_reference_says_how_to_store_it(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match=r"`roster keys set anthropic`"):
        resolve("keyring:agent-roster/anthropic", store, env={})


def test_a_missing_key_in_another_service_names_the_service_option(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match=r"roster keys set token --service other"):
        resolve("keyring:other/token", store, env={})


def test_an_env_reference_resolves_from_the_given_environment(store: KeyStore) -> None:
    assert resolve("env:MY_KEY", store, env={"MY_KEY": "v\n"}) == "v\n"


def test_an_unset_env_reference_names_the_variable(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match=r"MY_KEY .*is not set"):
        resolve("env:MY_KEY", store, env={})


def test_an_empty_env_reference_is_not_a_key(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match="set but empty"):
        resolve("env:MY_KEY", store, env={"MY_KEY": ""})


def test_a_session_key_is_used_before_the_keyring() -> None:
    session = SessionKeys()
    session.set("anthropic", "from-session")
    store = KeyStore(backend=keyring.backends.fail.Keyring(), timeout=FAST)
    assert resolve("keyring:agent-roster/anthropic", store, env={}, session=session) == (
        "from-session"
    )


def test_resolve_returns_unicode_and_newlines_as_stored() -> None:
    value = "ключ🔑\n"
    store = KeyStore(backend=OddValuesKeyring(value), timeout=FAST)
    assert resolve("keyring:agent-roster/anthropic", store, env={}) == value


def test_a_malformed_reference_raises_reference_syntax_error(store: KeyStore) -> None:
    with pytest.raises(ReferenceSyntaxError):
        resolve("keyring:anthropic", store, env={})


# --- child process environments ------------------------------------------------------

BASE_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/u",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "ANTHROPIC_API_KEY": "k",
    "GITHUB_TOKEN": "t",
    "AWS_SECRET_ACCESS_KEY": "s",
    "PAYMENTS_KEY": "p",
    "MY_SECRET_THING": "m",
    "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x",
    "PYTHONPATH": "/evil",
}


def test_the_scrubbed_env_keeps_only_the_safe_allowlist() -> None:
    assert scrubbed_env(BASE_ENV) == {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }


def test_an_explicitly_allowed_credential_is_passed_on() -> None:
    env = scrubbed_env(BASE_ENV, allowed=["PAYMENTS_KEY"])
    assert env["PAYMENTS_KEY"] == "p"
    assert "ANTHROPIC_API_KEY" not in env


def test_an_allowed_name_missing_from_the_base_is_not_invented() -> None:
    assert "NOT_THERE" not in scrubbed_env(BASE_ENV, allowed=["NOT_THERE"])


def test_scrubbing_leaves_the_base_unchanged() -> None:
    base = dict(BASE_ENV)
    scrubbed_env(base)
    assert base == BASE_ENV


@given(
    stem=st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True),
    suffix=st.sampled_from(["_TOKEN", "_KEY", "_SECRET", "SECRET_X", "_API_KEY"]),
)
def test_no_secret_shaped_variable_survives_unless_allowed(stem: str, suffix: str) -> None:
    name = stem + suffix
    assert name not in scrubbed_env({name: "v"})
    assert scrubbed_env({name: "v"}, allowed=[name]) == {name: "v"}
