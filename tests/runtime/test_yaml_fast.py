"""The fast YAML reader agrees with the libyaml event reader, or hands the text back.

`yaml_fast.parse` reads the plain block style roster files are written in; on
anything else it returns NOT_HANDLED and `yaml_read.parse` reads the text with
libyaml's events (`parse_events`), which decides every value and every error.
The one property that matters: whenever the fast reader returns a value, the
event reader returns the same value (same types, same key order) and does not
raise. It is checked here on every YAML file in the repository, on the
benchmark fixtures, on writer output of generated rosters and data, on
hand-picked tricky texts, and on randomly mutated rosters (the mutations make
exactly the near-misses a line reader could get wrong).
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.generate import generate_text
from runtime.roster import io, yaml_fast, yaml_read, yaml_write
from runtime.roster.errors import RosterLoadError
from tests.runtime import test_roundtrip as roundtrip

ROOT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(
    p for folder in ("resources", "tests/fixtures", "tests/golden", "bench/results/fixtures")
    for p in (ROOT / folder).rglob("*.y*ml")
)
SAMPLES = sorted((ROOT / "resources" / "samples").glob("*.roster.yaml"))
GOLDEN = sorted((ROOT / "tests" / "golden" / "v1").glob("*.roster.yaml"))


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types with keys in the same order (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def agrees(text: str) -> bool:
    """Assert the contract on one text; True if the fast reader handled it."""
    fast = yaml_fast.parse(text)
    if fast is yaml_fast.NOT_HANDLED:
        return False
    slow = yaml_read.parse_events(text)  # raising here is a failure: fast accepted an error
    assert same(fast, slow), text
    return True


def read_text(path: Path) -> str | None:
    try:
        return yaml_read.decode(path.read_bytes())
    except RosterLoadError:
        return None


def test_there_are_many_yaml_files_to_compare_on() -> None:
    assert len(YAML_FILES) > 200


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_in_the_repository_reads_the_same_or_is_handed_back(path: Path) -> None:
    text = read_text(path)
    if text is not None:
        agrees(text)


@pytest.mark.parametrize("path", SAMPLES + GOLDEN[:1] + GOLDEN[2:], ids=lambda p: p.name)
def test_samples_and_golden_rosters_take_the_fast_path(path: Path) -> None:
    text = read_text(path)
    assert text is not None and agrees(text)


@pytest.mark.parametrize("size", ["S", "M"])
def test_benchmark_fixtures_take_the_fast_path(size: str) -> None:
    assert agrees(generate_text(size))


@pytest.mark.parametrize("path", SAMPLES + GOLDEN, ids=lambda p: p.name)
def test_loading_through_either_reader_gives_the_same_roster(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = path.read_bytes()
    fast = io.loads(data)
    monkeypatch.setattr(yaml_fast, "parse", lambda text: yaml_fast.NOT_HANDLED)
    slow = io.loads(data)
    assert fast.content == slow.content
    assert fast.version_read == slow.version_read
    assert fast.position_index() == slow.position_index()


BAD = sorted((ROOT / "tests" / "fixtures" / "bad").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_a_bad_file_gives_the_same_located_error_through_either_reader(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def error() -> str:
        with pytest.raises(RosterLoadError) as caught:
            io.load_roster(path)
        return str(caught.value)

    fast = error()
    monkeypatch.setattr(yaml_fast, "parse", lambda text: yaml_fast.NOT_HANDLED)
    assert error() == fast


# ---------------------------------------------------------------- hand-picked texts

HANDLED = {
    "plain and numbers": (
        "a: text here\nb: 12\nc: 2.5\nd: -3\ne: 007\nf: .5\ng: 1e3\nh: +4\n",
        {"a": "text here", "b": 12, "c": 2.5, "d": -3, "e": 7, "f": 0.5, "g": 1000.0, "h": 4},
    ),
    "core schema words": (
        "a: null\nb: ~\nc: true\nd: False\ne: no\nf: on\ng: yes\nh: .inf\ni: -.Inf\n",
        {"a": None, "b": None, "c": True, "d": False, "e": "no", "f": "on", "g": "yes",
         "h": math.inf, "i": -math.inf},
    ),
    "YAML 1.1 numbers stay text": (
        "a: 0o17\nb: 0x1F\nc: 1_000\nd: 1:20\ne: 2026-01-01\n",
        {"a": "0o17", "b": "0x1F", "c": "1_000", "d": "1:20", "e": "2026-01-01"},
    ),
    "empty values": ("a:\nb: \nc:   # note\nd: x\n", {"a": None, "b": None, "c": None, "d": "x"}),
    "comments": (
        "# head\na: x # tail\n  # indented\nb: y#not a comment\n",
        {"a": "x", "b": "y#not a comment"},
    ),
    "nested mappings": (
        "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n", {"a": {"b": {"c": 1}, "d": 2}, "e": 3},
    ),
    "lists": (
        "a:\n  - x\n  - 2\n  -\nb: [p, q]\n",
        {"a": ["x", 2, None], "b": ["p", "q"]},
    ),
    "list at the key's column": ("a:\n- x\n- y\nb: 1\n", {"a": ["x", "y"], "b": 1}),
    "mappings in a list": (
        "a:\n  - name: x\n    role: y\n  - name: z\n  -   deep: 1\n      more: 2\n",
        {"a": [{"name": "x", "role": "y"}, {"name": "z"}, {"deep": 1, "more": 2}]},
    ),
    "list under a key in a list": (
        "a:\n  - k:\n    - 1\n    j: 2\n", {"a": [{"k": [1], "j": 2}]},
    ),
    "flow collections": (
        "a: [x y, 2, null, 'q', \"r\"]\nb: {k: v, n: 1, m: [1, {z: 2}]}\nc: []\nd: {}\n"
        "e: [--flag, -x, ./p, (a)]\n",
        {"a": ["x y", 2, None, "q", "r"], "b": {"k": "v", "n": 1, "m": [1, {"z": 2}]},
         "c": [], "d": {}, "e": ["--flag", "-x", "./p", "(a)"]},
    ),
    "quoted": (
        "a: 'it''s'\nb: \"tab\\there \\\"q\\\" \\u00e9\"\nc: \"no: problem # here\"\nd: '12'\n",
        {"a": "it's", "b": 'tab\there "q" é', "c": "no: problem # here", "d": "12"},
    ),
    "literal blocks": (
        "a: |\n  one\n\n    two\n  # three\nb: |-\n  x\n  y\n\n\nc: 1\n",
        {"a": "one\n\n  two\n# three\n", "b": "x\ny", "c": 1},
    ),
    "literal in a list": ("a:\n  - |\n    x\n  - y\n", {"a": ["x\n", "y"]}),
    "unicode text": ("a: café — ok\nb: [ok 日本]\nc: 日本\n",
                     {"a": "café — ok", "b": ["ok 日本"], "c": "日本"}),
    "no-break and other Unicode spaces are text": (
        "a: \u00a0x\u00a0\nb: x \u00a0#c\nc: {d: e\u3000}\n",
        {"a": "\u00a0x\u00a0", "b": "x \u00a0#c", "c": {"d": "e\u3000"}},
    ),
    "keys people write": (
        "x-custom: 1\nsnake_case: 2\nwith.dot: 3\npath/like: 4\n_: 5\nNo: 6\n",
        {"x-custom": 1, "snake_case": 2, "with.dot": 3, "path/like": 4, "_": 5, "No": 6},
    ),
}


@pytest.mark.parametrize("name", sorted(HANDLED))
def test_fast_reader_reads_the_common_forms(name: str) -> None:
    text, expected = HANDLED[name]
    assert agrees(text), "handed back"
    assert same(yaml_fast.parse(text), expected)


HANDED_BACK = {
    "duplicate key": "a: 1\na: 2\n",
    "duplicate key in flow": "a: {b: 1, b: 2}\n",
    "tab": "a:\n\tb: 1\n",
    "anchor and alias": "a: &x 1\nb: *x\n",
    "anchor on a mapping": "a: &x\n  b: 1\n",
    "tag": "a: !!python/object:os.system x\n",
    "merge key": "a: {b: 1}\n<<: {c: 2}\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document marker": "---\na: 1\n",
    "directive": "%YAML 1.2\n---\na: 1\n",
    "folded block": "a: >\n  x\n  y\n",
    "keep chomping": "a: |+\n  x\n\n",
    "indentation indicator": "a: |2\n   x\n",
    "multi-line plain scalar": "a: one\n  two\n",
    "scalar on the next line": "a:\n  one two\n",
    "integer key": "1: x\n",
    "boolean key": "true: x\n",
    "null key": "null: x\n",
    "quoted key": '"a b": x\n',
    "key with a space": "a b: x\n",
    "complex key": "? [a]\n: x\n",
    "mapping value in plain": "a: b: c\n",
    "value ending in colon": "a: b:\n",
    "unclosed flow": "a: [x, y\nb: 1\n",
    "trailing comma": "a: [x, y,]\n",
    "multi-line flow": "a: [x,\n  y]\n",
    "unclosed quote": "a: 'x\n",
    "text after a quote": "a: 'x' y\n",
    "huge integer": "a: 1234567890123456789012\n",
    "top-level list": "- a\n- b\n",
    "top-level scalar": "just text\n",
    "indented top": "  a: 1\n",
    "empty": "",
    "only comments": "# nothing\n",
    "no final newline": "a: 1",
    "carriage returns": "a: 1\r\nb: 2\r\n",
    "next line character": "a: x\x85y\n",
    "line separator": "a: x\u2028y\n",
    "control character": "a: x\x07y\n",
    "byte order mark inside": "a: x\ufeffy\n",
    "misaligned key": "a:\n  b: 1\n c: 2\n",
    "over-indented key": "a: 1\n  b: 2\n",
    "list in a list on one line": "a:\n  - - x\n",
    "empty literal": "a: |\nb: 1\n",
    "literal starting blank": "a: |\n\n  x\n",
    "spaces-only line in literal": "a: |\n  x\n     \n  y\n",
    "reserved indicator": "a: @x\n",
    "hex escape": 'a: "\\x41"\n',
    "surrogate escape": 'a: "\\ud800"\n',
    "very deep": "".join("  " * d + f"k{d}:\n" for d in range(60)) + "  " * 60 + "v: 1\n",
}


@pytest.mark.parametrize("name", sorted(HANDED_BACK))
def test_fast_reader_hands_back_what_it_does_not_read(name: str) -> None:
    assert yaml_fast.parse(HANDED_BACK[name]) is yaml_fast.NOT_HANDLED


def test_a_handed_back_text_still_gets_its_value_or_located_error() -> None:
    assert yaml_read.parse("a: >\n  x\n  y\n") == {"a": "x y\n"}
    with pytest.raises(RosterLoadError) as caught:
        yaml_read.parse("a: 1\na: 2\n")
    assert (caught.value.line, caught.value.column) == (2, 1)


# ---------------------------------------------------------------- generated texts

@roundtrip.property_settings()
@given(roundtrip.rosters(grouped=False))
def test_writer_output_of_generated_rosters_reads_the_same(content: Any) -> None:
    agrees(io.dumps(content))


KEYS = st.one_of(
    st.sampled_from(["a", "name", "x-y", "on", "no", "true", "null", "1", "1.5", "<<", "-a",
                     "a b", "a:b", "#a", "é", "", " a", "a ", "~"]),
    st.text(max_size=6),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "x", "a: b", "a #b", "a#b", "- x", "-x", "--x", "[x]", "{x}",
                     "'q'", '"q"', "|", ">", "&a", "*a", "!t", "%x", "@x", "`x", "?x", ":x",
                     "x:", "null", "Null", "~", "yes", "0o17", "1e3", ".5", "+1", "-.inf",
                     "x\ny", "x\n", "\nx", "x\n\n", " x\ny", "x \ny", "tab\tx", "é",
                     "a, b", "a]b", "01", "1_0", "2026-01-01", "\\", "x\\ny", "\u00a0x",
                     "x\u00a0"]),
    st.text(max_size=12),
)


def _collections_of(inner: Any) -> Any:
    return st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=3).map(yaml_write.Flow),
    )


def data_trees() -> Any:
    return st.recursive(SCALARS, _collections_of, max_leaves=20)


@roundtrip.property_settings(share=5)
@given(st.dictionaries(KEYS, data_trees(), min_size=1, max_size=5))
def test_writer_output_of_arbitrary_data_reads_the_same(data: dict[str, Any]) -> None:
    try:
        text = yaml_write.dumps(data)
    except TypeError:
        return
    agrees(text)


MUTATION_CHARS = [" ", "  ", ":", ": ", "-", "- ", "#", " #", "[", "]", "{", "}", ",", "'",
                  '"', "|", "|-", ">", "&a", "*a", "!", "?", "\n", "\n  ", "\t", "x", "1",
                  "\\", "%", "@", "~", "null", "\r", "\x85", "é", "\u00a0"]


def mutate(text: str, rng: random.Random, count: int) -> str:
    """Small edits where line readers go wrong: inserted or deleted characters,
    re-indented, duplicated, swapped or dropped lines."""
    lines = text.split("\n")
    for _ in range(count):
        op = rng.randrange(7)
        i = rng.randrange(len(lines))
        line = lines[i]
        if op == 0:
            at = rng.randrange(len(line) + 1)
            lines[i] = line[:at] + rng.choice(MUTATION_CHARS) + line[at:]
        elif op == 1 and line:
            at = rng.randrange(len(line))
            lines[i] = line[:at] + line[at + rng.randint(1, 3):]
        elif op == 2:
            lines[i] = " " * rng.choice([1, 2, 3]) + line
        elif op == 3 and line.startswith(" "):
            lines[i] = line[rng.choice([1, 2]):]
        elif op == 4:
            lines.insert(i, line)
        elif op == 5 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 6:
            del lines[i]
            if not lines:
                lines = [""]
    return "\n".join(lines)


BASES = [read_text(p) or "" for p in SAMPLES + GOLDEN] + [
    "a: 1\nb:\n  - x\n  - {k: v, n: [1, 2]}\nc: |\n  t\n  u\nd:\n  e: 'q'\n  f: \"r\"\n"
]


@roundtrip.property_settings(share=10)
@given(st.integers(0, len(BASES) - 1), st.integers(0, 2**32), st.integers(1, 4))
def test_mutated_rosters_read_the_same_or_are_handed_back(
    base: int, seed: int, count: int
) -> None:
    text = mutate(BASES[base], random.Random(seed), count)
    agrees(text)


def test_mutations_are_read_by_the_fast_reader_often_enough_to_test_it() -> None:
    """The property above only tests something when the mutants are not all handed back."""
    rng = random.Random(7)
    handled = sum(agrees(mutate(BASES[0], rng, 1)) for _ in range(200))
    assert handled > 40
