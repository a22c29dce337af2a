"""The media engine end to end: two sessions talking over loopback, through a lossy relay."""

from __future__ import annotations

import asyncio
import itertools
import socket
import wave

import numpy as np
import pytest
from media_helpers import UdpRelay, best_lag, closed_udp_port, dominant_frequency, rms, wait_until

from siperb import audio, media, sdp
from siperb.errors import MediaError
from siperb.media.codecs import g711
from siperb.media.codecs.signals import speech_like


@pytest.fixture(scope="module")
def engine():
    e = media.Engine()
    yield e
    e.stop()


def params(codec: str, port: int, **kw) -> media.StreamParams:
    pt = {"PCMU": 0, "PCMA": 8, "opus": 111}.get(codec, 96)
    rate = 48000 if codec == "opus" else 8000
    base = dict(
        codec=codec, clock_rate=rate, payload_type=pt, local_payload_type=pt,
        telephone_event_pt=101, remote_address="127.0.0.1", remote_port=port,
    )  # fmt: skip
    base.update(kw)
    return media.StreamParams(**base)


def pair(engine, codec="PCMU", cfg_a=None, cfg_b=None, pa=None, pb=None, via=None):
    """Sessions a and b; a sends to `via(b.local_port)` if given (a relay), else to b."""
    a = engine.session(cfg_a or media.SessionConfig())
    b = engine.session(cfg_b or media.SessionConfig())
    target = via(b.local_port) if via else b.local_port
    a.start(params(codec, target, **(pa or {})))
    b.start(params(codec, a.local_port, **(pb or {})))
    return a, b


@pytest.mark.parametrize("codec,law", [("PCMU", "ulaw"), ("PCMA", "alaw")])
def test_g711_round_trip_is_sample_exact(engine, codec, law):
    signal = speech_like(1.5, 8000, seed=3)
    encode = getattr(g711, f"{law}_encode")
    decode = getattr(g711, f"{law}_decode")
    expected = decode(encode(signal))
    cfg = media.SessionConfig(time_stretch=False)
    a = engine.session(cfg)
    b = engine.session(cfg)
    sink = media.MemorySink(8000, 8000 * 4)
    b.set_sink(sink)
    b.start(params(codec, a.local_port, direction="recvonly"))
    a.set_source(media.MemorySource(signal, 8000))
    a.start(params(codec, b.local_port, direction="sendonly"))
    assert wait_until(lambda: a.stats().packets_sent >= 80 and len(sink) > 8000 * 2.2)
    a.close()
    b.close()
    got = sink.samples()
    lag = best_lag(expected[:4000], got, 4000)
    segment = got[lag : lag + len(expected)]
    stats = b.stats()
    assert stats.frames_concealed == 0 and stats.packets_lost == 0
    np.testing.assert_array_equal(segment[: len(expected) - 160], expected[: len(expected) - 160])


