"""Bad roster files: every one is refused with one clean, located `RosterLoadError`.

The hand-written files in tests/fixtures/bad/ each try one malformed or malicious
input (RELIABILITY.md, "Test figures / Bad inputs tried"). Each starts with a comment
saying what it tries and a machine-readable second line

    # expect: LINE:COLUMN | TEXT

giving where the error must point (1-based, as editors count) and a piece of text the
error must contain. Inputs too big or too secret to commit (a 50 MB file, nesting
10,000 deep, 10^5000, a literal API key, an empty file) are generated here at test time.

The pass criterion for every bad input: a `RosterLoadError` and never another
exception type, text starting with `file:line:col:`, under a second, under 100 MB of
memory, and the file on disk left exactly as it was.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from runtime.roster import io, yaml_read
from runtime.roster.errors import RosterLoadError
from tests.conftest import register_test_key
from tests.runtime.secret_corpus import KEY_CHARS, rand

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "bad"
SAMPLE = REPO / "resources" / "samples" / "support-triage.roster.yaml"
EXPECT = re.compile(rb"^# expect: (\d+|-):(\d+|-) \| (.*?)\r?$", re.MULTILINE)
ENVELOPE = "format: agent-roster\nversion: 1\n"
TIME_LIMIT_S = 1.0
MEMORY_LIMIT_KIB = 100 * 1024


@dataclass(frozen=True)
class Expectation:
    line: int | None
    column: int | None
    text: str


def expectation(path: Path) -> Expectation:
    match = EXPECT.search(path.read_bytes())
    assert match is not None, f"{path.name} has no '# expect: LINE:COL | TEXT' line"
    line, column, text = (group.decode() for group in match.groups())
    return Expectation(
        int(line) if line != "-" else None, int(column) if column != "-" else None, text
    )


def refusal(path: Path) -> RosterLoadError:
    """The error loading `path` raises; fails the test for a load or any other exception."""
    try:
        io.load_roster(path)
    except RosterLoadError as error:
        return error
    except Exception as exc:
        pytest.fail(f"{path.name}: {type(exc).__name__} leaked out of the loader: {exc}")
    pytest.fail(f"{path.name} loaded, but it must be refused")


def refusal_of_text(data: bytes | str, filename: str = "team.roster.yaml") -> RosterLoadError:
    try:
        io.loads(data, filename=filename)
    except RosterLoadError as error:
        return error
    except Exception as exc:
        pytest.fail(f"{type(exc).__name__} leaked out of the loader: {exc}")
    pytest.fail("the text loaded, but it must be refused")


# ---------------------------------------------------------------- known bugs
# Each set names fixtures a runtime bug makes fail; the tests are strict xfails, so
# fixing the bug makes them pass and the set entry must then be removed.

# No open bugs: every fixture is expected to pass. A bug found later goes here as a
# strict xfail, so fixing it makes the test pass and the entry must then be removed.
WRONG_POSITION: dict[str, str] = {}
NO_GUIDANCE: dict[str, str] = {}


def fixtures(known_bugs: dict[str, str] | None = None, *, syntax: bool = True) -> list[object]:
    """Every fixture as a pytest param, with strict xfails for the given known bugs."""
    bugs = known_bugs or {}
    params = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        if not syntax and expectation(path).text == "invalid YAML":
            continue
        marks = []
        if path.stem in bugs:
            marks.append(pytest.mark.xfail(strict=True, reason=bugs[path.stem]))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


# ---------------------------------------------------------------- the fixture set


def test_there_are_at_least_fifty_bad_fixtures_each_saying_what_it_tries() -> None:
    paths = sorted(FIXTURES.glob("*.yaml"))
    assert len(paths) >= 50
    for path in paths:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        assert data.startswith(b"# "), f"{path.name} must start with a comment saying what it tries"
        expectation(path)


@pytest.mark.parametrize("path", fixtures())
def test_bad_file_is_refused_with_a_roster_load_error_naming_file_line_and_column(
    path: Path,
) -> None:
    error = refusal(path)
    assert error.file == str(path)
    assert isinstance(error.line, int) and error.line >= 1
    assert isinstance(error.column, int) and error.column >= 1
    assert str(error).startswith(f"{path}:{error.line}:{error.column}: ")
    assert error.message.strip()
    assert "Traceback" not in str(error)


@pytest.mark.parametrize("path", fixtures(WRONG_POSITION))
def test_bad_file_error_points_at_the_offending_place_and_says_why(path: Path) -> None:
    want = expectation(path)
    error = refusal(path)
    assert (error.line, error.column) == (want.line, want.column), str(error)
    assert want.text.lower() in str(error).lower()


@pytest.mark.parametrize("path", fixtures(NO_GUIDANCE, syntax=False))
def test_bad_file_error_says_what_was_expected_or_how_to_fix_it(path: Path) -> None:
    error = refusal(path)
    assert error.expected or error.hint, str(error)


@pytest.mark.parametrize("path", fixtures())
def test_bad_file_is_refused_within_a_second(path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(RosterLoadError):
        io.load_roster(path)
    assert time.perf_counter() - start < TIME_LIMIT_S


@pytest.mark.parametrize("path", fixtures())
def test_refusing_a_bad_file_leaves_it_byte_for_byte_unchanged(path: Path) -> None:
    before = path.read_bytes()
    refusal(path)
    assert path.read_bytes() == before


def test_a_literal_key_value_is_never_echoed_in_an_error() -> None:
    error = refusal(FIXTURES / "tool-credential-not-reference.yaml")
    assert "plaintext-credential" not in str(error)
    assert "not shown" in str(error)


# ---------------------------------------------------------------- generated at test time


def write(tmp_path: Path, data: bytes | str, name: str = "bad.roster.yaml") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def refused_quickly_and_untouched(path: Path) -> RosterLoadError:
    before = path.read_bytes()
    start = time.perf_counter()
    error = refusal(path)
    assert time.perf_counter() - start < TIME_LIMIT_S
    assert path.read_bytes() == before
    assert str(error).startswith(f"{path}:")
    return error


def test_an_empty_file_is_refused_at_line_one(tmp_path: Path) -> None:
    error = refused_quickly_and_untouched(write(tmp_path, b""))
    assert (error.line, error.column) == (1, 1)
    assert "the file is empty" in str(error)


def test_a_file_of_blank_lines_is_refused_as_empty(tmp_path: Path) -> None:
    error = refused_quickly_and_untouched(write(tmp_path, "\n  \n\n"))
    assert "the file is empty" in str(error)


def test_lists_nested_ten_thousand_deep_are_refused(tmp_path: Path) -> None:
    depth = 10_000
    path = write(tmp_path, ENVELOPE + "extensions:\n  x-deep: " + "[" * depth + "]" * depth + "\n")
    error = refused_quickly_and_untouched(path)
    assert error.line == 4
    assert "nesting" in str(error).lower()


def test_mappings_nested_ten_thousand_deep_are_refused(tmp_path: Path) -> None:
    depth = 10_000
    path = write(tmp_path, ENVELOPE + "extensions:\n  x-deep: " + "{a: " * depth + "}" * depth)
    error = refused_quickly_and_untouched(path)
    assert error.line == 4
    assert f"deeper than {yaml_read.MAX_DEPTH} levels" in str(error)


def test_block_mappings_nested_beyond_the_cap_are_refused(tmp_path: Path) -> None:
    depth = yaml_read.MAX_DEPTH + 10
    lines = [f"{'  ' * i}k{i}:" for i in range(depth)] + [f"{'  ' * depth}leaf"]
    path = write(tmp_path, ENVELOPE + "extensions:\n  x-deep:\n" + textwrap.indent(
        "\n".join(lines), "    "))
    error = refused_quickly_and_untouched(path)
    assert f"deeper than {yaml_read.MAX_DEPTH} levels" in str(error)


def fifty_megabytes(tmp_path: Path) -> Path:
    filler = "  - " + "lorem ipsum dolor sit amet " * 3 + "\n"
    count = 50 * 1024 * 1024 // len(filler) + 1
    text = ENVELOPE + "extensions:\n x-filler:\n" + filler * count
    return write(tmp_path, text, "big.roster.yaml")


def test_a_fifty_megabyte_file_is_refused_as_too_large(tmp_path: Path) -> None:
    path = fifty_megabytes(tmp_path)
    assert path.stat().st_size > 50 * 1024 * 1024
    error = refused_quickly_and_untouched(path)
    assert f"at most {yaml_read.MAX_BYTES:,} bytes" in str(error)
    assert error.hint


def test_a_number_of_five_thousand_digits_is_refused_without_converting_it(tmp_path: Path) -> None:
    path = write(tmp_path, ENVELOPE + "agents:\n  a:\n    max_turns: 1" + "0" * 5000 + "\n")
    error = refused_quickly_and_untouched(path)
    assert (error.line, error.column) == (5, 16)
    assert "too large" in str(error)


def test_a_number_of_five_thousand_digits_in_layout_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, ENVELOPE + "agents:\n  a: {}\nlayout:\n  a: {x: -1" + "0" * 5000
                 + ", y: 0}\n")
    error = refused_quickly_and_untouched(path)
    assert error.line == 6
    assert "too large" in str(error)


def test_ten_to_the_five_thousand_as_a_float_is_refused_as_not_finite(tmp_path: Path) -> None:
    path = write(tmp_path, ENVELOPE + "policy:\n  budget_usd_per_run: 1e5000\n")
    error = refused_quickly_and_untouched(path)
    assert (error.line, error.column) == (4, 23)
    assert "finite" in str(error)


def generated_api_key(seed: int) -> str:
    rng = random.Random(seed)
    return register_test_key("sk-ant-api03-" + rand(rng, KEY_CHARS, 93) + "AA")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_literal_api_key_in_providers_is_refused_and_never_echoed(
    planted: Path, seed: int
) -> None:
    key = generated_api_key(seed)
    path = write(planted, ENVELOPE + f"providers:\n  anthropic:\n    api_key: {key}\n")
    error = refused_quickly_and_untouched(path)
    assert (error.line, error.column) == (5, 14)
    assert key not in str(error)
    assert key not in repr(error.args)
    assert key[:20] not in str(error)
    assert "keyring:SERVICE/NAME or env:VAR" in str(error)


def test_a_literal_api_key_as_a_tool_credential_is_refused_and_never_echoed(
    planted: Path,
) -> None:
    key = generated_api_key(4)
    body = f"tools:\n  t:\n    kind: http_fetch\n    credential: {key}\n"
    path = write(planted, ENVELOPE + body)
    error = refused_quickly_and_untouched(path)
    assert error.path == ("tools", "t", "credential")
    assert key not in str(error)


def test_a_missing_file_is_a_roster_load_error_without_a_position(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.roster.yaml"
    error = refusal(path)
    assert str(error).startswith(f"{path}: file not found")
    assert error.line is None and error.column is None  # no text, so no position
    assert error.hint


def test_a_directory_is_a_roster_load_error_without_a_position(tmp_path: Path) -> None:
    error = refusal(tmp_path)
    assert str(error).startswith(f"{tmp_path}: ")
    assert error.line is None


def test_bytes_loaded_from_memory_are_refused_the_same_way() -> None:
    error = refusal_of_text(b"format: agent-roster\nversion: 1\nname: \xff\n")
    assert str(error).startswith("team.roster.yaml:3:7: ")


# ---------------------------------------------------------------- accepted encodings


def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="bom"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"), id="bom-and-crlf"),
    ],
)
def test_crlf_line_endings_and_a_utf8_bom_load_like_the_lf_file(variant) -> None:  # type: ignore[no-untyped-def]
    lf = io.loads(sample_bytes())
    other = io.loads(variant(sample_bytes()))
    assert other.content == lf.content
    assert io.dumps(other.content) == io.dumps(lf.content)


def test_a_bom_does_not_shift_error_columns() -> None:
    plain = refusal_of_text(b"format: agent-roster\nname: 5\nversion: 1\n")
    with_bom = refusal_of_text(b"\xef\xbb\xbfformat: agent-roster\nname: 5\nversion: 1\n")
    assert (with_bom.line, with_bom.column) == (plain.line, plain.column) == (2, 7)


def test_crlf_line_endings_do_not_shift_error_positions() -> None:
    text = b"format: agent-roster\nversion: 1\nagents:\n  a:\n    max_turns: many\n"
    lf = refusal_of_text(text)
    crlf = refusal_of_text(text.replace(b"\n", b"\r\n"))
    assert (crlf.line, crlf.column) == (lf.line, lf.column) == (5, 16)


# ---------------------------------------------------------------- memory, in a child process

MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys
    from runtime.roster import io
    from runtime.roster.errors import RosterLoadError
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        io.load_roster(sys.argv[1])
    except RosterLoadError:
        pass
    else:
        sys.exit("the file loaded")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(after - before)
    """
)


