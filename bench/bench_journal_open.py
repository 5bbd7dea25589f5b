"""What schema versioning costs when a run journal is opened, and what migrating costs.

    python -m bench.bench_journal_open [--quick]

- **Open, current journal**: `prepare_journal` on a journal already at the current
  version (the check every `Journal(...)` now does first), against what opening did
  before versions existed: `create_all` (checkfirst) of the journal tables.
- **Migrate v1**: the golden version-1 journal (tests/golden/journal) and a large
  version-1 journal (the golden runs copied until the file is about 40 MB) migrated
  to the current version, backup included; each sample gets a fresh copy, made
  outside the timing. The baseline is the floor of any safe migration: the backup
  alone (SQLite's online backup of the same file).

Results: bench/results/journal_open.json. Ratios are baseline p50 / ours.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench import harness as h
from runtime.engine import journal as jn
from runtime.engine.journal_migrations import prepare_journal

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "journal" / "v1-bcc0fea.sqlite"


def enlarge(path: Path, target_mb: int) -> None:
    """Copy the journal's runs (every table keyed by run id) under new ids until the file
    is about `target_mb` megabytes."""
    tables = ("steps", "model_calls", "tool_calls", "approvals", "events")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        n = 0
        while path.stat().st_size < target_mb * 1_000_000:
            n += 1
            for table in ("runs", *tables):
                cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                key = "id" if table == "runs" else "run_id"
                picked = ", ".join(f"{c} || '-c{n}'" if c == key else c for c in cols)
                conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) "
                             f"SELECT {picked} FROM {table} WHERE {key} NOT LIKE '%-c%'")
            conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def backup_only(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as source, \
            contextlib.closing(sqlite3.connect(path.with_name(path.name + ".copy"))) as copy:
        source.backup(copy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    iterations, big_mb = (10, 10) if args.quick else (40, 40)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        current = root / "current.db"
        jn.Journal(f"sqlite:///{current}").close()
        url = f"sqlite:///{current}"

        def old_open() -> None:
            engine = sa.create_engine(url)
            jn._md.create_all(engine)
            engine.dispose()

        check = h.measure(lambda: prepare_journal(url), iterations=iterations * 5)
        before = h.measure(old_open, iterations=iterations * 5)

        big = root / "big-v1.sqlite"
        shutil.copyfile(GOLDEN, big)
        enlarge(big, big_mb)
        rows = []
        counter = iter(range(1_000_000))
        results: dict[str, object] = {"open_current": check, "open_before_versions": before}
        for name, source in (("golden", GOLDEN), ("large", big)):
            def fresh(source: Path = source) -> Path:
                copy = root / f"run-{next(counter)}.db"
                shutil.copyfile(source, copy)
                return copy

            migrate = h.measure_each(fresh, lambda p: prepare_journal(f"sqlite:///{p}"),
                                     iterations=iterations, warmup=2)
            floor = h.measure_each(fresh, backup_only, iterations=iterations, warmup=2)
            size = f"{source.stat().st_size / 1e6:.1f} MB"
            rows += [h.Row(f"migrate v1 -> current, {name} ({size})", migrate),
                     h.Row(f"  baseline: backup only, {name}", floor, ours=migrate)]
            results[f"migrate_{name}"], results[f"backup_{name}"] = migrate, floor
            for leftover in root.glob("run-*"):
                leftover.unlink()
        print(h.format_table("Run journal: open and migrate", [
            h.Row("open a current journal (version check)", check),
            h.Row("  baseline: create_all checkfirst (open before versions)", before,
                  ours=check),
            *rows]))
        print(f"results: {h.write_results('journal_open', results)}")


if __name__ == "__main__":
    main()
