"""Smoke tests of the real-peer harness: each peer starts, answers, and does its one job.

These guard the fixtures every SIP integration test builds on, so a broken peer setup shows
up here with the peer's own log instead of as a mysterious failure elsewhere.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from peers.audio import dominant_frequency, write_tone_wav
from peers.baresip import (
    CALL_CLOSED,
    CALL_DTMF_START,
    CALL_ESTABLISHED,
    CALL_INCOMING,
    CALL_RTPESTAB,
    TRANSFER,
    Baresip,
)
from peers.kamailio import DOMAIN, REALM, Kamailio, options_ping
from peers.procs import PeerError
from peers.pulse import PulseAudio
from peers.rawsip import RawSipClient, header, new_branch, new_tag, status_code
from peers.sipp import UAC_CALL, UAC_REGISTER_401, UAS_ANSWER, UAS_BUSY, Sipp

pytestmark = pytest.mark.integration

TONE_HZ = 1000.0


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest_header(challenge: str, method: str, uri: str, user: str, password: str) -> str:
    """RFC 2617/8760 MD5 digest answer to a WWW-/Proxy-Authenticate value (qop auth or none)."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.removeprefix("Digest ")))
    ha1 = md5(f"{user}:{params['realm']}:{password}")
    ha2 = md5(f"{method}:{uri}")
    fields = {"username": user, "realm": params["realm"], "nonce": params["nonce"], "uri": uri}
    qop = params.get("qop", "")
    if "auth" in qop.split(","):
        cnonce, nc = uuid.uuid4().hex[:8], "00000001"
        response = md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        fields |= {"cnonce": cnonce, "nc": nc, "qop": "auth"}
    else:
        response = md5(f"{ha1}:{params['nonce']}:{ha2}")
    fields["response"] = response
    if "opaque" in params:
        fields["opaque"] = params["opaque"]
    fields["algorithm"] = "MD5"
    unquoted = {"nc", "qop", "algorithm"}
    return "Digest " + ", ".join(
        f"{k}={v}" if k in unquoted else f'{k}="{v}"' for k, v in fields.items()
    )


def register_text(
    client: RawSipClient, user: str, call_id: str, cseq: int, authorization: str = ""
) -> str:
    lhost, lport = client.local
    if client.transport in ("ws", "wss"):
        lhost, lport = f"{uuid.uuid4().hex[:12]}.invalid", 0  # what browsers send
    host = f"[{lhost}]" if ":" in lhost else lhost
    sent_by = host if lport == 0 else f"{host}:{lport}"
    auth = f"Authorization: {authorization}\n" if authorization else ""
    return (
        f"REGISTER sip:{DOMAIN} SIP/2.0\n"
        f"Via: SIP/2.0/{client.via_transport} {sent_by};branch={new_branch()};rport\n"
        "Max-Forwards: 70\n"
        f"From: <sip:{user}@{DOMAIN}>;tag={new_tag()}\n"
        f"To: <sip:{user}@{DOMAIN}>\n"
        f"Call-ID: {call_id}\n"
        f"CSeq: {cseq} REGISTER\n"
        f"Contact: <sip:{user}@{sent_by};transport={client.transport}>\n"
        "Expires: 60\n"
        f"{auth}"
        "Content-Length: 0\n\n"
    )


def register(client: RawSipClient, kam: Kamailio, user: str) -> tuple[str, str]:
    """REGISTER without, then with credentials; returns (challenge response, final response)."""
    call_id = uuid.uuid4().hex
    client.send(register_text(client, user, call_id, 1))
    challenge = client.recv_response("REGISTER")
    www = header(challenge, "WWW-Authenticate")
    auth = digest_header(www, "REGISTER", f"sip:{DOMAIN}", user, kam.accounts[user])
    client.send(register_text(client, user, call_id, 2, auth))
    return challenge, client.recv_response("REGISTER")


def _endpoint(kam: Kamailio, transport: str) -> int:
    return {"udp": kam.ports.sip, "tcp": kam.ports.sip, "tls": kam.ports.tls,
            "ws": kam.ports.ws, "wss": kam.ports.wss}[transport]  # fmt: skip


@pytest.mark.timeout(10)
@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_kamailio_answers_options(kamailio: Kamailio, host: str) -> None:
    assert options_ping(host, kamailio.ports.sip) == "SIP/2.0 200 OK"


