"""What an import or export did, per file: imported, mapped, kept as-is, refused.

Every importer returns an `ImportReport` next to the roster it built. A file
that cannot be read becomes an `InteropError` (file:line:col, what is wrong,
what was expected, how to fix it) and contributes nothing to the roster; the
other files still import. The CLI and the designer print the same report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from runtime.roster.errors import RosterLoadError


class NoteKind(StrEnum):
    IMPORTED = "imported"
    MAPPED = "mapped"
    KEPT = "kept"
    WARNING = "warning"
    REFUSED = "refused"
    WROTE = "wrote"


class InteropError(RosterLoadError):
    """A file that could not be imported, with its location and a fix.

    The same shape and wording as a roster load error (`file:line:col: what is wrong`,
    then what was expected and how to fix it), always with a file and a position.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int = 1,
        column: int = 1,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, file=file, line=line, column=column, expected=expected,
                         hint=hint)
        self.file: str = file
        self.line: int = line
        self.column: int = column


@dataclass(frozen=True, slots=True)
class Note:
    kind: NoteKind
    text: str


@dataclass
class FileReport:
    """What happened to one source or target file."""

    file: str
    notes: list[Note] = field(default_factory=list)
    error: InteropError | None = None

    def add(self, kind: NoteKind, text: str) -> None:
        self.notes.append(Note(kind, text))

    @property
    def refused(self) -> bool:
        return self.error is not None


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    def file(self, name: str) -> FileReport:
        report = FileReport(name)
        self.files.append(report)
        return report

    @property
    def errors(self) -> list[InteropError]:
        return [f.error for f in self.files if f.error is not None]

    def text(self, *, only_refused: bool = False) -> str:
        """Human-readable lines: one header per file, one indented line per note."""
        out: list[str] = []
        for report in self.files:
            if only_refused and report.error is None:
                continue
            if report.error is not None:
                out.append(f"refused {report.file}")
                out.extend("  " + line for line in str(report.error).splitlines())
                continue
            out.append(report.file)
            out.extend(f"  {note.kind.value}: {note.text}" for note in report.notes)
        return "\n".join(out)
