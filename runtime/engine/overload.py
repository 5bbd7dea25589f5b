"""Overload and rate-limit handling above the provider's retries.

Two things live here, both SDK-free so the engine core can use them:

- `RETRY_NOTICE`, a context variable through which a provider reports each
  wait before one of its own retries (`RetryWait`). The engine sets it around
  every model call, so the wait becomes a `ModelRetrying` event of the right
  agent instead of a silent sleep; the provider caps the wait (a server asking
  for ten minutes does not stall a run unseen).
- The pause policy for a call that is still overloaded (529, or the circuit
  breaker open) or rate-limited (429) after all retries: the run pauses and
  asks a human, through the run's approval channel (so the CLI prompt, the
  designer and the durable mailbox all answer it), whether to wait and try
  again or stop the agent. Unattended runs stop at once. Each pause needs a
  human's "yes", so there is never a hot loop, and `MAX_PAUSES` bounds one call.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from runtime.engine.protocols import ProviderError

DEFAULT_WAIT_S = 30.0  # when neither the server nor the breaker said how long
MAX_WAIT_S = 300.0  # the longest single pause the run offers
MAX_PAUSES = 10  # pauses for one model call before the agent stops anyway
OPERATOR = "operator"  # who is asked when the agent has no escalation human


@dataclass(frozen=True, slots=True)
class RetryWait:
    """One wait of the provider before a retry."""

    attempt: int  # the retry about to be made, 1-based
    status: int | None  # HTTP status that caused it; None for connection errors/timeouts
    wait_s: float  # what is waited
    asked_s: float | None  # what the server asked for (retry-after), if anything
    capped: bool  # the server asked for more than the provider's cap


RETRY_NOTICE: ContextVar[Callable[[RetryWait], None] | None] = ContextVar(
    "roster_retry_notice", default=None)


def notify_retry(wait: RetryWait) -> None:
    """Tell whoever made the current model call that the provider is about to wait."""
    callback = RETRY_NOTICE.get()
    if callback is not None:
        callback(wait)


def is_overload(exc: BaseException) -> bool:
    """A failure that waiting may cure and that a human should decide about."""
    return isinstance(exc, ProviderError) and exc.retryable and (
        exc.overloaded or exc.status in (429, 529))


def pause_wait(exc: ProviderError) -> float:
    """How long to wait before trying again: what the server or breaker asked, else a
    default, never more than `MAX_WAIT_S`."""
    asked = exc.retry_after_s
    if asked is None or asked < 0:
        asked = DEFAULT_WAIT_S
    return min(asked, MAX_WAIT_S)


def pause_reason(model_id: str, exc: ProviderError, wait_s: float) -> str:
    what = "rate-limited" if exc.status == 429 else "overloaded"
    return (f"model {model_id} is {what} and the retries are used up ({exc}). "
            f"Approve to wait {wait_s:g} s and try again; deny to stop this agent.")


__all__ = ["DEFAULT_WAIT_S", "MAX_PAUSES", "MAX_WAIT_S", "OPERATOR", "RETRY_NOTICE",
           "RetryWait", "is_overload", "notify_retry", "pause_reason", "pause_wait"]
