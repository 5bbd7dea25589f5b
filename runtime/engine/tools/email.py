"""The `email_send` tool: compose a message to allowed recipients and hand it to a transport.

This project is offline, so nothing is sent anywhere: the only transport here,
`OutboxTransport`, writes each message as an `.eml` file into an outbox folder
(config `outbox`, default `outbox`, relative to the first fs root and confined
to the tool's `fs_roots`). A real SMTP (or API) transport plugs in behind the
same `Transport` protocol: it receives the finished `EmailMessage` and returns a
receipt. What the tool enforces is independent of the transport: every `to`/`cc`
address must be a bare address (no display names, no line breaks, no lists in
one string) allowed by config `allow_recipients` (an exact address, a domain
`example.com` or `@example.com`, or `*.example.com` for its subdomains); the
subject has no line breaks (no header injection); the body is capped (config
`max_bytes`, default 256 KB) and at most 20 recipients are accepted. The file is
named after the run and call ids, so a resumed run that repeats the call does not
queue the message twice.
"""

from __future__ import annotations

import hashlib
import os
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, localtime
from typing import Any, Final, Protocol

from runtime.engine.protocols import ToolContext, ToolResult
from runtime.engine.tools._common import (
    BuiltinTool,
    Refused,
    Roots,
    int_config,
    make_spec,
    replace_at,
    str_list_config,
    text_arg,
)
from runtime.roster import model as m

DEFAULT_MAX_BYTES: Final = 256 * 1024
MAX_RECIPIENTS: Final = 20
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS: Final = re.compile(
    rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@({_LABEL}(?:\.{_LABEL})+)", re.ASCII)


class Transport(Protocol):
    def send(self, message: EmailMessage, key: str) -> str:
        """Deliver (or queue) `message`; `key` is stable per call. Returns a receipt."""
        ...


class OutboxTransport:
    """Writes messages as .eml files into a folder; nothing leaves the machine."""

    def __init__(self, roots: Roots, outbox: str) -> None:
        self.roots = roots
        self.outbox = outbox
        _root, real = roots.resolve(outbox)
        os.makedirs(real, mode=0o700, exist_ok=True)

    def send(self, message: EmailMessage, key: str) -> str:
        name = f"{key}.eml"
        root, real = self.roots.resolve(self.outbox)
        folder = self.roots.open_dir(root, real)
        try:
            try:
                os.stat(name, dir_fd=folder, follow_symlinks=False)
                return f"already queued as {os.path.join(real, name)} (not queued twice)"
            except FileNotFoundError:
                pass
            replace_at(folder, name, message.as_bytes(), 0o600)
        finally:
            os.close(folder)
        return f"queued in the outbox as {os.path.join(real, name)} (not sent: offline outbox)"


def recipient_allowed(address: str, allow: tuple[str, ...]) -> bool:
    address = address.lower()
    domain = address.rpartition("@")[2]
    for entry in allow:
        entry = entry.strip().lower()
        if "@" in entry.lstrip("@"):
            if address == entry:
                return True
        elif entry.startswith("*."):
            if domain.endswith(entry[1:]):
                return True
        elif domain == entry.lstrip("@"):
            return True
    return False


class EmailSend(BuiltinTool):
    def __init__(self, tool: m.Tool, roots: Roots, *, transport: Transport | None = None,
                 writers: frozenset[str] | None = None) -> None:
        super().__init__(tool, writers)
        self.allow = str_list_config(tool, "allow_recipients")
        if not self.allow:
            raise Refused("config allow_recipients is empty, so it may not write to anyone")
        outbox = tool.config.get("outbox")
        self.transport = transport or OutboxTransport(
            roots, outbox if isinstance(outbox, str) and outbox else "outbox")
        sender = tool.config.get("from")
        self.sender = sender if isinstance(sender, str) and ADDRESS.fullmatch(sender) \
            else "agent-roster@localhost"
        self.max_bytes = int_config(tool, "max_bytes", DEFAULT_MAX_BYTES)
        address_list = {"type": "array", "maxItems": MAX_RECIPIENTS,
                        "items": {"type": "string", "maxLength": 254}}
        self.spec = make_spec(tool, f"Allowed recipients: {', '.join(self.allow)}.", {
            "type": "object",
            "properties": {"to": address_list, "cc": address_list,
                           "subject": {"type": "string", "maxLength": 998},
                           "body": {"type": "string", "maxLength": self.max_bytes}},
            "required": ["to", "subject", "body"]})

    def _addresses(self, arguments: dict[str, Any], name: str) -> list[str]:
        value = arguments.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Refused(f"'{name}' must be a list of email addresses")
        for address in value:
            if not ADDRESS.fullmatch(address):
                raise Refused(f"{address!r} is not a plain email address (name@domain, no "
                              "display name, no line breaks)")
            if not recipient_allowed(address, self.allow):
                raise Refused(f"{address!r} is not an allowed recipient "
                              f"({', '.join(self.allow)})")
        return list(value)

    async def run(self, arguments: dict[str, Any], ctx: ToolContext) -> ToolResult:
        to = self._addresses(arguments, "to")
        cc = self._addresses(arguments, "cc")
        if not to:
            raise Refused("'to' needs at least one address")
        if len(to) + len(cc) > MAX_RECIPIENTS:
            raise Refused(f"at most {MAX_RECIPIENTS} recipients per message")
        subject = text_arg(arguments, "subject", max_len=998)
        if "\r" in subject or "\n" in subject:
            raise Refused("the subject may not contain line breaks")
        body = text_arg(arguments, "body", max_len=self.max_bytes)
        if len(body.encode("utf-8")) > self.max_bytes:
            raise Refused(f"the body is larger than {self.max_bytes} bytes")
        key = hashlib.sha256(f"{ctx.run_id}\0{ctx.call_id}".encode()).hexdigest()[:24]
        message = EmailMessage(policy=SMTP)
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        message["Subject"] = subject
        message["Date"] = format_datetime(localtime())
        message["Message-ID"] = f"<{key}@agent-roster.local>"
        message["X-Agent-Roster-Run"] = ctx.run_id
        message["X-Agent-Roster-Agent"] = ctx.agent
        message.set_content(body)
        receipt = await self.blocking(self.transport.send, message, key)
        return ToolResult(f"{receipt}; to: {', '.join(to + cc)}")
