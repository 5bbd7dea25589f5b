"""Reading and writing roster files: envelope, migration, located errors, safe saves.

`load_roster` reads a file (size cap, UTF-8, safe YAML), checks the envelope
(`format: agent-roster`, an integer `version`), migrates older versions,
decodes the content, and turns any problem into a `RosterLoadError` that
names file, line and column: the position index is built only when there is
an error to place. `save_roster` writes deterministic bytes atomically after
the secret scanner has looked at both the data and the final bytes; a file
that would hold a literal secret is refused and nothing is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.roster import codec, comments, yaml_read, yaml_write
from runtime.roster.atomic import write_atomic
from runtime.roster.errors import RosterLoadError, format_path
from runtime.roster.migrations import CURRENT_VERSION, migrate
from runtime.roster.schema import SCHEMA_ID

if TYPE_CHECKING:  # the scanner compiles its patterns on import: loaded at the first save
    from runtime.secrets.scanner import SecretHit

# First line of every roster the project writes, so that editors running the YAML
# language server validate and complete the file against the published schema.
# Readers ignore it (a comment), so files without it still load unchanged.
SCHEMA_HEADER = f"# yaml-language-server: $schema={SCHEMA_ID}\n"


@dataclass
class LoadedRoster:
    content: codec.RosterContent
    source: Path | None
    version_read: int
    text: str

    @property
    def migrated(self) -> bool:
        return self.version_read != CURRENT_VERSION

    def position_index(self) -> dict[tuple[str | int, ...], tuple[int, int]]:
        return yaml_read.position_index(self.text)


class SecretInRosterError(Exception):
    """A save or export was refused because the roster holds a literal secret."""

    def __init__(self, hits: list[SecretHit], target: str) -> None:
        self.hits = hits
        places = sorted({format_path(hit.path) or "(file text)" for hit in hits})
        kinds = sorted({hit.description for hit in hits})
        super().__init__(
            f"refusing to write {target}: it would contain {', '.join(kinds)} at "
            f"{', '.join(places)}. Store the key with `roster keys set NAME` and put "
            "keyring:agent-roster/NAME in its place. Nothing was written."
        )


# Files that travel with a roster: passing one where the roster goes is a mix-up,
# and adding a roster header to it would corrupt it. (kind, option, command)
_COMPANIONS: dict[str, tuple[str, str, str]] = {
    "agent-roster-scenario": ("scenario", "--scenario", "roster simulate"),
    "agent-roster-workload": ("workload", "--workload", "roster forecast"),
}


def _envelope(data: Any) -> int:
    if data is None:
        raise RosterLoadError(
            "the file is empty",
            line=1,
            column=1,
            expected="a roster starting with 'format: agent-roster' and 'version: 1'",
            hint="create one with `roster new NAME --template support-triage`",
        )
    if not isinstance(data, dict):
        raise RosterLoadError(
            f"a roster is a mapping of sections, found {type(data).__name__}",
            line=1,
            column=1,
            expected="format: agent-roster, version: 1, agents: ...",
        )
    if data.get("format") != codec.FORMAT_NAME:
        found = data.get("format")
        companion = _COMPANIONS.get(found) if isinstance(found, str) else None
        if companion is not None:
            kind, option, command = companion
            raise RosterLoadError(
                f"this is a {kind} file, not a roster",
                path=("format",),
                expected="a roster file (NAME.roster.yaml, format: agent-roster)",
                hint=f"pass the roster, and the {kind} with {option}, e.g. "
                f"`{command} team.roster.yaml {option} THIS_FILE`",
            )
        raise RosterLoadError(
            "this is not an Agent Roster file" + (f" (format is {found!r})" if found else ""),
            path=("format",) if "format" in data else (),
            expected=f"format: {codec.FORMAT_NAME} at the top of the file",
            hint="add 'format: agent-roster' and 'version: 1' as the first two lines",
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise RosterLoadError(
            "the roster has no integer 'version'",
            path=("version",) if "version" in data else (),
            expected=f"version: {CURRENT_VERSION}",
        )
    return version


def _place(error: RosterLoadError, text: str | None, filename: str) -> RosterLoadError:
    error.file = filename
    if error.line is None and text is not None:
        try:
            index = yaml_read.position_index(text)
        except Exception:  # the text failed to parse; keep the error unplaced
            return error
        where = yaml_read.locate(index, error.path, value=not error.at_key)
        if where is not None:
            error.line, error.column = where
    elif error.line is not None and text is not None and error.hint is None:
        lines = text.splitlines()
        if 0 < error.line <= len(lines) and "\t" in lines[error.line - 1][: (error.column or 1)]:
            error.hint = "indent with spaces; YAML does not allow tabs for indentation"
    return error


def loads(
    data: bytes | str, *, filename: str = "<roster>", source: Path | None = None
) -> LoadedRoster:
    text: str | None = None
    try:
        text = yaml_read.decode(data) if isinstance(data, bytes) else data
        raw = yaml_read.parse(text)
        version = _envelope(raw)
        migrated = migrate(raw, version)
        content = codec.decode(migrated)
    except RosterLoadError as error:
        raise _place(error, text, filename) from None
    except RecursionError:
        raise RosterLoadError("the file nests too deeply", file=filename) from None
    return LoadedRoster(content, source, version, text)


def load_roster(path: str | Path) -> LoadedRoster:
    path = Path(path)
    try:
        with path.open("rb") as handle:  # never more than the cap, even from /dev/zero
            data = handle.read(yaml_read.MAX_BYTES + 1)
    except FileNotFoundError:
        raise RosterLoadError(
            "file not found",
            file=str(path),
            hint="check the path; create a roster with `roster new`",
        ) from None
    except IsADirectoryError:
        raise RosterLoadError(
            "this is a directory, not a roster file",
            file=str(path),
            hint=_directory_fix(path),
        ) from None
    except OSError as exc:
        raise RosterLoadError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    return loads(data, filename=str(path), source=path)


def _directory_fix(path: Path) -> str:
    """Name the roster files a directory holds, so the fix can be copied."""
    try:
        found = sorted(p.name for p in path.glob("*.roster.yaml"))[:3]
    except OSError:
        found = []
    if found:
        return "pass the roster file inside it, e.g. " + ", ".join(str(path / n) for n in found)
    return "pass the roster file inside it (NAME.roster.yaml), not the directory"


def to_data(content: codec.RosterContent) -> dict[str, Any]:
    return codec.encode(content, CURRENT_VERSION)


def dumps(content: codec.RosterContent) -> str:
    return SCHEMA_HEADER + yaml_write.dumps(to_data(content))


def guarded_bytes(data: dict[str, Any], target: str, *, comments_from: str | None = None
                  ) -> bytes:
    """The YAML bytes of `data`, or SecretInRosterError if any literal secret is in it.

    The final text is what reaches the disk, so it is what gets scanned (one pass, fast
    on large rosters); only when something is found is the data walked as well, to name
    the fields in the message. With `comments_from`, the comments of that text are put
    back in (runtime/roster/comments.py; raises `CommentsLost` if they cannot be).
    """
    from runtime.secrets.scanner import scan_text, scan_value

    text = SCHEMA_HEADER + yaml_write.dumps(data)
    if comments_from is not None:
        text = comments.carry(comments_from, text, data)
    hits = scan_text(text)
    if hits:
        raise SecretInRosterError(scan_value(data) or hits, target)
    return text.encode("utf-8")


def save_roster(
    content: codec.RosterContent,
    path: str | Path,
    *,
    migrated_from: int | None = None,
    keep_backup: bool = False,
    keep_comments: bool = False,
    comments_of: str | Path | None = None,
) -> None:
    """Write atomically. After a migration the original is kept as NAME.vN.bak.

    With `keep_comments` (for saving the document a file was opened as: `roster fmt`,
    the designer) the comments of `comments_of` (default: the file being replaced; for
    Save As, the file the roster came from) are carried into the new text. Without it
    (an import or a new roster written over a file) the text has none."""
    path = Path(path)
    source = current_text(Path(comments_of or path)) if keep_comments else None
    payload = guarded_bytes(to_data(content), str(path), comments_from=source)
    backup = None
    if migrated_from is not None and migrated_from != CURRENT_VERSION and path.exists():
        backup = path.with_name(f"{path.name}.v{migrated_from}.bak")
    elif keep_backup and path.exists():
        backup = path.with_name(path.name + ".bak")
    write_atomic(path, payload, backup=backup)


def current_text(path: Path) -> str | None:
    """The text of the roster file at `path` now, or None if there is none to read."""
    try:
        with path.open("rb") as handle:
            data = handle.read(yaml_read.MAX_BYTES + 1)
        return yaml_read.decode(data)
    except (OSError, RosterLoadError):
        return None


def content_hash(content: codec.RosterContent) -> str:
    return hashlib.sha256(dumps(content).encode("utf-8")).hexdigest()
