"""Execution: the agent loop, providers, tools, policy enforcement, approvals, journal."""
