"""`fields.read_props` for the common case: every value already of the right type.

Loading a large roster reads tens of thousands of properties, nearly all of
them valid. `read_props` here checks each value with one class test and a
range or choice check taken from a table made once per spec list, and builds
the same typed values. The moment anything is off (an unknown key, a value of
another type, out of range, a required field missing) it hands the mapping to
`fields.read_props`, which reports the first problem exactly as before; the
types it does not check itself (key references, digests, free-form objects)
go through `fields.read_value` one by one. So the result and every error are
those of `fields.read_props`; only the time differs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from runtime.roster import fields as f
from runtime.roster.errors import RosterLoadError
from runtime.roster.props import PropSpec, PropType

# What a value of each type is checked with. OTHER: fields.read_value decides.
_TEXT, _CHOICE, _INT, _NUMBER, _BOOL, _LIST, _TAGS, _OTHER = range(8)
_CODES: Final = {
    PropType.STRING: _TEXT,
    PropType.MULTILINE: _TEXT,
    PropType.MODEL: _TEXT,
    PropType.ID_REF: _TEXT,
    PropType.URL: _TEXT,
    PropType.CHOICE: _CHOICE,
    PropType.INT: _INT,
    PropType.NUMBER: _NUMBER,
    PropType.BOOL: _BOOL,
    PropType.STRING_LIST: _LIST,
    PropType.PATH_LIST: _LIST,
    PropType.TAGS: _TAGS,
}

# (code, spec, allowed choices or None, lowest, highest, lowest excluded)
Entry = tuple[int, PropSpec, frozenset[str] | None, float | None, float | None, bool]
# A spec list's table: key -> entry (None for an `extra` key), and the required names.
Table = tuple[dict[str, Entry | None], tuple[str, ...]]
# id of a spec list -> (that list, the extra keys, its table)
_TABLES: dict[int, tuple[Sequence[PropSpec], Sequence[str], Table]] = {}


def _table(specs: Sequence[PropSpec], extra: Sequence[str]) -> Table:
    hit = _TABLES.get(id(specs))
    if hit is not None and hit[0] is specs and (hit[1] is extra or hit[1] == extra):
        return hit[2]  # the entry holds the list, so its id cannot be reused meanwhile
    entries: dict[str, Entry | None] = {name: None for name in extra}
    for spec in specs:
        choices = frozenset(spec.choices) if spec.choices else None
        entries[spec.name] = (_CODES.get(spec.type, _OTHER), spec, choices, spec.minimum,
                              spec.maximum, spec.exclusive_minimum)
    table = (entries, tuple(spec.name for spec in specs if spec.required))
    _TABLES[id(specs)] = (specs, extra, table)
    return table


def read_props(
    raw: Mapping[str, Any],
    specs: Sequence[PropSpec],
    path: f.Path,
    what: str,
    *,
    extra: Sequence[str] = (),
) -> dict[str, Any]:
    """What `fields.read_props(raw, specs, path, what, extra=extra)` returns, or raises."""
    entries, required = _table(specs, extra)
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            if name not in entries:
                break  # an unknown key
            continue
        entry = entries.get(name, False)
        if entry is None:
            continue  # an `extra` key: the caller reads it
        if entry is False:
            break
        code, spec, choices, low, high, low_excluded = entry  # type: ignore[misc]
        cls = value.__class__
        if code == _TEXT:
            if cls is not str:
                break
        elif code == _CHOICE:
            if cls is not str or (choices is not None and value not in choices):
                break
        elif code == _INT or code == _NUMBER:
            if cls is not int and (code == _INT or cls is not float or not math.isfinite(value)):
                break
            if low is not None and (value <= low if low_excluded else value < low):
                break
            if high is not None and value > high:
                break
        elif code == _BOOL:
            if cls is not bool:
                break
        elif code == _LIST or code == _TAGS:
            if cls is not list or any(item.__class__ is not str for item in value):
                break
            value = tuple(value)
            if code == _TAGS and (len(set(value)) != len(value) or (
                    choices is not None and not choices.issuperset(value))):
                break
        else:
            try:
                value = f.read_value(spec, value, (*path, name))
            except RosterLoadError:
                break  # an earlier field may be wrong too: the full reader picks which
        out[name] = value
    else:
        for name in required:
            if name not in out:
                break
        else:
            return out
    return f.read_props(raw, specs, path, what, extra=extra)  # names the first problem


# id of a spec list -> (that list, per field: name, drop "" (not required), drop ())
_ROWS: dict[int, tuple[Sequence[PropSpec], tuple[tuple[str, bool, bool], ...]]] = {}


def _rows(specs: Sequence[PropSpec]) -> tuple[tuple[str, bool, bool], ...]:
    hit = _ROWS.get(id(specs))
    if hit is not None and hit[0] is specs:
        return hit[1]
    rows = tuple((s.name, not s.required, s.type is not PropType.OBJECT) for s in specs)
    _ROWS[id(specs)] = (specs, rows)
    return rows


def write_props(obj: Any, specs: Sequence[PropSpec]) -> dict[str, Any]:
    """What `fields.write_props(obj, specs)` returns: the set fields, in spec order."""
    out: dict[str, Any] = {}
    for name, drop_blank, drop_unit in _rows(specs):
        value = getattr(obj, name)
        if value is None:
            continue
        cls = value.__class__
        if cls is str:
            if drop_blank and not value:
                continue
        elif cls is tuple:
            if drop_unit and not value:
                continue
            value = list(value)
        elif cls is not int and cls is not float and cls is not bool:
            return f.write_props(obj, specs)  # a mapping or anything unusual: the full way
        out[name] = value
    return out
