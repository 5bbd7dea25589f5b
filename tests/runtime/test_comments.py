"""Saving a roster keeps the comments people wrote in it.

docs/format.md: the file is "written for people first … edited by hand". A save used
to drop every `# comment`; now each comment stays with the key it was written with:
on its own line just before that key, or at the end of that key's line. A comment
whose key is gone moves to the next key that still exists. `#` inside quoted text or
a `|` block is text, not a comment. Load → save → load → save gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.roster import io, yaml_read
from runtime.roster.comments import CommentsLost, carry, extract, has_comments
from runtime.roster.io import SecretInRosterError

REPO = Path(__file__).resolve().parents[2]
ROSTERS = sorted([*(REPO / "resources" / "samples").glob("*.roster.yaml"),
                  *(REPO / "tests" / "golden" / "v1").glob("*.roster.yaml")])

COMMENTED = """\
# Team roster for support, owned by ops
format: agent-roster
version: 1
name: demo   # display name
agents:
  # the entry point
  triage:
    model: claude-sonnet-5-5  # cheap enough
    role: "routes # tickets"
    instructions: |  # what it does
      Route tickets.
      # part of the instructions, not a comment
    budget_usd: 2
  other: {role: x}   # inline
# the end
"""


def saved_text(tmp_path: Path, text: str, name: str = "team.roster.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    io.save_roster(io.load_roster(path).content, path, keep_comments=True)
    return path.read_text(encoding="utf-8")


def test_a_save_keeps_every_comment_next_to_its_key(tmp_path: Path) -> None:
    out = saved_text(tmp_path, COMMENTED)
    assert "# Team roster for support, owned by ops\nformat: agent-roster\n" in out
    assert "name: demo  # display name\n" in out
    assert "  # the entry point\n  triage:\n" in out
    assert "    model: claude-sonnet-5-5  # cheap enough\n" in out
    assert "    instructions: |  # what it does\n" in out
    assert "  other:  # inline\n    role: x\n" in out
    assert out.endswith("# the end\n")


def test_hash_signs_inside_text_are_not_comments_and_are_not_moved(tmp_path: Path) -> None:
    out = saved_text(tmp_path, COMMENTED)
    content = io.loads(out).content
    triage = content.nodes["triage"]
    assert triage.role == "routes # tickets"  # type: ignore[attr-defined]
    assert "# part of the instructions" in triage.instructions  # type: ignore[attr-defined]
    assert [c.text for c in extract(COMMENTED).items] == [
        "# Team roster for support, owned by ops", "# display name", "# the entry point",
        "# cheap enough", "# what it does", "# inline", "# the end"]


def test_load_save_load_save_is_byte_identical_with_comments(tmp_path: Path) -> None:
    first = saved_text(tmp_path, COMMENTED)
    second = saved_text(tmp_path, first)
    assert second == first
    assert io.loads(first).content == io.loads(COMMENTED).content


def test_fmt_keeps_comments_and_then_finds_nothing_to_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "team.roster.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert main(["fmt", str(path)]) == 0
    assert "# the entry point" in path.read_text(encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 0
    assert "would reformat" not in capsys.readouterr().out


def test_fmt_drop_comments_removes_them_but_not_hash_signs_in_text(tmp_path: Path) -> None:
    path = tmp_path / "team.roster.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert main(["fmt", "--drop-comments", str(path)]) == 0
    out = path.read_text(encoding="utf-8")
    assert not has_comments(out)
    assert "routes # tickets" in out and "# part of the instructions" in out


def test_a_comment_whose_key_was_removed_moves_to_the_next_key_still_there(
    tmp_path: Path,
) -> None:
    text = COMMENTED.replace("    budget_usd: 2\n", "    # spend cap, agreed with finance\n"
                             "    budget_usd: 2\n")
    path = tmp_path / "team.roster.yaml"
    path.write_text(text, encoding="utf-8")
    content = io.load_roster(path).content
    triage = content.nodes["triage"]
    from dataclasses import replace

    content = replace(content, nodes={**content.nodes,
                                      "triage": replace(triage, budget_usd=None)})
    io.save_roster(content, path, keep_comments=True)
    out = path.read_text(encoding="utf-8")
    assert "budget_usd" not in out
    assert "  # spend cap, agreed with finance\n  other:" in out
    assert saved_text(tmp_path, out) == out


def test_a_comment_after_the_last_removed_key_goes_to_the_end(tmp_path: Path) -> None:
    source = "format: agent-roster\nversion: 1\nname: x\n# about the name\ndescription: d\n"
    canonical = io.SCHEMA_HEADER + "format: agent-roster\nversion: 1\nname: x\n"
    assert carry(source, canonical) == canonical + "# about the name\n"


def test_a_secret_written_in_a_comment_stops_the_save(planted: Path, anthropic_key: str
                                                       ) -> None:
    key = anthropic_key
    path = planted / "team.roster.yaml"  # holds the key on purpose: the leak check skips it
    path.write_text(COMMENTED.replace("# the end", f"# old key {key}"), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(SecretInRosterError):
        io.save_roster(io.load_roster(path).content, path, keep_comments=True)
    assert path.read_bytes() == before


def test_a_placement_that_would_change_the_data_is_refused() -> None:
    # A comment put at the end of a line that a quoted value continues past would
    # become part of the text: the writer never emits such lines, so one is made up.
    source = "format: agent-roster  # f\nversion: 1\n"
    canonical = 'format: "agent-roster\n  continued"\nversion: 1\n'
    with pytest.raises(CommentsLost):
        carry(source, canonical)


def test_a_save_that_does_not_ask_to_keep_comments_writes_none(tmp_path: Path) -> None:
    """An import or a new roster written over a file must not inherit its comments."""
    path = tmp_path / "team.roster.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    io.save_roster(io.load_roster(path).content, path)
    assert not has_comments(path.read_text(encoding="utf-8"))


def test_a_file_without_comments_is_saved_exactly_as_before(tmp_path: Path) -> None:
    text = (REPO / "tests" / "golden" / "v1" / "minimal.roster.yaml").read_text()
    assert not has_comments(text)
    assert saved_text(tmp_path, text) == io.dumps(io.loads(text).content)


def _commented_everywhere(canonical: str) -> str:
    """`canonical` with a comment before every key line and at the end of each."""
    key_lines = {line for line, _ in yaml_read.position_index(canonical).values()}
    out = []
    for number, line in enumerate(canonical.splitlines(keepends=True), start=1):
        if number in key_lines and number > 1:
            indent = re.match(r" *", line).group()  # type: ignore[union-attr]
            out.append(f"{indent}# before line {number}\n")
            line = line.rstrip("\n") + f"  # on line {number}\n"
        out.append(line)
    return "".join(out)


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.name)
def test_comments_on_every_key_of_real_rosters_survive_unchanged(path: Path) -> None:
    canonical = io.dumps(io.load_roster(path).content)
    commented = _commented_everywhere(canonical)
    assert io.loads(commented).content == io.loads(canonical).content
    assert carry(commented, canonical) == commented  # a fixed point: nothing moves


@pytest.mark.parametrize("path", ROSTERS, ids=lambda p: p.name)
def test_real_rosters_keep_saving_byte_identical(path: Path, tmp_path: Path) -> None:
    canonical = io.dumps(io.load_roster(path).content)
    commented = _commented_everywhere(canonical)
    once = saved_text(tmp_path, commented)
    assert once == commented
    assert saved_text(tmp_path, once) == once


def test_the_schema_header_is_never_carried_as_a_comment(tmp_path: Path) -> None:
    text = "# a note first\n" + io.SCHEMA_HEADER + "format: agent-roster\nversion: 1\n"
    out = saved_text(tmp_path, text)
    assert out.count("yaml-language-server") == 1
    assert out == io.SCHEMA_HEADER + "# a note first\nformat: agent-roster\nversion: 1\n"


@pytest.mark.parametrize("path", ROSTERS[:3], ids=lambda p: p.name)
def test_removing_any_node_keeps_every_comment_and_stays_stable(
    path: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    content = io.load_roster(path).content
    commented = _commented_everywhere(io.dumps(content))
    wanted = sorted(c.text for c in extract(commented).items)
    for node in list(content.nodes)[:6]:
        smaller = replace(content, nodes={k: v for k, v in content.nodes.items() if k != node})
        target = tmp_path / f"{node}.roster.yaml"
        target.write_text(commented, encoding="utf-8")
        io.save_roster(smaller, target, keep_comments=True)
        once = target.read_text(encoding="utf-8")
        assert sorted(c.text for c in extract(once).items) == wanted  # none lost
        assert io.loads(once).content == io.loads(io.dumps(smaller)).content
        io.save_roster(io.loads(once).content, target, keep_comments=True)
        assert target.read_text(encoding="utf-8") == once
