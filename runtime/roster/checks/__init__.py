"""Governance checks: the rule registry, the rules, and the engine that runs them."""
