"""The `shell` tool: run one allowed program in a sandbox, without a shell.

It refuses to exist without a `sandbox`, with `network: any`, or with an empty
config `allow_commands`. A call names `command` (exactly one of allow_commands,
found on the scrubbed PATH) and `args` (a list passed to execve as-is, so `;`,
`$(...)`, backticks and globs are plain text). The child runs in a new session
under `_sandbox_init` (its own process group, a subreaper that kills and reaps
every descendant), with `cwd` inside the sandbox's fs roots, `HOME` set there, and
an environment scrubbed by `keystore.scrubbed_env` (no ANTHROPIC_API_KEY or other
secret; PATH keeps only absolute folders outside the sandbox; the tool's declared
`credential` alone is added, resolved through the resolver, as the variable named
by config `credential_env`, and its value is masked in the output), under
RLIMIT_CPU/AS/FSIZE/NOFILE/NPROC from the sandbox. At the wall-clock timeout
(sandbox `timeout_s`, default 30 s) the process group is SIGKILLed and reaped.
stdout and stderr are read incrementally and capped (256 KB / 64 KB kept; the
command is stopped past 64 MB), so a flood never sits in memory. What cannot be
enforced here: file access is confined by `cwd` and permissions only (no mount
namespace, so the command can read what the user can), and `network: none` holds
only when this machine allows network namespaces (probed once; otherwise
`ShellTool.note` says so and the command has the user's network); a domain
allowlist cannot be enforced for a program at all, so `allowlist` means no network.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, Final

from runtime.engine.processes import start_time
from runtime.engine.protocols import ToolContext, ToolResult
from runtime.engine.tools import _sandbox_init
from runtime.engine.tools._common import (
    BuiltinTool,
    Refused,
    Roots,
    int_config,
    make_spec,
    str_list_config,
    text_arg,
    under,
)
from runtime.roster import model as m
from runtime.secrets.keystore import SAFE_ENV_NAMES, scrubbed_env

INIT: Final = os.path.abspath(_sandbox_init.__file__)
USE_INIT: Final = sys.platform.startswith("linux") and not getattr(sys, "frozen", False)
DEFAULT_TIMEOUT_S: Final = 30.0
DEFAULT_MEMORY_MB: Final = 1024
FSIZE_BYTES: Final = 64 << 20
NOFILE: Final = 256
NPROC_EXTRA: Final = 64
STDOUT_CAP: Final = 256 * 1024
STDERR_CAP: Final = 64 * 1024
STOP_AFTER: Final = 64 << 20
MAX_ARGS: Final = 256
MAX_ARG_LEN: Final = 8192


@functools.cache
def network_isolation() -> bool:
    """Whether `_sandbox_init` can put a command in an empty network namespace here."""
    true = shutil.which("true")
    if not USE_INIT or true is None:
        return False
    read_end, write_end = os.pipe()
    try:
        done = subprocess.run([sys.executable, "-I", "-S", INIT, str(write_end), "1",
                               "0,0,0,0,0", true, "true"], pass_fds=(write_end,),
                              capture_output=True, timeout=15, start_new_session=True,
                              env=scrubbed_env(os.environ), check=False)
        return done.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        os.close(read_end)
        os.close(write_end)


def _credential_env(tool: m.Tool) -> str:
    name = tool.config.get("credential_env")
    if name is None or name == "":
        return ""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Z_][A-Z0-9_]{0,63}", name) \
            or name in SAFE_ENV_NAMES or name.startswith(("LD_", "PYTHON", "LC_")):
        raise Refused(f"config credential_env {name!r} is not a plain variable name of its own")
    return name


class _Stream:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.total = 0

    def text(self, name: str, secret: str | None) -> str:
        out = self.kept.decode("utf-8", errors="replace")
        if secret:
            out = out.replace(secret, "[redacted]")
        if self.total > self.cap:
            out += f"\n[{name} truncated: {self.total} bytes written, the first {self.cap} kept]"
        return out


class ShellTool(BuiltinTool):
    times_itself = True

    def __init__(self, tool: m.Tool, *, resolver: Callable[[str], str] | None = None,
                 base_dir: str | None = None) -> None:
        super().__init__(tool)
        box = tool.sandbox
        if box is None:
            raise Refused("a shell tool runs only inside a sandbox; declare sandbox: {network: "
                          "none, fs_roots: [...], cpu_s, memory_mb, timeout_s}")
        network = box.network or tool.network or "none"
        if "any" in (box.network, tool.network):
            raise Refused("network 'any' is refused for commands; use none")
        self.allow = str_list_config(tool, "allow_commands")
        if not self.allow:
            raise Refused("config allow_commands is empty, so no program may run")
        self.roots = Roots(box.fs_roots or tool.fs_roots, base_dir)
        self.timeout_s = float(box.timeout_s or DEFAULT_TIMEOUT_S)
        memory = int((box.memory_mb or DEFAULT_MEMORY_MB) * (1 << 20))
        cpu = int(-(-(box.cpu_s or self.timeout_s) // 1))
        self.limits = (cpu, memory, FSIZE_BYTES, NOFILE, NPROC_EXTRA)
        self.resolver = resolver
        self.credential_env = _credential_env(tool)
        self.isolated = network_isolation()
        self.note = ""
        if not self.isolated:
            self.note = ("network is not isolated: this machine does not allow network "
                         "namespaces, so the command has the user's network")
        elif network == "allowlist":
            self.note = "a domain allowlist cannot be enforced for commands; it runs offline"
        if tool.credential and not self.credential_env:
            self.note = "; ".join(filter(None, [self.note, "its credential is not passed to "
                                                "the command (config credential_env is unset)"]))
        self.max_output = int_config(tool, "max_output_bytes", STDOUT_CAP)
        detail = (f"Runs one of: {', '.join(self.allow)} (no shell: arguments are passed "
                  f"literally). Working folder: {self.roots.paths[0]}. Time limit "
                  f"{self.timeout_s:g} s.")
        self.spec = make_spec(tool, detail, {
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": list(self.allow)},
                "args": {"type": "array", "maxItems": MAX_ARGS,
                         "items": {"type": "string", "maxLength": MAX_ARG_LEN}},
                "cwd": {"type": "string", "description": "a folder inside the sandbox"}},
            "required": ["command"]})

    def _argv(self, arguments: dict[str, Any]) -> list[str]:
        command = text_arg(arguments, "command", max_len=MAX_ARG_LEN)
        if command not in self.allow:
            raise Refused(f"{command!r} is not an allowed command ({', '.join(self.allow)})")
        args = arguments.get("args", [])
        if not isinstance(args, list) or len(args) > MAX_ARGS:
            raise Refused(f"'args' must be a list of at most {MAX_ARGS} strings")
        for arg in args:
            if not isinstance(arg, str) or len(arg) > MAX_ARG_LEN or "\0" in arg:
                raise Refused(f"each argument must be a string of at most {MAX_ARG_LEN} "
                              "characters without NUL bytes")
        return [command, *args]

    def _env(self) -> tuple[dict[str, str], str | None]:
        env = scrubbed_env(os.environ)
        env["HOME"] = self.roots.paths[0]
        # only absolute PATH entries outside the sandbox: the command cannot plant a program
        env["PATH"] = os.pathsep.join(
            p for p in env.get("PATH", os.defpath).split(os.pathsep)
            if os.path.isabs(p) and not any(under(os.path.realpath(p), r)
                                            for r in self.roots.paths))
        secret = None
        if self.node.credential and self.credential_env:
            if self.resolver is None:
                raise Refused(f"its credential {self.node.credential} cannot be resolved here")
            try:
                secret = self.resolver(self.node.credential)
            except Exception as exc:
                raise Refused(f"its credential could not be resolved: {exc}") from exc
            env[self.credential_env] = secret
        return env, secret

    async def run(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        argv = self._argv(arguments)
        _root, cwd = self.roots.resolve(arguments.get("cwd", "."))
        if not os.path.isdir(cwd):
            raise Refused(f"cwd {arguments.get('cwd')!r} is not a folder")
        env, secret = self._env()
        exe = shutil.which(argv[0], path=env["PATH"])
        if exe is None:
            raise Refused(f"{argv[0]!r} was not found on PATH")
        timeout = self.timeout_s if ctx.timeout_s is None else min(self.timeout_s, ctx.timeout_s)
        return await self._spawn(exe, argv, cwd, env, secret, timeout, ctx)

    async def _spawn(self, exe: str, argv: list[str], cwd: str, env: dict[str, str],
                     secret: str | None, timeout: float, ctx: ToolContext) -> ToolResult:
        started = time.monotonic()
        pipe = subprocess.PIPE
        group: int | None = None
        group_started: int | None = None
        if USE_INIT:
            report_r, report_w = os.pipe()
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-I", "-S", INIT, str(report_w),
                    "1" if self.isolated else "0", ",".join(map(str, self.limits)), exe, *argv,
                    stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe, cwd=cwd, env=env,
                    start_new_session=True, pass_fds=(report_w,))
            except BaseException:
                os.close(report_r)
                raise
            finally:
                os.close(report_w)
        else:  # pragma: no cover - non-Linux or frozen builds: rlimits, no subreaper
            proc = await asyncio.create_subprocess_exec(
                exe, *argv[1:], stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe, cwd=cwd,
                env=env, start_new_session=True,
                preexec_fn=functools.partial(_sandbox_init.set_limits, *self.limits))
            group = proc.pid
            group_started = start_time(group)
        out, err = _Stream(self.max_output), _Stream(STDERR_CAP)
        flood = asyncio.Event()
        readers = [asyncio.create_task(_pump(proc.stdout, out, out, err, flood)),
                   asyncio.create_task(_pump(proc.stderr, err, out, err, flood))]
        flooded = asyncio.create_task(flood.wait())
        exited = asyncio.create_task(proc.wait())
        why = ""
        try:
            if USE_INIT:
                group = await _reported_pid(report_r)
                group_started = start_time(group) if group is not None else None
            if group is not None:
                ctx.register_process(group)
            async with asyncio.timeout(timeout):
                await asyncio.wait([flooded, exited], return_when=asyncio.FIRST_COMPLETED)
                if flood.is_set() and not exited.done():
                    why = f"stopped: it wrote more than {STOP_AFTER} bytes"
        except TimeoutError:
            why = (f"killed: timed out after {timeout:g} s (it ran longer than the "
                   f"{timeout:g} s time limit)")
        finally:
            flooded.cancel()
            if why or proc.returncode is None or not USE_INIT:
                if group is not None and start_time(group) == group_started:
                    _kill(group)  # still the command we started (its pid was not recycled)
                elif proc.returncode is None:
                    _kill(proc.pid)  # not reaped yet, so the pid is still ours
            try:
                await _finish(proc, exited, readers)
            finally:  # exited (or left to the run's final kill): no longer ours to signal
                if group is not None:
                    ctx.unregister_process(group)
        return self._result(argv, proc.returncode, why, out, err, secret,
                            time.monotonic() - started)

    def _result(self, argv: list[str], code: int | None, why: str, out: _Stream, err: _Stream,
                secret: str | None, elapsed: float) -> ToolResult:
        if why:
            status = why
        elif code is not None and (code < 0 or (USE_INIT and code > 128)):
            sig = -code if code < 0 else code - 128
            name = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
            limit = " (CPU time limit)" if sig == signal.SIGXCPU else ""
            status = f"killed by {name}{limit}"
        else:
            status = f"exit status {code}"
        text = (f"$ {' '.join(argv)}\n{status} ({elapsed:.2f} s)\n--- stdout ---\n"
                f"{out.text('stdout', secret)}\n--- stderr ---\n{err.text('stderr', secret)}")
        return ToolResult(text, is_error=bool(why) or code != 0)


async def _reported_pid(fd: int) -> int | None:
    """The command's pid, as `_sandbox_init` reports it (None if it died first)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, readable)
    try:
        try:
            async with asyncio.timeout(10):
                await ready
        except TimeoutError:
            return None
        data = os.read(fd, 32)
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return int(data) if data.strip().isdigit() else None


async def _pump(stream: asyncio.StreamReader | None, into: _Stream, out: _Stream, err: _Stream,
                flood: asyncio.Event) -> None:
    """Read to EOF, keeping the first `cap` bytes: a pipe left unread would stall the
    child, and asyncio's `wait()` returns only once both pipes reach EOF."""
    if stream is None:
        return
    while chunk := await stream.read(1 << 16):
        room = into.cap - len(into.kept)
        if room > 0:
            into.kept += chunk[:room]
        into.total += len(chunk)
        if out.total + err.total > STOP_AFTER:
            flood.set()


async def _finish(proc: asyncio.subprocess.Process, exited: asyncio.Task[int],
                  readers: list[asyncio.Task[None]]) -> None:
    """Wait (even when cancelled) for the killed child and the pipes to close; if its
    init does not end promptly, kill that too; never wait forever."""
    for grace in (5.0, 2.0):
        await asyncio.shield(asyncio.wait([exited, *readers], timeout=grace))
        if exited.done() and all(r.done() for r in readers):
            return
        _kill(proc.pid)
    for task in (exited, *readers):
        task.cancel()


def _kill(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(group, signal.SIGKILL)
