"""Cost of the interop QA fixes: settings merge on export, duplicate-key check on import.

    python -m bench.bench_interop_fixes [--quick]

- **Export into an existing project**: `export_claude_code` of the generated M
  roster into a folder that already holds a previous export (its
  `agent-roster.yaml` is read to know which rules the roster managed) and a
  `settings.json` with 200 rules of the user's to merge. Measured twice: the
  previous export is this roster (the sidecar is compared, not parsed) and a
  different one (the sidecar is parsed). Baseline in the same process: the same
  export into an empty folder (no merge, no sidecar).
- **Strict frontmatter with the duplicate-key check**: `frontmatter.parse` of
  the valid-YAML frontmatters of the Claude Code corpus ×12; baseline: plain
  `yaml.load` of the same text with the same (libyaml) loader.

Results: bench/results/interop_fixes.json. Ratios are baseline p50 / ours.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import yaml

from bench import harness as h
from bench.generate import generate
from runtime.interop.claude_export import export_claude_code, write_files
from runtime.interop.frontmatter import parse, split

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "interop" / "claude_code"


def _valid_files() -> list[bytes]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: list[bytes] = []
    for path in sorted((CORPUS / "project").rglob("*.md")):
        data = path.read_bytes()
        try:
            front, _, _ = split(data.decode("utf-8-sig"), str(path))
            if isinstance(yaml.load(front, Loader=loader), dict):  # noqa: S506 - safe loader
                out.append(data)
        except (UnicodeDecodeError, yaml.YAMLError, ValueError):
            continue
    return out * 12


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args(argv)
    iterations = 5 if args.quick else 20
    content = generate("M")
    with tempfile.TemporaryDirectory() as tmp:
        existing, empty = Path(tmp) / "existing", Path(tmp) / "empty"
        files, _ = export_claude_code(content, existing)
        write_files(files, existing)
        rules = [f"Bash(tool-{i}:*)" for i in range(200)]
        settings = existing / ".claude" / "settings.json"
        current = json.loads(settings.read_text("utf-8"))
        current["permissions"]["allow"] = rules + current["permissions"]["allow"]
        settings.write_text(json.dumps(current), encoding="utf-8")
        ours_export = h.measure(lambda: export_claude_code(content, existing),
                                iterations=iterations)
        changed = Path(tmp) / "changed"
        shutil.copytree(existing, changed)
        with (changed / ".claude" / "agent-roster.yaml").open("a", encoding="utf-8") as f:
            f.write("# edited since\n")
        ours_changed = h.measure(lambda: export_claude_code(content, changed),
                                 iterations=iterations)
        base_export = h.measure(lambda: export_claude_code(content, empty),
                                iterations=iterations)
    texts = _valid_files()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fronts = [split(t.decode("utf-8-sig"), "f")[0] for t in texts]
    ours_parse = h.measure(lambda: [parse(t, "f") for t in texts], iterations=iterations)
    base_parse = h.measure(lambda: [yaml.load(f, Loader=loader) for f in fronts],  # noqa: S506
                           iterations=iterations)
    agents = sum(1 for f in files if f.path.startswith(".claude/agents/"))
    print(h.format_table(f"Claude Code export, M roster ({agents} agents)", [
        h.Row("over the same export + 200 user rules", ours_export),
        h.Row("over another export + 200 user rules", ours_changed),
        h.Row("into an empty folder (baseline)", base_export, ours=ours_export),
        h.Row("(baseline vs another export)", base_export, ours=ours_changed)]))
    print(h.format_table(f"Strict frontmatter, {len(texts)} files", [
        h.Row("frontmatter.parse (duplicate-key check)", ours_parse),
        h.Row("yaml.load only (baseline)", base_parse, ours=ours_parse)]))
    path = h.write_results("interop_fixes", {
        "agents": agents, "files": len(texts), "export_merge": ours_export,
        "export_merge_other": ours_changed,
        "export_empty": base_export, "parse": ours_parse, "parse_floor": base_parse})
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
