"""Bindings for the roster-wide settings the inspector shows when nothing is selected.

Name and description, the defaults agents inherit (`defaults.X`), the run
policy (`policy.X`), each model provider's key reference and base URL, and
the audit settings, each generated from its spec list. Providers and audit
are not plain dataclass paths in the document (a mapping of `Provider`s, an
optional `Audit`), so their edits replace the whole value: a new mapping with
a new `Provider`, or a new `Audit`, dropping one that ends up empty.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from designer.controller import RosterController
from designer.panels.bindings import Binding, EditorMaker, field_default, unset_text
from designer.panels.editor_base import PropertyEditor
from runtime.roster import edits as e
from runtime.roster import model as m
from runtime.roster import props as p

DEFAULT_PROVIDER: Final = "anthropic"


def roster_bindings(controller: RosterController, make: EditorMaker) -> list[Binding]:
    out: list[Binding] = []
    for section, prefix, specs in (
        ("Roster", "", p.META_PROPS),
        ("Defaults for agents", "defaults", p.DEFAULTS_PROPS),
        ("Policy", "policy", p.POLICY_PROPS),
    ):
        out += [_meta_binding(controller, prefix, spec, make(spec, unset_text(spec)), section)
                for spec in specs]
    meta = controller.document.meta
    names = [*meta.providers, *([] if DEFAULT_PROVIDER in meta.providers else [DEFAULT_PROVIDER])]
    for name in names:
        out += [_provider_binding(controller, name, spec, make(spec, unset_text(spec)))
                for spec in p.PROVIDER_PROPS]
    out += [_audit_binding(controller, spec, make(spec, unset_text(spec)))
            for spec in p.AUDIT_PROPS]
    return out


def _meta_binding(controller: RosterController, prefix: str, spec: p.PropSpec,
                  editor: PropertyEditor, section: str) -> Binding:
    key = f"{prefix}.{spec.name}" if prefix else spec.name

    def holder() -> Any:
        meta = controller.document.meta
        return getattr(meta, prefix) if prefix else meta

    def read() -> Any:
        return getattr(holder(), spec.name)

    def write(value: Any, merge: bool) -> None:
        stored = field_default(holder(), spec.name) if value is None else value
        controller.set_property(e.ROSTER, key, stored, merge=merge)

    return Binding(key, editor, read, write, section)


def _provider_binding(controller: RosterController, name: str, spec: p.PropSpec,
                      editor: PropertyEditor) -> Binding:
    def read() -> Any:
        provider = controller.document.meta.providers.get(name)
        return None if provider is None else getattr(provider, spec.name)

    def write(value: Any, merge: bool) -> None:
        providers = dict(controller.document.meta.providers)
        provider = dataclasses.replace(providers.get(name) or m.Provider(), **{spec.name: value})
        if provider == m.Provider():
            providers.pop(name, None)
        else:
            providers[name] = provider
        controller.set_property(e.ROSTER, "providers", providers, merge=merge)

    return Binding(f"providers.{name}.{spec.name}", editor, read, write, f"Provider: {name}")


def _audit_binding(controller: RosterController, spec: p.PropSpec,
                   editor: PropertyEditor) -> Binding:
    def read() -> Any:
        audit = controller.document.meta.audit
        return None if audit is None else getattr(audit, spec.name)

    def write(value: Any, merge: bool) -> None:
        audit = dataclasses.replace(controller.document.meta.audit or m.Audit(),
                                    **{spec.name: value})
        controller.set_property(e.ROSTER, "audit", None if audit == m.Audit() else audit,
                                merge=merge)

    return Binding(f"audit.{spec.name}", editor, read, write, "Audit")
