"""Checking one mapping of raw YAML values against its property specs.

`read_props` turns a dict from the file into typed keyword values for a model
constructor, or raises a `RosterLoadError` naming the path, what was expected
and a fix (with "did you mean" for misspelt keys). `write_props` is the
inverse used by the writer. Values of key-reference fields are never echoed
in a message: a literal key typed there must not be printed to a terminal.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, NoReturn, cast

from runtime.roster.errors import RosterLoadError
from runtime.roster.model import freeze
from runtime.roster.props import PropSpec, PropType
from runtime.secrets.refs import is_ref

Path = tuple[str | int, ...]
ID_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,62}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def did_you_mean(word: str, candidates: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def fail(
    path: Path,
    message: str,
    *,
    expected: str | None = None,
    hint: str | None = None,
    at_key: bool = False,
) -> NoReturn:
    raise RosterLoadError(message, path=path, expected=expected, hint=hint, at_key=at_key)


def check_keys(raw: Mapping[str, Any], allowed: Sequence[str], path: Path, what: str) -> None:
    for key in raw:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or (
                "custom data belongs under 'extensions' with an x- prefix"
            )
            fail(
                (*path, key),
                f"unknown key {key!r} in {what}",
                hint=hint,
                expected="one of: " + ", ".join(allowed),
                at_key=True,
            )


def expect_mapping(value: Any, path: Path, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(
            path,
            f"{what} must be a mapping, found {type_name(value)}",
            expected="key: value lines indented under it",
            hint="indent the fields under this key, or write {} for an empty mapping",
        )
    return cast(dict[str, Any], value)


def check_id(value: Any, path: Path, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        suggestion = slugify(str(value))
        fail(
            path,
            f"{what} {value!r} is not a valid id",
            expected="lowercase letters, digits and '-', starting with a letter, up to 63",
            hint=f"use {suggestion!r}" if suggestion else None,
            at_key=True,
        )
    return value


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    slug = re.sub(r"^[^a-z]+", "", slug)
    return slug[:63]


def _number(value: Any, spec: PropSpec, path: Path, *, whole: bool) -> int | float:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not whole:
        ok = ok or isinstance(value, float)
    if not ok:
        fail(
            path,
            f"expected {'a whole number' if whole else 'a number'}, found {type_name(value)}",
            expected="a whole number such as 12" if whole else "a number such as 2.5",
            hint=_number_fix(value, whole=whole),
        )
    if isinstance(value, float) and not math.isfinite(value):
        fail(path, "expected a finite number", hint="write a number such as 10 or 2.5")
    if spec.minimum is not None and (
        value <= spec.minimum if spec.exclusive_minimum else value < spec.minimum
    ):
        bound = "greater than" if spec.exclusive_minimum else "at least"
        fail(path, f"{value} is out of range", expected=f"{bound} {spec.minimum:g}",
             hint=_range_fix(spec, whole=whole))
    if spec.maximum is not None and value > spec.maximum:
        fail(path, f"{value} is out of range", expected=f"at most {spec.maximum:g}",
             hint=_range_fix(spec, whole=whole))
    return cast(int | float, value)


def _number_fix(value: Any, *, whole: bool) -> str:
    """How to repair a value of the wrong type where a number belongs."""
    if isinstance(value, str):
        return "write a plain number without quotes"
    if whole and isinstance(value, float):
        rounded = max(1, round(value)) if math.isfinite(value) else 1
        return f"write a whole number without a fraction, such as {rounded}"
    return "write the number alone, without true/false or a list"


def _range_fix(spec: PropSpec, *, whole: bool) -> str:
    """The allowed range of a numeric field, said as a fix ("use a whole number from 1 to 1000")."""
    kind = "a whole number" if whole else "a number"
    low, high = spec.minimum, spec.maximum
    if low is not None and spec.exclusive_minimum and whole:
        low, exclusive = float(math.floor(low) + 1), False
    else:
        exclusive = spec.exclusive_minimum
    if low is None:
        return f"use {kind} no larger than {high:g}"
    if exclusive:
        text = f"use {kind} greater than {low:g}"
        return text if high is None else f"{text} and at most {high:g}"
    if high is None:
        return f"use {kind} of {low:g} or more"
    return f"use {kind} from {low:g} to {high:g}"


def string_list(value: Any, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        fail(
            path,
            "expected a list, found text",
            expected="a list such as [a, b]",
            hint=f"write it as a list: [{value}]",
        )
    if not isinstance(value, list):
        fail(
            path,
            f"expected a list of text, found {type_name(value)}",
            expected="a list such as [a, b]",
            hint="write the items in [ ] or as '- item' lines",
        )
    for i, item in enumerate(value):
        if not isinstance(item, str):
            fail(
                (*path, i),
                f"expected text, found {type_name(item)}",
                expected="text",
                hint="quote it",
            )
    return tuple(value)


_TEXT_TYPES: Final = frozenset(
    {PropType.STRING, PropType.MULTILINE, PropType.MODEL, PropType.ID_REF, PropType.URL}
)


def read_value(spec: PropSpec, value: Any, path: Path) -> Any:
    t = spec.type
    if t in _TEXT_TYPES:
        if not isinstance(value, str):
            fail(
                path,
                f"expected text, found {type_name(value)}",
                expected="text",
                hint=f'quote it: {spec.name}: "{value}"'
                if isinstance(value, int | float | bool)
                else "write one line of text (use | for several lines)",
            )
        return value
    if t is PropType.CHOICE:
        if not isinstance(value, str) or (spec.choices and value not in spec.choices):
            hint = did_you_mean(str(value), spec.choices) if isinstance(value, str) else None
            fail(
                path,
                f"{repr(value) if isinstance(value, str) else type_name(value)} "
                "is not allowed here",
                expected="one of: " + ", ".join(spec.choices),
                hint=hint,
            )
        return value
    if t is PropType.INT:
        return _number(value, spec, path, whole=True)
    if t is PropType.NUMBER:
        return _number(value, spec, path, whole=False)
    if t is PropType.BOOL:
        if not isinstance(value, bool):
            fail(
                path,
                f"expected true or false, found {type_name(value)}",
                expected="true or false",
                hint="write true or false (YAML 1.1 words like yes/no/on are text here)",
            )
        return value
    if t in (PropType.STRING_LIST, PropType.PATH_LIST):
        return string_list(value, path)
    if t is PropType.TAGS:
        items = string_list(value, path)
        for i, item in enumerate(items):
            if spec.choices and item not in spec.choices:
                fail(
                    (*path, i),
                    f"{item!r} is not a known {spec.name[:-1] or spec.name}",
                    expected="one of: " + ", ".join(spec.choices),
                    hint=did_you_mean(item, spec.choices),
                )
            if item in items[:i]:
                fail((*path, i), f"{item!r} is listed twice", hint="remove the repeat")
        return items
    if t is PropType.KEY_REF:
        if not isinstance(value, str) or not is_ref(value):
            fail(
                path,
                "expected a key reference; the value here is not one (not shown)",
                expected="keyring:SERVICE/NAME or env:VAR",
                hint="store the key with `roster keys set NAME` and write "
                "keyring:agent-roster/NAME",
            )
        return value
    if t is PropType.SHA256:
        if not isinstance(value, str) or not _SHA256.match(value):
            fail(
                path,
                f"expected a sha256 hex digest, found {type_name(value)}",
                expected="64 lowercase hex characters",
                hint="copy the digest the runtime reports for this server's tools/list",
            )
        return value
    if t is PropType.OBJECT:
        return freeze(expect_mapping(value, path, spec.name))
    raise AssertionError(f"unhandled property type {t}")


def read_props(
    raw: Mapping[str, Any],
    specs: Sequence[PropSpec],
    path: Path,
    what: str,
    *,
    extra: Sequence[str] = (),
) -> dict[str, Any]:
    """Typed values of the spec'd keys present in `raw` (None values count as unset)."""
    allowed = _allowed_keys(specs, extra)
    if not allowed[1].issuperset(raw):
        check_keys(raw, allowed[2], path, what)  # names the first unknown key
    out: dict[str, Any] = {}
    get = raw.get
    for spec in specs:
        value = get(spec.name)
        if value is None:
            if spec.required:
                fail(path, f"{what} needs '{spec.name}'", expected=spec.help or spec.name)
            continue
        out[spec.name] = read_value(spec, value, (*path, spec.name))
    return out


