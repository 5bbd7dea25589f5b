"""Agent Roster's desktop designer (PySide6). All Qt code of the project lives here."""
