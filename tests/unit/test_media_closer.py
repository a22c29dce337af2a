"""A call's media session closes on the closer thread (siperb.media.closer): the event loop
does not wait for the engine thread, ``closed`` is true at once, the session's socket and
native state go soon after, and a session that records closes at once (its file complete)."""

from __future__ import annotations

import asyncio
import socket
import threading
import wave
from pathlib import Path

import pytest
from media_helpers import wait_until

from siperb import media
from siperb.media import engine_available
from siperb.media.closer import close_soon

pytestmark = pytest.mark.skipif(not engine_available(), reason="built without the media engine")


def started(engine: media.Engine) -> media.MediaSession:
    s = engine.session(media.SessionConfig())
    s.start(media.StreamParams(remote_address="127.0.0.1", remote_port=9))
    return s


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_close_soon_returns_at_once_and_the_closer_thread_closes() -> None:
    engine = media.Engine()
    try:
        s = started(engine)
        port = s.local_port
        closing_threads: list[str] = []
        native_close = s._native.close

        def close_and_note() -> None:
            closing_threads.append(threading.current_thread().name)
            native_close()

        s._native = type("Spy", (), {"close": staticmethod(close_and_note),
                                     "closed": property(lambda self: False),
                                     "id": s._native.id})()  # fmt: skip

        async def main() -> None:
            close_soon(s)
            assert s.closed, "closed at once for the caller"
            close_soon(s)  # idempotent: one close
            await asyncio.sleep(0)

        asyncio.run(main())
        assert wait_until(lambda: closing_threads != [])
        assert closing_threads[0].startswith("siperb-media"), closing_threads
        assert wait_until(lambda: port_is_free(port)), "the RTP socket is closed"
        assert len(closing_threads) == 1
    finally:
        engine.stop()


def test_a_recording_session_closes_at_once_with_its_file_complete(tmp_path: Path) -> None:
    engine = media.Engine()
    try:
        s = started(engine)
        s.set_source(media.MemorySource(media.tone(400, 2), 8000, loop=True))
        path = tmp_path / "call.wav"
        rec = s.start_recording(path, sample_rate=8000)
        assert wait_until(lambda: s.stats().ticks > 20)
        close_soon(s)
        assert s._native.closed and not rec.stats["recording"]
        with wave.open(str(path)) as w:  # the header names every frame written
            assert w.getnframes() == rec.stats["frames_written"] > 0
    finally:
        engine.stop()
