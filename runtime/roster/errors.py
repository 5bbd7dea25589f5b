"""The one error type a roster load can raise, carrying file, line, column and a fix.

Every problem with a roster file (bad YAML, a wrong type, an unknown key, a file
from a newer version) reaches the user as a `RosterLoadError` whose text reads
`file:line:col: what is wrong` followed by what was expected and how to fix it.
Lines and columns are 1-based, as editors show them.
"""

from __future__ import annotations


class RosterLoadError(Exception):
    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: tuple[str | int, ...] = (),
        expected: str | None = None,
        hint: str | None = None,
        at_key: bool = False,
    ) -> None:
        super().__init__(message)
        self.at_key = at_key  # the problem is the key at `path` itself, not its value
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.expected = expected
        self.hint = hint

    @property
    def location(self) -> str:
        parts = [self.file or "<roster>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        dotted = format_path(self.path)
        head = f"{self.location}: {dotted + ': ' if dotted else ''}{self.message}"
        lines = [head]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)

    def with_location(
        self, *, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> RosterLoadError:
        self.file = file if file is not None else self.file
        self.line = line if line is not None else self.line
        self.column = column if column is not None else self.column
        return self


def format_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
