"""The real-time media engine: RTP/SRTP sessions run by native threads, controlled from Python.

One :class:`Engine` per process (``Engine.default()`` creates it lazily) runs every session on
its own epoll/timerfd thread(s): packet clocks, jitter buffers, codecs, SRTP and RTCP never
touch the GIL. Python only creates sessions, changes them and reads what they report::

    session = Engine.default().session()            # binds RTP/RTCP ports now
    caps = sdp.Capabilities(codecs=[sdp.Codec.pcmu()], port=session.local_port)
    ...offer/answer...
    session.start(sdp.negotiate(offer, answer))     # the packet clock starts
    session.set_source(source); session.set_sink(sink)
    session.send_dtmf("123#")
    async for ev in session.events("dtmf"): ...
    session.close()                                  # RTCP BYE, sockets closed

Events (``dtmf``, ``timeout``, ``rtp_resumed``, ``icmp_error``, ``source_ended``,
``remote_address_changed``, ``rtcp_bye``, ``stats``; for WebRTC sessions ``ice_state``,
``dtls_state``, ``consent_lost``, ``selected_pair``) come from a native queue whose eventfd the
engine attaches to the running asyncio loop (:meth:`Engine.attach`); each goes to the session's
:class:`~siperb.events.EventHub` and to the engine's.

A WebRTC session (``SessionConfig(webrtc=True)``) has one socket (rtcp-mux) carrying STUN,
DTLS and SRTP (RFC 7983): its ICE credentials, DTLS fingerprint and candidates go into our SDP
(:attr:`MediaSession.ice_ufrag`, :meth:`MediaSession.gather_candidates`), the remote's come in
``StreamParams`` (``ice_ufrag``, ``ice_candidates``, ``dtls_setup``, ``dtls_fingerprint``...).
It is on the engine from creation: checks and a ClientHello may come before the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _core, sdp
from ..errors import MediaError
from ..events import Event, EventHub, Subscription
from .audio import CallRecorder
from .commands import CommandQueue

#: Engine event names of WebRTC sessions (the ``data`` of each: ``ice_state``: state;
#: ``dtls_state``: state, reason; ``selected_pair``: address, port; ``consent_lost``: none).
WEBRTC_EVENTS = ("ice_state", "dtls_state", "consent_lost", "selected_pair")

__all__ = [
    "WEBRTC_EVENTS",
    "AudioSink",
    "AudioSource",
    "Engine",
    "MediaSession",
    "MemorySink",
    "MemorySource",
    "Recorder",
    "SessionConfig",
    "SessionStats",
    "StreamParams",
    "random_srtp_key",
    "stream_params",
]

AudioSource = _core.AudioSource
AudioSink = _core.AudioSink
MemorySource = _core.MemorySource
MemorySink = _core.MemorySink
#: The call recorder the engine records through (one class: ``siperb.media.audio.CallRecorder``).
Recorder = CallRecorder

#: The SRTP suites the engine runs (RFC 4568, RFC 7714).
SRTP_SUITES = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM")


@dataclass
class SessionConfig:
    """What a session is created with (fixed for its life)."""

    local_address: str = "127.0.0.1"
    port_min: int = 0  #: RTP on an even port of the range, RTCP on the next (0/0: 16384-32767)
    port_max: int = 0
    #: Send to where the remote's RTP comes from (NAT). Received RTP is taken from the
    #: negotiated address, or from another one once latched: after 4 consecutive packets while
    #: the negotiated address is silent (or SRTP that authenticates), whatever this says.
    symmetric_rtp: bool = False
    jitter_min_ms: int = 0
    jitter_max_ms: int = 500
    jitter_start_ms: int = 40
    time_stretch: bool = True  #: follow the jitter buffer's accelerate/decelerate hints
    rtp_timeout_ms: int = 0  #: a ``timeout`` event after this long without RTP (0: never)
    stats_interval_ms: int = 0  #: a ``stats`` event this often (0: never)
    rtcp_interval_ms: int = 5000
    #: 0-10, or -1/-2/-3: complexity 0 with the band capped at wide/medium/narrow band (the
    #: CPU governor's levels below 0); the ceiling when the engine's CPU governor is on
    opus_complexity: int = 5
    opus_bitrate: int = 0
    opus_decode_rate: int = 0  #: Opus decoder's PCM rate; 0: what the sink and recorder need
    cname: str = ""
    #: WebRTC profile: one socket (rtcp-mux), ICE + DTLS-SRTP on it; no RTCP socket is bound.
    webrtc: bool = False
    ice_lite: bool = False  #: we are a lite ICE agent (server side)
    #: Numeric "host:port" or "[v6]:port" (resolve names before).
    stun_server: str = ""
    turn_server: str = ""
    turn_username: str = ""
    turn_password: str = field(default="", repr=False)  #: never shown or logged
    gather_timeout_ms: int = 500  #: cap on server-reflexive/relayed gathering
    consent_timeout_ms: int = 30000  #: RFC 7675: ``consent_lost`` after this long unanswered


@dataclass
class StreamParams:
    """What offer/answer settled on, as the engine needs it (see :func:`stream_params`)."""

    codec: str = "PCMU"
    clock_rate: int = 8000
    channels: int = 1
    payload_type: int = 0
    local_payload_type: int = 0
    telephone_event_pt: int = -1
    local_telephone_event_pt: int = -1
    telephone_event_rate: int = 0
    ptime: int = 20
    remote_address: str = ""
    remote_port: int = 0
    remote_rtcp_address: str = ""
    remote_rtcp_port: int = 0
    rtcp_mux: bool = False
    direction: str = "sendrecv"
    opus_maxplaybackrate: int = 48000
    opus_maxaveragebitrate: int = 0
    opus_fec: bool = False
    opus_dtx: bool = False
    opus_stereo: bool = False
    srtp_suite: str = ""
    srtp_local_key: str = ""
    srtp_remote_key: str = ""
    #: WebRTC: the remote's ICE credentials (empty: not WebRTC) and a=candidate values.
    ice_ufrag: str = ""
    ice_pwd: str = field(default="", repr=False)
    ice_candidates: list[str] = field(default_factory=list)
    ice_lite: bool = False  #: the REMOTE is a lite agent
    ice_controlling: bool = False  #: our ICE role (the offerer controls unless it is lite)
    dtls_setup: str = ""  #: OUR DTLS role: "active" (client) or "passive" (server)
    dtls_fingerprint: str = ""  #: the remote's, "sha-256 AB:CD:..."


_STATS_FIELDS = [
    n for n in dir(_core.MediaSessionStats) if not n.startswith("_") and n not in ("codec",)
]


@dataclass(frozen=True)
class SessionStats:
    """A snapshot of a session's counters (see ``csrc/media/session_stats.hpp``)."""

    codec: str
    values: Mapping[str, float] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def _from_native(cls, s: Any) -> SessionStats:
        return cls(s.codec, {n: getattr(s, n) for n in _STATS_FIELDS})


