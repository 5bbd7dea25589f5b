"""The fast proof that a value holds no secret: its strings, joined, scan clean.

`scan_value` walks a nested value string by string and names where each hit is; on a
large roster most values are clean, and walking them costs far more than scanning
their text. `strings_of` collects every string of a value (dataclass instances
included, so a roster node need not be encoded first) and says whether the joined
text is a faithful proxy; if it is and `scan_text` finds nothing in it, the value is
clean. R15 uses it per node and walks only the nodes that fail it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from runtime.secrets.scanner import _CREDENTIAL_KEY, _looks_like_credential

__all__ = ["strings_of"]

_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
_KEY_IS_CREDENTIAL: dict[str, bool] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    names = _FIELD_NAMES.get(kind, ())
    if names == ():
        names = tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(
            kind) else None
        _FIELD_NAMES[kind] = names
    return names


def _credential_key(key: str) -> bool:
    known = _KEY_IS_CREDENTIAL.get(key)
    if known is None:
        known = _CREDENTIAL_KEY.search(key) is not None
        if len(_KEY_IS_CREDENTIAL) < 10_000:
            _KEY_IS_CREDENTIAL[key] = known
    return known


def strings_of(value: object, out: list[str], key: str | None = None) -> bool:
    """Collect every string in `value` into `out`: scalars and mapping keys at any depth,
    through mappings, lists, tuples and dataclass instances (whose fields count as keys).

    This is the fast proof that a value is clean: if it returns True and
    `scan_text("\\n".join(out))` finds nothing, `scan_value` finds nothing in the value
    (or in its encoded form, as long as that renames no field to a credential-like name
    and adds no strings). Every pattern except the private key's stops at a line break,
    and a string starts and ends a line just as it starts and ends a text, so each
    string's hits are among the joined text's. It returns False (walk the value instead)
    when the joined text is not such a proxy: a string with a PEM marker ("-----"), whose
    pattern spans lines, or a value under a credential-like name that looks like a
    credential (which `scan_value` reports by its name alone), or a type it does not know.
    """
    stack: list[tuple[object, str | None]] = [(value, key)]
    push, pop, append, credential = stack.append, stack.pop, out.append, _credential_key
    while stack:
        item, name = pop()
        kind = type(item)
        if kind is str or isinstance(item, str):
            assert isinstance(item, str)
            if "-----" in item or (name is not None and credential(name)
                                   and _looks_like_credential(item)):
                return False
            append(item)
        elif item is None or kind is int or kind is float or kind is bool:
            continue
        elif kind is tuple or kind is list:
            assert isinstance(item, tuple | list)
            push_all = [(child, name) for child in item]
            stack.extend(push_all)
        elif isinstance(item, Mapping):
            for k, v in item.items():
                if isinstance(k, str):
                    if "-----" in k:
                        return False
                    append(k)
                    push((v, k))
                else:
                    push((v, None))
        elif (names := _field_names(kind)) is not None:
            for field_name in names:
                push((getattr(item, field_name), field_name))
        elif not isinstance(item, int | float):
            return False
    return True
