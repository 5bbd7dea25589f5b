"""Spending caps can never be switched off by a bad number, and a call-count cap says calls.

NaN compares false with everything: a NaN cap made `Ledger.reserve` let every call
through (`amount > nan` is False), and `min(nan, policy cap)` is NaN too. So every
entry point refuses a cap that is not a finite number of at least 0: the command-line
`--max-usd` of `roster run` and `roster submit`, `RunSpec`, and the `Ledger` itself
(the roster loader refuses `.nan`/`.inf`/negative budgets: see tests/fixtures/bad).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from runtime.cli.main import main
from runtime.engine.budget import BudgetExceeded, CallCapReached, Ledger, check_cap
from runtime.engine.executor import RunSpec

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"
SAMPLE = SAMPLES / "support-triage.roster.yaml"
BAD_CAPS = [math.nan, math.inf, -math.inf, -0.01, -5.0]


@pytest.mark.parametrize("cap", BAD_CAPS, ids=repr)
def test_a_ledger_refuses_a_run_cap_that_is_not_a_finite_amount_of_zero_or_more(
    cap: float,
) -> None:
    with pytest.raises(ValueError, match="finite number of US dollars, 0 or more"):
        Ledger(cap)


@pytest.mark.parametrize("cap", BAD_CAPS, ids=repr)
def test_a_ledger_refuses_such_an_agent_cap_and_names_the_agent(cap: float) -> None:
    with pytest.raises(ValueError, match="agent 'triage'"):
        Ledger(None, {"triage": cap})


def test_a_cap_of_text_or_true_is_refused_too() -> None:
    with pytest.raises(ValueError, match="number of US dollars"):
        check_cap("5", "cap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="number of US dollars"):
        check_cap(True, "cap")


def test_a_zero_cap_is_allowed_and_refuses_any_paid_call() -> None:
    ledger = Ledger(0.0, {"a": None})
    with pytest.raises(BudgetExceeded, match="run budget exhausted"):
        ledger.reserve("a", 0.001)


def test_no_cap_means_no_limit() -> None:
    ledger = Ledger(None, {"a": None})
    assert ledger.reserve("a", 1e9) == 1e9


@pytest.mark.parametrize("cap", BAD_CAPS, ids=repr)
def test_a_run_spec_refuses_a_bad_max_usd(cap: float) -> None:
    with pytest.raises(ValueError, match=r"RunSpec\.max_usd"):
        RunSpec(task="x", roster_path=str(SAMPLE), max_usd=cap)


@pytest.mark.parametrize("command", ["run", "submit"])
@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "-1", "1e999", "five"])
def test_the_command_line_refuses_a_max_usd_that_would_not_cap_and_says_what_it_takes(
    command: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, str(SAMPLE), "a task", f"--max-usd={text}"]
    if command == "submit":
        argv += ["--db", str(tmp_path / "runs.db")]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--max-usd" in err
    assert "finite amount of US dollars, 0 or more" in err
    assert not (tmp_path / "runs.db").exists()  # nothing was queued


def test_the_command_line_takes_zero_and_fractions() -> None:
    from runtime.engine.budget import usd_cap_arg

    assert usd_cap_arg("0") == 0.0
    assert usd_cap_arg("0.50") == 0.5


def test_the_model_call_cap_speaks_of_calls_not_dollars() -> None:
    error = CallCapReached(40)
    assert str(error) == "model-call cap reached: 40 of 40 calls used"
    assert "$" not in str(error)
    assert isinstance(error, BudgetExceeded)  # the engine's limit path still ends the run
    assert error.scope == "model-call"


def test_a_run_stopped_by_its_model_call_cap_says_calls_not_dollars(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """support-triage caps a run at 40 model calls; the adversarial delegation loop hits it."""
    main(["simulate", str(SAMPLE), "--generate", "adversarial"])
    out = capsys.readouterr().out
    assert "model-call cap reached: 40 of 40 calls used" in out
    assert "model-call budget exhausted" not in out