def _native(value: Any, cls: Any) -> Any:
    return cls(**dataclasses.asdict(value))


def _te_rate(desc: sdp.SessionDescription | None, index: int, pt: int | None) -> int:
    if desc is None or pt is None or index >= len(desc.media):
        return 0
    rtpmap = next((r for r in desc.media[index].rtpmaps if r.payload_type == pt), None)
    return rtpmap.clock_rate if rtpmap else 0


def stream_params(
    negotiated: sdp.Negotiated,
    *,
    local: sdp.SessionDescription | None = None,
    remote: sdp.SessionDescription | None = None,
    **overrides: Any,
) -> StreamParams:
    """The engine's parameters for a negotiated stream.

    ``local``/``remote`` (our and their SDP) supply what ``Negotiated`` does not carry: our
    telephone-event payload type and its clock rate. ``overrides`` set any field.
    """
    native = _core.media_stream_params_from(sdp._to_native(negotiated))
    params = StreamParams(
        **{f.name: getattr(native, f.name) for f in dataclasses.fields(StreamParams)}
    )
    if remote is not None:
        params.telephone_event_rate = _te_rate(
            remote, negotiated.media_index, negotiated.telephone_event_pt
        )
    if local is not None and negotiated.media_index < len(local.media):
        m = local.media[negotiated.media_index]
        te = next((r for r in m.rtpmaps if r.encoding.lower() == "telephone-event"), None)
        if te is not None:
            params.local_telephone_event_pt = te.payload_type
    return dataclasses.replace(params, **overrides)


