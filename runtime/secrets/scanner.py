"""Find literal secrets in text and in nested values, and redact them.

One responsibility: say where something that looks like a credential (an API key,
token, private key or password) sits in a string or in a dict/list tree, without
ever handing the secret itself back. Used by the export gate, the autosave writer,
the log and audit redactor and paste detection (RELIABILITY.md, secret detection).

Detection layers, most specific first (a later hit overlapping an earlier one is dropped):
provider patterns (gitleaks-style), a credential-like name with a value (`api_key: ...`,
`Bearer ...`), and high-entropy base64-like tokens. Our own credential references
(`keyring:SERVICE/NAME`, `env:VAR`), placeholders, digests, UUIDs, URLs, paths and slugs
are not secrets. Pure Python; about 0.1 s of CPU for a 1.6 MB roster.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from runtime.secrets.refs import ENV_PREFIX, KEYRING_PREFIX, is_ref

__all__ = ["SecretHit", "contains_secret", "is_reference", "redact", "scan_text", "scan_value",
           "shannon_entropy"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SecretHit:
    """One suspected secret: which rule fired and where; never the secret itself."""

    rule: str
    description: str
    start: int
    end: int
    path: Path = ()
    prefix: str = ""  # a non-secret head such as "sk-ant-api03-", shown by redacted()

    def redacted(self) -> str:
        """A display form such as "sk-ant-api03-…(108 chars)"."""
        return f"{self.prefix}…({self.end - self.start} chars)"


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    description: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...] = ()  # the regex runs only if one occurs (a cheap pre-filter)
    lower: bool = False  # pattern and keywords apply to the lowercased text
    min_entropy: float = 3.0  # of the secret after its prefix
    word_start: bool = False  # must not continue a word (an escape such as "\n" ends one)


def _rule(name: str, description: str, pattern: str, *keywords: str, lower: bool = False,
          min_entropy: float = 3.0, word_start: bool = False) -> _Rule:
    return _Rule(name, description, re.compile(pattern), keywords, lower, min_entropy, word_start)


_KEY = r"[A-Za-z0-9_-]"
_END = r"(?![A-Za-z0-9_-])"
_OPENAI = "an OpenAI API key"
_GITHUB = "a GitHub token"

# Order matters: of overlapping matches the earlier rule's wins. A pattern that starts with
# a literal needs no keyword: the regex engine's own prefix search is as fast as `in`.
_RULES: Final[tuple[_Rule, ...]] = (
    _rule("anthropic-admin-api-key", "an Anthropic Admin API key",
          rf"(?P<prefix>sk-ant-admin01-){_KEY}{{93}}AA{_END}", "sk-ant-"),
    _rule("anthropic-api-key", "an Anthropic API key",
          rf"(?P<prefix>sk-ant-api03-){_KEY}{{93}}AA{_END}", "sk-ant-"),
    _rule("anthropic-key", "an Anthropic key (unrecognised variant)",
          rf"(?P<prefix>sk-ant-[a-z]{{3,6}}\d{{2}}-){_KEY}{{20,}}", "sk-ant-"),
    _rule("openai-api-key", _OPENAI,
          rf"(?P<prefix>sk-(?:proj|svcacct|admin)-)(?:{_KEY}{{74}}|{_KEY}{{58}})T3BlbkFJ"
          rf"(?:{_KEY}{{74}}|{_KEY}{{58}}){_END}", "T3BlbkFJ"),
    _rule("openai-api-key", _OPENAI,
          r"(?P<prefix>sk-)[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}", "T3BlbkFJ"),
    _rule("openai-api-key", _OPENAI, rf"(?P<prefix>sk-(?:proj|svcacct|admin)-){_KEY}{{40,}}"),
    _rule("aws-access-key-id", "an AWS access key ID",
          r"(?P<prefix>A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b", min_entropy=2.5,
          word_start=True),
    _rule("aws-secret-access-key", "an AWS secret access key",
          r"aws[\w.-]{0,30}?(?:secret|sk)[\w.-]{0,30}[\"']?[ \t]*(?:=>|:=|=|:)[ \t]*[\"']?"
          r"(?P<secret>[a-z0-9/+]{40})(?![a-z0-9/+=])", "aws", lower=True),
    _rule("private-key", "a private key",
          r"(?P<prefix>-----begin[ a-z0-9_-]{0,100}private key(?: block)?-----)"
          r"[\s\S-]{64,16384}?key(?: block)?-----", "-----begin", lower=True, min_entropy=0.0),
    _rule("github-token", _GITHUB, r"(?P<prefix>gh[pousr]_)[A-Za-z0-9]{36,255}"),
    _rule("github-token", _GITHUB, r"(?P<prefix>github_pat_)[A-Za-z0-9_]{60,255}"),
    _rule("gitlab-token", "a GitLab personal access token", rf"(?P<prefix>glpat-){_KEY}{{20,}}"),
    _rule("slack-token", "a Slack token",
          r"(?P<prefix>xox[abprs]-)(?=[A-Za-z0-9-]{0,255}\d)[A-Za-z0-9-]{10,255}"),
    _rule("huggingface-token", "a Hugging Face token", r"(?P<prefix>hf_)[A-Za-z0-9]{30,}"),
    _rule("stripe-secret-key", "a Stripe secret key",
          r"(?P<prefix>[rs]k_(?:live|prod)_)[A-Za-z0-9]{10,99}", "k_live_", "k_prod_"),
    _rule("google-api-key", "a Google API key", rf"(?P<prefix>AIza){_KEY}{{35}}{_END}"),
    _rule("jwt", "a JSON Web Token",
          r"(?P<prefix>eyJ)[A-Za-z0-9_-]{10,1024}+\.eyJ[A-Za-z0-9_-]{10,8192}+\."
          r"(?:[A-Za-z0-9_-]{10,1024}+={0,2})?",
          min_entropy=0.0),
)

_ASSIGNMENT: Final = "keyword-assignment"
_ASSIGNMENT_WORDS: Final = "a secret assigned to a credential field"
_ENTROPY: Final = "high-entropy"
_ENTROPY_WORDS: Final = "a random-looking string that may be a secret"

# A credential-like name, an operator and a value; or "Bearer <token>". Matched on the
# lowercased text at each occurrence of a credential word (found with str.find: fast).
_CREDENTIAL_WORDS: Final = ("key", "token", "secret", "passw", "auth", "bearer", "cookie",
                            "credential")
_CREDENTIAL_KEY: Final = re.compile(r"(?i)key|token|secret|passw|auth(?!or)|bearer|cookie|credent")
_DIGEST_KEY: Final = re.compile(
    r"(?i)sha(?:\d+|(?![a-z]))|digest|checksum|fingerprint|integrity|(?<![a-z])hash(?:es)?(?![a-z])"
)
# Values are capped (possessive, no backtracking) so a long run costs O(cap) per keyword.
_BEARER_AT: Final = re.compile(r"bearer[ \t]+(?P<secret>[a-z0-9._~+/-]{12,512}+=*)")
_NAME_AT: Final = re.compile(r"[a-z][\w.-]{0,63}+")  # possessive: no backtracking
_VALUE_AFTER: Final = re.compile(
    r"(?:\\?[\"'])?[ \t]*(?:=>|:=|=|:)[ \t]*(?:\\?[\"'])?"
    r"(?:(?:bearer|basic|token)[ \t]+)?(?P<secret>[^\s\\\"'`,;(){}\[\]<>]{1,512}+)"
)
_MIN_VALUE_LEN: Final = 12
_MIN_VALUE_ENTROPY: Final = 3.0
_MIN_HEX_SECRET: Final = 32

# Base64-ish tokens, found on an ASCII mask of the text ("a" for a token character).
_MIN_TOKEN_LEN: Final = 20
_MIN_TOKEN_ENTROPY: Final = 4.5
_MIN_TOKEN_DISTINCT: Final = math.ceil(2**_MIN_TOKEN_ENTROPY)  # entropy <= log2(distinct chars)
_TOKEN_MASK: Final = bytes(0x61 if chr(b) in string.ascii_letters + string.digits + "+/_-"
                           else 0x20 for b in range(256))
_TOKEN_RUN: Final = re.compile(b"a" * _MIN_TOKEN_LEN + b"a*")  # a literal prefix: fast search
_CHAR_CLASS: Final = str.maketrans(string.ascii_lowercase + string.ascii_uppercase + string.digits,
                                   "a" * 26 + "A" * 26 + "0" * 10, "-_+=.")
_PATH_MAX_CHANGE_RATE: Final = 0.3

_PLACEHOLDER: Final = re.compile(
    r"(?i)^(?:<[^<>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\{\{.*|%[A-Za-z_]+%|(.)\1{5,})$|\.\.\.|…"
    r"|(?:^|[^a-z])(?:your|my)[-_ ]?(?:own[-_ ]?)?(?:api|secret|token|key|pass|access|app|bot)"
    r"|(?:^|[^a-z])(?:example|placeholder|changeme|change[-_]me|replace[-_]?me|redacted"
    r"|dummy|insert[-_]here)(?:[^a-z]|$)"
)
_HINTS: Final = ("...", "…", "your", "my", "example", "placeholder", "change",
                  "replace", "redacted", "dummy", "insert")
_ALLOWED_TOKENS: Final = frozenset({"AKIA" + "IOSFODNN7EXAMPLE"})  # AWS docs example id
_BENIGN_PREFIXES: Final = ("iVBORw0KGgo", "/9j/", "R0lGOD", "sha1-", "sha256-", "sha384-",
                           "sha512-")  # base64 of PNG/JPEG/GIF headers; SRI digests
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_NUMBER: Final = re.compile(r"[+-]?\d[\d_.,]*(?:[eE][+-]?\d+)?")
_SLUG_PART: Final = r"(?:[a-z]{1,15}\d{0,4}|\d{1,8})"
_SLUG: Final = re.compile(rf"_?{_SLUG_PART}(?:[-_.]{_SLUG_PART})+")  # claude-sonnet-5-5, created_at
_CONSTANT: Final = re.compile(r"[A-Z]{1,15}\d{0,4}(?:_[A-Z]{1,15}\d{0,4})+")  # ANTHROPIC_API_KEY
_WORDISH: Final = r"(?:[A-Za-z_][a-z0-9_]*|[A-Z_][A-Z0-9_]*|(?:[A-Z][a-z0-9]+)+)"
_DOTTED: Final = re.compile(rf"{_WORDISH}(?:\.{_WORDISH})+")  # keyring.backends.SecretService
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# No "@" in a benign URL: its userinfo part may hold a password.
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s@]*")
_FILE_PATH: Final = re.compile(r"(?:~|\.{1,2})?/[\w.~/-]*|[A-Za-z]:\\[\w.\\ -]*")
_PLAIN_WORD: Final = re.compile(r"[A-Za-z][a-z]+")
_WHITESPACE: Final = re.compile(r"\s")
_XLOGX: Final = tuple(c * math.log2(c) if c else 0.0 for c in range(4096))


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`'s own character distribution."""
    n = len(text)
    if n == 0:
        return 0.0
    # -sum(c/n * log2(c/n)) = log2(n) - sum(c * log2(c)) / n, with c * log2(c) from a table.
    counts = Counter(text).values()
    if n < len(_XLOGX):
        return math.log2(n) - sum(map(_XLOGX.__getitem__, counts)) / n
    return math.log2(n) - sum(c * math.log2(c) for c in counts) / n


