"""The per-step shortcuts of the in-memory path compute exactly what they replace.

Each shortcut is held against the general code it stands in for: the per-agent
price arithmetic against `costs.max_call_cost`/`call_cost` (bit for bit), the
prompt-size count against `len(str(...))`, the faster frozen-dataclass
`__init__` against the dataclass-generated one, and the fan-out join against
`asyncio.gather`'s failure and cancellation semantics.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from runtime.engine import events as ev
from runtime.engine.fanout import run_all
from runtime.engine.fastinit import fast_init
from runtime.engine.pricing import CallPricing
from runtime.engine.promptsize import content_chars, results_chars
from runtime.engine.protocols import ModelRequest, ModelResponse, ToolResult, ToolSpec
from runtime.roster.catalog import ModelInfo, Prices, load_catalog
from runtime.roster.costs import Usage, call_cost, max_call_cost

# ------------------------------------------------------------------ pricing

LONG = ModelInfo("long-test", "Long", "test", 1, 1_000_000, 64_000,
                 Prices(3.0, 15.0, 3.75, 6.0, 0.3), Prices(6.0, 22.5, 7.5, 12.0, 0.6),
                 200_000, False, (), False, False)


def _models() -> list[ModelInfo]:
    return [*load_catalog().models(), LONG]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.id)
def test_reservation_equals_max_call_cost_bit_for_bit(model: ModelInfo) -> None:
    rng = random.Random(model.id)
    for max_tokens in (0, 1, 256, 4096, 64_000):
        pricing = CallPricing(model, max_tokens)
        sizes = [0, 1, 2, 3, 599_999, 600_000, 600_001, 600_003]
        sizes += [rng.randrange(0, 5_000_000) for _ in range(200)]
        for chars in sizes:
            expected = max_call_cost(model, max_tokens, max_input_tokens=chars // 3 + 2000)
            assert pricing.reserve(chars) == expected, (max_tokens, chars)


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.id)
def test_settled_cost_equals_call_cost_bit_for_bit(model: ModelInfo) -> None:
    rng = random.Random(model.id)
    pricing = CallPricing(model, 256)
    for _ in range(300):
        usage = Usage(*(rng.choice((0, rng.randrange(0, 300_000))) for _ in range(5)))
        assert pricing.cost(usage) == call_cost(model, usage), usage
    edge = Usage(input_tokens=200_000), Usage(input_tokens=200_001),
    for usage in (*edge, Usage(cache_read_tokens=200_001)):
        assert pricing.cost(usage) == call_cost(model, usage)


def test_a_max_tokens_the_fast_path_cannot_vouch_for_fails_like_max_call_cost() -> None:
    model = load_catalog().models()[0]
    for bad in (-1, True, 2.5):
        with pytest.raises(ValueError, match="max_output_tokens"):
            CallPricing(model, bad).reserve(100)  # type: ignore[arg-type]


# ------------------------------------------------------------------ prompt size

def _text(rng: random.Random) -> str:
    alphabet = "abc XYZ 019 \n\t'\"\\é€😀\x00\x7f"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))


def _block(rng: random.Random) -> Any:
    kind = rng.randrange(9)
    if kind <= 3:
        return {"type": "text", "text": _text(rng)}
    if kind == 4:
        return {"type": "tool_use", "id": f"toolu_{rng.randrange(999)}", "name": "agent__x",
                "input": {"task": _text(rng), "n": rng.randrange(5), "ok": True, "l": [1, "2"]}}
    if kind == 5:
        return {"text": _text(rng), "type": "text"}  # keys in the other order
    if kind == 6:
        return {"type": "text", "text": rng.choice((None, 3, ["x"], {"a": "b"}))}
    if kind == 7:
        return {"type": "text", "text": _text(rng), "citations": None}

    class Loud(dict[str, Any]):
        def __repr__(self) -> str:
            return "LOUD"
    return Loud(type="text", text=_text(rng))


def test_content_chars_equals_the_length_of_its_str() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        content = [_block(rng) for _ in range(rng.randrange(0, 6))]
        assert content_chars(content) == len(str(content)), content
    for other in ("plain text", (), {"type": "text"}, None):
        assert content_chars(other) == len(str(other))


def test_results_chars_equals_the_length_of_the_tool_results_str() -> None:
    rng = random.Random(11)
    for _ in range(2_000):
        n = rng.randrange(1, 6)
        uses = [{"id": rng.choice((f"toolu_{rng.randrange(99)}", _text(rng), 12))}
                for _ in range(n)]
        results = [ToolResult(_text(rng), rng.random() < 0.5) for _ in range(n)]
        answers = [{"type": "tool_result", "tool_use_id": u["id"], "content": r.content,
                    "is_error": r.is_error} for u, r in zip(uses, results, strict=True)]
        assert results_chars(uses, results) == len(str(answers))


# ------------------------------------------------------------------ fast_init

def _twins() -> tuple[type, type]:
    def make() -> type:
        @dataclass(frozen=True, slots=True, kw_only=True)
        class Base:
            run_id: str
            seq: int = 0

        @dataclass(frozen=True, slots=True)
        class Thing(Base):
            name: str
            tags: list[str] = field(default_factory=list)
            size: int = field(default=3, kw_only=True)
        return Thing
    return make(), fast_init(make())


def test_fast_init_keeps_the_dataclass_signature_and_semantics() -> None:
    plain, fast = _twins()

    def shape(cls: type) -> list[tuple[str, Any, Any]]:
        params = inspect.signature(cls).parameters.values()
        return [(p.name, p.kind, "factory" if p.name == "tags" else p.default) for p in params]

    assert shape(fast) == shape(plain)
    assert [(p.name, p.default is inspect.Parameter.empty)  # positional first, as dataclass
            for p in inspect.signature(fast).parameters.values()] == [
        ("name", True), ("tags", False), ("run_id", True), ("seq", False), ("size", False)]
    a, b = plain("n", run_id="r"), fast("n", run_id="r")
    assert dataclasses.astuple(a) == dataclasses.astuple(b) == ("r", 0, "n", [], 3)
    assert fast("n", run_id="r").tags is not fast("n", run_id="r").tags  # a fresh list each
    assert fast("n", ["t"], run_id="r", seq=2, size=9) == fast("n", ["t"], run_id="r", seq=2,
                                                              size=9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.name = "other"
    for call in (lambda: fast(run_id="r"), lambda: fast("n"), lambda: fast("n", [], 1)):
        with pytest.raises(TypeError):
            call()
    assert dataclasses.replace(b, name="m").name == "m"


def test_fast_init_runs_post_init_and_refuses_what_it_cannot_handle() -> None:
    seen: list[int] = []

    @fast_init
    @dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            seen.append(self.x)

    Checked(4)
    assert seen == [4]

    @dataclass(slots=True)
    class Mutable:
        x: int

    with pytest.raises(TypeError, match="frozen"):
        fast_init(Mutable)


def test_the_engines_step_objects_are_built_by_fast_init_with_their_fields() -> None:
    usage = Usage(1, 2)
    request = ModelRequest("a", "m", "s", [], [], 5)
    assert request.metadata == {} and request.max_tokens == 5
    response = ModelResponse([{"type": "text", "text": "hi"}], "end_turn", usage, "m")
    assert (response.text, response.retries) == ("hi", 0)
    assert ToolResult("x") == ToolResult("x", False)
    assert ToolSpec("n", "d", {}).as_param() == {"name": "n", "description": "d",
                                                 "input_schema": {}}
    event = ev.ModelCalled(run_id="r", agent="a", frame="a", model="m", turn=1, usage=usage,
                           cost_usd=0.5, stop_reason="end_turn", duration_s=0.1)
    assert (event.seq, event.at, event.text, event.retries) == (0, 0.0, "", 0)
    with pytest.raises(TypeError):
        ev.ModelCalled("r")  # type: ignore[misc]  # keyword-only, as before


# ------------------------------------------------------------------ fan-out join

def test_run_all_returns_results_in_order() -> None:
    async def after(delay: float, value: int) -> int:
        await asyncio.sleep(delay)
        return value

    got = asyncio.run(run_all([after(0.03, 1), after(0.0, 2), after(0.01, 3)]))
    assert got == [1, 2, 3]


def test_run_all_raises_the_first_failure_at_once_and_stops_the_others() -> None:
    cancelled: list[str] = []

    async def slow(name: str) -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return name

    async def fails() -> str:
        await asyncio.sleep(0.01)
        raise KeyError("boom")

    async def main() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(KeyError):
            await run_all([slow("a"), fails(), slow("b")])
        return loop.time() - started

    assert asyncio.run(main()) < 1.0
    assert sorted(cancelled) == ["a", "b"]


def test_a_cancelled_job_or_a_cancelled_caller_cancels_every_job() -> None:
    async def main() -> tuple[list[bool], list[bool]]:
        async def sleeper() -> None:
            await asyncio.sleep(10)

        async def cancels_itself() -> None:
            await asyncio.sleep(0.01)
            raise asyncio.CancelledError

        jobs: list[asyncio.Task[Any]] = []
        real = asyncio.get_running_loop().create_task

        def spy(coro: Any, **kw: Any) -> asyncio.Task[Any]:
            task = real(coro, **kw)
            jobs.append(task)
            return task

        loop = asyncio.get_running_loop()
        loop.create_task = spy  # type: ignore[method-assign]
        try:
            with pytest.raises(asyncio.CancelledError):
                await run_all([sleeper(), cancels_itself()])
            first = [job.done() for job in jobs]
            jobs.clear()
            caller = real(run_all([sleeper(), sleeper()]))
            await asyncio.sleep(0.01)
            caller.cancel()
            with pytest.raises(asyncio.CancelledError):
                await caller
            return first, [job.cancelled() for job in jobs]
        finally:
            del loop.create_task  # type: ignore[method-assign]

    first, second = asyncio.run(main())
    assert first == [True, True] and second == [True, True]