@pytest.mark.parametrize("codec", ["PCMU", "PCMA", "opus"])
def test_tone_arrives_with_its_frequency(engine, codec):
    rate = 48000 if codec == "opus" else 8000
    a, b = pair(engine, codec)
    sink = media.MemorySink(rate, rate * 3)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(1000, 3, rate), rate, loop=True))
    assert wait_until(lambda: len(sink) >= rate * 1.5)
    got = sink.samples()[rate // 2 :]
    assert abs(dominant_frequency(got, rate) - 1000) < 10
    assert rms(got) > 3000
    s = b.stats()
    assert s.codec == codec and s.packets_received > 0 and s.mos > 4.0
    a.close()
    b.close()


def test_session_from_offer_answer(engine):
    a = engine.session()
    b = engine.session()
    caps_a = sdp.Capabilities(codecs=[sdp.Codec.opus(), sdp.Codec.pcmu()], port=a.local_port)
    caps_b = sdp.Capabilities(codecs=[sdp.Codec.pcmu()], port=b.local_port)
    offer = sdp.create_offer(caps_a)
    answer = sdp.create_answer(offer, caps_b)
    a.start(sdp.negotiate(offer, answer, local_is_offerer=True))
    b.start(media.stream_params(sdp.negotiate(offer, answer, local_is_offerer=False), remote=offer))
    assert wait_until(lambda: b.stats().packets_received > 10 and a.stats().packets_received > 10)
    assert a.stats().codec == "PCMU"
    a.close()
    b.close()


@pytest.mark.parametrize(
    "suite", ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"]
)
def test_srtp_round_trip(engine, suite):
    ka, kb = media.random_srtp_key(suite), media.random_srtp_key(suite)
    srtp_a = dict(srtp_suite=suite, srtp_local_key=ka, srtp_remote_key=kb)
    srtp_b = dict(srtp_suite=suite, srtp_local_key=kb, srtp_remote_key=ka)
    a, b = pair(engine, "PCMU", pa=srtp_a, pb=srtp_b)
    sink = media.MemorySink(8000, 8000 * 2)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(440, 2), 8000, loop=True))
    assert wait_until(lambda: len(sink) >= 8000)
    assert abs(dominant_frequency(sink.samples()[2000:], 8000) - 440) < 10
    s = b.stats()
    assert s.srtp_auth_failures == 0 and s.srtp_replays == 0
    a.close()
    b.close()


def test_srtp_wrong_key_plays_nothing(engine):
    suite = "AES_CM_128_HMAC_SHA1_80"
    ka, kb, wrong = (media.random_srtp_key(suite) for _ in range(3))
    a, b = pair(
        engine,
        pa=dict(srtp_suite=suite, srtp_local_key=ka, srtp_remote_key=kb),
        pb=dict(srtp_suite=suite, srtp_local_key=kb, srtp_remote_key=wrong),
    )
    sink = media.MemorySink(8000, 8000 * 2)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(440, 2), 8000, loop=True))
    assert wait_until(lambda: b.stats().srtp_auth_failures > 20)
    assert b.stats().packets_received == 0 and rms(sink.samples()) == 0
    a.close()
    b.close()


def test_srtp_replay_and_forgery_dropped_and_counted(engine):
    suite = "AES_CM_128_HMAC_SHA1_80"
    ka, kb = media.random_srtp_key(suite), media.random_srtp_key(suite)
    relay = None

    def via(port):
        nonlocal relay
        relay = UdpRelay(("127.0.0.1", port), replay=0.3, tamper=0.3, seed=7)
        return relay.port

    a, b = pair(
        engine,
        pa=dict(srtp_suite=suite, srtp_local_key=ka, srtp_remote_key=kb),
        pb=dict(srtp_suite=suite, srtp_local_key=kb, srtp_remote_key=ka),
        via=via,
    )
    assert wait_until(lambda: relay.replayed > 5 and relay.tampered > 5)
    assert wait_until(lambda: b.stats().srtp_replays >= relay.replayed)
    s = b.stats()
    a.close()
    b.close()
    relay.close()
    assert s.srtp_auth_failures >= 1
    # Only the genuine packets count as received; replays and forgeries never reach the buffer.
    assert s.packets_received <= a.stats().packets_sent
    assert s.jb_duplicated == 0


def test_loss_and_reordering_are_concealed(engine):
    relay = None

    def via(port):
        nonlocal relay
        relay = UdpRelay(("127.0.0.1", port), drop=0.1, reorder=0.1, seed=42)
        return relay.port

    a, b = pair(engine, "PCMU", via=via)
    sink = media.MemorySink(8000, 8000 * 4)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(500, 4), 8000, loop=True))
    assert wait_until(lambda: b.stats().frames_concealed >= 5 and len(sink) > 8000 * 2)
    s = b.stats()
    a.close()
    b.close()
    relay.close()
    assert relay.dropped > 0 and relay.reordered > 0
    assert s.packets_lost > 0 and s.loss_percent > 0 and s.mos < 4.4
    got = sink.samples()[4000:]
    assert abs(dominant_frequency(got, 8000) - 500) < 10


