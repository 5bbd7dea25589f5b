"""What a governance rule is, what it reports, and the registry of all rules.

A `Rule` has a stable code (R01...), a default severity, the sources it
rests on, a long explanation for `roster explain`, and one of these shapes:

- node scope: `check_node(ctx, node_id)` reports findings owned by that node
  and may read only the node, its incident edges, the nodes at their other
  ends and the roster settings. It declares the node types it `applies_to`
  (it is never called for others) and what it `reads` beyond the node itself:
  `READS_OWN_EDGES` (its outgoing edges), `READS_META` (the roster settings),
  `READS_NEIGHBOURHOOD` (incident edges both ways and the nodes at their other
  ends; the default, with `READS_META`). After an edit a node's rule runs
  again only if the node itself changed, or something it reads did: its own
  edges, the settings, or, for neighbourhood readers, a neighbour or an edge
  touching it.
- roster scope: `check(ctx)` looks at the whole graph and is re-run only when
  an edit touches one of its `triggers`.
- both: a rule may have a node check and a roster pass (R15 scans each node,
  and the roster settings in a small roster pass triggered by `meta`).

A `Finding` carries the rule, severity, a message that says what is wrong, a
fix, the ids of the nodes and edges it concerns (primary first) and the YAML
path of the spot to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from runtime.roster.checks.context import CheckContext


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# Change classes an edit produces; roster-scope rules list the ones they depend on.
TRIGGER_DELEGATION: Final = "edges:delegates_to"
TRIGGER_TOOL_ACCESS: Final = "edges:uses"
TRIGGER_ESCALATION: Final = "edges:escalates_to"
TRIGGER_NODES: Final = "nodes"  # a node added, removed or renamed
TRIGGER_AGENT: Final = "props:agent"
TRIGGER_TOOL: Final = "props:tool"
TRIGGER_HUMAN: Final = "props:human"
TRIGGER_SERVER: Final = "props:mcp_server"
TRIGGER_META: Final = "meta"
# What a node-scope rule reads besides the node itself.
READS_OWN_EDGES: Final = "own_edges"  # the node's outgoing edges (an agent's grants)
READS_META: Final = "meta"  # the roster settings (defaults, policy, ...)
READS_NEIGHBOURHOOD: Final = "neighbourhood"  # incident edges, nodes at their other ends
DEFAULT_READS: Final = frozenset({READS_NEIGHBOURHOOD, READS_META})
ALL_TRIGGERS: Final = frozenset(
    {TRIGGER_DELEGATION, TRIGGER_TOOL_ACCESS, TRIGGER_ESCALATION, TRIGGER_NODES,
     TRIGGER_AGENT, TRIGGER_TOOL, TRIGGER_HUMAN, TRIGGER_SERVER, TRIGGER_META}
)

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    fix: str
    subjects: tuple[str, ...]
    path: Path = ()
    acknowledged: bool = False

    @property
    def subject(self) -> str:
        return self.subjects[0] if self.subjects else ""

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR and not self.acknowledged


_SET_RULE, _SET_SEVERITY, _SET_MESSAGE, _SET_FIX, _SET_SUBJECTS, _SET_PATH, _SET_ACK = (
    getattr(Finding, name).__set__ for name in Finding.__slots__)


def _finding_init(self: Finding, rule: str, severity: Severity, message: str, fix: str,
                  subjects: tuple[str, ...], path: Path = (), acknowledged: bool = False) -> None:
    """`Finding.__init__`: the generated one of a frozen dataclass stores each field with
    `object.__setattr__`, a generic call that costs about twice the rest of the object;
    a large roster has thousands of findings. This one stores each field through its slot's
    descriptor. Same signature; the class stays frozen, with the dataclass' own equality,
    hashing, `repr` and `replace`."""
    _SET_RULE(self, rule)
    _SET_SEVERITY(self, severity)
    _SET_MESSAGE(self, message)
    _SET_FIX(self, fix)
    _SET_SUBJECTS(self, subjects)
    _SET_PATH(self, path)
    _SET_ACK(self, acknowledged)


Finding.__init__ = _finding_init  # type: ignore[method-assign]
assert Finding.__slots__ == ("rule", "severity", "message", "fix", "subjects", "path",
                             "acknowledged")

NodeCheck = Callable[["CheckContext", str], Iterable[Finding]]
RosterCheck = Callable[["CheckContext"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str
    severity: Severity
    explain: str
    anchors: tuple[str, ...] = ()
    check_node: NodeCheck | None = None
    check: RosterCheck | None = None
    triggers: frozenset[str] = field(default_factory=frozenset)
    applies_to: tuple[type, ...] | None = None  # node types check_node runs on; None: all
    reads: frozenset[str] = DEFAULT_READS  # what check_node reads besides the node

    def applies(self, node: object) -> bool:
        return self.check_node is not None and (
            self.applies_to is None or isinstance(node, self.applies_to))

    @property
    def scope(self) -> str:
        if self.check_node is not None and self.check is not None:
            return "node+roster"  # per node, plus a roster pass re-run on its triggers
        return "node" if self.check_node is not None else "roster"

    def finding(
        self,
        message: str,
        fix: str,
        subjects: Iterable[str],
        path: Path = (),
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(self.code, severity or self.severity, message, fix, tuple(subjects), path)


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"rule {rule.code} registered twice")
    if rule.check_node is None and rule.check is None:
        raise ValueError(f"rule {rule.code} needs check_node, check or both")
    unknown = rule.reads - {READS_OWN_EDGES, READS_META, READS_NEIGHBOURHOOD}
    if unknown:
        raise ValueError(f"rule {rule.code} reads unknown scopes {sorted(unknown)}")
    RULES[rule.code] = rule
    return rule


def node_rule(
    code: str,
    title: str,
    severity: Severity,
    explain: str,
    anchors: tuple[str, ...] = (),
    *,
    applies_to: tuple[type, ...] | None = None,
    reads: Iterable[str] = DEFAULT_READS,
) -> Callable[[NodeCheck], NodeCheck]:
    """Decorator registering a node-scope rule for the node types in `applies_to` (all when
    None) that reads the node and what `reads` names (see the module docstring)."""

    def wrap(fn: NodeCheck) -> NodeCheck:
        register(Rule(code, title, severity, explain, anchors, check_node=fn,
                      applies_to=applies_to, reads=frozenset(reads)))
        return fn

    return wrap


def roster_rule(
    code: str,
    title: str,
    severity: Severity,
    explain: str,
    triggers: Iterable[str],
    anchors: tuple[str, ...] = (),
) -> Callable[[RosterCheck], RosterCheck]:
    """Decorator registering a roster-scope rule re-run when one of `triggers` changes."""

    def wrap(fn: RosterCheck) -> RosterCheck:
        register(Rule(code, title, severity, explain, anchors, check=fn,
                      triggers=frozenset(triggers)))
        return fn

    return wrap
