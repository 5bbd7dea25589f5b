"""Specification of the model catalog: the shipped data file and the strict loader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime.roster.catalog import (
    TIER_NAMES,
    Catalog,
    CatalogError,
    ModelInfo,
    default_catalog_path,
    load_catalog,
)

REQUIRED_IDS = (
    "claude-fable-5-2",
    "claude-fable-5-1",
    "claude-opus-5-5",
    "claude-sonnet-5-5",
    "claude-haiku-5-5",
    "claude-opus-5",
    "claude-sonnet-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-opus-4-5",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
)
CURRENT_IDS = REQUIRED_IDS[:5]
SHIPPED = load_catalog()
FAMILY_TIER = {"fable": 4, "opus": 3, "sonnet": 2, "haiku": 1}


def _model_entry(model_id: str = "claude-test-1", **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": model_id,
        "name": "Claude Test 1",
        "family": "sonnet",
        "tier": 2,
        "context_window": 200000,
        "max_output_tokens": 64000,
        "prices": {
            "input": 2.0,
            "output": 10.0,
            "cache_write_5m": 2.5,
            "cache_write_1h": 4.0,
            "cache_read": 0.2,
        },
        "deprecated": False,
        "aliases": [],
        "forced_tool_choice": True,
        "thinking_always_on": False,
        "source": "test",
    }
    entry.update(overrides)
    return entry


def _write_catalog(tmp_path: Path, *entries: dict[str, Any], **top: Any) -> Path:
    document: dict[str, Any] = {
        "as_of": "2026-11-25",
        "currency": "USD",
        "unit": "per_million_tokens",
        "models": list(entries) or [_model_entry()],
    }
    document.update(top)
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


# ---- the shipped catalog ----------------------------------------------------


def test_shipped_catalog_sits_at_the_default_path_and_loads() -> None:
    assert default_catalog_path().is_file()
    assert isinstance(SHIPPED, Catalog)
    assert SHIPPED.as_of == "2026-11-25"
    assert SHIPPED.currency == "USD"


def test_shipped_catalog_lists_the_whole_current_and_legacy_lineup() -> None:
    ids = [m.id for m in SHIPPED.models()]
    assert set(REQUIRED_IDS) <= set(ids)
    assert ids[: len(CURRENT_IDS)] == list(CURRENT_IDS), "file order is kept"


@pytest.mark.parametrize("model", SHIPPED.models(), ids=lambda m: m.id)
def test_every_shipped_model_has_positive_prices(model: ModelInfo) -> None:
    bands = [model.prices] + ([model.long_context_prices] if model.long_context_prices else [])
    for band in bands:
        assert band.input > 0 and band.output > 0
        assert band.cache_write_5m > 0 and band.cache_write_1h > 0 and band.cache_read > 0
        assert band.cache_read < band.input < band.output


@pytest.mark.parametrize("model", SHIPPED.models(), ids=lambda m: m.id)
def test_every_shipped_model_has_the_tier_of_its_family(model: ModelInfo) -> None:
    assert model.tier == FAMILY_TIER[model.family]
    assert model.tier_name == TIER_NAMES[model.tier]
    assert model.max_output_tokens <= model.context_window
    assert model.source


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [
        ("opus", "claude-opus-5-5"),
        ("sonnet", "claude-sonnet-5-5"),
        ("haiku", "claude-haiku-5-5"),
        ("fable", "claude-fable-5-2"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ],
)
def test_aliases_resolve_to_their_model(alias: str, model_id: str) -> None:
    assert SHIPPED.resolve_alias(alias) == model_id
    model = SHIPPED.get(alias)
    assert model is not None and model.id == model_id
    assert alias in SHIPPED


def test_an_id_resolves_to_itself() -> None:
    assert SHIPPED.resolve_alias("claude-opus-4-8") == "claude-opus-4-8"


def test_an_unknown_name_is_not_in_the_catalog() -> None:
    assert SHIPPED.get("gpt-6") is None
    assert SHIPPED.resolve_alias("gpt-6") is None
    assert "gpt-6" not in SHIPPED


def test_suggest_offers_the_id_a_typo_meant() -> None:
    assert SHIPPED.suggest("claude-sonet-5-5")[0] == "claude-sonnet-5-5"


def test_suggest_offers_nothing_for_an_unrelated_name() -> None:
    assert SHIPPED.suggest("gpt-6-turbo-preview") == []


def test_models_that_reject_forced_tool_use_are_marked() -> None:
    for model_id in ("claude-opus-5-5", "claude-fable-5-1", "claude-fable-5-2"):
        model = SHIPPED.get(model_id)
        assert model is not None
        assert model.forced_tool_choice is False
        assert model.thinking_always_on is True


def test_legacy_models_are_deprecated_and_current_ones_are_not() -> None:
    for model in SHIPPED.models():
        expected = model.id not in CURRENT_IDS
        assert model.deprecated is expected, model.id


def test_haiku_5_5_has_a_long_context_band_above_100k_tokens() -> None:
    haiku = SHIPPED.get("claude-haiku-5-5")
    assert haiku is not None and haiku.long_context_prices is not None
    assert haiku.long_context_threshold == 100_000
    assert haiku.long_context_prices.input > haiku.prices.input


def test_loading_is_cached_per_path() -> None:
    assert load_catalog() is load_catalog(default_catalog_path())


def test_runtime_catalog_and_costs_do_not_import_qt() -> None:
    code = (
        "import sys, runtime.roster.catalog, runtime.roster.costs;"
        "sys.exit('PySide6' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


# ---- broken catalogs ---------------------------------------------------------


def test_a_valid_catalog_file_loads(tmp_path: Path) -> None:
    catalog = load_catalog(_write_catalog(tmp_path, _model_entry(aliases=["tester"])))
    assert catalog.resolve_alias("tester") == "claude-test-1"


def test_a_missing_field_names_the_model_and_the_field(tmp_path: Path) -> None:
    entry = _model_entry("claude-broken-1")
    del entry["context_window"]
    path = _write_catalog(tmp_path, _model_entry(), entry)
    with pytest.raises(CatalogError, match=r"claude-broken-1.*'context_window'.*missing") as info:
        load_catalog(path)
    assert str(path) in str(info.value)


def test_a_wrongly_typed_price_names_the_model_and_the_field(tmp_path: Path) -> None:
    entry = _model_entry("claude-broken-2")
    entry["prices"]["output"] = "ten dollars"
    with pytest.raises(CatalogError, match=r"claude-broken-2.*'prices\.output'.*number"):
        load_catalog(_write_catalog(tmp_path, entry))


def test_a_tier_outside_1_to_4_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'tier'"):
        load_catalog(_write_catalog(tmp_path, _model_entry(tier=5)))


def test_a_boolean_field_must_be_a_yaml_boolean(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'deprecated'.*true or false"):
        load_catalog(_write_catalog(tmp_path, _model_entry(deprecated="no")))


def test_an_entry_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    entry = _model_entry()
    del entry["id"]
    with pytest.raises(CatalogError, match=r"models\[1\].*'id'.*missing"):
        load_catalog(_write_catalog(tmp_path, _model_entry(), entry))


def test_an_unknown_field_is_rejected_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"'contex_window'.*did you mean 'context_window'"):
        load_catalog(_write_catalog(tmp_path, _model_entry(contex_window=1)))


def test_an_unquoted_date_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    text = _write_catalog(tmp_path).read_text(encoding="utf-8")
    path.write_text(text.replace("as_of: '2026-11-25'", "as_of: 2026-11-25"), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"'as_of'.*quoted date"):
        load_catalog(path)


def test_an_alias_used_twice_is_rejected(tmp_path: Path) -> None:
    first = _model_entry("claude-a-1", aliases=["same"])
    second = _model_entry("claude-b-1", aliases=["same"])
    with pytest.raises(CatalogError, match=r"claude-b-1.*'same'.*claude-a-1"):
        load_catalog(_write_catalog(tmp_path, first, second))


def test_a_long_context_band_needs_a_threshold(tmp_path: Path) -> None:
    band = dict(_model_entry()["prices"])
    entry = _model_entry("claude-banded-1", long_context_prices=band)
    with pytest.raises(CatalogError, match=r"'long_context_prices\.threshold_tokens'.*missing"):
        load_catalog(_write_catalog(tmp_path, entry))


def test_a_file_that_is_not_yaml_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("models: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(path)


def test_a_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "absent.yaml")
