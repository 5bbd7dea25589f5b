"""Keeping a roster's `# comments` through a canonical save.

The writer works from data, which has no comments, so a save would drop every
comment a person wrote. `carry` puts them back into the canonical text:

- a comment on a line of its own belongs to the next key (or list item) after it
  and is written on its own line just before that key, indented like it;
- a comment at the end of a line belongs to the first key on that line and is
  written at the end of that key's line;
- a comment whose key is gone (the agent was deleted, the field unset) moves to
  just before the next key of the old file that still exists, or to the end.

Comments are found from the parser's own scalar spans, so a `#` inside quoted
text or a `|` block is never mistaken for one, and blank lines are not kept (the
canonical layout decides those). The result is re-parsed and must hold exactly
the data of the canonical text; if not, `CommentsLost` is raised and nothing is
written. Placement depends only on the two texts, so load, save, load, save
gives the same bytes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import yaml

from runtime.roster import yaml_read
from runtime.roster.errors import RosterLoadError

Path = tuple[str | int, ...]
WRITER_HEADER = "# yaml-language-server:"  # the writer's own first line, never carried
_HASH = re.compile(r"(?:^|(?<=[ \t]))#")


class CommentsLost(OSError):
    """The comments could not be placed without changing the data; nothing was saved.

    An OSError, so every save path that reports a failed write reports this as well."""


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # as written, from '#' on, trailing spaces removed
    anchor: int | None  # index into `Comments.order` of the key it belongs to; None = end
    trailing: bool  # at the end of the key's line, not on a line of its own


@dataclass(frozen=True, slots=True)
class Comments:
    items: tuple[Comment, ...]
    order: tuple[Path, ...]  # the old file's keys and items, in document order


def has_comments(text: str) -> bool:
    """True if `text` holds a comment the writer would drop (cheap when it has none)."""
    body = _without_header(text)
    return "#" in body and bool(extract(text).items)


def _without_header(text: str) -> str:
    if text.startswith(WRITER_HEADER):
        return text[text.find("\n") + 1:] if "\n" in text else ""
    return text


def _entries(text: str, spans: list[tuple[int, int, str | None]] | None = None
             ) -> list[tuple[int, int, Path]]:
    """(line, column, path) of every key and list item, in document order; at one
    position the outer path (a list item) comes before its first key."""
    index = yaml_read.position_index(text, spans)
    found = [(line, col, path) for path, (line, col) in index.items()
             if path and path[-1] != "="]
    found.sort(key=lambda e: (e[0], e[1], len(e[2])))
    return found


def _scalar_bounds(text: str, spans: list[tuple[int, int, str | None]]
                   ) -> tuple[list[int], list[int]]:
    """Sorted start and end offsets of the scalars; a block scalar's header line is left
    out, so a comment after `|` on that line is found."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end, style in sorted(spans):
        if style in ("|", ">"):
            newline = text.find("\n", start, end)
            start = end if newline < 0 else newline
        starts.append(start)
        ends.append(end)
    return starts, ends


def extract(text: str) -> Comments:
    """The comments of `text` with the keys they belong to. `text` must parse."""
    if "#" not in _without_header(text):
        return Comments((), ())
    spans: list[tuple[int, int, str | None]] = []
    entries = _entries(text, spans)
    starts, ends = _scalar_bounds(text, spans)
    order = tuple(path for _, _, path in entries)
    lines_of = [line for line, _, _ in entries]
    items: list[Comment] = []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        here = offset
        offset += len(line)
        if line.startswith(WRITER_HEADER):  # the writer puts its own at the top
            continue
        for match in _HASH.finditer(line):
            at = here + match.start()
            k = bisect.bisect_right(starts, at) - 1
            if k >= 0 and at < ends[k]:
                continue  # inside a scalar: text, not a comment
            comment = line[match.start():].rstrip()
            first = bisect.bisect_left(lines_of, number)
            if line[:match.start()].strip() and first < len(order) and lines_of[first] == number:
                items.append(Comment(comment, first, True))
            else:  # on its own line, or ending a continuation line: before the next key
                after = bisect.bisect_right(lines_of, number)
                items.append(Comment(comment, after if after < len(order) else None, False))
            break
    return Comments(tuple(items), order)


def carry(source: str, canonical: str, data: Any = None) -> str:
    """`canonical` with the comments of `source` put back (see the module docstring).

    Raises `CommentsLost` if the result would not hold the same data as `canonical`
    (`data`, when the caller has it, saves parsing `canonical` to find out)."""
    try:
        comments = extract(source)
    except (yaml.YAMLError, RosterLoadError, RecursionError):
        return canonical  # the old text does not parse: there is nothing to place
    if not comments.items:
        return canonical
    lines_at = {path: line for line, _, path in reversed(_entries(canonical))}
    before: dict[int, list[str]] = {}
    trailing: dict[int, list[str]] = {}
    at_end: list[str] = []
    for comment in comments.items:
        if comment.trailing and comment.anchor is not None:
            line = lines_at.get(comments.order[comment.anchor])
            if line is not None:
                trailing.setdefault(line, []).append(comment.text)
                continue
        line = _next_surviving(comments, comment.anchor, lines_at)
        (at_end if line is None else before.setdefault(line, [])).append(comment.text)
    result = _assemble(canonical, before, trailing, at_end)
    if not _same_data(result, canonical, data):
        raise CommentsLost("the file's comments could not be kept in place without changing "
                           "its data")
    return result


def _next_surviving(comments: Comments, anchor: int | None,
                    lines_at: dict[Path, int]) -> int | None:
    if anchor is None:
        return None
    order = comments.order
    for i in range(anchor, len(order)):  # usually the first: the key is still there
        line = lines_at.get(order[i])
        if line is not None:
            return line
    return None


def _assemble(canonical: str, before: dict[int, list[str]], trailing: dict[int, list[str]],
              at_end: list[str]) -> str:
    out: list[str] = []
    for number, line in enumerate(canonical.splitlines(keepends=True), start=1):
        if number in before:
            indent = line[:len(line) - len(line.lstrip(" "))]
            out.extend(f"{indent}{text}\n" for text in before[number])
        if number in trailing:
            body = line.rstrip("\r\n")
            line = body + "  " + " ".join(trailing[number]) + line[len(body):]
        out.append(line)
    if at_end:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.extend(f"{text}\n" for text in at_end)
    return "".join(out)


def _same_data(result: str, canonical: str, data: Any) -> bool:
    try:
        ours: Any = yaml_read.parse(result)
    except Exception:  # any refusal means the placement broke the file
        return False
    if data is not None and ours == data:
        return True  # else `data` may differ only in form (a tuple for a list): parse
    return bool(ours == yaml_read.parse(canonical))
