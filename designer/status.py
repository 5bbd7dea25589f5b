"""The status bar: problem counts, estimated cost per run, node counts, zoom and hints."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from runtime.roster import effective as eff
from runtime.roster import model as m
from runtime.roster.catalog import Catalog
from runtime.roster.checks.base import Finding, Severity
from runtime.roster.codec import RosterContent
from runtime.roster.costs import format_usd, typical_run_cost
from runtime.roster.summary import Summary

FLASH_MS = 6000


class StatusSummary:
    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.hint = QLabel()
        self.problems = QLabel("no roster")
        self.cost = QLabel()
        self.counts = QLabel()
        self.zoom = QLabel("100%")
        self.spend = QLabel()  # a live run's spend against its budget (hidden when idle)
        self.spend.setObjectName("run-spend")
        self.spend.hide()
        bar.addWidget(self.hint, 1)
        for widget in (self.spend, self.counts, self.cost, self.problems, self.zoom):
            bar.addPermanentWidget(widget)

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)

    def flash(self, text: str) -> None:
        self.bar.showMessage(text, FLASH_MS)

    def set_zoom(self, zoom: float) -> None:
        self.zoom.setText(f"{zoom * 100:.0f}%")

    def set_findings(self, findings: list[Finding]) -> None:
        errors = sum(1 for f in findings if f.blocking)
        warnings = sum(1 for f in findings
                       if f.severity is Severity.WARNING and not f.acknowledged)
        colour = "#dc2626" if errors else ("#d97706" if warnings else "#16a34a")
        text = f"{errors} error(s), {warnings} warning(s)" if findings else "no problems"
        self.problems.setText(f"<span style='color:{colour}'>● {text}</span>")

    def set_cost(self, content: RosterContent, catalog: Catalog) -> None:
        agents = []
        unknown = 0
        for node in content.nodes.values():
            if not isinstance(node, m.Agent):
                continue
            info = catalog.get(eff.agent_model(node, content.meta) or "")
            if info is None:
                unknown += 1
                continue
            agents.append((info, eff.agent_max_turns(node, content.meta),
                           eff.agent_max_tokens(node, content.meta)))
        text = f"≈ {format_usd(typical_run_cost(agents))} per run"
        if unknown:
            text += f" (+{unknown} agent(s) without a known model)"
        self.cost.setText(text)
        self.cost.setToolTip("A typical run: every agent takes part once, half its turns at "
                             "most 6, 3,000 prompt tokens (half cached) and 600 output tokens per "
                             "turn, at catalog prices. Forecasts refine this.")

    def set_spend(self, spent_usd: float | None, budget_usd: float | None = None,
                  state: str = "running") -> None:
        """Show a run's spend so far against its budget; None hides it. Amber past 80 % of
        the budget, red past it."""
        if spent_usd is None:
            self.spend.hide()
            return
        text = f"run {state}: {format_usd(spent_usd)}"
        colour = "#2563eb"
        if budget_usd:
            share = spent_usd / budget_usd
            text += f" of {format_usd(budget_usd)} ({share:.0%})"
            colour = "#dc2626" if share >= 1 else ("#d97706" if share >= 0.8 else colour)
        self.spend.setText(f"<span style='color:{colour}'>● {text}</span>")
        self.spend.setToolTip("Spend of the current or last run from the designer, at catalog "
                              "prices, against the run's budget")
        self.spend.show()

    def set_counts(self, summary: Summary) -> None:
        self.counts.setText(f"{summary.agents} agents · {summary.tools} tools · "
                            f"{summary.humans} humans")