@pytest.mark.timeout(15)
@pytest.mark.parametrize(
    ("transport", "host"),
    [(t, h) for h in ("127.0.0.1", "::1") for t in ("udp", "tcp", "tls", "ws", "wss")],
)  # fmt: skip
def test_kamailio_register_digest(kamailio: Kamailio, transport: str, host: str) -> None:
    with RawSipClient(transport, host, _endpoint(kamailio, transport)) as client:
        challenge, final = register(client, kamailio, "1005")
    assert status_code(challenge) == 401
    assert f'realm="{REALM}"' in header(challenge, "WWW-Authenticate")
    assert status_code(final) == 200, final
    assert "1005@" in header(final, "Contact")
    assert kamailio.contacts("1005"), "200 OK but no binding in usrloc"
    kamailio.unregister("1005")


@pytest.mark.timeout(15)
def test_kamailio_rejects_wrong_password(kamailio: Kamailio) -> None:
    with RawSipClient("udp", "127.0.0.1", kamailio.ports.sip) as client:
        call_id = uuid.uuid4().hex
        client.send(register_text(client, "1003", call_id, 1))
        www = header(client.recv_response("REGISTER"), "WWW-Authenticate")
        auth = digest_header(www, "REGISTER", f"sip:{DOMAIN}", "1003", "wrong")
        client.send(register_text(client, "1003", call_id, 2, auth))
        assert status_code(client.recv_response("REGISTER")) == 401


@pytest.mark.timeout(15)
@pytest.mark.parametrize("method", ["INVITE", "MESSAGE", "REFER", "SUBSCRIBE"])
def test_kamailio_challenges_requests_from_local_users_with_407(
    kamailio: Kamailio, method: str
) -> None:
    with RawSipClient("tcp", "127.0.0.1", kamailio.ports.sip) as client:
        lhost, lport = client.local
        extra = {"REFER": f"Refer-To: <sip:1003@{DOMAIN}>\n", "SUBSCRIBE": "Event: presence\n"}
        client.send(
            f"{method} sip:1001@{DOMAIN} SIP/2.0\n"
            f"Via: SIP/2.0/TCP {lhost}:{lport};branch={new_branch()}\n"
            "Max-Forwards: 70\n"
            f"From: <sip:1002@{DOMAIN}>;tag={new_tag()}\n"
            f"To: <sip:1001@{DOMAIN}>\n"
            f"Call-ID: {uuid.uuid4().hex}\nCSeq: 1 {method}\n"
            f"Contact: <sip:1002@{lhost}:{lport};transport=tcp>\n"
            f"{extra.get(method, '')}Content-Length: 0\n\n"
        )
        reply = client.recv_response(method)
    assert status_code(reply) == 407
    assert f'realm="{REALM}"' in header(reply, "Proxy-Authenticate")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("transport", ["ws", "wss"])
def test_call_reaches_websocket_client(
    kamailio: Kamailio, baresip_factory: Callable[..., Baresip], transport: str
) -> None:
    """A WS client with an `.invalid` Contact gets the INVITE over its own WebSocket."""
    caller = baresip_factory("1000")
    with RawSipClient(transport, "127.0.0.1", _endpoint(kamailio, transport)) as ws:
        _, final = register(ws, kamailio, "1004")
        assert status_code(final) == 200
        binding = kamailio.rpc("ul.lookup", "location", "1004")
        assert ".invalid" in binding and f"transport={transport}" in binding, binding
        caller.dial(f"sip:1004@{DOMAIN}")
        invite = ws.recv(10)
        while not invite.startswith("INVITE "):
            invite = ws.recv(10)
        assert header(invite, "Record-Route"), "proxy must stay in the dialog path"
        vias = [ln for ln in invite.split("\r\n") if ln.lower().startswith("via:")]
        ws.send(
            "SIP/2.0 486 Busy Here\n" + "\n".join(vias) + "\n"
            f"From: {header(invite, 'From')}\nTo: {header(invite, 'To')};tag={new_tag()}\n"
            f"Call-ID: {header(invite, 'Call-ID')}\nCSeq: {header(invite, 'CSeq')}\n"
            "Content-Length: 0\n\n"
        )
        closed = caller.await_event(CALL_CLOSED, 10)
    kamailio.unregister("1004")
    assert "486" in closed.get("param", ""), closed


