"""Credential references are names, not secrets, however random their names look."""

from __future__ import annotations

import random
import string

from runtime.secrets.scanner import scan_text, scan_value
from tests.conftest import make_anthropic_key


def _random_name(rng: random.Random, n: int = 24) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def test_a_keyring_reference_with_a_random_looking_name_is_not_a_secret() -> None:
    rng = random.Random(7)
    for _ in range(50):
        ref = f"keyring:agent-roster/{_random_name(rng)}"
        assert scan_text(f"api_key: {ref}") == []
        assert scan_value({"providers": {"anthropic": {"api_key": ref}}}) == []


def test_an_env_reference_with_a_random_looking_name_is_not_a_secret() -> None:
    rng = random.Random(8)
    for _ in range(50):
        name = "V" + _random_name(rng)  # a variable name starts with a letter
        assert scan_value({"env": {"TOKEN": f"env:{name}"}}) == []


def test_a_key_written_right_after_a_reference_is_still_found() -> None:
    key = make_anthropic_key()
    assert scan_text(f"keyring:agent-roster/anthropic {key}")
    assert scan_value({"api_key": f"keyring:agent-roster/x {key}"})
