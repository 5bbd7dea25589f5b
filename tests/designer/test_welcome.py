"""The welcome page describes each template from its header, as a full load would."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from designer.panels.welcome import WelcomePage, _describe, read_header
from runtime.resources import resource
from runtime.roster.io import load_roster

SHIPPED = sorted(p for folder in ("templates", "samples")
                 for p in resource(folder).glob("*.roster.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_each_shipped_roster_is_described_as_its_full_load_says(path: Path) -> None:
    meta = load_roster(path).content.meta
    lines = meta.description.strip().splitlines()
    assert _describe(path) == (meta.name or path.name, lines[0] if lines else "")


def test_the_page_lists_every_template_and_sample_with_its_name(qtbot) -> None:
    page = WelcomePage()
    qtbot.addWidget(page)
    shown = [page.templates.item(i).text() for i in range(page.templates.count())]
    shown += [page.samples.item(i).text() for i in range(page.samples.count())]
    assert len(shown) == len(SHIPPED)
    assert all("\n" in text and not text.endswith("(cannot be read)") for text in shown)


def test_the_header_is_read_in_flow_style_past_nested_values() -> None:
    text = ('{format: agent-roster, tools: {a: {name: x}}, agents: [1, {name: y}], '
            'name: "Flow", description: "first\\nsecond"}')
    assert read_header(text) == {"name": "Flow", "description": "first\nsecond"}


def test_nested_names_aliases_and_complex_keys_are_not_taken_for_the_header() -> None:
    assert read_header("x: &a {name: n}\ny: *a\nname: ok\n") == {"name": "ok"}
    assert read_header("? [complex, key]\n: value\nname: N\ndescription: D\n") == {
        "name": "N", "description": "D"}
    assert read_header("a: [1, 2]\nname: [not, a, string]\n") == {}
    assert read_header("- a list\n- name\n") == {}


def test_reading_stops_once_name_and_description_are_found() -> None:
    """A syntax error after the header does not stop the page (opening shows it)."""
    assert read_header("name: N\ndescription: D\nagents: [unclosed\n") == {
        "name": "N", "description": "D"}


def test_a_broken_header_or_unreadable_file_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(yaml.YAMLError):
        read_header("name: [unclosed\n")
    broken = tmp_path / "broken.roster.yaml"
    broken.write_text("name: [unclosed\n")
    assert _describe(broken) == ("broken.roster.yaml", "(cannot be read)")
    binary = tmp_path / "binary.roster.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    assert _describe(binary) == ("binary.roster.yaml", "(cannot be read)")
    assert _describe(tmp_path / "missing.roster.yaml")[1] == "(cannot be read)"
