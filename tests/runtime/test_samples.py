"""The shipped samples and templates: they load, they are canonical, and they check as designed.

content-studio, support-triage and every template must check clean (zero
findings); governance-vacuum is the deliberately bad example and must trip many
distinct rules, at least one of them an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.roster import io
from runtime.roster import model as m
from runtime.roster.catalog import load_catalog
from runtime.roster.checks.base import Severity
from runtime.roster.checks.engine import check_roster
from runtime.roster.effective import agent_model

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
TEMPLATES = ROOT / "resources" / "templates"

SAMPLE_FILES = sorted(SAMPLES.glob("*.roster.yaml"))
TEMPLATE_FILES = sorted(TEMPLATES.glob("*.roster.yaml"))
ALL_FILES = SAMPLE_FILES + TEMPLATE_FILES
CLEAN_FILES = [
    SAMPLES / "content-studio.roster.yaml",
    SAMPLES / "support-triage.roster.yaml",
    *TEMPLATE_FILES,
]
VACUUM = SAMPLES / "governance-vacuum.roster.yaml"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _load(path: Path) -> io.LoadedRoster:
    return io.load_roster(path)


def _agents(loaded: io.LoadedRoster) -> list[m.Agent]:
    return [n for n in loaded.content.nodes.values() if isinstance(n, m.Agent)]


def test_expected_files_are_shipped() -> None:
    names = {p.name for p in SAMPLE_FILES}
    assert {"content-studio.roster.yaml", "support-triage.roster.yaml",
            "governance-vacuum.roster.yaml"} <= names
    assert {p.name for p in TEMPLATE_FILES} >= {
        "blank.roster.yaml", "support-triage.roster.yaml", "research-team.roster.yaml",
    }


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_loads(path: Path) -> None:
    loaded = _load(path)
    assert not loaded.migrated
    assert loaded.content.meta.name
    assert loaded.content.meta.entry
    assert _agents(loaded)


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_is_canonical(path: Path) -> None:
    loaded = _load(path)
    assert io.dumps(loaded.content).encode("utf-8") == path.read_bytes(), (
        f"{path.name} is not in canonical form; rewrite it with runtime.roster.io.dumps"
    )


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_holds_no_secret(path: Path) -> None:
    loaded = _load(path)
    assert io.guarded_bytes(io.to_data(loaded.content), path.name) == path.read_bytes()


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_every_node_has_a_position(path: Path) -> None:
    content = _load(path).content
    assert set(content.nodes) <= set(content.layout)


@pytest.mark.parametrize("path", CLEAN_FILES, ids=_id)
def test_checks_clean(path: Path) -> None:
    findings = check_roster(_load(path).content)
    assert findings == [], "\n".join(
        f"{f.rule} {f.severity} {f.subject}: {f.message}" for f in findings
    )


def test_content_studio_shape() -> None:
    loaded = _load(SAMPLES / "content-studio.roster.yaml")
    meta = loaded.content.meta
    agents = _agents(loaded)
    assert len(agents) == 14
    assert meta.entry == ("manager",)
    catalog = load_catalog()
    tiers = {}
    for agent in agents:
        model_id = agent_model(agent, meta)
        assert model_id is not None
        info = catalog.get(model_id)
        assert info is not None, f"{agent.id}: {model_id} is not in the catalog"
        assert not info.deprecated
        tiers[agent.id] = info.tier
    assert tiers["manager"] == max(tiers.values())
    assert sum(1 for tier in tiers.values() if tier < tiers["manager"]) == 13
    delegates = {e.target for e in loaded.content.edges.values()
                 if e.kind is m.EdgeKind.DELEGATION and e.source == "manager"}
    assert delegates == {a.id for a in agents} - {"manager"}


def test_governance_vacuum_trips_many_rules() -> None:
    findings = check_roster(_load(VACUUM).content)
    codes = {f.rule for f in findings}
    assert len(codes) >= 10, sorted(codes)
    assert any(f.severity is Severity.ERROR for f in findings)


def test_governance_vacuum_explains_itself() -> None:
    meta = _load(VACUUM).content.meta
    assert "DELIBERATELY BAD EXAMPLE" in meta.description
