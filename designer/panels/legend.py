"""The edge legend: what each edge kind means and how it looks on the canvas."""

from __future__ import annotations

from designer.canvas import style as s

_DASH_WORDS = {"SolidLine": "solid", "DashLine": "dashed", "DotLine": "dotted"}


def legend_html() -> str:
    rows = []
    for look in s.EDGE_STYLES.values():
        dash = _DASH_WORDS.get(look.dash.name, "solid")
        rows.append(
            f"<tr><td><span style='color:{look.colour.name()}'><b>━━▶</b></span></td>"
            f"<td><b>{look.label}</b> ({dash}, {look.arrow} arrow)</td><td>{look.meaning}</td></tr>"
        )
    marks = ", ".join(f"{m} = {k}" for k, m in s.MODE_MARKS.items())
    approvals = ", ".join(f"{m} = {k}" for k, m in s.APPROVAL_MARKS.items())
    return (
        "<table cellspacing=6>" + "".join(rows) + "</table>"
        f"<p>Tool access labels: {marks}; {approvals} (yellow: waits for a human).</p>"
        "<p>Drag from the round handle on an agent's right edge to another node to connect "
        "it: to an agent for delegation, a tool for access, a human for escalation.</p>"
    )
