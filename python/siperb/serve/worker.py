"""One worker of a fleet: a phone that listens on its own port and runs the handler per call.

A worker is a :class:`~siperb.phone.Phone` (its history, events and verbs) whose user agent
listens on UDP ``listen_host:listen_port`` for the dispatcher's INVITEs and OPTIONS, sends its
own requests (BYE, REFER, outbound calls) to ``proxy`` (Kamailio), and registers only when
told (``register=True``: then it is one more Contact of the account).

Back-pressure and drain are one gate in front of the UA's router: with ``max_calls`` calls up,
or while draining, a new INVITE and an OPTIONS probe get ``503 Service Unavailable`` with
``Retry-After``, so the dispatcher's probe takes the worker out of rotation and its failure
route tries the next one, instead of every call on a full worker getting worse.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from ..events import Event, EventHub
from ..media import EngineMedia, EngineMediaControl
from ..media.call_media import MediaHost
from ..media.engine import Engine, SessionConfig
from ..phone import Call, Phone
from ..phone.history import AsyncHistory
from ..phone.options import PhoneOptions
from ..phone.phone import _ProvisionedUserAgent
from ..phone.provisioning import Provisioning
from ..sip import Message
from ..sip.router import Router, RouterHost
from ..sip.session import MediaHandler
from ..sip.transaction import ServerTransaction
from ..sip.useragent import UserAgent, UserAgentConfig
from .handler import Handler, HandlerCall, load_handler
from .metrics import MetricsServer, WorkerMetrics

__all__ = ["ServeWorker", "WorkerConfig"]

log = logging.getLogger("siperb.serve")
call_log = logging.getLogger("siperb.serve.calls")


@dataclass
class WorkerConfig:
    """One worker's settings (``siperb serve`` fills them from its flags)."""

    handler: str | Handler
    proxy: str = "127.0.0.1:5060"  # host:port of the SIP router (UDP) for what we send
    listen_host: str = "127.0.0.1"
    listen_port: int = 5080
    user: str = "siperb"
    domain: str | None = None
    password: str | None = None
    register: bool = False  # register as one more Contact of user@domain (needs password)
    profile_user_id: str = "siperb-serve"
    history: str | None = None  # SQLite path or postgresql:// URL; None: the default file
    max_calls: int = 50
    max_ringing_calls: int = 20
    retry_after: int = 5
    ring_timeout: float = 30.0
    metrics_port: int | None = None  # None: no endpoint; 0: a free port
    index: int = 0
    drain_timeout: float = 30.0
    #: 180 Ringing at once for each INVITE. Off by default: a handler answers within
    #: milliseconds, and a 180 sent just before the 200 can reach the caller after it (a
    #: multi-process proxy forwards the two in parallel), which strict callers reject.
    send_ringing: bool = False
    #: Seconds without RTP after which a call is hung up (its far end or the path to it is
    #: gone: a cut link, a crashed peer); None: never.
    media_timeout: float | None = 30.0


class _GatedRouter(Router):
    """The UA's router with the worker's gate in front of new INVITEs and OPTIONS."""

    def __init__(self, host: RouterHost, worker: ServeWorker):
        super().__init__(host)
        self.worker = worker

    def _route(self, request: Message, tx: ServerTransaction) -> None:
        method = request.method
        if method in ("INVITE", "OPTIONS") and not (request.to is not None and request.to.tag):
            refusal = self.worker.refusal()
            if refusal is not None:
                after = str(self.worker.config.retry_after)
                tx.respond(503, f"Service Unavailable ({refusal})", [("Retry-After", after)])
                if method == "INVITE":
                    self.worker.metrics.calls_rejected += 1
                return
        super()._route(request, tx)


class _WorkerUserAgent(_ProvisionedUserAgent):
    def __init__(self, config: UserAgentConfig, contact_user: str, worker: ServeWorker):
        super().__init__(config, contact_user, EventHub())
        self.router = _GatedRouter(self, worker)
        self.worker = worker

    async def start(self, *, register: bool = True, wait: bool = True) -> None:
        await super().start(register=register and self.worker.config.register, wait=wait)


