"""Runs keyring calls off the GUI thread, says what their failures mean, checks references.

`KeyWorker.run(fn, on_result, on_error)` executes `fn` (a `KeyStore` call, which
carries its own timeout, 5 s by default) as a `QRunnable` on a thread pool and
delivers the result or the exception back on the GUI thread through a queued
signal, so the GUI thread never waits for a keyring that hangs on an unlock
prompt; `busy_changed` says when calls are pending so a view can show a busy
state. A worker deleted while a call is pending simply drops that call's result.
`describe(exc)` maps the `KeyStoreError` subclasses to UI states ("locked",
"not-responding", "no-keyring", ...) with a short headline; the exception's own
message, which never holds a key, is the detail. Also the Qt-free pieces the key
views share: whether a value may be stored as a runtime key (`key_problem`; never
an Anthropic Admin key), the references a roster uses (`roster_references`) and the
job that checks them (`check_references`, found or not, never a value). Nothing
here logs a value.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any, Final

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from runtime.roster import model as m
from runtime.roster.document import Document
from runtime.secrets import keystore as ks
from runtime.secrets.keystore import KeyStore, SessionKeys
from runtime.secrets.refs import EnvRef, ReferenceSyntaxError, looks_like_ref, parse_ref
from runtime.secrets.scanner import redact, scan_text

log = logging.getLogger(__name__)

StoreSource = KeyStore | Callable[[], KeyStore]
"""A key store, or a factory for one (tests inject a KeyStore over a fake backend)."""

ResultSlot = Callable[[Any], None]
ErrorSlot = Callable[[Exception], None]


def make_store(source: StoreSource) -> KeyStore:
    """The store `source` stands for; creating a KeyStore does no keyring I/O."""
    return source if isinstance(source, KeyStore) else source()


class _Relay(QObject):
    """Carries one call's outcome from a pool thread to the GUI thread (queued)."""

    done = Signal(int, object, object)  # (job id, result, exception or None)


