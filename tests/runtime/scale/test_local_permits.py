"""Per-model queues on the desktop (issue #4): on the local SQLite database, model calls of
a throttled model go through its DBOS queue, and its concurrency holds."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runtime.engine import dbos_support
from runtime.engine.protocols import ModelRequest, ModelResponse
from runtime.roster.costs import Usage
from runtime.scale.limits import ModelLimit
from runtime.scale.permits import GatedProvider, ensure_queues


class Counting:
    """A provider that records how many of its calls overlap."""

    def __init__(self) -> None:
        self.now = self.most = self.calls = 0

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.now += 1
        self.calls += 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.1)
        self.now -= 1
        return ModelResponse([{"type": "text", "text": "ok"}], "end_turn", Usage(1, 1),
                             request.model)


async def host(run_id: str) -> str:
    return "unused"


def request(model: str) -> ModelRequest:
    return ModelRequest("a", model, "", [{"role": "user", "content": "hi"}], [], 16)


def test_a_models_concurrency_limit_holds_for_calls_made_at_once(tmp_path: Path) -> None:
    async def scenario() -> tuple[Counting, Counting]:
        url = dbos_support.journal_url(str(tmp_path / "runs.db"))
        dbos_support.launch(dbos_support.system_database_url(url), "local-test", host)
        try:
            await dbos_support.open_queue()
            limit = ModelLimit("roster-model-claude-haiku-5-5", None, 60.0, 2)
            await ensure_queues({"claude-haiku-5-5": limit})
            throttled, free = Counting(), Counting()
            gated = GatedProvider(throttled, {"claude-haiku-5-5": limit})
            other = GatedProvider(free, {"claude-haiku-5-5": limit})
            await asyncio.wait_for(asyncio.gather(
                *(gated.create(request("claude-haiku-5-5")) for _ in range(6)),
                *(other.create(request("claude-sonnet-5")) for _ in range(6))), 60)
            return throttled, free
        finally:
            await dbos_support.shutdown()

    throttled, free = asyncio.run(scenario())
    assert throttled.calls == 6 and throttled.most == 2
    assert free.calls == 6 and free.most == 6  # a model without limits is not queued
