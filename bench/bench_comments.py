"""What keeping comments costs a save: `io.save_roster` with and without them.

For the S, M and L fixtures the canonical text gets a comment line before every
tenth key (and one at the end of its line), as a hand-edited roster might. Three
saves of the same content to the same file are timed in this process:

- **no comments** (baseline): the file holds no comment; the save reads it, finds
  no `#` after the writer's header and writes the canonical text (the common case);
- **drop**: the file holds comments, `keep_comments=False`;
- **keep**: the file holds comments and they are carried (extract, place, verify).

Run: `.venv/bin/python -m bench.bench_comments [--quick]`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from bench import harness as h
from bench.generate import generate
from runtime.roster import io, yaml_read


def commented(canonical: str, every: int = 10) -> str:
    lines = sorted({line for line, _ in yaml_read.position_index(canonical).values()})
    chosen = set(lines[1::every])
    out = []
    for number, line in enumerate(canonical.splitlines(keepends=True), start=1):
        if number in chosen:
            indent = re.match(r" *", line).group()  # type: ignore[union-attr]
            out.append(f"{indent}# note about line {number}\n")
            line = line.rstrip("\n") + "  # why\n"
        out.append(line)
    return "".join(out)


def run(size: str, iterations: int) -> list[h.Row]:
    content = generate(size)
    canonical = io.dumps(content)
    text = commented(canonical)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "team.roster.yaml"

        def save(source: str, keep: bool) -> None:
            path.write_text(source, encoding="utf-8")
            io.save_roster(content, path, keep_comments=keep)

        base = h.measure(lambda: save(canonical, True), iterations=iterations)
        drop = h.measure(lambda: save(text, False), iterations=iterations)
        keep = h.measure(lambda: save(text, True), iterations=iterations)
    n = text.count("# note")
    return [h.Row(f"{size} save, {n} comments kept (ours)", keep),
            h.Row(f"{size} save, {n} comments dropped", drop, ours=keep),
            h.Row(f"{size} save, no comments (baseline)", base, ours=keep)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rows: list[h.Row] = []
    for size in ("S", "M") if args.quick else ("S", "M", "L"):
        rows += run(size, 5 if args.quick else 20)
    print(h.format_table("save_roster with comments", rows))
    h.write_results("comments", {"machine": h.machine_info(),
                                 "rows": [{"label": r.label, **r.stats.to_json()} for r in rows]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
