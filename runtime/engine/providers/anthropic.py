"""The Anthropic provider: the engine's `Provider` protocol over `anthropic.AsyncAnthropic`.

The SDK is imported when a provider is built, never at module import, so the
designer does not pay for it at start-up. Each call sends model, max_tokens,
system, messages and tools only (never temperature, never tool_choice) and
returns the reply's content blocks as plain dicts exactly as the API sent them,
so thinking and tool_use blocks go back to the model unchanged; usage maps to
`Usage` (cache writes are 5-minute writes unless the per-TTL breakdown says 1
hour) and `retries` is the number of retries the SDK took. A call whose
max_tokens is too large for a non-streaming request is streamed. Streaming reads
the raw event stream and assembles the message itself, like the SDK's
accumulator but tolerant of a tool_use whose streamed input is not valid JSON:
that input is kept as the raw text, so the engine can refuse the call and tell
the model instead of losing the turn. Failures after the SDK's retries become
`ProviderError`: 401/403 say how to re-enter the key, other 4xx are final,
429, 408/409, 5xx, 529, connection loss, timeouts and cut streams are
retryable; 529 and 429 are also marked `overloaded`, with the server's
retry-after, so the engine can pause and ask whether to wait. A per-model
circuit breaker fails calls fast after repeated retryable failures. Every wait
of the SDK before a retry is capped at `max_retry_wait_s` (the SDK itself would
honour any retry-after, ten minutes included) and reported through
`overload.notify_retry`, which the engine turns into a `ModelRetrying` event.
The key is never put in a message: every error text is redacted with the key
and the secret scanner's patterns.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import time
from typing import TYPE_CHECKING, Any

from runtime.engine.overload import RetryWait, notify_retry
from runtime.engine.protocols import Block, ModelRequest, ModelResponse, ProviderError
from runtime.engine.providers.breaker import CircuitBreaker
from runtime.roster.costs import Usage
from runtime.secrets.scanner import redact

if TYPE_CHECKING:
    import httpx2
    from anthropic import APIStatusError, AsyncAnthropic
    from anthropic.types import Message, RawMessageStreamEvent

REENTER_KEY = "roster keys set anthropic"
INVALID_JSON_KEY = "INVALID_JSON"
"""Key under which a tool_use input that is not an object is sent back to the API (the
wrapping Anthropic's docs recommend for invalid streamed tool input)."""

# error.type of an `event: error` inside a 200 stream -> the status it stands for
_STATUS_BY_TYPE = {
    "invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
    "permission_error": 403, "not_found_error": 404, "request_too_large": 413,
    "rate_limit_error": 429, "api_error": 500, "timeout_error": 504, "overloaded_error": 529,
}
_RETRYABLE_4XX = frozenset({408, 409, 429})
_NEEDS_STREAMING = "Streaming is required"  # the SDK's ValueError for long non-streaming calls
MAX_RETRY_WAIT_S = 60.0  # the longest the SDK may sleep before one retry


class AnthropicProvider:
    def __init__(self, api_key: str, base_url: str | None = None, *, max_retries: int = 2,
                 timeout: float = 600.0, stream: bool = False,
                 http_client: httpx2.AsyncClient | None = None,
                 breaker: CircuitBreaker | None = None,
                 max_retry_wait_s: float = MAX_RETRY_WAIT_S) -> None:
        if not api_key:
            raise ProviderError(f"no Anthropic API key; store one with `{REENTER_KEY}`",
                                auth=True)
        import httpx2

        self._secrets = (api_key,)
        options: dict[str, Any] = {
            "api_key": api_key, "max_retries": max_retries,
            "timeout": httpx2.Timeout(timeout, connect=min(5.0, timeout)),
        }
        if base_url is not None:  # else the SDK's default, which honours ANTHROPIC_BASE_URL
            options["base_url"] = base_url
        if http_client is not None:
            options["http_client"] = http_client
        self._client: AsyncAnthropic = _client_class()(**options)
        self._client.max_retry_wait_s = max_retry_wait_s  # type: ignore[attr-defined]
        self.stream = stream
        self.breaker = breaker if breaker is not None else CircuitBreaker()

    def __repr__(self) -> str:
        return f"AnthropicProvider(base_url={str(self._client.base_url)!r}, stream={self.stream})"

    async def aclose(self) -> None:
        await self._client.close()

    # ------------------------------------------------------------------ the protocol

    async def create(self, request: ModelRequest) -> ModelResponse:
        self.breaker.before_call(request.model)
        try:
            response = await self._create(request)
        except ProviderError as exc:
            if exc.retryable:
                self.breaker.record_failure(request.model)
            else:
                self.breaker.record_success(request.model)  # the API answered
            raise
        self.breaker.record_success(request.model)
        return response

    async def count_tokens(self, request: ModelRequest) -> int:
        """Input tokens of `request` as the API counts them (`POST /v1/messages/count_tokens`)."""
        params = self._params(request)
        params.pop("max_tokens")
        try:
            counted = await self._client.messages.count_tokens(**params)
        except Exception as exc:
            raise self._error(exc) from None
        return int(counted.input_tokens)

    # ------------------------------------------------------------------ calls

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": request.model, "max_tokens": request.max_tokens,
                                  "messages": _wire_messages(request.messages)}
        if request.system:
            params["system"] = request.system
        if request.tools:
            params["tools"] = [tool.as_param() for tool in request.tools]
        return params

    async def _create(self, request: ModelRequest) -> ModelResponse:
        params = self._params(request)
        stream = self.stream
        try:
            if not stream:
                try:
                    raw = await self._client.messages.with_raw_response.create(**params)
                    return _response(await raw.parse(), raw.retries_taken)
                except ValueError as exc:  # the SDK refuses, before sending, a non-streaming
                    if not str(exc).startswith(_NEEDS_STREAMING):  # call that may pass 10 min
                        raise
                    stream = True
            raw = await self._client.messages.with_raw_response.create(**params, stream=True)
            events = await raw.parse()
            async with events:
                message = await _assemble(events)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._error(exc) from None
        return _response(message, raw.retries_taken)

    # ------------------------------------------------------------------ errors

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)

    def _error(self, exc: BaseException) -> ProviderError:
        import anthropic
        import httpx2

        if isinstance(exc, anthropic.APIStatusError):
            return self._status_error(exc)
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderError("the Anthropic API did not answer in time (timeout, after "
                                 f"{self._client.max_retries} retries)", retryable=True)
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderError(
                "could not reach the Anthropic API (connection failed or was reset, after "
                f"{self._client.max_retries} retries): {self._clean(_cause(exc))}",
                retryable=True)
        if isinstance(exc, httpx2.HTTPError):  # raised while reading a stream: no SDK retry
            return ProviderError("the response stream from the Anthropic API was cut: "
                                 f"{self._clean(str(exc) or type(exc).__name__)}",
                                 retryable=True)
        if isinstance(exc, anthropic.APIResponseValidationError | ValueError):
            return ProviderError("the Anthropic API sent a reply that could not be read "
                                 f"({type(exc).__name__}): {self._clean(str(exc))[:300]}",
                                 retryable=True)
        return ProviderError(f"the Anthropic call failed: {type(exc).__name__}: "
                             f"{self._clean(str(exc))[:300]}")

    def _status_error(self, exc: APIStatusError) -> ProviderError:
        status = exc.status_code
        kind = getattr(exc, "type", None) or _body_field(exc.body, "type")
        if status < 400:  # an `event: error` inside a stream that began with 200
            status = _STATUS_BY_TYPE.get(str(kind), 500)
        detail = self._clean(str(getattr(exc, "api_message", None)
                                 or _body_field(exc.body, "message") or exc.message))[:500]
        label = f"{status} {kind}" if kind else str(status)
        if status == 401:
            return ProviderError(f"the Anthropic API rejected the API key ({label}: {detail}); "
                                 f"re-enter it with `{REENTER_KEY}`", status=status, auth=True)
        if status == 403:
            return ProviderError(f"the Anthropic API refused this key access ({label}: {detail});"
                                 " check the key's workspace and permissions or re-enter it "
                                 f"with `{REENTER_KEY}`", status=status, auth=True)
        retries = self._client.max_retries
        asked = retry_after(exc.response.headers) if status in (429, 529) else None
        if status == 529:
            return ProviderError(f"model overloaded ({label}) after {retries} retries: {detail}",
                                 status=status, retryable=True, overloaded=True,
                                 retry_after_s=asked)
        if status == 429:
            return ProviderError(f"rate limited by the Anthropic API ({label}) after {retries} "
                                 f"retries: {detail}", status=status, retryable=True,
                                 overloaded=True, retry_after_s=asked)
        if status >= 500 or status in _RETRYABLE_4XX:
            return ProviderError(f"the Anthropic API failed ({label}) after {retries} retries: "
                                 f"{detail}", status=status, retryable=True)
        return ProviderError(f"the Anthropic API refused the request ({label}): {detail}",
                             status=status)


