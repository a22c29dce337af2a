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

The target delay follows the 95th percentile of the packets' delay relative to the fastest one
of the last two seconds, in a histogram with a forgetting factor (as WebRTC NetEq): it grows
within a few packets of a delay spike and decays over seconds.
"""

from __future__ import annotations

from ._core import (
    Frame,
    FrameKind,
    G711Plc,
    JitterBuffer,
    JitterBufferStats,
    SpeexJitterBuffer,
    Stretch,
)

__all__ = [
    "Frame",
    "FrameKind",
    "G711Plc",
    "JitterBuffer",
    "JitterBufferStats",
    "SpeexJitterBuffer",
    "Stretch",
]
