"""Opus (RFC 6716) through the system libopus.

``OpusEncoder(sample_rate, channels=1, application="voip", bitrate=None, complexity=None,
fec=False, dtx=False, packet_loss_percent=0)`` encodes one frame of 2.5/5/10/20/40/60 ms per
``encode(pcm) -> bytes`` (or a whole signal with ``encode_many(pcm, frame_samples)``, the last
partial frame zero-padded); ``bitrate``, ``complexity``, ``fec``, ``dtx`` and
``packet_loss_percent`` are properties that can change between frames, as is ``max_bandwidth``
(the widest band coded, in Hz: 4000, 6000, 8000, 12000 or 20000; narrower is cheaper),
``lookahead`` is the encoder delay in samples per channel.

``OpusDecoder(sample_rate, channels=1)`` decodes a packet with ``decode(packet)``, conceals a
lost one with ``decode_lost(frame_samples)`` (PLC), and recovers a lost frame from the next
packet's in-band FEC with ``decode_fec(next_packet, frame_samples)``; ``decode_many(packets)``
decodes a sequence (``None`` or ``b""`` = lost, concealed with the previous packet's
duration).

PCM in is any C-contiguous int16 buffer (an ndarray is read without a copy; stereo interleaved,
e.g. shape ``(frames, 2)``); PCM out is a new int16 ndarray, 1-D for mono and
``(frames, channels)`` for stereo. Rates: 8/12/16/24/48
kHz. Every libopus error is a :class:`siperb.errors.CodecError` with libopus's message.
The classes are the native ones: no Python layer sits in the per-frame path.
"""

from __future__ import annotations

from ... import _core

OpusEncoder = _core.OpusEncoder
OpusDecoder = _core.OpusDecoder

#: Sample rates Opus encodes and decodes at.
SAMPLE_RATES = (8000, 12000, 16000, 24000, 48000)
#: Frame durations (ms) an encoder accepts.
FRAME_MS = (2.5, 5.0, 10.0, 20.0, 40.0, 60.0)


def frame_samples(sample_rate: int, ms: float) -> int:
    """Samples per channel in a frame of ``ms`` milliseconds at ``sample_rate``."""
    return int(sample_rate * ms) // 1000


__all__ = ["FRAME_MS", "SAMPLE_RATES", "OpusDecoder", "OpusEncoder", "frame_samples"]
