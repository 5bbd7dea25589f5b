"""JSON with comments and trailing commas (CrewAI's `.jsonc`), read with positions kept.

Comments are blanked out character for character, and a trailing comma before
`}` or `]` becomes a space, so the JSON decoder's line and column still point
into the original file when it reports an error.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.interop.report import InteropError


def _blank(text: str) -> str:
    out = list(text)
    i, n = 0, len(text)
    in_string = False
    last_comma: int | None = None
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            last_comma = None
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            stop = n if end < 0 else end + 2
            for j in range(i, stop):
                if out[j] != "\n":
                    out[j] = " "
            i = stop
            continue
        elif ch == ",":
            last_comma = i
        elif ch in "}]":
            if last_comma is not None:
                out[last_comma] = " "
            last_comma = None
        elif not ch.isspace():
            last_comma = None
        i += 1
    return "".join(out)


def loads(text: str, file: str) -> Any:
    try:
        return json.loads(_blank(text))
    except json.JSONDecodeError as exc:
        raise InteropError(f"not valid JSONC: {exc.msg}", file=file, line=exc.lineno,
                           column=exc.colno, expected="JSON, with // comments and trailing "
                           "commas allowed", hint="check the brackets and quotes near here"
                           ) from None
