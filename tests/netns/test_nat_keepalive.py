"""Keeping a UDP registration reachable through NAT (RFC 5626 4.4.1): STUN keep-alives to the
proxy's SIP port (Kamailio's stun module answers) hold the mapping open past a short NAT UDP
timeout, and a new mapping (the NAT forgot the old one) is noticed from the STUN response and
registered again, so calls from the PBX still reach the phone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_nat_calls import BOB_HZ, assert_tone, baresip_heard_us, scenario

from conftest import PhoneAgent
from peers.baresip import CALL_CLOSED, Baresip
from peers.kamailio import Kamailio
from peers.natlab import NAT_PUBLIC4, NatLab

NAT_UDP_TIMEOUT = 3  # seconds the router keeps an idle UDP mapping in these tests
KEYS = ("nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream")


@pytest.fixture
def short_udp_timeout(natlab: NatLab) -> Iterator[NatLab]:
    before = {k: natlab.nat.exec("sysctl", "-n", f"net.netfilter.{k}").strip() for k in KEYS}
    for key in KEYS:
        natlab.nat.sysctl(f"net.netfilter.{key}", str(NAT_UDP_TIMEOUT))
    natlab.flush_mappings()
    try:
        yield natlab
    finally:
        for key, value in before.items():
            natlab.nat.sysctl(f"net.netfilter.{key}", value)


def public_port(pbx: Kamailio) -> str:
    """The port of the phone's binding as the registrar stored it (received=...)."""
    out = pbx.rpc("ul.lookup", "location", "1000")
    for line in out.splitlines():
        if "Received" in line and NAT_PUBLIC4 in line:
            return line.rsplit(":", 1)[-1].strip()
    raise AssertionError(f"no received address in {out}")


def call_the_phone(bob: Baresip, pbx: Kamailio, agent: PhoneAgent) -> dict[str, Any]:
    bob.dial(pbx.aor("1000"))
    return agent.result()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("keepalive", [True, False], ids=["stun-keepalive", "no-keepalive"])
def test_call_reaches_the_phone_after_idling_past_the_nat_udp_timeout(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
    short_udp_timeout: NatLab, keepalive: bool,
) -> None:  # fmt: skip
    bob = pbx_baresip("1001", audio_source=f"ausine,{BOB_HZ:.0f}", audio_codecs="PCMU")
    agent = phone(**scenario(pbx, "udp", action="wait_call", wait_s=12,
                             udp_keepalive_interval=1.0 if keepalive else None))  # fmt: skip
    agent.ready()
    time.sleep(3 * NAT_UDP_TIMEOUT)  # idle: without keep-alives the mapping is gone
    result = call_the_phone(bob, pbx, agent)
    if not keepalive:  # the control: the INVITE dies at the NAT
        assert not result["ok"] and "Timeout" in str(result["error"]), result
        return
    assert result["ok"] and result["established"], result
    assert_tone(result["heard_hz"], result["heard_rms"], BOB_HZ)
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)


@pytest.mark.timeout(120)
def test_new_nat_mapping_is_registered_again(
    pbx: Kamailio, pbx_baresip: Callable[..., Baresip], phone: Callable[..., PhoneAgent],
    natlab: NatLab,
) -> None:  # fmt: skip
    """The NAT loses its mappings and the next keep-alive gets a new public port (symmetric
    NAT: a random one): the STUN response shows it, the UA registers again, the registrar's
    binding follows, and the PBX's call reaches the phone."""
    bob = pbx_baresip("1001", audio_source=f"ausine,{BOB_HZ:.0f}", audio_codecs="PCMU")
    agent = phone(**scenario(pbx, "udp", action="wait_call", wait_s=20,
                             udp_keepalive_interval=1.0))  # fmt: skip
    agent.ready()
    before = public_port(pbx)
    natlab.set_nat(symmetric=True)  # flushes the mappings; new ones get random ports
    try:
        deadline = time.monotonic() + 10
        while public_port(pbx) == before:
            assert time.monotonic() < deadline, "the registrar's binding never moved"
            time.sleep(0.2)
        result = call_the_phone(bob, pbx, agent)
    finally:
        natlab.set_nat(symmetric=False)
    assert result["ok"] and result["established"], result
    assert any(e.get("state") == "remapped" for e in result["events"]), result
    bob.await_event(CALL_CLOSED, 10)
    baresip_heard_us(bob)
