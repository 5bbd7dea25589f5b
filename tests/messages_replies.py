"""What the loopback Messages-API server answers: content blocks (`text`, `tool_use`,
`thinking`), replies (`Msg`, `Fail`, `Reset`, `Cut`, `StreamError`, `Malformed`) and the
`Script` that queues them per model or per agent. See tests/messages_server.py."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]
Block = dict[str, Any]

ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
    403: "permission_error", 404: "not_found_error", 413: "request_too_large",
    429: "rate_limit_error", 500: "api_error", 503: "api_error", 504: "timeout_error",
    529: "overloaded_error",
}
_RAW_INPUT = "__raw_input__"  # marks a tool_use whose input is sent as raw, unparsed text


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- content helpers


def text(words: str) -> Block:
    return {"type": "text", "text": words}


_tool_ids = itertools.count(1)


def tool_use(name: str, input: dict[str, Any] | None = None, *, raw_input: str | None = None,
             id: str | None = None) -> Block:
    """A tool_use block; `raw_input` sends this text as the input instead (streamed as the
    partial_json deltas, or as a JSON string in a non-streaming reply), e.g. invalid JSON."""
    block: Block = {"type": "tool_use", "id": id or f"toolu_{next(_tool_ids):024d}",
                    "name": name, "input": input if input is not None else {}}
    if raw_input is not None:
        block[_RAW_INPUT] = raw_input
    return block


def thinking(thought: str, signature: str = "sig-EqQBCkYIARgCIkA") -> Block:
    return {"type": "thinking", "thinking": thought, "signature": signature}


# --------------------------------------------------------------------------- replies


@dataclass
class Reply:
    delay_s: float = field(default=0.0, kw_only=True)  # wait this long before answering


@dataclass
class Msg(Reply):
    """A normal message. Usage left as None is estimated (about four characters a token)."""

    content: list[Block] | str = "Done."
    stop_reason: str | None = None  # None: tool_use if any tool_use block, else end_turn
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    model: str | None = None  # None: echo the requested model

    def blocks(self) -> list[Block]:
        return [text(self.content)] if isinstance(self.content, str) else list(self.content)


@dataclass
class Fail(Reply):
    """An API error: status, error type (default by status), message and extra headers."""

    status: int = 500
    type: str | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None  # a raw body instead of the standard error object


@dataclass
class Reset(Reply):
    """Close the connection without sending a response."""


@dataclass
class Cut(Reply):
    """Send part of `message` and drop the connection: in a stream, after `after_events`
    whole events plus half of the next (or, with `clean`, end the body properly right after
    the whole events, so message_stop never comes); without streaming, half the body."""

    message: Msg = field(default_factory=Msg)
    after_events: int = 3
    clean: bool = False  # streaming: end the body properly after the whole events instead


@dataclass
class StreamError(Reply):
    """Streaming: a 200 whose stream carries `after_events` events of `message`, then an
    `event: error` (as the API does when it overloads mid-answer). Without streaming, the
    plain error status."""

    message: Msg = field(default_factory=Msg)
    after_events: int = 3
    type: str = "overloaded_error"
    status: int = 529  # used when the request does not stream

    def error_event(self) -> bytes:
        return _sse("error", {"type": "error", "error": {"type": self.type,
                                                         "message": "Overloaded"}})


@dataclass
class Malformed(Reply):
    """A 200 whose body (or, streaming, whose first event's data) is not JSON."""

    body: bytes = b'{"id": "msg_01", "type": "message", "content": [{"type": "te'


ReplyLike = Reply | str
Handler = Callable[[dict[str, Any]], ReplyLike | None]


class Script:
    """Where replies come from, in order: `handler(body)` if set and it returns a reply, the
    first non-empty queue whose system-prompt substring matches, the model's queue, the
    catch-all queue, then `default`."""

    def __init__(self) -> None:
        self.handler: Handler | None = None
        self.default: ReplyLike = Msg("Done.")
        self._by_system: list[tuple[str, deque[ReplyLike]]] = []
        self._by_model: dict[str, deque[ReplyLike]] = {}
        self._any: deque[ReplyLike] = deque()
        self._lock = threading.Lock()

    def push(self, *replies: ReplyLike, model: str | None = None,
             system_contains: str | None = None) -> Script:
        with self._lock:
            if system_contains is not None:
                for needle, queue in self._by_system:
                    if needle == system_contains:
                        queue.extend(replies)
                        break
                else:
                    self._by_system.append((system_contains, deque(replies)))
            elif model is not None:
                self._by_model.setdefault(model, deque()).extend(replies)
            else:
                self._any.extend(replies)
        return self

    def remaining(self) -> int:
        with self._lock:
            return (len(self._any) + sum(len(q) for q in self._by_model.values())
                    + sum(len(q) for _, q in self._by_system))

    def next(self, body: dict[str, Any]) -> Reply:
        if self.handler is not None:
            chosen = self.handler(body)
            if chosen is not None:
                return _as_reply(chosen)
        system = body.get("system")
        system_text = system if isinstance(system, str) else json.dumps(system or "")
        with self._lock:
            for needle, queue in self._by_system:
                if queue and needle in system_text:
                    return _as_reply(queue.popleft())
            queue = self._by_model.get(str(body.get("model")))
            if queue:
                return _as_reply(queue.popleft())
            if self._any:
                return _as_reply(self._any.popleft())
        return _as_reply(self.default)


def _as_reply(reply: ReplyLike) -> Reply:
    return Msg(reply) if isinstance(reply, str) else reply

def _sse(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()
