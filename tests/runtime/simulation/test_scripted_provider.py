"""The scripted provider plays callables that return turns, and derives missing usage."""

from __future__ import annotations

import asyncio

from runtime.engine.protocols import ModelRequest
from runtime.engine.providers.scripted import ScriptedProvider, Turn
from runtime.roster.costs import Usage


def _request(agent: str = "a", text: str = "x" * 400) -> ModelRequest:
    return ModelRequest(agent, "m", "", [{"role": "user", "content": text}], [], 100)


def test_a_callable_may_return_a_turn_that_is_played_like_a_queued_one() -> None:
    provider = ScriptedProvider({}, default=lambda request: [("tool", "t", {"q": 1})])
    response = asyncio.run(provider.create(_request()))
    assert response.stop_reason == "tool_use"
    assert response.tool_uses()[0]["name"] == "t"
    assert response.usage.input_tokens == 100  # 400 characters, four to a token


def test_counts_left_at_zero_are_derived_and_the_rest_kept() -> None:
    provider = ScriptedProvider({"a": [Turn([("text", "hi")], Usage(output_tokens=777))]})
    response = asyncio.run(provider.create(_request()))
    assert response.usage == Usage(input_tokens=100, output_tokens=777)


def test_chars_per_token_sets_the_derivation() -> None:
    provider = ScriptedProvider({}, chars_per_token=2)
    response = asyncio.run(provider.create(_request()))
    assert response.usage.input_tokens == 200
    assert response.text == "Done."
