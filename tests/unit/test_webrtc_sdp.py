"""The WebRTC SDP profile: ICE/DTLS attributes, offers and answers in UDP/TLS/RTP/SAVPF, the
DTLS and ICE roles, and the refusals (no fingerprint, a changed transport, bad attributes)."""

from __future__ import annotations

import dataclasses

import pytest
from test_sdp_samples import CHROME

from siperb.errors import SdpNegotiationError, SdpParseError
from siperb.sdp import (
    Capabilities,
    Codec,
    Crypto,
    SessionDescription,
    Setup,
    create_answer,
    create_offer,
    negotiate,
)

FP = "sha-256 " + ":".join(f"{i:02X}" for i in range(32))
OURS = dict(
    webrtc=True,
    ice_ufrag="Ab12",
    ice_pwd="ourpassword0123456789abc",
    fingerprint=FP,
    candidates=["candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"],
)

# An audio-only browser offer (Chromium 120-ish), with an mDNS candidate beside a real one.
BROWSER = """v=0
o=- 5050 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=msid-semantic: WMS s1
m=audio 50000 UDP/TLS/RTP/SAVPF 111 9 0 8 110 126
c=IN IP4 127.0.0.1
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1 1 udp 2113937151 3c8f0a7e-1b2c-4d5e-8f90-1234.local 50002 typ host generation 0
a=candidate:2 1 udp 2113939711 127.0.0.1 50000 typ host generation 0 network-cost 999
a=end-of-candidates
a=ice-ufrag:Br0w
a=ice-pwd:browserpassword012345678
a=ice-options:trickle
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2
a=setup:actpass
a=mid:0
a=sendrecv
a=msid:s1 t1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:1001 cname:abc
"""


def caps(**kw: object) -> Capabilities:
    base: dict[str, object] = dict(codecs=[Codec.opus(), Codec.pcmu()], port=40000,
                                   session_id=7)  # fmt: skip
    base.update(kw)
    return Capabilities(**base)  # type: ignore[arg-type]


def webrtc_caps(**kw: object) -> Capabilities:
    return caps(**{**OURS, **kw})


# ---- parsing ----


def test_browser_offer_parses_and_round_trips() -> None:
    s = SessionDescription.parse(BROWSER)
    m = s.media[0]
    assert m.proto == "UDP/TLS/RTP/SAVPF" and m.rtcp_mux and m.mid == "0"
    assert m.ice_ufrag == "Br0w" and m.ice_options == ["trickle"] and m.end_of_candidates
    assert m.setup is Setup.ACTPASS and m.fingerprints[0].hash_func == "sha-256"
    assert m.candidates[0].address.endswith(".local")  # kept as text
    assert s.groups[0].semantics == "BUNDLE" and s.groups[0].mids == ["0"]
    assert any(a.name == "rtcp-fb" for a in m.attributes)  # tolerated, written back
    assert SessionDescription.parse(str(s)) == s


def test_ice_lite_and_end_of_candidates_at_both_levels() -> None:
    text = BROWSER.replace("a=msid-semantic", "a=ice-lite\na=end-of-candidates\na=msid-semantic")
    text = text.replace("a=rtcp-mux\n", "a=rtcp-mux\na=ice-lite\n")
    s = SessionDescription.parse(text)
    assert s.ice_lite and s.end_of_candidates and s.media[0].ice_lite
    again = str(s)
    assert "a=ice-lite" in again and SessionDescription.parse(again) == s


@pytest.mark.parametrize(
    ("line", "bad", "field"),
    [
        ("a=fingerprint:sha-256 7B:8B", "a=fingerprint:sha-256 7B:8G", "a=fingerprint"),
        ("a=fingerprint:sha-256 7B:8B", "a=fingerprint:sha-256 7B8B", "a=fingerprint"),
        ("a=fingerprint:sha-256 7B:8B", "a=fingerprint:sha-256", "a=fingerprint"),
        ("a=ice-ufrag:Br0w", "a=ice-ufrag:Br0w!", "a=ice-ufrag"),
        ("a=ice-pwd:browser", "a=ice-pwd:bad pwd x", "a=ice-pwd"),
        ("a=setup:actpass", "a=setup:sometimes", "a=setup"),
        ("a=end-of-candidates", "a=end-of-candidates:now", "a=end-of-candidates"),
        ("a=candidate:2 1 udp", "a=candidate:2 0 udp", "a=candidate"),
        ("a=candidate:2 1 udp", "a=candidate:2 1 udp x", "a=candidate"),
        ("a=rtcp-mux", "a=rtcp-mux:yes", "a=rtcp-mux"),
    ],
)
def test_malformed_webrtc_attributes_name_the_attribute(line: str, bad: str, field: str) -> None:
    text = "\n".join(
        bad + ln[len(line):] if ln.startswith(line) else ln for ln in BROWSER.split("\n")
    )  # fmt: skip
    assert text != BROWSER
    with pytest.raises(SdpParseError) as e:
        SessionDescription.parse(text)
    assert e.value.field == field


# ---- offers ----


