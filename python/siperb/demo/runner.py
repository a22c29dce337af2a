"""``siperb demo``: a phone provisioned like the SDK's manual example, calling the echo peer.

It starts the :class:`~siperb.demo.service.LoopbackService`, provisions a phone with a manual
provisioning object in Socket mode (``SipWssServer`` 127.0.0.1, ``SipWebsocketPort`` the
service's port, ``SipServerPath`` ``/ws``, plain ``ws://`` because it is loopback), registers,
calls ``echo``, sends DTMF, holds the call for a few seconds, resumes, hangs up, and prints
what it measured. It prints only what really happened: no audio figures until the media
engine exists.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..events import Event
from ..history import MEMORY, CallRecord
from ..phone import ProvisionPhone
from ..provisioning import Provisioning
from .service import DEMO_PASSWORD, DEMO_USER, LoopbackService

AUDIO_PENDING = "audio: needs the media engine (not built yet)"
DTMF_DIGITS = "123"


@dataclass
class DemoReport:
    """What the demo measured (seconds)."""

    url: str = ""
    registration: float = 0.0
    setup: float = 0.0
    codec: str | None = None
    dtmf_received: str = ""
    held_for: float = 0.0
    hold_reinvite: float = 0.0
    resume_reinvite: float = 0.0
    record: CallRecord | None = None
    states: list[str] = field(default_factory=list)


def manual_provisioning(port: int) -> Provisioning:
    """The SDK documentation's manual provisioning object, pointed at the loopback service."""
    manual = {
        "RegistrationMode": "Socket",
        "profileName": "siperb demo",
        "SipWssServer": "127.0.0.1",
        "SipUsername": DEMO_USER,
        "SipPassword": DEMO_PASSWORD,
        "SipDomain": "127.0.0.1",
        "ProfileUserName": "Demo User",
        "SipContact": "",
        "SipWebsocketPort": port,
        "SipServerPath": "/ws",
    }
    return Provisioning.from_dict(manual, secure=False)  # ws:// is fine on loopback


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run_demo(
    *, hold_seconds: float = 3.0, language: str = "en", out: Callable[[str], Any] = print
) -> DemoReport:
    report = DemoReport()
    async with LoopbackService() as service:
        report.url = service.url
        out(f"loopback SIP service: {service.url} (registrar + echo peer, digest auth)")
        started = time.perf_counter()
        phone = await ProvisionPhone(
            {
                "Provisioning": manual_provisioning(service.port),
                "PhoneFrame": None,
                "ProfileUserId": "siperb-demo",
                "SessionId": "demo-session",
                "UserId": "demo-user",
                "Language": language,
                "OnLoad": lambda: out("phone: loaded (OnLoad called)"),
            },
            history_path=MEMORY,
        )
        report.registration = time.perf_counter() - started
        async with phone:
            await phone.wait_loaded(5.0)
            reg = phone.registered
            out(f"registration: {_ms(report.registration)} ({phone.provisioning.aor}, "
                f"WebSocket connect + REGISTER with digest, registered={reg})")  # fmt: skip

            def status(ev: Event) -> None:
                report.states.append(ev["state"])
                out(f"  call state: {ev['label']} ({ev['state']})")

            phone.on("session_state_change", status)
            started = time.perf_counter()
            call = await phone.dial("echo")
            await call.wait_for("established", timeout=10)
            report.setup = time.perf_counter() - started
            if call.state != "established":
                raise RuntimeError(f"the echo call did not connect: {call.status} {call.reason}")
            negotiated = getattr(call.sip.media, "negotiated", None)
            report.codec = str(negotiated.codec.name) if negotiated is not None else None
            out(f"call setup: {_ms(report.setup)} (INVITE to {call.remote_uri} -> 200 OK, "
                f"codec {report.codec})")  # fmt: skip

            await phone.send_dtmf(DTMF_DIGITS)
            echo_call = service.echo_calls[-1]
            report.dtmf_received = "".join(echo_call.dtmf_received)
            out(f"dtmf: sent {DTMF_DIGITS} by SIP INFO, echo peer received "
                f"{report.dtmf_received or 'nothing'}")  # fmt: skip

            t = time.perf_counter()
            await phone.hold()
            report.hold_reinvite = time.perf_counter() - t
            await asyncio.sleep(hold_seconds)
            report.held_for = time.perf_counter() - t
            t = time.perf_counter()
            await phone.unhold()
            report.resume_reinvite = time.perf_counter() - t
            out(
                f"hold: {report.held_for:.1f} s on hold (hold re-INVITE "
                f"{_ms(report.hold_reinvite)}, resume re-INVITE {_ms(report.resume_reinvite)})"
            )

            await phone.end_call(call)
            report.record = await call.wait_ended(5.0)
            rec = report.record
            if rec is not None:
                out(f"hangup: by {rec.hangup_by}; history row: {rec.direction}, {rec.outcome}, "
                    f"{rec.duration or 0.0:.2f} s")  # fmt: skip
        out(AUDIO_PENDING)
    return report


def main(hold_seconds: float = 3.0, language: str = "en") -> int:
    report = asyncio.run(run_demo(hold_seconds=hold_seconds, language=language))
    ok = (
        report.record is not None
        and report.record.outcome == "answered"
        and report.dtmf_received == DTMF_DIGITS
    )
    return 0 if ok else 1


__all__ = ["AUDIO_PENDING", "DemoReport", "main", "manual_provisioning", "run_demo"]
