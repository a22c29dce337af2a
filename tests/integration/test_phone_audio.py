"""Phone media control with the engine: mute and recording on a call to the loopback echo.

The echo peer (EchoMedia) sends back what it receives; the recording test replaces it with a
far end sending its own tone, so the two channels differ.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import siperb
from siperb.demo import LoopbackService, manual_provisioning
from siperb.events import Event
from siperb.media import EngineMedia, EngineMediaControl, engine_available
from siperb.media.audio import BufferSink, ToneSource, WavFile
from siperb.phone.history import MEMORY

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not engine_available(), reason="siperb._core built without the engine"),
]


def peak_hz(x: np.ndarray, rate: int) -> tuple[float, float]:
    f = x.astype(np.float64) / 32768.0
    spectrum = np.abs(np.fft.rfft(f * np.hanning(len(f))))
    return float(np.argmax(spectrum) * rate / len(f)), float(np.sqrt(np.mean(f * f)))


async def echo_call(svc: LoopbackService) -> tuple[Any, Any, EngineMedia]:
    phone = await siperb.ProvisionPhone(
        {"Provisioning": manual_provisioning(svc.port), "PhoneFrame": None,
         "ProfileUserId": "audio", "SessionId": "s", "UserId": "u", "Language": "en"},
        history_path=MEMORY,
    )  # fmt: skip
    call = await phone.dial("echo")
    await call.wait_for("established", timeout=10)
    media = call.sip.media
    assert isinstance(phone.media, EngineMediaControl) and isinstance(media, EngineMedia)
    return phone, call, media


@pytest.mark.timeout(40)
def test_recording_holds_what_we_sent_left_and_what_we_heard_right(tmp_path: Path) -> None:
    """Different tones each way (we send 800 Hz, the far end 1300 Hz), so a recorder that
    swapped or duplicated its channels fails."""
    path = tmp_path / "call.wav"

    def far_end(ua: Any) -> EngineMedia:  # instead of the echo: its own tone
        return EngineMedia(ua.media_host(), source=ToneSource(16000, [([1300.0], 1000)],
                                                              repeat=True))  # fmt: skip

    async def main() -> list[Event]:
        async with LoopbackService(media_factory=far_end) as svc:
            phone, call, media = await echo_call(svc)
            async with phone:
                events: list[Event] = []
                phone.on("recording_started", events.append)
                phone.on("recording_ended", events.append)
                media.set_source(ToneSource(16000, [([800.0], 1000)], repeat=True))
                await asyncio.sleep(0.3)
                assert await phone.start_recording(call, str(path)) == str(path)
                assert call.recording
                await asyncio.sleep(1.5)
                await phone.stop_recording(call)
                assert not call.recording
                await phone.end_call(call)
                return events

    events = asyncio.run(main())
    assert [e.name for e in events] == ["recording_started", "recording_ended"]
    rate, channels, pcm = WavFile.read(path)
    assert channels == 2 and len(pcm) > rate  # at least a second of both directions
    skip = rate // 2  # let the jitter buffer settle
    for side, want in ((0, 800.0), (1, 1300.0)):
        hz, rms = peak_hz(pcm[skip:, side], rate)
        assert abs(hz - want) < 20 and rms > 0.02, (side, hz, rms)


@pytest.mark.timeout(40)
def test_mute_sends_silence_the_echo_goes_quiet() -> None:
    async def main() -> tuple[float, float, bool]:
        async with LoopbackService() as svc:
            phone, call, media = await echo_call(svc)
            async with phone:
                sink = BufferSink(16000, 16000 * 5)
                media.set_source(ToneSource(16000, [([800.0], 1000)], repeat=True))
                media.set_sink(sink)
                await asyncio.sleep(0.5)
                _, loud = peak_hz(await sink.aread(8000), 16000)
                await phone.mute()
                assert media.session is not None
                muted = media.session.muted
                await asyncio.sleep(0.5)  # the echo's last tone packets come back
                sink.read_nowait(sink.queued)
                _, quiet = peak_hz(await sink.aread(8000), 16000)
                await phone.unmute()
                assert not media.session.muted
                await phone.end_call(call)
                return loud, quiet, muted

    loud, quiet, muted = asyncio.run(main())
    assert muted
    assert loud > 0.02 and quiet < loud / 10, (loud, quiet)


@pytest.mark.timeout(40)
def test_hanging_up_while_recording_ends_the_recording(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"

    async def main() -> list[Event]:
        async with LoopbackService() as svc:
            phone, call, media = await echo_call(svc)
            async with phone:
                ended: list[Event] = []
                phone.on("recording_ended", ended.append)
                media.set_source(ToneSource(16000, [([800.0], 1000)], repeat=True))
                await phone.start_recording(call, str(path))
                await asyncio.sleep(1.0)
                await phone.end_call(call)
                await call.wait_ended(5)
                assert not call.recording
                return ended

    ended = asyncio.run(main())
    assert len(ended) == 1 and ended[0]["recording"] == str(path)
    rate, channels, pcm = WavFile.read(path)  # a complete, readable file
    assert channels == 2 and len(pcm) > rate // 2
    assert abs(peak_hz(pcm[rate // 4 :, 0], rate)[0] - 800) < 20


PHONE_WITH_DEVICE = r"""
import asyncio, json
import siperb
from siperb.demo import LoopbackService, manual_provisioning
from siperb.phone.history import MEMORY

async def main():
    async with LoopbackService() as svc:
        phone = await siperb.ProvisionPhone(
            {"Provisioning": manual_provisioning(svc.port), "PhoneFrame": None,
             "ProfileUserId": "dev", "SessionId": "s", "UserId": "u", "Language": "en"},
            history_path=MEMORY)
        async with phone:
            device = phone.media.device
            names = [d.name for d in phone.devices()]
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=10)
            media = call.sip.media
            before = device.stats["callbacks"] if device is not None else 0
            await asyncio.sleep(2.0)
            stats = media.session.stats()
            out = {"default_device": device is not None, "names": names,
                   "source_is_device": device is not None and media.source is device.source,
                   "status": device.status if device is not None else "",
                   "callbacks": (device.stats["callbacks"] - before) if device else 0,
                   "sent": stats.packets_sent}
            await phone.end_call(call)
        print(json.dumps(out))

asyncio.run(main())
"""


@pytest.mark.timeout(60)
def test_phone_uses_the_default_sound_device(pulseaudio: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **pulseaudio.env(), "PYTHONPATH": str(root / "python")}
    proc = subprocess.run([sys.executable, "-c", PHONE_WITH_DEVICE], env=env,
                          capture_output=True, text=True, timeout=50)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["default_device"] and "pulse" in info["names"], info
    assert info["source_is_device"] and info["status"] == "running", info
    # The PulseAudio ALSA plugin runs the callback 10-15 times a second (fewer on a loaded
    # machine): what matters is that it keeps running and the call keeps sending.
    assert info["callbacks"] > 5 and info["sent"] > 50, info