def test_webrtc_offer() -> None:
    key = Crypto(1, "AES_CM_128_HMAC_SHA1_80", "inline:" + "A" * 40)
    offer = create_offer(webrtc_caps(codecs=[Codec("opus", 48000, 2, "useinbandfec=1", 111),
                                             Codec.pcmu()], crypto=[key]))  # fmt: skip
    m = offer.media[0]
    assert m.proto == "UDP/TLS/RTP/SAVPF"
    assert m.crypto == []  # never a=crypto beside a=fingerprint
    assert m.setup is Setup.ACTPASS and m.rtcp_mux and m.mid == "0"
    assert offer.groups[0].semantics == "BUNDLE" and offer.groups[0].mids == ["0"]
    assert m.ice_ufrag == "Ab12" and m.ice_pwd == OURS["ice_pwd"]
    assert [f"{f.hash_func} {f.value}" for f in m.fingerprints] == [FP]
    assert [c.address for c in m.candidates] == ["127.0.0.1"] and m.end_of_candidates
    assert m.formats[0] == "111" and m.fmtp["111"].params == "useinbandfec=1"
    events = {r.clock_rate for r in m.rtpmaps if r.encoding == "telephone-event"}
    assert events == {48000, 8000}
    text = str(offer)
    assert "a=crypto" not in text and "a=end-of-candidates" in text
    assert "a=ice-lite" not in text
    assert create_offer(webrtc_caps(ice_lite=True)).ice_lite


def test_webrtc_offer_needs_credentials_and_fingerprint() -> None:
    with pytest.raises(SdpNegotiationError) as e:
        create_offer(webrtc_caps(fingerprint=""))
    assert e.value.field == "a=fingerprint"
    with pytest.raises(SdpNegotiationError) as e:
        create_offer(webrtc_caps(ice_pwd=""))
    assert e.value.field == "a=ice-ufrag"
    with pytest.raises(SdpParseError):
        create_offer(webrtc_caps(candidates=["candidate:1 1 udp nope"]))


# ---- answers ----


def test_answer_to_a_browser_offer() -> None:
    answer = create_answer(BROWSER, webrtc_caps())
    m = answer.media[0]
    assert m.proto == "UDP/TLS/RTP/SAVPF" and m.setup is Setup.ACTIVE and m.rtcp_mux
    assert m.crypto == [] and m.mid == "0" and answer.groups[0].mids == ["0"]
    assert m.formats == ["111", "0", "110", "126"]  # telephone-event at each codec clock
    n = negotiate(BROWSER, answer, local_is_offerer=False)
    assert n.webrtc and n.rtcp_mux and n.codec.name == "opus" and n.payload_type == 111
    assert n.dtls_setup == "active"  # we answered actpass with active: we are the DTLS client
    assert not n.ice_controlling  # the offerer controls
    assert n.remote_ice_ufrag == "Br0w" and n.remote_ice_pwd == "browserpassword012345678"
    assert n.remote_fingerprint.startswith("sha-256 7B:8B:F0")
    assert len(n.remote_candidates) == 2 and ".local" in n.remote_candidates[0]
    assert n.telephone_event_pt == 110


def test_answer_to_the_full_chrome_sample_bundles_audio_only() -> None:
    answer = create_answer(CHROME, webrtc_caps())
    assert [m.port for m in answer.media] == [40000, 0, 0]
    assert answer.groups[0].mids == ["0"]


@pytest.mark.parametrize(
    ("offered", "kept", "ours"),
    [("actpass", None, "active"), ("actpass", Setup.PASSIVE, "passive"),
     ("active", None, "passive"), ("passive", None, "active")],
)  # fmt: skip
def test_dtls_role_of_the_answerer(offered: str, kept: Setup | None, ours: str) -> None:
    offer = BROWSER.replace("a=setup:actpass", f"a=setup:{offered}")
    answer = create_answer(offer, webrtc_caps(setup=kept))
    assert str(answer.media[0].setup) == ours
    assert negotiate(offer, answer, local_is_offerer=False).dtls_setup == ours


def test_offer_without_fingerprint_is_refused_with_the_reason() -> None:
    offer = "\n".join(ln for ln in BROWSER.split("\n") if not ln.startswith("a=fingerprint"))
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(offer, webrtc_caps())
    assert "a=fingerprint" in e.value.reason


def test_offer_without_ice_or_rtcp_mux_is_refused() -> None:
    no_ice = "\n".join(ln for ln in BROWSER.split("\n") if not ln.startswith("a=ice-pwd"))
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(no_ice, webrtc_caps())
    assert "ice-pwd" in e.value.reason
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(BROWSER.replace("a=rtcp-mux\n", ""), webrtc_caps())
    assert "rtcp-mux" in e.value.reason
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(BROWSER.replace("a=setup:actpass", "a=setup:holdconn"), webrtc_caps())
    assert "holdconn" in e.value.reason


def test_webrtc_offer_without_the_profile_names_the_transport() -> None:
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(BROWSER, caps())
    assert "UDP/TLS/RTP/SAVPF" in e.value.reason and "WebRTC" in e.value.reason


