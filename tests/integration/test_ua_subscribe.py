"""Subscriptions and registrar corner cases against SIPp as the server: message-summary
SUBSCRIBE/NOTIFY with refresh and unsubscribe (RFC 6665, RFC 3842), and REGISTER's retry after
423 Interval Too Brief (RFC 3261 10.2.8 / 10.3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_ua_common import FAST, Recorder, run

from peers.sipp import UAS_REGISTER_423, UAS_SUBSCRIBE_MWI, Sipp
from siperb.sip.subscription import MessageSummary
from siperb.sip.transport import TraceRecord
from siperb.sip.useragent import UserAgent, UserAgentConfig

pytestmark = pytest.mark.integration

SippFactory = Callable[..., Sipp]


@pytest.mark.timeout(40)
def test_message_summary_subscribe_refresh_unsubscribe(sipp_factory: SippFactory) -> None:
    sipp = sipp_factory(UAS_SUBSCRIBE_MWI, calls=1, timeout_s=25, keys={"expires": "2"})
    sipp.wait_listening()
    trace: list[TraceRecord] = []

    async def main() -> None:
        ua = UserAgent(UserAgentConfig(aor="sip:1000@siperb.test",
                                       proxy=f"sip:{sipp.uri_host}", timers=FAST,
                                       trace=trace.append))  # fmt: skip
        rec = Recorder(ua)
        await ua.start(register=False)
        try:
            sub = await ua.subscribe(f"sip:voicemail@{sipp.uri_host}")
            first = await rec.wait("notify")
            assert first["event"] == "message-summary"
            assert first["summary"] == MessageSummary(
                waiting=True, account=f"sip:voicemail@{sipp.host}", new=2, old=8,
                urgent_new=1, urgent_old=2)  # fmt: skip
            assert first["subscription"] is sub
            # Granted 2 s: the refresh goes out after ~1 s and brings the second NOTIFY.
            second = await rec.wait("notify", where=lambda e: e["summary"] is not None
                                    and not e["summary"].waiting)  # fmt: skip
            assert second["summary"].new == 0 and second["summary"].old == 10
            assert sub.notifications == 2 and sub.state == "active"
            await sub.close()
            final = await rec.wait("notify", where=lambda e: e["subscription"] is sub
                                   and e["body"] == b"")  # fmt: skip
            assert sub.state == "terminated" and final["event"] == "message-summary"
        finally:
            await ua.close()

    run(main())
    result = sipp.wait()
    assert result.ok, result.errors + result.log[-2000:]
    subscribes = [r.data for r in trace if r.direction == "out" and r.data.startswith(b"SUBSCRIBE")]
    assert len(subscribes) == 3
    assert b"Expires: 0\r\n" in subscribes[-1] and b"Expires: 0\r\n" not in subscribes[1]
    # The refresh and the unsubscribe are in the dialog: the notifier's tag is in To.
    assert all(b";tag=" in s.split(b"\r\nTo:")[1].split(b"\r\n")[0] for s in subscribes[1:])
    answers = [r.data for r in trace if r.direction == "out" and r.data.startswith(b"SIP/2.0")]
    assert len(answers) == 3 and all(a.startswith(b"SIP/2.0 200") for a in answers)


@pytest.mark.timeout(30)
def test_register_423_retries_with_min_expires(sipp_factory: SippFactory) -> None:
    sipp = sipp_factory(UAS_REGISTER_423, calls=1, timeout_s=20)
    sipp.wait_listening()
    trace: list[TraceRecord] = []

    async def main() -> None:
        ua = UserAgent(UserAgentConfig(aor="sip:1000@siperb.test", proxy=f"sip:{sipp.uri_host}",
                                       registrar=f"sip:{sipp.uri_host}", expires=60,
                                       timers=FAST, trace=trace.append))  # fmt: skip
        rec = Recorder(ua)
        try:
            await ua.start()
            ev = await rec.wait("registered")
            assert ev["expires"] == 1800 and ua.registration.granted == 1800
            assert ua.registration.requested_expires == 1800  # refreshes ask for it too
            assert ua.registration.last_status == 200
        finally:
            await ua.close()
        assert (await rec.wait("unregistered"))["status"] == 200

    run(main())
    result = sipp.wait()
    assert result.ok, result.errors + result.log[-2000:]
    registers = [r.data for r in trace if r.direction == "out" and r.data.startswith(b"REGISTER")]
    assert [b"Expires: 60\r\n" in registers[0], b"Expires: 1800\r\n" in registers[1],
            b"Expires: 0\r\n" in registers[2]] == [True, True, True]  # fmt: skip
