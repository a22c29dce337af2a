"""Registration of the siperb UserAgent at a real Kamailio, over every transport."""

from __future__ import annotations

import pytest
from test_ua_common import Recorder, config, run, started

from peers.kamailio import Kamailio
from siperb.sip.registration import RegistrationError
from siperb.sip.transport import TraceRecord
from siperb.sip.useragent import UserAgent

pytestmark = pytest.mark.integration

TRANSPORTS = [(t, h) for h in ("127.0.0.1", "::1") for t in ("udp", "tcp", "tls", "ws", "wss")]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("transport", "host"), TRANSPORTS)
def test_register_and_unregister(kamailio: Kamailio, transport: str, host: str) -> None:
    kamailio.unregister("1004")

    async def main() -> None:
        ua, rec = await started(kamailio, "1004", transport, host)
        try:
            ev = await rec.wait("registered")
            assert ev["status"] == 200 and ev["expires"] > 0
            contacts = kamailio.contacts("1004")
            assert len(contacts) == 1
            if transport in ("ws", "wss"):
                assert ".invalid" in contacts[0] or "alias=" in contacts[0]
            assert f"transport={transport}" in ua.contact()
            if transport in ("ws", "wss"):
                assert ";ob" in ua.contact()
                assert ua.via().startswith(f"SIP/2.0/{transport.upper()} ")
                assert ".invalid;" in ua.via()
        finally:
            await ua.close()
        ev = await rec.wait("unregistered")
        assert ev["status"] == 200
        assert kamailio.contacts("1004") == []

    run(main())


@pytest.mark.timeout(30)
@pytest.mark.parametrize("transport", ["udp", "wss"])
def test_wrong_password_fails_with_401(kamailio: Kamailio, transport: str) -> None:
    async def main() -> None:
        ua = UserAgent(config(kamailio, "1003", transport, password="wrong"))
        rec = Recorder(ua)
        try:
            with pytest.raises(RegistrationError) as info:
                await ua.start()
            assert info.value.status == 401
            ev = await rec.wait("registration_failed")
            assert ev["status"] == 401
        finally:
            await ua.close()
        assert kamailio.contacts("1003") == []

    run(main())


@pytest.mark.timeout(30)
def test_tls_verification_is_on_by_default(kamailio: Kamailio) -> None:
    async def main() -> None:
        ua = UserAgent(config(kamailio, "1003", "tls", tls_ca_file=None))
        try:
            with pytest.raises(Exception, match=r"(?i)certificate|verify"):
                await ua.start()
        finally:
            await ua.close()
        # The explicit opt-out for lab PBXs connects without the CA.
        ua = UserAgent(config(kamailio, "1003", "tls", tls_ca_file=None, tls_verify=False))
        try:
            await ua.start()
            assert ua.registration.registered
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(30)
def test_two_instances_of_one_aor_and_extra_headers_with_redacted_trace(
    kamailio: Kamailio,
) -> None:
    kamailio.unregister("1002")
    trace: list[TraceRecord] = []
    extra = {"REGISTER": [("X-Siperb-Sid", "sid-1"), ("X-Siperb-Uid", "uid-1")],
             "*": [("Authorization", "Bearer secret-token-123")]}  # fmt: skip

    async def main() -> None:
        a = UserAgent(
            config(
                kamailio,
                "1002",
                "tcp",
                instance_id="urn:uuid:00000000-0000-4000-8000-000000000001",
                outbound=True,
                extra_headers=extra,
                trace=trace.append,
            )
        )
        b = UserAgent(
            config(
                kamailio, "1002", "udp", instance_id="urn:uuid:00000000-0000-4000-8000-000000000002"
            )
        )
        try:
            await a.start()
            await b.start()
            assert len(kamailio.wait_registered("1002", count=2)) == 2
        finally:
            await a.close()
            await b.close()

    run(main())
    out = b"".join(r.data for r in trace if r.direction == "out")
    assert b"X-Siperb-Sid: sid-1" in out and b"+sip.instance=" in out and b"reg-id=1" in out
    assert b"secret-token-123" not in out, "bearer tokens must be redacted in traces"
    assert b'response="<redacted>"' in out, "digest responses must be redacted in traces"
    assert b"pw1002secret" not in out
