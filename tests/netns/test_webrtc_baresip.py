"""baresip 1.0 as a WebRTC-profile peer (issue 14, peer 3), off loopback.

baresip (``mediaenc=dtls_srtp``: its ice and dtls_srtp modules, ``medianat=ice``) runs on the
PBX host, the siperb phone (phone_agent.py, ``webrtc``: UDP/TLS/RTP/SAVPF, ICE, DTLS-SRTP,
rtcp-mux) on another host, both registered to Kamailio over UDP. Off loopback because baresip
1.0's ICE leaves loopback addresses out of its candidates. Tones are checked by FFT both ways
(1000 Hz from the phone in baresip's decoded recording, 600 Hz from baresip at the phone).

What baresip 1.0 does (SDP captured in tests/unit/test_webrtc_answer_check.py):
- with its default ``rtcp_mux no`` it neither offers nor answers a=rtcp-mux (it sends a=rtcp
  and component-2 candidates): our offer gets a 488 with a Warning naming rtcp-mux, and its
  answer ends our call (ACK, BYE) with that reason; with ``rtcp_mux yes`` calls carry audio;
- when a proxy rewrites our c= (Kamailio's fix_nated_sdp for a phone behind a NAT) it finds
  our default address among none of our candidates, answers a=ice-mismatch and does no ICE:
  our call ends naming a=ice-mismatch. So the audio calls use the IPv6-only phone host
  (routed, no NAT, no SDP rewrite).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_nat_calls import BOB_HZ, assert_tone, baresip_heard_us, scenario

from conftest import PhoneAgent
from peers.baresip import CALL_CLOSED, CALL_ESTABLISHED, Baresip
from peers.kamailio import Kamailio
from peers.natlab import PBX6, PHONE6_ONLY


def webrtc_bob(pbx_baresip: Callable[..., Baresip], rtcp_mux: bool = True, **kw: Any) -> Baresip:
    return pbx_baresip("1001", audio_source=f"ausine,{BOB_HZ:.0f}", audio_codecs="PCMU",
                       mediaenc="dtls_srtp", rtcp_mux=rtcp_mux, **kw)  # fmt: skip


def v6(pbx: Kamailio, **kw: Any) -> dict[str, Any]:
    """The IPv6-only phone host, registered to the PBX's IPv6 address, in the WebRTC profile."""
    return dict(aor=pbx.aor("1000"), proxy=pbx.uri("udp", PBX6), password=pbx.accounts["1000"],
                tone_hz=1000.0, webrtc=True, **kw)  # fmt: skip


def assert_webrtc_sdp(result: dict[str, Any]) -> None:
    """Both descriptions are the WebRTC profile with rtcp-mux and no SDES keys."""
    for sdp in (result["local_sdp"], result["remote_sdp"]):
        assert "UDP/TLS/RTP/SAVPF" in sdp and "a=rtcp-mux" in sdp, sdp
        assert "a=fingerprint:" in sdp and "a=ice-ufrag:" in sdp and "a=crypto" not in sdp, sdp
    assert "a=ice-mismatch" not in result["remote_sdp"]
    assert "typ host" in result["local_sdp"] and PHONE6_ONLY in result["local_sdp"]


@pytest.mark.timeout(120)
def test_phone_calls_baresip_in_the_webrtc_profile(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    bob = webrtc_bob(pbx_baresip, answermode="auto", host=PBX6)
    agent = phone("phone6", **v6(pbx, action="call", target="1001"))
    agent.ready()
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert_webrtc_sdp(result)
    assert "a=setup:actpass" in result["local_sdp"], result["local_sdp"]
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    assert result["ended"]["reason"] == "local hangup", result
    bob.await_event(CALL_ESTABLISHED, 10)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)


@pytest.mark.timeout(120)
def test_baresip_calls_the_phone_in_the_webrtc_profile(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    bob = webrtc_bob(pbx_baresip, host=PBX6)
    agent = phone("phone6", **v6(pbx, action="wait_call"))
    agent.ready()
    bob.dial(pbx.aor("1000"))
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert_webrtc_sdp(result)
    assert "a=setup:active" in result["local_sdp"], result["local_sdp"]  # RFC 8842 answerer
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)


@pytest.mark.timeout(120)
def test_baresip_answer_without_rtcp_mux_ends_the_call_saying_why(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    """baresip 1.0's default (rtcp_mux no) declines our rtcp-mux: the call is not shown as
    established; it ends with the reason naming a=rtcp-mux, and an sdp_refused event."""
    bob = webrtc_bob(pbx_baresip, rtcp_mux=False, answermode="auto", host=PBX6)
    agent = phone("phone6", **v6(pbx, action="call", target="1001"))
    agent.ready()
    result = agent.result()
    assert result["ok"] and not result.get("established"), result
    assert "rtcp-mux" in result["ended"]["reason"], result
    assert result["ended"]["outcome"] == "Outcome.NOT_ACCEPTABLE", result
    assert [r["what"] for r in result["sdp_refused"]] == ["answer"], result
    bob.await_event(CALL_CLOSED, 10)  # our BYE after the ACK


@pytest.mark.timeout(120)
def test_baresip_offer_without_rtcp_mux_gets_488_with_a_warning(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    bob = webrtc_bob(pbx_baresip, rtcp_mux=False, host=PBX6)
    agent = phone("phone6", **v6(pbx, action="wait_call"))
    agent.ready()
    bob.dial(pbx.aor("1000"))
    result = agent.result()
    assert result["ok"], result
    [refused] = result["sdp_refused"]
    assert refused["what"] == "offer" and refused["status"] == "488", result
    assert "rtcp-mux" in refused["warning"] and "rtcp-mux" in refused["reason"], result
    closed = bob.await_event(CALL_CLOSED, 10)
    assert "488" in str(closed.get("param")), closed


@pytest.mark.timeout(120)
def test_offer_rewritten_by_the_nat_proxy_gets_ice_mismatch_and_the_call_ends_saying_so(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    """The phone behind the NAT: Kamailio's fix_nated_sdp puts the NAT's address into our
    offer's c=, baresip finds it among none of our candidates and answers a=ice-mismatch (no
    ICE, RFC 8839 5.4). Our call ends naming that instead of sitting silent."""
    bob = webrtc_bob(pbx_baresip, answermode="auto")
    agent = phone(**scenario(pbx, "udp", action="call", target="1001", webrtc=True))
    agent.ready()
    result = agent.result()
    assert result["ok"] and not result.get("established"), result
    assert "ice-mismatch" in result["ended"]["reason"], result
    assert [r["what"] for r in result["sdp_refused"]] == ["answer"], result
    bob.await_event(CALL_CLOSED, 10)
