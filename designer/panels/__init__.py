"""Docked panels: palette, inspector, problems, overview, legend."""
