"""Deterministic YAML text for roster data: block style, fixed layout, no surprises.

The emitter writes plain dicts, lists and scalars the way people read rosters
in review: block mappings, short scalar lists and small marked mappings on one
line (`uses:` grants, layout positions), multi-line text as literal blocks, and
every string that another YAML reader could take for something else (`no`,
`1:20`, `@x`, leading spaces) double-quoted. Output depends only on the value,
so load → save → load → save gives identical bytes. It is also several times
faster than PyYAML's dumper, which matters for large rosters.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, Final

from runtime.roster.yaml_read import _FLOAT, _INT, _SPECIAL_FLOATS

FLOW_WIDTH: Final = 100
INDENT: Final = "  "

# Conservative: a plain scalar must start with a letter, digit or one of a few safe
# characters and contain nothing that YAML gives a meaning to in flow or block context.
_PLAIN = re.compile(
    r"(?:[A-Za-z0-9_./$(]|-(?=[A-Za-z0-9_]|-[A-Za-z0-9_]))[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]*\Z"
)
_PLAIN_FLOW = re.compile(
    r"(?:[A-Za-z0-9_./$(]|-(?=[A-Za-z0-9_]|-[A-Za-z0-9_]))"
    r"[A-Za-z0-9_./()$+@=^~%'-]*(?: [A-Za-z0-9_./()$+@=^~%'-]+)*\Z"
)
# Words YAML 1.1 readers (PyYAML, many tools) resolve to booleans or null.
_YAML11_SPECIAL: Final = frozenset(
    w
    for base in ("yes", "no", "true", "false", "on", "off", "null", "~")
    for w in (base, base.capitalize(), base.upper())
)
_NON_PRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029]"
)


class Flow(dict[str, Any]):
    """A mapping the writer keeps on one line when it fits (a grant, a position)."""


@functools.lru_cache(maxsize=65536)  # rosters repeat ids, models and modes many times
def _plain_block(text: str) -> bool:
    return _is_plain(text, flow=False)


@functools.lru_cache(maxsize=65536)  # one cache per context: positional keys hash fastest
def _plain_flow(text: str) -> bool:
    return _is_plain(text, flow=True)


def _is_plain(text: str, *, flow: bool) -> bool:
    if not text or text != text.strip():
        return False
    if not (_PLAIN_FLOW if flow else _PLAIN).match(text):
        return False
    if text in _YAML11_SPECIAL or " #" in text or ": " in text or text.endswith(":"):
        return False
    # Anything our own resolver or a YAML 1.1 reader would not read back as this string.
    if text[0] in "0123456789-+." and (
        _INT.match(text) or _FLOAT.match(text) or text in _SPECIAL_FLOATS
    ):
        return False
    return not _looks_numeric_11(text)


_NUMERIC_11 = re.compile(r"[-+]?(0[xob]|[0-9][0-9_:]*[:_]|[0-9]{4}-[0-9]{2}-[0-9]{2})")


def _looks_numeric_11(text: str) -> bool:
    """YAML 1.1 also reads 0o17, 0x1F, 1_000, 1:20 and 2026-01-01 as non-strings."""
    return bool(_NUMERIC_11.match(text))


def quote(text: str) -> str:
    out = json.dumps(text, ensure_ascii=False)
    if _NON_PRINTABLE.search(out):
        out = _NON_PRINTABLE.sub(_escape_char, out)
    return out


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}"


def scalar(value: Any, *, flow: bool = False) -> str:
    if value.__class__ is str:  # the common case first
        return value if (_plain_flow if flow else _plain_block)(value) else quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if ("." in text or "e" in text or "n" in text) else text + ".0"
    if isinstance(value, str):
        return value if (_plain_flow if flow else _plain_block)(value) else quote(value)
    raise TypeError(f"cannot write {type(value).__name__} to a roster")


def _literal_block(text: str, indent: str) -> str | None:
    """Text as a `|` block when that reproduces it exactly, else None."""
    if "\n" not in text.rstrip("\n") or "\r" in text or _NON_PRINTABLE.search(text):
        return None
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n")
    for line in lines:
        if line != line.rstrip(" \t") or line.startswith("\t"):
            return None
    first = next((line for line in lines if line), "")
    indicator = "2" if first.startswith(" ") else ""
    inner = indent + INDENT
    rendered = "\n".join(inner + line if line else "" for line in lines)
    tail = "\n" * (trailing - 1) if trailing > 1 else ""
    return f"|{indicator}{chomp}\n{rendered}{tail}"


def _flow(value: Any) -> str | None:
    """One-line rendering of a scalar list or a `Flow` mapping of scalars, if short."""
    if isinstance(value, list):
        if all(v.__class__ is str for v in value):  # the common case: a list of names
            text = "[" + ", ".join([v if _plain_flow(v) else quote(v) for v in value]) + "]"
            return text if len(text) <= FLOW_WIDTH else None
        if any(isinstance(v, dict | list) for v in value):
            return None
        text = "[" + ", ".join([scalar(v, flow=True) for v in value]) + "]"
    else:
        parts = []
        for key, item in value.items():
            name = key if key.__class__ is str and _plain_flow(key) else scalar(key, flow=True)
            if item.__class__ is str:  # scalar(item, flow=True), inlined for the common case
                parts.append(f"{name}: {item if _plain_flow(item) else quote(item)}")
            elif isinstance(item, dict | list):
                inner = _flow(item) if isinstance(item, list) or isinstance(item, Flow) else None
                if inner is None:
                    return None
                parts.append(f"{name}: {inner}")
            else:
                parts.append(f"{name}: {scalar(item, flow=True)}")
        text = "{" + ", ".join(parts) + "}"
    return text if len(text) <= FLOW_WIDTH else None


def _emit_value(out: list[str], key_prefix: str, value: Any, indent: str) -> None:
    """Append `key_prefix` (e.g. '  name:' or '  -') followed by value."""
    if value.__class__ is str and "\n" not in value:  # the common case first
        out.append(f"{key_prefix} {value if _plain_block(value) else quote(value)}")
    elif isinstance(value, dict):
        if not value:
            out.append(f"{key_prefix} {{}}")
            return
        if isinstance(value, Flow):
            line = _flow(value)
            if line is not None:
                out.append(f"{key_prefix} {line}")
                return
        out.append(key_prefix)
        _emit_mapping(out, value, indent + INDENT)
    elif isinstance(value, list):
        if not value:
            out.append(f"{key_prefix} []")
            return
        line = _flow(value)
        if line is not None:
            out.append(f"{key_prefix} {line}")
            return
        out.append(key_prefix)
        _emit_sequence(out, value, indent + INDENT)
    elif isinstance(value, str) and "\n" in value:
        block = _literal_block(value, indent)
        out.append(f"{key_prefix} {block if block is not None else quote(value)}")
    else:
        out.append(f"{key_prefix} {scalar(value)}")


def _emit_mapping(out: list[str], mapping: dict[str, Any], indent: str) -> None:
    append = out.append
    for key, value in mapping.items():
        name = key if key.__class__ is str and _plain_block(key) else scalar(key)
        if value.__class__ is str and "\n" not in value:  # _emit_value's first case, inlined
            append(f"{indent}{name}: {value if _plain_block(value) else quote(value)}")
        else:
            _emit_value(out, f"{indent}{name}:", value, indent)


def _emit_sequence(out: list[str], items: list[Any], indent: str) -> None:
    for item in items:
        if isinstance(item, dict) and item and not isinstance(item, Flow):
            # "- key: value" with the rest of the mapping aligned under the first key.
            nested: list[str] = []
            _emit_mapping(nested, item, indent + INDENT)
            first = nested[0]
            nested[0] = f"{indent}- {first[len(indent) + len(INDENT) :]}"
            out.extend(nested)
        else:
            _emit_value(out, f"{indent}-", item, indent)


def dumps(document: dict[str, Any]) -> str:
    """The YAML text of a top-level mapping, ending with one newline."""
    out: list[str] = []
    _emit_mapping(out, document, "")
    return "\n".join(out) + "\n"
