"""What a run holds open is released when the last run ends.

Every edit of the roster makes a new provider (a new SDK client with its own HTTP
connection pool), so the bridge must close them once no run needs them any more,
or a long designer session piles up open sockets.
"""

from __future__ import annotations

from typing import Any

from designer.run_bridge import default_provider
from runtime.engine.protocols import Provider
from runtime.roster.codec import RosterContent
from tests.designer.oversight_support import Desk, script_happy_path


def test_the_providers_client_is_closed_when_the_last_run_finishes(desk: Desk) -> None:
    made: list[Any] = []

    def recording(content: RosterContent) -> tuple[Provider, tuple[str, ...]]:
        provider, secrets = default_provider(content)
        made.append(provider)
        return provider, secrets

    desk.oversight.bridge.use_factories(provider=recording)
    script_happy_path(desk.server)
    desk.run()
    desk.qtbot.waitUntil(lambda: bool(desk.oversight.approvals.cards), timeout=30_000)
    (provider,) = made
    assert not provider._client.is_closed(), "a waiting run keeps its client"
    (card,) = desk.oversight.approvals.cards.values()
    card.approve.click()
    assert desk.wait_finished().status == "completed"
    desk.qtbot.waitUntil(provider._client.is_closed, timeout=5_000)
