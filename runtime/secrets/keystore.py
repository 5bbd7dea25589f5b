"""The one door to the OS keyring: time-boxed, secure-only access to stored keys.

Every keyring call — including `import keyring` and backend detection, which can
hang for minutes on a broken D-Bus setup — runs on its own daemon worker thread
and is abandoned after a timeout, so a hung keyring never blocks the caller (or the
GUI thread, or interpreter exit) for longer than that. Keyring errors are turned
into `KeyStoreError` subclasses whose messages say what happened and what to do.
Insecure backends (fail, null, plaintext files) are refused unless the caller
opts in; there is never a silent fallback to plaintext. Also here: in-memory
session keys, reference resolution, and a scrubbed environment for child processes.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from runtime.secrets.refs import (
    DEFAULT_SERVICE,
    EnvRef,
    KeyringRef,
    check_name,
    check_service,
    parse_ref,
)

log = logging.getLogger(__name__)

_T = TypeVar("_T")

DEFAULT_TIMEOUT: Final = 5.0
INDEX_NAME: Final = "__index__"  # JSON list of the names this app stored; never values

_LOCKED_MSG: Final = (
    "The keyring is locked. Unlock it (log in to your desktop session or run "
    "`gnome-keyring-daemon --unlock`) and try again."
)
_DIAGNOSE: Final = "`keyring diagnose` shows which backend and configuration keyring uses"


class KeyStoreError(Exception):
    """A keyring operation failed; the message says what happened and what to do."""


class NoSecureBackend(KeyStoreError):
    """No secure key store is available (fail, null or plaintext backend)."""


class KeyringLockedError(KeyStoreError):
    """The keyring is locked and could not be unlocked without a prompt."""


class KeyringTimeout(KeyStoreError):
    """The keyring did not answer within the timeout (the call was abandoned)."""


class KeyringInitError(KeyStoreError):
    """The keyring could not be opened (no daemon, no collection, no D-Bus)."""


class KeySetError(KeyStoreError):
    """The keyring refused to store a key."""


class KeyDeleteError(KeyStoreError):
    """The keyring failed to delete a key that exists."""


class KeyNotFound(KeyStoreError):
    """No key is stored (or set in the environment) under the requested name."""


@dataclass(frozen=True)
class BackendInfo:
    """Which keyring backend is in use, whether it is a secure store, and why."""

    name: str
    secure: bool
    reason: str


# --- worker threads ------------------------------------------------------------------


def _run_with_timeout(fn: Callable[[], _T], timeout: float, action: str) -> _T:
    """Run `fn` on a fresh daemon thread; raise KeyringTimeout if it takes > `timeout` s.

    A daemon thread per call (not a shared pool) so that one hung call never starves
    later ones, and a thread stuck forever never delays interpreter exit.
    """
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def work() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # handed to the waiting caller below
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=work, name=f"keyring: {action}", daemon=True).start()
    if not done.wait(timeout):
        log.warning("keyring did not answer within %g s while %s", timeout, action)
        raise KeyringTimeout(
            f"The keyring did not answer within {timeout:g} s while {action}; it may be "
            "waiting for an unlock prompt that cannot be shown, or the D-Bus session may be "
            "unreachable. Unlock the keyring (or run `gnome-keyring-daemon --unlock`) and "
            f"try again, or allow it more time (`--timeout`); {_DIAGNOSE}."
        )
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _detail(exc: BaseException, secret: str | None = None) -> str:
    """A one-line description of `exc` that can never contain `secret`."""
    text = " ".join(str(exc).split())
    if secret:
        text = text.replace(secret, "[redacted]")
    if len(text) > 240:
        text = text[:237] + "..."
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


_NO_STORE_HELP: Final = (
    "Run a Secret Service provider such as gnome-keyring or KeePassXC in your D-Bus session "
    f"({_DIAGNOSE}), or use an env: reference such as env:ANTHROPIC_API_KEY"
)

# Exception class names (keyring's, then secretstorage's) -> our error and what to do.
_ERRORS: Final[tuple[tuple[frozenset[str], type[KeyStoreError], str], ...]] = (
    (
        frozenset({"NoKeyringError"}),
        NoSecureBackend,
        "No secure key storage is available ({detail}). " + _NO_STORE_HELP + ".",
    ),
    (
        frozenset({"KeyringLocked", "LockedException", "PromptDismissedException"}),
        KeyringLockedError,
        _LOCKED_MSG + " ({detail})",
    ),
    (
        frozenset({"InitError", "SecretServiceNotAvailableException"}),
        KeyringInitError,
        "The keyring could not be opened while {action} ({detail}). Check that a Secret "
        "Service daemon (e.g. gnome-keyring-daemon) runs in this D-Bus session and that "
        "DBUS_SESSION_BUS_ADDRESS is set; " + _DIAGNOSE + ". Then try again.",
    ),
    (
        frozenset({"PasswordSetError"}),
        KeySetError,
        "The keyring refused the write while {action} ({detail}). Check that the keyring "
        "is unlocked and writable, then try again.",
    ),
    (
        frozenset({"PasswordDeleteError"}),
        KeyDeleteError,
        "The keyring failed while {action} ({detail}). Unlock the keyring and try again, or "
        "remove the item with your keyring manager (e.g. Seahorse).",
    ),
)


def _translate(exc: Exception, action: str, secret: str | None = None) -> KeyStoreError:
    """Map an exception raised by keyring (or secretstorage) to a KeyStoreError."""
    if isinstance(exc, KeyStoreError):
        return exc
    detail = _detail(exc, secret)
    if isinstance(exc, ImportError):
        return NoSecureBackend(
            f"The Python package `keyring` cannot be imported ({detail}). Install it "
            "(`pip install keyring secretstorage`), or use an env: reference instead."
        )
    names = {cls.__name__ for cls in type(exc).__mro__}
    for matches, error, message in _ERRORS:
        if names & matches:
            return error(message.format(action=action, detail=detail))
    return KeyStoreError(
        f"The keyring failed while {action} ({detail}). Check that it is running and "
        f"unlocked ({_DIAGNOSE}), then try again."
    )


# --- backend classification ----------------------------------------------------------

_FILE_BACKEND_MODULES: Final = ("keyrings.alt.file", "keyrings.alt.pyfs")


def _qualified(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _insecure_reason(backend: object) -> str | None:
    """Why `backend` is not a secure store, or None if it is one. Uses names only,
    so that keyrings.alt is never imported."""
    module, cls_name = type(backend).__module__, type(backend).__name__
    if module == "keyring.backends.fail":
        return "keyring found no usable backend, so every operation fails"
    if module == "keyring.backends.null":
        return (
            "the null backend silently discards every key (it is chosen by "
            "PYTHON_KEYRING_BACKEND or `keyring --disable`)"
        )
    if any(module == m or module.startswith(m + ".") for m in _FILE_BACKEND_MODULES):
        return "a keyrings.alt file backend keeps keys in a file, not in a secure store"
    if "plaintext" in cls_name.lower() or "plaintext" in module.lower():
        return "this backend stores keys in plaintext"
    return None


def _is_chainer(backend: object) -> bool:
    return any(
        cls.__module__ == "keyring.backends.chainer" and cls.__name__ == "ChainerBackend"
        for cls in type(backend).__mro__
    )


def classify_backend(backend: object) -> tuple[BackendInfo, object | None]:
    """Classify a keyring backend; also return the backend to use for secure access
    (for a chainer, its first secure member, so a plaintext member is never read or
    written), or None if there is no secure one."""
    name = _qualified(backend)
    if not _is_chainer(backend):
        reason = _insecure_reason(backend)
        if reason is not None:
            return BackendInfo(name, False, reason), None
        return BackendInfo(name, True, "keys are kept in the OS key store"), backend
    members = list(getattr(backend, "backends", ()))
    secure = [m for m in members if _insecure_reason(m) is None and not _is_chainer(m)]
    listed = ", ".join(_qualified(m) for m in members) or "none"
    if not secure:
        return BackendInfo(name, False, f"a chain of insecure backends only ({listed})"), None
    chosen = secure[0]
    return (
        BackendInfo(
            f"{name} -> {_qualified(chosen)}",
            True,
            f"a chain of {listed}; only its secure member {_qualified(chosen)} is used",
        ),
        chosen,
    )


def _default_backend() -> object:
    import keyring  # deliberately lazy: importing can probe D-Bus for minutes

    return keyring.get_keyring()


def detect_backend(timeout: float = DEFAULT_TIMEOUT) -> BackendInfo:
    """Detect the default keyring backend on a worker thread, within `timeout` s."""

    def work() -> BackendInfo:
        try:
            return classify_backend(_default_backend())[0]
        except ImportError as exc:
            return BackendInfo("none", False, f"the keyring package is missing ({exc})")
        except Exception as exc:
            raise _translate(exc, "detecting the keyring backend") from None

    return _run_with_timeout(work, timeout, "detecting the keyring backend")


# --- the store -----------------------------------------------------------------------


class KeyStore:
    """Keys of one keyring service, read and written only through a secure backend."""

    def __init__(
        self,
        service: str = DEFAULT_SERVICE,
        timeout: float = DEFAULT_TIMEOUT,
        backend: object | None = None,
        allow_insecure: bool = False,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.service: Final = check_service(service)
        self.timeout: Final = float(timeout)
        self.allow_insecure: Final = allow_insecure
        self._injected = backend
        self._resolved: tuple[BackendInfo, object, object | None] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyStore(service={self.service!r}, timeout={self.timeout:g})"

    def with_service(self, service: str) -> KeyStore:
        """The same backend and settings, for another service."""
        other = KeyStore(service, self.timeout, self._injected, self.allow_insecure)
        other._resolved = self._resolved
        return other

    # All private methods below run on a worker thread.

    def _resolve_backend(self) -> tuple[BackendInfo, object, object | None]:
        with self._lock:
            if self._resolved is None:
                raw = self._injected if self._injected is not None else _default_backend()
                info, secure = classify_backend(raw)
                self._resolved = (info, raw, secure)
            return self._resolved

    def _usable_backend(self) -> Any:
        info, raw, secure = self._resolve_backend()
        if secure is not None:
            return secure
        if self.allow_insecure:
            log.warning("using the insecure keyring backend %s (allow_insecure)", info.name)
            return raw
        raise NoSecureBackend(
            f"No secure key storage is available: the keyring backend is {info.name} "
            f"({info.reason}). {_NO_STORE_HELP}; keys are never written to a plaintext "
            "fallback."
        )

    def _call(self, fn: Callable[[], _T], action: str, secret: str | None = None) -> _T:
        def work() -> _T:
            try:
                return fn()
            except Exception as exc:
                raise _translate(exc, action, secret) from None

        return _run_with_timeout(work, self.timeout, action)

    def _read_index(self, backend: Any) -> list[str]:
        raw = backend.get_password(self.service, INDEX_NAME)
        if raw is None:
            return []
        try:
            names = json.loads(raw)
        except ValueError:
            names = None
        if not isinstance(names, list):
            log.warning("ignoring a malformed key index in keyring service %r", self.service)
            return []
        return sorted({n for n in names if isinstance(n, str) and n != INDEX_NAME})

    def _write_index(self, backend: Any, names: Iterable[str]) -> None:
        from keyring.errors import PasswordDeleteError

        wanted = sorted(set(names))
        if wanted:
            backend.set_password(self.service, INDEX_NAME, json.dumps(wanted))
            return
        try:
            backend.delete_password(self.service, INDEX_NAME)
        except PasswordDeleteError:
            pass

    # Public API.

    def backend_info(self) -> BackendInfo:
        """Which backend this store uses and whether it is secure (never raises
        NoSecureBackend; may raise KeyringTimeout or another KeyStoreError)."""
        return self._call(lambda: self._resolve_backend()[0], "detecting the keyring backend")

    def get(self, name: str) -> str | None:
        """The stored value of `name`, or None if there is none."""
        check_name(name)

        def work() -> str | None:
            value = self._usable_backend().get_password(self.service, name)
            return value if value is None else str(value)

        return self._call(work, f"reading the key {name!r}")

    def set(self, name: str, value: str) -> None:
        """Store `value` under `name` (replacing any previous value)."""
        check_name(name)
        if not isinstance(value, str) or not value:
            raise ValueError("a key value must be a non-empty string")

        def work() -> None:
            backend = self._usable_backend()
            backend.set_password(self.service, name, value)
            try:
                names = self._read_index(backend)
                if name not in names:
                    self._write_index(backend, [*names, name])
            except Exception as exc:  # the key itself is stored; only the listing lags
                log.warning(
                    "stored key %r but could not update the key index: %s",
                    name,
                    _detail(exc, value),
                )
            log.info("stored key %r in keyring service %r", name, self.service)

        self._call(work, f"storing the key {name!r}", secret=value)

    def delete(self, name: str) -> None:
        """Delete `name`; raise KeyNotFound if nothing is stored under it."""
        check_name(name)

        def work() -> None:
            from keyring.errors import PasswordDeleteError

            backend = self._usable_backend()
            try:
                backend.delete_password(self.service, name)
            except PasswordDeleteError:
                if backend.get_password(self.service, name) is not None:
                    raise  # it exists, so this is a real failure: KeyDeleteError
                self._remove_from_index(backend, name)
                raise KeyNotFound(
                    f"There is no key named {name!r} in keyring service {self.service!r}, "
                    f"so nothing was deleted. `roster keys list{_service_opt(self.service)}` "
                    "shows the stored names."
                ) from None
            self._remove_from_index(backend, name)
            log.info("deleted key %r from keyring service %r", name, self.service)

        self._call(work, f"deleting the key {name!r}")

    def _remove_from_index(self, backend: Any, name: str) -> None:
        names = self._read_index(backend)
        if name in names:
            self._write_index(backend, [n for n in names if n != name])

    def list_names(self) -> list[str]:
        """The names this app stored in this service (from its index), sorted."""
        return self._call(
            lambda: self._read_index(self._usable_backend()), "listing the stored keys"
        )


def _service_opt(service: str) -> str:
    return "" if service == DEFAULT_SERVICE else f" --service {service}"


# --- session-only keys ---------------------------------------------------------------

_LIVE_SESSIONS: weakref.WeakSet[SessionKeys] = weakref.WeakSet()


def _clear_all_sessions() -> None:
    for session in list(_LIVE_SESSIONS):
        session.clear()


atexit.register(_clear_all_sessions)


class SessionKeys:
    """Keys held in memory for this process only, for a user who chose not to use a
    keyring. Cleared by `clear()` and at interpreter exit; never written anywhere."""

    def __init__(self, service: str = DEFAULT_SERVICE) -> None:
        self.service: Final = check_service(service)
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()
        _LIVE_SESSIONS.add(self)

    def __repr__(self) -> str:
        return f"SessionKeys(service={self.service!r}, {len(self)} keys)"

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._keys

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._keys.get(name)

    def set(self, name: str, value: str) -> None:
        check_name(name)
        if not isinstance(value, str) or not value:
            raise ValueError("a key value must be a non-empty string")
        with self._lock:
            self._keys[name] = value

    def delete(self, name: str) -> None:
        with self._lock:
            if self._keys.pop(name, None) is None:
                raise KeyNotFound(f"There is no session key named {name!r}; nothing to delete.")

    def list_names(self) -> list[str]:
        with self._lock:
            return sorted(self._keys)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


# --- resolution and child environments -----------------------------------------------


def resolve(
    ref_string: str,
    store: KeyStore,
    env: Mapping[str, str] = os.environ,
    *,
    session: SessionKeys | None = None,
) -> str:
    """The value a reference points to, exactly as stored.

    `keyring:` references are looked up in `session` first (if given and of the same
    service), then in `store` (or a sibling store for another service); `env:`
    references in `env`. Raises ReferenceSyntaxError, KeyNotFound or another
    KeyStoreError.
    """
    ref = parse_ref(ref_string)
    if isinstance(ref, EnvRef):
        value = env.get(ref.var)
        if value is None or value == "":
            state = "is not set" if value is None else "is set but empty"
            raise KeyNotFound(
                f"The environment variable {ref.var} (from {ref}) {state}. Set it where the "
                "roster runs, or store the key with `roster keys set NAME` and reference it "
                f"as keyring:{DEFAULT_SERVICE}/NAME."
            )
        return value
    assert isinstance(ref, KeyringRef)
    if session is not None and session.service == ref.service:
        held = session.get(ref.name)
        if held is not None:
            return held
    target = store if store.service == ref.service else store.with_service(ref.service)
    stored = target.get(ref.name)
    if stored is None:
        raise KeyNotFound(
            f"No key named {ref.name!r} in keyring service {ref.service!r} (from {ref}). "
            f"Store it with `roster keys set {ref.name}{_service_opt(ref.service)}`."
        )
    return stored


SAFE_ENV_NAMES: Final = frozenset(
    {
        "PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL", "TERM",
        "SYSTEMROOT", "PYTHONIOENCODING",
    }
)  # fmt: skip


def scrubbed_env(base: Mapping[str, str], allowed: Iterable[str] = ()) -> dict[str, str]:
    """An environment for a child process: only the safe allowlist (plus LC_*) and the
    names in `allowed` survive, so no API key, token or secret leaks by default."""
    keep = set(allowed)
    return {
        name: value
        for name, value in base.items()
        if name in SAFE_ENV_NAMES or name.startswith("LC_") or name in keep
    }
