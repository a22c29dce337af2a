"""The frame's TLS listener on loopback (the same code a non-loopback bind must use): https and
wss with a test CA's certificate, the token/Host/Origin checks and the CSP unchanged, and the
binds it refuses. The remote browser test is tests/netns/test_ui_remote.py.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from siperb.errors import SiperbError
from siperb.ui import WebFrame

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peers.tls_ca import TestCa


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    return TestCa(tmp_path_factory.mktemp("ca"))


def _client(ca: TestCa) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.ca_pem))


def _get(url: str, context: ssl.SSLContext | None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_https_and_wss_on_loopback_with_the_checks_unchanged(ca: TestCa) -> None:
    cert, key = ca.issue(["127.0.0.1"], "loop")

    async def main() -> None:
        async with WebFrame(certificate=cert, key=key,
                            allowed_origins=["https://app.example"]) as frame:  # fmt: skip
            port = frame.http.port
            assert frame.url.startswith(f"https://127.0.0.1:{port}/f/")
            status, headers, body = await asyncio.to_thread(_get, frame.url, _client(ca))
            assert status == 200 and b"<html" in body.lower()
            policy = headers["Content-Security-Policy"]
            assert f"connect-src 'self' wss://127.0.0.1:{port};" in policy, policy
            assert "frame-ancestors 'self' https://app.example" in policy, policy
            # without the token: refused, over TLS as over plain http
            status, _, _ = await asyncio.to_thread(_get, f"https://127.0.0.1:{port}/f/x/",
                                                   _client(ca))  # fmt: skip
            assert status == 403
            # plain http to the TLS port: no page (the TLS handshake fails)
            with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
                await asyncio.to_thread(_get, frame.url.replace("https:", "http:"), None)
            wss = frame.url.replace("https://", "wss://") + "ws"
            ws = await connect(wss, origin=frame.origin, ssl=_client(ca))  # type: ignore[arg-type]
            await ws.send(json.dumps({"id": 1, "op": "hello", "languages": ["en"]}))
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert first["type"] == "hello" and "token" not in json.dumps(first).lower()
            await ws.close()
            for origin in ("https://evil.example", f"http://127.0.0.1:{port}", None):
                with pytest.raises(InvalidStatus) as info:
                    await connect(wss, origin=origin, ssl=_client(ca))  # type: ignore[arg-type]
                assert info.value.response.status_code == 403, origin
            # the certificate is checked by clients: another CA's client refuses it
            other = TestCa(ca.directory / "other")
            with pytest.raises(ssl.SSLCertVerificationError):
                await connect(wss, origin=frame.origin, ssl=_client(other))  # type: ignore[arg-type]

    asyncio.run(asyncio.wait_for(main(), 30))


def test_server_name_is_the_url_and_an_accepted_host(ca: TestCa) -> None:
    cert, key = ca.issue(["localhost"], "named")

    async def main() -> None:
        async with WebFrame(certificate=cert, key=key, server_name="localhost") as frame:
            assert frame.origin == f"https://localhost:{frame.http.port}"
            status, _, _ = await asyncio.to_thread(_get, frame.url, _client(ca))
            assert status == 200

    asyncio.run(asyncio.wait_for(main(), 30))


@pytest.mark.parametrize(
    ("host", "tls", "reason"),
    [
        ("198.51.100.7", False, "a non-loopback bind needs TLS"),
        ("0.0.0.0", False, "a non-loopback bind needs TLS"),
        ("0.0.0.0", True, "wildcard address"),
        ("::", True, "wildcard address"),
        ("phone.example", True, "not an IP address"),
    ],
)
def test_binds_refused(ca: TestCa, host: str, tls: bool, reason: str) -> None:
    cert, key = ca.issue(["198.51.100.7"], "refused")
    extra: dict[str, Any] = {"certificate": cert, "key": key} if tls else {}
    with pytest.raises(SiperbError) as info:
        WebFrame(host=host, **extra)
    assert (info.value.field, info.value.reason) == ("host", reason)


def test_a_certificate_that_does_not_load_is_named(ca: TestCa, tmp_path: Path) -> None:
    cert, _ = ca.issue(["127.0.0.1"], "nokey")
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    for c, k in ((cert, bad), (tmp_path / "missing.pem", None)):
        with pytest.raises(SiperbError) as info:
            WebFrame(certificate=c, key=k)
        assert info.value.field == "certificate", info.value


def test_the_browser_leg_uses_the_phones_stun_and_turn() -> None:
    """The "This browser" leg gathers with the servers the phone's calls use (its UA config)."""
    from types import SimpleNamespace

    from siperb.ui.browser_audio import BrowserAudio

    config = SimpleNamespace(stun_server="stun:198.51.100.9", turn_server="turn:198.51.100.9",
                             turn_username="u", turn_password="p")  # fmt: skip
    ice = BrowserAudio.ice(SimpleNamespace(ua=SimpleNamespace(config=config)))
    assert ice.engine_config()["stun_server"] == "198.51.100.9:3478"
    assert ice.engine_config()["turn_server"] == "198.51.100.9:3478"
    assert ice.turn_username == "u" and ice.turn_password == "p"
    assert BrowserAudio.ice(None).engine_config()["stun_server"] == ""
