"""A loopback HTTP server that speaks enough of the Anthropic Messages API to test against.

`MessagesServer()` is a context manager that serves `POST /v1/messages` (JSON
replies, or server-sent events when the body says `"stream": true`, in the
exact event shapes of the real API: message_start, ping, content_block_start /
delta (text_delta, input_json_delta, thinking_delta, signature_delta) / stop,
message_delta with stop_reason and usage, message_stop) and
`POST /v1/messages/count_tokens` on 127.0.0.1 with an ephemeral port, from a
daemon thread, using only the standard library. Point the real SDK at
`.base_url`. Replies come from `.script`: queues of canned replies per model
or per agent (matched on the system prompt), an optional callable that sees
each request body first, and a default. A reply is a message (`Msg`), an API
error (`Fail`), a dropped connection (`Reset`), a response cut in the middle
(`Cut`), an `event: error` inside a stream (`StreamError`) or a body that is
not JSON (`Malformed`); any of them may wait first.
An optional token bucket (`RateLimit`) answers 429 with retry-after when
requests or output tokens per minute run out. Every request is recorded in
`.requests` with its JSON body and headers; the key (x-api-key, or the Bearer
token that anthropic 2.x sends instead) is kept only as a sha256 hash, never
as the key itself. Like the
real API, the server refuses (400) a tool_use whose input is not an object
and a tool_use without a tool_result in the next user turn.
"""

from __future__ import annotations

import itertools
import json
import math
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.messages_limits import _SECRET_HEADERS, RateLimit, Recorded, _hashed, credential
from tests.messages_replies import (
    _RAW_INPUT,
    ERROR_TYPES,
    Block,
    Cut,
    Fail,
    Malformed,
    Msg,
    Reply,
    ReplyLike,
    Reset,
    Script,
    StreamError,
    _sse,
    sha256_hex,
    text,
    thinking,
    tool_use,
)

__all__ = ["ERROR_TYPES", "Block", "Cut", "Fail", "Malformed", "MessagesServer", "Msg",
           "RateLimit", "Recorded", "Reply", "ReplyLike", "Reset", "Script", "StreamError",
           "credential", "sha256_hex", "text", "thinking", "tool_use"]


# --------------------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: MessagesServer


class MessagesServer:
    def __init__(self, *, rate_limit: RateLimit | None = None,
                 expect_key_sha256: str | None = None, validate: bool = True) -> None:
        self.script = Script()
        self.rate_limit = rate_limit
        self.expect_key_sha256 = expect_key_sha256
        self.validate = validate
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> MessagesServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="messages-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> MessagesServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # views
    @property
    def message_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/messages"]

    def bodies(self) -> list[Any]:
        return [r.body for r in self.message_requests]

    # internals used by the handler
    def _record(self, method: str, path: str, headers: dict[str, str], body: Any) -> None:
        shown = {k: (_hashed(v) if k in _SECRET_HEADERS else v) for k, v in headers.items()}
        with self._lock:
            self.requests.append(Recorded(method, path, shown, body, time.time()))

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):024d}"

    def _wait(self, seconds: float) -> bool:
        """Sleep, or return False at once when the server is shutting down."""
        return not self._stopping.wait(seconds) if seconds > 0 else True


def _error_body(status: int, kind: str | None, message: str | None, request_id: str) -> bytes:
    kind = kind or ERROR_TYPES.get(status, "api_error")
    return json.dumps({"type": "error", "error": {"type": kind, "message": message or kind},
                       "request_id": request_id}).encode()


def _estimate(value: Any) -> int:
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4)


