"""WebRTC sessions in the native engine: two sessions on 127.0.0.1, each with ONE socket,
connect through ICE + DTLS-SRTP and carry audio both ways (RFC 7983 demultiplexing, rtcp-mux).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from media_helpers import dominant_frequency, rms, wait_until

from siperb import media
from siperb.errors import MediaError

RATE = 8000
CONNECT_S = 15.0  # bounded waits; loopback connects in tens of ms, a loaded CI box is slower


@pytest.fixture(scope="module")
def engine():
    e = media.Engine()
    yield e
    e.stop()


def webrtc_params(
    remote: media.MediaSession, *, controlling: bool, setup: str, **kw: object
) -> media.StreamParams:
    """What our SDP policy would derive from the remote's offer/answer."""
    base: dict[str, object] = dict(
        codec="PCMU", clock_rate=RATE, payload_type=0, local_payload_type=0,
        remote_address="127.0.0.1", remote_port=remote.local_port, rtcp_mux=True,
        ice_ufrag=remote.ice_ufrag, ice_pwd=remote.ice_pwd,
        ice_candidates=remote.gather_candidates(), ice_controlling=controlling,
        dtls_setup=setup, dtls_fingerprint=remote.dtls_fingerprint,
    )  # fmt: skip
    base.update(kw)
    return media.StreamParams(**base)  # type: ignore[arg-type]


def connected(*sessions: media.MediaSession) -> bool:
    return all(
        s.dtls_state == "connected" and s.ice_state in ("connected", "completed") for s in sessions
    )


def with_tones(a: media.MediaSession, b: media.MediaSession) -> tuple[object, object]:
    sink_a, sink_b = media.MemorySink(RATE, RATE * 4), media.MemorySink(RATE, RATE * 4)
    a.set_sink(sink_a)
    b.set_sink(sink_b)
    a.set_source(media.MemorySource(media.tone(440, 2, RATE), RATE, loop=True))
    b.set_source(media.MemorySource(media.tone(1000, 2, RATE), RATE, loop=True))
    return sink_a, sink_b


def assert_tone(sink: media.MemorySink, freq: float) -> None:
    assert wait_until(lambda: len(sink) >= RATE * 1.5, CONNECT_S), len(sink)
    tail = sink.samples()[-RATE:]
    assert abs(dominant_frequency(tail, RATE) - freq) < 20
    assert rms(tail) > 2000  # the 8000-amplitude tone: about 5600 RMS through G.711


ROLES = {
    # a: ICE controlling and DTLS client; b: controlled, DTLS server
    "a_client": (dict(controlling=True, setup="active"), dict(controlling=False, setup="passive")),
    # the same ICE roles, the DTLS roles swapped: the DTLS role comes from SDP, not from ICE
    "a_server": (dict(controlling=True, setup="passive"), dict(controlling=False, setup="active")),
}


@pytest.mark.parametrize("roles", sorted(ROLES))
def test_two_sessions_connect_and_carry_audio_both_ways(engine, roles):
    ra, rb = ROLES[roles]
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True)
    try:
        assert a.local_rtcp_port == 0  # one socket: no RTCP port bound
        sink_a, sink_b = with_tones(a, b)
        pa = webrtc_params(b, **ra)
        pb = webrtc_params(a, **rb)
        a.start(pa)
        b.start(pb)
        assert wait_until(lambda: connected(a, b), CONNECT_S), (
            a.ice_state,
            a.dtls_state,
            b.ice_state,
            b.dtls_state,
        )
        assert_tone(sink_b, 440)
        assert_tone(sink_a, 1000)
        sa, sb = a.stats(), b.stats()
        assert sa.srtp_keyings == 1 and sb.srtp_keyings == 1
        assert sa.srtp_auth_failures == 0 and sb.srtp_auth_failures == 0
        assert sa.stun_received > 0 and sa.dtls_received > 0
    finally:
        a.close()
        b.close()


def test_lite_remote(engine):
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True, ice_lite=True)  # a server-side lite agent
    try:
        sink_a, sink_b = with_tones(a, b)
        a.start(webrtc_params(b, controlling=True, setup="active", ice_lite=True))
        b.start(webrtc_params(a, controlling=False, setup="passive"))
        assert wait_until(lambda: connected(a, b), CONNECT_S), (
            a.ice_state,
            a.dtls_state,
            b.ice_state,
            b.dtls_state,
        )
        assert_tone(sink_b, 440)
        assert_tone(sink_a, 1000)
    finally:
        a.close()
        b.close()


def test_identity_and_host_candidate(engine):
    s = engine.session(webrtc=True)
    try:
        assert len(s.ice_ufrag) >= 4 and len(s.ice_pwd) >= 22
        alg, hexfp = s.dtls_fingerprint.split(" ")
        assert alg == "sha-256" and len(hexfp.split(":")) == 32
        cands = s.gather_candidates()
        assert any(f" 127.0.0.1 {s.local_port} typ host" in c for c in cands), cands
        assert not any(c.startswith("candidate:") for c in cands)
        assert s.ice_state == "new" and s.dtls_state == "new"
    finally:
        s.close()
    plain = engine.session()
    try:
        assert plain.ice_ufrag == "" and plain.dtls_fingerprint == ""
        with pytest.raises(MediaError):
            plain.gather_candidates()
    finally:
        plain.close()