# (id of a spec list, extra keys) -> (that list, its allowed keys as a set and in order)
_ALLOWED: dict[tuple[int, tuple[str, ...]], tuple[Sequence[PropSpec], frozenset[str],
                                                 list[str]]] = {}


def _allowed_keys(specs: Sequence[PropSpec], extra: Sequence[str]
                  ) -> tuple[Sequence[PropSpec], frozenset[str], list[str]]:
    key = (id(specs), tuple(extra))
    hit = _ALLOWED.get(key)
    if hit is None or hit[0] is not specs:  # the entry holds the list: its id stays unique
        names = [*(spec.name for spec in specs), *extra]
        hit = _ALLOWED[key] = (specs, frozenset(names), names)
    return hit


def read_extensions(value: Any, path: Path) -> Mapping[str, Any]:
    mapping = expect_mapping(value, path, "extensions")
    for key in mapping:
        if not key.startswith("x-"):
            fail(
                (*path, key),
                f"extension {key!r} needs a namespace",
                expected="a key starting with x-, e.g. x-claude-code",
                hint=f"rename it to 'x-{key}'",
                at_key=True,
            )
    return freeze(mapping)  # type: ignore[no-any-return]


def write_props(obj: Any, specs: Sequence[PropSpec]) -> dict[str, Any]:
    """The set fields of a model value, in spec order, as plain YAML data."""
    from runtime.roster.model import thaw

    out: dict[str, Any] = {}
    for spec in specs:
        value = getattr(obj, spec.name)
        if (
            value is None
            or (value == "" and not spec.required)
            or (value == () and spec.type is not PropType.OBJECT)
        ):
            continue
        out[spec.name] = list(value) if isinstance(value, tuple) else thaw(value)
    return out
