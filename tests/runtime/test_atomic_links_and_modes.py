"""Atomic saves through symbolic links, and the mode and owner of the file they write.

A save must replace the file a link points to, not the link: `roster fmt link.yaml`
used to turn the link into a regular file and leave the real roster unformatted. A
new file gets the mode any other program would give it (0666 less the umask; rosters
hold no secrets, keys live in the keyring), and a replaced file keeps its own mode
and, where allowed, its owner and group.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.roster.atomic import TEMP_PREFIX, write_atomic

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX links and modes")


@pytest.fixture
def umask_022() -> Iterator[int]:
    old = os.umask(0o022)
    try:
        yield 0o022
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{TEMP_PREFIX}*"))


def old_file_in(directory: Path, name: str = "team.roster.yaml") -> Path:
    """`directory/name` holding b"old", the directory made if needed."""
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_bytes(b"old")
    return path


def test_saving_through_a_link_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.roster.yaml"
    real.write_bytes(b"old")
    link = tmp_path / "link.roster.yaml"
    link.symlink_to(real.name)
    write_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_the_temporary_file_goes_beside_the_real_file_in_another_directory(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "store"
    real = old_file_in(elsewhere)
    work = tmp_path / "work"
    work.mkdir()
    link = work / "team.roster.yaml"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert sorted(work.iterdir()) == [link]
    assert sorted(elsewhere.iterdir()) == [real]


def test_a_chain_of_links_and_a_linked_directory_are_followed_to_the_file(
    tmp_path: Path,
) -> None:
    real_dir = tmp_path / "real"
    real = old_file_in(real_dir)
    (tmp_path / "alias").symlink_to(real_dir)
    first = tmp_path / "first.yaml"
    first.symlink_to(tmp_path / "alias" / "team.roster.yaml")
    second = tmp_path / "second.yaml"
    second.symlink_to(first)
    write_atomic(second, b"new")
    assert second.is_symlink() and first.is_symlink()
    assert real.read_bytes() == b"new"


def test_a_dangling_link_creates_the_file_it_points_to(tmp_path: Path) -> None:
    link = tmp_path / "link.roster.yaml"
    link.symlink_to("missing.roster.yaml")
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert (tmp_path / "missing.roster.yaml").read_bytes() == b"new"


def test_a_backup_through_a_link_keeps_the_old_target_content(tmp_path: Path) -> None:
    real = tmp_path / "real.roster.yaml"
    real.write_bytes(b"old")
    link = tmp_path / "link.roster.yaml"
    link.symlink_to(real.name)
    backup = tmp_path / "link.roster.yaml.bak"
    write_atomic(link, b"new", backup=backup)
    assert backup.read_bytes() == b"old" and not backup.is_symlink()
    assert real.read_bytes() == b"new"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "new.roster.yaml", b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.roster.yaml") == 0o666 & ~umask


def test_a_replaced_file_keeps_its_mode_even_when_wider_than_the_umask(
    tmp_path: Path, umask_022: int
) -> None:
    path = tmp_path / "shared.roster.yaml"
    path.write_bytes(b"old")
    path.chmod(0o664)
    write_atomic(path, b"new")
    assert mode(path) == 0o664
    path.chmod(0o600)
    write_atomic(path, b"newer")
    assert mode(path) == 0o600


def test_a_replaced_file_keeps_its_owner_and_group(tmp_path: Path) -> None:
    path = tmp_path / "team.roster.yaml"
    path.write_bytes(b"old")
    if os.geteuid() == 0:  # root can give a file away: prove the owner is copied
        os.chown(path, 12345, 23456)
    before = path.stat()
    write_atomic(path, b"new")
    after = path.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)


def test_a_backup_gets_the_mode_of_the_file_it_copies(tmp_path: Path, umask_022: int) -> None:
    path = tmp_path / "team.roster.yaml"
    path.write_bytes(b"old")
    path.chmod(0o640)
    backup = tmp_path / "team.roster.yaml.bak"
    write_atomic(path, b"new", backup=backup)
    assert mode(backup) == 0o640


def test_a_link_target_keeps_its_mode_and_the_link_is_untouched(
    tmp_path: Path, umask_022: int
) -> None:
    real = tmp_path / "real.roster.yaml"
    real.write_bytes(b"old")
    real.chmod(0o660)
    link = tmp_path / "link.roster.yaml"
    link.symlink_to(real.name)
    write_atomic(link, b"new")
    assert mode(real) == 0o660 and link.is_symlink()
