"""baresip 1.0 as a WebRTC-profile peer (issue 14, peer 3), off loopback.

baresip (``mediaenc=dtls_srtp``: its ice and dtls_srtp modules, ``medianat=ice``) runs on the
PBX host, the siperb phone (phone_agent.py, WebRTC profile) behind the NAT, both registered to
Kamailio over UDP. Off loopback because baresip 1.0's ICE leaves loopback addresses out of its
candidates. Tones are checked by FFT both ways, as in test_nat_calls.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import PhoneAgent
from peers.baresip import CALL_CLOSED, Baresip
from peers.kamailio import Kamailio
from peers.natlab import PBX6
from test_nat_calls import BOB_HZ, assert_tone, baresip_heard_us, scenario


def webrtc_bob(pbx_baresip: Callable[..., Baresip], **kw: Any) -> Baresip:
    return pbx_baresip("1001", audio_source=f"ausine,{BOB_HZ:.0f}", audio_codecs="PCMU",
                       mediaenc="dtls_srtp", host=PBX6, rtcp_mux=True, **kw)  # fmt: skip


def v6(pbx: Kamailio, **kw: Any) -> dict[str, Any]:
    return dict(aor=pbx.aor("1000"), proxy=pbx.uri("udp", PBX6), password=pbx.accounts["1000"],
                tone_hz=1000.0, webrtc=True, **kw)  # fmt: skip


@pytest.mark.timeout(120)
def test_phone_calls_baresip_in_the_webrtc_profile(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    bob = webrtc_bob(pbx_baresip, answermode="auto")
    agent = phone("phone6", **v6(pbx, action="call", target="1001"))
    agent.ready()
    result = agent.result()
    print(result.get("local_sdp"), result.get("remote_sdp"))
    print(bob.log()[-6000:])
    assert result["ok"] and result["established"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)


@pytest.mark.timeout(120)
def test_baresip_calls_the_phone_in_the_webrtc_profile(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
) -> None:  # fmt: skip
    bob = webrtc_bob(pbx_baresip)
    agent = phone("phone6", **v6(pbx, action="wait_call"))
    agent.ready()
    bob.dial(pbx.aor("1000"))
    result = agent.result()
    print(result)
    print(bob.log()[-6000:])
    assert result["ok"] and result["established"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)
