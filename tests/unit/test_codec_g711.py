"""G.711: bit-exact with ITU-T G.191 over every input and code, and how audioop differs."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from siperb.errors import CodecError
from siperb.media.codecs import g711

ALL_INPUTS = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


# --- An independent transcription of the G.191 STL g711.c reference (C `short` arithmetic;
# Python's ~ and >> on ints behave like C's on two's complement values). ---


def g191_ulaw_compress(x: int) -> int:
    absno = ((~x) >> 2) + 33 if x < 0 else (x >> 2) + 33
    absno = min(absno, 0x1FFF)
    i = absno >> 6
    segno = 1
    while i != 0:
        segno += 1
        i >>= 1
    high_nibble = 0x0008 - segno
    low_nibble = 0x000F - ((absno >> segno) & 0x000F)
    code = (high_nibble << 4) | low_nibble
    return code | 0x0080 if x >= 0 else code


def g191_ulaw_expand(code: int) -> int:
    sign = -1 if code < 0x0080 else 1
    mantissa = ~code
    exponent = (mantissa >> 4) & 0x0007
    segment = exponent + 1
    mantissa &= 0x000F
    step = 4 << segment
    return sign * ((0x0080 << exponent) + step * mantissa + step // 2 - 4 * 33)


def g191_alaw_compress(x: int) -> int:
    ix = (~x) >> 4 if x < 0 else x >> 4
    if ix > 15:
        iexp = 1
        while ix > 16 + 15:
            ix >>= 1
            iexp += 1
        ix -= 16
        ix += iexp << 4
    if x >= 0:
        ix |= 0x0080
    return ix ^ 0x0055


def g191_alaw_expand(code: int) -> int:
    ix = (code ^ 0x0055) & 0x007F
    iexp = ix >> 4
    mant = ix & 0x000F
    if iexp > 0:
        mant += 16
    mant = (mant << 4) + 0x0008
    if iexp > 1:
        mant <<= iexp - 1
    return mant if code > 127 else -mant


def reference(fn, values) -> np.ndarray:
    return np.array([fn(int(v)) for v in values])


def test_ulaw_encode_bit_exact_on_all_65536_inputs() -> None:
    codes = np.frombuffer(g711.ulaw_encode(ALL_INPUTS), np.uint8)
    np.testing.assert_array_equal(codes, reference(g191_ulaw_compress, ALL_INPUTS))


def test_alaw_encode_bit_exact_on_all_65536_inputs() -> None:
    codes = np.frombuffer(g711.alaw_encode(ALL_INPUTS), np.uint8)
    np.testing.assert_array_equal(codes, reference(g191_alaw_compress, ALL_INPUTS))


def test_ulaw_decode_bit_exact_on_all_256_codes() -> None:
    out = g711.ulaw_decode(ALL_CODES)
    assert out.dtype == np.int16 and out.shape == (256,)
    np.testing.assert_array_equal(out, reference(g191_ulaw_expand, ALL_CODES))


def test_alaw_decode_bit_exact_on_all_256_codes() -> None:
    out = g711.alaw_decode(ALL_CODES)
    assert out.dtype == np.int16 and out.shape == (256,)
    np.testing.assert_array_equal(out, reference(g191_alaw_expand, ALL_CODES))


@pytest.mark.parametrize(
    ("encode", "decode", "codes_back"),
    [
        # µ-law's "negative zero" 0x7F decodes to 0, which encodes as 0xFF.
        (g711.ulaw_encode, g711.ulaw_decode, np.where(ALL_CODES == 0x7F, 0xFF, ALL_CODES)),
        (g711.alaw_encode, g711.alaw_decode, ALL_CODES),
    ],
)
def test_round_trip_error_is_within_half_a_step(encode, decode, codes_back) -> None:
    back = decode(encode(ALL_INPUTS)).astype(np.int32)
    err = np.abs(back - ALL_INPUTS.astype(np.int32))
    # Both laws' largest step is 1024 on the 16-bit scale: the error is at most half of it
    # (except near full scale, where the last cell's centre lies below the clip).
    assert err[np.abs(ALL_INPUTS.astype(np.int32)) < 32000].max() <= 512
    # Relative error stays bounded too (the point of companding): under 1/16 above the 1st segment.
    big = np.abs(ALL_INPUTS.astype(np.int32)) > 256
    assert (err[big] / np.abs(ALL_INPUTS[big].astype(np.int32))).max() < 1 / 16
    # A decoded value lies inside its own cell: re-encoding gives the code back.
    np.testing.assert_array_equal(np.frombuffer(encode(decode(ALL_CODES)), np.uint8), codes_back)


@pytest.mark.parametrize("encode", [g711.ulaw_encode, g711.alaw_encode])
def test_encoders_take_any_int16_buffer(encode) -> None:
    x = np.random.default_rng(3).integers(-32768, 32767, 1001, dtype=np.int16)
    want = encode(x)
    assert len(want) == 1001
    assert encode(x.tobytes()) == want  # raw native-endian bytes, as audioop takes them
    assert encode(bytearray(x.tobytes())) == want
    assert encode(memoryview(x)) == want
    assert encode(x.reshape(7, 143)) == want  # any C-contiguous shape
    misaligned = memoryview(bytearray(b"\0" + x.tobytes()))[1:]
    assert encode(misaligned) == want
    assert encode(x[::2].copy()) == encode(np.ascontiguousarray(x[::2]))
    assert encode(np.zeros(0, np.int16)) == b""


@pytest.mark.parametrize("encode", [g711.ulaw_encode, g711.alaw_encode])
@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(4, np.float32),
        np.zeros(4, np.int32),
        np.zeros(8, np.int16)[::2],
        b"\0\0\0",
        "text",
        5,
    ],
)
def test_encoders_reject_what_is_not_contiguous_int16(encode, bad) -> None:
    with pytest.raises(CodecError) as info:
        encode(bad)
    assert info.value.field == "pcm"


def test_big_endian_int16_is_rejected_not_misread() -> None:
    with pytest.raises(CodecError) as info:
        g711.ulaw_encode(np.zeros(4, ">i2"))
    assert info.value.field == "pcm" and ">h" in (info.value.reason or "")


@pytest.mark.parametrize("decode", [g711.ulaw_decode, g711.alaw_decode])
def test_decoders_take_any_bytes_like(decode) -> None:
    codes = bytes(range(256)) * 3
    want = decode(codes)
    np.testing.assert_array_equal(decode(bytearray(codes)), want)
    np.testing.assert_array_equal(decode(memoryview(codes)), want)
    np.testing.assert_array_equal(decode(np.frombuffer(codes, np.uint8)), want)
    with pytest.raises(CodecError) as info:
        decode(np.zeros(4, np.int16))
    assert info.value.field == "codes"


@pytest.mark.parametrize(
    ("encode", "decode"),
    [(g711.ulaw_encode, g711.ulaw_decode), (g711.alaw_encode, g711.alaw_decode)],
)
def test_long_signals_match_frame_by_frame_and_run_in_threads(encode, decode) -> None:
    x = np.random.default_rng(5).integers(-32768, 32767, 48000 * 4 + 17, dtype=np.int16)
    whole = encode(x)  # above the GIL-release threshold
    assert whole == b"".join(encode(x[i : i + 160]) for i in range(0, len(x), 160))
    np.testing.assert_array_equal(
        decode(whole),
        np.concatenate([decode(whole[i : i + 160]) for i in range(0, len(whole), 160)]),
    )
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(encode(x))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [whole] * 4


# --- audioop (CPython < 3.13) ---

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # audioop is deprecated in 3.11/3.12
    try:
        import audioop
    except ImportError:  # Python >= 3.13
        audioop = None


@pytest.mark.skipif(audioop is None, reason="audioop left the stdlib in Python 3.13")
def test_audioop_ulaw_differs_from_g191_on_exactly_508_negative_inputs() -> None:
    """audioop.lin2ulaw negates x >> 2 where G.191 takes (~x) >> 2: one step more magnitude.

    So for every negative x, audioop's code is G.191's code of x - 4, and the two differ on
    the 4 inputs nearest zero in each of the 127 negative cells with a cell below them.
    """
    ours = np.frombuffer(g711.ulaw_encode(ALL_INPUTS), np.uint8)
    theirs = np.frombuffer(audioop.lin2ulaw(ALL_INPUTS.tobytes(), 2), np.uint8)
    differ = ALL_INPUTS[ours != theirs]
    assert len(differ) == 508
    assert differ.max() == -1  # positive inputs agree
    np.testing.assert_array_equal(differ[-4:], [-4, -3, -2, -1])
    np.testing.assert_array_equal(differ[:4], [-31612, -31611, -31610, -31609])
    # Runs of 4 consecutive inputs, one run per boundary between two of the 128 negative codes.
    assert np.count_nonzero(np.diff(differ) != 1) == 126
    # The rule behind it: audioop(x) == G.191(x - 4) for every negative x.
    neg = ALL_INPUTS[ALL_INPUTS < 0].astype(np.int32)
    shifted = np.array([g191_ulaw_compress(max(int(v) - 4, -32768)) for v in neg], np.uint8)
    np.testing.assert_array_equal(theirs[: len(neg)], shifted)
    # -1 is G.191's "negative zero" 0x7F; audioop rounds it to 0x7E, which decodes to -8.
    assert g711.ulaw_encode(np.array([-1], np.int16)) == b"\x7f"
    assert audioop.lin2ulaw(np.array([-1], np.int16).tobytes(), 2) == b"\x7e"


@pytest.mark.skipif(audioop is None, reason="audioop left the stdlib in Python 3.13")
def test_audioop_agrees_on_alaw_and_on_decoding() -> None:
    assert g711.alaw_encode(ALL_INPUTS) == audioop.lin2alaw(ALL_INPUTS.tobytes(), 2)
    assert g711.ulaw_decode(ALL_CODES).tobytes() == audioop.ulaw2lin(ALL_CODES.tobytes(), 2)
    assert g711.alaw_decode(ALL_CODES).tobytes() == audioop.alaw2lin(ALL_CODES.tobytes(), 2)
