"""The file tools: `fs_read` (read_file, list_dir) and `fs_write` (also write_file).

Every path goes through `Roots` (see _common.py): it must resolve, symlinks
followed, to a place inside one of the tool's `fs_roots`; `/proc`, `/sys` and
`/dev` are refused always; the file is opened by walking down from the root with
`O_NOFOLLOW`, and only regular files are read or replaced (a FIFO, device or
socket is refused without blocking). Reads return at most config `max_bytes`
(default 1 MB) with a note when the file is longer; writes larger than that are
refused. A write goes to a temporary file in the same folder, is fsynced and
renamed over the target, so a reader never sees half a file and a symlink at the
target is replaced, never followed. Only an agent whose grant is `write` may
write, even though the engine shows both operations to every grantee.
"""

from __future__ import annotations

import os
import stat
from typing import Any, Final

from runtime.engine.protocols import ToolContext, ToolResult
from runtime.engine.tools._common import (
    BuiltinTool,
    Refused,
    Roots,
    int_config,
    make_spec,
    read_capped,
    replace_at,
    text_arg,
)
from runtime.roster import model as m

DEFAULT_MAX_BYTES: Final = 1 << 20
MAX_ENTRIES: Final = 500


class FileTool(BuiltinTool):
    """fs_read, or fs_write when `writable`."""

    def __init__(self, tool: m.Tool, roots: Roots, *, writable: bool,
                 writers: frozenset[str] | None = None) -> None:
        super().__init__(tool, writers)
        self.roots = roots
        self.writable = writable
        self.max_bytes = int_config(tool, "max_bytes", DEFAULT_MAX_BYTES)
        ops = ["read_file", "list_dir"] + (["write_file"] if writable else [])
        props: dict[str, Any] = {
            "operation": {"type": "string", "enum": ops, "default": "read_file"},
            "path": {"type": "string", "maxLength": 4096,
                     "description": "a path inside the allowed folders; relative paths are "
                                    "relative to the first of them"},
            "offset": {"type": "integer", "minimum": 0,
                       "description": "read_file: byte offset to start at"},
        }
        if writable:
            props["content"] = {"type": "string", "description": "write_file: the new text"}
        detail = (f"Allowed folders: {roots}. Reads return at most {self.max_bytes} bytes"
                  + (" and writes replace the whole file." if writable else "."))
        self.spec = make_spec(tool, detail, {"type": "object", "properties": props,
                                             "required": ["path"]})

    async def run(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        op = text_arg(arguments, "operation", default="read_file", max_len=32)
        if op == "read_file":
            return await self.blocking(self.read_file, arguments.get("path"),
                                       arguments.get("offset", 0))
        if op == "list_dir":
            return await self.blocking(self.list_dir, arguments.get("path", "."))
        if op == "write_file" and self.writable:
            if not self.may_write(ctx):
                raise Refused(f"'{ctx.agent}' may only read with '{self.spec.name}' "
                              "(its grant is not write)")
            return await self.blocking(self.write_file, arguments.get("path"),
                                   text_arg(arguments, "content", max_len=self.max_bytes))
        ops = "read_file, list_dir" + (", write_file" if self.writable else "")
        raise Refused(f"unknown operation {op!r}; use one of {ops}")

    def read_file(self, path: Any, offset: Any = 0) -> ToolResult:
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise Refused("'offset' must be a non-negative integer")
        fd, _real = self.roots.open_file(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if offset:
                os.lseek(fd, offset, os.SEEK_SET)
            data = read_capped(fd, self.max_bytes)
        finally:
            os.close(fd)
        text = data[:self.max_bytes].decode("utf-8", errors="replace")
        if len(data) > self.max_bytes:
            end = offset + self.max_bytes
            text += (f"\n[truncated: the file is {size} bytes; showing bytes {offset}–{end}. "
                     f"Read on with offset {end}.]")
        return ToolResult(text)

    def list_dir(self, path: Any) -> ToolResult:
        root, real = self.roots.resolve(path)
        fd = self.roots.open_dir(root, real)
        lines: list[str] = []
        try:
            with os.scandir(fd) as entries:
                items = sorted(entries, key=lambda e: e.name)
            for entry in items[:MAX_ENTRIES]:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    lines.append(f"{entry.name} (symlink)")
                elif stat.S_ISDIR(info.st_mode):
                    lines.append(f"{entry.name}/")
                elif stat.S_ISREG(info.st_mode):
                    lines.append(f"{entry.name} ({info.st_size} bytes)")
                else:
                    lines.append(f"{entry.name} (special file)")
        finally:
            os.close(fd)
        if len(items) > MAX_ENTRIES:
            lines.append(f"[{len(items) - MAX_ENTRIES} more entries not shown]")
        return ToolResult("\n".join(lines) if lines else "(empty folder)")

    def write_file(self, path: Any, content: str) -> ToolResult:
        data = content.encode("utf-8")
        if len(data) > self.max_bytes:
            raise Refused(f"the content is {len(data)} bytes; the limit is {self.max_bytes}")
        parent, name, real = self.roots.open_parent(path)
        try:
            try:
                info = os.stat(name, dir_fd=parent, follow_symlinks=False)
            except FileNotFoundError:
                info = None
            if info is not None and not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                raise Refused(f"{path!r} exists and is not a regular file")
            replace_at(parent, name, data, 0o644)
        finally:
            os.close(parent)
        return ToolResult(f"wrote {len(data)} bytes to {real}")
