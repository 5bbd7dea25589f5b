"""Deterministic roster fixtures for the benchmarks: S, M, L and XL.

A size names the number of **agents** and the number of **edges** (PERFORMANCE.md
"Fixtures"); tools, humans and MCP servers come on top, in fixed proportions:

    size  agents  edges   tools   humans  MCP servers
    S         50     150     12        2        2
    M        500   2,500    125       20        4
    L      2,000  10,000    500       80        6
    XL    10,000  50,000  2,500      400        8

Every built-in tool kind appears (file read/write, web fetch, SQLite, shell,
MCP, shared memory, email); MCP tools sit on a few trusted servers. Agents
are placed in six layers; delegation goes from a layer to the next one or the
one after (a spanning tree first, so every agent is reachable from an entry
agent), plus a few back edges that close bounded loops (`max_rounds`). Each
agent escalates to a human of its department, some to two. Values are
realistic: names, one-line roles, multi-line instructions, tasks, budgets,
limits and models from the catalog. Everything comes from one seeded
`random.Random`, so a size and a seed always give the same bytes.

    python -m bench.generate L -o /tmp/L.roster.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from runtime.roster import io
from runtime.roster import model as m
from runtime.roster.catalog import load_catalog
from runtime.roster.codec import RosterContent


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    agents: int
    edges: int
    tools: int
    humans: int
    servers: int


SIZES: Final[dict[str, Size]] = {
    "S": Size("S", 50, 150, 12, 2, 2),
    "M": Size("M", 500, 2_500, 125, 20, 4),
    "L": Size("L", 2_000, 10_000, 500, 80, 6),
    "XL": Size("XL", 10_000, 50_000, 2_500, 400, 8),
}
DEFAULT_SEED: Final = 20_260_501
LAYER_WEIGHTS: Final = (0.005, 0.03, 0.1, 0.2, 0.3, 0.365)
DELEGATION_SHARE: Final = 0.32

# ---------------------------------------------------------------- vocabulary

DEPARTMENTS: Final[dict[str, tuple[str, ...]]] = {
    "support": ("classify tickets", "answer customer questions", "route refund requests",
                "look up customers in the crm", "summarise ticket threads"),
    "billing": ("check invoices", "issue refunds through payments", "explain charges",
                "reconcile payments", "flag billing disputes"),
    "sales": ("qualify leads", "draft proposals", "update opportunities in the crm",
              "schedule demos", "research prospects"),
    "legal": ("review contracts", "flag risky clauses", "answer policy questions",
              "track regulatory changes"),
    "security": ("triage alerts", "review access requests", "scan dependencies",
                 "write incident timelines"),
    "research": ("search the literature", "summarise papers", "compare vendors",
                 "collect market data", "fact-check drafts"),
    "engineering": ("review pull requests", "run the test suite", "triage build failures",
                    "write release notes", "update runbooks"),
    "finance": ("close the books", "forecast spend", "review expenses", "prepare board packs"),
    "hr": ("screen applications", "answer benefits questions", "schedule interviews",
           "prepare onboarding plans"),
    "ops": ("monitor queues", "rebalance workloads", "update dashboards", "page the on-call"),
    "marketing": ("draft campaign copy", "analyse campaign results", "plan the content calendar",
                  "localise announcements"),
    "data": ("run weekly reports", "clean datasets", "answer metrics questions",
             "document tables"),
}
ROLES: Final = ("triage", "analyst", "writer", "reviewer", "researcher", "planner",
                "coordinator", "auditor", "summarizer", "router", "specialist", "translator")
ROLE_VERBS: Final[dict[str, str]] = {
    "triage": "Sorts incoming work for the {dept} team and routes it to the right specialist.",
    "analyst": "Analyses {dept} data and reports what changed and why.",
    "writer": "Drafts {dept} documents and messages for a human to review.",
    "reviewer": "Reviews {dept} work from other agents before it goes out.",
    "researcher": "Gathers the facts the {dept} team needs, with sources.",
    "planner": "Breaks {dept} requests into steps and hands each to a delegate.",
    "coordinator": "Coordinates the {dept} agents below it and merges their results.",
    "auditor": "Checks {dept} actions against policy and records what it found.",
    "summarizer": "Condenses long {dept} threads into a few lines for a human.",
    "router": "Routes {dept} requests by topic and urgency.",
    "specialist": "Handles the hard {dept} cases the triage agents escalate.",
    "translator": "Translates {dept} messages and keeps the team's terminology.",
}
INSTRUCTION_LINES: Final = (
    "Read the whole request before acting; ask for the missing facts instead of guessing.",
    "Use only the tools granted to you, and only for the purpose stated on the grant.",
    "Never include customer personal data in a message that leaves the company.",
    "When a step needs approval, stop and wait for the human's answer.",
    "Cite the record, ticket or document every claim comes from.",
    "Keep answers short: a summary line, then the details as a list.",
    "If a delegate fails twice, escalate with what you tried and what you saw.",
    "Prefer reading over writing; write only when the task says so.",
    "Report amounts in the customer's currency with two decimals.",
    "Stop when the budget for this task is spent and report what is left to do.",
)
FIRST_NAMES: Final = ("Ada", "Bruno", "Chiara", "Dmitri", "Eun-ji", "Farah", "Gustavo", "Hana",
                      "Ines", "Jonas", "Kwame", "Lea", "Mateo", "Nadia", "Oskar", "Priya")

# (id stem, kind, tool name, capabilities, risk, data, modes, annotations)
MCP_TOOLS: Final[tuple[tuple[str, str, tuple[str, ...], str, str, tuple[str, ...]], ...]] = (
    ("crm-lookup", "lookup_customer", ("reads_private_data",), "low", "confidential", ("read",)),
    ("crm-update", "update_customer", ("reads_private_data", "state_change"), "medium",
     "confidential", ("read", "write")),
    ("payments-refund", "create_refund", ("financial", "irreversible", "external_comm",
                                          "state_change"), "critical", "restricted", ("write",)),
    ("tickets-comment", "add_comment", ("state_change", "external_comm"), "medium", "internal",
     ("write",)),
    ("search-web", "web_search", ("untrusted_input", "external_comm"), "medium", "public",
     ("read",)),
    ("docs-read", "read_document", ("reads_private_data",), "low", "internal", ("read",)),
    ("calendar-book", "book_meeting", ("state_change", "external_comm"), "medium", "internal",
     ("write",)),
)
SERVER_STEMS: Final = ("crm", "payments", "tickets", "search", "docs", "calendar", "git", "wiki")
KIND_MIX: Final = ("mcp", "mcp", "mcp", "fs_read", "fs_write", "http_fetch", "sqlite", "shell",
                   "memory", "email_send")
KIND_STEM: Final[dict[str, str]] = {
    "fs_read": "files-read", "fs_write": "files-write", "http_fetch": "web-fetch",
    "sqlite": "db", "shell": "shell", "memory": "notes", "email_send": "mail-send",
}
KIND_CAPS: Final[dict[str, tuple[str, ...]]] = {
    "fs_read": ("reads_private_data",),
    "fs_write": ("reads_private_data", "filesystem_write", "state_change"),
    "http_fetch": ("untrusted_input", "external_comm"),
    "sqlite": ("reads_private_data",),
    "shell": ("code_exec", "state_change"),
    "memory": ("shared_memory_write",),
    "email_send": ("external_comm", "irreversible"),
}
KIND_MODES: Final[dict[str, tuple[str, ...]]] = {
    "fs_read": ("read",), "fs_write": ("read", "write"), "http_fetch": ("read",),
    "sqlite": ("read", "write"), "shell": ("execute",), "memory": ("read", "write"),
    "email_send": ("write",),
}
KIND_RISK: Final[dict[str, str]] = {
    "fs_read": "medium", "fs_write": "high", "http_fetch": "medium", "sqlite": "medium",
    "shell": "critical", "memory": "medium", "email_send": "high",
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _models() -> tuple[list[str], list[float]]:
    """Current (not deprecated) catalog models, weighted towards the cheap ones."""
    current = [info for info in load_catalog().models() if not info.deprecated]
    weights = [{1: 6.0, 2: 4.0, 3: 1.5, 4: 0.5}.get(info.tier, 1.0) for info in current]
    return [info.id for info in current], weights


# ---------------------------------------------------------------- builders


class _Builder:
    def __init__(self, size: Size, seed: int) -> None:
        self.size = size
        self.rng = random.Random(f"{size.name}:{seed}")
        self.nodes: dict[str, m.Node] = {}
        self.edges: dict[str, m.Edge] = {}
        self.layout: dict[str, m.Position] = {}
        self.models, self.model_weights = _models()
        self.depts = list(DEPARTMENTS)
        self.layers: list[list[str]] = []
        self.agent_dept: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        self.tool_ids: list[str] = []
        self.tool_popularity: list[float] = []
        self.humans_by_dept: dict[str, list[str]] = {}
        self.used_models: set[str] = set()

    # --- nodes

    def servers(self) -> list[str]:
        ids = []
        for i in range(self.size.servers):
            stem = SERVER_STEMS[i % len(SERVER_STEMS)]
            server_id = f"{stem}-mcp" if i < len(SERVER_STEMS) else f"{stem}-mcp-{i}"
            ids.append(server_id)
            self.nodes[server_id] = m.McpServer(
                id=server_id,
                name=f"{stem.capitalize()} server",
                command=f"/opt/{server_id}/bin/{server_id}",
                args=("--version-pin", f"2.{i}.{self.rng.randint(0, 9)}"),
                env=m.freeze({f"{stem.upper()}_TOKEN": f"keyring:agent-roster/{stem}"}),
                trust="trusted",
                tools_sha256=_sha(server_id),
            )
        return ids

    def tools(self, servers: list[str]) -> None:
        rng = self.rng
        for i in range(self.size.tools):
            kind = KIND_MIX[i % len(KIND_MIX)]
            dept = self.depts[i % len(self.depts)]
            if kind == "mcp":
                tool = self._mcp_tool(i, dept, servers)
            else:
                tool = self._builtin_tool(i, kind, dept)
            self.nodes[tool.id] = tool
            self.tool_ids.append(tool.id)
            # A few popular tools (search, CRM lookup) are granted to many agents.
            self.tool_popularity.append(rng.paretovariate(1.2))

    def _mcp_tool(self, i: int, dept: str, servers: list[str]) -> m.Tool:
        rng = self.rng
        stem, tool_name, caps, risk, data, modes = MCP_TOOLS[i % len(MCP_TOOLS)]
        home = f"{stem.split('-')[0]}-mcp"
        server = home if home in servers else servers[i % len(servers)]
        tool_id = f"{stem}-{i:04d}"
        read_only = modes == ("read",)
        schema = {
            "type": "object",
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Z][0-9]{6,8}$"},
                "note": {"type": "string", "maxLength": 2000},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100},
            },
            "required": ["id"],
        }
        return m.Tool(
            id=tool_id,
            kind="mcp",
            name=f"{stem.replace('-', ' ').capitalize()} ({dept})",
            description=f"Calls {tool_name} on the {server} server for the {dept} team.",
            capabilities=caps,
            risk=risk,
            data=data,
            vetted=rng.random() < 0.9,
            modes=modes,
            server=server,
            tool=tool_name,
            audit=True if "state_change" in caps or "financial" in caps else None,
            input_schema=m.freeze(schema),
            annotations=m.Annotations(read_only=read_only, destructive="irreversible" in caps,
                                      idempotent=read_only, open_world="external_comm" in caps),
        )

    def _builtin_tool(self, i: int, kind: str, dept: str) -> m.Tool:
        rng = self.rng
        tool_id = f"{KIND_STEM[kind]}-{dept}-{i:04d}"
        caps = KIND_CAPS[kind]
        fields: dict[str, Any] = {}
        config: dict[str, Any] = {}
        if kind in ("fs_read", "fs_write"):
            fields["fs_roots"] = (f"/srv/{dept}/shared", f"/srv/{dept}/inbox")
            config["max_bytes"] = rng.choice((262_144, 1_048_576, 4_194_304))
        elif kind == "http_fetch":
            fields["network"] = "allowlist"
            config = {"allow_domains": [f"docs.{dept}.example.com", "*.wikipedia.org"],
                      "max_bytes": 2_000_000, "timeout_s": 10}
        elif kind == "sqlite":
            config = {"database": f"/srv/{dept}/db/{dept}.sqlite", "raw_sql": False}
        elif kind == "shell":
            fields["sandbox"] = m.Sandbox(network="none", fs_roots=(f"/srv/{dept}/work",),
                                          cpu_s=30.0, memory_mb=512, timeout_s=60.0)
            config = {"allow_commands": ["git", "make", "pytest"]}
        elif kind == "email_send":
            fields["credential"] = f"keyring:agent-roster/mail-{dept}"
            config = {"allow_recipients": [f"{dept}.example.com"]}
        return m.Tool(
            id=tool_id,
            kind=kind,
            name=f"{KIND_STEM[kind].replace('-', ' ').capitalize()} for {dept}",
            description=f"{kind.replace('_', ' ').capitalize()} tool of the {dept} team.",
            capabilities=caps,
            risk=KIND_RISK[kind],
            data=rng.choice(m.CLASSIFICATIONS[1:]),
            vetted=rng.random() < 0.85,
            modes=KIND_MODES[kind],
            audit=True if set(caps) & {"state_change", "external_comm", "financial"} else None,
            config=m.freeze(config),
            **fields,
        )

    def humans(self) -> None:
        rng = self.rng
        ids: list[str] = []
        for i in range(self.size.humans):
            dept = self.depts[i % len(self.depts)]
            nth = i // len(self.depts)
            human_id = f"{dept}-lead" if nth == 0 else f"{dept}-lead-{nth + 1}"
            ids.append(human_id)
            self.humans_by_dept.setdefault(dept, []).append(human_id)
        for i, human_id in enumerate(ids):
            dept = self.depts[i % len(self.depts)]
            peers = [h for h in self.humans_by_dept[dept] if h != human_id]
            backup = peers[0] if peers else (ids[(i + 1) % len(ids)] if len(ids) > 1 else None)
            self.nodes[human_id] = m.Human(
                id=human_id,
                name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} ({dept} lead)",
                role=f"Approves risky {dept} actions and answers escalations from {dept} agents.",
                timeout_s=float(rng.choice((900, 1800, 3600, 14400))),
                on_timeout=rng.choice(("deny", "deny", "escalate")),
                backup=backup,
                max_requests_per_run=rng.choice((5, 10, 20, 50)),
            )

    def agents(self) -> None:
        rng = self.rng
        n = self.size.agents
        counts = [max(1, round(n * w)) for w in LAYER_WEIGHTS]
        counts[-1] += n - sum(counts)
        index = 0
        for layer, count in enumerate(counts):
            ids = []
            for _ in range(count):
                dept = self.depts[rng.randrange(len(self.depts))]
                role = ROLES[min(len(ROLES) - 1, layer * 2 + rng.randrange(3))]
                agent_id = f"{dept}-{role}-{index:05d}"
                self.agent_dept[agent_id] = dept
                self.nodes[agent_id] = self._agent(agent_id, dept, role, layer, index)
                index += 1
                ids.append(agent_id)
            self.layers.append(ids)

    def _agent(self, agent_id: str, dept: str, role: str, layer: int, index: int) -> m.Agent:
        rng = self.rng
        tasks = tuple(rng.sample(DEPARTMENTS[dept], k=min(len(DEPARTMENTS[dept]),
                                                          rng.randint(2, 4))))
        lines = rng.sample(INSTRUCTION_LINES, k=rng.randint(1, 3))
        instructions = f"You are the {dept} {role}.\n" + "\n".join(lines) + "\n"
        model = None
        if rng.random() < 0.6:
            model = rng.choices(self.models, weights=self.model_weights)[0]
            self.used_models.add(model)
        schema = None
        if rng.random() < 0.05:  # a quarantine agent: structured output only
            schema = m.freeze({
                "type": "object",
                "properties": {
                    "decision": {"type": "string", "enum": ["approve", "reject", "escalate"]},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["decision"],
            })
        leaf = layer == len(LAYER_WEIGHTS) - 1
        return m.Agent(
            id=agent_id,
            name=f"{dept.capitalize()} {role} {index}",
            role=ROLE_VERBS[role].format(dept=dept),
            model=model,
            instructions=instructions,
            tasks=tasks,
            max_turns=rng.choice((4, 6, 8, 10, 12, 20)) if rng.random() < 0.8 else None,
            max_tokens_per_call=rng.choice((1024, 2048, 4096, 8192)),
            timeout_s=float(rng.choice((120, 300, 600))),
            budget_usd=rng.choice((0.1, 0.25, 0.5, 1.0, 2.0)),
            max_parallel_delegations=None if leaf else rng.choice((1, 1, 2, 3, 4)),
            clearance=rng.choice((None, "internal", "internal", "confidential", "restricted")),
            permission_mode=rng.choice((None, None, None, "default", "plan", "dontAsk")),
            output_schema=schema,
        )

    # --- edges

    def _add(self, edge: m.Edge) -> bool:
        if edge.id in self.edges or edge.source == edge.target:
            return False
        self.edges[edge.id] = edge
        return True

    def edge_quotas(self) -> tuple[int, int, int]:
        size = self.size
        loops = max(1, size.agents // 250)
        spanning = size.agents - len(self.layers[0])
        delegations = max(round(size.edges * DELEGATION_SHARE), spanning + loops)
        # One escalation per agent, a tenth of them two, leaving at least one grant per agent.
        escalations = max(size.agents,
                          min(size.agents + size.agents // 10,
                              size.edges - delegations - size.agents))
        grants = size.edges - escalations - delegations
        if grants < size.agents:
            raise ValueError(f"size {size.name}: too few edges for one tool grant per agent")
        return delegations, grants, escalations

    def delegations(self, quota: int) -> None:
        rng = self.rng
        loops = max(1, self.size.agents // 250)
        # Spanning tree: every agent below the entry layer has a parent in the layer above.
        for layer in range(1, len(self.layers)):
            above = self.layers[layer - 1]
            for agent_id in self.layers[layer]:
                parent = above[rng.randrange(len(above))]
                self.parent[agent_id] = parent
                self._add(m.Edge(m.EdgeKind.DELEGATION, parent, agent_id))
        # Bounded loops: a delegate calls back its parent, at most a few rounds.
        deep = [a for layer in self.layers[2:] for a in layer]
        made = 0
        while made < loops:
            child = deep[rng.randrange(len(deep))]
            edge = m.Edge(m.EdgeKind.DELEGATION, child, self.parent[child],
                          max_rounds=rng.randint(2, 5))
            made += self._add(edge)
        # The rest: forward edges to the next layer, sometimes the one after.
        last = len(self.layers) - 1
        sources = [(layer, a) for layer in range(last) for a in self.layers[layer]]
        while len(self.edges) < quota:
            layer, source = sources[rng.randrange(len(sources))]
            jump = 2 if layer + 2 <= last and rng.random() < 0.15 else 1
            targets = self.layers[layer + jump]
            target = targets[rng.randrange(len(targets))]
            rounds = rng.randint(1, 3) if rng.random() < 0.03 else None
            self._add(m.Edge(m.EdgeKind.DELEGATION, source, target, max_rounds=rounds))

    def grants(self, quota: int) -> None:
        rng = self.rng
        agents = [a for layer in self.layers for a in layer]
        target = len(self.edges) + quota
        # One grant per agent first, then the rest at random, popular tools more often.
        pending = list(agents)
        cumulative = list(itertools.accumulate(self.tool_popularity))
        while len(self.edges) < target:
            agent_id = pending.pop() if pending else agents[rng.randrange(len(agents))]
            tool_id = rng.choices(self.tool_ids, cum_weights=cumulative)[0]
            tool = self.nodes[tool_id]
            assert isinstance(tool, m.Tool)
            mode = rng.choice(tool.modes)
            risky = tool.risk in ("high", "critical") or mode != "read"
            approval = "ask" if risky or rng.random() < 0.2 else "allow"
            verb = {"read": "read", "write": "update", "execute": "run"}[mode]
            purpose = f"{verb} {self.agent_dept[agent_id]} records"
            self._add(m.Edge(m.EdgeKind.TOOL_ACCESS, agent_id, tool_id, mode=mode,
                             approval=approval, purpose=purpose))

    def escalations(self, quota: int) -> None:
        rng = self.rng
        agents = [a for layer in self.layers for a in layer]
        all_humans = [h for hs in self.humans_by_dept.values() for h in hs]
        target = len(self.edges) + quota
        for agent_id in agents:
            local = self.humans_by_dept.get(self.agent_dept[agent_id]) or all_humans
            self._add(m.Edge(m.EdgeKind.ESCALATION, agent_id, local[rng.randrange(len(local))]))
        while len(self.edges) < target:
            agent_id = agents[rng.randrange(len(agents))]
            self._add(m.Edge(m.EdgeKind.ESCALATION, agent_id,
                             all_humans[rng.randrange(len(all_humans))]))

    # --- layout and settings

    def positions(self, servers: list[str]) -> None:
        for layer, ids in enumerate(self.layers):
            for row, node_id in enumerate(ids):
                self.layout[node_id] = m.Position(float(layer * 360), float(row * 120))
        tool_x = float(len(self.layers) * 360)
        for row, tool_id in enumerate(self.tool_ids):
            self.layout[tool_id] = m.Position(tool_x, row * 90.0)
        for row, server_id in enumerate(servers):
            self.layout[server_id] = m.Position(tool_x + 360.0, row * 400.0 + 0.5)
        humans = [h for hs in self.humans_by_dept.values() for h in hs]
        for row, human_id in enumerate(humans):
            self.layout[human_id] = m.Position(-360.0, row * 150.0)

    def meta(self) -> m.RosterMeta:
        rng = self.rng
        entry = tuple(self.layers[0])
        allowed = tuple(sorted(self.used_models | {self.models[0]}))
        acks = []
        agents = [a for layer in self.layers[1:] for a in layer]
        for agent_id in rng.sample(agents, k=min(3, len(agents))):
            acks.append(m.Acknowledgement(
                rule="R10", subject=agent_id, by="security-review",
                reason="grant reviewed with the team; task list to be updated next quarter",
            ))
        return m.RosterMeta(
            name=f"Generated {self.size.name} roster",
            description=(
                f"Benchmark fixture {self.size.name}: {self.size.agents} agents, "
                f"{self.size.edges} edges.\nGenerated by bench/generate.py; do not edit.\n"
            ),
            entry=entry,
            defaults=m.Defaults(model=self.models[-1] if self.models else None, max_turns=12,
                                max_tokens_per_call=4096, timeout_s=600.0, budget_usd=1.0,
                                max_parallel_delegations=2, clearance="internal"),
            policy=m.Policy(budget_usd_per_run=500.0, allowed_models=allowed,
                            max_model_calls_per_run=5000, max_delegation_depth=8,
                            max_parallel_agents=64, unattended="deny"),
            providers=m.freeze({"anthropic": m.Provider(api_key="keyring:agent-roster/anthropic")}),
            audit=m.Audit(sink="journal", redact=True),
            acknowledged=tuple(acks),
        )


def generate(size: str | Size, seed: int = DEFAULT_SEED) -> RosterContent:
    """The roster of `size` (a name from SIZES or a Size), the same for the same seed."""
    spec = SIZES[size.upper()] if isinstance(size, str) else size
    b = _Builder(spec, seed)
    b.agents()
    servers = b.servers()
    b.tools(servers)
    b.humans()
    delegations, grants, escalations = b.edge_quotas()
    b.delegations(delegations)
    b.grants(grants)
    b.escalations(escalations)
    assert len(b.edges) == spec.edges, (len(b.edges), spec.edges)
    b.positions(servers)
    meta = b.meta()
    # Section order as in the file: agents, tools, MCP servers, humans.
    order = {m.Agent: 0, m.Tool: 1, m.McpServer: 2, m.Human: 3}
    nodes = dict(sorted(b.nodes.items(), key=lambda item: order[type(item[1])]))
    return RosterContent(meta=meta, nodes=nodes, edges=b.edges, layout=b.layout)


def generate_text(size: str | Size, seed: int = DEFAULT_SEED) -> str:
    """The YAML text of the generated roster, as `io.dumps` writes it."""
    return io.dumps(generate(size, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", type=str.upper, choices=sorted(SIZES))
    parser.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-verify", action="store_true",
                        help="skip loading the text back through io.loads")
    args = parser.parse_args(argv)
    content = generate(args.size, args.seed)
    text = io.dumps(content)
    if not args.no_verify:
        loaded = io.loads(text.encode("utf-8"), filename=f"<generated {args.size}>")
        if loaded.content != content:
            print("warning: the loaded roster differs from the generated one", file=sys.stderr)
    data = text.encode("utf-8")
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_bytes(data)
    counts: dict[str, int] = {}
    for node in content.nodes.values():
        counts[type(node).__name__] = counts.get(type(node).__name__, 0) + 1
    kinds: dict[str, int] = {}
    for edge in content.edges.values():
        kinds[edge.kind.value] = kinds.get(edge.kind.value, 0) + 1
    print(f"{args.size}: {counts}, edges {kinds} ({len(content.edges)}), {len(data):,} bytes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
