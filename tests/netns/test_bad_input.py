"""Bad input from across the test network. A peer on the PBX host sends the phone (behind the
NAT, registered over UDP) an INVITE through Kamailio whose SDP names a media address the phone
cannot use: an IPv6 ``c=`` on the phone's IPv4 path, or a loopback address. The phone refuses
with 488 (no call with one-way or no audio) and its call ends with outcome not_acceptable and a
reason naming ``c=`` (python/siperb/media/remote_address.py has the rule)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from conftest import PhoneAgent
from peers.kamailio import Kamailio
from peers.natlab import PBX4, NatLab
from peers.rawsip import RawSipClient, header, new_branch, new_tag, status_code


def invite_with_c(pbx: Kamailio, addrtype: str, address: str) -> tuple[int, str]:
    """Send an INVITE for 1000 from a stranger on the PBX host; (final status, Warning)."""
    with RawSipClient("udp", PBX4, pbx.ports.sip) as raw:
        host, port = raw.local
        sdp = (f"v=0\r\no=- 1 1 IN {addrtype} {address}\r\ns=-\r\nc=IN {addrtype} {address}\r\n"
               "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")  # fmt: skip
        branch, tag, call_id = new_branch(), new_tag(), uuid.uuid4().hex
        head = (f"INVITE {pbx.aor('1000')} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:stranger@peer.example>;tag={tag}\r\nTo: <{pbx.aor('1000')}>\r\n"
                f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:stranger@{host}:{port}>\r\n"
                f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n")  # fmt: skip
        raw.send(head + sdp)
        final = raw.recv_response("INVITE", timeout=10)
        raw.send(f"ACK {pbx.aor('1000')} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport\r\nMax-Forwards: 70\r\n"
                 f"From: <sip:stranger@peer.example>;tag={tag}\r\nTo: {header(final, 'To')}\r\n"
                 f"Call-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
        return status_code(final), header(final, "Warning")


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("addrtype", "address", "reason"),
    [("IP6", "2001:db8:203::99", "IP6 2001:db8:203::99"), ("IP4", "127.0.0.1", "loopback")],
    ids=["ipv6-on-ipv4-path", "loopback"],
)
def test_an_unusable_sdp_address_is_refused_with_488(
    pbx: Kamailio, phone: Callable[..., PhoneAgent], natlab: NatLab,
    addrtype: str, address: str, reason: str,
) -> None:  # fmt: skip
    pbx.unregister("1000")
    agent = phone(aor=pbx.aor("1000"), proxy=pbx.uri("udp"), password=pbx.accounts["1000"],
                  action="idle", wait_s=3)  # fmt: skip
    assert agent.ready()["registered"]
    status, _ = natlab.pbx.call(invite_with_c, pbx, addrtype, address)
    assert status == 488
    result = agent.result()
    assert result["ok"], result
    ended = result["ended"]
    assert ended["status"] == 488 and "not_acceptable" in ended["outcome"].lower(), result
    assert "c=" in ended["reason"] and reason in ended["reason"], result
