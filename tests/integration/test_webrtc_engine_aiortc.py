"""aiortc (an independent WebRTC stack, PyPI) as the far end of a native WebRTC session.

Our offer is written here by hand from the MediaSession (ufrag, pwd, candidates, fingerprint,
setup actpass, rtcp-mux, PCMU); aiortc answers (setup active: it is the DTLS client) and sends a
1000 Hz tone; our session sends 440 Hz. Both ends check frequency and level.
"""

from __future__ import annotations

import asyncio
import fractions
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from media_helpers import dominant_frequency, rms, wait_until

from siperb import media

aiortc = pytest.importorskip("aiortc")
av = pytest.importorskip("av")
aioice_ice = pytest.importorskip("aioice.ice")

RATE = 8000


class ToneTrack(aiortc.MediaStreamTrack):  # type: ignore[misc]
    """A paced 20 ms sine source (aiortc's senders pull frames as fast as recv returns)."""

    kind = "audio"

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq = freq
        self.n = 0
        self.t0: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.t0 is None:
            self.t0 = time.monotonic()
        due = self.t0 + self.n * 0.02
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        t = (np.arange(160) + self.n * 160) / RATE
        pcm = (8000 * np.sin(2 * np.pi * self.freq * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.n * 160
        frame.time_base = fractions.Fraction(1, RATE)
        self.n += 1
        return frame


def our_offer(s: media.MediaSession) -> str:
    alg, fp = s.dtls_fingerprint.split(" ")
    lines = [
        "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
        f"m=audio {s.local_port} UDP/TLS/RTP/SAVPF 0", "c=IN IP4 127.0.0.1", "a=mid:0",
        "a=sendrecv", "a=rtcp-mux", f"a=ice-ufrag:{s.ice_ufrag}", f"a=ice-pwd:{s.ice_pwd}",
        f"a=fingerprint:{alg} {fp}", "a=setup:actpass", "a=rtpmap:0 PCMU/8000",
        *[f"a=candidate:{c}" for c in s.gather_candidates()], "a=end-of-candidates",
        f"a=ssrc:{s.ssrc} cname:siperb",
    ]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


def params_from_answer(sdp: str) -> media.StreamParams:
    def attr(name: str) -> str:
        m = re.search(rf"^a={name}:(.*?)\r?$", sdp, re.M)
        assert m, f"no a={name} in aiortc's answer"
        return m.group(1).strip()

    setup = attr("setup")
    assert setup in ("active", "passive")
    cands = [c for c in re.findall(r"^a=candidate:(.*?)\r?$", sdp, re.M) if " 127.0.0.1 " in c]
    return media.StreamParams(
        codec="PCMU", clock_rate=RATE, payload_type=0, local_payload_type=0, rtcp_mux=True,
        ice_ufrag=attr("ice-ufrag"), ice_pwd=attr("ice-pwd"), ice_candidates=cands,
        ice_controlling=True,  # the offerer, and aiortc is a full agent
        dtls_setup="passive" if setup == "active" else "active",
        dtls_fingerprint=next(
            f for f in re.findall(r"^a=fingerprint:(.*?)\r?$", sdp, re.M) if f.startswith("sha-256")
        ),
    )  # fmt: skip


def test_aiortc_peer_audio_both_ways(monkeypatch):
    # aioice leaves 127.0.0.1 out of its host candidates; loopback only here.
    monkeypatch.setattr(aioice_ice, "get_host_addresses", lambda *a, **k: ["127.0.0.1"])
    engine = media.Engine()
    session = engine.session(webrtc=True)
    sink = media.MemorySink(RATE, RATE * 6)
    session.set_sink(sink)
    session.set_source(media.MemorySource(media.tone(440, 2, RATE), RATE, loop=True))
    heard: list[np.ndarray] = []
    states: list[str] = []

    async def main() -> None:
        pc = aiortc.RTCPeerConnection()
        pc.addTrack(ToneTrack(1000))
        pulls: list[asyncio.Future[None]] = []

        @pc.on("track")  # type: ignore[misc]
        def on_track(track: aiortc.MediaStreamTrack) -> None:
            async def pull() -> None:
                while True:
                    try:
                        frame = await track.recv()
                    except aiortc.mediastreams.MediaStreamError:
                        return
                    heard.append(frame.to_ndarray().reshape(-1).astype(np.int16))

            pulls.append(asyncio.ensure_future(pull()))

        try:
            await pc.setRemoteDescription(aiortc.RTCSessionDescription(our_offer(session), "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            params = params_from_answer(pc.localDescription.sdp)
            await asyncio.to_thread(session.start, params)
            end = time.monotonic() + 20
            while time.monotonic() < end and (
                len(sink) < RATE * 2 or sum(map(len, heard)) < RATE * 2
            ):
                await asyncio.sleep(0.05)
            states.append(session.dtls_state)  # before aiortc's close_notify closes it
        finally:
            await pc.close()

    try:
        asyncio.run(asyncio.wait_for(main(), 40))
        assert states == ["connected"], (states, len(sink), sum(map(len, heard)))
        tail = sink.samples()[-RATE:]
        assert abs(dominant_frequency(tail, RATE) - 1000) < 20 and rms(tail) > 2000
        theirs = np.concatenate(heard)[-RATE:]
        assert abs(dominant_frequency(theirs, RATE) - 440) < 20 and rms(theirs) > 2000
        assert wait_until(lambda: session.stats().srtp_auth_failures == 0)
    finally:
        session.close()
        engine.stop()
