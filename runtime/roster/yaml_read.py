"""Safe, fast YAML reading for roster files, and locating a path in the text.

A roster never needs YAML's riskier features, so this reader builds plain
Python values straight from libyaml's event stream (the pure-Python parser
where libyaml is missing) and refuses, with a line and column, anything else:
aliases and anchors (billion-laughs bombs), merge keys, explicit tags
(`!!python/object`), duplicate keys (a second `approval: allow` must not win
silently), non-string keys, nesting deeper than MAX_DEPTH, files larger than
MAX_BYTES, and more than one document. Scalars resolve by the YAML 1.2 core
schema only, so `no`, `on`, `0o17`, `1:20` and dates stay strings and the
Norway problem cannot happen. Building from events with an explicit stack
also means no recursion, however deep the input.

`parse` first offers the text to `yaml_fast`, a line reader for the plain
block style roster files are written in, which returns the same value
without event objects or hands the text back; every error comes from here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, Final

import yaml
from yaml import events as ev

from runtime.roster.errors import RosterLoadError

try:
    from yaml._yaml import CParser as _Parser

    WITH_LIBYAML: Final = True
except ImportError:  # pragma: no cover - depends on the PyYAML wheel
    from yaml.loader import SafeLoader as _Parser  # type: ignore[assignment]

    WITH_LIBYAML = False  # type: ignore[misc]

MAX_BYTES: Final = 24 * 1024 * 1024
MAX_DEPTH: Final = 64
MAX_EVENTS: Final = 4_000_000
MAX_INT_DIGITS: Final = 18

_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_NULLS: Final = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE: Final = frozenset({"true", "True", "TRUE"})
_FALSE: Final = frozenset({"false", "False", "FALSE"})
_SPECIAL_FLOATS: Final = {
    ".inf": math.inf,
    "+.inf": math.inf,
    "-.inf": -math.inf,
    ".Inf": math.inf,
    "+.Inf": math.inf,
    "-.Inf": -math.inf,
    ".INF": math.inf,
    "+.INF": math.inf,
    "-.INF": -math.inf,
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
}
_STD_TAGS: Final = frozenset(
    {"tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"}
)
_NUMERIC_START: Final = frozenset("0123456789-+.")
_SPECIAL_WORDS: Final = _NULLS | _TRUE | _FALSE  # plain scalars that are not text


def _error(message: str, mark: Any, *, hint: str | None = None) -> RosterLoadError:
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return RosterLoadError(message, line=line, column=column, hint=hint)


def resolve_plain(value: str, mark: Any = None) -> Any:
    """Resolve an unquoted scalar by the YAML 1.2 core schema (decimal ints only)."""
    if value[:1] in _NUMERIC_START:
        if _INT.match(value):
            if len(value.lstrip("+-")) > MAX_INT_DIGITS:
                raise _error(
                    f"number {value[:24]}… is too large",
                    mark,
                    hint="use a smaller number, or quote it if it is meant as text",
                )
            return int(value)
        if _FLOAT.match(value):
            return float(value)
        special = _SPECIAL_FLOATS.get(value)
        if special is not None:
            return special
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return value


def decode(data: bytes) -> str:
    """Decode UTF-8 (a leading BOM is allowed), or fail with the offending position."""
    if len(data) > MAX_BYTES:
        raise RosterLoadError(
            f"file is {len(data):,} bytes; a roster may be at most {MAX_BYTES:,} bytes",
            line=1,
            column=1,
            hint="split the roster, or check that this is the file you meant to open",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise RosterLoadError(
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            line=line,
            column=column,
            expected="a UTF-8 text file",
            hint="re-save the file as UTF-8 in your editor",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _check_tag(event: Any) -> None:
    tag = event.tag
    if tag is None or tag in _STD_TAGS:
        return
    raise _error(
        f"YAML tag {tag!r} is not allowed in a roster",
        event.start_mark,
        hint="remove the tag; rosters hold only plain text, numbers, lists and mappings",
    )


def _events(text: str) -> Iterator[Any]:
    parser = _Parser(text)
    try:
        while True:
            event = parser.get_event()
            if event is None:
                return
            yield event
            if isinstance(event, ev.StreamEndEvent):
                return
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


def parse(text: str) -> Any:
    """Parse one YAML document into plain dicts, lists and scalars, safely.

    Text in the plain block style roster files are written in is read by
    `yaml_fast` (about twice as fast); anything else, and every error, goes
    through libyaml's events (`parse_events`), which decides the value or the error.
    """
    from runtime.roster import yaml_fast  # it imports this module

    value = yaml_fast.parse(text)
    if value is not yaml_fast.NOT_HANDLED:
        return value
    return parse_events(text)


def parse_events(text: str) -> Any:
    """`parse` by libyaml's event stream alone: every input, every located error."""
    try:
        return _build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        hint = _syntax_fix(problem)
        raise _error(f"invalid YAML: {problem}", mark, hint=hint) from None
    except yaml.YAMLError as exc:  # reader errors carry position differently
        position = getattr(exc, "position", None)
        line = col = None
        if position is not None:
            before = text[:position]
            line = before.count("\n") + 1
            col = position - (before.rfind("\n") + 1) + 1
        reason = getattr(exc, "reason", None) or str(exc)
        raise RosterLoadError(
            f"invalid character in file: {reason}",
            line=line,
            column=col,
            hint="remove control characters (such as NUL) from the file",
        ) from None


