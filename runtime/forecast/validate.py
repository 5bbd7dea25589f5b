"""A small interpreter of the JSON Schema subset workload files use, with located, fixable errors.

It walks parsed YAML against `schema.build_schema()` and raises a
`RosterLoadError` carrying the path of the offending key or value (placed at
file:line:col by the loader), what was expected and, for a misspelt key, the
closest allowed one. Supported keywords: type, enum, minimum,
exclusiveMinimum, maximum, properties, required, additionalProperties,
propertyNames.pattern, items, minItems, uniqueItems, anyOf.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Final

from runtime.roster.errors import RosterLoadError

Path = tuple[str | int, ...]

_TYPE_NAMES = {"number": "a number", "integer": "a whole number", "string": "text",
               "object": "a mapping", "array": "a list", "null": "null", "boolean": "true/false"}


def validate(value: Any, schema: dict[str, Any], path: Path = ()) -> None:
    """Raise a located `RosterLoadError` unless `value` satisfies `schema`."""
    if "anyOf" in schema:
        _any_of(value, schema, path)
        return
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        raise _fail(path, f"expected {_expected(schema)}, got {_show(value)}", schema)
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(str(o) for o in schema["enum"])
        close = difflib.get_close_matches(str(value), [str(o) for o in schema["enum"]], n=1)
        raise _fail(path, f"{_show(value)} is not allowed", schema,
                    expected=f"one of {options}",
                    hint=f"did you mean {close[0]!r}?" if close else None)
    if kind in ("number", "integer"):
        _bounds(value, schema, path)
    elif kind == "object":
        _object(value, schema, path)
    elif kind == "array":
        _array(value, schema, path)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "null":
        return value is None
    return isinstance(value, bool)


LARGEST: Final = 1e9
"""No workload quantity (tasks, tokens, seconds, limits) is meaningful above this; a larger
number is a typo (an exponent, extra zeros) and would make the forecast print nonsense."""


def _bounds(value: float, schema: dict[str, Any], path: Path) -> None:
    if not math.isfinite(value):
        raise _fail(path, f"expected a finite number, got {value}", schema)
    if "maximum" not in schema and abs(value) > LARGEST:
        raise _fail(path, f"{value:g} is too large", schema,
                    expected=f"a number of at most {LARGEST:,.0f}",
                    hint="check for a typo: an exponent or extra zeros")
    low, ex_low, high = schema.get("minimum"), schema.get("exclusiveMinimum"), schema.get("maximum")
    if (low is not None and value < low) or (ex_low is not None and value <= ex_low) or (
        high is not None and value > high
    ):
        expected = _expected(schema)
        raise _fail(path, f"{value:g} is out of range", schema, expected=expected,
                    hint=f"write {expected}" + (f" ({schema['description']})"
                                                if schema.get("description") else ""))


def _object(value: dict[str, Any], schema: dict[str, Any], path: Path) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    pattern = schema.get("propertyNames", {}).get("pattern")
    for key, item in value.items():
        if pattern is not None and not re.match(pattern, key):
            raise _fail((*path, key), f"{key!r} is not a valid id", {}, at_key=True,
                        expected="letters, digits, '-', '_' or '.', starting with a letter "
                        "or digit")
        if key in props:
            validate(item, props[key], (*path, key))
        elif extra is False:
            close = difflib.get_close_matches(key, list(props), n=1)
            raise _fail((*path, key), f"unknown field {key!r}", {}, at_key=True,
                        expected="one of " + ", ".join(props),
                        hint=f"did you mean {close[0]!r}?" if close else "remove it")
        elif isinstance(extra, dict):
            validate(item, extra, (*path, key))
    for key in schema.get("required", ()):
        if key not in value:
            raise _fail(path, f"missing required field {key!r}", props.get(key, {}),
                        hint=f"add '{key}:'")


def _array(value: list[Any], schema: dict[str, Any], path: Path) -> None:
    if len(value) < schema.get("minItems", 0):
        raise _fail(path, "the list is empty", schema, expected=_expected(schema))
    if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
        raise _fail(path, "the list names an item twice", schema, hint="remove the repeat")
    items = schema.get("items")
    if items is not None:
        for i, item in enumerate(value):
            validate(item, items, (*path, i))


def _any_of(value: Any, schema: dict[str, Any], path: Path) -> None:
    errors: list[tuple[int, RosterLoadError]] = []
    for branch in schema["anyOf"]:
        try:
            validate(value, branch, path)
            return
        except RosterLoadError as error:
            errors.append((_fit(value, branch), error))
    best_fit, best = max(errors, key=lambda e: e[0])
    if best_fit > 0:
        raise best
    options = " or ".join(_expected(b) for b in schema["anyOf"])
    raise _fail(path, f"expected {options}, got {_show(value)}", schema)


def _fit(value: Any, branch: dict[str, Any]) -> int:
    """How well `value` matches a branch's shape: 0 wrong type, more for shared keys."""
    if "type" in branch and not _is_type(value, branch["type"]):
        return 0
    if isinstance(value, dict):
        return 1 + len(set(value) & set(branch.get("properties", {})))
    return 1


def _expected(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "object" and "required" in schema:
        return "{" + ", ".join(f"{k}: ..." for k in schema["required"]) + "}"
    text = _TYPE_NAMES.get(kind, "a value") if isinstance(kind, str) else "a value"
    if "enum" in schema:
        return " or ".join(repr(o) for o in schema["enum"])
    parts = []
    if "minimum" in schema:
        parts.append(f"at least {_num(schema['minimum'])}")
    if "exclusiveMinimum" in schema:
        parts.append(f"above {_num(schema['exclusiveMinimum'])}")
    if "maximum" in schema:
        parts.append(f"at most {_num(schema['maximum'])}")
    return text + (" " + " and ".join(parts) if parts else "")


def _num(x: float) -> str:
    """10000000 -> "10,000,000"; 0.5 -> "0.5"."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _fail(path: Path, message: str, schema: dict[str, Any], *, expected: str | None = None,
          hint: str | None = None, at_key: bool = False) -> RosterLoadError:
    if hint is None and schema.get("description"):
        hint = str(schema["description"])
    return RosterLoadError(message, path=path, expected=expected, hint=hint, at_key=at_key)
