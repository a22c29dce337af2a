"""After answering, the first request we send in the call waits for the caller's ACK.

Until the ACK of our 2xx arrives, the caller may not have the 2xx yet: a REFER, INFO,
re-INVITE or BYE sent at once can overtake it and be refused with 481, because the dialog does
not exist there yet (RFC 3261 15.1.1 forbids such a BYE; 14.2 such a re-INVITE). The fleet's
blind-transfer test failed so under CPU load: its handler transferred the call as soon as it was
answered. The caller here is hand-written SIP over UDP that holds its ACK back.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

from test_sip_cancel_unanswered import _reply

from siperb import sip
from siperb.errors import TransportError
from siperb.media import SdpOnlyMedia
from siperb.sip.session import CallState, Outcome
from siperb.sip.transaction import Timers
from siperb.sip.useragent import UserAgent, UserAgentConfig

T1 = 0.02  # 64*T1 = 1.28 s: the 2xx retransmissions give up quickly
HOLD = 0.4  # how long the caller keeps its ACK back

SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


class SlowAckCaller(asyncio.DatagramProtocol):
    """Sends one INVITE; keeps every message it gets with the time it came; answers the
    callee's requests 200 (BYE, INFO)."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.got: list[tuple[str, float]] = []
        self.ok: asyncio.Future[sip.Message] = asyncio.get_running_loop().create_future()
        self.call_id = uuid.uuid4().hex
        self.port = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        msg = sip.parse(data)
        now = asyncio.get_running_loop().time()
        if msg.method:
            self.got.append((msg.method, now))
            if msg.method != "ACK":
                self.transport.sendto(_reply(msg, 200, "OK"), addr)
            return
        self.got.append((str(msg.status), now))
        if msg.status == 200 and not self.ok.done():
            self.ok.set_result(msg)

    def _via(self) -> str:
        return f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bK{uuid.uuid4().hex}"

    def invite(self, callee: tuple[str, int]) -> None:
        lines = [
            f"INVITE sip:bob@127.0.0.1:{callee[1]} SIP/2.0", self._via(),
            "Max-Forwards: 70", "From: <sip:carol@127.0.0.1>;tag=caller1",
            "To: <sip:bob@127.0.0.1>", f"Call-ID: {self.call_id}", "CSeq: 1 INVITE",
            f"Contact: <sip:carol@127.0.0.1:{self.port}>", "Content-Type: application/sdp",
            f"Content-Length: {len(SDP)}", "", SDP,
        ]  # fmt: skip
        self.transport.sendto("\r\n".join(lines).encode(), callee)

    def ack(self, ok: sip.Message, callee: tuple[str, int]) -> None:
        lines = [
            f"ACK sip:bob@127.0.0.1:{callee[1]} SIP/2.0", self._via(), "Max-Forwards: 70",
            "From: <sip:carol@127.0.0.1>;tag=caller1", f"To: {ok.header('To')}",
            f"Call-ID: {self.call_id}", "CSeq: 1 ACK", "Content-Length: 0", "", "",
        ]  # fmt: skip
        self.transport.sendto("\r\n".join(lines).encode(), callee)

    def first(self, what: str) -> float | None:
        return next((t for m, t in self.got if m == what), None)


async def _answered_call(act: Any, ack_after: float | None) -> tuple[SlowAckCaller, Any, Any]:
    """A call from the raw caller, answered by a siperb UA that runs ``act(call)`` right after
    answering; the caller ACKs ``ack_after`` seconds after the 200 (never when None).
    Returns the caller, (the call, the ACK's time, the call's state once ``act`` returned) and
    what ``act`` returned or raised."""
    loop = asyncio.get_running_loop()
    transport, caller = await loop.create_datagram_endpoint(
        SlowAckCaller, local_addr=("127.0.0.1", 0), family=socket.AF_INET
    )
    ua = UserAgent(UserAgentConfig(  # the caller is the outbound proxy of our requests too
        aor="sip:bob@127.0.0.1", proxy=f"sip:127.0.0.1:{caller.port};transport=udp",
        udp_keepalive_interval=None, timers=Timers(t1=T1),
        media_factory=lambda ua: SdpOnlyMedia(ua.media_host()),
    ))  # fmt: skip
    await ua.start(register=False)
    done: asyncio.Future[Any] = loop.create_future()

    async def answer_then_act(call: Any) -> None:
        await call.answer()
        try:
            result = await act(call)
        except Exception as exc:
            result = exc
        done.set_result((call, result, call.state))

    ua.events.on("incoming_call", lambda e: ua.spawn(answer_then_act(e["call"])))
    callee = ("127.0.0.1", ua.local_endpoint().port)
    try:
        caller.invite(callee)
        ok = await asyncio.wait_for(caller.ok, 5)
        acked_at = None
        if ack_after is not None:
            await asyncio.sleep(ack_after)
            acked_at = loop.time()
            caller.ack(ok, callee)
        call, result, state = await asyncio.wait_for(done, 10)
        await asyncio.sleep(0.1)  # let the caller see what followed
        return caller, (call, acked_at, state), result
    finally:
        await ua.close()
        transport.close()


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_an_info_sent_right_after_answering_waits_for_the_ack() -> None:
    async def main() -> None:
        caller, (_, acked_at, state), result = await _answered_call(
            lambda call: call.send_dtmf("5", method="info"), HOLD
        )
        assert result is None, result
        info = caller.first("INFO")
        assert info is not None, caller.got
        assert info >= acked_at, f"INFO {info - acked_at:+.3f} s from the ACK: it overtook it"
        assert state is CallState.ESTABLISHED

    run(main())


def test_a_hangup_right_after_answering_sends_its_bye_after_the_ack() -> None:
    async def main() -> None:
        caller, (call, acked_at, state), _ = await _answered_call(lambda call: call.hangup(), HOLD)
        bye = caller.first("BYE")
        assert bye is not None, caller.got
        assert bye >= acked_at, f"BYE {bye - acked_at:+.3f} s from the ACK: it overtook it"
        assert state is CallState.TERMINATED
        assert call.outcome is Outcome.COMPLETED

    run(main())


def test_with_no_ack_the_waiting_request_fails_and_the_call_ends_with_bye() -> None:
    async def main() -> None:
        caller, (call, _, state), result = await _answered_call(
            lambda call: call.send_dtmf("5", method="info"), None
        )
        assert isinstance(result, TransportError), result
        assert caller.first("INFO") is None, caller.got
        assert caller.first("BYE") is not None, caller.got  # 13.3.1.4: no ACK in 64*T1
        assert state is CallState.TERMINATED and call.outcome is Outcome.NO_ACK

    run(main())


def test_an_ack_that_comes_at_once_delays_nothing() -> None:
    async def main() -> None:
        caller, (_, acked_at, state), result = await _answered_call(
            lambda call: call.send_dtmf("5", method="info"), 0.0
        )
        assert result is None, result
        info = caller.first("INFO")
        assert info is not None and info - acked_at < 0.2, caller.got
        assert state is CallState.ESTABLISHED

    run(main())


def test_a_hangup_given_up_while_waiting_for_the_ack_ends_the_call_with_one_bye() -> None:
    """A stack that closes cannot wait for an ACK: the call still ends, with a BYE."""

    async def main() -> None:
        caller, (call, _, state), result = await _answered_call(
            lambda call: asyncio.wait_for(call.hangup(), 0.2), None
        )
        assert isinstance(result, asyncio.TimeoutError), result
        assert state is CallState.TERMINATED
        assert call.outcome is Outcome.COMPLETED
        assert [m for m, _ in caller.got].count("BYE") == 1, caller.got

    run(main())
