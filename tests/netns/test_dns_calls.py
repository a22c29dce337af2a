"""The PBX reached by name: the phone behind the NAT is given only the domain (``siperb.test``)
and the PBX host's own DNS server (dnsmasq on 203.0.113.10:53, NAPTR/SRV/A/AAAA), locates
Kamailio by RFC 3263, registers and calls baresip with audio both ways; and when the first SRV
target is down it fails over to the second (the relay Kamailio on 203.0.113.11)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_nat_calls import BOB_HZ, PHONE_HZ, assert_off_loopback, assert_tone, baresip_heard_us

from conftest import PhoneAgent
from peers.baresip import CALL_CLOSED, Baresip
from peers.dns import DnsServer
from peers.kamailio import Kamailio
from peers.natlab import DOMAIN, DOWN_PORT, FAILOVER, PBX4, PBX_RELAY4


def by_name(kam: Kamailio, dns: DnsServer, proxy: str, **kw: object) -> dict[str, object]:
    return dict(aor=kam.aor("1000"), proxy=proxy, password=kam.accounts["1000"],
                dns_servers=[dns.nameserver], tone_hz=PHONE_HZ, **kw)  # fmt: skip


@pytest.mark.timeout(120)
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_phone_finds_the_pbx_by_name_and_calls_baresip(
    pbx: Kamailio, pbx_dns: DnsServer, pbx_baresip: Callable[..., Baresip],
    phone: Callable[..., PhoneAgent], transport: str,
) -> None:  # fmt: skip
    bob = pbx_baresip("1001", answermode="auto", audio_source=f"ausine,{BOB_HZ:.0f}",
                      audio_codecs="PCMU")  # fmt: skip
    # UDP: NAPTR (SIP+D2U order 10) -> SRV -> A; TCP: the transport parameter -> SRV -> A.
    proxy = f"sip:{DOMAIN}" if transport == "udp" else f"sip:{DOMAIN};transport=tcp"
    agent = phone(**by_name(pbx, pbx_dns, proxy, action="call", target="1001"))
    state = agent.ready()
    assert_off_loopback(state, transport)
    assert state["kind"] == transport.upper(), state
    assert state["remote"] == f"{PBX4}:5060", state
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)
    log = pbx_dns.process.log_text()
    assert f"_sip._{transport}.{DOMAIN}" in log and f"pbx.{DOMAIN}" in log, log[-2000:]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_failover_to_the_second_srv_target_when_the_first_is_down(
    relay_pbx: Kamailio, pbx_dns: DnsServer, pbx_baresip: Callable[..., Baresip],
    phone: Callable[..., PhoneAgent], transport: str,
) -> None:  # fmt: skip
    """SRV priority 1 is the PBX host with no proxy on its port (TCP: refused at once; UDP: the
    REGISTER times out, timer F at 64*T1 with T1 = 50 ms); priority 2 the relay Kamailio,
    where the phone registers and calls (media through rtpengine)."""
    bob = pbx_baresip("1001", kamailio=relay_pbx, answermode="auto",
                      audio_source=f"ausine,{BOB_HZ:.0f}", audio_codecs="PCMU")  # fmt: skip
    proxy = f"sip:{FAILOVER};transport={transport}"
    agent = phone(**by_name(relay_pbx, pbx_dns, proxy, action="call", target="1001", t1=0.05))
    state = agent.ready()
    assert state["registered"], state
    assert state["targets"][:2] == [f"{PBX4}:{DOWN_PORT}", f"{PBX_RELAY4}:5060"], state
    assert state["remote"] == f"{PBX_RELAY4}:5060", state
    if transport == "udp":
        assert state["failovers"] == 1, state
        assert any(e["name"] == "transport" and e["state"] == "failover"
                   for e in state["events"]), state  # fmt: skip
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)
