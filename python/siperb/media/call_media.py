"""A :class:`~siperb.sip.session.MediaHandler` that moves real audio through the media engine.

:class:`EngineMedia` is :class:`~siperb.media.sdp_media.SdpOnlyMedia`'s offer/answer with the
RTP port taken from a :class:`siperb.media.MediaSession`: every negotiation (answer, re-INVITE,
hold) starts or updates that session, RFC 4733 digits go out through it and the digits it receives
become the call's ``dtmf`` events. SDES-SRTP: with ``srtp=True`` we offer RTP/SAVP; SAVP
offers are always answered with a fresh key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..events import Event
from ..sdp import Codec, Crypto
from ..sip.session import MediaHandler
from . import engine as engine_mod
from .sdp_media import SdpOnlyMedia

#: The SDES suites we offer (in order) and accept.
SDES_SUITES = ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32")


def engine_available() -> bool:
    """True when the native module carries the media engine."""
    try:
        from .. import _core
    except ImportError:
        return False
    return hasattr(_core, "MediaEngine")


def engine_codecs() -> list[Codec]:
    """What the engine encodes, in our preference order (opus first: wideband)."""
    return [Codec.opus(), Codec.pcmu(), Codec.pcma()]


class MediaHost(Protocol):
    """What a media factory needs from the user agent: the address RTP should use."""

    def media_host(self) -> str: ...


def media_factory(*, engine: bool = True) -> Callable[[MediaHost], MediaHandler]:
    """A ``UserAgentConfig.media_factory``: real audio on the UA's media address.

    :class:`EngineMedia` when the native engine is built (and ``engine``), else
    :class:`~siperb.media.sdp_media.SdpOnlyMedia` (signalling only).
    """

    def build(ua: MediaHost) -> MediaHandler:
        host = ua.media_host()
        if engine and engine_available():
            # UserAgentConfig.media_timeout: the engine reports a silence that long.
            timeout = getattr(getattr(ua, "config", None), "media_timeout", None)
            return EngineMedia(host, media_timeout=timeout)
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
        media_timeout: float | None = None,
    ):
        self.engine = engine or engine_mod.Engine.default()
        self._config = config
        self._rtp_timeout_ms = int(media_timeout * 1000) if media_timeout else 0
        self.session: engine_mod.MediaSession | None = None
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
        self._call: Any = None
        self._deferred = False  # an inbound call's answer is ready before the user answers

    # ---- SdpOnlyMedia hooks ----

    def _reserve_port(self, address: str) -> int:
        extra: dict[str, Any] = {}
        if self._rtp_timeout_ms and not (self._config and self._config.rtp_timeout_ms):
            extra["rtp_timeout_ms"] = self._rtp_timeout_ms
        self.session = self.engine.session(self._config, local_address=address, **extra)
        self.session.on("dtmf", self._on_dtmf)
        self.session.on("timeout", self._on_rtp_timeout)
        self.session.on("rtp_resumed", self._on_rtp_resumed)
        return self.session.local_port

    def _offer_capabilities(self) -> Any:
        return dataclasses.replace(self.capabilities, crypto=self.crypto if self.srtp else [])

    def _answer_capabilities(self) -> Any:
        return dataclasses.replace(self.capabilities, crypto=self.crypto)

    def _negotiated(self) -> None:
        if self.session is None or self.negotiated is None or self.closed or self._deferred:
            return
        params = engine_mod.stream_params(self.negotiated, local=self.local, remote=self.remote)
        first = not self.session.started
        self.session.start(params)
        if first:
            if self.source is not None:
                self.session.set_source(self.source)
            if self.sink is not None:
                self.session.set_sink(self.sink)

    def _send_dtmf(self, digit: str) -> None:
        if self.session is not None:
            self.session.send_dtmf(digit)

    # ---- audio and calls ----

    def set_source(self, source: Any) -> None:
        self.source = source
        if self.session is not None and self.session.started:
            self.session.set_source(source)

    def set_sink(self, sink: Any) -> None:
        self.sink = sink
        if self.session is not None and self.session.started:
            self.session.set_sink(sink)

    def bind_call(self, call: Any) -> None:
        """The call whose ``dtmf`` events the received RFC 4733 digits become.

        For an inbound call the session waits for :meth:`answered`: the answer SDP is made when
        the INVITE arrives, but the microphone must not reach the caller while it rings.
        """
        self._call = call
        self._deferred = getattr(call, "direction", "") == "inbound"

    def answered(self) -> None:
        """The user answered (our 200 went out): start the negotiated session."""
        if self._deferred:
            self._deferred = False
            self._negotiated()

    def _on_dtmf(self, event: Event) -> None:
        if not event.get("ended", True):
            return
        digit = str(event["digit"])
        self.dtmf_received.append(digit)
        if self._call is not None:
            self._call.media_dtmf(digit)

    def _on_rtp_timeout(self, event: Event) -> None:
        inactive = getattr(self._call, "media_inactive", None)
        if inactive is not None:
            inactive()

    def _on_rtp_resumed(self, event: Event) -> None:
        active = getattr(self._call, "media_active", None)
        if active is not None:
            active()

    def close(self) -> None:
        if self.session is not None and not self.closed:
            self.session.close()
        super().close()
