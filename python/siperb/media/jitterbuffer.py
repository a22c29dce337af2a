"""Adaptive jitter buffer, G.711 Appendix I packet loss concealment.

The buffer is codec-agnostic. Feed it every received RTP packet with ``put`` and call ``get``
whenever the audio output needs the next frame (normally once per packet time). Each call returns
a :class:`Frame` whose ``kind`` says what to play:

* ``FrameKind.PACKET``: decode ``payload``; if ``stretch`` is ``ACCELERATE`` / ``DECELERATE``,
  time-compress / expand the decoded audio by ``stretch_samples`` (or drop/repeat silence), which
  is how the playout delay follows the target without audible jumps;
* ``FrameKind.CONCEAL``: the packet is missing; run the codec's PLC (``G711Plc`` for G.711,
  Opus' own PLC) - when ``next_available`` is true, ``next_payload`` is the following packet, for
  Opus in-band FEC;
* ``FrameKind.SILENCE``: nothing to play (before the first packet, in a DTX gap, after a long
  outage): play silence or comfort noise.

The target delay follows the 97th percentile of the packets' delay relative to the fastest one
of the last 750 ms, in a histogram with a forgetting factor (as WebRTC NetEq's DelayManager):
it rises within a fraction of a second when jitter grows and decays over tens of seconds. A
single spike (a WiFi stall) does not raise it; the playout point is held (concealment) while the
stalled packets are missing, and when they arrive together the ones that concealment stood in
for are dropped back to the target, which costs less delay than covering rare stalls. A packet
just too late for its tick is dropped the same way when the tick before still meets the target
(its concealment has played); in a silence gap, audio pending from a stretched frame is dropped
so that the next talk spurt starts on its tick. In a pause in speech (a near-silent decoded
frame) the playout point moves by up to a whole frame at once, cut or repeated rather than
stretched, so that no pending audio is left to delay what follows.

:func:`replay` runs a network trace (``(sequence_number, timestamp, arrival_ms, payload)``
tuples, recorded or from :mod:`siperb.media.traces`) through the same receive chain as a call
(jitter buffer, decoder, PLC, time stretch) on a simulated output clock, with siperb's buffer or
speexdsp's, and returns the played PCM and a :class:`ReplayResult` with the figures (buffer
delay, concealed frames), so that anyone can judge a network, or a buffer, on identical packets.
"""

from __future__ import annotations

from .._core import (
    Frame,
    FrameKind,
    G711Plc,
    JitterBuffer,
    JitterBufferStats,
    ReplayResult,
    SpeexJitterBuffer,
    Stretch,
    replay,
)

__all__ = [
    "Frame",
    "FrameKind",
    "G711Plc",
    "JitterBuffer",
    "JitterBufferStats",
    "ReplayResult",
    "SpeexJitterBuffer",
    "Stretch",
    "replay",
]