# ---------------------------------------------------------------------- retries


def retry_after(headers: Any) -> float | None:
    """Seconds a response asked to wait (retry-after-ms, retry-after in seconds or as an HTTP
    date), or None when it did not say or said something unreadable."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            parsed = email.utils.parsedate_tz(value) if scale == 1.0 else None
            if parsed is None:
                continue
            seconds = email.utils.mktime_tz(parsed) - time.time()
        return seconds if seconds >= 0 else None
    return None


@functools.cache
def _client_class() -> type[AsyncAnthropic]:
    """`AsyncAnthropic` whose waits before a retry are capped and reported (built on first
    use: the SDK is imported lazily)."""
    import anthropic

    class CappedRetries(anthropic.AsyncAnthropic):
        max_retry_wait_s: float = MAX_RETRY_WAIT_S

        async def _sleep_for_retry(self, *, retries_taken: int, max_retries: int,
                                   options: Any, response: httpx2.Response | None) -> None:
            headers = response.headers if response is not None else None
            wanted = self._calculate_retry_timeout(max_retries - retries_taken, options,
                                                   headers)
            wait = min(wanted, self.max_retry_wait_s)
            notify_retry(RetryWait(retries_taken + 1,
                                   response.status_code if response is not None else None,
                                   wait, retry_after(headers), wanted > wait))
            await asyncio.sleep(wait)

    return CappedRetries


# ---------------------------------------------------------------------- conversions


def _body_field(body: object, name: str) -> Any:
    error = body.get("error") if isinstance(body, dict) else None
    return error.get(name) if isinstance(error, dict) else None


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)


def _wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history as the API accepts it: a tool_use input that is not an object (invalid
    JSON the model streamed) is sent as {"INVALID_JSON": text}; everything else verbatim."""
    out: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, list) and any(
                isinstance(b, dict) and b.get("type") == "tool_use"
                and not isinstance(b.get("input"), dict) for b in content):
            fixed = [({**b, "input": {INVALID_JSON_KEY: b.get("input") if isinstance(
                b.get("input"), str) else json.dumps(b.get("input"))}}
                if isinstance(b, dict) and b.get("type") == "tool_use"
                and not isinstance(b.get("input"), dict) else b) for b in content]
            message = {**message, "content": fixed}
        out.append(message)
    return out


