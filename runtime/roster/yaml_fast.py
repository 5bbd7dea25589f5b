"""A fast reader for the plain block-style YAML that roster files are written in.

`yaml_read.parse` builds values from libyaml's event stream, which costs two
Python objects per event and two `Mark`s each: about 0.25 s per MB. Files the
project writes (and most files people write by hand) use a small, regular
part of YAML: block mappings with simple keys, block lists, one-line `[ ]`
and `{ }` collections, literal `|` blocks, quoted and plain one-line
scalars. This module reads exactly that part, line by line, with no event
objects, and builds the same values `yaml_read` builds.

It never reports an error. On anything outside that part, or anything that
could be an error (a duplicate key, a tab, an anchor, a tag, a key that
is not text, a multi-line plain scalar, deep nesting, an odd character), it
returns `NOT_HANDLED` and the caller reads the text again with the full
reader, which gives the located error or the value. So the contract is
narrow: a value returned here equals what `yaml_read`'s full reader returns
for the same text, and that reader would not have raised. The tests hold it
to that on every sample, fixture, golden file and on generated and mutated
texts.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from runtime.roster.errors import RosterLoadError
from runtime.roster.yaml_read import MAX_EVENTS, resolve_plain

NOT_HANDLED: Final = object()
MAX_FAST_DEPTH: Final = 48  # the full reader stops at 64; deeper goes its way

# Characters this reader accepts anywhere: printable, no tab, no CR, no NEL, no
# Unicode line or paragraph separator, no BOM, no surrogate. libyaml accepts a
# superset of these, so nothing it would refuse gets through.
_UNUSUAL: Final = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_WORDS: Final = "true|True|TRUE|false|False|FALSE|null|Null|NULL"
# A simple key: text that is a string to the full reader too (no number, boolean or
# null), at most 1,000 characters (YAML caps implicit keys at 1,024).
_KEY: Final = rf"(?!(?:{_WORDS}):)([A-Za-z_][A-Za-z0-9_./-]{{0,999}})"
# A plain scalar that needs no further look: it starts with a letter (so it is not a
# number) and holds no ':' or '#'. Only null/true/false words still need resolving.
_SIMPLE: Final = r"((?:[A-Za-z_/$(]|--?[A-Za-z_])[^:#]*)"
# A decimal number the full reader reads as int (no '.') or float, with no surprises:
# at most 18 digits (larger ones are refused there), no exponent, sign or leading dot.
_NUMBER: Final = r"([0-9]{1,18}(?:\.[0-9]{1,18})?) *"
# "key:" or "key: value" (a simple value in group 3, a number in 4, any other in 5).
_KEY_LINE: Final = re.compile(rf"( *){_KEY}:(?: +(?:{_SIMPLE}|{_NUMBER}\Z|(.*)))?\Z")
# "-" or "- value" (the simple value in group 2, any other in group 3).
_ITEM_LINE: Final = re.compile(rf"( *)-(?: +(?:{_SIMPLE}|(.*)))?\Z")
_FLOW_KEY: Final = re.compile(rf"{_KEY}: +")
# A plain scalar inside [ ] or { }: a safe first character, then anything but
# the flow indicators, ':' and '#'. What ends it is checked by the caller.
_FLOW_PLAIN: Final = re.compile(r"(?:[A-Za-z0-9_./$(]|--?[A-Za-z0-9_.])[^\[\]{},:#]*")
# One-line collections of plain scalars only: the common case, read without a parser.
_SAFE_VALUE: Final = r"(?:[A-Za-z0-9_./$(]|--?[A-Za-z0-9_.])[^\[\]{}\"'#,:]*"
_SIMPLE_LIST: Final = re.compile(rf"\[ *((?:{_SAFE_VALUE}(?:, *{_SAFE_VALUE})*)?)\] *\Z")
_MAP_KEY: Final = r"[A-Za-z_][A-Za-z0-9_./-]{0,999}"  # null/true/false keys: checked after
_SIMPLE_MAP: Final = re.compile(
    rf"\{{( *{_MAP_KEY}: +{_SAFE_VALUE}(?:, *{_MAP_KEY}: +{_SAFE_VALUE})*)\}} *\Z"
)
# The (key, value) pairs inside a mapping _SIMPLE_MAP matched, without surrounding spaces.
_PAIRS: Final = re.compile(r"([^ :,][^:,]*): +([^,]*[^, ])")
_DOUBLE: Final = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"')
_SINGLE: Final = re.compile(r"'([^']*(?:''[^']*)*)'")
# Escapes whose meaning JSON and YAML share (no surrogates: libyaml refuses them).
_JSON_ESCAPES: Final = re.compile(r'\\(?:["\\bfnrt]|u(?![dD][89abAB])[0-9a-fA-F]{4})')
_LITERAL: Final = re.compile(r"\|(-?)(?: +#.*| *)\Z")
_SPECIAL_WORDS: Final = frozenset(
    {"", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"}
)
_NUMERIC_START: Final = frozenset("0123456789-+.")
# First characters that make a block value something other than a plain scalar.
_INDICATORS: Final = frozenset("-?:,[]{}#&*!|>'\"%@`")


class _Bail(Exception):
    """The text is outside what this reader handles: use the full reader."""


def parse(text: str) -> Any:
    """The document's value, or NOT_HANDLED when the full reader must read it."""
    if not text.endswith("\n") or _UNUSUAL.search(text) is not None:
        return NOT_HANDLED
    reader = _Reader(text.split("\n"))
    try:
        return reader.document()
    except (_Bail, RosterLoadError, RecursionError, IndexError, ValueError):
        return NOT_HANDLED  # ValueError: a quoted text json.loads refuses, if one slips by


