"""A :class:`~siperb.sip.session.MediaHandler` that moves real audio through the media engine.

:class:`EngineMedia` is :class:`~siperb.media.sdp_media.SdpOnlyMedia`'s offer/answer with the
RTP port taken from a :class:`siperb.media.MediaSession`: every negotiation (answer, re-INVITE,
hold) starts or updates that session, RFC 4733 digits go out through it and the digits it receives
become the call's ``dtmf`` events. SDES-SRTP: with ``srtp=True`` we offer RTP/SAVP; SAVP
offers are always answered with a fresh key. WebRTC (``webrtc=True``, see
:mod:`siperb.media.webrtc`): we offer UDP/TLS/RTP/SAVPF with ICE and DTLS-SRTP; an incoming
offer is answered in its own profile (a WebRTC offer in WebRTC whatever we offer, an RTP/AVP
offer in plain RTP), and a DTLS failure or lost ICE consent ends the call with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from ..errors import SdpNegotiationError
from ..events import Event
from ..sdp import Codec, Crypto, SessionDescription
from ..sip.session import MediaHandler
from . import engine as engine_mod
from .closer import close_soon
from .sdp_media import SdpOnlyMedia
from .webrtc import (
    GATHER_TIMEOUT_MS,
    IceServers,
    MediaProfile,
    WebRtcState,
    check_answer,
    engine_params,
    resolve_profile,
)

log = logging.getLogger(__name__)

#: The SDES suites we offer (in order) and accept.
SDES_SUITES = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32")


def engine_available() -> bool:
    """True when the native module carries the media engine."""
    try:
        from .. import _core
    except ImportError:
        return False
    return hasattr(_core, "MediaEngine")


def webrtc_available() -> bool:
    """True when the engine runs WebRTC sessions (ICE + DTLS-SRTP on one socket)."""
    return engine_available() and "webrtc" in {
        f.name for f in dataclasses.fields(engine_mod.SessionConfig)
    }


def is_webrtc_offer(offer: SessionDescription) -> bool:
    """Whether the first live audio stream of ``offer`` is UDP/TLS/RTP/SAVP[F] (DTLS-SRTP)."""
    for m in offer.media:
        if m.kind == "audio" and m.port != 0:
            return m.proto.startswith("UDP/TLS/RTP/SAVP")
    return False


def engine_codecs() -> list[Codec]:
    """What the engine encodes, in our preference order (opus first: wideband)."""
    return [Codec.opus(), Codec.pcmu(), Codec.pcma()]


class MediaHost(Protocol):
    """What a media factory needs from the user agent: the address RTP should use."""

    def media_host(self) -> str: ...


def _profile_of(ua: Any, profile: str | None) -> tuple[MediaProfile, IceServers]:
    """The concrete profile and ICE servers for a call of ``ua`` (its config, or defaults)."""
    config = getattr(ua, "config", None)
    chosen = str(profile or getattr(config, "media_profile", "") or MediaProfile.AUTO)
    headers = getattr(config, "extra_headers", {}) or {}
    proxy_mode = any(
        name.lower().startswith("x-siperb-") for hs in headers.values() for name, _ in hs
    )
    resolved = resolve_profile(chosen, str(getattr(config, "proxy", "")), proxy_mode=proxy_mode)
    return resolved, ice_servers(config)


def ice_servers(config: Any) -> IceServers:
    """The STUN/TURN servers of a UA config (``UserAgentConfig``; none when it names none)."""
    return IceServers(
        stun_server=getattr(config, "stun_server", "") or "",
        turn_server=getattr(config, "turn_server", "") or "",
        turn_username=getattr(config, "turn_username", "") or "",
        turn_password=getattr(config, "turn_password", "") or "",
    )


def media_factory(
    *, engine: bool = True, profile: str | None = None
) -> Callable[[MediaHost], MediaHandler]:
    """A ``UserAgentConfig.media_factory``: real audio on the UA's media address.

    :class:`EngineMedia` when the native engine is built (and ``engine``), else
    :class:`~siperb.media.sdp_media.SdpOnlyMedia` (signalling only). ``profile`` (default: the
    UA config's ``media_profile``, ``auto``) picks what our offers carry; STUN/TURN servers come
    from the UA config.
    """

    def build(ua: MediaHost) -> MediaHandler:
        host = ua.media_host()
        if engine and engine_available():
            chosen, ice = _profile_of(ua, profile)
            # UserAgentConfig.media_timeout: the engine reports a silence that long.
            timeout = getattr(getattr(ua, "config", None), "media_timeout", None)
            return EngineMedia(host, srtp=chosen is MediaProfile.SDES,
                               webrtc=chosen is MediaProfile.WEBRTC, ice=ice,
                               media_timeout=timeout)  # fmt: skip
        return SdpOnlyMedia(host)

    return build


class EngineMedia(SdpOnlyMedia):
    """Offer/answer plus a running :class:`~siperb.media.MediaSession`.

    ``source``/``sink``: any native AudioSource/AudioSink (``siperb.media.audio``); None sends
    silence and discards what is received. They may be changed at any time
    (:meth:`set_source`, :meth:`set_sink`). ``session`` is the engine session (stats,
    recording, mute). ``media_timeout``: seconds without RTP after which the call is told
    (``media_inactive``; the UA's ``media_timeout`` says whether it then ends).
    """

    def __init__(
        self,
        address: str = "127.0.0.1",
        codecs: Sequence[Codec] | None = None,
        *,
        telephone_event: bool = True,
        srtp: bool = False,
        source: Any = None,
        sink: Any = None,
        engine: engine_mod.Engine | None = None,
        config: engine_mod.SessionConfig | None = None,
        webrtc: bool = False,
        ice: IceServers | None = None,
        media_timeout: float | None = None,
    ):
        self.engine = engine or engine_mod.Engine.default()
        self._config = config
        self._rtp_timeout_ms = int(media_timeout * 1000) if media_timeout else 0
        self.session: engine_mod.MediaSession | None = None
        #: Offer in the WebRTC profile (the engine must support it: :func:`webrtc_available`).
        self.webrtc = webrtc and webrtc_available()
        self.ice = ice or IceServers()
        self.webrtc_state: WebRtcState | None = None
        self._address = address
        super().__init__(
            address,
            codecs if codecs is not None else engine_codecs(),
            telephone_event=telephone_event,
        )
        self.srtp = srtp
        self.crypto = [
            Crypto(tag=i + 1, suite=suite, key_params=engine_mod.random_srtp_key(suite))
            for i, suite in enumerate(SDES_SUITES)
        ]
        self.source = source
        self.sink = sink
        self.dtmf_received: list[str] = []
        self.failure: str = ""  # why the media failed (DTLS, ICE consent), if it did
        self._call: Any = None
        self._deferred = False  # an inbound call's answer is ready before the user answers
        self._queued = False  # our session's start is on the engine's command queue
        self.started: Future[None] | None = None  # the last start/update's completion

    # ---- SdpOnlyMedia hooks ----

    def _reserve_port(self, address: str) -> int:
        self._address = address
        return self._open_session(self.webrtc)

    def _open_session(self, webrtc: bool) -> int:
        """A new engine session (WebRTC or not is fixed for its life); returns its port."""
        if self.session is not None:
            self.session.close()
        self._queued = False
        config = self._config or engine_mod.SessionConfig()
        if webrtc:
            extra: dict[str, Any] = {"webrtc": True, **self.ice.engine_config()}
            if "gather_timeout_ms" not in {f.name for f in dataclasses.fields(config)}:
                extra["gather_timeout_ms"] = GATHER_TIMEOUT_MS
            config = dataclasses.replace(config, **extra)
        if self._rtp_timeout_ms and not config.rtp_timeout_ms:
            config = dataclasses.replace(config, rtp_timeout_ms=self._rtp_timeout_ms)
        self.session = self.engine.session(config, local_address=self._address)
        self.webrtc_state = None
        if webrtc:
            s: Any = self.session
            self.webrtc_state = WebRtcState(
                ice_ufrag=s.ice_ufrag, ice_pwd=s.ice_pwd, fingerprint=s.dtls_fingerprint
            )
        for name, handler in self._handlers():
            self.session.on(name, handler)
        port = self.session.local_port
        if hasattr(self, "capabilities"):
            self.port = self.capabilities.port = port
        return port

    def _candidates(self) -> list[str]:
        """Our candidates, gathered once per session (bounded by ``gather_timeout_ms``)."""
        state = self.webrtc_state
        assert state is not None and self.session is not None
        if not state.candidates:
            s: Any = self.session
            state.candidates = list(s.gather_candidates())
        return state.candidates

    async def gather(self) -> None:
        """Gather our candidates off the event loop (a WebRTC offer then goes out at once)."""
        if self.webrtc_state is not None and not self.webrtc_state.candidates:
            await asyncio.to_thread(self._candidates)

    def _webrtc_caps(self, *, offer: bool) -> dict[str, Any]:
        state = self.webrtc_state
        assert state is not None
        self._candidates()
        caps = state.offer_capabilities() if offer else state.capabilities()
        return {**caps, "crypto": []}

    def _offer_capabilities(self) -> Any:
        if self.webrtc_state is not None:
            return dataclasses.replace(self.capabilities, **self._webrtc_caps(offer=True))
        return dataclasses.replace(self.capabilities, crypto=self.crypto if self.srtp else [])

    def _answer_capabilities(self) -> Any:
        if self.webrtc_state is not None:
            return dataclasses.replace(self.capabilities, **self._webrtc_caps(offer=False))
        return dataclasses.replace(self.capabilities, crypto=self.crypto)

    def create_answer(self, offer: SessionDescription) -> SessionDescription:
        """Answer in the offer's profile: a new session if ours is the other kind (not yet used)."""
        wants = is_webrtc_offer(offer) and webrtc_available()
        if wants != (self.webrtc_state is not None):
            if self.session is not None and self._queued:
                raise SdpNegotiationError(
                    "a re-offer may not switch between WebRTC and plain RTP", field="m=audio",
                    reason="the media profile cannot change during a call")  # fmt: skip
            self._open_session(wants)
        return super().create_answer(offer)

    def apply_answer(self, answer: SessionDescription) -> None:
        """Our WebRTC offer's answer must keep rtcp-mux and ICE (:func:`webrtc.check_answer`)."""
        if self.webrtc_state is not None:
            check_answer(answer)
        super().apply_answer(answer)

    def _negotiated(self) -> None:
        if self.session is None or self.negotiated is None or self.closed or self._deferred:
            return
        if self.webrtc_state is not None:
            self.webrtc_state.negotiated(self.negotiated)
        webrtc = engine_params(self.negotiated, self._address)
        params = engine_mod.stream_params(
            self.negotiated, local=self.local, remote=self.remote, **webrtc
        )
        if not self._queued:
            # Before start a plain session is not on the engine thread yet: setting its
            # source and sink costs no wait for that thread (two waits per call fewer).
            if self.source is not None:
                self.session.set_source(self.source)
            if self.sink is not None:
                self.session.set_sink(self.sink)
            self._queued = True
        # The start (or update) waits for the engine thread: on the command queue, not here.
        self.started = self._command(self.session.start, params, ends_call=True)

    def _command(
        self, method: Callable[..., Any], *args: Any, ends_call: bool = False
    ) -> Future[None]:
        """Run a session method on the engine's command queue, after those asked before. A
        start or update that fails ends the call as an unusable answer does
        (:meth:`_start_failed`); another command's failure is logged."""
        key = self.session.id if self.session is not None else 0
        if not ends_call:
            return self.engine.commands.submit(lambda: method(*args), key=key)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # no loop, so no call to end: the failure is kept and logged
            loop = None

        def failed(exc: BaseException) -> None:
            if loop is None:
                self.failure = str(exc)
                log.warning("media start failed: %s", exc)
                return
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody to tell
                loop.call_soon_threadsafe(self._start_failed, exc)

        return self.engine.commands.submit(lambda: method(*args), failed, key=key)

    def _start_failed(self, exc: BaseException) -> None:
        """The engine refused the negotiated parameters: the call ends with that error."""
        self.failure = str(exc)
        refused = getattr(self._call, "media_refused", None)
        if refused is not None:
            refused(str(exc))
        else:
            log.warning("media start failed: %s", exc)

    def _send_dtmf(self, digit: str) -> None:
        if self.session is not None:
            self._command(self.session.send_dtmf, digit)

    # ---- audio and calls ----

    def set_source(self, source: Any) -> None:
        self.source = source
        if self.session is not None and self._queued:
            self._command(self.session.set_source, source)

    def set_sink(self, sink: Any) -> None:
        self.sink = sink
        if self.session is not None and self._queued:
            self._command(self.session.set_sink, sink)

    def bind_call(self, call: Any) -> None:
        """The call whose ``dtmf`` events the received RFC 4733 digits become.

        For an inbound call the session waits for :meth:`answered`: the answer SDP is made when
        the INVITE arrives, but the microphone must not reach the caller while it rings.
        """
        self._call = call
        self._deferred = getattr(call, "direction", "") == "inbound"

    def answered(self) -> Future[None] | None:
        """The user answers: start the negotiated session (before our 200 goes out: the far
        end may send ICE checks, DTLS and media as soon as it has it). Returns the start's
        completion (a failure goes to the call, see :meth:`_command`), None if none is due."""
        if self._deferred:
            self._deferred = False
            self.started = None
            self._negotiated()
            return self.started
        return None

    def _on_dtmf(self, event: Event) -> None:
        if not event.get("ended", True):
            return
        digit = str(event["digit"])
        self.dtmf_received.append(digit)
        if self._call is not None:
            self._call.media_dtmf(digit)

    def _on_dtls_state(self, event: Event) -> None:
        if str(event.get("state", event.get("value", ""))) == "failed":
            why = str(event.get("reason", "") or "handshake failed")
            self._media_failed(f"DTLS failed: {why}")

    def _on_consent_lost(self, event: Event) -> None:
        del event
        self._media_failed("ICE consent lost (RFC 7675): the far end stopped answering")

    def _media_failed(self, reason: str) -> None:
        self.failure = reason
        ending = getattr(self._call, "media_failed", None)
        if ending is not None:
            ending(reason)

    def _on_rtp_timeout(self, event: Event) -> None:
        inactive = getattr(self._call, "media_inactive", None)
        if inactive is not None:
            inactive()

    def _on_rtp_resumed(self, event: Event) -> None:
        active = getattr(self._call, "media_active", None)
        if active is not None:
            active()

    def close(self) -> None:
        """The call ended: its session closes on the closer thread (:mod:`.closer`).

        The call and our event handlers are let go of here: they are reference cycles
        (call -> media -> call, media -> session -> handlers -> media), which kept every ended
        call and its native session (~115 KB) alive until a full garbage collection."""
        if self.session is not None and not self.closed:
            for name, handler in self._handlers():
                self.session.hub.off(name, handler)
            close_soon(self.session)
        self._call = None
        super().close()

    def _handlers(self) -> list[tuple[str, Callable[[Event], None]]]:
        """What we subscribe to on our session."""
        mine: list[tuple[str, Callable[[Event], None]]] = [
            ("dtmf", self._on_dtmf), ("timeout", self._on_rtp_timeout),
            ("rtp_resumed", self._on_rtp_resumed)]  # fmt: skip
        if self.webrtc_state is not None:
            mine += [("dtls_state", self._on_dtls_state), ("consent_lost", self._on_consent_lost)]
        return mine
