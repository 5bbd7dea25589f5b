"""How the reason a run failed reads in the journal, `roster runs show` and worker logs.

Expected problems (a key that cannot be read, a roster or limit that is
invalid) are the user's to fix: their message says what to do, so it is shown
as is. Anything else is a crash worth reporting, and keeps its exception class
name for whoever debugs it.
"""

from __future__ import annotations

from runtime.roster.errors import RosterLoadError
from runtime.scale.limits import LimitsError
from runtime.secrets.keystore import KeyStoreError
from runtime.secrets.refs import ReferenceSyntaxError


class RunSetupError(RuntimeError):
    """An expected reason a run cannot start, e.g. no API key on this machine."""


EXPECTED: tuple[type[Exception], ...] = (
    RunSetupError, KeyStoreError, RosterLoadError, LimitsError, ReferenceSyntaxError,
)


def failure_reason(exc: BaseException) -> str:
    """`exc` as a failure reason: the message alone when expected, else `Class: message`."""
    text = str(exc)
    if isinstance(exc, EXPECTED) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
