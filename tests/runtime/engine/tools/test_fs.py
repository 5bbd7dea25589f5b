"""fs_read / fs_write: confinement to fs_roots against hostile paths, caps, grants."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.engine.tools._common import Refused, Roots
from runtime.engine.tools.fs import FileTool
from tests.runtime.engine.tools import Ctx, call, node


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """root/ (allowed, with notes.txt and sub/) next to outside/ (a secret)."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_text("hello notes\n")
    (root / "sub" / "deep.txt").write_text("deep")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET")
    return root


def reader(root: Path, **config: int) -> FileTool:
    return FileTool(node("fs_read", fs_roots=(str(root),), config=config), Roots([str(root)]),
                    writable=False)


def writer(root: Path, writers: frozenset[str] | None = None, **config: int) -> FileTool:
    return FileTool(node("fs_write", fs_roots=(str(root),), config=config), Roots([str(root)]),
                    writable=True, writers=writers)


def test_reads_and_lists_inside_the_root(box: Path) -> None:
    tool = reader(box)
    assert call(tool, {"path": "notes.txt"}).content == "hello notes\n"
    assert call(tool, {"operation": "read_file", "path": str(box / "sub/deep.txt")}).content \
        == "deep"
    listing = call(tool, {"operation": "list_dir", "path": "."})
    assert not listing.is_error and "notes.txt (12 bytes)" in listing.content
    assert "sub/" in listing.content
    assert "write_file" not in tool.spec.input_schema["properties"]["operation"]["enum"]
    assert str(box) in tool.spec.description


@pytest.mark.parametrize("path", [
    "../outside/secret.txt",
    "../../.ssh/id_rsa",
    "sub/../../outside/secret.txt",
    "/etc/passwd",
    "/proc/self/environ",
    "/proc/self/cwd/notes.txt",
    "/sys/kernel/hostname",
    "/dev/zero",
])
def test_hostile_paths_are_refused(box: Path, path: str) -> None:
    result = call(reader(box), {"path": path})
    assert result.is_error and result.content.startswith("refused:")
    assert "TOP SECRET" not in result.content


def test_symlink_escapes_are_refused(box: Path) -> None:
    secret = box.parent / "outside" / "secret.txt"
    (box / "link.txt").symlink_to(secret)
    (box / "dirlink").symlink_to(secret.parent)
    (box / "proc").symlink_to("/proc/self")
    tool = reader(box)
    for path in ("link.txt", "dirlink/secret.txt", "proc/environ"):
        result = call(tool, {"path": path})
        assert result.is_error, path
        assert "TOP SECRET" not in result.content
    listing = call(tool, {"operation": "list_dir", "path": "dirlink"})
    assert listing.is_error and "secret.txt" not in listing.content
    (box / "inner").symlink_to(box / "notes.txt")  # a link that stays inside is fine
    assert call(tool, {"path": "inner"}).content == "hello notes\n"


def test_a_symlink_swapped_in_after_the_check_is_not_followed(
        box: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (box / "swapped").symlink_to(box.parent / "outside")
    # pretend realpath ran before the swap: the walk with O_NOFOLLOW must still refuse
    monkeypatch.setattr(os.path, "realpath", lambda p: os.path.normpath(p))
    result = call(reader(box), {"path": "swapped/secret.txt"})
    assert result.is_error and "TOP SECRET" not in result.content


def test_fifo_and_bad_arguments_are_refused_without_blocking(box: Path) -> None:
    os.mkfifo(box / "pipe")
    tool = reader(box)
    assert "not a regular file" in call(tool, {"path": "pipe"}).content
    assert "NUL" in call(tool, {"path": "notes\0.txt"}).content
    assert call(tool, {"path": 7}).is_error
    assert call(tool, {"path": "x" * 5000}).is_error
    assert call(tool, {"path": "notes.txt", "offset": -1}).is_error
    assert "unknown operation" in call(tool, {"operation": "rm", "path": "notes.txt"}).content
    assert "not a regular file" in call(tool, {"path": "sub"}).content
    assert call(tool, {"path": "missing.txt"}).content.startswith("error:")


def test_reads_are_capped_and_can_page(box: Path) -> None:
    (box / "big.txt").write_bytes(b"a" * 1000 + b"b" * 1000)
    tool = reader(box, max_bytes=1000)
    first = call(tool, {"path": "big.txt"})
    assert first.content.startswith("a" * 1000) and "b" not in first.content.split("\n")[0]
    assert "truncated" in first.content and "offset 1000" in first.content
    assert call(tool, {"path": "big.txt", "offset": 1000}).content == "b" * 1000


def test_write_replaces_atomically_inside_the_root(box: Path) -> None:
    tool = writer(box)
    result = call(tool, {"operation": "write_file", "path": "sub/new.txt", "content": "é"})
    assert not result.is_error, result.content
    assert (box / "sub" / "new.txt").read_text() == "é"
    assert not [p for p in (box / "sub").iterdir() if p.name.endswith(".tmp")]


def test_hostile_writes_are_refused(box: Path) -> None:
    outside = box.parent / "outside"
    (box / "dangling").symlink_to(outside / "planted.txt")
    tool = writer(box, max_bytes=100)
    for path in ("../outside/x.txt", "/tmp/x-agent-roster.txt", "dangling",
                 "/proc/self/environ", "nowhere/x.txt", "."):
        result = call(tool, {"operation": "write_file", "path": path, "content": "x"})
        assert result.is_error, path
    assert not (outside / "planted.txt").exists() and not (outside / "x.txt").exists()
    big = call(tool, {"operation": "write_file", "path": "big.txt", "content": "x" * 101})
    assert "limit is 100" in big.content or "longer than 100" in big.content


def test_only_write_grants_may_write(box: Path) -> None:
    tool = writer(box, writers=frozenset({"editor"}))
    args = {"operation": "write_file", "path": "w.txt", "content": "x"}
    denied = call(tool, args, Ctx(agent="reader"))
    assert denied.is_error and "grant is not write" in denied.content
    assert not (box / "w.txt").exists()
    assert not call(tool, args, Ctx(agent="editor")).is_error


@pytest.mark.parametrize("root", ["/", "~", "$HOME", "~/.ssh", "/proc", "/definitely/missing"])
def test_dangerous_or_missing_roots_are_refused(root: str) -> None:
    with pytest.raises(Refused):
        Roots([root])
    with pytest.raises(Refused):
        Roots([])
