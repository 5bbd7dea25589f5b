"""The in-memory step runner: runs each step, remembers nothing beyond the process.

Dry runs and tests use it; the durable runner (journal) has the same shape and
returns the recorded result of a completed step instead of running it again.
Keys are still checked for uniqueness so a logic error that would make a
durable replay ambiguous shows up in dry runs too. Results are kept as they
are: encoding them (for the journal) is the durable runner's business, and
doing it here cost a dictionary per model call for nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class DuplicateStep(RuntimeError):
    pass


class MemoryStepRunner:
    def __init__(self) -> None:
        self.completed: dict[str, tuple[str, Any]] = {}  # key -> (kind, result)

    async def run(self, key: str, kind: str, fn: Callable[[], Awaitable[T]],
                  encode: Callable[[T], Any], decode: Callable[[Any], T]) -> T:
        if key in self.completed:
            raise DuplicateStep(f"step {key!r} ran twice")
        self.completed[key] = (kind, None)  # claimed before it runs: a concurrent twin fails
        result = await fn()
        self.completed[key] = (kind, result)
        return result
