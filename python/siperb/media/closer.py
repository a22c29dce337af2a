"""Closing engine sessions without making the event loop wait for the engine thread.

``MediaSession.close`` runs on the engine thread and waits for it. Under CPU load that wait
is a scheduler slice or more, and a burst of hang-ups (every call of a soak ending at once)
held the event loop long enough to stall every other call's signalling (issue 17). A call's
media is closed on its engine's ordered command queue instead (:mod:`.commands`), after any
start or update asked for before.
"""

from __future__ import annotations

from .._memory import release_soon
from .commands import drain_all
from .engine import MediaSession


def close_soon(session: MediaSession) -> None:
    """Close ``session`` on its engine's command queue; ``session.closed`` is true at once.

    A session that records closes here and now: its file is complete when the call has ended.
    """
    if session._closing:
        return
    if session._recorder is not None:
        session.engine.commands.drain()  # a start still queued runs first
        session.close()
        return
    session._closing = True
    session.engine.commands.submit(session.close, key=session.id)
    session.engine.commands.submit(release_soon, key=session.id)  # after the close freed


def drain(timeout: float | None = None) -> None:
    """Wait until every close (and other media command) asked for so far has run. For a caller
    that counts descriptors or memory right after closing media."""
    drain_all(timeout)
