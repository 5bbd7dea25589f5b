"""Keyring backends for tests: an in-memory keyring and fault-injecting variants.

None of them is ever chosen by keyring's own backend detection (`viable = False`),
so defining them cannot change what the real default keyring is in this process.
"""

from __future__ import annotations

import threading
from typing import ClassVar

import keyring.backend
import keyring.errors

from tests.conftest import make_anthropic_key


def fake_api_key() -> str:
    """A fresh value shaped like an Anthropic API key, registered for the CI leak check."""
    return make_anthropic_key()


def fake_admin_key() -> str:
    """A fresh value shaped like an Anthropic Admin API key, registered likewise."""
    return make_anthropic_key(admin=True)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Stores passwords in a dict; deleting a missing one raises like SecretService."""

    priority = 1
    viable = False

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str, str]] = []  # (operation, service, username)

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("No such password!") from None


class RaisingKeyring(MemoryKeyring):
    """Every operation listed in `ops` raises `error`; the others work from memory."""

    def __init__(self, error: Exception, ops: tuple[str, ...] = ("get", "set", "delete")):
        super().__init__()
        self.error = error
        self.ops = ops

    def get_password(self, service: str, username: str) -> str | None:
        if "get" in self.ops:
            raise self.error
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        if "set" in self.ops:
            raise self.error
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if "delete" in self.ops:
            raise self.error
        super().delete_password(service, username)


def no_keyring() -> RaisingKeyring:
    return RaisingKeyring(keyring.errors.NoKeyringError("No recommended backend was available."))


def locked_keyring() -> RaisingKeyring:
    return RaisingKeyring(keyring.errors.KeyringLocked("Failed to unlock the collection!"))


def init_error_keyring() -> RaisingKeyring:
    return RaisingKeyring(keyring.errors.InitError("Failed to create the collection."))


def set_error_keyring() -> RaisingKeyring:
    return RaisingKeyring(keyring.errors.PasswordSetError("write refused"), ops=("set",))


def delete_error_keyring() -> RaisingKeyring:
    return RaisingKeyring(keyring.errors.PasswordDeleteError("delete refused"), ops=("delete",))


class HangingKeyring(MemoryKeyring):
    """Every operation blocks for `seconds` (30 by default), like an unlock prompt that
    can never be shown. `release()` ends the wait early so tests leave no sleeper."""

    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__()
        self.seconds = seconds
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def _hang(self) -> None:
        self._released.wait(self.seconds)

    def get_password(self, service: str, username: str) -> str | None:
        self._hang()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._hang()
        super().delete_password(service, username)


class OddValuesKeyring(MemoryKeyring):
    """Returns `value` (e.g. with a trailing newline or unicode) for every name."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value

    def get_password(self, service: str, username: str) -> str | None:
        super().get_password(service, username)
        return self.value


class PlaintextKeyring(MemoryKeyring):
    """Looks (by module and class name) like keyrings.alt's plaintext file backend and
    records every write, so tests can assert that nothing ever reaches it."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


def chainer_of(*members: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
    """A ChainerBackend over exactly `members` (highest priority first)."""
    from keyring.backends.chainer import ChainerBackend

    class FixedChainer(ChainerBackend):
        viable = False
        backends: ClassVar[list[keyring.backend.KeyringBackend]] = list(members)

    return FixedChainer()  # type: ignore[no-untyped-call]
