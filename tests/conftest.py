"""Fixtures shared by the whole suite: test-key registration and planted-secret folders.

Key-shaped strings are generated at test time, never committed. Each one a test
creates should be registered with `register_test_key`, so that the final step
of `.ci/run` can grep every file the suite produced for it. A test that writes
a secret to disk on purpose (to prove a refusal) writes it under the folder the
`planted` fixture returns; the leak check skips folders named `planted`.
"""

from __future__ import annotations

import os
import random
import string
from pathlib import Path

import pytest

_KEY_ALPHABET = string.ascii_letters + string.digits + "_-"


def register_test_key(value: str) -> str:
    """Remember a generated test secret for the leak check; returns it unchanged."""
    target = os.environ.get("ROSTER_TEST_KEYS_FILE")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(value + "\n")
    return value


def make_anthropic_key(rng: random.Random | None = None, *, admin: bool = False) -> str:
    """A fresh string shaped like an Anthropic key (api03 or admin01), registered."""
    rng = rng or random.Random()
    body = "".join(rng.choice(_KEY_ALPHABET) for _ in range(93))
    prefix = "sk-ant-admin01-" if admin else "sk-ant-api03-"
    return register_test_key(prefix + body + "AA")


@pytest.fixture
def anthropic_key() -> str:
    return make_anthropic_key()


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A folder for files that hold a secret on purpose; the CI leak check skips it."""
    folder = tmp_path / "planted"
    folder.mkdir()
    return folder
