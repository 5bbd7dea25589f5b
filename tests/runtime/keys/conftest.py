"""Fixtures of the keystore specification: an in-memory keyring, a store over it, and a
keyring whose calls hang."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.secrets.keystore import KeyStore
from tests.runtime.keyring_backends import HangingKeyring, MemoryKeyring
from tests.runtime.keys.support import FAST


@pytest.fixture
def memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(memory: MemoryKeyring) -> KeyStore:
    return KeyStore(backend=memory, timeout=FAST)


@pytest.fixture
def hanging() -> Iterator[HangingKeyring]:
    backend = HangingKeyring(30.0)
    yield backend
    backend.release()
