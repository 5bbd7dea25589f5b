"""Interop throughput: Claude Code import, the semantic diff, the handbook.

    python -m bench.bench_interop [--quick]

- **Import**: the 44-file Claude Code corpus copied 12 times (528 subagent
  files, a third of them needing the lenient frontmatter reader) through
  `import_claude_code`, against the floor any importer pays: reading every
  file and `yaml.safe_load` of each frontmatter (libyaml when present; files
  that are not valid YAML are just skipped by the baseline).
- **Diff**: `diff` of the generated L roster against a copy with one grant
  loosened, against the floor of encoding both rosters and comparing the
  dicts with `==`.
- **Handbook**: `handbook` of the L roster (checks included), reported alone.

Results: bench/results/interop.json. Ratios are baseline p50 / ours (below 1:
ours is slower than the floor, as expected; the number says by how much).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import yaml

from bench import harness as h
from bench.generate import generate
from runtime.interop.claude_import import import_claude_code
from runtime.interop.diff import diff
from runtime.interop.handbook import handbook
from runtime.roster import codec
from runtime.roster import model as m
from runtime.roster.migrations import CURRENT_VERSION

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "interop" / "claude_code"
COPIES = 12


def make_corpus(root: Path) -> Path:
    agents = root / ".claude" / "agents"
    for i in range(COPIES):
        shutil.copytree(CORPUS / "project" / ".claude" / "agents", agents / f"copy{i}")
        for path in (agents / f"copy{i}").rglob("*.md"):  # unique names per copy
            text = path.read_bytes().replace(b"name: ", f"name: c{i}-".encode(), 1)
            path.with_name(f"c{i}-{path.name}").write_bytes(text)
            path.unlink()
    return root


def baseline_read(root: Path) -> int:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parsed = 0
    for path in sorted(root.rglob("*.md")):
        text = path.read_text(encoding="utf-8-sig")
        parts = text.replace("\r\n", "\n").split("\n---\n", 1)
        try:
            yaml.load(parts[0].removeprefix("---\n"), Loader=loader)  # noqa: S506
            parsed += 1
        except yaml.YAMLError:
            pass
    return parsed


def loosened(content: codec.RosterContent) -> codec.RosterContent:
    edges = dict(content.edges)
    grant = next(e for e in edges.values() if e.kind is m.EdgeKind.TOOL_ACCESS)
    edges[grant.id] = replace(grant, approval="allow", mode="write")
    return codec.RosterContent(content.meta, dict(content.nodes), edges, dict(content.layout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args(argv)
    iterations = 5 if args.quick else 20
    with tempfile.TemporaryDirectory() as tmp:
        root = make_corpus(Path(tmp))
        files = len(list(root.rglob("*.md")))
        _, report = import_claude_code(root)
        assert not report.errors, report.text(only_refused=True)
        ours_import = h.measure(lambda: import_claude_code(root), iterations=iterations)
        base_import = h.measure(lambda: baseline_read(root), iterations=iterations)
    large = generate("L")
    changed = loosened(large)
    assert diff(large, changed)
    ours_diff = h.measure(lambda: diff(large, changed), iterations=iterations)
    base_diff = h.measure(lambda: codec.encode(large, CURRENT_VERSION)
                          == codec.encode(changed, CURRENT_VERSION), iterations=iterations)
    ours_doc = h.measure(lambda: handbook(large), iterations=max(3, iterations // 4))
    agents = sum(isinstance(n, m.Agent) for n in large.nodes.values())
    print(h.format_table(f"Claude Code import, {files} files", [
        h.Row("import_claude_code", ours_import),
        h.Row("read + yaml.safe_load (floor)", base_import, ours=ours_import)]))
    print(h.format_table(f"Semantic diff, L roster ({agents} agents)", [
        h.Row("diff", ours_diff),
        h.Row("encode both + == (floor)", base_diff, ours=ours_diff)]))
    print(h.format_table("Handbook, L roster", [h.Row("handbook (checks included)", ours_doc)]))
    path = h.write_results("interop", {
        "files": files, "agents_l": agents,
        "import": ours_import, "import_floor": base_import,
        "diff": ours_diff, "diff_floor": base_diff, "handbook": ours_doc})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
