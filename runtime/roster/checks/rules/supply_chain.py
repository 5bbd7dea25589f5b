"""MCP supply chain: R17 (servers pinned) and R18 (no tool shadowing).

R17 is node scope on MCP servers: it reads the launch command (`command` plus `args`,
looking inside `sh -c` strings too) for launchers that fetch whatever is newest at start
time (`npx -y pkg`, `pkg@latest`, `uvx pkg` without `==version`, `pip install` at run time,
`docker run image` without a tag or with `:latest`) and asks for the `tools_sha256` pinned
when the server was approved. R18 is roster scope: it collects every name a tool is shown
to the model under (a built-in tool's id, an MCP tool's `tool` name and id, and the
namespaced `mcp__server__tool`) and reports names that belong to more than one tool.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from runtime.roster import model as m
from runtime.roster.checks import base
from runtime.roster.checks.base import Finding, Severity, node_rule, roster_rule
from runtime.roster.checks.context import CheckContext

_SHELLS: Final = frozenset({"sh", "bash", "zsh", "dash"})
_NODE_RUNNERS: Final = frozenset({"npx", "bunx", "pnpx"})
_DLX: Final = frozenset({"pnpm", "yarn", "bun"})  # `pnpm dlx pkg`, `yarn dlx pkg`
_CONTAINERS: Final = frozenset({"docker", "podman", "nerdctl"})
_EXACT_VERSION: Final = re.compile(r"v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.-]+)?")
_PIP_INSTALL: Final = re.compile(r"\b(?:pip3?|uv\s+pip)\s+install\b")
# docker run options that take no value; every other option is taken to take one
_DOCKER_FLAGS: Final = frozenset({
    "--rm", "-i", "-t", "-it", "-ti", "-d", "--init", "--privileged", "--read-only",
    "-P", "--interactive", "--tty", "--detach", "--no-healthcheck", "-q", "--quiet",
})
_NPX_VALUE_OPTIONS: Final = frozenset({"-p", "--package", "-c", "--call", "--cache"})
_UV_VALUE_OPTIONS: Final = frozenset({"--python", "-p", "--with", "--index", "--index-url",
                                      "--extra-index-url", "-c", "--constraint"})


def _words(server: m.McpServer) -> list[str]:
    """The launch argv, with `sh -c "..."` scripts split into words."""
    argv = [server.command, *server.args]
    if posixpath.basename(server.command) in _SHELLS:
        out = [argv[0]]
        for i, word in enumerate(argv[1:], 1):
            if argv[i - 1] == "-c":
                try:
                    out.extend(shlex.split(word))
                except ValueError:
                    out.extend(word.split())
            else:
                out.append(word)
        return out
    return argv


def _npm_pinned(spec: str) -> bool:
    name, _, version = spec[1:].partition("@") if spec.startswith("@") else spec.partition("@")
    return bool(name) and _EXACT_VERSION.fullmatch(version) is not None


def _py_pinned(spec: str) -> bool:
    if "==" in spec:
        return _EXACT_VERSION.fullmatch(spec.split("==", 1)[1].strip()) is not None
    _, at, version = spec.partition("@")
    return bool(at) and _EXACT_VERSION.fullmatch(version) is not None


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


def _first_operand(words: Sequence[str], start: int, takes_value: frozenset[str] = frozenset(),
                   no_value: frozenset[str] | None = None) -> str | None:
    """The first word from `start` that is not an option (or an option's value). Options
    in `takes_value` consume the next word; with `no_value` given, every option not in it
    does (docker's style), otherwise options stand alone."""
    i = start
    while i < len(words):
        word = words[i]
        if word in ("&&", ";", "|", "||"):
            return None
        if word.startswith("-") and word != "-":
            consumes = word in takes_value or (no_value is not None and word not in no_value)
            i += 2 if consumes and "=" not in word else 1
            continue
        return word
    return None


def unpinned(server: m.McpServer) -> Iterator[str]:
    """What in the launch command fetches an unpinned version, in words for a message."""
    words = _words(server)
    text = " ".join(words)
    if _PIP_INSTALL.search(text):
        yield "it runs `pip install` when it starts"
    for i, word in enumerate(words):
        name = posixpath.basename(word)
        if name in _NODE_RUNNERS or (name in _DLX and words[i + 1:i + 2] == ["dlx"]):
            start = i + (2 if name in _DLX else 1)
            spec = _npx_package(words, start)
            if spec is not None and not _npm_pinned(spec):
                yield (f"`{name}` runs '{spec}', which is not an exact version" if "@" in spec[1:]
                       else f"`{name}` runs package '{spec}' without an exact version "
                            f"(write {spec}@1.2.3)")
        elif name == "uvx" or (name == "uv" and words[i + 1:i + 3] == ["tool", "run"]) or (
                name == "pipx" and words[i + 1:i + 2] == ["run"]):
            start = i + (3 if name == "uv" else 2 if name == "pipx" else 1)
            spec = _uvx_package(words, start)
            if spec is not None and not _py_pinned(spec):
                yield f"`{name}` runs package '{spec}' without ==version"
        elif name in _CONTAINERS and words[i + 1:i + 2] == ["run"]:
            image = _first_operand(words, i + 2, no_value=_DOCKER_FLAGS)
            if image is not None and not _image_pinned(image):
                yield f"`{name} run` starts image '{image}' without a version tag or digest"


def _npx_package(words: Sequence[str], start: int) -> str | None:
    for i in range(start, len(words) - 1):
        if words[i] in ("-p", "--package"):
            return words[i + 1]
        if words[i].startswith("--package="):
            return words[i].split("=", 1)[1]
    return _first_operand(words, start, _NPX_VALUE_OPTIONS)


def _uvx_package(words: Sequence[str], start: int) -> str | None:
    for i in range(start, len(words) - 1):
        if words[i] in ("--from", "--spec"):
            return words[i + 1]
        if words[i].startswith(("--from=", "--spec=")):
            return words[i].split("=", 1)[1]
    return _first_operand(words, start, _UV_VALUE_OPTIONS)


# ---------------------------------------------------------------- R17


@node_rule(
    "R17", "MCP supply chain pinned", Severity.ERROR,
    """What: an MCP server's launch command runs one reviewed version: no `npx -y pkg` or
`npx pkg@latest` (write `pkg@1.2.3`), no `uvx pkg` without `==version`, no `pip install` at
start time, no `docker run image` without a tag or with `:latest` (prefer a digest). And
`tools_sha256` records the hash of the server's tools/list taken when it was approved; at
run time a different hash puts the server back into review (a rug pull). Annotations of
`trust: untrusted` servers are ignored and the worst case is assumed (see effective.py).

Why: an unpinned launcher runs whatever was published last, and a server's tool
descriptions can change after approval (OWASP LLM03 Supply Chain, ASI04 Agentic Supply
Chain; MCP security best practices: pin and hash tool metadata).

Fix: pin the version and record the hash when you approve the server:

    mcp_servers:
      files:
        command: npx
        args: [-y, "@modelcontextprotocol/server-filesystem@2025.7.1"]
        tools_sha256: 3f6c1a0d...  # sha256 of its tools/list
""",
    ("LLM03", "ASI04", "MCP security best practices"),
    applies_to=(m.McpServer,), reads=(),
)
def check_pinned(ctx: CheckContext, node_id: str) -> Iterable[Finding]:
    server = ctx.server(node_id)
    if server is None:
        return []
    rule = base.RULES["R17"]
    out = [rule.finding(
        f"MCP server '{node_id}' is not pinned: {why}",
        "pin an exact version (pkg@1.2.3, pkg==1.2.3, image:1.2.3 or image@sha256:...) and "
        "install packages before the roster runs, not at start time",
        (node_id,), ("mcp_servers", node_id, "command"),
    ) for why in dict.fromkeys(unpinned(server))]
    if not server.tools_sha256:
        out.append(rule.finding(
            f"MCP server '{node_id}' has no tools_sha256: a change to its tools after approval "
            "would go unnoticed",
            "record the sha256 of the server's tools/list when you approve it, as tools_sha256",
            (node_id,), ("mcp_servers", node_id),
        ))
    return out


# ---------------------------------------------------------------- R18


def exposed_names(ctx: CheckContext) -> dict[str, list[tuple[str, str]]]:
    """Each name shown to the model -> [(tool id, how it gets that name)], document order."""
    names: dict[str, list[tuple[str, str]]] = {}
    for tool in ctx.tools():
        names.setdefault(tool.id, []).append((tool.id, "its id"))
        if tool.kind != "mcp":
            continue
        bare = tool.tool or tool.id
        if bare != tool.id:
            names.setdefault(bare, []).append((tool.id, f"its MCP tool name on '{tool.server}'"))
        if tool.server:
            full = f"mcp__{tool.server}__{bare}"
            names.setdefault(full, []).append((tool.id, "its namespaced MCP name"))
    return names


@roster_rule(
    "R18", "No tool shadowing", Severity.ERROR,
    """What: every name a tool is shown to the model under is unique: built-in tools by id,
MCP tools by their server's tool name (`tool`) and as `mcp__<server>__<tool>`. Two MCP
servers exporting the same tool name, a server tool named like another tool's id, or two
roster tools for one server tool, all collide.

Why: when two tools share a name the model (or the harness) may call the wrong one, and a
malicious server can shadow a trusted tool to intercept its calls (MCP tool shadowing;
OWASP Agentic T9 Identity Spoofing).

Fix: drop the duplicate, or rename the tool on its server and in `tool:`:

    tools:
      crm-lookup: {kind: mcp, server: crm-mcp, tool: lookup_customer}
      billing-lookup: {kind: mcp, server: billing-mcp, tool: billing_lookup_customer}
""",
    (base.TRIGGER_TOOL, base.TRIGGER_NODES),
    ("T9", "MCP tool shadowing"),
)
def check_shadowing(ctx: CheckContext) -> Iterable[Finding]:
    rule = base.RULES["R18"]
    out = []
    reported: set[tuple[str, ...]] = set()
    for name, owners in exposed_names(ctx).items():
        ids = list(dict.fromkeys(tool_id for tool_id, _ in owners))
        if len(ids) < 2 or tuple(ids) in reported:
            continue
        reported.add(tuple(ids))
        how = "; ".join(f"'{tool_id}' by {why}" for tool_id, why in owners)
        last = ctx.tool(ids[-1])
        at: tuple[str | int, ...] = ("tools", ids[-1])
        if last is not None and last.kind == "mcp" and last.tool:
            at = (*at, "tool")
        out.append(rule.finding(
            f"tools {', '.join(repr(i) for i in ids)} are shown to the model under the same "
            f"name '{name}' ({how})",
            f"remove the duplicate or rename '{ids[-1]}' (its id, or its tool name on its "
            "server) so every tool has a name of its own",
            ids, at,
        ))
    return out