def _block(block: Any) -> Block:
    data = block.to_dict(mode="json", exclude_none=True, warnings=False)
    return dict(data)


def _usage(usage: Any) -> Usage:
    created = int(getattr(usage, "cache_creation_input_tokens", None) or 0)
    breakdown = getattr(usage, "cache_creation", None)
    one_hour = int(getattr(breakdown, "ephemeral_1h_input_tokens", 0) or 0)
    five_min = int(getattr(breakdown, "ephemeral_5m_input_tokens", 0) or 0)
    if breakdown is None or one_hour + five_min == 0:
        five_min, one_hour = created, 0
    return Usage(input_tokens=int(usage.input_tokens or 0),
                 output_tokens=int(usage.output_tokens or 0),
                 cache_write_5m_tokens=five_min, cache_write_1h_tokens=one_hour,
                 cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", None) or 0))


def _response(message: Message, retries: int) -> ModelResponse:
    return ModelResponse(content=[_block(b) for b in message.content],
                         stop_reason=str(message.stop_reason or "end_turn"),
                         usage=_usage(message.usage), model=str(message.model),
                         retries=int(retries))


async def _assemble(events: Any) -> Message:
    """The final message of a raw event stream (message_start, content blocks, message_delta,
    message_stop). A tool_use input whose JSON does not parse is kept as the raw text."""
    from anthropic.types import (
        RawContentBlockDeltaEvent,
        RawContentBlockStartEvent,
        RawContentBlockStopEvent,
        RawMessageDeltaEvent,
        RawMessageStartEvent,
        RawMessageStopEvent,
    )

    message: Message | None = None
    buffers: dict[int, str] = {}
    finished = False
    event: RawMessageStreamEvent
    async for event in events:
        if isinstance(event, RawMessageStartEvent):
            message = event.message
            message.content = []
            continue
        if message is None:
            raise ProviderError(f"the response stream began with {event.type!r}, not "
                                "message_start", retryable=True)
        if isinstance(event, RawContentBlockStartEvent):
            message.content.append(event.content_block)
        elif isinstance(event, RawContentBlockDeltaEvent):
            _apply_delta(message.content[event.index], event.delta, buffers, event.index)
        elif isinstance(event, RawContentBlockStopEvent):
            if event.index in buffers:
                raw = buffers.pop(event.index)
                block: Any = message.content[event.index]
                try:
                    block.input = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    block.input = raw  # not JSON: the engine refuses it and tells the model
        elif isinstance(event, RawMessageDeltaEvent):
            message.stop_reason = event.delta.stop_reason
            message.stop_sequence = event.delta.stop_sequence
            usage, final = message.usage, event.usage
            usage.output_tokens = final.output_tokens
            if final.input_tokens is not None:
                usage.input_tokens = final.input_tokens
            if final.cache_creation_input_tokens is not None:
                usage.cache_creation_input_tokens = final.cache_creation_input_tokens
            if final.cache_read_input_tokens is not None:
                usage.cache_read_input_tokens = final.cache_read_input_tokens
        elif isinstance(event, RawMessageStopEvent):
            finished = True
    if message is None or not finished:
        raise ProviderError("the response stream from the Anthropic API ended before "
                            "message_stop", retryable=True)
    return message


def _apply_delta(block: Any, delta: Any, buffers: dict[int, str], index: int) -> None:
    kind = getattr(delta, "type", None)
    if kind == "text_delta":
        block.text = (getattr(block, "text", "") or "") + delta.text
    elif kind == "input_json_delta":
        buffers[index] = buffers.get(index, "") + delta.partial_json
    elif kind == "thinking_delta":
        block.thinking = (getattr(block, "thinking", "") or "") + delta.thinking
    elif kind == "signature_delta":
        block.signature = delta.signature
    elif kind == "citations_delta":
        block.citations = [*(getattr(block, "citations", None) or []), delta.citation]


__all__ = ["INVALID_JSON_KEY", "REENTER_KEY", "AnthropicProvider"]