def random_srtp_key(suite: str = "AES_CM_128_HMAC_SHA1_80") -> str:
    """Fresh key parameters (``inline:...``) for our ``a=crypto`` line."""
    return str(_core.srtp_random_key(suite))


class MediaSession:
    """One RTP stream with its own sockets, run by the engine; every method is thread-safe."""

    def __init__(self, engine: Engine, native: Any, hub: EventHub | None):
        self.engine = engine
        self._native = native
        self.hub = hub if hub is not None else EventHub()
        self._source: Any = None
        self._sink: Any = None
        self._recorder: CallRecorder | None = None
        self._closing = False  # close asked for (siperb.media.closer.close_soon)

    # ---- identity ----
    @property
    def id(self) -> int:
        return int(self._native.id)

    @property
    def local_address(self) -> str:
        return str(self._native.local_address)

    @property
    def local_port(self) -> int:
        return int(self._native.local_port)

    @property
    def local_rtcp_port(self) -> int:
        return int(self._native.local_rtcp_port)

    @property
    def ssrc(self) -> int:
        return int(self._native.ssrc)

    @property
    def params(self) -> StreamParams:
        """The parameters last applied by start/update (as negotiated, before symmetric RTP)."""
        native = self._native.params
        return StreamParams(
            **{f.name: getattr(native, f.name) for f in dataclasses.fields(StreamParams)}
        )

    @property
    def started(self) -> bool:
        return bool(self._native.started)

    # ---- WebRTC (empty strings for other sessions) ----
    @property
    def ice_ufrag(self) -> str:
        """Our ICE ufrag (fixed for the session: re-INVITEs keep it)."""
        return str(self._native.ice_ufrag)

    @property
    def ice_pwd(self) -> str:
        return str(self._native.ice_pwd)

    @property
    def dtls_fingerprint(self) -> str:
        """The process certificate's fingerprint, "sha-256 AB:CD:..." (for a=fingerprint)."""
        return str(self._native.dtls_fingerprint)

    @property
    def ice_state(self) -> str:
        return str(self._native.ice_state)

    @property
    def dtls_state(self) -> str:
        return str(self._native.dtls_state)

    def gather_candidates(self) -> list[str]:
        """Our a=candidate values (no "candidate:" prefix): host at once, srflx/relay from the
        configured servers within gather_timeout_ms. Blocks (without the GIL): from asyncio,
        call it with ``asyncio.to_thread``."""
        return list(self._native.gather_candidates())

    @property
    def closed(self) -> bool:
        return self._closing or bool(self._native.closed)

    # ---- lifecycle ----
    def start(self, params: StreamParams | sdp.Negotiated, **kwargs: Any) -> MediaSession:
        """Apply negotiated parameters and start the packet clock (or update a running one)."""
        if isinstance(params, sdp.Negotiated):
            params = stream_params(params, **kwargs)
        elif kwargs:
            params = dataclasses.replace(params, **kwargs)
        self._native.start(_native(params, _core.MediaStreamParams))
        return self

    def update(self, params: StreamParams | sdp.Negotiated, **kwargs: Any) -> MediaSession:
        """A re-INVITE's new result: codec, direction, address or keys change without a gap."""
        return self.start(params, **kwargs)

    def close(self) -> None:
        """RTCP BYE, stop the clock, close the sockets and any recording (idempotent)."""
        self._closing = True
        self._native.close()
        self.engine._forget(self)

    def __enter__(self) -> MediaSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- controls ----
    @property
    def muted(self) -> bool:
        return bool(self._native.muted)

    def mute(self, muted: bool = True) -> None:
        """Send silence instead of the source (RTP keeps flowing)."""
        self._native.set_mute(muted)

    def unmute(self) -> None:
        self._native.set_mute(False)

    def set_direction(self, direction: sdp.Direction | str) -> None:
        """Hold and resume: sendonly / recvonly / inactive / sendrecv."""
        value = direction.value if isinstance(direction, sdp.Direction) else direction
        self._native.set_direction(value)

    def set_remote(
        self, address: str, port: int, rtcp_address: str = "", rtcp_port: int = 0
    ) -> None:
        self._native.set_remote(address, port, rtcp_address, rtcp_port)

    def set_source(self, source: Any) -> None:
        """Any native AudioSource (MemorySource, the audio package's devices/files/tones)."""
        self._native.set_source(source)
        self._source = source

    def set_sink(self, sink: Any) -> None:
        """Any native AudioSink; None detaches."""
        self._native.set_sink(sink)
        self._sink = sink

    def start_recording(
        self,
        target: str | Path | CallRecorder,
        *,
        sample_rate: int = 16000,
        layout: str = "stereo",
    ) -> CallRecorder:
        """Record both directions to a WAV file (stereo: left sent, right received; "mixed":
        both summed to mono). ``target`` is a path or a CallRecorder (started here unless it
        already is); a previous recording of this session ends."""
        if isinstance(target, (str, Path)):
            if layout not in ("stereo", "mixed"):
                raise ValueError("layout must be 'stereo' or 'mixed'")
            rec = CallRecorder(target, stereo=layout == "stereo", sample_rate=sample_rate)
        else:
            rec = target
        self._native.start_recording(rec)
        self._recorder = rec
        return rec

    def stop_recording(self) -> CallRecorder | None:
        """Detach and stop the recorder (the file is complete when this returns)."""
        rec: CallRecorder | None = self._native.stop_recording()
        self._recorder = None
        return rec

    def send_dtmf(self, digits: str, duration_ms: int = 100, volume: int = 10) -> None:
        """Queue RFC 4733 digits; they replace the audio while they play."""
        self._native.send_dtmf(digits, duration_ms, volume)

    def stats(self) -> SessionStats:
        return SessionStats._from_native(self._native.stats())

    # ---- events ----
    def on(self, name: str, callback: Any) -> Any:
        return self.hub.on(name, callback)

    def events(self, *names: str, maxsize: int | None = None) -> Subscription:
        """Async iterator over this session's events (attaches the engine to the loop)."""
        with contextlib.suppress(RuntimeError):
            self.engine.attach()
        return self.hub.events(*names, maxsize=maxsize)


