"""Calls over IPv6 off loopback: the dual-stack phone (IPv6 routed through the home router's
stateful firewall, no NAT) and an IPv6-only host call baresip listening on the PBX's IPv6
address. Signalling, Via/Contact and media must all use the phone's own global IPv6 address.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_nat_calls import BOB_HZ, assert_tone, baresip_heard_us

from conftest import PhoneAgent
from peers.baresip import CALL_CLOSED, Baresip
from peers.kamailio import Kamailio
from peers.natlab import PBX6, PHONE6, PHONE6_ONLY

ADDRESS = {"phone": PHONE6, "phone6": PHONE6_ONLY}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("transport", ["udp", "tcp", "tls", "ws", "wss"])
@pytest.mark.parametrize("host", ["phone", "phone6"], ids=["dual-stack", "ipv6-only"])
def test_ipv6_phone_calls_baresip_audio_both_ways(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip],
    phone: Callable[..., PhoneAgent], host: str, transport: str,
) -> None:  # fmt: skip
    bob = pbx_baresip("1001", answermode="auto", audio_source=f"ausine,{BOB_HZ:.0f}",
                      audio_codecs="PCMU", host=PBX6)  # fmt: skip
    if transport in ("ws", "wss"):
        proxy = pbx.ws_url(secure=transport == "wss", host=PBX6)
    else:
        proxy = pbx.uri(transport, PBX6)
    agent = phone(host, aor=pbx.aor("1000"), proxy=proxy, password=pbx.accounts["1000"],
                  tone_hz=1000.0, action="call", target="1001")  # fmt: skip
    state = agent.ready()
    me = ADDRESS[host]
    assert state["registered"] and state["media_host"] == me, state
    assert state["local"].startswith(f"[{me}]:"), state
    if transport not in ("ws", "wss"):
        assert f" [{me}]:" in state["via"] and f"@[{me}]:" in state["contact"], state
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert result["sdp_c"] == [f"c=IN IP6 {me}"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)