def test_mute_sends_silence_and_keeps_rtp(engine):
    a, b = pair(engine)
    sink = media.MemorySink(8000, 8000 * 4)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(700, 4), 8000, loop=True))
    assert wait_until(lambda: len(sink) > 8000)
    a.mute()
    assert a.muted
    sink.clear()
    before = b.stats().packets_received
    assert wait_until(lambda: len(sink) > 8000)
    assert b.stats().packets_received > before + 20
    assert rms(sink.samples()[2000:]) < 50  # after the jitter buffer's tail of tone
    a.unmute()
    a.close()
    b.close()


def test_levels_meter_what_is_sent_and_played(engine):
    a, b = pair(engine)
    sink = media.MemorySink(8000, 8000 * 4)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(700, 4), 8000, loop=True))  # amplitude 8000
    assert wait_until(lambda: len(sink) > 8000)
    expected = 20 * np.log10(8000 / np.sqrt(2) / 32768)  # a sine's RMS: -15.3 dBFS
    assert abs(a.stats().tx_level_dbfs - expected) < 1.0
    assert abs(b.stats().rx_level_dbfs - expected) < 3.0  # after G.711 and the jitter buffer
    assert b.stats().tx_level_dbfs == -100.0  # b has no source: digital silence
    a.close()
    b.close()


