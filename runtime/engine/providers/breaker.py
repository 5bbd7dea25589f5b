"""A per-model circuit breaker, so a roster never hot-loops on an overloaded model.

Each model call that fails with a retryable `ProviderError` (overload, rate
limit, 5xx, connection loss or timeout, all after the SDK's own retries) is a
failure; any answer from the API, including a client error, is a success and
clears the count. After `threshold` failures in a row within `window_s`
seconds the breaker opens for that model: for `cooldown_s` seconds every call
fails at once with a retryable `ProviderError("model overloaded: pausing ...")`
and no request is sent (the error is marked `overloaded`, with the time left as its
retry-after, so the engine pauses and asks whether to wait). When the cool-down
ends the breaker is half-open: calls go through again, a success closes it and
a failure opens it again straight away. The clock is injectable so tests need not wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from runtime.engine.protocols import ProviderError

OVERLOADED_MESSAGE = "model overloaded: pausing"


@dataclass
class _State:
    failures: list[float] = field(default_factory=list)  # times of consecutive failures
    open_until: float | None = None
    half_open: bool = False


class CircuitBreaker:
    def __init__(self, threshold: int = 3, window_s: float = 60.0, cooldown_s: float = 30.0,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._states: dict[str, _State] = {}
        self.rejected = 0  # calls refused while open

    def is_open(self, key: str) -> bool:
        state = self._states.get(key)
        return bool(state and state.open_until is not None and self._clock() < state.open_until)

    def before_call(self, key: str) -> None:
        """Raise a retryable `ProviderError` without calling out while the breaker is open."""
        state = self._states.get(key)
        if state is None or state.open_until is None:
            return
        now = self._clock()
        if now < state.open_until:
            self.rejected += 1
            raise ProviderError(
                f"{OVERLOADED_MESSAGE} calls to {key} for {state.open_until - now:.0f} s after "
                f"{len(state.failures)} failed calls in a row; retry later or switch the model",
                status=None, retryable=True, overloaded=True,
                retry_after_s=state.open_until - now)
        state.open_until = None
        state.half_open = True

    def record_success(self, key: str) -> None:
        self._states.pop(key, None)

    def record_failure(self, key: str) -> None:
        now = self._clock()
        state = self._states.setdefault(key, _State())
        state.failures = [t for t in state.failures if now - t <= self.window_s]
        state.failures.append(now)
        if state.half_open or len(state.failures) >= self.threshold:
            state.open_until = now + self.cooldown_s
            state.half_open = False
