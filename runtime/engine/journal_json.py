"""An event's fields as redacted, JSON-ready data, in one pass.

The journal stores every event as JSON with every string redacted. It used to
get there by encoding the fields to JSON, decoding them again (to turn
dataclasses, tuples and odd objects into plain data) and walking the result to
redact each string: three passes over every event. `redacted_plain` does the
same in one walk and gives the same result: dataclasses become dicts, tuples
become lists, strings and anything JSON would stringify (via `str`) are
redacted, numbers, booleans and None stay as they are. A dict whose keys are
not all strings (JSON would rewrite them) takes the old round trip, so even
that case is unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

_SCALARS = (bool, int, float, type(None))


def redacted_plain(value: Any, redact: Callable[[str], str],
                   dumps: Callable[[Any], str]) -> Any:
    """`value` as JSON-ready data with every string passed through `redact`; `dumps` is the
    journal's JSON encoder (used only for the rare dict with non-string keys)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return _round_trip(value, redact, dumps)
        return {k: redacted_plain(v, redact, dumps) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted_plain(v, redact, dumps) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return redacted_plain(dataclasses.asdict(value), redact, dumps)
    return redact(str(value))


def _round_trip(value: Any, redact: Callable[[str], str], dumps: Callable[[Any], str]) -> Any:
    return redacted_plain(json.loads(dumps(value)), redact, dumps)


__all__ = ["redacted_plain"]
