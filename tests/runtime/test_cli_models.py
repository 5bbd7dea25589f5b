"""`roster models`: the catalog a roster may name, as R24's fix promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.cli.models import context_label
from runtime.roster.catalog import load_catalog

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


def test_models_lists_current_models_with_tier_prices_context_and_aliases(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    catalog = load_catalog()
    current = [m for m in catalog.models() if not m.deprecated]
    deprecated = [m for m in catalog.models() if m.deprecated]
    assert out.splitlines()[0].split() == ["MODEL", "NAME", "TIER", "INPUT/M", "OUTPUT/M",
                                           "CONTEXT", "ALIASES"]
    for info in current:
        row = next(line for line in out.splitlines() if line.startswith(info.id + " "))
        assert info.name in row and info.tier_name in row
        assert f"${info.prices.input:.2f}" in row and f"${info.prices.output:.2f}" in row
        assert context_label(info.context_window) in row
        for alias in info.aliases:
            assert alias in row
    for info in deprecated:
        assert not any(line.startswith(info.id + " ") for line in out.splitlines())
    assert f"{len(deprecated)} deprecated model(s) hidden, --all shows them" in out


def test_models_all_marks_deprecated_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for info in load_catalog().models():
        row = next(line for line in lines if line.startswith(info.id + " "))
        assert ("(deprecated)" in row) is info.deprecated


@pytest.mark.parametrize("extra", [[], ["--all"]])
def test_models_json_is_the_catalog(extra: list[str], capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    assert main(["models", "--json", *extra]) == 0
    data = json.loads(capsys.readouterr().out)
    catalog = load_catalog()
    expected = [m for m in catalog.models() if extra or not m.deprecated]
    assert data["as_of"] == catalog.as_of and data["currency"] == "USD"
    assert [m["id"] for m in data["models"]] == [m.id for m in expected]
    first, info = data["models"][0], expected[0]
    assert first["prices"]["input"] == info.prices.input
    assert first["tier_name"] == info.tier_name
    assert first["aliases"] == list(info.aliases)
    assert first["context_window"] == info.context_window


def test_every_alias_a_roster_may_use_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    main(["models", "--all", "--json"])
    listed = {a for m in json.loads(capsys.readouterr().out)["models"] for a in m["aliases"]}
    catalog = load_catalog()
    assert listed == {a for m in catalog.models() for a in m.aliases}


@pytest.mark.parametrize(("tokens", "text"), [
    (1_000_000, "1M"), (200_000, "200K"), (123_456, "123,456"), (2_000_000, "2M")])
def test_context_windows_read_like_the_vendor_writes_them(tokens: int, text: str) -> None:
    assert context_label(tokens) == text


def test_models_for_a_roster_lists_only_what_its_policy_allows(
        capsys: pytest.CaptureFixture[str]) -> None:
    roster = SAMPLES / "support-triage.roster.yaml"
    assert main(["models", "--roster", str(roster), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["allowed_models"] == ["claude-haiku-5-5", "claude-sonnet-5-5"]
    assert [m["id"] for m in data["models"]] == ["claude-sonnet-5-5", "claude-haiku-5-5"]
    assert main(["models", "--roster", str(roster)]) == 0
    out = capsys.readouterr().out
    assert "claude-opus-5-5" not in out
    assert f"Models {roster} allows (policy.allowed_models)." in out


def test_models_for_a_roster_without_an_allowlist_lists_the_catalog(
        capsys: pytest.CaptureFixture[str]) -> None:
    roster = SAMPLES / "governance-vacuum.roster.yaml"
    assert main(["models", "--roster", str(roster)]) == 0
    out = capsys.readouterr().out
    assert "any (no policy.allowed_models)" in out
    assert all(m.id in out for m in load_catalog().models() if not m.deprecated)


def test_models_for_an_unreadable_roster_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--roster", "/nonexistent/x.roster.yaml"]) == 2
    assert "file not found" in capsys.readouterr().err
