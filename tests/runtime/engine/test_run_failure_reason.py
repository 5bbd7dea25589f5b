"""Why a run failed reads the same in its RunFinished event as in the journal: an
expected problem (the user's to fix) by its message alone, a crash with its class name."""

from __future__ import annotations

import asyncio

import pytest

from runtime.engine import events as ev
from runtime.engine.approvals import DenyChannel
from runtime.engine.failures import RunSetupError
from runtime.engine.protocols import ModelRequest, ModelResponse
from runtime.engine.run import Run, RunConfig
from runtime.roster.io import loads

ROSTER = """\
format: agent-roster
version: 1
name: One
entry: [solo]
defaults: {model: claude-haiku-5-5, max_turns: 2, max_tokens_per_call: 256, budget_usd: 1}
agents:
  solo: {name: Solo, role: Answers., instructions: Answer.}
"""


class Raising:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def create(self, request: ModelRequest) -> ModelResponse:
        raise self.exc


def finished_with(exc: Exception) -> ev.RunFinished:
    heard: list[ev.EngineEvent] = []
    the_run = Run(loads(ROSTER).content, RunConfig(task="go"), Raising(exc), {},
                  DenyChannel(), listeners=(heard.append,))
    asyncio.run(the_run.execute())
    (done,) = [e for e in heard if isinstance(e, ev.RunFinished)]
    return done


@pytest.mark.parametrize("exc, reason", [
    (RunSetupError("no Anthropic key on this machine: run `roster keys set anthropic`"),
     "no Anthropic key on this machine: run `roster keys set anthropic`"),
    (ValueError("unexpected shape"), "ValueError: unexpected shape"),
])
def test_the_failure_reason_names_the_class_only_for_a_crash(exc: Exception,
                                                             reason: str) -> None:
    done = finished_with(exc)
    assert done.status == "failed"
    assert done.error == reason