def _plain(text: str) -> Any:
    if text[0] in _NUMERIC_START or text in _SPECIAL_WORDS:
        return resolve_plain(text)  # a too-large number raises: the full reader says so
    return text


def _double(body: str) -> str:
    if "\\" not in body:
        return body
    if "\\" in _JSON_ESCAPES.sub("", body):
        raise _Bail  # an escape JSON does not share (\x41, \N, a line continuation ...)
    return str(json.loads(f'"{body}"'))


def _comment_only(tail: str) -> bool:
    """Whether what follows a value on its line is nothing, or spaces and a comment."""
    stripped = tail.lstrip(" ")
    return not stripped or (stripped[0] == "#" and len(stripped) < len(tail))


def _skip_spaces(text: str, pos: int) -> int:
    while text[pos] == " ":
        pos += 1
    return pos


class _Reader:
    """One pass over the lines. Each method returns the value it read and the index of
    the first line after it; `indent` is always the column of the enclosing collection."""

    __slots__ = ("count", "depth", "events", "lines")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.count = len(lines)
        self.depth = 0
        self.events = 4  # stream and document start and end

    def _next(self, i: int) -> int:
        """The index of the first line from `i` that is neither blank nor a comment."""
        lines, count = self.lines, self.count
        while i < count:
            content = lines[i].lstrip(" ")
            if content and content[0] != "#":
                return i
            i += 1
        return i

    def document(self) -> Any:
        i = self._next(0)
        if i >= self.count:
            raise _Bail  # empty or only comments: the full reader says what it is
        match = _KEY_LINE.match(self.lines[i])
        if match is None or match.group(1):
            raise _Bail  # not a mapping at column 1
        value, i = self.mapping(i, 0, *match.group(2, 3, 4, 5))
        if self._next(i) < self.count or self.events >= MAX_EVENTS - 8:
            raise _Bail
        return value

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_FAST_DEPTH:
            raise _Bail

    def mapping(
        self, i: int, indent: int, key: str, simple: str | None, number: str | None,
        rest: str | None,
    ) -> tuple[dict[str, Any], int]:
        """A block mapping whose first entry (`key`, its value's text) is on line i."""
        self._enter()
        out: dict[str, Any] = {}
        lines, count, key_line, special = self.lines, self.count, _KEY_LINE.match, _SPECIAL_WORDS
        while True:
            if key in out:
                raise _Bail  # a duplicate key: the full reader names it
            if simple is not None:  # the common case, inlined: one plain scalar
                text = simple.rstrip(" ")
                out[key] = resolve_plain(text) if text in special else text
                i += 1
            elif number is not None:  # as resolve_plain reads it
                out[key] = float(number) if "." in number else int(number)
                i += 1
            elif rest and (rest[0] == "{" or rest[0] == "[") and (
                    value := self.simple(rest)) is not None:
                out[key] = value  # a one-line collection of plain scalars, also inlined
                i += 1
            elif rest and rest[0] != "#":
                out[key], i = self.inline(rest, i, indent)
            else:
                out[key], i = self.nested(i, indent, True)
            match = None
            while i < count:  # the next entry, past blank and comment lines
                line = lines[i]
                match = key_line(line)
                if match is not None:
                    break
                content = line.lstrip(" ")
                if content and content[0] != "#":
                    if len(line) - len(content) >= indent:
                        raise _Bail  # not a key where one belongs
                    break
                i += 1
            if match is None:
                break
            spaces, key, simple, number, rest = match.groups()
            if len(spaces) != indent:
                if len(spaces) > indent:
                    raise _Bail
                break
        self.depth -= 1
        self.events += 2 + 2 * len(out)
        return out, i

    def sequence(self, i: int, indent: int, *, under_key: bool) -> tuple[list[Any], int]:
        """A block list whose first '-' line is line i. `under_key`: the list sits at its
        key's own column, so a key line there ends it."""
        self._enter()
        out: list[Any] = []
        lines, count, item_line, special = self.lines, self.count, _ITEM_LINE.match, _SPECIAL_WORDS
        while i < count:
            line = lines[i]
            match = item_line(line)
            if match is None:
                content = line.lstrip(" ")
                if not content or content[0] == "#":
                    i += 1
                    continue
                at = len(line) - len(content)
                if at < indent or (at == indent and under_key):
                    break
                raise _Bail
            spaces, simple, rest = match.groups()
            if len(spaces) != indent:
                if len(spaces) > indent:
                    raise _Bail
                break
            if simple is not None:  # the common case, inlined: one plain scalar
                text = simple.rstrip(" ")
                out.append(resolve_plain(text) if text in special else text)
                i += 1
                continue
            if not rest or rest[0] == "#":
                value, i = self.nested(i, indent, False)
            elif rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                raise _Bail  # "- - x": a list in a list on one line
            else:
                entry = _KEY_LINE.match(rest)
                if entry is not None:  # "- key: value": a mapping that starts on this line
                    value, i = self.mapping(i, len(line) - len(rest), *entry.group(2, 3, 4, 5))
                else:
                    value, i = self.inline(rest, i, indent)
            out.append(value)
        self.depth -= 1
        self.events += 2 + len(out)
        return out, i

    def nested(self, i: int, indent: int, in_map: bool) -> tuple[Any, int]:
        """The value of a key or '-' with nothing after it on line i: the block below
        it, or null."""
        j = self._next(i + 1)
        if j < self.count:
            line = self.lines[j]
            match = _KEY_LINE.match(line)
            if match is not None:
                if len(match.group(1)) > indent:
                    return self.mapping(j, len(match.group(1)), *match.group(2, 3, 4, 5))
                return None, i + 1
            item = _ITEM_LINE.match(line)
            if item is not None:
                at = len(item.group(1))
                if at > indent or (at == indent and in_map):
                    return self.sequence(j, at, under_key=at == indent)
                return None, i + 1
            if len(line) - len(line.lstrip(" ")) > indent:
                raise _Bail  # a scalar on the next line (multi-line plain text)
        return None, i + 1

    def inline(self, rest: str, i: int, indent: int) -> tuple[Any, int]:
        """A value that starts on line i after its key or '-' (`rest`, not a comment)."""
        first = rest[0]
        if first in _INDICATORS:
            if first == "|":
                return self.literal(rest, i, indent)
            if first == "[" or first == "{":
                simple = self.simple(rest)
                if simple is not None:
                    return simple, i + 1
                self._enter()
                value, end = self.flow(rest, 0)
                self.depth -= 1
                if not _comment_only(rest[end:]):
                    raise _Bail
                return value, i + 1
            if first == '"' or first == "'":
                match = (_DOUBLE if first == '"' else _SINGLE).match(rest)
                if match is None or not _comment_only(rest[match.end():]):
                    raise _Bail  # unclosed on this line, or text after the closing quote
                body = match.group(1)
                return (_double(body) if first == '"' else body.replace("''", "'")), i + 1
            if first != "-" or len(rest) == 1 or rest[1] == " ":
                raise _Bail  # an anchor, alias, tag, folded block, reserved character ...
        cut = rest.find(" #")
        text = (rest if cut < 0 else rest[:cut]).rstrip(" ")
        if ": " in text or text[-1] == ":":
            raise _Bail  # the full reader reports "mapping values are not allowed here"
        return _plain(text), i + 1

    def literal(self, head: str, i: int, indent: int) -> tuple[str, int]:
        """A `|` or `|-` block: the lines after line i indented deeper than `indent`."""
        match = _LITERAL.match(head)
        if match is None:
            raise _Bail  # |+, |2, > ...: the full reader handles them
        lines, count = self.lines, self.count
        j = i + 1
        first = lines[j]
        content = first.lstrip(" ")
        at = len(first) - len(content)
        if not content or at <= indent:
            raise _Bail  # an empty block, or one that starts with a blank line
        prefix = " " * at
        parts: list[str] = []
        while j < count:
            line = lines[j]
            if line.startswith(prefix):
                part = line[at:]
                if part[:1] == " " and not part.strip(" "):
                    raise _Bail  # a line of spaces only, deeper than the block
                parts.append(part)
            elif not line.strip(" "):
                parts.append("")
            else:
                break
            j += 1
        while parts[-1] == "":
            parts.pop()
        text = "\n".join(parts)
        self.events += 1
        return (text if match.group(1) else text + "\n"), j

    def simple(self, rest: str) -> Any:
        """A one-line `[a, b]` of plain scalars or `{k: v, ...}` of plain values, read
        with a regex and `split`; None when it is anything else (`flow` reads those)."""
        numeric, special = _NUMERIC_START, _SPECIAL_WORDS
        if rest[0] == "[":
            match = _SIMPLE_LIST.match(rest)
            if match is None:
                return None
            inner = match.group(1)
            items: list[Any] = []
            if inner:
                items = [item.strip(" ") for item in inner.split(",")]
                items = [resolve_plain(item) if item[0] in numeric or item in special else item
                         for item in items]
            self.events += 2 + len(items)
            return items
        match = _SIMPLE_MAP.match(rest)
        if match is None:
            return None
        pairs = _PAIRS.findall(match.group(1))
        out = dict(pairs)
        if len(out) != len(pairs) or not special.isdisjoint(out):
            raise _Bail  # a duplicate key, or a key the full reader reads as null or boolean
        for key, value in out.items():
            if value[0] in numeric or value in special:
                out[key] = resolve_plain(value)
        self.events += 2 + 2 * len(out)
        return out

    def flow(self, text: str, pos: int) -> tuple[Any, int]:
        """A `[ ]` or `{ }` collection starting at text[pos], closed on the same line."""
        is_map = text[pos] == "{"
        close = "}" if is_map else "]"
        pos = _skip_spaces(text, pos + 1)
        out: Any = {} if is_map else []
        if text[pos] == close:
            self.events += 2
            return out, pos + 1
        while True:
            if is_map:
                match = _FLOW_KEY.match(text, pos)
                if match is None:
                    raise _Bail
                key = match.group(1)
                if key in out:
                    raise _Bail
                out[key], pos = self.flow_value(text, match.end())
            else:
                item, pos = self.flow_value(text, pos)
                out.append(item)
            pos = _skip_spaces(text, pos)
            mark = text[pos]
            if mark == close:
                self.events += 2 + (2 if is_map else 1) * len(out)
                return out, pos + 1
            if mark != ",":
                raise _Bail
            pos = _skip_spaces(text, pos + 1)
            if text[pos] == close:
                raise _Bail  # a trailing comma

    def flow_value(self, text: str, pos: int) -> tuple[Any, int]:
        first = text[pos]
        if first == "[" or first == "{":
            self._enter()
            value, pos = self.flow(text, pos)
            self.depth -= 1
            return value, pos
        if first == '"' or first == "'":
            match = (_DOUBLE if first == '"' else _SINGLE).match(text, pos)
            if match is None:
                raise _Bail
            body = match.group(1)
            return (_double(body) if first == '"' else body.replace("''", "'")), match.end()
        match = _FLOW_PLAIN.match(text, pos)
        if match is None:
            raise _Bail
        end = match.end()
        if text[end] not in ",]}":
            raise _Bail  # ':' or '#' inside, or the collection is not closed on this line
        return _plain(match.group().rstrip(" ")), end
