"""A tiny launcher that makes a child die with its parent, then becomes the command.

`python -I -S _pdeathsig_exec.py PARENT_PID LC_CTYPE EXE ARGV0 ARGS...` sets
PR_SET_PDEATHSIG to SIGKILL (kept across execve), checks that its parent is still
PARENT_PID (if the parent died before the signal was armed, it exits at once), and
execs EXE with ARGV0 ARGS... and exactly the environment it was given. Python's
locale coercion adds or rewrites LC_CTYPE in a C-locale environment at start-up, so
the caller passes its own LC_CTYPE as "=VALUE" (or "-" when it has none) and that is
restored: the command sees the caller's scrubbed environment unchanged.

The kernel sends the signal when the *thread* that forked this process exits, not
the whole process: callers fork from their event loop's thread (asyncio does), which
lives as long as anything the loop started. Linux only; stdlib only, no imports
beyond ctypes, os and sys (start-up stays ~15 ms).
"""

from __future__ import annotations

import ctypes
import os
import sys

PR_SET_PDEATHSIG = 1
SIGKILL = 9


def main(argv: list[str]) -> int:
    if len(argv) < 5:
        sys.stderr.write("usage: _pdeathsig_exec.py PARENT_PID -|=LC_CTYPE EXE ARGV0 "
                         "[ARGS...]\n")
        return 2
    parent, ctype, exe, args = int(argv[1]), argv[2], argv[3], argv[4:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        sys.stderr.write(f"cannot tie the process to its parent: prctl: {os.strerror(err)}\n")
        return 126
    if os.getppid() != parent:  # the parent is already gone: nobody to serve
        return 1
    env = dict(os.environ)
    if ctype.startswith("="):
        env["LC_CTYPE"] = ctype[1:]
    else:
        env.pop("LC_CTYPE", None)
    try:
        os.execve(exe, args, env)
    except OSError as exc:
        sys.stderr.write(f"cannot start {exe}: {exc.strerror or exc}\n")
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv))
