"""The main window's parts that are built on first use, off the designer's start path.

`LazyParts` is a mixin of `MainWindow`: the inspector (its dock shows a hint
until a roster is open; opening one, or any code asking for `inspector`,
builds it), the paste guard and the key store behind it (the keyring
libraries load when a key is first pasted or the API Keys dialog opens).
Each is a property, so callers and tests use them as plain attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from designer.lazy_host import LazyHost

if TYPE_CHECKING:
    from designer.keys.paste import PasteGuard
    from designer.panels.inspector import InspectorPanel
    from runtime.secrets.keystore import KeyStore, SessionKeys

INSPECTOR_HINT = "Open a roster, or start one from a template, to inspect it here."


class LazyParts:
    """Inspector, paste guard and key store of a `MainWindow`, each made when first used."""

    _key_store: KeyStore | None = None
    _session_keys: SessionKeys | None = None
    _paste_guard: PasteGuard | None = None
    inspector_host: LazyHost

    def _make_inspector_host(self) -> LazyHost:
        self.inspector_host = LazyHost(self._build_inspector, placeholder=INSPECTOR_HINT,
                                       build_on_show=False)
        return self.inspector_host

    @property
    def inspector(self) -> InspectorPanel:
        return cast("InspectorPanel", self.inspector_host.ensure())

    def _build_inspector(self) -> InspectorPanel:
        from designer.panels.inspector import InspectorPanel

        window = cast(Any, self)
        panel = InspectorPanel(window.controller, window.catalog, window)
        panel.secret_captured.connect(lambda captured: self.paste_guard.offer(captured))
        panel.show_selection(window.scene.selected_ids())
        return panel

    @property
    def key_store(self) -> KeyStore:
        if self._key_store is None:
            from runtime.secrets.keystore import KeyStore

            self._key_store = KeyStore()  # no keyring I/O until a worker calls it
        return self._key_store

    @key_store.setter
    def key_store(self, store: KeyStore) -> None:
        self._key_store = store

    @property
    def session_keys(self) -> SessionKeys:
        """Keys kept in memory for this run only."""
        if self._session_keys is None:
            from runtime.secrets.keystore import SessionKeys

            self._session_keys = SessionKeys()
        return self._session_keys

    @property
    def paste_guard(self) -> PasteGuard:
        if self._paste_guard is None:
            from designer.keys.paste import PasteGuard

            window = cast(Any, self)
            guard = PasteGuard(window, lambda: self.key_store, self.session_keys)
            guard.finished.connect(window.status.flash)
            self._paste_guard = guard
        return self._paste_guard


__all__ = ["INSPECTOR_HINT", "LazyParts"]
