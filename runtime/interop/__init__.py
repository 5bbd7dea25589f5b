"""Interop with other agent tools: Claude Code subagents, CrewAI crews, handbooks, diffs.

Each format has its own importer and exporter module; all of them speak
`RosterContent` (the core model) on one side and files on the other, and
report per file what was imported, mapped, kept as-is or refused
(`report.ImportReport`). Nothing here imports PySide6.
"""