class Engine:
    """The media engine: native threads serving every session of the process."""

    _default: Engine | None = None
    _default_lock = threading.Lock()
    _default_settings: dict[str, Any] = {}

    def __init__(
        self,
        threads: int = 1,
        event_capacity: int = 4096,
        realtime_priority: int = 0,
        cpu_governor: bool = True,
    ):
        """``realtime_priority`` (1-99) runs the engine threads under SCHED_FIFO, so no other
        thread of the machine can delay a packet time when the CPU is nearly full (needs
        CAP_SYS_NICE or an rtprio limit; ``stats()["realtime_threads"]`` says whether it took).
        ``cpu_governor`` lowers a thread's costliest sessions' Opus level when it runs short
        of time and raises the lowest when there is room (``opus_complexity``: the ceiling)."""
        self._native = _core.MediaEngine(threads, event_capacity, realtime_priority, cpu_governor)
        self._sessions = weakref.WeakValueDictionary[int, MediaSession]()
        self.hub: EventHub | None = None
        self._attached_loop: asyncio.AbstractEventLoop | None = None
        #: Session commands run off the event loop, in order (:mod:`siperb.media.commands`).
        self.commands = CommandQueue()

    @classmethod
    def default(cls) -> Engine:
        """The process-wide engine, created on first use."""
        with cls._default_lock:
            if cls._default is None or not cls._default.running:
                cls._default = cls(**cls._default_settings)
            return cls._default

    @classmethod
    def configure_default(
        cls, threads: int = 1, realtime_priority: int = 0, cpu_governor: bool = True
    ) -> None:
        """Settings of the process-wide engine (the one phones and calls use): call it before
        the first call, e.g. ``Engine.configure_default(threads=2, realtime_priority=10)`` for
        a process that runs many calls."""
        with cls._default_lock:
            if cls._default is not None and cls._default.running:
                raise MediaError(
                    "the default media engine is already running",
                    field="engine",
                    reason="configure it before the first call",
                )
            if not 1 <= threads <= 64:
                raise MediaError("bad engine threads", field="threads", reason="must be 1-64")
            if not 0 <= realtime_priority <= 99:
                raise MediaError(
                    "bad realtime priority", field="realtime_priority", reason="must be 0-99"
                )
            cls._default_settings = {
                "threads": threads,
                "realtime_priority": realtime_priority,
                "cpu_governor": cpu_governor,
            }

    @property
    def running(self) -> bool:
        return bool(self._native.running)

    def session(
        self, config: SessionConfig | None = None, *, hub: EventHub | None = None, **kwargs: Any
    ) -> MediaSession:
        """A new session with its ports bound (``local_port`` goes into our SDP)."""
        cfg = dataclasses.replace(config or SessionConfig(), **kwargs)
        native = self._native.create_session(_native(cfg, _core.MediaSessionConfig))
        s = MediaSession(self, native, hub)
        self._sessions[s.id] = s
        with contextlib.suppress(RuntimeError):
            self.attach()
        return s

    def _forget(self, session: MediaSession) -> None:
        self._sessions.pop(session.id, None)

    def attach(self, hub: EventHub | None = None) -> EventHub:
        """Deliver engine events on the running loop (idempotent per loop)."""
        loop = asyncio.get_running_loop()
        if self.hub is not None and self._attached_loop is loop:
            return self.hub
        if self.hub is not None:
            self.hub.detach_fd(self._native.fileno())
        self.hub = hub or EventHub(loop=loop)
        self.hub.attach_fd(self._native.fileno(), self._drain)
        self._attached_loop = loop
        return self.hub

    def _drain(self) -> list[tuple[str, Mapping[str, Any]]]:
        out: list[tuple[str, Mapping[str, Any]]] = list(self._native.drain_events(4096))
        for name, data in out:
            s = self._sessions.get(data["session"])
            if s is not None and s.hub is not self.hub:
                s.hub._dispatch(Event(name, data))
        return out

    def poll_events(self) -> list[Event]:
        """Drain and route events without a loop (synchronous programs, tests)."""
        return [Event(n, d) for n, d in self._drain()]

    def stats(self) -> dict[str, int]:
        return dict(self._native.stats())

    def stop(self) -> None:
        """Close every session (RTCP BYE) and join the engine threads."""
        if self.hub is not None:
            with contextlib.suppress(Exception):
                self.hub.detach_fd(self._native.fileno())
        self._native.stop()


def tone(
    freq: float, seconds: float, rate: int = 8000, amplitude: int = 8000
) -> npt.NDArray[np.int16]:
    """A sine tone as int16 samples (test and demo signal for MemorySource)."""
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)
