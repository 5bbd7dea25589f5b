"""Specification of the cost estimator: exact call costs, bounds for budgets, and formatting."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.roster.catalog import ModelInfo, Prices, load_catalog
from runtime.roster.costs import (
    Usage,
    call_cost,
    estimate_agent_run_cost,
    format_usd,
    max_call_cost,
    min_call_cost,
)

CATALOG = load_catalog()
MILLION = 1_000_000


def _model(model_id: str) -> ModelInfo:
    model = CATALOG.get(model_id)
    assert model is not None, model_id
    return model


# A made-up model with round prices and a long-context band, so the arithmetic
# below reads on its own and does not move when the shipped prices do.
BANDED = ModelInfo(
    id="claude-test-banded",
    name="Test",
    family="haiku",
    tier=1,
    context_window=1_000_000,
    max_output_tokens=100_000,
    prices=Prices(input=1.0, output=10.0, cache_write_5m=2.0, cache_write_1h=3.0, cache_read=0.5),
    long_context_prices=Prices(
        input=5.0, output=50.0, cache_write_5m=10.0, cache_write_1h=15.0, cache_read=2.5
    ),
    long_context_threshold=100_000,
    deprecated=False,
    aliases=(),
    forced_tool_choice=True,
    thinking_always_on=False,
)


# ---- call_cost ------------------------------------------------------------------


def test_a_million_input_and_a_million_output_tokens_on_sonnet_5_5_cost_12_dollars() -> None:
    usage = Usage(input_tokens=MILLION, output_tokens=MILLION)
    assert call_cost(_model("claude-sonnet-5-5"), usage) == 12.00


def test_an_empty_call_costs_nothing() -> None:
    assert call_cost(_model("claude-opus-5-5"), Usage()) == 0.0


def test_each_kind_of_token_is_billed_at_its_own_rate() -> None:
    usage = Usage(
        input_tokens=10_000,
        output_tokens=1_000,
        cache_write_5m_tokens=20_000,
        cache_write_1h_tokens=30_000,
        cache_read_tokens=40_000,
    )
    expected = (10_000 * 1.0 + 1_000 * 10.0 + 20_000 * 2.0 + 30_000 * 3.0 + 40_000 * 0.5) / MILLION
    assert call_cost(BANDED, usage) == pytest.approx(expected)


def test_cache_reads_are_billed_at_the_cache_read_rate_not_the_input_rate() -> None:
    opus = _model("claude-opus-5-5")
    cost = call_cost(opus, Usage(cache_read_tokens=MILLION))
    assert cost == pytest.approx(opus.prices.cache_read)
    assert cost < call_cost(opus, Usage(input_tokens=MILLION))


def test_a_prompt_at_the_threshold_is_billed_at_the_base_band() -> None:
    usage = Usage(input_tokens=60_000, cache_read_tokens=40_000, output_tokens=1_000)
    expected = (60_000 * 1.0 + 40_000 * 0.5 + 1_000 * 10.0) / MILLION
    assert call_cost(BANDED, usage) == pytest.approx(expected)


def test_a_prompt_over_the_threshold_bills_the_whole_request_at_the_long_band() -> None:
    usage = Usage(input_tokens=60_000, cache_read_tokens=40_001, output_tokens=1_000)
    expected = (60_000 * 5.0 + 40_001 * 2.5 + 1_000 * 50.0) / MILLION
    assert call_cost(BANDED, usage) == pytest.approx(expected)


def test_haiku_5_5_switches_band_above_100k_prompt_tokens() -> None:
    haiku = _model("claude-haiku-5-5")
    assert call_cost(haiku, Usage(input_tokens=100_000)) == pytest.approx(0.01)
    assert call_cost(haiku, Usage(input_tokens=100_001)) == pytest.approx(100_001 * 0.50 / MILLION)
    assert call_cost(haiku, Usage(input_tokens=50_000, cache_write_5m_tokens=50_001)) == (
        pytest.approx((50_000 * 0.50 + 50_001 * 0.625) / MILLION)
    )


def test_usage_rejects_negative_token_counts() -> None:
    with pytest.raises(ValueError, match="output_tokens"):
        Usage(output_tokens=-1)


# ---- bounds ----------------------------------------------------------------------


@st.composite
def _call_within_limits(draw: st.DrawFn) -> tuple[ModelInfo, int, int, Usage]:
    model = draw(st.sampled_from([*CATALOG.models(), BANDED]))
    max_output = draw(st.integers(0, model.max_output_tokens))
    max_input = draw(st.integers(0, model.context_window))
    remaining = draw(st.integers(0, max_input))
    parts = []
    for _ in range(3):
        part = draw(st.integers(0, remaining))
        parts.append(part)
        remaining -= part
    parts.append(remaining)
    first, second, third, fourth = draw(st.permutations(parts))
    usage = Usage(first, draw(st.integers(0, max_output)), second, third, fourth)
    return model, max_output, max_input, usage


@settings(suppress_health_check=[HealthCheck.too_slow])  # slow draws on a loaded CI box
@given(_call_within_limits())
def test_max_call_cost_is_never_below_a_call_within_its_limits(
    case: tuple[ModelInfo, int, int, Usage],
) -> None:
    model, max_output, max_input, usage = case
    bound = max_call_cost(model, max_output, max_input)
    assert call_cost(model, usage) <= bound * (1 + 1e-12) + 1e-12


def test_max_call_cost_defaults_the_prompt_to_the_rest_of_the_context_window() -> None:
    opus = _model("claude-opus-5-5")
    assert max_call_cost(opus, 28_000) == max_call_cost(opus, 28_000, 972_000)


def test_max_call_cost_assumes_the_dearest_prompt_rate() -> None:
    expected = (100_000 * 3.0 + 1_000 * 10.0) / MILLION  # 1-h cache writes, base band
    assert max_call_cost(BANDED, 1_000, 100_000) == pytest.approx(expected)


def test_min_call_cost_is_a_short_uncached_call() -> None:
    sonnet = _model("claude-sonnet-5-5")
    assert min_call_cost(sonnet) == pytest.approx((1_000 * 2.0 + 100 * 10.0) / MILLION)
    assert min_call_cost(sonnet) < max_call_cost(sonnet, 100, 1_000)


# ---- runs ------------------------------------------------------------------------


def test_an_agent_run_costs_its_turns_times_one_turn() -> None:
    one = call_cost(BANDED, Usage(input_tokens=5_000, output_tokens=500))
    assert estimate_agent_run_cost(BANDED, 4, 5_000, 500) == pytest.approx(4 * one)


def test_the_cached_fraction_of_a_run_is_billed_as_cache_reads() -> None:
    cached = estimate_agent_run_cost(BANDED, 1, 10_000, 0, cached_fraction=0.75)
    assert cached == pytest.approx((2_500 * 1.0 + 7_500 * 0.5) / MILLION)


def test_a_cached_fraction_outside_0_to_1_is_rejected() -> None:
    with pytest.raises(ValueError, match="cached_fraction"):
        estimate_agent_run_cost(BANDED, 1, 1_000, 100, cached_fraction=1.5)


# ---- formatting --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0.0, "$0.00"),
        (0.0042, "$0.0042"),
        (0.00004249, "$0.000042"),
        (0.0000001, "<$0.000001"),
        (0.01, "$0.01"),
        (0.005, "$0.0050"),  # sub-cent amounts never read as a cent
        (0.0052, "$0.0052"),
        (0.00999, "$0.00999"),
        (0.0099999999, "$0.009999"),
        (0.0000999, "$0.0000999"),
        (-0.0052, "-$0.0052"),
        (0.0149, "$0.01"),
        (1.234, "$1.23"),
        (12.0, "$12.00"),
        (1234.56, "$1,234.56"),
        (1_234_567.891, "$1,234,567.89"),
        (-2.5, "-$2.50"),
    ],
)
def test_format_usd(amount: float, text: str) -> None:
    assert format_usd(amount) == text


def test_format_usd_never_rounds_a_sub_cent_amount_up_to_a_cent() -> None:
    for step in range(1, 10_000):
        amount = step * 1e-6
        shown = format_usd(amount)
        assert float(shown.removeprefix("$")) < 0.01, (amount, shown)
        assert abs(float(shown.removeprefix("$")) - amount) <= amount * 0.05, (amount, shown)


def test_format_usd_rejects_non_finite_amounts() -> None:
    with pytest.raises(ValueError):
        format_usd(float("nan"))