def is_reference(value: str) -> bool:
    """True for our credential references: "keyring:SERVICE/NAME" and "env:VAR" (refs.py)."""
    return value.startswith((KEYRING_PREFIX, ENV_PREFIX)) and is_ref(value)


def _claims_reference(value: str) -> bool:
    """A reference, possibly malformed ("keyring:anthropic"): refs.py reports those."""
    return value.startswith((KEYRING_PREFIX, ENV_PREFIX)) and _WHITESPACE.search(value) is None


def _is_placeholder(value: str) -> bool:
    """Placeholders are short: only the head of a long value is looked at. The regex is
    slow, so it only runs on a value that could match it."""
    if value in _ALLOWED_TOKENS:
        return True
    head = value[:256]
    lowered = head.lower()
    could = head[:1] in "<${%" or len(set(head)) == 1 or any(h in lowered for h in _HINTS)
    return could and _PLACEHOLDER.search(head) is not None


def _is_benign_value(value: str) -> bool:
    """Shapes that are never credentials even under a credential-like name."""
    return (
        _claims_reference(value)
        or _is_placeholder(value)
        or any(
            p.fullmatch(value) is not None
            for p in (_UUID, _NUMBER, _SLUG, _CONSTANT, _DOTTED, _EMAIL, _URL, _FILE_PATH)
        )
    )


