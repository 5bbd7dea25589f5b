"""Importing the Claude Code corpus: every quirk maps, every bad file gets a located error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.interop.claude_import import import_claude_code
from runtime.interop.report import ImportReport
from runtime.roster import codec, io
from runtime.roster import model as m
from runtime.roster.checks.engine import check_roster

from .conftest import CC_AGENTS, CC_BAD, CC_PLUGIN, CC_PROJECT


@pytest.fixture(scope="module")
def imported() -> tuple[codec.RosterContent, ImportReport]:
    return import_claude_code(CC_PROJECT)


def agent(content: codec.RosterContent, agent_id: str) -> m.Agent:
    node = content.nodes[agent_id]
    assert isinstance(node, m.Agent)
    return node


def edge(content: codec.RosterContent, source: str, kind: m.EdgeKind, target: str) -> m.Edge:
    return content.edges[m.edge_id(kind, source, target)]


def test_the_corpus_has_at_least_forty_subagent_files() -> None:
    assert len(list(CC_AGENTS.rglob("*.md"))) >= 40


def test_every_corpus_file_imports_without_refusal(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content, report = imported
    assert report.errors == []
    agents = [n for n in content.nodes.values() if isinstance(n, m.Agent)]
    assert len(agents) == len(list(CC_AGENTS.rglob("*.md")))


def test_the_imported_roster_saves_and_loads_back(
    imported: tuple[codec.RosterContent, ImportReport], tmp_path: Path
) -> None:
    target = tmp_path / "imported.roster.yaml"
    io.save_roster(imported[0], target)
    assert io.load_roster(target).content == imported[0]
    check_roster(imported[0])  # the checks run on what was imported


@pytest.mark.parametrize(
    ("agent_id", "model"),
    [
        ("code-reviewer", "claude-sonnet-5-5"),
        ("debugger", "claude-opus-5-5"),
        ("flow-list", "claude-haiku-5-5"),
        ("fable-model", "claude-fable-5-2"),
        ("inherit-model", None),
        ("inheritor", None),
        ("full-id", "claude-opus-4-6"),
        ("dated-id", "claude-sonnet-4-5"),
        ("unknown-id", "claude-sonnet-4-20250514"),
    ],
)
def test_model_aliases_and_ids_map_through_the_catalog(
    imported: tuple[codec.RosterContent, ImportReport], agent_id: str, model: str | None
) -> None:
    assert agent(imported[0], agent_id).model == model


def test_an_unknown_model_is_kept_with_a_warning(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    report = next(f for f in imported[1].files if f.file.endswith("unknown-id.md"))
    assert any("not in the model catalog" in n.text for n in report.notes)


def test_tools_as_comma_string_yaml_list_and_flow_list_become_grants(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    for agent_id, tools in (("code-reviewer", {"read", "grep", "glob", "bash"}),
                            ("debugger", {"read", "edit", "bash", "grep"}),
                            ("flow-list", {"read", "glob", "web-search"})):
        granted = {e.target for e in content.edges.values()
                   if e.source == agent_id and e.kind is m.EdgeKind.TOOL_ACCESS}
        assert granted == tools


def test_builtin_tools_become_tool_nodes_with_kind_capabilities_and_risk(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    bash = imported[0].nodes["bash"]
    assert isinstance(bash, m.Tool)
    assert (bash.kind, bash.risk) == ("shell", "critical")
    assert "code_exec" in bash.capabilities
    web = imported[0].nodes["web-fetch"]
    assert isinstance(web, m.Tool) and web.kind == "http_fetch"
    assert set(web.capabilities) == {"untrusted_input", "external_comm"}


def test_approvals_come_from_settings_json_then_claude_code_defaults(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    assert edge(content, "code-reviewer", m.EdgeKind.TOOL_ACCESS, "read").approval == "allow"
    assert edge(content, "code-reviewer", m.EdgeKind.TOOL_ACCESS, "bash").approval == "ask"
    triager = "github-triager"
    assert edge(content, triager, m.EdgeKind.TOOL_ACCESS,
                "github-create-issue").approval == "ask"
    assert edge(content, triager, m.EdgeKind.TOOL_ACCESS,
                "github-delete-comment").approval == "deny"


def test_agent_restrictions_become_delegation_edges(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    delegates = {e.target for e in content.edges.values()
                 if e.source == "orchestrator" and e.kind is m.EdgeKind.DELEGATION}
    assert delegates == {"worker", "researcher"}
    assert m.edge_id(m.EdgeKind.DELEGATION, "legacy-task", "worker") in content.edges


def test_unrestricted_and_unknown_spawn_targets_are_kept_as_is(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    assert agent(content, "any-agent").extensions["x-claude-code"]["unmapped_tools"] == ("Agent",)
    unknown = agent(content, "unknown-target")
    assert unknown.extensions["x-claude-code"]["unmapped_tools"] == ("Agent(Explore)",)
    assert m.edge_id(m.EdgeKind.DELEGATION, "unknown-target", "worker") in content.edges


def test_mcp_tools_become_mcp_tool_nodes_with_their_server_from_mcp_json(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    tool = content.nodes["github-delete-comment"]
    assert isinstance(tool, m.Tool)
    assert (tool.kind, tool.server, tool.tool) == ("mcp", "github", "delete_comment")
    assert "irreversible" in tool.capabilities
    server = content.nodes["github"]
    assert isinstance(server, m.McpServer)
    assert server.command == "npx"
    assert dict(server.env) == {"GITHUB_TOKEN": "env:GITHUB_TOKEN"}
    whole = content.nodes["payments-all"]
    assert isinstance(whole, m.Tool) and whole.tool == "*"
    refund = content.nodes["payments-create-refund"]
    assert isinstance(refund, m.Tool) and "financial" in refund.capabilities


def test_disallowed_tools_become_deny_grants(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    for tool in ("write", "edit"):
        assert edge(content, "disallowed", m.EdgeKind.TOOL_ACCESS, tool).approval == "deny"


def test_permission_modes_map_or_are_kept(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    assert agent(content, "plan-mode").permission_mode == "plan"
    assert agent(content, "plan-mode").max_turns == 12
    assert agent(content, "dont-ask").permission_mode == "dontAsk"
    bypass = agent(content, "bypass")
    assert bypass.permission_mode is None
    assert bypass.extensions["x-claude-code"]["keys"]["permissionMode"] == "bypassPermissions"
    report = next(f for f in imported[1].files if f.file.endswith("bypass.md"))
    assert any(n.kind.value == "warning" for n in report.notes)


def test_unknown_and_unmapped_keys_are_kept_under_extensions(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    keys = agent(imported[0], "all-fields").extensions["x-claude-code"]["keys"]
    assert set(keys) == {"skills", "mcpServers", "hooks", "memory", "background", "effort",
                         "isolation", "initialPrompt", "color"}
    vijay = agent(imported[0], "vijay-style").extensions["x-claude-code"]["keys"]
    assert vijay["tags"] == ("python", "django")
    assert vijay["expertise_level"] == "senior"


def test_the_body_becomes_the_instructions_byte_for_byte(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    raw = (CC_AGENTS / "quirks" / "tricky-body.md").read_text(encoding="utf-8")
    assert agent(content, "tricky-body").instructions == raw.split("---\n\n", 1)[1]
    assert agent(content, "no-trailing-newline").instructions == "No newline at the end."
    assert agent(content, "crlf-agent").instructions == "Line one.\r\nLine two.\r\n"
    assert agent(content, "no-gap").instructions == "Body starts right away.\n"


def test_descriptions_become_roles_verbatim(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    content = imported[0]
    assert "<example>" in agent(content, "example-blocks").role
    assert "\\n" in agent(content, "literal-newlines").role
    assert agent(content, "double-quoted").role.endswith('"quote" and a tab\there.')
    assert agent(content, "folded").role == "A folded description that spans several lines " \
        "in the file.\n"


def test_names_are_slugged_into_ids_and_a_missing_name_uses_the_file_name(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    assert agent(imported[0], "style-reviewer").name == "Style Reviewer"
    assert "no-name" in imported[0].nodes


def test_unknown_tool_names_are_kept_with_a_did_you_mean(
    imported: tuple[codec.RosterContent, ImportReport],
) -> None:
    report = next(f for f in imported[1].files if f.file.endswith("unknown-tool.md"))
    texts = " ".join(n.text for n in report.notes)
    assert "'Readd'" in texts and "did you mean Read?" in texts
    assert ":4:" in texts  # located at the tools line


def test_a_plugin_agents_folder_imports_and_skips_its_readme() -> None:
    content, report = import_claude_code(CC_PLUGIN)
    assert next(iter(content.nodes)) == "security-auditor"
    assert any("skipped" in n.text for f in report.files for n in f.notes)


EXPECTED_ERRORS = {
    "no-frontmatter.md": (1, "does not start with a '---' line"),
    "unclosed.md": (1, "never closed"),
    "no-description.md": (1, "no 'description'"),
    "tools-mapping.md": (4, "not a list of tools"),
    "unclosed-paren.md": (4, "'(' is never closed"),
    "max-turns.md": (4, "'maxTurns' must be a whole number"),
    "latin1.md": (3, "not UTF-8"),
    "empty.md": (1, "empty"),
    "duplicate-b.md": (2, "already defined"),
    "garbage-line.md": (2, "cannot read this frontmatter line"),
    "model-number.md": (4, "'model' is int"),
    "bad-name.md": (2, "not a usable agent name"),
    "duplicate-key.md": (4, "'name' is given twice (first on line 2)"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_each_bad_file_is_refused_with_a_located_specific_error(name: str) -> None:
    _, report = import_claude_code(CC_BAD)
    file = next(f for f in report.files if f.file.endswith(f"/{name}"))
    assert file.error is not None
    line, words = EXPECTED_ERRORS[name]
    assert (file.error.line, words in file.error.message) == (line, True), str(file.error)
    assert str(file.error).startswith(f"{file.file}:{line}:")


def test_bad_files_do_not_stop_the_good_ones() -> None:
    content, report = import_claude_code(CC_BAD)
    assert list(content.nodes) == ["dup"]
    assert len(report.errors) == len(EXPECTED_ERRORS)


def test_literal_values_in_mcp_json_never_enter_the_roster(planted: Path) -> None:
    import random
    import shutil
    import string

    shutil.copytree(CC_PROJECT, planted / "p")
    alphabet = string.ascii_letters + string.digits
    token = "ghp_" + "".join(random.choice(alphabet) for _ in range(36))  # made at test time
    servers = {"mcpServers": {"github": {"command": "npx", "env": {"GITHUB_TOKEN": token}}}}
    (planted / "p" / ".mcp.json").write_text(json.dumps(servers))
    content, report = import_claude_code(planted / "p")
    server = content.nodes["github"]
    assert isinstance(server, m.McpServer)
    assert dict(server.env) == {"GITHUB_TOKEN": "env:GITHUB_TOKEN"}
    assert token not in io.dumps(content)
    assert "literal text" in report.text()


def test_tool_and_server_ids_never_take_an_agent_id(tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "bash.md").write_text("---\nname: bash\ndescription: An agent called bash.\n"
                                    "tools: Bash, mcp__bash__run\n---\n\nHi\n")
    content, _ = import_claude_code(tmp_path)
    assert isinstance(content.nodes["bash"], m.Agent)
    assert isinstance(content.nodes["bash-tool"], m.Tool)
    assert isinstance(content.nodes["bash-server"], m.McpServer)
    assert io.loads(io.dumps(content)).content == content


def test_a_duplicated_name_refuses_the_file_instead_of_importing_the_second(
        tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "a.md").write_text("---\nname: x\ndescription: y\nname: z\n---\nBody\n")
    (agents / "ok.md").write_text("---\nname: ok\ndescription: fine\n---\nBody\n")
    content, report = import_claude_code(tmp_path)
    assert set(content.nodes) == {"ok"}
    [error] = report.errors
    assert str(error).startswith(f"{agents / 'a.md'}:4:1: 'name' is given twice")
