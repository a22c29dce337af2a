"""One account's settings (:class:`UserAgentConfig`), shared by the UA and its parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import OptionsError
from .auth import Credentials
from .session.offer_answer import MediaHandler
from .timers import Timers
from .transport import TraceHook


@dataclass
class UserAgentConfig:
    """One account. ``proxy`` is a SIP URI (``sip:host:port;transport=tcp``) or a WS(S) URL.

    ``extra_headers`` maps a method (``"REGISTER"``, ``"INVITE"``, ``"*"`` for every initial
    request) to headers added to it: the Siperb Proxy mode puts ``X-Siperb-Sid``,
    ``X-Siperb-Uid`` and ``Authorization: Bearer ...`` there.
    """

    aor: str
    proxy: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    credentials: list[Credentials] = field(default_factory=list)
    display_name: str | None = None
    registrar: str | None = None  # default: the AoR's domain
    local_host: str | None = None
    local_port: int = 0
    expires: int = 600
    instance_id: str | None = None  # "urn:uuid:..." for RFC 5626 +sip.instance
    reg_id: int = 1
    outbound: bool | None = None  # RFC 5626 ";ob"; default: on for WS/WSS
    tls_ca_file: str | None = None
    tls_verify: bool = True
    timers: Timers = field(default_factory=Timers)
    keepalive_interval: float | None = 30.0
    #: STUN keep-alive period over UDP (RFC 5626 4.4.1; below common 30 s NAT UDP timeouts);
    #: a change of the public address it reveals makes the UA register again. None: off.
    udp_keepalive_interval: float | None = 25.0
    pong_timeout: float = 10.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    #: The reconnect delay doubles (reconnect_min .. reconnect_max) and starts again from the
    #: minimum only once a connection has stayed up this long: a server that accepts and drops
    #: every connection is not hammered with a new connection and REGISTER every 0.5 s.
    reconnect_stable: float = 30.0
    register_retry_min: float = 1.0
    register_retry_max: float = 60.0
    extra_headers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    user_agent: str = "siperb/0.1"
    send_ringing: bool = True  # answer a new INVITE with 180 at once
    #: Builds each call's media, given the user agent (its ``media_host()`` names the RTP
    #: address); :func:`siperb.media.media_factory` gives real audio. Without one the UA places
    #: no calls and answers INVITEs with 503: the signalling stack never picks a media
    #: implementation. The argument is typed ``Any`` so the settings need not import the UA.
    media_factory: Callable[[Any], MediaHandler] | None = None
    #: What calls offer: "webrtc" (UDP/TLS/RTP/SAVPF: ICE, DTLS-SRTP, rtcp-mux), "sdes"
    #: (RTP/SAVP), "plain" (RTP/AVP) or "auto" (WebRTC over WSS and in Siperb Proxy mode,
    #: else plain). Incoming offers are answered in their own profile whatever this says.
    media_profile: str = "auto"
    #: ICE servers for WebRTC calls: "stun:host[:port]" / "turn:host[:port]" (or host:port).
    stun_server: str = ""
    turn_server: str = ""
    turn_username: str = ""
    turn_password: str = field(default="", repr=False)
    auto_answer: Callable[[Any], bool] | None = None  # Call -> answer it now?
    #: Bounds on incoming calls, checked before a new INVITE gets any media socket. With
    #: ``max_calls`` live calls (either direction) a new INVITE gets 486 Busy Here; with
    #: ``max_ringing_calls`` inbound calls unanswered it gets 503 Service Unavailable and
    #: ``Retry-After: retry_after`` (an INVITE flood). None: no bound. An INVITE with Replaces
    #: (RFC 3891) takes a live call's place and is not counted against these.
    max_calls: int | None = 8
    max_ringing_calls: int | None = 4
    retry_after: int = 10
    #: Seconds an inbound call may ring unanswered; then it gets 480 Temporarily Unavailable
    #: and ends with outcome ``timeout``. None: it rings until the caller gives up.
    ring_timeout: float | None = 120.0
    #: Per-source limit on requests that create state (a new INVITE; out-of-dialog OPTIONS,
    #: MESSAGE, SUBSCRIBE, REFER, REGISTER, NOTIFY...): a token bucket of ``request_burst``
    #: refilled at ``request_rate`` per second per source address. Past it: 503 with
    #: Retry-After; once a source is ``request_drop_after`` requests past it, its UDP requests
    #: are dropped unanswered (no reflection of a forged flood). All calls from a PBX come from
    #: one address: keep the rate above its peak. ``max_sources`` bounds the table (LRU).
    #: None: no rate limit.
    request_rate: float | None = 20.0
    request_burst: int = 50
    request_drop_after: int = 100
    max_sources: int = 1024
    #: Table bounds: live server and client transactions (each), dialogs (confirmed and
    #: early) and subscriptions. A new request past a bound gets 503 with Retry-After; a
    #: request we would send past one raises TransportError. Counters: ``UserAgent.counters``.
    max_transactions: int | None = 1024
    #: Finished transactions waiting out copies of their messages (RFC 3261 timers D, I, J, K,
    #: L, M: up to 32 s, a few hundred bytes each, native). Past it those closest to their end
    #: stop waiting, so a flood of requests cannot grow the table. None: unbounded.
    max_lingering: int | None = 32768
    max_dialogs: int | None = 256
    max_subscriptions: int | None = 64
    #: Repeated malformed input from one source is logged once per this many seconds, with
    #: the number of lines held back.
    malformed_log_interval: float = 10.0
    #: Seconds without RTP on an established call that is not on hold (we receive, per the
    #: SDP) after which the call is ended with BYE and outcome ``media_timeout``: the far end
    #: vanished. Off for sendonly/inactive/hold. None: never.
    media_timeout: float | None = 30.0
    trace: TraceHook | None = None
    #: DNS servers for RFC 3263 lookups ("ip" or "ip:port"); None: the system's.
    dns_servers: list[str] | None = None
    dns_timeout: float = 3.0

    def __post_init__(self) -> None:
        if self.media_profile.strip().lower() not in ("auto", "webrtc", "sdes", "plain"):
            raise OptionsError(
                f"media_profile must be auto, webrtc, sdes or plain, got {self.media_profile!r}",
                field="media_profile", reason="unknown profile")  # fmt: skip
        if self.outbound is None:
            self.outbound = self.proxy.lower().startswith(("ws:", "wss:"))
