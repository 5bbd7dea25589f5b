"""The loopback server's token bucket (`RateLimit`) and its request records (`Recorded`,
keys kept only as sha256 hashes). See tests/messages_server.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.messages_replies import sha256_hex

# --------------------------------------------------------------------------- rate limits


@dataclass
class RateLimit:
    """Token buckets like the API tiers: requests and output tokens per minute. Output is
    reserved from max_tokens when a request starts and the unused part refunded after."""

    rpm: float | None = None
    otpm: float | None = None
    retry_after_ms: bool = False  # also send retry-after-ms (the SDK prefers it)
    request_burst: float | None = None  # bucket sizes; default one minute's worth
    token_burst: float | None = None
    _requests: float = field(default=0.0, init=False)
    _tokens: float = field(default=0.0, init=False)
    _last: float = field(default=0.0, init=False)
    limited: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._requests = self._request_cap
        self._tokens = self._token_cap
        self._last = time.monotonic()

    @property
    def _request_cap(self) -> float:
        return self.request_burst or self.rpm or 0.0

    @property
    def _token_cap(self) -> float:
        return self.token_burst or self.otpm or 0.0

    def _refill(self) -> None:
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        if self.rpm:
            self._requests = min(self._request_cap, self._requests + elapsed * self.rpm / 60)
        if self.otpm:
            self._tokens = min(self._token_cap, self._tokens + elapsed * self.otpm / 60)

    def reserved_for(self, max_tokens: int) -> int:
        return min(max_tokens, int(self._token_cap)) if self.otpm else 0

    def admit(self, max_tokens: int) -> float | None:
        """None if admitted (and charged), else the seconds to wait."""
        self._refill()
        waits: list[float] = []
        if self.rpm and self._requests < 1:
            waits.append((1 - self._requests) * 60 / self.rpm)
        estimate = self.reserved_for(max_tokens)
        if self.otpm and self._tokens < estimate:
            waits.append((estimate - self._tokens) * 60 / self.otpm)
        if waits:
            self.limited += 1
            return max(waits)
        if self.rpm:
            self._requests -= 1
        self._tokens -= estimate
        return None

    def settle(self, reserved: int, used: int) -> None:
        if self.otpm:
            self._tokens = min(self._token_cap, self._tokens + reserved - used)


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; credentials only as "[Bearer ]sha256:<hex>"
    body: Any  # the parsed JSON body, or None when it was not JSON
    at: float

    @property
    def key_sha256(self) -> str | None:
        """The sha256 of the key the request authenticated with (x-api-key or Bearer)."""
        value = credential(self.headers)
        return value.removeprefix("sha256:") if value else None


_SECRET_HEADERS = ("x-api-key", "authorization", "proxy-authorization")


def _hashed(value: str) -> str:
    """"sha256:<hex>" of a credential, keeping an auth scheme: "Bearer sha256:<hex>"."""
    scheme, _, credential = value.partition(" ")
    if credential and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} sha256:{sha256_hex(credential)}"
    return f"sha256:{sha256_hex(value)}"


def credential(headers: dict[str, str]) -> str | None:
    """The API key of a request: the x-api-key header, else a Bearer token (anthropic 2.x
    sends `api_key` as `Authorization: Bearer <key>`)."""
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


