"""Saving a roster is atomic and refuses secrets: the old file or the new one, never a mix.

RELIABILITY.md, "Desktop data safety" and "Data-safety fault injection": a process
SIGKILLed at any point of a save leaves a file that parses and equals the old or the
new version byte for byte, and temporary files that `clean_stale_temps` removes; a full
disk (EFBIG through RLIMIT_FSIZE), a read-only directory and a missing directory are
reported as errors with the original untouched and nothing left behind; a literal secret
anywhere in the content stops the save before anything is written, and the error does
not repeat the secret.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.roster import atomic, io
from runtime.roster import model as m
from runtime.roster.atomic import TEMP_PREFIX, clean_stale_temps, write_atomic
from runtime.roster.codec import RosterContent
from runtime.roster.io import SecretInRosterError
from tests.runtime.secret_corpus import ALNUM, BASE32, KEY_CHARS, rand

REPO = Path(__file__).resolve().parents[2]
KILLS = 32


def roster(tag: str, agents: int = 3) -> RosterContent:
    paragraph = f"{tag}: read the ticket, check the order, answer the customer. " * 4
    nodes: dict[str, m.Node] = {
        f"agent-{i}": m.Agent(id=f"agent-{i}", name=f"{tag} agent {i}", role="Answers tickets.",
                              instructions=(paragraph + "\n") * 3)
        for i in range(agents)
    }
    return RosterContent(m.RosterMeta(name=f"Roster {tag}"), nodes,
                         layout={f"agent-{i}": m.Position(i * 10, 0) for i in range(agents)})


def saved(content: RosterContent) -> bytes:
    return io.dumps(content).encode("utf-8")


def temps(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{TEMP_PREFIX}*"))


# ---------------------------------------------------------------- SIGKILL mid-save


class SlowFile:
    """A file object that writes in small chunks with pauses, widening the window in
    which a kill lands in the middle of writing the temporary file."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def write(self, data: bytes) -> int:
        for start in range(0, len(data), 8 * 1024):
            self._handle.write(data[start : start + 8 * 1024])
            self._handle.flush()
            time.sleep(0.002)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> SlowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def _saving_child(path: Path, versions: list[RosterContent], turn: int, ready: int) -> None:
    """Runs in the forked child: save the versions in turn, from `turn`, until killed."""
    real_fdopen = os.fdopen
    atomic.os.fdopen = lambda *a, **k: SlowFile(real_fdopen(*a, **k))  # type: ignore[attr-defined]
    while True:
        os.write(ready, b".")  # "starting a save"
        io.save_roster(versions[turn % 2], path)
        turn += 1


