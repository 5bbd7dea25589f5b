"""The prompt-size estimate behind each turn's budget reservation, counted without `str()`.

The engine reserves a call's worst case from the characters of its prompt so
far: the task and instructions, then `len(str(content))` of every reply and
`len(str(results))` of every batch of tool results. Those strings are built
only to be measured, and Python's generic container `repr` (recursion guard,
one writer per level) costs several microseconds for even a one-block reply.
These functions return the very same numbers for the shapes that dominate, a
text block and the engine's own tool_result blocks, from the lengths of the
parts' reprs; anything else (tool_use input, thinking blocks, a dict subclass)
is measured with `repr` as before. A property test holds them equal to
`len(str(...))` over many generated shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runtime.engine.protocols import ToolResult

# "{'type': 'text', 'text': " ... "}" and the tool_result dict around its three values.
_TEXT_FIXED = len("{'type': 'text', 'text': }")
_RESULT_FIXED = len("{'type': 'tool_result', 'tool_use_id': , 'content': , 'is_error': }")


def _list_chars(items: int, inner: int) -> int:
    """`[a, b, c]`: the brackets, the ", " separators, and the items' own characters."""
    return 2 + (2 * (items - 1) if items else 0) + inner


def content_chars(content: Any) -> int:
    """`len(str(content))` of a reply's content blocks."""
    if type(content) is not list:
        return len(str(content))
    inner = 0
    for block in content:
        if (type(block) is dict and len(block) == 2 and block.get("type") == "text"
                and type(block["type"]) is str and next(iter(block)) == "type"
                and "text" in block):
            inner += _TEXT_FIXED + len(repr(block["text"]))
        else:
            inner += len(repr(block))
    return _list_chars(len(content), inner)


def results_chars(uses: Sequence[dict[str, Any]], results: Sequence[ToolResult]) -> int:
    """`len(str(answers))` of the tool_result blocks the engine sends back: one
    `{"type": "tool_result", "tool_use_id": use["id"], "content": result.content,
    "is_error": result.is_error}` per block."""
    inner = 0
    for use, result in zip(uses, results, strict=True):
        inner += (_RESULT_FIXED + len(repr(use["id"])) + len(repr(result.content))
                  + len(repr(result.is_error)))
    return _list_chars(len(uses), inner)


__all__ = ["content_chars", "results_chars"]
