"""The ringer output: the ring tone on the sound device chosen as "ringer", while a call rings.

The page rings in the browser (WebAudio) until the user picks a ringer device; from then on
the phone's process rings that device itself, so a desk phone's ringer can be a loudspeaker
other than the headset the calls use. The tone is the native :class:`ToneSource` (440 + 480
Hz, one second on, two off: the North American ring cadence) and the device the native
PortAudio :class:`AudioDevice` (output only, its own stream). Nothing ties it to a call's
engine session: the event loop tops up the device's playback ring from the tone source a few
frames ahead (no packet of any call passes here, only this local tone). It starts when a
call is incoming and stops when none is (answered, declined, cancelled by the caller, or the
device choice changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from ..media.audio import AudioDevice, ToneSource

log = logging.getLogger("siperb.ui")

RATE = 16000
FRAME = RATE // 50  # 20 ms
LEAD_S = 0.06  # how far ahead of the device's clock the tone is written (the tail on stop)
RING_HZ = (440.0, 480.0)
RING_CADENCE_MS = (1000, 2000)  # on, off
LEVEL_DBFS = -12.0


def ring_tone(rate: int = RATE) -> Any:
    """The ring tone as a native source (repeated forever)."""
    on, off = RING_CADENCE_MS
    return ToneSource(rate, [(list(RING_HZ), on), ([], off)], repeat=True, level_dbfs=LEVEL_DBFS)


class Ringer:
    """Rings ``device`` (a PortAudio device name) while :meth:`update` says a call rings."""

    def __init__(self) -> None:
        self.device: str | None = None
        self._playing: tuple[Any, asyncio.Task[None]] | None = None
        self._lock = asyncio.Lock()
        self.error: str | None = None  # why the last device could not be opened

    @property
    def playing(self) -> bool:
        return self._playing is not None

    async def update(self, device: str | None, ringing: bool) -> None:
        """Ring ``device`` now when ``ringing`` (else, or for another device, stop)."""
        async with self._lock:
            want = device if ringing else None
            if self._playing is not None and (want is None or want != self.device):
                await self._stop()
            self.device = device
            if want is not None and self._playing is None:
                await self._start(want)

    async def close(self) -> None:
        async with self._lock:
            await self._stop()

    async def _start(self, device: str) -> None:
        try:
            dev = await asyncio.to_thread(AudioDevice, input=False, output=device,
                                          sample_rate=RATE)  # fmt: skip
        except Exception as exc:  # a device that went away, a name PortAudio does not know
            self.error = str(exc)
            log.warning("ringer: cannot open %r: %s", device, exc)
            return
        self.error = None
        task = asyncio.get_running_loop().create_task(_pump(dev, ring_tone()))
        self._playing = (dev, task)
        log.info("ringer: ringing on %r", device)

    async def _stop(self) -> None:
        if self._playing is None:
            return
        dev, task = self._playing
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(dev.close)  # plays out what the device already holds
        self._playing = None
        log.info("ringer: stopped")


async def _pump(dev: Any, tone: Any) -> None:
    """Keep the device's playback ring ``LEAD_S`` ahead of real time from ``tone``."""
    start = time.monotonic()
    written = 0
    while True:
        due = int((time.monotonic() - start + LEAD_S) * RATE)
        while written + FRAME <= due:
            dev.sink.write(tone.read(FRAME))
            written += FRAME
        await asyncio.sleep(FRAME / RATE)


__all__ = ["RATE", "RING_HZ", "Ringer", "ring_tone"]
