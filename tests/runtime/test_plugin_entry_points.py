"""`runtime.plugins.entry_points` answers what `importlib.metadata` does, without importing it."""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runtime.plugins import EntryPoint, entry_points, parse

ROOT = Path(__file__).resolve().parents[2]


def _dist(folder: Path, name: str, text: str, suffix: str = ".dist-info") -> None:
    meta = folder / f"{name}-1.0{suffix}"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (meta / "entry_points.txt").write_text(text)


def _triples(points: object) -> set[tuple[str, str, str]]:
    return {(p.name, p.value, p.group) for p in points}  # type: ignore[attr-defined]


def test_every_group_of_this_environment_matches_importlib_metadata() -> None:
    groups = set(md.entry_points().groups)
    assert groups, "the venv has console scripts at least"
    for group in sorted(groups):
        assert _triples(entry_points(group)) == _triples(md.entry_points(group=group)), group


def test_a_plugin_folder_is_read_with_comments_blank_lines_extras_and_other_groups(
        tmp_path: Path) -> None:
    _dist(tmp_path, "roster_plugin", "# tools\n[agent_roster.tool_kinds]\n\n"
          "ftp = roster_plugin.kinds:FTP [extra]\nbare=roster_plugin\n"
          "[console_scripts]\nftp-tool = roster_plugin.cli:main\n")
    _dist(tmp_path, "Other.Egg", "[agent_roster.tool_kinds]\nx = other:X\n", ".egg-info")
    found = entry_points("agent_roster.tool_kinds", [str(tmp_path)])
    group = "agent_roster.tool_kinds"
    assert _triples(found) == {("ftp", "roster_plugin.kinds:FTP [extra]", group),
                               ("bare", "roster_plugin", group), ("x", "other:X", group)}
    assert _triples(found) == _triples(
        p for d in md.distributions(path=[str(tmp_path)]) for p in d.entry_points
        if p.group == "agent_roster.tool_kinds")


def test_the_first_distribution_of_a_name_wins_as_in_importlib(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _dist(first, "my_plugin", "[g]\nk = first:K\n")
    _dist(second, "My.Plugin", "[g]\nk = second:K\n")
    assert _triples(entry_points("g", [str(first), str(second)])) == {("k", "first:K", "g")}
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])
    assert _triples(md.entry_points(group="g")) == {("k", "first:K", "g")}
    assert _triples(entry_points("g")) == {("k", "first:K", "g")}


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path: Path) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[g]\nz = zipped:Z\n")
    assert _triples(entry_points("g", [str(archive)])) == {("z", "zipped:Z", "g")}


def test_load_imports_the_module_and_follows_dotted_attributes() -> None:
    point = EntryPoint("kinds", "runtime.roster.kinds:BUILTIN_TOOL_KINDS", "g")
    from runtime.roster.kinds import BUILTIN_TOOL_KINDS

    assert point.load() is BUILTIN_TOOL_KINDS
    assert EntryPoint("m", "runtime.plugins", "g").load() is sys.modules["runtime.plugins"]
    with pytest.raises(ValueError, match="malformed"):
        EntryPoint("bad", "not a value!", "g").load()


def test_parse_ignores_lines_outside_the_group() -> None:
    assert parse("[a]\nx = m:X\n[b]\ny = m:Y\n", "b") == [EntryPoint("y", "m:Y", "b")]


def test_listing_tool_kinds_does_not_import_importlib_metadata() -> None:
    code = ("import sys; from runtime.roster.kinds import tool_kinds; tool_kinds(); "
            "print('importlib.metadata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
