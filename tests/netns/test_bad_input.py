"""Bad input from across the test network. A peer on the PBX host sends the phone (behind the
NAT, registered over UDP) an INVITE through Kamailio whose SDP names a media address the phone
cannot use: an IPv6 ``c=`` on the phone's IPv4 path, or a loopback address. The phone refuses
with 488 (no call with one-way or no audio) and its call ends with outcome not_acceptable and a
reason naming ``c=`` (python/siperb/media/remote_address.py has the rule). A Contact naming
another host only becomes the dialog's Request-URI: requests still go over the phone's flow to
its proxy."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable

import pytest

from conftest import PhoneAgent
from peers.kamailio import Kamailio
from peers.natlab import DOMAIN, NAT_PRIVATE4, PBX4, NatLab
from peers.rawsip import RawSipClient, header, new_branch, new_tag, status_code

ELSEWHERE = "203.0.113.66"  # no host has it


def invite_from_a_stranger(pbx: Kamailio, addrtype: str, address: str,
                           contact_host: str | None = None) -> tuple[int, str]:  # fmt: skip
    """Send an INVITE for 1000 from a stranger on the PBX host (SDP ``c=IN addrtype address``,
    Contact at ``contact_host`` or its own socket) and ACK the final response; (status,
    Warning)."""
    with RawSipClient("udp", PBX4, pbx.ports.sip) as raw:
        host, port = raw.local
        sdp = (f"v=0\r\no=- 1 1 IN {addrtype} {address}\r\ns=-\r\nc=IN {addrtype} {address}\r\n"
               "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")  # fmt: skip
        branch, tag, call_id = new_branch(), new_tag(), uuid.uuid4().hex
        contact = f"sip:stranger@{contact_host or host}:{5060 if contact_host else port}"
        common = (f"Max-Forwards: 70\r\nFrom: <sip:stranger@peer.example>;tag={tag}\r\n"
                  f"Call-ID: {call_id}\r\n")  # fmt: skip
        raw.send(f"INVITE {pbx.aor('1000')} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport\r\n{common}"
                 f"To: <{pbx.aor('1000')}>\r\nCSeq: 1 INVITE\r\nContact: <{contact}>\r\n"
                 "Content-Type: application/sdp\r\n"
                 f"Content-Length: {len(sdp)}\r\n\r\n{sdp}")  # fmt: skip
        final = raw.recv_response("INVITE", timeout=10)
        status = status_code(final)
        if status < 300:  # ACK of a 2xx: its own transaction, to the Contact via the route
            target = header(final, "Contact").strip("<>").split(">")[0]
            route = header(final, "Record-Route")
            via = f"{host}:{port};branch={new_branch()};rport"
            raw.send(f"ACK {target} SIP/2.0\r\nVia: SIP/2.0/UDP {via}\r\nRoute: {route}\r\n"
                     f"{common}To: {header(final, 'To')}\r\nCSeq: 1 ACK\r\n"
                     "Content-Length: 0\r\n\r\n")  # fmt: skip
        else:
            raw.send(f"ACK {pbx.aor('1000')} SIP/2.0\r\n"
                     f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport\r\n{common}"
                     f"To: {header(final, 'To')}\r\nCSeq: 1 ACK\r\n"
                     "Content-Length: 0\r\n\r\n")  # fmt: skip
        return status, header(final, "Warning")


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
    status, _ = natlab.pbx.call(invite_from_a_stranger, pbx, addrtype, address)
    assert status == 488
    result = agent.result()
    assert result["ok"], result
    ended = result["ended"]
    assert ended["status"] == 488 and "not_acceptable" in ended["outcome"].lower(), result
    assert "c=" in ended["reason"] and reason in ended["reason"], result


@pytest.mark.timeout(60)
def test_a_contact_pointing_elsewhere_is_only_the_request_uri(
    pbx: Kamailio, phone: Callable[..., PhoneAgent], natlab: NatLab
) -> None:
    """The stranger's INVITE (and so the dialog's remote target) names a Contact at
    203.0.113.66, a host that is not the peer. The phone answers; its BYE still goes over its
    flow to Kamailio (Route: the record-route), with the Contact only as Request-URI: nothing
    is ever sent to 203.0.113.66 from the phone's side of the NAT."""
    pbx.unregister("1000")
    agent = phone(aor=pbx.aor("1000"), proxy=pbx.uri("udp"), password=pbx.accounts["1000"],
                  action="wait_call", no_audio=True, hold_s=0.5, t1=0.05)  # fmt: skip
    assert agent.ready()["registered"]
    status, _ = natlab.pbx.call(invite_from_a_stranger, pbx, "IP4", PBX4, ELSEWHERE)
    assert status == 200
    result = agent.result()
    assert result["ok"] and result["established"], result
    assert "CallState.TERMINATED" in result["call_states"], result
    flows = natlab.mappings()
    assert ELSEWHERE not in flows, flows


