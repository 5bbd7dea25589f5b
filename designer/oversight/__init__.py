"""Live runs, approvals, history and the dashboard: the designer's oversight pieces."""