class _Job(QRunnable):
    def __init__(self, job_id: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._id = job_id
        self._fn: Callable[[], Any] | None = fn
        self._relay = relay

    def run(self) -> None:
        fn, self._fn = self._fn, None  # drop the closure (it may hold a key) once run
        result: Any = None
        error: Exception | None = None
        try:
            assert fn is not None
            result = fn()
        except Exception as exc:  # every failure goes back to the GUI thread
            error = exc
        del fn
        self._relay.done.emit(self._id, result, error)


class KeyWorker(QObject):
    """Runs callables on a thread pool; results and errors arrive on the GUI thread."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        # The shared pool, not a child one: deleting a worker must never wait for a
        # call still stuck in the keyring (a child pool's destructor would).
        self._pool = pool or QThreadPool.globalInstance()
        self._ids = count(1)
        self._pending: dict[int, tuple[_Relay, ResultSlot | None, ErrorSlot | None]] = {}

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(self, fn: Callable[[], Any], on_result: ResultSlot | None = None,
            on_error: ErrorSlot | None = None) -> None:
        """Call `fn` on the pool; then `on_result(value)` or `on_error(exc)` on this thread."""
        job_id = next(self._ids)
        relay = _Relay()  # no parent: lives until delivered, even if this worker goes
        relay.done.connect(self._deliver)
        was_busy = self.busy
        self._pending[job_id] = (relay, on_result, on_error)
        if not was_busy:
            self.busy_changed.emit(True)
        self._pool.start(_Job(job_id, fn, relay))

    def _deliver(self, job_id: int, result: Any, error: Exception | None) -> None:
        relay, on_result, on_error = self._pending.pop(job_id)
        relay.done.disconnect(self._deliver)
        try:
            if error is not None:
                log.info("keyring call failed: %s", type(error).__name__)
                if on_error is not None:
                    on_error(error)
            elif on_result is not None:
                on_result(result)
        finally:
            if not self._pending:  # a callback may have started the next call
                self.busy_changed.emit(False)


@dataclass(frozen=True)
class ErrorState:
    """A failure as the user should see it: a state name, a headline and the details."""

    state: str
    headline: str
    detail: str

    @property
    def text(self) -> str:
        return f"{self.headline}\n{self.detail}" if self.detail else self.headline


# Most specific first: the first class the exception is an instance of wins.
_STATES: Final[tuple[tuple[type[Exception], str, str], ...]] = (
    (ks.NoSecureBackend, "no-keyring", "No secure key storage is available."),
    (ks.KeyringLockedError, "locked", "Your keyring is locked. Unlock it, then press Retry."),
    (ks.KeyringTimeout, "not-responding",
     "The keyring is not responding (it may be waiting for an unlock prompt that "
     "cannot be shown)."),
    (ks.KeyringInitError, "unavailable", "The keyring could not be opened."),
    (ks.KeySetError, "refused", "The keyring refused to store the key."),
    (ks.KeyDeleteError, "refused", "The keyring could not delete the key."),
    (ks.KeyNotFound, "not-found", "There is no such key."),
    (ks.KeyStoreError, "failed", "The keyring failed."),
    (ReferenceSyntaxError, "invalid", "That is not a valid key name."),
)


def describe(exc: BaseException) -> ErrorState:
    """The UI state, headline and detail for an exception from a keyring call."""
    for cls, state, headline in _STATES:
        if isinstance(exc, cls):
            return ErrorState(state, headline, str(exc))
    if isinstance(exc, ValueError):
        return ErrorState("invalid", "Not accepted.", str(exc))
    # Not one of ours: its message was not written with secrets in mind.
    return ErrorState("failed", "Unexpected error.", f"{type(exc).__name__}: {redact(str(exc))}")


# ------------------------------------------------------------ jobs for the key views

ENV_VAR: Final = "ANTHROPIC_API_KEY"
ADMIN_REFUSAL: Final = (
    "This is an Anthropic Admin API key (sk-ant-admin01-…). Admin keys manage your "
    "organisation (members, workspaces and API keys); they are not for running models, "
    "and an agent that held one could change your organisation. Create a regular API key "
    "in the Claude Console and store that instead."
)

def is_admin_key(text: str) -> bool:
    return any(hit.rule == "anthropic-admin-api-key" for hit in scan_text(text))


def key_problem(value: str) -> str | None:
    """Why `value` must not be stored as a runtime key, or None when it may be."""
    if not value:
        return "Enter the key."
    if any(ch.isspace() for ch in value):
        return "A key has no spaces or line breaks; paste it again."
    if looks_like_ref(value):
        return "That is a reference, not a key: references go into the roster, keys go here."
    return ADMIN_REFUSAL if is_admin_key(value) else None


def roster_references(document: Document) -> dict[str, list[str]]:
    """Each keyring:/env: string in the roster's providers, tools and MCP servers,
    with where it is used ("providers.anthropic.api_key", "mcp_servers.crm-mcp.env.X")."""
    found: dict[str, list[str]] = {}

    def walk(where: str, value: Any) -> None:
        if isinstance(value, str):
            if looks_like_ref(value):
                found.setdefault(value, []).append(where)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                if f.name != "id":
                    walk(f"{where}.{f.name}", getattr(value, f.name))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{where}.{key}", item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{where}[{index}]", item)

    for name, provider in document.meta.providers.items():
        walk(f"providers.{name}", provider)
    for node in document.nodes.values():
        if isinstance(node, m.Tool | m.McpServer):
            walk(f"{m.section_of(node)}.{node.id}", node)
    return found


def check_references(refs: Iterable[str], store: KeyStore, session: SessionKeys,
                     env: Mapping[str, str]) -> dict[str, tuple[bool, str, str]]:
    """(found?, status, detail) per reference; runs on a worker; returns no value."""
    results: dict[str, tuple[bool, str, str]] = {}
    shared: ErrorState | None = None  # the keyring as a whole failed: do not ask again
    for text in refs:
        try:
            ref = parse_ref(text)
        except ReferenceSyntaxError as exc:
            results[text] = (False, "not a valid reference", str(exc))
            continue
        if isinstance(ref, EnvRef):
            ok = bool(env.get(ref.var))
            results[text] = (ok, "set in the environment" if ok else f"{ref.var} is not set", "")
        elif ref.service == session.service and ref.name in session:
            results[text] = (True, "held for this session only", "")
        elif shared is not None:
            results[text] = (False, shared.headline, shared.detail)
        else:
            target = store if store.service == ref.service else store.with_service(ref.service)
            try:
                found = target.get(ref.name) is not None
            except ks.KeyStoreError as exc:
                shared = describe(exc)
                results[text] = (False, shared.headline, shared.detail)
                continue
            results[text] = (found, "stored" if found else "not stored in the keyring", "")
    return results
