"""Fixtures of the scale-out tests: a PostgreSQL database per test, a loopback server, a key.

The tests need a PostgreSQL server (`ROSTER_TEST_PG_URL`, which `.ci/run` exports
after starting one with .ci/postgres.sh). Without it they are skipped locally
with the reason; under CI (CI=true) a missing server is an error, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import make_anthropic_key
from tests.messages_server import MessagesServer
from tests.runtime.scale.support import PG_ENV, fresh_database


def postgres_url() -> str:
    url = os.environ.get(PG_ENV, "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set under CI: .ci/run must start PostgreSQL "
                        "(.ci/postgres.sh) so the scale-out tests run")
        pytest.skip(f"needs PostgreSQL: set {PG_ENV} (eval \"$(bash .ci/postgres.sh)\")")
    return url


@pytest.fixture
def pg_db() -> str:
    """A fresh, empty database on the test PostgreSQL server."""
    return fresh_database(postgres_url())


@pytest.fixture
def server() -> Iterator[MessagesServer]:
    with MessagesServer() as running:
        yield running


@pytest.fixture
def pool_key() -> str:
    return make_anthropic_key()
