"""The fast proof that a value holds no secret: its strings, joined, scan clean.

`scan_value` walks a nested value string by string and names where each hit is; on a
large roster most values are clean, and walking them costs far more than scanning
their text. `strings_of` collects every string of a value (dataclass instances
included, so a roster node need not be encoded first) and says whether the joined
text is a faithful proxy; if it is and `scan_text` finds nothing in it, the value is
clean. `clean_groups` applies that proof to many values at once (R15: every node of a
roster) with one `scan_text` over all their distinct strings; R15 walks only the nodes
it cannot clear.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Collection, Hashable, Mapping
from types import MappingProxyType
from typing import TypeVar, cast

from runtime.secrets.scanner import _CREDENTIAL_KEY, _looks_like_credential, scan_text

__all__ = ["clean_groups", "strings_of"]

K = TypeVar("K", bound=Hashable)

_KEY_IS_CREDENTIAL: dict[str, bool] = {}

# How `strings_of` treats a value, decided once per type (most values are of a handful
# of types: str, None, int, tuple, the roster's frozen dataclasses and mappings).
_STR, _SKIP, _SEQUENCE, _MAPPING, _DATACLASS, _OTHER = range(6)
_KINDS: dict[type, int] = {str: _STR, type(None): _SKIP, int: _SKIP, float: _SKIP, bool: _SKIP,
                         tuple: _SEQUENCE, list: _SEQUENCE, dict: _MAPPING,
                         MappingProxyType: _MAPPING}
# A dataclass' fields: (name, whether the name is credential-like), decided once per type.
_PLANS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _credential_key(key: str) -> bool:
    known = _KEY_IS_CREDENTIAL.get(key)
    if known is None:
        known = _CREDENTIAL_KEY.search(key) is not None
        if len(_KEY_IS_CREDENTIAL) < 10_000:
            _KEY_IS_CREDENTIAL[key] = known
    return known


def _kind_of(kind: type) -> int:
    """The treatment of values of type `kind`, in the order of the checks it replaces:
    str (subclasses too), the plain scalars, exact tuples and lists, mappings, dataclass
    instances, other int and float subclasses (skipped); anything else is unknown."""
    found = _KINDS.get(kind)
    if found is None:
        if issubclass(kind, str):
            found = _STR
        elif kind in (type(None), int, float, bool):
            found = _SKIP
        elif kind is tuple or kind is list:
            found = _SEQUENCE
        elif issubclass(kind, Mapping):
            found = _MAPPING
        elif dataclasses.is_dataclass(kind):
            found = _DATACLASS
            _PLANS[kind] = tuple((f.name, _credential_key(f.name))
                                 for f in dataclasses.fields(kind))
        else:
            found = _SKIP if issubclass(kind, int | float) else _OTHER
        _KINDS[kind] = found
    return found


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
    push, pop, append = stack.append, stack.pop, out.append
    kinds, plans, credential = _KINDS, _PLANS, _credential_key
    while stack:
        item, name = pop()
        kind = kinds.get(type(item))
        if kind is None:
            kind = _kind_of(type(item))
        if kind == _STR:
            item = cast(str, item)
            if "-----" in item or (name is not None and credential(name)
                                   and _looks_like_credential(item)):
                return False
            append(item)
        elif kind == _DATACLASS:
            # Fields inline: a string or a plain scalar needs no trip through the stack.
            for field_name, named_credential in plans[type(item)]:
                child = getattr(item, field_name)
                child_kind = kinds.get(type(child))
                if child_kind == _STR:
                    if "-----" in child or (named_credential and _looks_like_credential(child)):
                        return False
                    append(child)
                elif child_kind == _SKIP:
                    continue
                elif child_kind == _SEQUENCE and all(type(x) is str for x in child):
                    for text in child:  # a tuple of strings (tasks, modes, roots, args)
                        if "-----" in text or (named_credential
                                               and _looks_like_credential(text)):
                            return False
                        append(text)
                elif child_kind != _MAPPING or child:  # an empty mapping holds nothing
                    push((child, field_name))
        elif kind == _SEQUENCE:
            stack.extend([(child, name) for child in cast(tuple[object, ...], item)])
        elif kind == _MAPPING:
            for k, v in cast(Mapping[object, object], item).items():
                if type(k) is str or isinstance(k, str):
                    if "-----" in k:
                        return False
                    append(k)
                    push((v, k))
                else:
                    push((v, None))
        elif kind == _OTHER:
            return False
    return True


def clean_groups(groups: Mapping[K, Collection[str]]) -> set[K]:
    """The keys of `groups` none of whose strings holds a secret, each string scanned once.

    A group is a value's strings as `strings_of` collects them (say, one roster node's).
    All distinct strings of all groups are joined by line breaks into one text for one
    `scan_text`: on a large roster most strings (ids, tool names, modes) recur in many
    groups, and one call on a long text costs far less than one per group. The proof is
    the one `strings_of` documents, applied to every string at once: each string's hits
    are among the joined text's, inside that string's own line(s). A group is clean if no
    hit of the joined text falls on one of its strings. A string with a PEM marker
    ("-----", whose pattern spans lines) proves nothing: it is left out of the text (where
    it could reach into the strings after it) and its groups are never clean. Without it,
    every pattern is confined to one line, so a string has a hit in the joined text
    exactly when it has one on its own.
    """
    distinct = list(set().union(*groups.values()))  # any order: a hit is found either way
    joined = "\n".join(distinct)
    dirty: set[str] = set()
    if "-----" in joined:  # kept out of the text: the PEM pattern would span strings
        dirty = {text for text in distinct if "-----" in text}
        distinct = [text for text in distinct if text not in dirty]
        joined = "\n".join(distinct)
    hits = scan_text(joined)
    if not hits and not dirty:
        return set(groups)
    starts = list(itertools.accumulate((len(text) + 1 for text in distinct[:-1]), initial=0))
    for hit in hits:  # every string the hit touches, in case one ever spans a line break
        first = bisect.bisect_right(starts, hit.start) - 1
        last = bisect.bisect_right(starts, max(hit.start, hit.end - 1)) - 1
        dirty.update(distinct[first : last + 1])
    return {key for key, texts in groups.items() if dirty.isdisjoint(texts)}
