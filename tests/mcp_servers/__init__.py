"""MCP servers for tests (run with `python -m tests.mcp_servers.NAME`)."""
