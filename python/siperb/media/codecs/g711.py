"""G.711 µ-law and A-law, bit-exact with the ITU-T G.191 STL reference (``g711.c``).

Encoders take any C-contiguous int16 buffer (an ndarray without a copy, or raw native-endian
sample bytes as :mod:`audioop` takes them) and return ``bytes``, one code per sample; decoders
take any bytes-like object and return a new int16 ndarray. Any length works.

The tables are computed from the G.191 algorithm, so A-law matches ``audioop`` exactly, but
µ-law does not: ``audioop.lin2ulaw`` (CPython < 3.13, from the Sun g711.c) takes the
magnitude of a negative sample as ``-(x >> 2)`` where G.191 takes the one's complement
``(~x) >> 2``, one 14-bit step smaller. So for every negative ``x``,
``audioop.lin2ulaw(x) == ulaw_encode(max(x - 4, -32768))``, and the two differ on exactly
508 inputs: the 4 negative values nearest zero in each of the 127 negative quantisation
intervals that have a neighbour below them (``-4..-1``, ``-12..-9``, ..., ``-31612..-31609``),
where audioop picks the next larger magnitude (e.g. -1 gives G.191's 0x7F, "negative zero",
but audioop's 0x7E, which decodes to -8). Positive inputs, decoding and A-law agree.
"""

from __future__ import annotations

from ... import _core

ulaw_encode = _core.g711_ulaw_encode
ulaw_decode = _core.g711_ulaw_decode
alaw_encode = _core.g711_alaw_encode
alaw_decode = _core.g711_alaw_decode

__all__ = ["alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]
