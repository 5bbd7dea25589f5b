"""The canvas's visual vocabulary: colours per node type, model tier, risk and edge kind.

One place for the look, so the legend, the items and exported images agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from runtime.roster.model import EdgeKind, NodeType

NODE_WIDTH = 196.0
NODE_HEIGHT = 72.0
HANDLE_RADIUS = 7.0

TYPE_COLOURS: dict[NodeType, QColor] = {
    NodeType.AGENT: QColor("#3b6fd8"),
    NodeType.TOOL: QColor("#d9822b"),
    NodeType.HUMAN: QColor("#2f9e5b"),
    NodeType.MCP_SERVER: QColor("#6b7280"),
    NodeType.PLACEHOLDER: QColor("#c0392b"),
}
TYPE_GLYPHS: dict[NodeType, str] = {
    NodeType.AGENT: "A",
    NodeType.TOOL: "T",
    NodeType.HUMAN: "H",
    NodeType.MCP_SERVER: "S",
    NodeType.PLACEHOLDER: "?",
}
TIER_COLOURS: dict[int, QColor] = {
    1: QColor("#16a34a"),  # economy
    2: QColor("#2563eb"),  # standard
    3: QColor("#7c3aed"),  # premium
    4: QColor("#b45309"),  # frontier
}
RISK_COLOURS: dict[str, QColor] = {
    "low": QColor("#16a34a"),
    "medium": QColor("#ca8a04"),
    "high": QColor("#ea580c"),
    "critical": QColor("#dc2626"),
}
ERROR_COLOUR = QColor("#dc2626")
WARNING_COLOUR = QColor("#d97706")
SELECTION_COLOUR = QColor("#0ea5e9")
LEGAL_COLOUR = QColor("#16a34a")
ILLEGAL_COLOUR = QColor("#dc2626")
CARD_FILL = QColor("#ffffff")
CARD_TEXT = QColor("#111827")
CARD_SUBTEXT = QColor("#6b7280")
CANVAS_BACKGROUND = QColor("#f3f4f6")
GRID_COLOUR = QColor("#e5e7eb")


@dataclass(frozen=True)
class EdgeStyle:
    label: str
    colour: QColor
    width: float
    dash: Qt.PenStyle
    arrow: str  # "filled", "open", "diamond"
    meaning: str


EDGE_STYLES: dict[EdgeKind, EdgeStyle] = {
    EdgeKind.DELEGATION: EdgeStyle("delegation", QColor("#3b6fd8"), 2.2, Qt.PenStyle.SolidLine,
                                   "filled", "agent → agent: hands a sub-task to the callee"),
    EdgeKind.TOOL_ACCESS: EdgeStyle("tool access", QColor("#9a5b13"), 1.6, Qt.PenStyle.DashLine,
                                    "open", "agent → tool: read / write / execute"),
    EdgeKind.ESCALATION: EdgeStyle("escalation", QColor("#2f9e5b"), 1.8, Qt.PenStyle.DotLine,
                                   "diamond", "agent → human: asks this person"),
}
APPROVAL_MARKS = {"allow": "✓", "ask": "?", "deny": "✕"}
MODE_MARKS = {"read": "R", "write": "W", "execute": "X"}

# Shortest words that still say it, most consequential first (shown on tool cards).
CAPABILITY_LABELS: dict[str, str] = {
    "financial": "money",
    "irreversible": "irreversible",
    "code_exec": "code",
    "external_comm": "external",
    "state_change": "writes",
    "filesystem_write": "files",
    "shared_memory_write": "memory",
    "untrusted_input": "untrusted",
    "reads_private_data": "private",
}