def test_update_with_the_same_parameters_keeps_dtls(engine):
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True)
    try:
        _, sink_b = with_tones(a, b)
        pa = webrtc_params(b, controlling=True, setup="active")
        pb = webrtc_params(a, controlling=False, setup="passive")
        a.start(pa)
        b.start(pb)
        assert wait_until(lambda: connected(a, b), CONNECT_S)
        assert_tone(sink_b, 440)
        # hold and resume as re-INVITEs: same ufrag, same fingerprint and setup
        a.update(pa, direction="sendonly")
        b.update(pb, direction="recvonly")
        a.update(pa)
        b.update(pb)
        sink_b.clear()
        assert_tone(sink_b, 440)
        for s in (a, b):
            st = s.stats()
            assert st.dtls_handshakes == 1 and st.srtp_keyings == 1, s
            assert s.dtls_state == "connected"
    finally:
        a.close()
        b.close()


def test_consent_lost_when_the_far_side_goes_away(engine):
    a = engine.session(webrtc=True, consent_timeout_ms=1000)
    b = engine.session(webrtc=True, consent_timeout_ms=1000)
    a.start(webrtc_params(b, controlling=True, setup="active"))
    b.start(webrtc_params(a, controlling=False, setup="passive"))
    try:
        assert wait_until(lambda: connected(a, b), CONNECT_S)
        engine.poll_events()  # the connection's own events
        b.close()
        t0 = time.monotonic()
        lost: list[float] = []

        def got_consent_lost() -> bool:
            if any(
                e.name == "consent_lost" and e.data["session"] == a.id for e in engine.poll_events()
            ):
                lost.append(time.monotonic() - t0)
            return bool(lost)

        assert wait_until(got_consent_lost, 10.0)
        assert lost[0] < 1.0 + 2.0  # the timeout, and slack for a loaded machine
        sent = a.stats().packets_sent
        time.sleep(0.3)
        assert a.stats().packets_sent == sent  # the stream stopped sending
    finally:
        a.close()
        b.close()


def test_wrong_fingerprint_fails_dtls_and_carries_no_audio(engine):
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True)
    try:
        sink_a, sink_b = with_tones(a, b)
        fp = b.dtls_fingerprint
        bad = fp[:-2] + ("00" if fp[-2:] != "00" else "11")
        a.start(webrtc_params(b, controlling=True, setup="active", dtls_fingerprint=bad))
        b.start(webrtc_params(a, controlling=False, setup="passive"))
        events: list = []

        def failed() -> bool:
            events.extend(e for e in engine.poll_events() if e.name == "dtls_state")
            return a.dtls_state == "failed"

        assert wait_until(failed, CONNECT_S), a.dtls_state
        mine = [e.data for e in events if e.data["session"] == a.id and e.data["state"] == "failed"]
        assert mine and "fingerprint" in mine[0]["reason"]
        time.sleep(0.5)
        assert a.stats().packets_received == 0 and b.stats().packets_received == 0
        assert rms(sink_b.samples()) == 0 and rms(sink_a.samples()) == 0
    finally:
        a.close()
        b.close()


def test_client_hello_before_start_is_kept_and_connects(engine):
    # a offered (setup actpass); b answered active and is faster than the SIP answer: its
    # ClientHello reaches a before a.start() knows b's fingerprint.
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True)
    try:
        sink_a, sink_b = with_tones(a, b)
        b.start(webrtc_params(a, controlling=False, setup="active"))
        assert wait_until(lambda: a.stats().dtls_received > 0, CONNECT_S)
        assert a.dtls_state == "new"
        a.start(webrtc_params(b, controlling=True, setup="passive"))
        assert wait_until(lambda: connected(a, b), CONNECT_S), (a.dtls_state, b.dtls_state)
        assert a.stats().early_dtls_dropped == 0
        assert_tone(sink_a, 1000)
        assert_tone(sink_b, 440)
    finally:
        a.close()
        b.close()


def test_datagrams_outside_rfc7983_ranges_and_garbage_are_dropped(engine):
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        a.start(webrtc_params(b, controlling=True, setup="active"))
        # first byte 4..19, 80..127, 192..255: no protocol of RFC 7983
        for first in (4, 19, 100, 200, 255):
            sock.sendto(bytes([first]) + b"\x00" * 40, ("127.0.0.1", a.local_port))
        # forged STUN, DTLS garbage, RTP from a stranger: handled, counted, never a crash
        sock.sendto(b"\x00\x01\x00\x00\x21\x12\xa4\x42" + b"\x00" * 12, ("127.0.0.1", a.local_port))
        sock.sendto(b"\x16\xfe\xfd" + b"\xff" * 60, ("127.0.0.1", a.local_port))
        sock.sendto(b"\x80\x00\x00\x01" + b"\x00" * 40, ("127.0.0.1", a.local_port))
        assert wait_until(lambda: a.stats().demux_dropped >= 5 and a.stats().foreign_source >= 1)
        b.start(webrtc_params(a, controlling=False, setup="passive"))
        assert wait_until(lambda: connected(a, b), CONNECT_S)
    finally:
        sock.close()
        a.close()
        b.close()


