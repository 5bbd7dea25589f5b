"""Credential references: the grammar of `keyring:SERVICE/NAME` and `env:VAR`.

A roster never holds a key, only a reference to where the key lives. This module
parses such a reference string into a frozen value (`KeyringRef` or `EnvRef`),
formats it back, and says whether a string is one. It does no I/O: resolving a
reference to its value is the keystore's job (keystore.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

DEFAULT_SERVICE: Final = "agent-roster"

KEYRING_PREFIX: Final = "keyring:"
ENV_PREFIX: Final = "env:"

# Names start with a letter or digit, so the keystore's reserved `__index__` item can
# never be addressed by a reference.
_SERVICE_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_ENV_VAR_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")

_ECHO_LIMIT: Final = 40

_KEYRING_FORM: Final = (
    "expected keyring:SERVICE/NAME, e.g. keyring:agent-roster/anthropic "
    "(SERVICE and NAME: letters, digits, '.', '_', '-'; NAME may also hold '@'; "
    "each starts with a letter or digit)"
)
_ENV_FORM: Final = (
    "expected env:VAR, e.g. env:ANTHROPIC_API_KEY "
    "(VAR: letters, digits and '_', not starting with a digit)"
)


class ReferenceSyntaxError(ValueError):
    """A string is not a valid credential reference; the message gives the expected form."""


def _shown(text: str) -> str:
    """User input for an error message, cut short so that a key pasted by mistake
    into a reference field is never echoed (keys are far longer than references)."""
    return repr(text if len(text) <= _ECHO_LIMIT else text[:12] + "…")


@dataclass(frozen=True)
class KeyringRef:
    """A key stored in the OS keyring under `service`, with user name `name`."""

    service: str
    name: str

    def __post_init__(self) -> None:
        check_service(self.service)
        check_name(self.name)

    def __str__(self) -> str:
        return f"{KEYRING_PREFIX}{self.service}/{self.name}"


@dataclass(frozen=True)
class EnvRef:
    """A key read from the environment variable `var` (read-only)."""

    var: str

    def __post_init__(self) -> None:
        if not _ENV_VAR_RE.fullmatch(self.var):
            raise ReferenceSyntaxError(
                f"invalid environment variable name {_shown(self.var)}: {_ENV_FORM}"
            )

    def __str__(self) -> str:
        return f"{ENV_PREFIX}{self.var}"


Ref = KeyringRef | EnvRef


def check_service(service: str) -> str:
    """Return `service` if it is a valid keyring service name, else raise ReferenceSyntaxError."""
    if not isinstance(service, str) or not _SERVICE_RE.fullmatch(service):
        raise ReferenceSyntaxError(
            f"invalid keyring service {_shown(str(service))}: a service is 1-128 characters "
            "of letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return service


def check_name(name: str) -> str:
    """Return `name` if it is a valid key name, else raise ReferenceSyntaxError."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ReferenceSyntaxError(
            f"invalid key name {_shown(name)}: a name is 1-128 characters of letters, "
            "digits, '.', '_', '-' or '@', starting with a letter or digit"
        )
    return name


def parse_ref(s: str) -> KeyringRef | EnvRef:
    """Parse `keyring:SERVICE/NAME` or `env:VAR`; raise ReferenceSyntaxError otherwise."""
    if not isinstance(s, str):
        raise ReferenceSyntaxError(
            f"a credential reference must be a string, not {type(s).__name__}: "
            f"{_KEYRING_FORM}, or {_ENV_FORM}"
        )
    if s.startswith(KEYRING_PREFIX):
        body = s[len(KEYRING_PREFIX) :]
        service, slash, name = body.partition("/")
        if not slash:
            raise ReferenceSyntaxError(
                f"invalid keyring reference {_shown(s)}: missing '/' between SERVICE "
                f"and NAME; {_KEYRING_FORM}"
            )
        try:
            return KeyringRef(service, name)
        except ReferenceSyntaxError as exc:
            raise ReferenceSyntaxError(
                f"invalid keyring reference {_shown(s)}: {exc} (expected keyring:SERVICE/NAME)"
            ) from None
    if s.startswith(ENV_PREFIX):
        try:
            return EnvRef(s[len(ENV_PREFIX) :])
        except ReferenceSyntaxError as exc:
            raise ReferenceSyntaxError(f"invalid env reference {_shown(s)}: {exc}") from None
    raise ReferenceSyntaxError(
        f"{_shown(s)} is not a credential reference: {_KEYRING_FORM}, or {_ENV_FORM}"
    )


def format_ref(ref: KeyringRef | EnvRef) -> str:
    """The canonical string form of a reference; `parse_ref(format_ref(r)) == r`."""
    return str(ref)


def is_ref(s: object) -> bool:
    """True if `s` is a string that parses as a valid credential reference."""
    if not isinstance(s, str):
        return False
    try:
        parse_ref(s)
    except ReferenceSyntaxError:
        return False
    return True


def looks_like_ref(s: object) -> bool:
    """True if `s` claims to be a reference: a reference prefix and no whitespace.

    Such a string that fails `parse_ref` is a broken reference worth reporting,
    whereas prose like "env: production" is not a reference at all.
    """
    return (
        isinstance(s, str)
        and s.startswith((KEYRING_PREFIX, ENV_PREFIX))
        and not any(ch.isspace() for ch in s)
    )
