"""An event's fields as stored in the journal: `redacted_plain` gives what the old
encode → decode → redact round trip gave, in one pass."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

import pytest

from runtime.engine.journal import dumps
from runtime.engine.journal_json import redacted_plain
from runtime.engine.redact import Redactor

SECRET = "sk-ant-api03-" + "x" * 40


@dataclass(frozen=True)
class Inner:
    n: int
    note: str


class Colour(Enum):
    RED = "red"


class Shade(StrEnum):
    DARK = "dark"


def old_way(value: Any, redactor: Redactor) -> Any:
    return redactor.value(json.loads(dumps(value)))


CASES: dict[str, Any] = {
    "scalars": {"a": 1, "b": 2.5, "c": None, "d": True, "e": "text"},
    "nested": {"args": {"path": "/tmp/x", "lines": [1, 2, {"deep": "yes"}]}},
    "tuple becomes list": {"t": (1, "two", (3,))},
    "dataclass becomes dict": {"usage": Inner(3, "hello")},
    "odd object is stringified": {"when": object.__new__(type("Odd", (), {
        "__str__": lambda self: "odd!"}))},
    "set is stringified": {"s": {1}},
    "non-string keys": {"m": {1: "one", None: "none", 2.5: "yes"}},
    "plain enum is stringified": {"colour": Colour.RED},
    "str enum": {"shade": Shade.DARK},
    "secret in a nested string": {"args": {"header": f"Bearer {SECRET}", "ok": "fine"}},
    "secret in a list": {"xs": ["a", SECRET]},
    "floats": {"inf": float("inf"), "tiny": 1e-300},
}


@pytest.mark.parametrize("value", list(CASES.values()), ids=list(CASES))
def test_one_pass_gives_what_the_round_trip_gave(value: Any) -> None:
    redactor = Redactor([SECRET])
    assert dumps(redacted_plain(value, redactor, dumps)) == dumps(old_way(value, redactor))


def test_secrets_never_survive() -> None:
    stored = dumps(redacted_plain(CASES["secret in a nested string"], Redactor([SECRET]), dumps))
    assert SECRET not in stored and "fine" in stored
