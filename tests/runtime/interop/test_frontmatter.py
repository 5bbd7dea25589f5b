"""The lenient frontmatter reader: strict YAML first, a line-based fallback for real files."""

from __future__ import annotations

import pytest

from runtime.interop.frontmatter import parse
from runtime.interop.report import InteropError


def test_valid_yaml_frontmatter_is_read_strictly() -> None:
    fm = parse(b"---\nname: a\ndescription: b\ntools: [Read]\n---\n\nBody\n", "f.md")
    assert not fm.lenient
    assert fm.values == {"name": "a", "description": "b", "tools": ["Read"]}
    assert fm.body == "\nBody\n"


def test_unquoted_colon_in_description_falls_back_to_the_line_reader() -> None:
    fm = parse(b"---\nname: a\ndescription: Use when: asked. Note: x\ntools: Read\n---\nB", "f")
    assert fm.lenient
    assert fm.values["description"] == "Use when: asked. Note: x"
    assert fm.values["tools"] == "Read"


def test_example_blocks_continue_the_description_until_the_next_known_key() -> None:
    text = (b"---\nname: a\ndescription: Examples:\n<example>\nuser: \"hi\"\n</example>\n"
            b"model: sonnet\n---\n")
    fm = parse(text, "f")
    assert fm.values["description"] == 'Examples:\n<example>\nuser: "hi"\n</example>'
    assert fm.values["model"] == "sonnet"
    assert fm.lines["model"] == 7


def test_literal_backslash_n_is_kept_as_written() -> None:
    fm = parse(b"---\nname: a\ndescription: one\\ntwo: three\n---\n", "f")
    assert fm.values["description"] == "one\\ntwo: three"


def test_block_list_of_tools_is_read_in_lenient_mode() -> None:
    fm = parse(b"---\nname: a\ndescription: x: y\ntools:\n  - Read\n  - Bash\n---\n", "f")
    assert fm.lenient
    assert fm.values["tools"] == ["Read", "Bash"]


def test_crlf_and_bom_are_recognised_and_the_body_keeps_its_bytes() -> None:
    fm = parse("\ufeff---\r\nname: a\r\ndescription: b\r\n---\r\n\r\nL1\r\nL2\r\n".encode(), "f")
    assert fm.bom and fm.newline == "\r\n"
    assert fm.body == "\r\nL1\r\nL2\r\n"


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"", 1, "empty"),
        (b"# title\n", 1, "does not start with a '---'"),
        (b"---\nname: a\n", 1, "never closed"),
        (b"---\nname: a\nname: b\ndescription: x: y\n---\n", 3, "given twice"),
        (b"---\n  : : [\nname: a\n---\n", 2, "cannot read this frontmatter line"),
        (b"---\nname: \xff\n---\n", 2, "not UTF-8"),
    ],
)
def test_unreadable_frontmatter_gets_a_located_specific_error(
    data: bytes, line: int, words: str
) -> None:
    with pytest.raises(InteropError) as caught:
        parse(data, "agent.md")
    assert caught.value.file == "agent.md"
    assert caught.value.line == line
    assert words in caught.value.message
    assert str(caught.value).startswith(f"agent.md:{line}:")


@pytest.mark.parametrize(
    ("data", "lenient_file"),
    [
        (b"---\nname: x\ndescription: y\nname: z\n---\nBody\n", False),
        (b"---\nname: x\ndescription: y: with a colon\nname: z\n---\nBody\n", True),
        (b"\xef\xbb\xbf---\r\nname: x\r\ndescription: y\r\nname: z\r\n---\r\nBody\r\n", False),
    ],
    ids=["valid-yaml", "line-reader", "crlf-bom"],
)
def test_a_key_given_twice_is_refused_at_its_second_occurrence(
    data: bytes, lenient_file: bool
) -> None:
    """`name: x` ... `name: z` must not import agent z: YAML forbids repeated keys."""
    with pytest.raises(InteropError) as caught:
        parse(data, "agent.md")
    error = caught.value
    assert (error.line, error.column) == (4, 1)
    assert "'name' is given twice (first on line 2)" in error.message
    assert error.hint and "keep one 'name:' line" in error.hint
    assert str(error).startswith("agent.md:4:1:")


def test_a_nested_key_given_twice_is_refused_with_its_column() -> None:
    data = b"---\nname: a\ndescription: b\nhooks:\n  Stop: [x]\n  Stop: [y]\n---\n"
    with pytest.raises(InteropError) as caught:
        parse(data, "agent.md")
    assert (caught.value.line, caught.value.column) == (6, 3)
    assert "'Stop' is given twice" in caught.value.message
