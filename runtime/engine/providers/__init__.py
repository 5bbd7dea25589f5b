"""Model providers behind the engine's `Provider` protocol."""

from __future__ import annotations

import contextlib
import inspect

from runtime.engine.protocols import Provider


async def close_provider(provider: Provider) -> None:
    """Close what a provider holds open (the SDK's HTTP connection pool), if it holds
    anything: providers with an `aclose()` coroutine have one; the scripted provider and
    test doubles do not. A failure to close is not the run's failure, so it is swallowed."""
    aclose = getattr(provider, "aclose", None)
    if aclose is None:
        return
    with contextlib.suppress(Exception):
        result = aclose()
        if inspect.isawaitable(result):
            await result


__all__ = ["close_provider"]
