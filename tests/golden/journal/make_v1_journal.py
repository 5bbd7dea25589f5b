"""Write `v1-bcc0fea.sqlite`: a run journal made by the code of commit bcc0fea (schema v1).

Run once from the repository root (it reads the old code with `git archive`, which
changes nothing in the repository):

    .venv/bin/python tests/golden/journal/make_v1_journal.py

The old `runtime/`, `resources/` and `tests/` trees are unpacked into a temporary directory and
this script runs itself again there (`--inside`), so the journal is written by the old
`LocalExecutor`, `Journal` and engine exactly as a user's build of that commit wrote it.
The runs use the scripted provider and a stub tool: no network, no key, no secrets.

It records three runs: one completed with two tool calls, one completed after a human
approved its tool call, and one whose process "died" mid-run (a `running` row with a
started-but-unfinished model step), the kind of run `roster runs resume` continues.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

COMMIT = "bcc0fea"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TARGET = HERE / "v1-bcc0fea.sqlite"


def inside(workdir: Path) -> None:  # pragma: no cover - runs against the old code
    """Record the runs with the old code and that commit's own journal-test helpers
    (its roster, scripted provider, stub tool and simulated crash)."""
    import asyncio

    from runtime.engine.executor import LocalExecutor, RunSpec
    from runtime.engine.providers.scripted import ScriptedProvider
    from tests.runtime.engine.test_journal import ROSTER, Crash, Notes, factories, writer

    async def one(approval: str, task: str, provider: ScriptedProvider) -> None:
        roster = workdir / f"golden-{approval}.roster.yaml"
        roster.write_text(ROSTER.replace("APPROVAL", approval), encoding="utf-8")
        made = factories(provider, Notes())  # approvals: a scripted "approve"
        async with LocalExecutor(made, db=str(workdir / "runs.db")) as executor:
            run_id = await executor.start(RunSpec(task=task, roster_path=str(roster)))
            await executor.wait(run_id)

    asyncio.run(one("allow", "write two notes", writer(notes=2)))
    asyncio.run(one("ask", "write one approved note", writer(notes=1)))
    try:
        asyncio.run(one("allow", "write three notes, die on the third turn",
                        writer(notes=3, crash_at_turn=3)))
    except Crash:
        pass


def main() -> None:
    trees = ["runtime", "resources", "tests"]
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", COMMIT, *trees],
                             check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        work = Path(tmp) / "work"
        work.mkdir()
        shutil.copy(__file__, old / "make_v1_journal.py")
        subprocess.run([sys.executable, "make_v1_journal.py", "--inside", str(work)], cwd=old,
                       check=True, env={"PATH": "/usr/bin:/bin", "HOME": tmp,
                                        "PYTHONPATH": str(old)})
        db = work / "runs.db"
        with sqlite3.connect(db) as conn:  # fold the WAL into the file: one self-contained file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copy(db, TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inside"]:
        sys.path.insert(0, str(Path.cwd()))
        inside(Path(sys.argv[2]))
    else:
        main()
