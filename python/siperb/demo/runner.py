"""``siperb demo``: a phone provisioned like the SDK's manual example, calling the echo peer.

It starts the :class:`~siperb.demo.service.LoopbackService`, provisions a phone with a manual
provisioning object in Socket mode (``SipWssServer`` 127.0.0.1, ``SipWebsocketPort`` the
service's port, ``SipServerPath`` ``/ws``, plain ``ws://`` because it is loopback), registers,
calls ``echo``, sends DTMF, holds the call for a few seconds, resumes, hangs up, and prints
what it measured. Then it dials ``callback``: the service refuses that call and rings the phone
back, and the phone's ``OnIncomingCall`` slot answers it (``Answer(SessionId)``), so the
incoming side is shown without an outside PBX. With the media engine it also sends a 1 kHz tone
burst through the whole native path (our EngineMedia -> RTP -> the echo peer's EchoMedia -> RTP
back), records the call (stereo WAV: sent left, received right) and prints the round-trip audio
latency (onset of the returned burst vs the sent one), jitter, loss and the estimated MOS from
the session's stats. It prints only what really happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..events import Event
from ..media import EngineMedia, MemorySource, tone
from ..media.audio import WavFile
from ..phone import ProvisionPhone
from ..phone.history import MEMORY, CallRecord
from ..phone.provisioning import Provisioning
from .service import CALLBACK_USER, DEMO_PASSWORD, DEMO_USER, LoopbackService

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
    audio: AudioReport | None = None
    incoming: IncomingReport | None = None


@dataclass
class IncomingReport:
    """The call back: dial ``callback``, get called, answer in ``OnIncomingCall``."""

    refused_status: int = 0
    ring_after: float = 0.0  #: from the refused call's end to OnIncomingCall
    answer: float = 0.0  #: from OnIncomingCall to the established state
    caller: str = ""
    rtp_received: int | None = None  #: packets heard in one second (None: no media engine)
    record: CallRecord | None = None


@dataclass
class AudioReport:
    """The echo round trip through the native media path."""

    recording: str = ""
    latency_ms: float | None = None  #: onset of the returned burst minus onset of the sent one
    jitter_ms: float = 0.0
    loss_percent: float = 0.0
    mos: float = 0.0
    packets_sent: int = 0
    packets_received: int = 0


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


BURST_RATE = 48000


def _onset(x: np.ndarray) -> int | None:
    """First sample above a third of the channel's peak (None for a silent channel)."""
    level = np.abs(x.astype(np.int32))
    peak = int(level.max()) if len(level) else 0
    if peak < 500:
        return None
    return int(np.argmax(level > peak // 3))


async def measure_echo(
    phone: Any, call: Any, media: EngineMedia, path: str | None = None
) -> AudioReport:
    """Send a tone burst to the echo, record the call (to ``path``, else a temporary file),
    and time the burst's return."""
    path = path or os.path.join(tempfile.gettempdir(), f"siperb-demo-{os.getpid()}.wav")
    await phone.start_recording(call, path)
    silence = np.zeros(int(0.3 * BURST_RATE), np.int16)
    burst = np.concatenate([silence, tone(1000.0, 0.2, BURST_RATE, 12000), silence, silence])
    media.set_source(MemorySource(burst, BURST_RATE, False))
    await asyncio.sleep(1.5)
    await phone.stop_recording(call)
    report = AudioReport(recording=path)
    rate, channels, pcm = WavFile.read(path)
    if channels == 2:
        sent, back = _onset(pcm[:, 0]), _onset(pcm[:, 1])
        if sent is not None and back is not None and back > sent:
            report.latency_ms = (back - sent) * 1000.0 / rate
    assert media.session is not None
    stats = media.session.stats()
    report.jitter_ms, report.loss_percent = float(stats.jitter_ms), float(stats.loss_percent)
    report.mos = float(stats.mos)
    report.packets_sent, report.packets_received = stats.packets_sent, stats.packets_received
    return report


def _audio_line(a: AudioReport, codec: str | None) -> str:
    latency = f"{a.latency_ms:.1f} ms" if a.latency_ms is not None else "no echo heard"
    return (f"audio: {codec} round trip {latency} (1 kHz burst out and back through the echo), "
            f"jitter {a.jitter_ms:.1f} ms, loss {a.loss_percent:.1f} %, MOS {a.mos:.2f}, "
            f"RTP {a.packets_sent} sent / {a.packets_received} received; "
            f"recording {a.recording}")  # fmt: skip


async def call_back(
    phone: Any, service: LoopbackService, out: Callable[[str], Any]
) -> IncomingReport:
    """Dial ``callback``; answer the service's call back through ``OnIncomingCall``."""
    report = IncomingReport()
    offered: asyncio.Future[tuple[dict[str, Any], float]] = (
        asyncio.get_running_loop().create_future()
    )

    async def on_incoming(info: dict[str, Any]) -> None:
        if not offered.done():
            offered.set_result((info, time.perf_counter()))
        await phone.Answer(info["SessionId"])

    phone.OnIncomingCall = on_incoming
    first = await phone.Dial(CALLBACK_USER)
    await first.wait_ended(5.0)
    report.refused_status = first.status
    refused_at = time.perf_counter()
    out(f"callback: dialled {CALLBACK_USER}, refused with SIP {first.status} "
        f"(the service calls back after {service.callback_delay:g} s)")  # fmt: skip
    info, rang_at = await asyncio.wait_for(offered, 10.0)
    report.ring_after, report.caller = rang_at - refused_at, str(info["CallerId"])
    call = next(c for c in phone.calls if c.id == info["SessionId"])
    await call.wait_for("established", timeout=5)
    report.answer = time.perf_counter() - rang_at
    out(f"incoming: {report.caller} rang {report.ring_after:.2f} s later; OnIncomingCall "
        f"answered it in {_ms(report.answer)} (state {call.state.value})")  # fmt: skip
    await asyncio.sleep(1.0)  # talk for a second: the echo sends back what we send
    session = getattr(call.sip.media, "session", None)
    if session is not None:
        report.rtp_received = int(session.stats().packets_received)
        out(f"incoming audio: {report.rtp_received} RTP packets received in 1 s")
    await phone.EndCall(call.id)
    report.record = rec = await call.wait_ended(5.0)
    if rec is not None:
        out(f"incoming hangup: by {rec.hangup_by}; history row: {rec.direction}, {rec.outcome}, "
            f"{rec.duration or 0.0:.2f} s")  # fmt: skip
    return report


async def run_demo(
    *,
    hold_seconds: float = 3.0,
    language: str = "en",
    out: Callable[[str], Any] = print,
    recording: str | None = None,
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

            if isinstance(call.sip.media, EngineMedia):
                report.audio = await measure_echo(phone, call, call.sip.media, recording)
                out(_audio_line(report.audio, report.codec))

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
            phone.off("session_state_change", status)
            report.incoming = await call_back(phone, service, out)
        if report.audio is None:
            out(AUDIO_PENDING)
    return report


def main(hold_seconds: float = 3.0, language: str = "en", recording: str | None = None) -> int:
    """Run the demo; the echo call's recording is kept only where ``recording`` names a path
    (a temporary one is removed, so repeated demos leave nothing behind)."""
    report = asyncio.run(
        run_demo(hold_seconds=hold_seconds, language=language, recording=recording)
    )
    if recording is None and report.audio is not None and report.audio.recording:
        with contextlib.suppress(OSError):
            os.remove(report.audio.recording)
        print("recording removed (siperb demo --record FILE keeps it)")
    ok = (
        report.record is not None
        and report.record.outcome == "answered"
        and report.dtmf_received == DTMF_DIGITS
        and (report.audio is None or report.audio.latency_ms is not None)
        and report.incoming is not None
        and report.incoming.record is not None
        and report.incoming.record.outcome == "answered"
    )
    return 0 if ok else 1


__all__ = [
    "AUDIO_PENDING",
    "AudioReport",
    "DemoReport",
    "IncomingReport",
    "call_back",
    "main",
    "manual_provisioning",
    "measure_echo",
    "run_demo",
]
