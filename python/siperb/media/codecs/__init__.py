"""Voice codecs of the native core, with numpy int16 PCM in and out.

- :mod:`siperb.media.codecs.g711`: G.711 µ-law/A-law, bit-exact with the ITU-T G.191 reference.
- :mod:`siperb.media.codecs.opus`: Opus through the system libopus, with PLC and in-band FEC.
- :mod:`siperb.media.codecs.resampler`: sample-rate conversion with speexdsp's resampler.

Every codec call releases the GIL while it works (G.711 only above 4096 samples, where the
work outweighs the release), and every failure is a :class:`siperb.errors.CodecError`.
"""

from __future__ import annotations

from . import g711, opus, resampler
from .g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from .opus import OpusDecoder, OpusEncoder
from .resampler import Resampler, resample

__all__ = [
    "OpusDecoder",
    "OpusEncoder",
    "Resampler",
    "alaw_decode",
    "alaw_encode",
    "g711",
    "opus",
    "resample",
    "resampler",
    "ulaw_decode",
    "ulaw_encode",
]