@pytest.mark.timeout(40)
def test_baresip_call_tone_dtmf_and_recording(
    baresip_factory: Callable[..., Baresip], tone_wav: Path
) -> None:
    caller = baresip_factory("1000", audio_source=f"aufile,{tone_wav}", audio_codecs="PCMU")
    callee = baresip_factory("1001", transport="tcp", answermode="auto",
                             audio_source="ausine,440")  # fmt: skip
    caller.dial(f"sip:1001@{DOMAIN}")
    callee.await_event(CALL_ESTABLISHED, 10)
    caller.await_event(CALL_ESTABLISHED, 10)
    time.sleep(1.5)  # let some tone reach the callee's recorder
    assert caller.send_dtmf("5")["ok"]
    assert callee.await_event(CALL_DTMF_START, 5)["param"] == "5"
    assert caller.hangup()["ok"]
    callee.await_event(CALL_CLOSED, 10)
    caller.await_event(CALL_CLOSED, 10)
    heard = [p for p in callee.recordings() if p.name.endswith("-dec.wav")]
    assert heard, f"no decoded recording in {callee.record_dir}"
    freq, rms = dominant_frequency(heard[-1])
    assert abs(freq - TONE_HZ) < 15, freq
    assert rms > 0.05, rms


@pytest.mark.timeout(20)
def test_baresip_wrong_password_fails_with_its_log(
    baresip_factory: Callable[..., Baresip],
) -> None:
    """The harness fails fast with the peer's own log (here: the proxy's 401) in the error."""
    with pytest.raises(PeerError, match="registration failed") as failure:
        baresip_factory("1004", password="not-the-password")
    assert "401 Unauthorized" in str(failure.value)


@pytest.mark.timeout(20)
def test_baresip_manual_accept_and_callee_hangup(
    baresip_factory: Callable[..., Baresip],
) -> None:
    caller = baresip_factory("1000")
    callee = baresip_factory("1001")  # answermode manual
    caller.dial(f"sip:1001@{DOMAIN}")
    incoming = callee.await_event(CALL_INCOMING, 10)
    assert incoming["peeruri"] == caller.aor
    assert callee.accept()["ok"]
    caller.await_event(CALL_ESTABLISHED, 10)
    assert callee.hangup()["ok"]
    caller.await_event(CALL_CLOSED, 10)


