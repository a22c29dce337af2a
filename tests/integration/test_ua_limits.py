"""Bounded resources for incoming calls: an INVITE flood straight at the UA's socket meets the
ringing limit (503 + Retry-After) before any media socket is bound, unanswered calls end with
480 after the ring timeout, a UA at its call limit answers 486, the file descriptors come back
to their baseline, and the flooded phone still places a call."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import socket
import uuid

import pytest
from test_ua_common import incoming, run, started

from peers.kamailio import DOMAIN, Kamailio
from siperb.media import closer
from siperb.sip.session import CallState, Outcome
from siperb.sip.useragent import UserAgent

pytestmark = pytest.mark.integration

SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
)


def open_fds() -> set[tuple[str, str]]:
    """This process's descriptors with what each one is (socket:[inode], pipe, file): a
    comparison by identity, so that an unrelated object's descriptor closed by the garbage
    collector meanwhile can neither hide a leak nor fail the test."""
    fds = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # the listing's own, already closed
            fds.add((fd, os.readlink(f"/proc/self/fd/{fd}")))
    return fds


def invite(port: int, call_id: str) -> bytes:
    return (
        f"INVITE sip:1000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
        f"From: <sip:flood@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\nTo: <sip:1000@{DOMAIN}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:flood@127.0.0.1:{port}>\r\n"
        f"Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n"
        f"\r\n{SDP}"
    ).encode()


class Flooder:
    """A raw UDP socket that sends INVITEs at a UA and records each Call-ID's responses."""

    def __init__(self, ua: UserAgent) -> None:
        assert ua.flow is not None
        self.target = (ua.flow.local.host, ua.flow.local.port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.responses: dict[str, list[tuple[int, str]]] = {}
        self.untagged: set[int] = set()  # final statuses whose To has no tag (RFC 3261 8.2.6.2)

    def send(self, call_id: str) -> None:
        self.sock.sendto(invite(self.port, call_id), self.target)

    async def collect(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 65535), left)
            except asyncio.TimeoutError:
                return
            status = int(data.split(b" ", 2)[1])
            call_id = re.search(rb"\r\nCall-ID: *(\S+)", data)
            retry = re.search(rb"\r\nRetry-After: *(\S+)", data)
            assert call_id is not None
            to = re.search(rb"\r\nTo: *([^\r]*)", data)
            if status >= 200 and (to is None or b";tag=" not in to.group(1)):
                self.untagged.add(status)
            self.responses.setdefault(call_id.group(1).decode(), []).append(
                (status, retry.group(1).decode() if retry else "")
            )

    def finals(self) -> dict[str, set[int]]:
        return {c: {s for s, _ in r if s >= 200} for c, r in self.responses.items()}


async def leaked_fds(baseline: set[tuple[str, str]], timeout: float = 5.0) -> set[tuple[str, str]]:
    """Descriptors open now that were not open at the baseline, once there are none (or after
    timeout: the ones still open)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while (new := open_fds() - baseline) and loop.time() < end:
        await asyncio.sleep(0.1)
    return new


@pytest.mark.timeout(60)
def test_invite_flood_is_bounded_and_the_phone_still_calls(kamailio: Kamailio) -> None:
    async def main() -> None:
        a, arec = await started(kamailio, "1000", max_calls=3, max_ringing_calls=2,
                                retry_after=7, ring_timeout=1.5)  # fmt: skip
        b, brec = await started(kamailio, "1001", max_calls=1)
        flood = Flooder(a)
        try:
            a.make_media().close()  # the shared media engine (its epoll, timerfd, eventfds)
            await asyncio.to_thread(closer.drain, 10)  # that probe's sockets are really closed
            await asyncio.sleep(0.3)
            gc.collect()
            baseline = open_fds()
            ids = [f"flood-{i}-{uuid.uuid4().hex[:6]}" for i in range(40)]
            for call_id in ids:
                flood.send(call_id)
            await flood.collect(1.0)
            during = len(open_fds() - baseline)
            finals = flood.finals()
            ringing = [c for c in ids if not finals.get(c)]
            refused = [c for c in ids if finals.get(c) == {503}]
            print(f"fds: baseline {len(baseline)}, new during the flood {during}")
            assert len(ringing) == 2 and len(refused) == 38, finals
            assert all((180, "") in flood.responses[c] for c in ringing)
            assert all((503, "7") in flood.responses[c] for c in refused)
            assert not flood.untagged
            assert len(a.calls) == 2
            assert during <= 2 * 2  # RTP + RTCP for each ringing call, no more
            # The ring timeout ends both unanswered calls with 480 and frees their media.
            await flood.collect(2.0)
            assert all(480 in flood.finals()[c] for c in ringing)
            assert a.calls == [] and not a.router.dialogs
            ended = [e for e in arec.events if e.name == "call_state"
                     and e["state"] is CallState.TERMINATED]  # fmt: skip
            assert {e["call"].outcome for e in ended} == {Outcome.TIMEOUT}
            after = await leaked_fds(baseline)
            print(f"fds left after the flood: {after}")
            assert not after
            # The flooded phone still places a call; the callee, at its limit, answers 486.
            call = await a.call("1001")
            inbound = await incoming(brec)
            await inbound.answer()
            await call.wait_for(CallState.ESTABLISHED, timeout=10)
            busy = Flooder(b)
            busy.send("busy-1")
            await busy.collect(1.0)
            busy.sock.close()
            assert busy.finals()["busy-1"] == {486} and not busy.untagged
            await call.hangup()
            await inbound.wait_for(CallState.TERMINATED, timeout=10)
            assert a.calls == [] and b.calls == []
            assert not await leaked_fds(baseline)
        finally:
            flood.sock.close()
            await a.close()
            await b.close()

    run(main(), 50)