def kill_during_saves(
    path: Path, versions: list[RosterContent], first: int, rng: random.Random
) -> None:
    """Fork a child that saves `versions[first]`, then the other, and so on; SIGKILL it
    at a random moment during its first or second save."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            os.close(read_end)
            _saving_child(path, versions, first, write_end)
        finally:
            os._exit(1)
    os.close(write_end)
    try:
        for _ in range(rng.randint(1, 2)):  # let it start one or two saves
            assert os.read(read_end, 1) == b".", "the saving child died"
        time.sleep(rng.uniform(0, 0.09))
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_save_killed_at_random_points_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "team.roster.yaml"
    versions = [roster("old", agents=160), roster("new", agents=220)]
    as_saved = [saved(v) for v in versions]
    allowed = set(as_saved)
    assert len(min(allowed, key=len)) > 100_000
    io.save_roster(versions[0], path)
    rng = random.Random(20260722)
    seen: set[bytes] = set()
    interrupted = 0
    for kill in range(KILLS):
        first = 0 if path.read_bytes() == as_saved[1] else 1  # the version not on disk
        kill_during_saves(path, versions, first, rng)
        data = path.read_bytes()
        assert data in allowed, f"kill {kill}: the file is neither version ({len(data)} bytes)"
        assert io.load_roster(path).content in versions
        seen.add(data)
        interrupted += bool(temps(tmp_path))
        clean_stale_temps(tmp_path)
        assert temps(tmp_path) == []
        assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert seen == allowed, "the child never completed a save of both versions"
    print(f"{interrupted} of {KILLS} kills interrupted a save while its temporary file existed")


# ---------------------------------------------------------------- write errors


def test_a_full_disk_is_reported_and_leaves_the_original_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "team.roster.yaml"
    io.save_roster(roster("old"), path)
    original = path.read_bytes()
    limit = len(original) + 4096
    script = textwrap.dedent(
        f"""
        import errno, resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
        from tests.runtime.test_atomic_save import roster
        from runtime.roster import io
        try:
            io.save_roster(roster("new", agents=200), {str(path)!r})
        except OSError as exc:
            print(errno.errorcode.get(exc.errno, exc.errno))
        else:
            print("saved")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "EFBIG"
    assert path.read_bytes() == original
    assert temps(tmp_path) == []  # the failed save removed its own temporary file
    assert clean_stale_temps(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody can write to: chmod, or for root the immutable attribute."""
    directory = tmp_path / "locked"
    directory.mkdir()
    (directory / "team.roster.yaml").write_bytes(saved(roster("old")))
    directory.chmod(0o555)
    immutable = False
    if _writable(directory):  # root ignores permission bits
        immutable = subprocess.run(["chattr", "+i", str(directory)], capture_output=True,
                                   check=False).returncode == 0
    try:
        if _writable(directory):
            pytest.skip("cannot make a read-only directory here (root without chattr +i)")
        yield directory
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(directory)], check=False)
        directory.chmod(0o755)


def _writable(directory: Path) -> bool:
    probe = directory / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def test_a_read_only_directory_is_reported_and_the_original_stays(read_only_dir: Path) -> None:
    path = read_only_dir / "team.roster.yaml"
    original = path.read_bytes()
    with pytest.raises(PermissionError):
        io.save_roster(roster("new"), path)
    assert path.read_bytes() == original
    assert [p.name for p in read_only_dir.iterdir()] == [path.name]


def test_a_missing_directory_is_reported_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "team.roster.yaml"
    with pytest.raises(FileNotFoundError):
        io.save_roster(roster("new"), path)
    assert not path.parent.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_removes_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "team.roster.yaml"
    path.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert temps(tmp_path) == []


def test_clean_stale_temps_removes_only_files_an_interrupted_save_left(tmp_path: Path) -> None:
    leftover = tmp_path / f"{TEMP_PREFIX}abc123.tmp"
    leftover.write_bytes(b"half a roster")
    keep = [tmp_path / name for name in ("team.roster.yaml", "notes.tmp", "team.roster.yaml.bak")]
    for other in keep:
        other.write_bytes(b"x")
    assert clean_stale_temps(tmp_path) == [leftover]
    assert sorted(tmp_path.iterdir()) == sorted(keep)


def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "team.roster.yaml"
    io.save_roster(roster("old"), path)
    path.chmod(0o640)
    io.save_roster(roster("new"), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_keep_backup_keeps_the_previous_version_as_bak(tmp_path: Path) -> None:
    path = tmp_path / "team.roster.yaml"
    io.save_roster(roster("old"), path)
    old = path.read_bytes()
    io.save_roster(roster("new"), path, keep_backup=True)
    assert (tmp_path / "team.roster.yaml.bak").read_bytes() == old
    assert path.read_bytes() == saved(roster("new"))


# ---------------------------------------------------------------- secrets are never written


def anthropic_key(rng: random.Random) -> str:
    return "sk-ant-api03-" + rand(rng, KEY_CHARS, 93) + "AA"


def aws_key(rng: random.Random) -> str:
    return "AKIA" + rand(rng, BASE32, 16)


def github_token(rng: random.Random) -> str:
    return "ghp_" + rand(rng, ALNUM, 36)


def _with_agent(content: RosterContent, **fields: Any) -> RosterContent:
    agent = content.nodes["agent-0"]
    nodes = {**content.nodes, "agent-0": dataclasses.replace(agent, **fields)}  # type: ignore[type-var]
    return dataclasses.replace(content, nodes=nodes)


def _with_node(content: RosterContent, node: m.Node) -> RosterContent:
    return dataclasses.replace(content, nodes={**content.nodes, node.id: node})


def _with_meta(content: RosterContent, **fields: Any) -> RosterContent:
    return dataclasses.replace(content, meta=dataclasses.replace(content.meta, **fields))


Plant = Callable[[RosterContent, str], RosterContent]
PLACES: dict[str, Plant] = {
    "agent-instructions": lambda c, s: _with_agent(c, instructions=f"Use the key {s} to log in."),
    "agent-name": lambda c, s: _with_agent(c, name=s),
    "agent-task": lambda c, s: _with_agent(c, tasks=("triage", s)),
    "agent-output-schema": lambda c, s: _with_agent(
        c, output_schema=m.freeze({"type": "object", "description": s})),
    "agent-extension": lambda c, s: _with_agent(c, extensions=m.freeze({"x-tool": {"token": s}})),
    "tool-description": lambda c, s: _with_node(
        c, m.Tool(id="fetch", kind="http_fetch", description=f"Authenticate with {s}")),
    "tool-config": lambda c, s: _with_node(
        c, m.Tool(id="fetch", kind="http_fetch", config=m.freeze({"allow_domains": [s]}))),
    "unknown-kind-tool": lambda c, s: _with_node(
        c, m.Placeholder("widget", "tools", "acme_widget",
                         m.freeze({"kind": "acme_widget", "api_key": s}))),
    "mcp-env": lambda c, s: _with_node(
        c, m.McpServer(id="crm-mcp", command="crm-mcp", env=m.freeze({"CRM_TOKEN": s}))),
    "mcp-args": lambda c, s: _with_node(
        c, m.McpServer(id="crm-mcp", command="crm-mcp", args=("--token", s))),
    "human-role": lambda c, s: _with_node(c, m.Human(id="lead", role=f"Holds {s}")),
    "edge-purpose": lambda c, s: dataclasses.replace(
        _with_node(c, m.Tool(id="notes", kind="memory")),
        edges={"agent-0:uses:notes": m.Edge(m.EdgeKind.TOOL_ACCESS, "agent-0", "notes",
                                            purpose=f"uses {s}")}),
    "acknowledgement-reason": lambda c, s: _with_meta(
        c, acknowledged=(m.Acknowledgement("R10", "agent-0", "ops", f"ok, key {s}"),)),
    "roster-description": lambda c, s: _with_meta(c, description=f"Key: {s}"),
    "roster-extension": lambda c, s: _with_meta(c, extensions=m.freeze({"x-ci": [s]})),
    "provider-base-url": lambda c, s: _with_meta(
        c, providers=m.freeze({"anthropic": m.Provider(base_url=f"https://x.example/{s}")})),
}
MAKERS = {"anthropic": anthropic_key, "aws": aws_key, "github": github_token}


@pytest.mark.parametrize("maker", MAKERS.values(), ids=MAKERS.keys())
@pytest.mark.parametrize("place", PLACES.values(), ids=PLACES.keys())
def test_a_literal_secret_anywhere_stops_the_save_before_anything_is_written(
    tmp_path: Path, place: Plant, maker: Callable[[random.Random], str]
) -> None:
    secret = maker(random.Random(hash(place) % 1000))
    path = tmp_path / "team.roster.yaml"
    io.save_roster(roster("old"), path)
    original = path.read_bytes()
    with pytest.raises(SecretInRosterError) as caught:
        io.save_roster(place(roster("new"), secret), path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    message = str(caught.value)
    assert secret not in message and secret[-12:] not in message
    assert "Nothing was written" in message
    assert "keyring:agent-roster/" in message


def test_a_literal_secret_in_a_new_file_creates_no_file(tmp_path: Path) -> None:
    secret = anthropic_key(random.Random(7))
    provider = m.Provider(api_key=secret)
    content = _with_meta(roster("new"), providers=m.freeze({"anthropic": provider}))
    with pytest.raises(SecretInRosterError) as caught:
        io.save_roster(content, tmp_path / "fresh.roster.yaml")
    assert list(tmp_path.iterdir()) == []
    assert secret not in str(caught.value)
    assert "providers.anthropic.api_key" in str(caught.value)


def test_references_to_keys_are_saved_normally(tmp_path: Path) -> None:
    content = _with_meta(roster("new"), providers=m.freeze(
        {"anthropic": m.Provider(api_key="keyring:agent-roster/anthropic")}))
    content = _with_node(content, m.McpServer(id="crm-mcp", command="crm-mcp",
                                              env=m.freeze({"CRM_TOKEN": "env:CRM_TOKEN"})))
    path = tmp_path / "team.roster.yaml"
    io.save_roster(content, path)
    assert io.load_roster(path).content == content
