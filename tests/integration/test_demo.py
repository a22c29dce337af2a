"""The built-in demo: `siperb demo` end to end, and the loopback service's SIP behaviour."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from siperb import sip
from siperb.demo import DEMO_PASSWORD, DEMO_USER, LoopbackService
from siperb.events import Event
from siperb.media import media_factory
from siperb.media.audio import WavFile
from siperb.sip.registration import RegistrationError
from siperb.sip.useragent import UserAgent, UserAgentConfig

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "argv", [["-m", "siperb", "demo", "--hold", "1", "--record", "build/test-demo-call.wav"]]
)
def test_siperb_demo_subprocess_prints_real_figures(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=45,
                          env=_env(), cwd=ROOT)  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    reg = re.search(r"^registration: ([\d.]+) ms \(sip:demo@127\.0\.0\.1", out, re.M)
    setup = re.search(r"^call setup: ([\d.]+) ms \(INVITE to sip:echo@127\.0\.0\.1 -> 200 OK, "
                      r"codec (\w+)\)", out, re.M)  # fmt: skip
    assert reg and setup, out
    assert float(reg.group(1)) > 0 and float(setup.group(1)) > 0
    assert setup.group(2) in ("opus", "PCMU", "PCMA")
    assert "dtmf: sent 123 by SIP INFO, echo peer received 123" in out
    held = re.search(r"^hold: ([\d.]+) s on hold", out, re.M)
    assert held and float(held.group(1)) >= 1.0
    assert re.search(r"^hangup: by local; history row: outbound, answered, [\d.]+ s$", out, re.M)
    states = re.findall(r"call state: .* \((\w+)\)", out)
    assert states == ["calling", "ringing", "established", "on_hold", "established",
                      "terminated"]  # fmt: skip
    audio = re.search(r"^audio: (\w+) round trip ([\d.]+) ms \(1 kHz burst out and back through "
                      r"the echo\), jitter ([\d.]+) ms, loss ([\d.]+) %, MOS ([\d.]+), RTP (\d+) "
                      r"sent / (\d+) received; recording (\S+)$", out, re.M)  # fmt: skip
    assert audio, out
    assert audio.group(1) == setup.group(2) == "opus"
    latency, mos = float(audio.group(2)), float(audio.group(5))
    assert 20.0 < latency < 1000.0  # two jitter buffers and two packet times at least
    assert 1.0 <= mos <= 5.0 and int(audio.group(6)) > 0 and int(audio.group(7)) > 0
    rate, channels, pcm = WavFile.read(audio.group(8))
    assert channels == 2 and len(pcm) > rate  # sent left, echoed right, over a second
    assert np.abs(pcm[:, 1].astype(np.int32)).max() > 1000  # the echo really came back
    assert "needs the media engine" not in out
    # the call back: dial `callback`, the service rings the phone, OnIncomingCall answers
    assert (
        "callback: dialled callback, refused with SIP 480 (the service calls back after 1 s)" in out
    ), out
    incoming = re.search(r"^incoming: .*sip:echo@127\.0\.0\.1.* rang ([\d.]+) s later; "
                         r"OnIncomingCall answered it in ([\d.]+) ms \(state established\)$",
                         out, re.M)  # fmt: skip
    assert incoming, out
    assert 0.9 <= float(incoming.group(1)) < 5.0 and float(incoming.group(2)) > 0
    heard = re.search(r"^incoming audio: (\d+) RTP packets received in 1 s$", out, re.M)
    assert heard and int(heard.group(1)) > 10, out
    assert re.search(r"^incoming hangup: by local; history row: inbound, answered, [\d.]+ s$",
                     out, re.M), out  # fmt: skip


def test_demo_with_a_file_points_to_parse() -> None:
    done = subprocess.run([sys.executable, "-m", "siperb", "demo", "x.sip"], capture_output=True,
                          text=True, timeout=30, env=_env(), cwd=ROOT)  # fmt: skip
    assert done.returncode == 2 and "siperb parse" in done.stderr


# ---- the service's SIP behaviour, with a plain siperb UserAgent as the client ----


def _ua(svc: LoopbackService, user: str = DEMO_USER, password: str = DEMO_PASSWORD,
        **kw: object) -> UserAgent:  # fmt: skip
    kw.setdefault("media_factory", media_factory())
    return UserAgent(
        UserAgentConfig(aor=f"sip:{user}@{svc.domain}", proxy=svc.url, password=password, **kw)
    )  # type: ignore[arg-type]


@pytest.mark.timeout(30)
def test_service_registrar_digest_and_bindings() -> None:
    async def main() -> None:
        async with LoopbackService() as svc:
            seen: list[Event] = []
            svc.events.on("registered", seen.append)
            ua = _ua(svc)
            await ua.start()
            assert [b.user for b in svc.registered(DEMO_USER)] == [DEMO_USER]
            assert seen and seen[0]["user"] == DEMO_USER
            assert svc.counts["REGISTER"] == 2  # challenged once, then accepted
            assert ua.registration.granted == 600
            options = await ua.options()
            assert options.status == 200 and "REGISTER" in (options.header("Allow") or "")
            assert (await ua.options("nobody")).status == 404
            await ua.close()
            assert svc.registered(DEMO_USER) == []  # Expires: 0 removed it

            bad = _ua(svc, password="nope")
            with pytest.raises(RegistrationError) as info:
                await bad.start()
            assert info.value.status == 401
            await bad.close()
            stranger = _ua(svc, user="mallory", password="x")
            with pytest.raises(RegistrationError) as info:
                await stranger.start()
            assert info.value.status == 401
            await stranger.close()

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_service_echo_answers_holds_and_hangs_up_on_close() -> None:
    async def main() -> None:
        svc = await LoopbackService().start()
        ua = _ua(svc)
        await ua.start()
        ended: list[Event] = []
        ua.events.on("call_state", lambda ev: ended.append(ev) if ev["state"].value ==
                     "terminated" else None)  # fmt: skip
        call = await ua.call("echo")
        await call.wait_for(sip.session.CallState.ESTABLISHED, timeout=5)
        assert svc.counts["INVITE"] == 2  # a 407 first, like a proxy
        assert (await call.hold()).status == 200
        assert svc.echo_calls[-1].remote_hold
        await svc.close()  # the echo says BYE before the service goes away
        await call.wait_for(sip.session.CallState.TERMINATED, timeout=5)
        assert call.reason == "remote hangup" and ended
        await ua.close()

    asyncio.run(main())


@pytest.mark.timeout(30)
def test_service_refuses_other_paths_and_no_sip_subprotocol() -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    async def main() -> None:
        async with LoopbackService() as svc:
            with pytest.raises(InvalidStatus) as info:
                await connect(svc.url.replace("/ws", "/other"), subprotocols=["sip"])  # type: ignore[list-item]
            assert info.value.response.status_code == 404
            with pytest.raises(InvalidStatus) as info:
                await connect(svc.url)  # no 'sip' subprotocol offered (RFC 7118)
            assert info.value.response.status_code == 400

    asyncio.run(main())


# ---- incoming calls from the service (no outside PBX) ----


async def _demo_phone(svc: LoopbackService) -> object:
    from siperb.demo import manual_provisioning
    from siperb.phone import ProvisionPhone
    from siperb.phone.history import MEMORY

    phone = await ProvisionPhone({"Provisioning": manual_provisioning(svc.port),
                                  "PhoneFrame": None, "ProfileUserId": "t", "SessionId": "s",
                                  "UserId": "u"}, history_path=MEMORY)  # fmt: skip
    await phone.wait_loaded(5.0)
    return phone


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["service.call", "dial callback"])
def test_service_calls_the_phone_answered_through_on_incoming_call(how: str) -> None:
    async def main() -> None:
        async with LoopbackService(callback_delay=0.2) as svc:
            phone: Any = await _demo_phone(svc)
            async with phone:
                offered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

                async def on_incoming(info: dict[str, Any]) -> None:
                    await offered.put(info)
                    await phone.Answer(info["SessionId"])

                phone.OnIncomingCall = on_incoming
                if how == "service.call":
                    echo = await svc.call(DEMO_USER)
                else:
                    first = await phone.Dial("callback")
                    record = await first.wait_ended(5.0)
                    assert first.status == 480 and record is not None
                info = await asyncio.wait_for(offered.get(), 5.0)
                assert info["Direction"] == "inbound" and "echo" in info["CallerId"]
                call = next(c for c in phone.calls if c.id == info["SessionId"])
                await call.wait_for("established", timeout=5)
                if how == "service.call":
                    await echo.wait_for(sip.session.CallState.ESTABLISHED, timeout=5)
                await phone.EndCall(info["SessionId"])
                rec = await call.wait_ended(5.0)
                assert rec is not None and rec.direction == "inbound" and rec.outcome == "answered"
            with pytest.raises(LookupError):
                await svc.call("nobody")

    asyncio.run(main())