def test_hold_stops_sending(engine):
    a, b = pair(engine)
    assert wait_until(lambda: b.stats().packets_received > 10)
    a.set_direction("recvonly")
    sent = a.stats().packets_sent
    assert wait_until(lambda: a.stats().ticks > 30 + a.stats().ticks // 2)
    assert a.stats().packets_sent <= sent + 1
    assert a.stats().packets_received > 0
    a.set_direction(sdp.Direction.SENDRECV)
    assert wait_until(lambda: a.stats().packets_sent > sent + 10)
    a.close()
    b.close()


def test_dtmf_events_on_the_loop(engine):
    async def run():
        a, b = pair(engine)
        events = b.events("dtmf")
        a.send_dtmf("159#", duration_ms=80, volume=12)
        digits = []
        for _ in range(4):
            ev = await events.get(timeout=5)
            digits.append(ev["digit"])
            assert ev["duration"] >= 80 and ev["volume"] == 12 and ev["ended"]
        a.close()
        b.close()
        return digits

    assert asyncio.run(run()) == list("159#")


def test_dtmf_rejects_bad_digits(engine):
    a = engine.session()
    with pytest.raises(MediaError) as e:
        a.send_dtmf("12x")
    assert e.value.field == "digits"
    a.close()


def read_wav(path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return w.getnchannels(), w.getframerate(), data.reshape(-1, w.getnchannels())


def assert_nothing_lost(session, rec) -> None:
    st = rec.stats
    assert st["dropped_frames"] == 0 and st["dropped_samples"] == 0 and st["padded_samples"] == 0
    assert session.stats().recorder_dropped == 0


def test_recording_has_both_directions(engine, tmp_path):
    a, b = pair(engine)
    a.set_source(media.MemorySource(media.tone(400, 4), 8000, loop=True))
    b.set_source(media.MemorySource(media.tone(1200, 4), 8000, loop=True))
    path = tmp_path / "call.wav"
    rec = a.start_recording(path, sample_rate=16000)
    assert isinstance(rec, audio.CallRecorder) and rec.stereo and rec.stats["recording"]
    assert wait_until(lambda: a.stats().ticks > 100)
    assert a.stop_recording() is rec and not rec.stats["recording"]
    assert a.stop_recording() is None
    assert_nothing_lost(a, rec)
    a.close()
    b.close()
    channels, rate, data = read_wav(path)
    assert (channels, rate) == (2, 16000) and len(data) == rec.stats["frames_written"] > 16000
    sent, received = data[8000:, 0], data[8000:, 1]
    assert abs(dominant_frequency(sent, 16000) - 400) < 10
    assert abs(dominant_frequency(received, 16000) - 1200) < 10


def test_recording_mixed_is_one_channel_with_both_directions(engine, tmp_path):
    a, b = pair(engine)
    a.set_source(media.MemorySource(media.tone(400, 4), 8000, loop=True))
    b.set_source(media.MemorySource(media.tone(1200, 4), 8000, loop=True))
    path = tmp_path / "mixed.wav"
    rec = a.start_recording(path, sample_rate=16000, layout="mixed")
    assert not rec.stereo
    assert wait_until(lambda: a.stats().ticks > 100)
    a.stop_recording()
    assert_nothing_lost(a, rec)
    a.close()
    b.close()
    channels, rate, data = read_wav(path)
    assert (channels, rate) == (1, 16000) and len(data) > 16000
    x = data[8000:, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / 16000)

    def band(f):
        return spectrum[np.abs(freqs - f) < 20].max()

    assert band(400) > 0.5 * band(1200) and band(1200) > 0.5 * band(400)
    assert band(800) < 0.05 * band(400)  # nothing but the two tones
    with pytest.raises(ValueError):
        a.start_recording(tmp_path / "x.wav", layout="quad")


def test_recording_is_gapless_and_aligned(engine, tmp_path):
    """At the codec rate nothing is resampled: the left channel is exactly what a sent and
    the right exactly what b sent through G.711, each a contiguous run: no frame lost."""
    cfg = media.SessionConfig(time_stretch=False)
    sig_a = speech_like(6, 8000, seed=11)
    sig_b = speech_like(6, 8000, seed=12)
    a, b = pair(engine, cfg_a=cfg, cfg_b=cfg)
    a.set_source(media.MemorySource(sig_a, 8000))
    b.set_source(media.MemorySource(sig_b, 8000))
    assert wait_until(lambda: a.stats().frames_played > 25)  # mid-call
    path = tmp_path / "exact.wav"
    rec = a.start_recording(path, sample_rate=8000)
    assert wait_until(lambda: rec.stats["frames_written"] > 8000 * 2)
    a.stop_recording()
    assert_nothing_lost(a, rec)
    concealed = a.stats().frames_concealed
    a.close()
    b.close()
    _, _, data = read_wav(path)
    sent, received = data[:, 0], data[:, 1]
    start = best_lag(sent[:800], sig_a, len(sig_a) - len(sent))
    np.testing.assert_array_equal(sent, sig_a[start : start + len(sent)])
    if concealed == 0:  # a late packet would be concealed, not the codec's output
        expected = g711.ulaw_decode(g711.ulaw_encode(sig_b))
        start = best_lag(received[:800], expected, len(expected) - len(received))
        np.testing.assert_array_equal(received, expected[start : start + len(received)])


def test_recording_starts_and_stops_at_any_time(engine, tmp_path):
    a = engine.session()
    b = engine.session()
    first = a.start_recording(tmp_path / "1.wav")  # before the call starts
    a.start(params("PCMU", b.local_port))
    b.start(params("PCMU", a.local_port))
    a.set_source(media.MemorySource(media.tone(400, 4), 8000, loop=True))
    assert wait_until(lambda: first.stats["frames_written"] > 8000)
    a.stop_recording()
    # Again into another file with a recorder of our own, then replaced while it records.
    second = audio.CallRecorder(tmp_path / "2.wav", stereo=False, sample_rate=8000)
    assert a.start_recording(second) is second and second.stats["recording"]
    assert wait_until(lambda: second.stats["frames_written"] > 4000)
    third = a.start_recording(tmp_path / "3.wav")
    assert not second.stats["recording"] and third.stats["recording"]
    assert wait_until(lambda: third.stats["frames_written"] > 8000)
    # The same recorder once more (it restarts into its file), then the call ends under it.
    second.start(tmp_path / "4.wav")
    a.start_recording(second)
    assert not third.stats["recording"]
    before = second.stats["frames_written"]  # counts this and earlier recordings
    assert wait_until(lambda: second.stats["frames_written"] > before + 4000)
    a.close()
    b.close()
    assert not second.stats["recording"]
    files = [("1", first, 2), ("2", second, 1), ("3", third, 2), ("4", second, 1)]
    for name, rec, channels in files:
        got_channels, _, data = read_wav(tmp_path / f"{name}.wav")
        assert got_channels == channels and len(data) > 4000, name
        assert abs(dominant_frequency(data[:, 0], rec.sample_rate) - 400) < 10, name
    for rec in (first, second, third):
        assert_nothing_lost(a, rec)


def test_codec_change_mid_call(engine):
    a, b = pair(engine, "PCMU")
    sink = media.MemorySink(8000, 8000 * 6)
    b.set_sink(sink)
    a.set_source(media.MemorySource(media.tone(600, 6, 8000), 8000, loop=True))
    assert wait_until(lambda: b.stats().frames_played > 25)
    a.update(params("opus", b.local_port))
    b.update(params("opus", a.local_port))
    assert wait_until(lambda: b.stats().codec == "opus" and b.stats().packets_received > 100)
    sink.clear()
    assert wait_until(lambda: len(sink) > 8000)
    got = sink.samples()
    assert abs(dominant_frequency(got, 8000) - 600) < 10
    assert a.stats().ssrc == a.ssrc  # same SSRC across the change
    a.close()
    b.close()


def test_ipv6_loopback(engine):
    cfg = media.SessionConfig(local_address="::1")
    a, b = pair(
        engine, cfg_a=cfg, cfg_b=cfg, pa=dict(remote_address="::1"), pb=dict(remote_address="::1")
    )
    assert wait_until(lambda: b.stats().packets_received > 10 and a.stats().packets_received > 10)
    a.close()
    b.close()


def test_symmetric_rtp_learns_the_remote(engine):
    cfg = media.SessionConfig(symmetric_rtp=True)
    a = engine.session()
    b = engine.session(cfg)
    b.start(params("PCMU", 9, remote_address="127.0.0.1"))  # wrong port: learnt from a's RTP
    a.start(params("PCMU", b.local_port))
    assert wait_until(lambda: a.stats().packets_received > 10)
    assert b.stats().packets_received > 0
    events = [e for e in engine.poll_events() if e.name == "remote_address_changed"]
    assert any(e["port"] == a.local_port for e in events)
    a.close()
    b.close()


def test_icmp_unreachable_becomes_an_event(engine):
    port = closed_udp_port()
    a = engine.session()
    a.start(params("PCMU", port))
    assert wait_until(lambda: a.stats().icmp_errors > 0)
    assert wait_until(lambda: any(e.name == "icmp_error" for e in engine.poll_events()))
    a.close()


def test_timeout_and_stats_events(engine):
    a = engine.session(media.SessionConfig(rtp_timeout_ms=200, stats_interval_ms=100))
    a.start(params("PCMU", 9))
    names: set[str] = set()
    assert wait_until(
        lambda: names.update(e.name for e in engine.poll_events()) or {"timeout", "stats"} <= names
    )
    a.close()


def test_rtcp_reports_give_rtt_and_bye(engine):
    cfg = media.SessionConfig(rtcp_interval_ms=200)
    a, b = pair(engine, cfg_a=cfg, cfg_b=cfg)
    assert wait_until(lambda: a.stats().rtt_ms >= 0 and a.stats().rtcp_received > 2)
    assert a.stats().rtt_ms < 1000
    a.close()
    assert wait_until(lambda: any(e.name == "rtcp_bye" for e in engine.poll_events()))
    b.close()


def test_bad_parameters_name_the_field(engine):
    a = engine.session()
    with pytest.raises(MediaError) as e:
        a.start(params("G729", 1000))
    assert e.value.field == "codec"
    with pytest.raises(MediaError) as e:
        a.start(params("PCMU", 1000, ptime=25))
    assert e.value.field == "ptime"
    with pytest.raises(MediaError) as e:
        a.start(
            params("PCMU", 1000, srtp_suite="AES_CM_128_HMAC_SHA1_80", srtp_local_key="inline:xx")
        )
    assert e.value.field == "crypto"
    with pytest.raises(MediaError) as e:
        a.set_remote("not-an-ip", 5)
    assert e.value.field == "remote_address"
    a.close()
    with pytest.raises(MediaError):
        a.set_source(None)


def test_stopped_engine_refuses_new_sessions():
    e = media.Engine()
    s = e.session()
    s.start(params("PCMU", 9))
    e.stop()
    assert s.closed
    with pytest.raises(MediaError):
        e.session()


def _rtp(pt: int, seq: int, ts: int, payload: bytes, ssrc: int = 0x5EED) -> bytes:
    header = bytes([0x80, pt]) + seq.to_bytes(2, "big") + ts.to_bytes(4, "big")
    return header + ssrc.to_bytes(4, "big") + payload


def _send_paced(sock, port: int, packets: list[bytes], interval: float = 0.02) -> None:
    """Sends on an absolute 20 ms grid (what a well-behaved peer does)."""
    import time

    start = time.monotonic()
    for i, pkt in enumerate(packets):
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sock.sendto(pkt, ("127.0.0.1", port))


def test_stereo_opus_is_received_and_downmixed(engine):
    # RFC 7587: a receiver must decode stereo whatever it asked for; a mono sink hears both
    # channels (left 440 Hz, right 1 kHz).
    from siperb.media.codecs.opus import OpusEncoder

    b = engine.session()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    b.start(params("opus", sender.getsockname()[1], opus_stereo=True))
    sink = media.MemorySink(48000, 48000 * 3)
    b.set_sink(sink)
    enc = OpusEncoder(48000, 2, bitrate=64000)
    t = np.arange(48000 * 2) / 48000
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 1000 * t)], axis=1)
    pcm = (stereo * 8000).astype(np.int16)
    packets = [
        _rtp(111, i, i * 960, enc.encode(np.ascontiguousarray(pcm[i * 960 : (i + 1) * 960])))
        for i in range(100)
    ]
    _send_paced(sender, b.local_port, packets)
    assert wait_until(lambda: len(sink) >= 48000 * 1.5)
    sender.close()
    got = sink.samples()[48000 // 2 : 48000 * 3 // 2].astype(float)
    spectrum = np.abs(np.fft.rfft(got * np.hanning(len(got))))
    freqs = np.fft.rfftfreq(len(got), 1 / 48000)
    peak = spectrum.max()
    for f in (440, 1000):
        band = (freqs > f - 15) & (freqs < f + 15)
        assert spectrum[band].max() > 0.3 * peak, f"{f} Hz missing from the downmix"
    assert b.stats().frames_concealed == 0
    b.close()


def test_jitter_is_measured_at_arrival_not_at_the_read(engine):
    # RTP is read at packet-time ticks; the kernel's receive timestamps keep the RFC 3550
    # jitter of a perfectly paced sender near zero, and a sender jittering by 0-10 ms shows.
    def run(offsets_ms: list[float]) -> float:
        b = engine.session()
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind(("127.0.0.1", 0))
        b.start(params("PCMU", sender.getsockname()[1]))
        import time

        start = time.monotonic() + 0.02
        payload = bytes(160)
        for i, off in enumerate(offsets_ms):
            delay = start + i * 0.02 + off / 1000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sender.sendto(_rtp(0, i, i * 160, payload), ("127.0.0.1", b.local_port))
        assert wait_until(lambda: b.stats().packets_received == len(offsets_ms))
        time.sleep(0.05)
        jitter = b.stats().jitter_ms
        sender.close()
        b.close()
        return jitter

    rng = np.random.default_rng(7)
    paced = run([0.0] * 60)
    jittery = run(list(rng.uniform(0, 10, 60)))
    assert paced < 1.0, paced
    assert jittery > 2.0 and jittery > 3 * paced, (paced, jittery)


def _may_use_fifo() -> bool:
    """Whether this process may ask for SCHED_FIFO (root, CAP_SYS_NICE or an rtprio limit)."""
    import os
    import threading

    result: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            result.append(True)
        except PermissionError:
            result.append(False)

    # A thread of its own: on Linux sched_setscheduler(0) changes the calling thread only.
    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return result[0]


def test_realtime_priority_is_applied_when_permitted():
    e = media.Engine(threads=2, realtime_priority=10)
    try:
        assert e.stats()["realtime_threads"] == (2 if _may_use_fifo() else 0)
        a, b = pair(e)  # the threads still run sessions
        assert wait_until(lambda: b.stats().packets_received > 5)
        a.close()
        b.close()
    finally:
        e.stop()
    normal = media.Engine()
    assert normal.stats()["realtime_threads"] == 0
    normal.stop()


def test_realtime_priority_out_of_range_names_the_field():
    with pytest.raises(MediaError) as err:
        media.Engine(realtime_priority=100)
    assert err.value.field == "realtime_priority"


def test_default_engine_settings_apply_before_first_use_only():
    saved_default, saved_settings = media.Engine._default, dict(media.Engine._default_settings)
    try:
        media.Engine._default = None
        media.Engine.configure_default(threads=2)
        e = media.Engine.default()
        assert e.stats()["threads"] == 2 and e is media.Engine.default()
        a = e.session()
        a.close()
        with pytest.raises(MediaError) as err:
            media.Engine.configure_default(threads=1)
        assert err.value.field == "engine"
        e.stop()
        with pytest.raises(MediaError) as err:
            media.Engine.configure_default(threads=0)
        assert err.value.field == "threads"
    finally:
        media.Engine._default, media.Engine._default_settings = saved_default, saved_settings


def test_cheap_sessions_share_wakeups():
    # G.711 sessions are packed into shared phase bins and RTP is read at ticks: one engine
    # thread carrying 20 calls wakes a few times per packet time, not once per datagram.
    import time

    e = media.Engine(threads=1)
    try:
        calls = [pair(e) for _ in range(20)]
        assert wait_until(lambda: all(b.stats().packets_received > 10 for _, b in calls))
        before = e.stats()
        time.sleep(1.0)
        after = e.stats()
        datagrams = after["datagrams"] - before["datagrams"]
        wakeups = after["wakeups"] - before["wakeups"]
        assert datagrams > 40 * 50 * 0.8  # 40 sessions x 50 packets a second
        assert wakeups < datagrams / 10, (wakeups, datagrams)
        for a, b in calls:
            a.close()
            b.close()
    finally:
        e.stop()


@pytest.mark.parametrize("codec", ["PCMU", "opus"])
def test_send_clock_follows_the_negotiated_ptime_without_drift(engine, codec):
    # One session per packet time, each sending to a plain socket: timestamps step by exactly
    # one packet time, and arrival times over ~1.5 s fit the nominal period (no drift).
    import time

    ptimes = (10, 20, 30, 40, 60) if codec == "PCMU" else (10, 20, 40, 60)
    rate = 8000 if codec == "PCMU" else 48000
    runs = []
    for ptime in ptimes:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        s = engine.session()
        s.start(params(codec, sock.getsockname()[1], ptime=ptime))
        runs.append((ptime, sock, s, []))
    deadline = time.monotonic() + 1.6
    while time.monotonic() < deadline:
        for _, sock, _, got in runs:
            while True:
                try:
                    data = sock.recv(2048)
                except BlockingIOError:
                    break
                seq, ts = int.from_bytes(data[2:4], "big"), int.from_bytes(data[4:8], "big")
                got.append((time.monotonic(), seq, ts))
        time.sleep(0.002)
    for ptime, sock, s, got in runs:
        s.close()
        sock.close()
        assert len(got) >= 1400 // ptime, (ptime, len(got))
        seqs = [g[1] for g in got]
        stamps = [g[2] for g in got]
        assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs)), ptime
        step = rate * ptime // 1000
        assert all((b - a) % 2**32 == step for a, b in itertools.pairwise(stamps)), ptime
        # Arrival time against packet index: the slope is the period; jitter averages out.
        t = np.array([g[0] for g in got])
        slope = np.polyfit(np.arange(len(t)), t, 1)[0]
        assert abs(slope * 1000 - ptime) < 0.005 * ptime, (ptime, slope)
