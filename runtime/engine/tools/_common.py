"""What the built-in tools share: folder confinement, argument checks and the refusal path.

`Roots` holds a tool's allowed folders as real paths and confines every path the
model names to them: the path is resolved with `os.path.realpath` (so `..`,
absolute paths elsewhere and symlinks pointing out all land outside and are
refused), `/proc`, `/sys` and `/dev` are refused always, and the file is then
opened by walking down from the root one component at a time with `O_NOFOLLOW`,
so a symlink swapped in after the check is refused too. Roots themselves are
refused when they are `/`, the home directory or a key/keyring/config folder
(the runtime mirror of rule R13). `Refused` is the one exception a tool raises
for a request it will not serve; `BuiltinTool.call` turns it (and OS errors)
into an error result the model can read.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

from runtime.engine.protocols import ToolContext, ToolResult, ToolSpec
from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.checks.rules.filesystem import forbidden
from runtime.roster.kinds import tool_kind

PSEUDO_FS: Final = ("/proc", "/sys", "/dev")
PROTECTED_HOME: Final = (".ssh", ".gnupg", ".aws", ".local/share/keyrings",
                         ".config/agent-roster")
MAX_PATH: Final = 4096
_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


T = TypeVar("T")
LOCK_POLL_S: Final = 0.01
SELF_TIMED_GRACE_S: Final = 0.25


class Refused(Exception):
    """A request the tool will not serve; the message is shown to the model."""


def timed_out_text(limit: float) -> str:
    """The one wording of a tool call stopped at its time limit."""
    return f"timed out after {limit:g} s: the call was stopped at its time limit"


def lock_file(fd: int, operation: int, timeout_s: float | None) -> None:
    """`flock(fd, operation)`, giving up with a Refused "timed out" after `timeout_s` (a lock
    held by another process must not hang the call, or the thread it runs on, forever)."""
    if timeout_s is None:
        fcntl.flock(fd, operation)
        return
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Refused(timed_out_text(timeout_s) + " (waiting for the file lock "
                              "another process holds)") from None
            time.sleep(LOCK_POLL_S)


def under(path: str, parent: str) -> bool:
    return path == parent or parent == "/" or path.startswith(parent.rstrip("/") + "/")


def _root_problem(real: str) -> str | None:
    home = os.path.realpath(os.path.expanduser("~"))
    if real == "/" or under(home, real):
        return "it is / or contains the home directory"
    for name in PROTECTED_HOME:
        protected = os.path.join(home, name)
        if under(real, protected) or under(protected, real):
            return f"it overlaps {protected}"
    if any(under(real, p) for p in PSEUDO_FS):
        return "it is a system pseudo-filesystem"
    return None


class Roots:
    """A tool's allowed folders, as real absolute paths; the first is the default."""

    def __init__(self, roots: Iterable[str], base_dir: str | None = None) -> None:
        real: list[str] = []
        for root in roots:
            text = os.path.expanduser("~" + root[5:] if root.startswith("$HOME") else root)
            why = forbidden(root)
            if not os.path.isabs(text):
                text = os.path.join(base_dir or os.getcwd(), text)
            path = os.path.realpath(text)
            why = why or _root_problem(path)
            if why:
                raise Refused(f"fs root {root!r} is not allowed: {why}")
            if not os.path.isdir(path):
                raise Refused(f"fs root {root!r} is not an existing folder")
            real.append(path)
        if not real:
            raise Refused("no fs_roots are declared, so it may not touch any file")
        self.paths = tuple(real)

    def __str__(self) -> str:
        return ", ".join(self.paths)

    def resolve(self, path: Any) -> tuple[str, str]:
        """(root, real path) of `path`, relative paths being relative to the first root."""
        if not isinstance(path, str) or not path:
            raise Refused("'path' must be a non-empty string")
        if "\0" in path or len(path) > MAX_PATH:
            raise Refused("'path' holds a NUL byte or is too long")
        real = os.path.realpath(os.path.join(self.paths[0], path))
        if any(under(real, p) for p in PSEUDO_FS):
            raise Refused(f"{path!r} is in a system pseudo-filesystem (/proc, /sys, /dev)")
        for root in self.paths:
            if under(real, root):
                return root, real
        raise Refused(f"{path!r} is outside the folders this tool may use ({self})")

    def open_dir(self, root: str, real: str) -> int:
        """An fd of the folder `real` (inside `root`), walked down with O_NOFOLLOW."""
        fd = os.open(root, _DIR_FLAGS)
        rel = os.path.relpath(real, root)
        try:
            for part in ([] if rel == "." else rel.split(os.sep)):
                try:
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise _refusal(exc, real) from exc
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        return fd

    def open_parent(self, path: Any) -> tuple[int, str, str]:
        """(fd of the parent folder, final name, real path) for `path`."""
        root, real = self.resolve(path)
        if real == root:
            raise Refused(f"{path!r} is a tool root folder, not a file")
        return self.open_dir(root, os.path.dirname(real)), os.path.basename(real), real

    def open_file(self, path: Any, flags: int, mode: int = 0o644) -> tuple[int, str]:
        """(fd, real path) of a regular file, its last component opened with O_NOFOLLOW."""
        parent, name, real = self.open_parent(path)
        try:
            fd = os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, mode,
                         dir_fd=parent)
        except OSError as exc:
            raise _refusal(exc, real) from exc
        finally:
            os.close(parent)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise Refused(f"{path!r} is not a regular file (a folder, device, FIFO or socket)")
        return fd, real


