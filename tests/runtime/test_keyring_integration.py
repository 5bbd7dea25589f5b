"""Specification of the keystore against a real Secret Service (gnome-keyring over D-Bus).

Run inside `.ci/keyring-session.sh`. Without a reachable Secret Service these tests are
skipped, except under CI=true, where they fail: CI must exercise the real keyring.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest

from runtime.secrets.keystore import KeyNotFound, KeyStore, detect_backend, resolve
from tests.runtime.keyring_backends import fake_api_key

pytestmark = pytest.mark.keyring_integration

PROBE_TIMEOUT = 10.0


def _secret_service_problem() -> str | None:
    """Why no Secret Service is reachable, or None if one is."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is unset)"
    outcome: list[str | None] = []

    def probe() -> None:
        try:
            from keyring.backends import SecretService

            SecretService.Keyring.priority  # noqa: B018 - raises when unusable
            outcome.append(None)
        except Exception as exc:
            outcome.append(f"Secret Service unusable: {type(exc).__name__}: {exc}")

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(PROBE_TIMEOUT)
    return outcome[0] if outcome else f"Secret Service did not answer in {PROBE_TIMEOUT:g} s"


@pytest.fixture(scope="module")
def secret_service() -> object:
    problem = _secret_service_problem()
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {problem}; run the tests inside .ci/keyring-session.sh")
        pytest.skip(problem)
    from keyring.backends import SecretService

    return SecretService.Keyring()


@pytest.fixture
def store(secret_service: object) -> Iterator[KeyStore]:
    """A store on a service name unique to this test, emptied afterwards."""
    service = f"agent-roster-test-{uuid.uuid4().hex[:12]}"
    store = KeyStore(service=service, timeout=10.0, backend=secret_service)
    yield store
    for name in store.list_names():
        try:
            store.delete(name)
        except KeyNotFound:
            pass


def test_the_secret_service_is_detected_as_secure(store: KeyStore) -> None:
    info = store.backend_info()
    assert info.secure
    assert info.name == "keyring.backends.SecretService.Keyring"


def test_the_default_backend_here_is_secure(secret_service: object) -> None:
    assert detect_backend(timeout=10.0).secure


def test_set_get_list_delete_round_trip(store: KeyStore) -> None:
    key = fake_api_key()
    store.set("anthropic", key)
    assert store.get("anthropic") == key
    assert store.list_names() == ["anthropic"]
    store.delete("anthropic")
    assert store.get("anthropic") is None
    assert store.list_names() == []


def test_a_replaced_value_reads_back_new(store: KeyStore) -> None:
    store.set("anthropic", "first")
    store.set("anthropic", "second")
    assert store.get("anthropic") == "second"


def test_unicode_and_newline_values_survive_the_round_trip(store: KeyStore) -> None:
    value = "ключ 🔑 ξεσκεπάζω\nsecond line\n"
    store.set("anthropic", value)
    assert store.get("anthropic") == value


def test_deleting_a_missing_key_raises_key_not_found(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound):
        store.delete("never-stored")


def test_a_reference_resolves_through_the_real_keyring(store: KeyStore) -> None:
    key = fake_api_key()
    store.set("anthropic", key)
    assert resolve(f"keyring:{store.service}/anthropic", store, env={}) == key
