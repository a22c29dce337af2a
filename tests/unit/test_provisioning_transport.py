"""SipTransport, SipCaFile and SelfSignedCertificate in the provisioning object (and from REST)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from siperb.errors import ProvisioningError
from siperb.phone import rest
from siperb.phone.provisioning import Provisioning

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # makes tests/contract importable
from contract.server import ContractServer, script_device

BASE = {"SipWssServer": "pbx.example", "SipUsername": "1000", "SipPassword": "pw",
        "SipWebsocketPort": 5061}  # fmt: skip


def prov(**extra: Any) -> Provisioning:
    return Provisioning.from_dict({**BASE, **extra})


@pytest.mark.parametrize(
    ("transport", "uri"),
    [("udp", "sip:pbx.example:5061;transport=udp"), ("TCP", "sip:pbx.example:5061;transport=tcp"),
     ("Tls", "sip:pbx.example:5061;transport=tls"), ("WS", "ws://pbx.example:5061/"),
     ("WSS", "wss://pbx.example:5061/")],
)  # fmt: skip
def test_transport_picks_the_uri(transport: str, uri: str) -> None:
    p = prov(SipTransport=transport)
    assert p.proxy_uri == uri and p.sip_transport == transport.upper()
    assert p.secure == (transport.upper() in ("TLS", "WSS"))
    assert Provisioning.from_dict(p.to_dict()).proxy_uri == uri  # round trip


def test_default_transport_follows_the_prefix() -> None:
    assert prov().sip_transport == "WSS" and "SipTransport" not in prov().to_dict()
    assert prov(SipWssServer="ws://pbx.example").sip_transport == "WS"


@pytest.mark.parametrize(
    "extra",
    [{"SipTransport": "SCTP"}, {"SipTransport": "UDP", "SipWssServer": "ws://pbx.example"},
     {"SipTransport": "WSS", "SipWssServer": "ws://pbx.example"},
     {"SipTransport": "WS", "SipWssServer": "wss://pbx.example"}],
)  # fmt: skip
def test_bad_or_contradicting_transport_names_the_key(extra: dict[str, Any]) -> None:
    with pytest.raises(ProvisioningError) as info:
        prov(**extra)
    assert info.value.field == "SipTransport"


def test_trust_verifies_by_default(tmp_path: Path) -> None:
    assert prov(SipTransport="TLS").tls_verify
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    pinned = prov(SipTransport="TLS", SipCaFile=str(ca), SelfSignedCertificate=True)
    assert pinned.tls_verify and pinned.sip_ca_file == str(ca)  # checked against the CA file
    assert not prov(SelfSignedCertificate=True).tls_verify
    with pytest.raises(ProvisioningError) as info:
        prov(SipCaFile=str(tmp_path / "missing.pem"))
    assert info.value.field == "SipCaFile"
    with pytest.raises(ProvisioningError) as info:
        prov(SelfSignedCertificate="yes")
    assert info.value.field == "SelfSignedCertificate"


def test_rest_device_flag_reaches_the_provisioning() -> None:
    settings = {**BASE, "RegistrationMode": "Socket"}
    devices = {"flagged": {**script_device(settings), "SelfSignedCertificate": True},
               "plain": script_device(settings)}  # fmt: skip
    with ContractServer(devices=devices) as srv:
        args = (srv.user_id, srv.session_token)
        flagged = asyncio.run(rest.get_provisioning(args[0], "flagged", args[1],
                                                    base_url=srv.base_url))  # fmt: skip
        plain = asyncio.run(rest.get_provisioning(args[0], "plain", args[1],
                                                  base_url=srv.base_url))  # fmt: skip
    assert flagged.self_signed_certificate and not flagged.tls_verify
    assert not plain.self_signed_certificate and plain.tls_verify
