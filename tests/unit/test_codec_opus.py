"""Opus through libopus: round trips on speech-like audio, PLC, in-band FEC, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from media_helpers import opus_band_hz

from siperb.errors import CodecError
from siperb.media.codecs import OpusDecoder, OpusEncoder
from siperb.media.codecs.opus import FRAME_MS, SAMPLE_RATES, frame_samples
from siperb.media.codecs.signals import speech_like


def corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b) + 1e-9))


def aligned_corr(x: np.ndarray, y: np.ndarray, lookahead: int, rate: int) -> tuple[float, int]:
    """Best correlation of y against x delayed by lookahead +- 2 ms (hybrid modes shift a bit)."""
    n = len(x)
    lags = range(max(0, lookahead - rate // 500), lookahead + rate // 500 + 1)
    return max((corr(x[: n - d], y[d:n]), d) for d in lags)


def rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))


@pytest.mark.parametrize("rate", SAMPLE_RATES)
@pytest.mark.parametrize("application", ["voip", "audio", "restricted-lowdelay"])
def test_round_trip_correlates_with_speech_like_input(rate: int, application: str) -> None:
    x = speech_like(2.0, rate, seed=1)
    enc = OpusEncoder(rate, 1, application, bitrate=32000)
    dec = OpusDecoder(rate)
    packets = [enc.encode(x[i : i + rate // 50]) for i in range(0, len(x), rate // 50)]
    y = np.concatenate([dec.decode(p) for p in packets])
    assert y.dtype == np.int16 and len(y) == len(x)
    c, lag = aligned_corr(x, y, enc.lookahead, rate)
    assert c > 0.9, (c, lag)
    # 32 kbit/s over 20 ms is 80 bytes a packet on average.
    assert 40 < np.mean([len(p) for p in packets]) < 120


@pytest.mark.parametrize("rate", SAMPLE_RATES)
@pytest.mark.parametrize("ms", FRAME_MS)
def test_every_frame_duration_at_every_rate(rate: int, ms: float) -> None:
    n = frame_samples(rate, ms)
    x = speech_like(0.3, rate, seed=4)
    enc = OpusEncoder(rate, 1, bitrate=24000)
    dec = OpusDecoder(rate)
    out = [dec.decode(enc.encode(x[i : i + n])) for i in range(0, len(x) - n + 1, n)]
    assert all(len(o) == n for o in out)
    assert dec.packet_samples(enc.encode(x[:n])) == n


def test_stereo_round_trip_keeps_the_channels_apart() -> None:
    rate = 48000
    left = speech_like(1.0, rate, seed=1)
    right = speech_like(1.0, rate, seed=2)
    x = np.stack([left, right], axis=1)  # (frames, 2), interleaved in memory
    enc = OpusEncoder(rate, 2, "audio", bitrate=96000)
    dec = OpusDecoder(rate, 2)
    y = dec.decode_many(enc.encode_many(x, 960))
    assert y.shape == (rate, 2) and y.dtype == np.int16
    la = enc.lookahead
    assert aligned_corr(left, y[:, 0].copy(), la, rate)[0] > 0.9
    assert aligned_corr(right, y[:, 1].copy(), la, rate)[0] > 0.9
    assert abs(corr(left[: rate - la], y[la:, 1])) < 0.3


def test_batch_calls_equal_frame_by_frame_calls() -> None:
    rate, n = 16000, 320
    x = speech_like(1.01, rate, seed=3)  # not a whole number of frames: the tail is zero-padded
    batch = OpusEncoder(rate, bitrate=20000).encode_many(x, n)
    one = OpusEncoder(rate, bitrate=20000)
    padded = np.concatenate([x, np.zeros(-len(x) % n, np.int16)])
    assert batch == [one.encode(padded[i : i + n]) for i in range(0, len(padded), n)]
    dec_one = OpusDecoder(rate)
    want = np.concatenate([dec_one.decode(p) for p in batch])
    np.testing.assert_array_equal(OpusDecoder(rate).decode_many(batch), want)
    # None is a lost packet, concealed with the previous packet's duration.
    holed = OpusDecoder(rate).decode_many([batch[0], None, batch[2]])
    assert len(holed) == 3 * n


def test_encoder_settings_are_properties() -> None:
    enc = OpusEncoder(
        48000, 1, bitrate=24000, complexity=5, fec=True, dtx=True, packet_loss_percent=7
    )
    assert (enc.bitrate, enc.complexity, enc.fec, enc.dtx, enc.packet_loss_percent) == (
        24000,
        5,
        True,
        True,
        7,
    )
    enc.bitrate = 64000
    enc.complexity = 10
    enc.fec = False
    enc.dtx = False
    enc.packet_loss_percent = 0
    assert (enc.bitrate, enc.complexity, enc.fec, enc.dtx, enc.packet_loss_percent) == (
        64000,
        10,
        False,
        False,
        0,
    )
    x = speech_like(1.0, 48000, seed=6)
    low = OpusEncoder(48000, bitrate=12000).encode_many(x, 960)
    high = OpusEncoder(48000, bitrate=64000).encode_many(x, 960)
    assert sum(map(len, high)) > 3 * sum(map(len, low))


def test_max_bandwidth_caps_the_coded_band() -> None:
    """The CPU governor's levels below 0: no packet codes a wider band than the cap (after the
    first few frames the encoder may take to settle), and lifting the cap brings the band back."""
    x = speech_like(2.0, 48000, seed=4)
    full = OpusEncoder(48000, complexity=0)
    assert full.max_bandwidth == 20000
    assert max(opus_band_hz(p) for p in full.encode_many(x, 960)) > 8000
    for cap in (8000, 6000, 4000):
        enc = OpusEncoder(48000, complexity=0)
        enc.max_bandwidth = cap
        assert enc.max_bandwidth == cap
        bands = {opus_band_hz(p) for p in enc.encode_many(x, 960)[5:]}
        assert max(bands) == cap, (cap, bands)
    # Lifted again between frames: libopus widens the band step by step, each after a while
    # (narrow -> medium after about a second here, wide after several).
    enc.max_bandwidth = 20000
    assert min(opus_band_hz(p) for p in enc.encode_many(np.tile(x, 2), 960)[-50:]) > 4000


def test_dtx_shrinks_silence() -> None:
    silence = np.zeros(48000 * 2, np.int16)
    plain = OpusEncoder(48000, bitrate=32000).encode_many(silence, 960)
    dtx = OpusEncoder(48000, bitrate=32000, dtx=True).encode_many(silence, 960)
    assert sum(map(len, dtx[-20:])) < sum(map(len, plain[-20:]))


def test_plc_after_voiced_frames_is_a_frame_of_sound() -> None:
    rate, n = 16000, 320
    x = speech_like(1.0, rate, seed=2)
    enc = OpusEncoder(rate, bitrate=32000)
    dec = OpusDecoder(rate)
    packets = enc.encode_many(x, n)
    # The loudest frame is voiced; lose the one after it.
    k = 1 + int(np.argmax([rms(x[i * n : (i + 1) * n]) for i in range(len(packets) - 2)]))
    for p in packets[:k]:
        dec.decode(p)
    concealed = dec.decode_lost(n)
    assert concealed.shape == (n,) and concealed.dtype == np.int16
    assert rms(concealed) > 0.1 * rms(x[(k - 1) * n : k * n])
    assert dec.decode_lost(2 * n).shape == (2 * n,)
    # The stream goes on after the loss.
    assert len(dec.decode(packets[k + 1])) == n


def fec_vs_plc(fec: bool) -> tuple[list[float], list[float]]:
    """Per voiced frame k: correlation with the original of decode_fec(k+1) and of PLC."""
    rate, n = 16000, 320
    x = speech_like(2.0, rate, seed=2)
    enc = OpusEncoder(rate, 1, "voip", bitrate=32000, fec=fec, packet_loss_percent=20)
    packets = enc.encode_many(x, n)
    la = enc.lookahead
    with_fec, with_plc = [], []
    for k in range(10, len(packets) - 1, 7):
        original = x[k * n - la : (k + 1) * n - la]
        if rms(original) < 1000:  # only voiced frames carry LBRR worth comparing
            continue
        a, b = OpusDecoder(rate), OpusDecoder(rate)
        for p in packets[:k]:
            a.decode(p)
            b.decode(p)
        recovered = a.decode_fec(packets[k + 1], n)
        assert recovered.shape == (n,)
        with_fec.append(corr(original, recovered))
        with_plc.append(corr(original, b.decode_lost(n)))
    return with_fec, with_plc


def test_fec_recovers_a_lost_frame_better_than_plc() -> None:
    with_fec, with_plc = fec_vs_plc(fec=True)
    assert len(with_fec) >= 5
    assert np.mean(with_fec) > 0.8
    assert np.mean(with_fec) > np.mean(with_plc) + 0.2
    assert sum(f > p for f, p in zip(with_fec, with_plc, strict=True)) >= 0.8 * len(with_fec)


def test_without_fec_data_decode_fec_falls_back_to_plc() -> None:
    with_fec, with_plc = fec_vs_plc(fec=False)
    np.testing.assert_allclose(with_fec, with_plc)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: OpusEncoder(44100), "sample_rate"),
        (lambda: OpusDecoder(11025), "sample_rate"),
        (lambda: OpusEncoder(48000, 3), "channels"),
        (lambda: OpusDecoder(48000, 0), "channels"),
        (lambda: OpusEncoder(48000, application="music"), "application"),
        (lambda: OpusEncoder(48000, complexity=11), "complexity"),
        (lambda: OpusEncoder(48000, bitrate=-5), "bitrate"),
        (lambda: OpusEncoder(48000, packet_loss_percent=101), "packet_loss_percent"),
        (lambda: setattr(OpusEncoder(48000), "max_bandwidth", 5000), "bandwidth"),
        (lambda: OpusEncoder(48000).encode(np.zeros(961, np.int16)), "frame_samples"),
        (lambda: OpusEncoder(48000).encode(np.zeros(960, np.float32)), "pcm"),
        (lambda: OpusEncoder(48000, 2).encode(np.zeros(961, np.int16)), "pcm"),
        (lambda: OpusEncoder(48000).encode_many(np.zeros(960, np.int16), 100), "frame_samples"),
        (lambda: OpusDecoder(48000).decode(b""), "packet"),
        (lambda: OpusDecoder(48000).decode(np.zeros(4, np.int16)), "packet"),
        (lambda: OpusDecoder(48000).decode_lost(0), "frame_samples"),
        (lambda: OpusDecoder(48000).decode_lost(961), "frame_samples"),
        (lambda: OpusDecoder(48000).decode_lost(48000), "frame_samples"),
        (lambda: OpusDecoder(48000).decode_fec(b"", 960), "next_packet"),
    ],
)
def test_bad_parameters_raise_codec_error_naming_the_field(make, field: str) -> None:
    with pytest.raises(CodecError) as info:
        make()
    assert info.value.field == field
    assert info.value.reason


def test_libopus_errors_carry_libopus_message() -> None:
    with pytest.raises(CodecError) as info:
        OpusEncoder(48000, complexity=11)
    assert info.value.reason == "invalid argument"  # opus_strerror(OPUS_BAD_ARG)
    dec = OpusDecoder(48000)
    # A code-3 packet (TOC 0x03) of one frame whose padding runs past the end of the packet.
    with pytest.raises(CodecError) as info:
        dec.decode(b"\x03\x41\xff")
    assert (info.value.field, info.value.reason) == ("packet", "corrupted stream")
    # A code-3 packet that says it holds 0 frames is refused before libopus decodes it.
    with pytest.raises(CodecError) as info:
        dec.decode(b"\x03\x00")
    assert info.value.field == "packet"
    with pytest.raises(CodecError):
        dec.decode_many([b"\x03\x00"])
    # The decoder still works after a bad packet.
    enc = OpusEncoder(48000)
    assert len(dec.decode(enc.encode(np.zeros(960, np.int16)))) == 960


def test_threads_encode_in_parallel_and_may_share_an_encoder() -> None:
    rate, n = 16000, 320
    x = speech_like(1.0, rate, seed=8)
    want = OpusEncoder(rate, bitrate=24000).encode_many(x, n)
    own: list[list[bytes]] = []
    shared = OpusEncoder(rate, bitrate=24000)
    from_shared: list[bytes] = []

    def work() -> None:
        own.append(OpusEncoder(rate, bitrate=24000).encode_many(x, n))  # GIL released inside
        from_shared.extend(shared.encode(x[i : i + n]) for i in range(0, len(x), n))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert own == [want] * 4
    dec = OpusDecoder(rate)
    assert all(len(dec.decode(p)) == n for p in from_shared)
