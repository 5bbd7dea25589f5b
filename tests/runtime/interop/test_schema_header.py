"""Files the project writes name the JSON Schema for editors; files without it still load."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.roster import io
from runtime.roster.schema import SCHEMA_ID

OLD_STYLE = "format: agent-roster\nversion: 1\nname: Old\nagents:\n  a: {role: helper}\n"


def test_the_header_names_the_schema_id_of_the_shipped_schema() -> None:
    shipped = Path(__file__).resolve().parents[3] / "resources" / "schema" / "roster.schema.json"
    assert json.loads(shipped.read_text())["$id"] == SCHEMA_ID
    assert io.SCHEMA_HEADER == f"# yaml-language-server: $schema={SCHEMA_ID}\n"


def test_a_file_without_the_header_loads_and_the_first_save_adds_it(tmp_path: Path) -> None:
    path = tmp_path / "old.roster.yaml"
    path.write_text(OLD_STYLE)
    content = io.load_roster(path).content
    io.save_roster(content, path)
    text = path.read_text()
    assert text == io.SCHEMA_HEADER + OLD_STYLE.replace(" {role: helper}", "\n    role: helper")
    assert io.load_roster(path).content == content


def test_exports_and_dumps_carry_the_header() -> None:
    content = io.loads(OLD_STYLE).content
    assert io.dumps(content).startswith(io.SCHEMA_HEADER)
    assert io.guarded_bytes(io.to_data(content), "x").decode().startswith(io.SCHEMA_HEADER)
