"""Agent Roster's Qt-free core: the roster document, checks, engine, simulation and CLI."""

__version__ = "0.1.0"