def _invalid_request(body: Any) -> str | None:
    """What the real API would refuse with 400, for the mistakes a runtime can make."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return f"{name}: Field required"
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        uses = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        for block in uses:
            if not isinstance(block.get("input"), dict):
                return f"messages.{i}.content: tool_use.input: Input should be an object"
        if message.get("role") != "assistant" or not uses:
            continue
        following = messages[i + 1]["content"] if i + 1 < len(messages) else None
        if following is None:
            continue
        answered = {b.get("tool_use_id") for b in following if isinstance(b, dict)
                    and b.get("type") == "tool_result"} if isinstance(following, list) else set()
        missing = [b["id"] for b in uses if b.get("id") not in answered]
        if missing:
            return (f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}")
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm each response would
    # wait ~40 ms for a delayed ACK, which no real API does.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # ------------------------------------------------------------------ plumbing

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.send_header("request-id", self._request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _fail(self, status: int, message: str | None = None, kind: str | None = None,
              headers: dict[str, str] | None = None) -> None:
        self._send(status, _error_body(status, kind, message, self._request_id), headers)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset and no response at all."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # ------------------------------------------------------------------ requests

    def do_GET(self) -> None:
        self._request_id = self.server.owner._next_id("req")
        self._fail(404, "Not found", "not_found_error")

    def do_POST(self) -> None:
        owner = self.server.owner
        self._request_id = owner._next_id("req")
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        owner._record("POST", path, {k.lower(): v for k, v in self.headers.items()}, body)
        try:
            self._route(owner, path, body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self.close_connection = True

    def _route(self, owner: MessagesServer, path: str, body: Any) -> None:
        key = credential({k.lower(): v for k, v in self.headers.items()})
        if not key:
            return self._fail(401, "x-api-key header is required")
        if owner.expect_key_sha256 and sha256_hex(key) != owner.expect_key_sha256:
            return self._fail(401, "invalid x-api-key")
        if path == "/v1/messages/count_tokens":
            if not isinstance(body, dict) or "messages" not in body:
                return self._fail(400, "messages: Field required")
            counted = {k: body.get(k) for k in ("system", "messages", "tools")}
            return self._send(200, json.dumps({"input_tokens": _estimate(counted)}).encode())
        if path != "/v1/messages":
            return self._fail(404, f"Not found: {path}", "not_found_error")
        if owner.validate:
            problem = _invalid_request(body)
            if problem:
                return self._fail(400, problem)
        reply = owner.script.next(body)
        if reply.delay_s and not owner._wait(reply.delay_s):
            return self._reset()
        max_tokens = int(body.get("max_tokens") or 0) if isinstance(body, dict) else 0
        limit = owner.rate_limit
        reserved = 0
        if limit is not None:
            with owner._lock:
                refused = limit.admit(max_tokens)
                if refused is None:
                    reserved = limit.reserved_for(max_tokens)
            if refused is not None:
                wait = refused
                headers = {"retry-after": str(max(1, math.ceil(wait)))}
                if limit.retry_after_ms:
                    headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
                return self._fail(429, "Number of request tokens has exceeded your per-minute "
                                       "rate limit", headers=headers)
        stream = isinstance(body, dict) and body.get("stream") is True
        used = self._answer(reply, body, stream)
        if limit is not None:
            with owner._lock:
                limit.settle(reserved, used)

    def _answer(self, reply: Reply, body: dict[str, Any], stream: bool) -> int:
        """Send `reply`; returns the output tokens charged."""
        if isinstance(reply, Fail):
            if reply.body is not None:
                self._send(reply.status, reply.body, reply.headers)
            else:
                self._fail(reply.status, reply.message, reply.type, reply.headers)
            return 0
        if isinstance(reply, Reset):
            self._reset()
            return 0
        if isinstance(reply, StreamError):
            if not stream:
                self._fail(reply.status, kind=reply.type)
                return 0
            self._start_stream()
            for event in list(_events(self._message(reply.message, body),
                                      reply.message))[:reply.after_events]:
                self._chunk(event)
            self._chunk(reply.error_event())
            self._chunk(b"")
            return 0
        if isinstance(reply, Malformed):
            if stream:
                self._start_stream()
                self._chunk(b"event: message_start\ndata: " + reply.body + b"\n\n")
                self._chunk(b"")
            else:
                self._send(200, reply.body)
            return 0
        if isinstance(reply, Cut):
            message = self._message(reply.message, body)
            if stream:
                self._start_stream()
                events = list(_events(message, reply.message))
                for event in events[:reply.after_events]:
                    self._chunk(event)
                if reply.clean:
                    self._chunk(b"")
                    return 0
                if reply.after_events < len(events):
                    partial = events[reply.after_events]
                    self._chunk(partial[:max(1, len(partial) // 2)])
            else:
                data = json.dumps(message).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", self._request_id)
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
            self._reset()
            return 0
        assert isinstance(reply, Msg)
        message = self._message(reply, body)
        if stream:
            self._start_stream()
            for event in _events(message, reply):
                self._chunk(event)
            self._chunk(b"")
        else:
            self._send(200, json.dumps(message).encode())
        return int(message["usage"]["output_tokens"])

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", self._request_id)
        self.end_headers()

    def _message(self, reply: Msg, body: dict[str, Any]) -> dict[str, Any]:
        blocks = []
        for block in reply.blocks():
            block = dict(block)
            raw = block.pop(_RAW_INPUT, None)
            if raw is not None:
                block["input"] = raw
            blocks.append(block)
        uses = any(b.get("type") == "tool_use" for b in blocks)
        prompt = {k: body.get(k) for k in ("system", "messages", "tools")}
        usage = {
            "input_tokens": reply.input_tokens if reply.input_tokens is not None
            else _estimate(prompt),
            "cache_creation_input_tokens": reply.cache_write_5m + reply.cache_write_1h,
            "cache_read_input_tokens": reply.cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": reply.cache_write_5m,
                               "ephemeral_1h_input_tokens": reply.cache_write_1h},
            "output_tokens": reply.output_tokens if reply.output_tokens is not None
            else _estimate(blocks),
            "service_tier": "standard",
        }
        return {"id": self.server.owner._next_id("msg"), "type": "message", "role": "assistant",
                "model": reply.model or body.get("model"), "content": blocks,
                "stop_reason": reply.stop_reason or ("tool_use" if uses else "end_turn"),
                "stop_sequence": None, "usage": usage}




def _pieces(value: str, size: int = 16) -> list[str]:
    return [value[i:i + size] for i in range(0, len(value), size)] or [""]


def _events(message: dict[str, Any], reply: Msg) -> Iterator[bytes]:
    """The SSE events of `message`, shaped like the real API's stream."""
    usage = dict(message["usage"])
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {**usage, "output_tokens": 1}}
    yield _sse("message_start", {"type": "message_start", "message": start})
    yield _sse("ping", {"type": "ping"})
    raw_inputs = {i: b.get(_RAW_INPUT) for i, b in enumerate(reply.blocks())}
    for index, block in enumerate(message["content"]):
        kind = block.get("type")
        if kind == "text":
            first: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
        elif kind == "tool_use":
            first = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            raw = raw_inputs.get(index)
            payload = raw if raw is not None else json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(payload)]
        elif kind == "thinking":
            first = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p}
                      for p in _pieces(block["thinking"])]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:
            first, deltas = block, []
        yield _sse("content_block_start", {"type": "content_block_start", "index": index,
                                           "content_block": first})
        for delta in deltas:
            yield _sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                               "delta": delta})
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _sse("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": message["stop_reason"],
                                           "stop_sequence": None},
                                 "usage": {"output_tokens": usage["output_tokens"]}})
    yield _sse("message_stop", {"type": "message_stop"})


__all__ = [
    "Cut", "Fail", "Malformed", "MessagesServer", "Msg", "RateLimit", "Recorded", "Reset",
    "Script", "StreamError", "credential", "sha256_hex", "text", "thinking", "tool_use",
]