def test_bad_webrtc_parameters_are_refused_with_the_field(engine):
    a = engine.session(webrtc=True)
    b = engine.session(webrtc=True)
    try:
        with pytest.raises(MediaError, match="dtls_setup"):
            a.start(webrtc_params(b, controlling=True, setup="actpass"))
        with pytest.raises(MediaError, match="dtls_fingerprint"):
            a.start(
                webrtc_params(b, controlling=True, setup="active", dtls_fingerprint="sha-256 XY")
            )
        with pytest.raises(MediaError, match="ice_ufrag"):
            a.start(webrtc_params(b, controlling=True, setup="active", ice_ufrag=""))
        assert not a.started
    finally:
        a.close()
        b.close()


class PyLiteAgent:
    """A lite ICE agent in Python over aioice's STUN codec: answers Binding requests made with
    its password on its own socket (a far end that never does DTLS)."""

    def __init__(self, ufrag: str, pwd: str) -> None:
        self.stun = pytest.importorskip("aioice.stun")
        self.ufrag, self.pwd = ufrag, pwd
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def candidate(self) -> str:
        return f"1 1 udp 2130706431 127.0.0.1 {self.port} typ host"

    def _run(self) -> None:
        stun = self.stun
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except (TimeoutError, OSError):
                continue
            if data[0] > 3:
                continue
            try:
                req = stun.parse_message(data)
            except ValueError:
                continue
            if not req.check_message_integrity(self.pwd.encode()):
                continue  # not for our password: no answer, as a real agent would do
            resp = stun.Message(
                message_method=req.message_method,
                message_class=stun.Class.RESPONSE,
                transaction_id=req.transaction_id,
            )
            resp.attributes["XOR-MAPPED-ADDRESS"] = addr
            resp.add_message_integrity(self.pwd.encode())
            resp.add_fingerprint()
            self.sock.sendto(bytes(resp), addr)
            self.answered += 1

    def params(self, **kw: object) -> media.StreamParams:
        base: dict[str, object] = dict(
            codec="PCMU", ice_ufrag=self.ufrag, ice_pwd=self.pwd, ice_lite=True,
            ice_controlling=True, ice_candidates=[self.candidate()], dtls_setup="passive",
            dtls_fingerprint="sha-256 " + ":".join(["AB"] * 32),
        )  # fmt: skip
        base.update(kw)
        return media.StreamParams(**base)  # type: ignore[arg-type]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def ice_up(s: media.MediaSession) -> bool:
    return s.ice_state in ("connected", "completed")


def test_srtp_before_keys_is_dropped_quietly(engine):
    """The far end answers ICE but never does DTLS: its SRTP reaches the selected pair and is
    dropped and counted, never played; and nothing goes out in the clear."""
    peer = PyLiteAgent("pyli", "python-lite-agent-password")
    a = engine.session(webrtc=True)
    try:
        sink = media.MemorySink(RATE, RATE)
        a.set_sink(sink)
        a.set_source(media.MemorySource(media.tone(440, 1, RATE), RATE, loop=True))
        a.start(peer.params())
        assert wait_until(lambda: ice_up(a), CONNECT_S), a.ice_state
        for seq in range(20):
            rtp = bytes([0x80, 0]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big")
            peer.sock.sendto(rtp + b"\x12\x34\x56\x78" + b"\xff" * 160, ("127.0.0.1", a.local_port))
        assert wait_until(lambda: a.stats().srtp_before_keys >= 20)
        assert a.stats().packets_received == 0 and rms(sink.samples()) == 0
        assert a.stats().packets_sent == 0  # no keys: nothing is sent in the clear
    finally:
        a.close()
        peer.close()


def test_ice_restart_moves_to_the_new_remote(engine):
    first = PyLiteAgent("one1", "first-lite-agent-password")
    second = PyLiteAgent("two2", "second-lite-agent-password")
    a = engine.session(webrtc=True)
    try:
        a.start(first.params())
        assert wait_until(lambda: ice_up(a), CONNECT_S), a.ice_state
        pairs: list[int] = []

        def selected(port: int) -> bool:
            for e in engine.poll_events():
                if e.name == "selected_pair" and e.data["session"] == a.id:
                    pairs.append(e.data["port"])
            return port in pairs

        assert wait_until(lambda: selected(first.port))
        a.update(second.params())  # a new remote ufrag: an ICE restart
        assert wait_until(lambda: selected(second.port), CONNECT_S), pairs
        assert ice_up(a) and second.answered > 0
        assert a.stats().dtls_handshakes == 1  # the same fingerprint: DTLS is not restarted
    finally:
        a.close()
        first.close()
        second.close()


def test_session_config_never_shows_the_turn_password():
    cfg = media.SessionConfig(webrtc=True, turn_password="s3cret")
    assert "s3cret" not in repr(cfg)