def rss_growth_kib(path: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_refusing_the_alias_bomb_uses_under_100_mb(tmp_path: Path) -> None:
    assert rss_growth_kib(FIXTURES / "yaml-alias-bomb.yaml") < MEMORY_LIMIT_KIB


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_refusing_a_fifty_megabyte_file_uses_under_100_mb(tmp_path: Path) -> None:
    assert rss_growth_kib(fifty_megabytes(tmp_path)) < MEMORY_LIMIT_KIB


UNBOUNDED_PROBE = textwrap.dedent(
    """
    import resource, sys
    limit = 512 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from runtime.roster import io
    from runtime.roster.errors import RosterLoadError
    try:
        io.load_roster("/dev/zero")
    except RosterLoadError as error:
        print(error)
    """
)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_refused_as_too_large_without_reading_it_all() -> None:
    result = subprocess.run(
        [sys.executable, "-c", UNBOUNDED_PROBE],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "/dev/zero" in result.stdout and "at most" in result.stdout


# ---------------------------------------------------------------- exact wording (golden)

GOLDEN = [
    pytest.param(
        "format: agent-roster\nversion: 99\nname: From the future\n",
        "team.roster.yaml:2:10: version: this roster is format version 99; this Agent Roster "
        "reads up to version 1\n"
        "  fix: update Agent Roster to open it; the file was not changed",
        id="future-version",
    ),
    pytest.param(
        ENVELOPE + "agents:\n  a:\n    uses:\n      payments:\n        approval: ask\n"
        "        approval: allow\n",
        "team.roster.yaml:8:9: duplicate key 'approval'\n"
        "  fix: remove one of the two; YAML would silently keep only the last",
        id="duplicate-approval",
    ),
    pytest.param(
        ENVELOPE + "agents:\n  a:\n    uses:\n      payments: {mode: write, approval: alow}\n",
        "team.roster.yaml:6:41: agents.a.uses.payments.approval: 'alow' is not allowed here\n"
        "  expected: one of: allow, ask, deny\n"
        "  fix: did you mean 'allow'?",
        id="enum-did-you-mean",
    ),
    pytest.param(
        ENVELOPE + "name: Support\ndescription: *shared\n",
        "team.roster.yaml:4:14: YAML aliases (*name) are not allowed in a roster\n"
        "  fix: write the value out in full; anchors and aliases can hide huge expansions",
        id="alias",
    ),
    pytest.param(
        ENVELOPE + "agents:\n  ops: {}\nhumans:\n  ops: {}\n",
        "team.roster.yaml:6:3: humans.ops: id 'ops' is already used in another section\n"
        "  fix: ids are shared by agents, tools, humans and MCP servers; rename one",
        id="id-twice",
    ),
    pytest.param(
        ENVELOPE + "agents:\n  a:\n    delegate_to: [b]\n",
        "team.roster.yaml:5:5: agents.a.delegate_to: unknown key 'delegate_to' in agent 'a'\n"
        "  expected: one of: name, role, model, instructions, tasks, max_turns, "
        "max_tokens_per_call, timeout_s, budget_usd, max_parallel_delegations, clearance, "
        "permission_mode, output, delegates_to, uses, escalates_to, extensions\n"
        "  fix: did you mean 'delegates_to'?",
        id="unknown-agent-field",
    ),
    pytest.param(
        "format: agent-roster\nversion: 1\nagent:\n  a: {}\n",
        "team.roster.yaml:3:1: agent: unknown key 'agent' in the roster\n"
        "  expected: one of: format, version, name, description, entry, defaults, policy, "
        "providers, audit, agents, tools, mcp_servers, humans, acknowledged, extensions, layout\n"
        "  fix: did you mean 'agents'?",
        id="unknown-top-level-field",
    ),
]


@pytest.mark.parametrize(("source", "text"), GOLDEN)
def test_error_wording_is_exactly_as_specified(source: str, text: str) -> None:
    assert str(refusal_of_text(source)) == text


def test_unknown_field_wording_offers_the_closest_field_name() -> None:
    """The did-you-mean wording, independent of where the error points."""
    error = refusal_of_text(ENVELOPE + "agents:\n  a:\n    delegate_to: [b]\n")
    assert error.message == "unknown key 'delegate_to' in agent 'a'"
    assert error.hint == "did you mean 'delegates_to'?"
    assert error.path == ("agents", "a", "delegate_to")