def _refusal(exc: OSError, real: str) -> Exception:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(real):
        return Refused("a symbolic link changed under the path while it was being opened")
    return exc


def read_capped(fd: int, limit: int) -> bytes:
    """At most `limit` + 1 bytes from `fd` (the extra byte tells that there was more)."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- arguments


def replace_at(folder: int, name: str, data: bytes, mode: int) -> None:
    """Write `data` as `name` inside the open directory `folder` atomically: a temporary
    file beside it (O_EXCL, never following links), fsync, then rename over `name`.
    A failure leaves the old file as it was and no temporary behind."""
    temp = f".{name[:64]}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 mode, dir_fd=folder)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=folder)
        except OSError:
            pass
        raise


def text_arg(args: Mapping[str, Any], name: str, *, max_len: int = 100_000,
             default: str | None = None) -> str:
    value = args.get(name, default)
    if value is None:
        raise Refused(f"'{name}' is required")
    if not isinstance(value, str):
        raise Refused(f"'{name}' must be a string")
    if len(value) > max_len:
        raise Refused(f"'{name}' is longer than {max_len} characters")
    return value


def int_config(tool: m.Tool, name: str, default: int) -> int:
    value = tool.config.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else default


def number_config(tool: m.Tool, name: str, default: float) -> float:
    value = tool.config.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


def str_list_config(tool: m.Tool, name: str) -> tuple[str, ...]:
    value = tool.config.get(name)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


# ---------------------------------------------------------------- the tool base


def make_spec(tool: m.Tool, detail: str, schema: dict[str, Any]) -> ToolSpec:
    """The spec shown to the model: the roster's description (or the kind's) plus what
    this implementation enforces; the roster's input_schema when it declares one."""
    kind = tool_kind(tool.kind)
    base = tool.description or (kind.description if kind else tool.kind)
    declared = m.thaw(tool.input_schema) if tool.input_schema else None
    return ToolSpec(tool.id, f"{base.rstrip()} {detail}".strip(),
                    declared if isinstance(declared, dict) else schema)


class BuiltinTool:
    """Base of the built-in tools: refusals and OS errors become error results.

    `writers` are the agents whose grant on this tool is write or execute (None when
    the tool is used outside a roster run, in which case the tool's modes decide).
    """

    spec: ToolSpec
    # A tool that stops itself at ctx.timeout_s (with a more telling message, the output
    # so far) gets a short grace before the generic bound steps in.
    times_itself: bool = False

    def __init__(self, tool: m.Tool, writers: frozenset[str] | None = None) -> None:
        self.node = tool
        self.writers = writers

    def may_write(self, ctx: ToolContext) -> bool:
        if self.writers is None:
            return any(mode in ("write", "execute") for mode in eff.tool_modes(self.node))
        return ctx.agent in self.writers

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        """`run`, bounded by `ctx.timeout_s` (a call that overruns returns "timed out after
        N s"); refusals and OS errors become error results."""
        limit = ctx.timeout_s
        bound = asyncio.timeout(None if limit is None else
                                limit + (SELF_TIMED_GRACE_S if self.times_itself else 0.0))
        try:
            async with bound:
                return await self.run(arguments, ctx)
        except TimeoutError:
            if limit is not None and bound.expired():
                return ToolResult(timed_out_text(limit), is_error=True)
            return ToolResult("error: timed out", is_error=True)
        except Refused as exc:
            return ToolResult(f"refused: {exc}", is_error=True)
        except OSError as exc:
            return ToolResult(f"error: {exc.strerror or exc}", is_error=True)

    @staticmethod
    async def blocking(fn: Callable[..., T], *args: Any) -> T:
        """Run blocking file or network work on a worker thread, so the call's time limit
        and the kill switch can stop waiting for it (the event loop never blocks)."""
        return await asyncio.to_thread(fn, *args)

    async def run(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise NotImplementedError


class Unusable:
    """A built-in tool the roster configured so that it cannot run; every call says why."""

    def __init__(self, tool: m.Tool, reason: str) -> None:
        self.reason = reason
        kind = tool_kind(tool.kind)
        self.spec = ToolSpec(tool.id, tool.description or (kind.description if kind else ""),
                             {"type": "object"})

    async def call(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        return ToolResult(f"refused: '{self.spec.name}' cannot run: {self.reason}",
                          is_error=True)
