"""The provisioning object names the transport (UDP, TCP, TLS, WS, WSS) and how TLS is trusted.

Against the Kamailio fixture, which serves all five with a throw-away self-signed certificate:
each transport registers; the TLS ones verify the certificate by default (so without a CA they
fail), accept it with ``SipCaFile`` pointing at it, and with the REST API's
``SelfSignedCertificate`` flag (verification off, a warning logged).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

import siperb
from peers.kamailio import DOMAIN, Kamailio
from siperb.phone.phone import Phone
from siperb.sip.transaction import Timers

pytestmark = pytest.mark.integration
FAST = Timers(t1=0.1, t2=0.4, t4=0.5)


def _prov(kam: Kamailio, transport: str, **extra: Any) -> dict[str, Any]:
    port = {"UDP": kam.ports.sip, "TCP": kam.ports.sip, "TLS": kam.ports.tls,
            "WS": kam.ports.ws, "WSS": kam.ports.wss}[transport]  # fmt: skip
    return {"RegistrationMode": "Socket", "SipWssServer": kam.host, "SipUsername": "1000",
            "SipPassword": kam.accounts["1000"], "SipDomain": DOMAIN, "SipContact": "",
            "SipWebsocketPort": port, "SipServerPath": "/ws", "SipTransport": transport,
            **extra}  # fmt: skip


async def _register(prov: dict[str, Any], tmp: Path) -> Phone:
    return await siperb.ProvisionPhone(
        {"Provisioning": prov, "PhoneFrame": None, "ProfileUserId": "p", "SessionId": "s",
         "UserId": "u"}, history_path=tmp / "h.sqlite3", user_agent_options={"timers": FAST},
    )  # fmt: skip


@pytest.mark.timeout(60)
@pytest.mark.parametrize("transport", ["UDP", "TCP", "TLS", "WS", "WSS"])
def test_each_transport_registers(kamailio: Kamailio, tmp_path: Path, transport: str) -> None:
    extra = {"SipCaFile": str(kamailio.cert)} if transport in ("TLS", "WSS") else {}

    async def main() -> None:
        async with await _register(_prov(kamailio, transport, **extra), tmp_path) as phone:
            await phone.wait_loaded(10.0)
            assert phone.registered
            assert phone.ua is not None
            flow = phone.ua.flow
            assert flow is not None and flow.kind.value == transport
        assert kamailio.contacts("1000") == []

    asyncio.run(main())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("transport", ["TLS", "WSS"])
def test_tls_verifies_by_default_and_self_signed_flag_warns(
    kamailio: Kamailio, tmp_path: Path, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        with pytest.raises(siperb.SiperbError) as info:  # the self-signed cert is not trusted
            phone = await _register(_prov(kamailio, transport), tmp_path)
            async with phone:
                await phone.wait_loaded(10.0)
                assert phone.registered
        assert "certificate" in str(info.value).lower()
        caplog.clear()
        with caplog.at_level(logging.WARNING, "siperb"):
            flagged = _prov(kamailio, transport, SelfSignedCertificate=True)
            async with await _register(flagged, tmp_path) as phone:
                await phone.wait_loaded(10.0)
                assert phone.registered
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("not verified" in w and "SelfSignedCertificate" in w for w in warnings)

    asyncio.run(main())
