"""Shared fixtures for the governance-rule tests: a clean base roster and helpers.

`base_roster_yaml()` is a small but complete roster (an entry orchestrator
delegating to a quarantined web researcher and a billing specialist whose
payments grant is gated by a human) on which EVERY registered rule reports
nothing. Rule tests mutate it minimally, with `mutate()` or by editing the
text, and assert the exact set of codes that fire, so a rule that starts
firing on unrelated changes shows up as a failure in someone else's test.
Keep the base clean: if a new rule fires on it, fix the base here (and only
here), not by weakening the rule.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from runtime.roster.checks.base import Finding
from runtime.roster.checks.engine import check_roster
from runtime.roster.io import loads

_BASE = """\
format: agent-roster
version: 1
name: Governance base
description: A clean roster every rule test starts from.
entry: [lead]
defaults:
  model: claude-sonnet-5-5
  max_turns: 8
  max_tokens_per_call: 2048
  timeout_s: 300
  budget_usd: 0.5
  max_parallel_delegations: 1
  clearance: internal
policy:
  budget_usd_per_run: 5.0
  allowed_models: [claude-haiku-5-5, claude-sonnet-5-5, claude-opus-5-5]
  max_model_calls_per_run: 100
  max_delegation_depth: 3
  max_parallel_agents: 4
  unattended: deny
providers:
  anthropic:
    api_key: keyring:agent-roster/anthropic
audit:
  sink: journal
  redact: true
agents:
  lead:
    name: Lead
    role: Breaks customer requests down and hands research and billing work to specialists.
    instructions: |
      Split the customer's request into research questions and billing actions.
      Send research questions to the researcher and billing actions to the billing agent.
    tasks: [plan the work, assign research, assign billing actions]
    max_parallel_delegations: 2
    delegates_to: [researcher, billing]
    escalates_to: [ops-lead]
  researcher:
    name: Researcher
    role: Reads public product documentation on the web and answers with a verdict.
    model: claude-haiku-5-5
    instructions: |
      Fetch the relevant documentation pages and answer with a verdict and the sources.
    tasks: [read product documentation on the web]
    output:
      schema:
        type: object
        properties:
          verdict: {type: string, enum: [supported, unsupported, unclear]}
          sources: {type: array, items: {type: string, format: uri}}
        required: [verdict]
        additionalProperties: false
    uses:
      web-fetch: {mode: read, approval: allow, purpose: read the product documentation}
    escalates_to: [ops-lead]
  billing:
    name: Billing agent
    role: Checks order records and issues refunds within policy.
    instructions: |
      Look the order up in the order records. Refund at most the order total.
      Every refund needs the operations lead's approval.
    tasks: [check order records, issue refunds]
    clearance: confidential
    output:
      schema:
        type: object
        properties:
          refund_usd: {type: number, minimum: 0}
          decision: {type: string, enum: [refunded, declined, escalated]}
        required: [decision]
    uses:
      order-files: {mode: read, approval: allow, purpose: look up the order}
      payments: {mode: write, approval: ask, purpose: issue the refund}
    escalates_to: [ops-lead]
tools:
  web-fetch:
    name: Documentation fetch
    kind: http_fetch
    description: Fetches pages from the public documentation site.
    capabilities: [untrusted_input, external_comm]
    risk: medium
    data: public
    vetted: true
    network: allowlist
    audit: true
    config: {allow_domains: [docs.example.com], max_bytes: 2000000, timeout_s: 20}
  order-files:
    name: Order records
    kind: fs_read
    description: Reads order records exported by the shop.
    capabilities: [reads_private_data]
    risk: low
    data: confidential
    vetted: true
    fs_roots: [/srv/data/orders]
    network: none
  payments:
    name: Payments
    kind: mcp
    description: Creates a refund on an order.
    server: payments-mcp
    tool: create_refund
    # no external_comm: the input schema (an order-id pattern, a bounded amount) cannot
    # carry free text out. With it, flipping ask -> allow would fire R31 next to R06.
    capabilities: [financial, irreversible, state_change]
    risk: critical
    data: confidential
    vetted: true
    modes: [write]
    credential: keyring:agent-roster/payments
    audit: true
    input_schema:
      type: object
      properties:
        order_id: {type: string, pattern: "^O[0-9]{8}$"}
        amount_usd: {type: number, minimum: 0, maximum: 500}
      required: [order_id, amount_usd]
mcp_servers:
  payments-mcp:
    name: Payments server
    command: /opt/payments-mcp/bin/payments-mcp
    args: [--version-pin, 2.4.1]
    env: {PAYMENTS_TOKEN: "keyring:agent-roster/payments"}
    trust: trusted
    tools_sha256: 9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a
humans:
  ops-lead:
    name: Operations lead
    role: Approves every refund and answers escalations from the agents.
    timeout_s: 3600
    on_timeout: deny
    max_requests_per_run: 40
layout:
  lead: {x: 0, y: 0}
  researcher: {x: -200, y: 160}
  billing: {x: 200, y: 160}
  web-fetch: {x: -200, y: 320}
  order-files: {x: 120, y: 320}
  payments: {x: 280, y: 320}
  payments-mcp: {x: 280, y: 480}
  ops-lead: {x: 0, y: -160}
"""


def base_roster_yaml() -> str:
    """The clean base roster as YAML text (zero findings from every rule)."""
    return _BASE


def base_data() -> dict[str, Any]:
    """The base roster as plain Python data, a fresh copy each call."""
    return copy.deepcopy(yaml.safe_load(_BASE))


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def mutate(change: Callable[[dict[str, Any]], object]) -> str:
    """YAML text of the base after `change` edited its data in place."""
    data = base_data()
    change(data)
    return dump(data)


def findings_for(yaml_text: str) -> list[Finding]:
    """Every finding of a full check of the roster in `yaml_text`."""
    return check_roster(loads(yaml_text).content)


def codes(yaml_text: str) -> set[str]:
    """The set of rule codes that fire on the roster in `yaml_text`."""
    return {f.rule for f in findings_for(yaml_text)}


@pytest.fixture
def base() -> str:
    return base_roster_yaml()
