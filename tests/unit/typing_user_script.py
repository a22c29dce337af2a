"""A user's script, type-checked with mypy --strict by test_packaging_typing.py (not run):
numpy arrays go into every audio entry point on each Python that requires-python names."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import siperb
from siperb.media import rtp
from siperb.media.codecs import g711, opus
from siperb.media.codecs.resampler import Resampler, resample


def tone(hz: float, rate: int, samples: int) -> npt.NDArray[np.int16]:
    t = np.arange(samples) / rate
    return (np.sin(2 * np.pi * hz * t) * 8000).astype(np.int16)


def roundtrip() -> list[int]:
    pcm = tone(440.0, 48000, 960)
    encoder = opus.OpusEncoder(48000, 1, application="voip")
    decoder = opus.OpusDecoder(48000, 1)
    packet: bytes = encoder.encode(pcm)
    packets: list[bytes] = encoder.encode_many(np.concatenate([pcm, pcm]), 960)
    heard: npt.NDArray[np.int16] = decoder.decode(packet)
    many = decoder.decode_many([np.frombuffer(p, np.uint8) for p in packets])
    narrow = resample(pcm, 48000, 8000)
    stream = Resampler(48000, 8000, 1)
    more = stream.process(pcm)
    ulaw = g711.ulaw_encode(narrow)
    alaw = g711.alaw_encode(np.ascontiguousarray(narrow[:80]))
    back = g711.ulaw_decode(np.frombuffer(ulaw, np.uint8))
    pkt = rtp.RtpPacket(payload_type=0, sequence_number=1, timestamp=0, ssrc=1, payload=ulaw)
    return [len(packet), len(heard), len(many), len(more), len(alaw), len(back), len(bytes(pkt))]


print(siperb.__version__, roundtrip())
