"""Split a Markdown file into YAML frontmatter and body, leniently.

Claude Code subagent files are Markdown with a frontmatter block between
`---` lines. Real-world files are often not valid YAML: descriptions with
unquoted `: `, `<example>` blocks, literal `\\n`. `parse` first tries strict
YAML; when that fails it falls back to a line-based reader that only starts a
new field at a *known* top-level key at column 0 (`name:`, `tools:`, ...) and
treats every other line as the continuation of the field before it. Values
of list-like fields are then read as YAML on their own. The body is returned
byte for byte; positions (1-based line numbers) of each key are kept so that
callers can report located errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from runtime.interop.report import InteropError

KNOWN_KEYS: Final = frozenset({
    "name", "description", "tools", "disallowedTools", "model", "permissionMode", "maxTurns",
    "skills", "mcpServers", "hooks", "memory", "background", "effort", "isolation",
    "initialPrompt", "color", "version", "tags", "author", "category", "expertise_level",
})  # fmt: skip
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*)|)$")
_STRUCTURED: Final = frozenset({"tools", "disallowedTools", "skills", "mcpServers", "hooks",
                                "tags", "maxTurns", "background"})
MAX_BYTES: Final = 1_000_000


@dataclass
class Frontmatter:
    """Parsed frontmatter: values in file order, their line numbers, and the body."""

    values: dict[str, Any]
    lines: dict[str, int]
    body: str
    lenient: bool = False
    newline: str = "\n"
    bom: bool = False
    raw: dict[str, str] = field(default_factory=dict)


def _fail(file: str, line: int, message: str, **kw: Any) -> InteropError:
    return InteropError(message, file=file, line=line, column=1, **kw)


def decode(data: bytes, file: str) -> tuple[str, bool]:
    if len(data) > MAX_BYTES:
        raise _fail(file, 1, f"the file is larger than {MAX_BYTES // 1000} kB",
                    hint="a subagent file is a short Markdown prompt; split or trim it")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(file, line, "the file is not UTF-8 text",
                    hint="save it as UTF-8 in your editor") from None
    if "\x00" in text:
        raise _fail(file, 1, "the file holds NUL bytes; it looks binary, not Markdown")
    return text, bom


def split(text: str, file: str) -> tuple[str, str, str]:
    """(frontmatter text, body, newline) or a located error."""
    newline = "\r\n" if text.startswith("---\r\n") else "\n"
    lines = text.split(newline)
    if not text.strip():
        raise _fail(file, 1, "the file is empty",
                    expected="a '---' line, name/description fields, '---', then the prompt")
    if lines[0].rstrip() != "---":
        raise _fail(file, 1, "no frontmatter: the file does not start with a '---' line",
                    expected="'---' on the first line, then 'name: ...' and 'description: ...'",
                    hint="add a frontmatter block; see docs/interop.md")
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            front = newline.join(lines[1:index])
            body = newline.join(lines[index + 1 :])
            return front, body, newline
    raise _fail(file, 1, "the frontmatter opened on line 1 is never closed",
                expected="a second '---' line after the fields",
                hint="add a line with only '---' between the fields and the prompt")


def duplicate_key(file: str, key: str, line: int, column: int, first: int) -> InteropError:
    """The refusal of a key given twice, located at its second occurrence."""
    return InteropError(f"'{key}' is given twice (first on line {first})", file=file, line=line,
                        column=column, expected="each key once",
                        hint=f"keep one '{key}:' line and delete the other; Claude Code would "
                        "silently use only one of them")


def _check_unique(node: yaml.Node, file: str) -> None:
    """Refuse the first mapping key (at any depth) that repeats one before it."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                line = key.start_mark.line + 2  # the frontmatter starts after the '---' line
                if key.value in seen:
                    raise duplicate_key(file, str(key.value), line, key.start_mark.column + 1,
                                        seen[key.value])
                seen[key.value] = line
            _check_unique(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_unique(item, file)


def _strict(front: str, file: str) -> dict[str, Any] | None:
    """The frontmatter as strict YAML, None when it is not valid YAML (the lenient reader
    takes over), or a located error for a key given twice (YAML itself forbids that)."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(front)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _check_unique(node, file)
        value = loader.construct_document(node)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return None
    return value


def _key_lines(front: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for number, line in enumerate(front.splitlines(), start=2):
        match = _KEY_LINE.match(line)
        if match and match.group(1) not in out:
            out[match.group(1)] = number
    return out


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            return inner
        return value if isinstance(value, str) else inner
    return text


def _lenient(front: str, file: str) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    raw: dict[str, list[str]] = {}
    lines_at: dict[str, int] = {}
    current: str | None = None
    for number, line in enumerate(front.splitlines(), start=2):
        match = _KEY_LINE.match(line)
        if match and (match.group(1) in KNOWN_KEYS or match.group(1).startswith("x-")):
            current = match.group(1)
            if current in raw:
                raise duplicate_key(file, current, number, 1, lines_at[current])
            raw[current] = [match.group(2) or ""]
            lines_at[current] = number
        elif current is None:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            raise _fail(file, number, f"cannot read this frontmatter line: {line.strip()[:60]!r}",
                        expected="'key: value' lines starting with a known key such as "
                        "name, description, tools or model",
                        hint="check the indentation, or quote the value")
        else:
            raw[current].append(line)
    joined: dict[str, str] = {}
    for key, parts in raw.items():
        text = "\n".join(parts).strip("\n")
        joined[key] = text
        head = parts[0].strip()
        if key in _STRUCTURED or head in _BLOCK_HEADS:
            block = f"{key}:{' ' + parts[0] if parts[0] else ''}\n" + "\n".join(parts[1:])
            try:
                loaded = yaml.safe_load(block)
            except yaml.YAMLError:
                loaded = None
            if isinstance(loaded, dict) and key in loaded:
                values[key] = loaded[key]
                continue
        values[key] = _scalar(text.strip()) if key not in ("name", "description") \
            else _unquote(text.strip())
    return values, joined


def _scalar(text: str) -> Any:
    """A one-line value as YAML would read it (1.2, true), else the text itself."""
    if "\n" not in text:
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = None
        if isinstance(value, str | int | float | bool):
            return value
    return _unquote(text)


_BLOCK_HEADS: Final = frozenset({"|", ">", "|-", ">-", "|+", ">+"})


def parse(data: bytes, file: str) -> Frontmatter:
    """The frontmatter and body of a subagent file, or a located `InteropError`."""
    text, bom = decode(data, file)
    front, body, newline = split(text, file)
    front_lf = front.replace("\r\n", "\n")
    strict = _strict(front_lf, file)
    if strict is not None:
        return Frontmatter(strict, _key_lines(front_lf), body, False, newline, bom)
    values, raw = _lenient(front_lf, file)
    return Frontmatter(values, _key_lines(front_lf), body, True, newline, bom, raw)