def _syntax_fix(problem: str) -> str:
    """A fix line for a YAML syntax error, by what the parser reported."""
    if "\t" in problem or "tab" in problem:
        return "indent with spaces; YAML does not allow tabs for indentation"
    if "mapping values are not allowed" in problem:
        return ("check the indentation of this line against the key above it, and quote "
                "a value that contains ': ' (for example  role: \"Note: be brief\")")
    if "expected <block end>" in problem or "block mapping" in problem \
            or "block collection" in problem or "did not find expected key" in problem:
        return ("check the indentation: keys of one mapping must line up, and '- ' items "
                "of one list must line up")
    if "quoted scalar" in problem:
        return "close the quote on this value, or remove the stray quote character"
    if "flow sequence" in problem or "flow mapping" in problem:
        return "close the [ ] or { } opened here, or quote a value that contains , [ ] { }"
    return "check this line and the one above it for indentation and unquoted ': ' or '#'"


def _build(text: str) -> Any:
    """The document as plain values. The hot path (a plain, untagged scalar that is not a
    number or keyword, a new string key) is inlined: this loop runs once per YAML event."""
    parser = _Parser(text)
    try:
        return _build_from(parser.get_event)
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


def _build_from(get_event: Any) -> Any:
    stack: list[tuple[Any, bool, Any, bool, Any, Any]] = []
    start_mark: Any = None  # where the collection being built began
    current: Any = None
    is_map = False
    key: Any = None
    have_key = False
    key_mark: Any = None
    root: Any = None
    documents = 0
    count = 0
    scalar_t, map_t, seq_t = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent
    map_end_t, seq_end_t = ev.MappingEndEvent, ev.SequenceEndEvent
    stream_end_t = ev.StreamEndEvent
    special, numeric = _SPECIAL_WORDS, _NUMERIC_START
    while True:
        event = get_event()
        if event is None:
            break
        count += 1
        if count > MAX_EVENTS:
            raise _error("file has too many YAML nodes", event.start_mark)
        kind = type(event)
        if kind is scalar_t:
            if event.anchor is not None:
                raise _anchor_error(event)
            value: Any = event.value
            plain = bool(event.implicit[0])
            if event.tag is not None:
                _check_tag(event)
            elif plain and (value[:1] in numeric or value in special):
                value = resolve_plain(value, event.start_mark)
            if is_map and not have_key and stack and value.__class__ is str and (
                    value not in current and (value != "<<" or not plain)):
                key, have_key, key_mark = value, True, event.start_mark  # a new text key
                continue
            value_mark = event.start_mark
        elif kind is map_t or kind is seq_t:
            if event.anchor is not None:
                raise _anchor_error(event)
            _check_tag(event)
            if len(stack) >= MAX_DEPTH:
                raise _error(
                    f"nesting is deeper than {MAX_DEPTH} levels",
                    event.start_mark,
                    hint="a roster never nests this deep; check for a runaway list or mapping",
                )
            stack.append((current, is_map, key, have_key, key_mark, start_mark))
            start_mark = event.start_mark
            current = {} if kind is map_t else []
            is_map, key, have_key = kind is map_t, None, False
            continue
        elif kind is map_end_t or kind is seq_end_t:
            value = current
            value_mark = start_mark
            plain = False
            current, is_map, key, have_key, key_mark, start_mark = stack.pop()
        elif kind is ev.AliasEvent:
            raise _error(
                "YAML aliases (*name) are not allowed in a roster",
                event.start_mark,
                hint="write the value out in full; anchors and aliases can hide huge expansions",
            )
        elif kind is ev.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _error(
                    "a roster file holds exactly one YAML document",
                    event.start_mark,
                    hint="remove the second '---' and what follows, or split into two files",
                )
            continue
        elif kind is stream_end_t:
            break
        else:
            continue
        if not stack:
            root = value
        elif is_map:
            if have_key:
                current[key] = value
                have_key = False
            else:
                _check_key(value, current, value_mark, plain)
                key, have_key, key_mark = value, True, value_mark
        else:
            current.append(value)
    return root