def _looks_like_credential(value: str, *, digest_key: bool = False) -> bool:
    """The test for a value under a credential-like name (a key or `name: value` in text)."""
    if len(value) < _MIN_VALUE_LEN or _claims_reference(value) or _WHITESPACE.search(value):
        return False
    if shannon_entropy(value) < _MIN_VALUE_ENTROPY or _is_benign_value(value):
        return False
    if _HEX.fullmatch(value):  # bare hex is a digest unless long and not named as one
        return len(value) >= _MIN_HEX_SECRET and not digest_key
    return True


def _is_plain_segment(segment: str) -> bool:
    """Words, numbers or a hex digest, unlike random text whose character class (lower,
    upper, digit) changes at about two of three characters."""
    classes = segment.translate(_CHAR_CLASS)
    if len(classes) <= 3 or _HEX.fullmatch(segment):
        return True
    changes = sum(a != b for a, b in itertools.pairwise(classes))
    return changes < _PATH_MAX_CHANGE_RATE * (len(classes) - 1)


def _is_random_token(token: str) -> bool:
    if shannon_entropy(token) < _MIN_TOKEN_ENTROPY or token.startswith(_BENIGN_PREFIXES):
        return False
    if "/" in token and all(_is_plain_segment(s) for s in token.split("/")):
        return False  # a path or the path of a URL
    return not _is_placeholder(token)