def test_plain_offer_gets_a_plain_answer_even_with_webrtc_on() -> None:
    plain = create_offer(caps(port=30000))
    answer = create_answer(plain, webrtc_caps())
    m = answer.media[0]
    assert m.proto == "RTP/AVP" and not m.fingerprints and not m.candidates
    assert not negotiate(plain, answer, local_is_offerer=False).webrtc


def test_session_level_credentials_and_remote_lite_agent() -> None:
    lite = """v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
a=ice-lite
a=ice-ufrag:Lite
a=ice-pwd:litepassword0123456789xx
a=fingerprint:sha-256 AA:BB
a=setup:actpass
m=audio 20000 UDP/TLS/RTP/SAVPF 0
a=rtcp-mux
a=candidate:1 1 UDP 2130706431 127.0.0.1 20000 typ host
"""
    answer = create_answer(lite, webrtc_caps())
    n = negotiate(lite, answer, local_is_offerer=False)
    assert n.remote_ice_lite and n.ice_controlling  # a full agent controls a lite one
    assert n.remote_ice_ufrag == "Lite" and n.remote_fingerprint == "sha-256 AA:BB"


# ---- our offer, their answer ----


def answer_to(offer: SessionDescription, setup: str, **changes: object) -> SessionDescription:
    answer = create_answer(offer, webrtc_caps(ice_ufrag="Th3m", port=50000, session_id=9))
    answer.media[0].setup = Setup(setup)
    for k, v in changes.items():
        setattr(answer.media[0], k, v)
    return answer


@pytest.mark.parametrize(("theirs", "ours"), [("active", "passive"), ("passive", "active")])
def test_offerer_dtls_role_comes_from_the_answer(theirs: str, ours: str) -> None:
    offer = create_offer(webrtc_caps())
    n = negotiate(offer, answer_to(offer, theirs), local_is_offerer=True)
    assert n.webrtc and n.dtls_setup == ours and n.ice_controlling
    assert n.remote_ice_ufrag == "Th3m"


def test_answer_with_actpass_or_without_fingerprint_is_refused() -> None:
    offer = create_offer(webrtc_caps())
    with pytest.raises(SdpNegotiationError) as e:
        negotiate(offer, answer_to(offer, "actpass"), local_is_offerer=True)
    assert e.value.field == "a=setup"
    with pytest.raises(SdpNegotiationError) as e:
        negotiate(offer, answer_to(offer, "active", fingerprints=[]), local_is_offerer=True)
    assert e.value.field == "a=fingerprint"


def test_answer_with_another_transport_is_refused() -> None:
    """rtpengine's SAVPF answer to an RTP/AVP offer: nothing could flow, so it is refused."""
    plain = create_offer(caps())
    savpf = create_answer(BROWSER, webrtc_caps(port=50000))
    savpf.media[0].formats = ["111", "110"]
    with pytest.raises(SdpNegotiationError) as e:
        negotiate(plain, savpf, local_is_offerer=True)
    assert "UDP/TLS/RTP/SAVPF" in e.value.reason and "RTP/AVP" in e.value.reason
    webrtc_offer = create_offer(webrtc_caps())
    avp = create_answer(create_offer(caps(port=50000)), caps(port=50002))
    with pytest.raises(SdpNegotiationError):
        negotiate(webrtc_offer, avp, local_is_offerer=True)
    # RTP/AVPF for RTP/AVP is the same transport family: accepted.
    avpf = dataclasses.replace(avp)
    avpf.media[0].proto = "RTP/AVPF"
    assert negotiate(create_offer(caps()), avpf, local_is_offerer=True).codec.name


def test_hold_reoffer_keeps_ufrag_fingerprint_and_setup() -> None:
    first = create_offer(webrtc_caps())
    hold = create_offer(webrtc_caps(direction="sendonly"), first)
    a, b = first.media[0], hold.media[0]
    assert (a.ice_ufrag, a.ice_pwd, a.fingerprints, a.setup) == (
        b.ice_ufrag, b.ice_pwd, b.fingerprints, b.setup)  # fmt: skip
    assert hold.origin.session_version == first.origin.session_version + 1
    assert str(b.direction) == "sendonly"


def test_browser_offer_on_0000_is_not_hold() -> None:
    offer = BROWSER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")
    answer = create_answer(offer, webrtc_caps())
    assert answer.media[0].direction is not None and str(answer.media[0].direction) == "sendrecv"
    assert str(negotiate(offer, answer, local_is_offerer=False).direction) == "sendrecv"


def test_baresip_dtls_offer_uppercase_hash_and_no_rtcp_mux() -> None:
    """baresip 1.0 (dtls_srtp + ice) writes "SHA-256" at session level and offers no
    rtcp-mux: the hash name is case-insensitive (RFC 8122), the missing mux is refused."""
    offer = BROWSER.replace("a=fingerprint:sha-256", "a=fingerprint:SHA-256")
    n = negotiate(offer, create_answer(offer, webrtc_caps()), local_is_offerer=False)
    assert n.remote_fingerprint.startswith("sha-256 7B:8B")
    with pytest.raises(SdpNegotiationError) as e:
        create_answer(offer.replace("a=rtcp-mux\n", ""), webrtc_caps())
    assert "rtcp-mux" in e.value.reason
