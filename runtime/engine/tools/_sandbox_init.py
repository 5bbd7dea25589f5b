"""A tiny init process for one sandboxed command: limits, optional network namespace, reaping.

The shell tool starts `python -I -S _sandbox_init.py FD NETNS LIMITS EXE ARGV...`
in a new session. This process marks itself a child subreaper, forks, and the
child moves into a process group of its own, optionally enters a new network
namespace (no interfaces but a down loopback: no network at all), applies
RLIMIT_CPU/AS/FSIZE/NOFILE/NPROC, and execs the command. The parent writes the
command's pid to FD (the tool registers it with the kill switch), then reaps
everything: when the command ends or its group is killed, every descendant
still alive — including ones that left the group or called setsid — has been
re-parented here and is SIGKILLed and reaped, so no process and no zombie
outlives the call even where PID 1 does not reap. Linux only; stdlib only and no
`json` (its import costs ~50 ms here). Also imported by shell.py for `set_limits`.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _prctl(libc: ctypes.CDLL, option: int, value: int) -> None:
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def isolate_network(libc: ctypes.CDLL) -> None:
    """Enter a new, empty network namespace (via a user namespace when unprivileged)."""
    if libc.unshare(CLONE_NEWNET) == 0:
        return
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def _user_threads(uid: int) -> int:
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return count


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    _cur_soft, cur_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if cur_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, cur_hard), min(hard, cur_hard)
    resource.setrlimit(which, (soft, hard))


def set_limits(cpu_s: int, memory_bytes: int, fsize_bytes: int, nofile: int,
               nproc_extra: int) -> None:
    """Lower this process's limits before exec; 0 leaves a limit as it is."""
    if cpu_s:
        _limit(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)  # SIGXCPU, then SIGKILL a second later
    if memory_bytes:
        _limit(resource.RLIMIT_AS, memory_bytes)
    if fsize_bytes:
        _limit(resource.RLIMIT_FSIZE, fsize_bytes)
    if nofile:
        _limit(resource.RLIMIT_NOFILE, nofile)
    if nproc_extra and os.geteuid() != 0:  # counted per user, so allow what runs already
        _limit(resource.RLIMIT_NPROC, _user_threads(os.getuid()) + nproc_extra)


def _children() -> list[int]:
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me:
            found.append(int(name))
    return found


def _reap(main: int) -> int:
    status: int | None = None
    while True:
        try:
            got, code = os.waitpid(-1, 0)
        except ChildProcessError:
            return status if status is not None else 0
        if got == main:
            status = code
            try:
                os.killpg(main, signal.SIGKILL)
            except OSError:
                pass
        if status is not None:
            for child in _children():
                try:
                    os.kill(child, signal.SIGKILL)
                except OSError:
                    pass


def main(argv: list[str]) -> None:
    report = int(argv[1])
    netns = argv[2] == "1"
    limits = [int(x) for x in argv[3].split(",")]
    exe, args = argv[4], argv[5:]
    libc = _libc()
    try:
        _prctl(libc, PR_SET_CHILD_SUBREAPER, 1)
        _prctl(libc, PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    pid = os.fork()
    if pid == 0:
        code = 126
        try:
            os.close(report)
            os.setpgid(0, 0)
            _prctl(libc, PR_SET_PDEATHSIG, signal.SIGKILL)
            if netns:
                isolate_network(libc)
            set_limits(*limits)
            code = 127
            os.execv(exe, args)
        except BaseException as exc:
            os.write(2, f"sandbox: cannot start {exe}: {exc}\n".encode(errors="replace"))
        os._exit(code)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass

    def stop(_signum: int, _frame: object) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    os.write(report, f"{pid}\n".encode())
    os.close(report)
    status = _reap(pid)
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main(sys.argv)