class _Collector:
    """Hits in position order; a new hit overlapping one already taken is dropped, so rules
    offered first win."""

    __slots__ = ("_starts", "hits", "path")

    def __init__(self, path: Path) -> None:
        self.hits: list[SecretHit] = []
        self._starts: list[int] = []
        self.path = path

    def add(self, rule: str, words: str, start: int, end: int, prefix: str = "") -> None:
        i = bisect.bisect_left(self._starts, start)
        overlaps_before = i > 0 and self.hits[i - 1].end > start
        overlaps_after = i < len(self.hits) and self.hits[i].start < end
        if end <= start or overlaps_before or overlaps_after:
            return
        # Never show more than half of a secret, whatever the rule's prefix.
        shown = prefix[: (end - start) // 2]
        self.hits.insert(i, SecretHit(rule, words, start, end, self.path, shown))
        self._starts.insert(i, start)

    def drop(self, rule: str) -> None:
        self.hits = [h for h in self.hits if h.rule != rule]
        self._starts = [h.start for h in self.hits]


def _identifier_before(text: str, pos: int) -> str:
    """The name a credential keyword is part of, e.g. "sha256" for "...sha256_of_api_key:"."""
    start, limit = pos, max(0, pos - 64)
    while start > limit and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    return text[start:pos]


def _continues_word(text: str, pos: int) -> bool:
    """True if a letter or digit precedes `pos`, other than the letter of an escape ("\n")."""
    return pos > 0 and text[pos - 1].isalnum() and not (pos > 1 and text[pos - 2] == "\\")


def _lowercase(text: str) -> str:
    """`text` lowercased with its length kept, so offsets carry over ("İ" alone grows)."""
    return text.replace("\u0130", "I").lower()


# Every provider rule starts with (or needs) one of these; a few C-speed substring
# searches rule most strings out before the per-rule loop. Keep it in step with _RULES (a
# test checks recall). `_PROVIDER_HINT` is the same test as one regex, which is slower:
# an alternation of literals is tried at every position of the text.
_PROVIDER_HINTS: Final = ("sk-", "T3BlbkFJ", "A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AWS",
                          "-----", "gh", "github_pat_", "glpat-", "xox", "hf_", "k_live_",
                          "k_prod_", "AIza", "eyJ")  # "aws" is looked for in the lowered text
_PROVIDER_HINT: Final = re.compile(
    r"sk-|T3BlbkFJ|A3T|AKIA|ASIA|ABIA|ACCA|aws|AWS|-----|gh[pousr]_|github_pat_|glpat-|"
    r"xox[abprs]-|hf_|k_live_|k_prod_|AIza|eyJ",
)


def _may_hold_provider_key(text: str, lowered: str) -> bool:
    """False only if no provider rule can match (a superset of `_PROVIDER_HINT.search`)."""
    if "aws" in lowered:
        return True
    for hint in _PROVIDER_HINTS:
        if hint in text:
            return True
    return False


def _scan_providers(text: str, lowered: str, out: _Collector) -> None:
    # On a long text the hint test costs more than the per-rule literal scans it saves.
    if len(text) < 4096 and not _may_hold_provider_key(text, lowered):
        return
    present: dict[tuple[bool, str], bool] = {}
    for rule in _RULES:
        haystack = lowered if rule.lower else text
        if rule.keywords and not any(_present(present, rule.lower, k, haystack)
                                     for k in rule.keywords):
            continue
        secret_group = "secret" if "secret" in rule.pattern.groupindex else 0
        for m in rule.pattern.finditer(haystack):
            start, end = m.span(secret_group)
            secret = text[start:end]
            prefix = text[m.start("prefix") : m.end("prefix")] if secret_group == 0 else ""
            if _is_placeholder(secret) or secret.endswith("EXAMPLE"):
                continue
            if rule.word_start and _continues_word(text, start):
                continue
            if shannon_entropy(secret[len(prefix) :]) >= rule.min_entropy:
                out.add(rule.name, rule.description, start, end, prefix)


def _present(seen: dict[tuple[bool, str], bool], lower: bool, keyword: str, text: str) -> bool:
    """Whether `keyword` occurs in `text`, searched once per scan (rules share keywords)."""
    known = seen.get((lower, keyword))
    if known is None:
        known = seen[(lower, keyword)] = keyword in text
    return known


def _scan_assignments(text: str, lowered: str, out: _Collector) -> None:
    starts: set[int] = set()
    for word in _CREDENTIAL_WORDS:
        at = lowered.find(word)
        while at != -1:
            if not (word == "auth" and lowered.startswith("or", at + 4)):  # "author"
                starts.add(at)
            at = lowered.find(word, at + 1)
    name_end = 0
    for at in sorted(starts):
        if at < name_end or lowered.startswith("keyring:", at):
            continue  # part of a name already looked at, or a reference
        m = _BEARER_AT.match(lowered, at) if lowered.startswith("bearer", at) else None
        name = "bearer"
        if m is None:
            name_match = _NAME_AT.match(lowered, at)
            name_end = name_match.end() if name_match else at + 1
            m = _VALUE_AFTER.match(lowered, name_end)
            if m is None:
                continue
            name = _identifier_before(text, at) + lowered[at:name_end]
        start, end = m.span("secret")
        if not _MIN_VALUE_LEN <= end - start < 512:
            continue  # too short, or too long for a credential (the token scan sees it)
        raw = text[start:end]
        value = raw.rstrip(".!?:")  # the end of a sentence
        if _PLAIN_WORD.fullmatch(value) or _claims_reference(value) or _is_placeholder(raw):
            continue  # in prose, "The key: consistency" is not a password
        if _looks_like_credential(value, digest_key=_DIGEST_KEY.search(name) is not None):
            out.add(_ASSIGNMENT, _ASSIGNMENT_WORDS, start, start + len(value))


def _scan_tokens(text: str, out: _Collector) -> None:
    mask = text.encode("ascii", "replace").translate(_TOKEN_MASK)  # one byte per character
    if "keyring:" in text or "env:" in text:  # blank out references: names, not secrets
        blanked = bytearray(mask)  # in place: rebuilding bytes per reference is quadratic
        for start, end in _references(text):
            blanked[start:end] = b" " * (end - start)
        mask = bytes(blanked)
    for m in _TOKEN_RUN.finditer(mask):
        start, end = m.span()
        if start > 0 and text[start - 1] == "\\" and text[start] in "nrt":
            start += 1  # "\nAbc..." in an escaped string: the token starts after "\n"
        while end < len(text) and end - m.end() < 2 and text[end] == "=":  # base64 padding
            end += 1
        token = text[start:end]
        if len(set(token)) >= _MIN_TOKEN_DISTINCT and _is_random_token(token):
            out.add(_ENTROPY, _ENTROPY_WORDS, start, end)


# Nothing the rules find is shorter than 12 characters without white space (the shortest,
# a Slack token or a keyword-assignment value, is 12+), so text without such a run is
# clean by construction; most roster strings (ids, names, prose) end here at C speed.
_CANDIDATE: Final = re.compile(r"\S{12}")
# Our own credential references name a keyring item or a variable; never a secret.
_REFERENCE: Final = re.compile(
    r"keyring:[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._@-]*|env:[A-Za-z_][A-Za-z0-9_]*"
)


_REFERENCE_AT: Final = {prefix: re.compile(pattern) for prefix, pattern in zip(
    ("keyring:", "env:"), _REFERENCE.pattern.split("|"), strict=True)}


def _references(text: str) -> list[tuple[int, int]]:
    """The spans of `_REFERENCE.finditer(text)`, with the regex tried only where one of its
    prefixes occurs (str.find): an alternation tried at every position is slow on a long
    text. Like finditer, a match that starts inside the previous one is skipped
    ("keyring:a/env:X" is one reference, "keyring:a/env")."""
    candidates = []
    for prefix, pattern in _REFERENCE_AT.items():
        at = text.find(prefix)
        while at != -1:
            m = pattern.match(text, at)
            if m is not None:
                candidates.append(m.span())
            at = text.find(prefix, at + 1)
    spans: list[tuple[int, int]] = []
    end = 0
    for span in sorted(candidates):
        if span[0] >= end:
            spans.append(span)
            end = span[1]
    return spans


def _scan(text: str, path: Path) -> _Collector:
    out = _Collector(path)
    if not _CANDIDATE.search(text):
        return out
    lowered = _lowercase(text)
    _scan_providers(text, lowered, out)
    _scan_assignments(text, lowered, out)
    _scan_tokens(text, out)
    return out


def scan_text(text: str) -> list[SecretHit]:
    """Every suspected secret in `text`, in order of position."""
    return _scan(text, ()).hits


def _path_key(key: object) -> str | int:
    return key if isinstance(key, str | int) else repr(key)


def scan_value(value: object, path: Path = ()) -> list[SecretHit]:
    """Suspected secrets in a nested value: mapping keys and string scalars, at any depth.

    Each hit's `path` names where it was found (for a hit inside a mapping key, the path
    ends with that key). A string under a credential-like key (directly or in a list
    under it) that looks like a credential is reported as a keyword assignment.
    """
    hits: list[SecretHit] = []
    _walk(value, path, None, hits, set())
    return hits


def _walk(
    value: object, path: Path, key: str | None, hits: list[SecretHit], active: set[int]
) -> None:
    if isinstance(value, str):
        out = _scan(value, path)
        if key is not None and _DIGEST_KEY.search(key):
            out.drop(_ENTROPY)  # a base64 digest
        elif key is not None and _CREDENTIAL_KEY.search(key) and _looks_like_credential(value):
            out.add(_ASSIGNMENT, _ASSIGNMENT_WORDS, 0, len(value))
        hits.extend(out.hits)
        return
    if not isinstance(value, Mapping | list | tuple) or id(value) in active:
        return
    active.add(id(value))
    if isinstance(value, Mapping):
        for k, v in value.items():
            child = (*path, _path_key(k))
            if isinstance(k, str):
                hits.extend(_scan(k, child).hits)
            _walk(v, child, k if isinstance(k, str) else None, hits, active)
    else:
        for i, item in enumerate(value):
            _walk(item, (*path, i), key, hits, active)
    active.discard(id(value))


def redact(text: str, extra_values: Iterable[str] = ()) -> str:
    """`text` with every suspected secret, and every occurrence of each extra value
    (e.g. a resolved key) of 8 or more characters, replaced by "[REDACTED:<rule>]"."""
    spans = [(h.start, h.end, h.rule) for h in scan_text(text)]
    for extra in (e for e in extra_values if len(e) >= 8):
        spans += [(m.start(), m.end(), "known-secret") for m in re.finditer(re.escape(extra), text)]
    spans.sort(key=lambda s: (s[0], -s[1]))
    parts: list[str] = []
    cursor = 0
    for start, end, rule in spans:
        if start < cursor:  # overlaps the span just replaced, which keeps its label
            cursor = max(cursor, end)
            continue
        parts.append(text[cursor:start])
        parts.append(f"[REDACTED:{rule}]")
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def contains_secret(value: object) -> bool:
    """True if `scan_value(value)` finds anything."""
    return bool(scan_value(value))