class _WorkerMediaControl(EngineMediaControl):
    """The engine's media, each session with the worker's RTP timeout."""

    def __init__(self, rtp_timeout: float | None):
        super().__init__(auto_device=False)
        self.session_config = SessionConfig(rtp_timeout_ms=int((rtp_timeout or 0) * 1000))

    def media_factory(self, ua: MediaHost) -> MediaHandler:
        media = super().media_factory(ua)
        if isinstance(media, EngineMedia):  # before its session exists (made at offer/answer)
            media._config = self.session_config
        return media


class _WorkerPhone(Phone):
    def __init__(self, options: PhoneOptions, worker: ServeWorker, **kwargs: Any):
        super().__init__(options, **kwargs)
        self.worker = worker

    async def _close_interrupted(self, history: AsyncHistory) -> None:
        """Nothing: the fleet's workers share the profile, so the open rows at a worker's
        start are mostly the live calls of the others, not this worker's leftovers."""

    def _new_user_agent(self) -> UserAgent:
        return _WorkerUserAgent(self._ua_config(), self.provisioning.contact_user, self.worker)


def _split_hostport(value: str, default_port: int) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or "]" in port:
        return value.strip("[]"), default_port
    return host.strip("[]"), int(port)


class ServeWorker:
    """Runs ``handler`` for every call of one phone; see the module docstring."""

    def __init__(self, config: WorkerConfig):
        self.config = config
        handler = config.handler
        self.handler: Handler = load_handler(handler) if isinstance(handler, str) else handler
        self.metrics = WorkerMetrics(worker=config.index)
        self.phone: Phone | None = None
        self.draining = False
        self.calls: dict[Call, HandlerCall] = {}
        self.metrics_server: MetricsServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    # ---- lifecycle ----

    async def start(self) -> None:
        cfg = self.config
        host, port = _split_hostport(cfg.proxy, 5060)
        prov = Provisioning(
            sip_wss_server=host,
            sip_websocket_port=port,
            sip_transport="UDP",
            sip_username=cfg.user,
            sip_password=cfg.password or "-",
            sip_domain=cfg.domain or host,
            sip_contact=cfg.user,
        )
        options = PhoneOptions.from_kwargs(
            provisioning=prov,
            profile_user_id=cfg.profile_user_id,
            session_id=f"siperb-serve-{cfg.index}",
            user_id=cfg.user,
            enable_call_hold=False,  # answering one call must not hold the worker's others
        )
        ua_options = {
            "local_host": cfg.listen_host,
            "local_port": cfg.listen_port,
            "max_calls": cfg.max_calls + 1,  # our gate answers 503 first (486 is for phones)
            "max_ringing_calls": cfg.max_ringing_calls,
            "retry_after": cfg.retry_after,
            "ring_timeout": cfg.ring_timeout,
            "udp_keepalive_interval": None,
            "send_ringing": cfg.send_ringing,
        }
        self.metrics.active = lambda: len(self.calls)
        self.metrics.late_frames = lambda: int(Engine.default().stats().get("late_ticks", 0))
        self.metrics.draining = lambda: self.draining
        phone = _WorkerPhone(
            options,
            self,
            history_path=cfg.history,
            media_control=_WorkerMediaControl(cfg.media_timeout),
            user_agent_options=ua_options,
        )
        phone.on("incoming_call", self._on_incoming)
        phone.on("session_state_change", self._on_state)
        phone.on("dtmf", self._on_dtmf)
        phone.on("transfer", self._on_transfer)
        await phone.start()
        self.phone = phone
        if cfg.metrics_port is not None:
            self.metrics_server = MetricsServer(self.metrics, port=cfg.metrics_port)
            await self.metrics_server.start()

    @property
    def sip_port(self) -> int:
        ua = self.phone.ua if self.phone is not None else None
        return ua.local_endpoint().port if ua is not None and ua.flow is not None else 0

    def refusal(self) -> str | None:
        """Why a new call is refused now (None: it is welcome)."""
        if self.draining:
            return "draining"
        if len(self.calls) >= self.config.max_calls:
            return "full"
        return None

    async def drain(self, timeout: float | None = None) -> bool:
        """Refuse new calls, let the current ones finish (up to ``timeout``, then hang them
        up); True when all finished by themselves."""
        self.draining = True
        limit = self.config.drain_timeout if timeout is None else timeout
        try:
            await asyncio.wait_for(self._idle.wait(), limit)
            return True
        except asyncio.TimeoutError:
            for hc in list(self.calls.values()):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(hc.hangup(), 2.0)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._idle.wait(), 5.0)
            return False

    async def close(self) -> None:
        """Stop (after :meth:`drain` for a graceful exit): unregister, close the phone."""
        self.draining = True
        if self.metrics_server is not None:
            await self.metrics_server.close()
        if self.phone is not None:
            await self.phone.close()
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> ServeWorker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- calls ----

    async def dial(self, target: str) -> HandlerCall:
        """Place a call (an outbound campaign's) and run the handler on it."""
        if self.phone is None:
            raise RuntimeError("the worker is not started")
        call = await self.phone.dial(target)
        return self._adopt(call)

    def _adopt(self, call: Call) -> HandlerCall:
        hc = self.calls.get(call)
        if hc is None:
            hc = self.calls[call] = HandlerCall(call, self.config.index)
            session = getattr(call.sip.media, "session", None)
            if session is not None and self.config.media_timeout:
                session.on("timeout", lambda ev, hc=hc: self._on_media_timeout(hc))
                # The far end's RTCP BYE without a SIP BYE (its media stopped, no more RTP
                # comes): give its SIP BYE media_timeout s to arrive, then end the call.
                session.on("rtcp_bye", lambda ev, hc=hc: self._after_rtcp_bye(hc))
            self._idle.clear()
            self.metrics.calls_total += 1
            task = asyncio.get_running_loop().create_task(self._run(hc))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return hc

    def _on_incoming(self, ev: Event) -> None:
        self._adopt(ev["call"])

    def _after_rtcp_bye(self, hc: HandlerCall) -> None:
        delay = self.config.media_timeout or 0.0
        asyncio.get_running_loop().call_later(delay, self._on_media_timeout, hc)

    def _on_media_timeout(self, hc: HandlerCall) -> None:
        """No RTP for ``media_timeout`` s: the far end is gone; end the call (BYE)."""
        if hc.ended or "media_timeout" in hc.annotations:
            return
        hc.annotations["media_timeout"] = True
        task = asyncio.get_running_loop().create_task(hc.hangup())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_transfer(self, ev: Event) -> None:
        """We were transferred (REFER followed): the new call runs the handler too."""
        new_call = ev.get("new_call")
        if isinstance(new_call, Call):
            self._adopt(new_call)

    def _on_state(self, ev: Event) -> None:
        hc = self.calls.get(ev["call"])
        if hc is None:
            return
        if ev["state"] == "established" and ev["previous"] != "on_hold":
            self.metrics.calls_setup += 1
        hc._on_state(str(ev["state"]))
        if ev["state"] == "terminated":
            hc._close()

    def _on_dtmf(self, ev: Event) -> None:
        hc = self.calls.get(ev["call"])
        if hc is not None:
            hc._on_dtmf(str(ev["digit"]))

    async def _run(self, hc: HandlerCall) -> None:
        """The handler, then whatever it left: hang up, wait for the history row, log."""
        error: str | None = None
        try:
            await self.handler(hc)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.exception("handler failed on %r", hc)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(hc.hangup(), 5.0)
            with contextlib.suppress(Exception):
                await hc.call.wait_ended(15.0)
            hc._close()
            self._finish(hc, error)

    def _finish(self, hc: HandlerCall, error: str | None) -> None:
        call = hc.call
        failed = error is not None or (call.answer_time is None and call.status >= 500)
        if failed:
            self.metrics.calls_failed += 1
        self.metrics.call_seconds += call.duration
        record = call.record
        setup = (call.answer_time - call.start_time) if call.answer_time is not None else None
        call_log.info(
            json.dumps(
                {
                    "event": "call",
                    "worker": self.config.index,
                    "call_id": call.call_id,
                    "direction": call.direction,
                    "remote": call.remote_uri,
                    "outcome": record.outcome if record is not None else None,
                    "status": call.status or None,
                    "hangup_by": call.hangup_by,
                    "setup_ms": round(setup * 1000, 1) if setup is not None else None,
                    "duration_s": round(call.duration, 3),
                    "error": error,
                    "time": time.time(),
                    "data": hc.annotations or None,
                },
                default=str,
            )
        )
        self.calls.pop(call, None)
        if not self.calls:
            self._idle.set()