def send_spoofed_response(to: str) -> None:
    """From the router's LAN address: a 200 OK claiming the phone is at 198.51.100.66:1234."""
    host, port = to.rsplit(":", 1)
    text = ("SIP/2.0 200 OK\r\n"
            f"Via: SIP/2.0/UDP {to};branch=z9hG4bKspoof;rport=1234;received=198.51.100.66\r\n"
            f"From: <sip:1000@{DOMAIN}>;tag=x\r\nTo: <sip:1000@{DOMAIN}>;tag=y\r\n"
            "Call-ID: spoof\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((NAT_PRIVATE4, 5060))
        for _ in range(3):
            s.sendto(text.encode(), (host, int(port)))


@pytest.mark.timeout(60)
def test_a_spoofed_via_received_does_not_move_the_phone(
    pbx: Kamailio, phone: Callable[..., PhoneAgent], natlab: NatLab
) -> None:
    """A response from a host on the phone's LAN (not its proxy) whose Via received/rport name
    another address: ignored (logged), so no "remapped" event and no re-registration."""
    pbx.unregister("1000")
    agent = phone(aor=pbx.aor("1000"), proxy=pbx.uri("udp"), password=pbx.accounts["1000"],
                  action="idle", wait_s=2, udp_keepalive_interval=0.5)  # fmt: skip
    state = agent.ready()
    natlab.nat.call(send_spoofed_response, state["local"])
    result = agent.result()
    assert result["ok"], result
    assert not [e for e in result["events"] if e["state"] == "remapped"], result
    assert [e["name"] for e in result["events"]].count("registered") == 1, result


def answering_stranger(port: int, got: list[str]) -> None:
    """A UAS on the PBX host (PBX4:``port``) answering one INVITE with 200 whose SDP says
    ``c=IN IP6``; records the methods it receives, answers the BYE, then returns."""

    def reply(head: list[str], status: str, body: str = "", tag: str = "") -> str:
        keep = ("via", "record-route", "from", "call-id", "cseq")
        lines = [f"SIP/2.0 {status}"] + [ln for ln in head if ln.split(":")[0].lower() in keep]
        lines += [ln + tag for ln in head if ln.split(":")[0].lower() == "to"]
        lines += [f"Contact: <sip:stranger@{PBX4}:{port}>"] if body else []
        if body:
            lines.append("Content-Type: application/sdp")
        return "\r\n".join([*lines, f"Content-Length: {len(body)}", "", body])

    sdp = ("v=0\r\no=- 1 1 IN IP6 2001:db8:203::99\r\ns=-\r\nc=IN IP6 2001:db8:203::99\r\n"
           "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")  # fmt: skip
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((PBX4, port))
        s.settimeout(15)
        while "BYE" not in got:
            data, addr = s.recvfrom(65535)
            head = data.decode(errors="replace").split("\r\n\r\n", 1)[0].split("\r\n")
            method = head[0].split(" ", 1)[0]
            got.append(method)
            if method == "INVITE":
                s.sendto(reply(head[1:], "200 OK", sdp, ";tag=stranger").encode(), addr)
            elif method == "BYE":
                s.sendto(reply(head[1:], "200 OK").encode(), addr)


@pytest.mark.timeout(60)
def test_an_answer_with_an_unusable_address_ends_the_call(
    pbx: Kamailio, phone: Callable[..., PhoneAgent], natlab: NatLab
) -> None:
    """The phone calls a UAS on the PBX host whose 200 OK carries an IPv6 c= (the phone's
    media is IPv4): the phone ACKs, then sends BYE at once; the call ends not_acceptable
    (status 488) with a reason naming c=. No call is left up without audio."""
    got: list[str] = []
    port = 5099
    uas = threading.Thread(target=natlab.pbx.call, args=(answering_stranger, port, got))
    uas.start()
    agent = phone(aor=pbx.aor("1000"), proxy=pbx.uri("udp"), password=pbx.accounts["1000"],
                  action="call", target=f"sip:stranger@{PBX4}:{port}")  # fmt: skip
    assert agent.ready()["registered"]
    result = agent.result()
    uas.join(20)
    assert result["ok"] and not result["established"], result
    ended = result["ended"]
    assert ended["status"] == 488 and "not_acceptable" in ended["outcome"].lower(), result
    assert "c=: IN IP6" in ended["reason"], result
    assert got[0] == "INVITE" and "ACK" in got and got[-1] == "BYE", got