def _anchor_error(event: Any) -> RosterLoadError:
    return _error(
        f"YAML anchor &{event.anchor} is not allowed in a roster",
        event.start_mark,
        hint="remove the anchor and write repeated values out in full",
    )


def _check_key(value: Any, mapping: dict[Any, Any], mark: Any, plain: bool) -> None:
    if isinstance(value, dict | list):
        error = _error(
            "mapping keys must be text, found a "
            + ("list" if isinstance(value, list) else "mapping"),
            mark,
            hint="use a plain name as the key; '? [a, b]' complex keys are not allowed",
        )
        error.expected = "a text key such as `name:`"
        raise error
    if not isinstance(value, str):
        error = _error(
            f"mapping keys must be text, found {type(value).__name__} {value!r}",
            mark,
            hint=f"quote the key: '{value}'",
        )
        error.expected = "a text key"
        raise error
    if value == "<<" and plain:
        raise _error(
            "YAML merge keys (<<) are not allowed in a roster",
            mark,
            hint="write the merged fields out in full",
        )
    if value in mapping:
        raise _error(
            f"duplicate key {value!r}",
            mark,
            hint="remove one of the two; YAML would silently keep only the last",
        )


def position_index(
    text: str, spans: list[tuple[int, int, str | None]] | None = None
) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Map each path to the 1-based (line, column) of its key or list item.

    Used only for reporting (errors, findings) and for placing comments, never on
    the load fast path. The text is assumed to have parsed already. With `spans`,
    the (start, end, style) character offsets of every scalar are appended to it.
    """
    index: dict[tuple[str | int, ...], tuple[int, int]] = {}
    # Each frame: (path, is_map, next_list_index, pending_key)
    frames: list[list[Any]] = []
    for event in _events(text):
        kind = type(event)
        if kind in (ev.MappingEndEvent, ev.SequenceEndEvent):
            frames.pop()
            if frames and frames[-1][1]:
                frames[-1][3] = None
            continue
        if kind not in (ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent):
            continue
        if spans is not None and kind is ev.ScalarEvent:
            spans.append((event.start_mark.index, event.end_mark.index, event.style))
        mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        path: tuple[str | int, ...] = ()
        if frames:
            frame = frames[-1]
            if frame[1]:
                if frame[3] is None:  # this event is a key
                    name: str | int = event.value if kind is ev.ScalarEvent else "?"
                    frame[3] = name
                    index[(*frame[0], name)] = mark
                    continue
                path = (*frame[0], frame[3])
                index.setdefault((*path, "="), mark)
                frame[3] = None
            else:
                path = (*frame[0], frame[2])
                frame[2] += 1
                index[path] = mark
        elif () not in index:
            index[()] = mark
        if kind is not ev.ScalarEvent:
            frames.append([path, kind is ev.MappingStartEvent, 0, None])
    return index


def locate(
    index: dict[tuple[str | int, ...], tuple[int, int]],
    path: tuple[str | int, ...],
    *,
    value: bool = False,
) -> tuple[int, int] | None:
    """The position of `path` (its value with value=True), or of its nearest ancestor."""
    if value and (*path, "=") in index:
        return index[(*path, "=")]
    probe = path
    while probe:
        if probe in index:
            return index[probe]
        probe = probe[:-1]
    return index.get(())
