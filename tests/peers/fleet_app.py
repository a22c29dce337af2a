"""The handler the fleet tests run in every worker (tests/integration/test_fleet.py and
tests/netns/test_fleet_hosts.py): it answers, plays 1 kHz, and records the peak frequency it
hears back (SIPp's -rtp_echo returns it), so each call proves audio both ways."""

TONE_ECHO_APP = """
import asyncio
import numpy as np

async def handle(call):
    await call.answer()
    t = np.arange(16000) / 16000.0
    call.play((8000 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.int16))
    heard = await asyncio.wait_for(call.read(8000), 10.0)
    spectrum = np.abs(np.fft.rfft(heard.astype(np.float64)))
    call.annotations["peak_hz"] = float(np.argmax(spectrum[1:]) + 1) * 16000 / len(heard)
    await call.wait_ended(timeout=60.0)
"""