@pytest.mark.timeout(30)
def test_baresip_srtp_opus_hold_resume(baresip_factory: Callable[..., Baresip]) -> None:
    """SDES-SRTP (keys sent over TLS) with Opus, hold/resume re-INVITEs through the proxy."""
    caller = baresip_factory("1002", transport="tls", mediaenc="srtp-mand",
                             audio_codecs="opus/48000/2", audio_source="ausine,1000")  # fmt: skip
    callee = baresip_factory("1003", transport="tls", mediaenc="srtp-mand", answermode="auto",
                             audio_source="ausine,440")  # fmt: skip
    caller.dial(f"sip:1003@{DOMAIN}")
    callee.await_event(CALL_ESTABLISHED, 10)
    caller.await_event(CALL_RTPESTAB, 10)
    time.sleep(1.2)  # baresip 1.0's sndfile stops the decode dump at the first re-INVITE
    assert caller.hold()["ok"]
    assert caller.resume()["ok"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _offers(callee) < 3:
        time.sleep(0.05)
    assert _offers(callee) == 3, "initial offer + hold + resume re-INVITEs"
    caller.hangup()
    callee.await_event(CALL_CLOSED, 10)
    assert "srtp: audio: SRTP is Enabled" in callee.log()
    assert "Set audio encoder: opus" in callee.log()
    heard = [p for p in caller.recordings() if p.name.endswith("-dec.wav")]
    assert heard
    assert abs(dominant_frequency(heard[-1])[0] - 440.0) < 15


def _offers(ua: Baresip) -> int:
    return sum(
        1
        for e in ua.ctrl.events()
        if e.get("type") == "CALL_REMOTE_SDP" and e.get("param") == "offer"
    )


@pytest.mark.timeout(30)
def test_baresip_blind_transfer(baresip_factory: Callable[..., Baresip]) -> None:
    """REFER through the proxy: the transferee follows it and the target answers."""
    a = baresip_factory("1000")
    b = baresip_factory("1001", transport="tcp", answermode="auto")
    c = baresip_factory("1002", transport="tls", answermode="auto")
    a.dial(f"sip:1001@{DOMAIN}")
    b.await_event(CALL_ESTABLISHED, 10)
    a.await_event(CALL_ESTABLISHED, 10)
    assert b.transfer(f"sip:1002@{DOMAIN}")["ok"]
    assert a.await_event(TRANSFER, 10)["param"] == f"sip:1002@{DOMAIN}"
    assert c.await_event(CALL_ESTABLISHED, 10)["peeruri"] == a.aor
    b.await_event(CALL_CLOSED, 10)


@pytest.mark.timeout(30)
def test_sipp_uas_answers_call_from_baresip(
    baresip_factory: Callable[..., Baresip], sipp_factory: Callable[..., Sipp]
) -> None:
    uas = sipp_factory(UAS_ANSWER, service="svc", timeout_s=15)
    uas.wait_listening()
    caller = baresip_factory("1002")
    caller.dial(f"sip:svc@{uas.uri_host}")
    caller.await_event(CALL_ESTABLISHED, 10)
    caller.hangup()
    result = uas.wait(20)
    assert result.ok, result.errors or result.log[-2000:]
    assert result.count("SuccessfulCall") == 1


@pytest.mark.timeout(30)
def test_sipp_uas_busy_rejects_call(
    baresip_factory: Callable[..., Baresip], sipp_factory: Callable[..., Sipp]
) -> None:
    uas = sipp_factory(UAS_BUSY, service="busy", timeout_s=15)
    uas.wait_listening()
    caller = baresip_factory("1003")
    caller.dial(f"sip:busy@{uas.uri_host}")
    closed = caller.await_event(CALL_CLOSED, 10)
    assert "486" in closed.get("param", ""), closed
    assert uas.wait(20).ok


@pytest.mark.timeout(30)
def test_sipp_uac_calls_registered_baresip(
    kamailio: Kamailio,
    baresip_factory: Callable[..., Baresip],
    sipp_factory: Callable[..., Sipp],
) -> None:
    """A foreign caller reaches a registered user through lookup + record-route, and its BYE
    (sent to the Record-Route) ends the callee's call."""
    callee = baresip_factory("1001", answermode="auto")
    uac = sipp_factory(UAC_CALL, remote=f"127.0.0.1:{kamailio.ports.sip}", service="1001",
                       keys={"domain": DOMAIN}, pause_ms=500, timeout_s=10)  # fmt: skip
    result = uac.wait(20)
    assert result.ok, result.errors or result.log[-2000:]
    assert result.count("SuccessfulCall") == 1
    callee.await_event(CALL_ESTABLISHED, 5)
    callee.await_event(CALL_CLOSED, 5)


@pytest.mark.timeout(20)
def test_sipp_register_is_challenged(kamailio: Kamailio, sipp_factory: Callable[..., Sipp]) -> None:
    uac = sipp_factory(UAC_REGISTER_401, remote=f"127.0.0.1:{kamailio.ports.sip}",
                       service="1002", keys={"domain": DOMAIN}, timeout_s=5)  # fmt: skip
    result = uac.wait(15)
    assert result.ok, result.errors or result.log[-2000:]
    assert result.count("SuccessfulCall") == 1


@pytest.mark.timeout(15)
def test_pulseaudio_null_sink(pulseaudio: PulseAudio) -> None:
    sinks = pulseaudio.pactl("list", "short", "sinks")
    assert pulseaudio.sink in sinks
    sources = pulseaudio.pactl("list", "short", "sources")
    assert pulseaudio.env()["PULSE_SOURCE"] in sources


@pytest.mark.timeout(20)
def test_pulseaudio_sink_monitor_loops_audio(pulseaudio: PulseAudio, tmp_path: Path) -> None:
    """What is played into the null sink comes back on its monitor: a usable fake device."""
    tone = write_tone_wav(tmp_path / "tone.wav", (TONE_HZ,), seconds=1.5)
    captured = tmp_path / "monitor.wav"
    recorder = pulseaudio.record_monitor(captured, tmp_path)
    time.sleep(0.3)
    pulseaudio.play(tone)
    time.sleep(0.2)
    recorder.stop()
    freq, rms = dominant_frequency(captured, skip_seconds=0.0)
    assert abs(freq - TONE_HZ) < 15, freq
    assert rms > 0.02, rms
