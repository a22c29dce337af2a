"""The "this browser" audio device: the page's microphone and speaker as the phone's audio.

A person using the frame from another machine picks "This browser" in the device selector; the
page then opens an RTCPeerConnection (its microphone, an audio element for what comes back)
and sends its offer over the control WebSocket (``browser_offer``; no trickle ICE: the page
waits for its gathering, we answer with our host candidates). The answer comes from an
ordinary WebRTC :class:`~siperb.media.EngineMedia` (ICE, DTLS-SRTP, Opus in the engine; the
SDP policy of :mod:`siperb.media.webrtc`), so nothing here parses SDP.

The call and the browser leg are joined inside the engine by two native ``AudioPipe`` rings
(what the call receives is what the leg sends, and the reverse): no packet passes through
Python. Bounded: one leg per frame, owned by the page that opened it (another page is
refused; the owner's new offer replaces its leg; the owner's socket closing ends it).
"""

from __future__ import annotations

import logging
from typing import Any

from .. import _core
from ..errors import SdpNegotiationError, SiperbError
from ..media import EngineMedia
from ..media.call_media import ice_servers, is_webrtc_offer, webrtc_available
from ..media.webrtc import IceServers
from ..sdp import SessionDescription

log = logging.getLogger("siperb.ui")

#: The device name the page uses for "This browser" (not a name PortAudio gives a device).
BROWSER_DEVICE = "@browser"
#: The pipes' rate (the engine resamples to and from each side's codec) and their bound.
PIPE_RATE = 16000
PIPE_MS = 200
MAX_OFFER_CHARS = 12000


class BrowserAudio:
    """One browser leg and the call it is bridged to (see the module docstring)."""

    def __init__(self, *, address: str = "127.0.0.1", engine: Any = None) -> None:
        self.address = address
        self.engine = engine
        self.leg: EngineMedia | None = None
        self.owner: object | None = None
        self.call: Any = None  # the phone call the pipes are attached to
        self._to_browser: Any = None  # AudioPipe: call's received audio -> leg's source
        self._to_call: Any = None  # AudioPipe: leg's received audio -> call's source

    @property
    def available(self) -> bool:
        """True when the engine runs WebRTC sessions (else the page does not offer the device)."""
        return webrtc_available()

    @property
    def active(self) -> bool:
        return self.leg is not None

    def pipes(self) -> dict[str, dict[str, int]]:
        """The two pipes' counters (tests and diagnostics)."""
        if self._to_browser is None:
            return {}
        return {"to_browser": self._to_browser.counters, "to_call": self._to_call.counters}

    async def open(self, owner: object, offer_sdp: str, phone: Any = None) -> str:
        """Answer the page's WebRTC offer; the leg replaces ``owner``'s earlier one. The leg
        gathers on the frame's address with ``phone``'s STUN/TURN servers (its UA config), so
        a browser on another machine gets server-reflexive and relay candidates too."""
        if self.leg is not None and self.owner is not owner:
            raise SiperbError("browser_offer: another page already uses this browser device",
                              field="browser_offer", reason="in use by another page")  # fmt: skip
        if not self.available:
            raise SiperbError("browser_offer: the media engine has no WebRTC support",
                              field="browser_offer", reason="no WebRTC engine")  # fmt: skip
        if len(offer_sdp) > MAX_OFFER_CHARS:
            raise SdpNegotiationError(f"sdp: longer than {MAX_OFFER_CHARS} characters",
                                      field="sdp", reason="too long")  # fmt: skip
        offer = SessionDescription.parse(offer_sdp)
        if not is_webrtc_offer(offer):
            raise SdpNegotiationError("sdp: not a WebRTC offer (UDP/TLS/RTP/SAVPF)",
                                      field="sdp", reason="not WebRTC")  # fmt: skip
        self.close()
        to_browser = _core.AudioPipe(PIPE_RATE, PIPE_MS)
        to_call = _core.AudioPipe(PIPE_RATE, PIPE_MS)
        leg = EngineMedia(self.address, webrtc=True, engine=self.engine, ice=self.ice(phone),
                          source=to_browser.source, sink=to_call.sink)  # fmt: skip
        try:
            await leg.gather()
            answer = leg.create_answer(offer)
        except BaseException:
            leg.close()
            raise
        self.leg, self.owner = leg, owner
        self._to_browser, self._to_call = to_browser, to_call
        log.info("browser audio leg open (engine session %s)", _session_id(leg))
        return str(answer)

    @staticmethod
    def ice(phone: Any) -> IceServers:
        """The phone's STUN/TURN servers (those of its calls), none without a phone."""
        return ice_servers(getattr(getattr(phone, "ua", None), "config", None))

    def follow(self, phone: Any) -> None:
        """Bridge the leg to the phone's current call (called after every phone event)."""
        if self.leg is None or phone is None:
            return
        call = _bridgeable(getattr(phone, "current_call", None))
        if call is self.call:
            return
        self._detach(phone)
        if call is not None:
            try:
                call.set_source(self._to_call.source)
                call.set_sink(self._to_browser.sink)
            except SiperbError as exc:  # a call without an engine session (SDP-only media)
                log.info("browser audio: cannot bridge this call: %s", exc)
                return
            self.call = call

    def close(self, phone: Any = None) -> None:
        """End the leg (the page chose another device, went away, or the frame closes)."""
        self._detach(phone)
        if self.leg is not None:
            self.leg.close()
            log.info("browser audio leg closed")
        self.leg = self.owner = None
        self._to_browser = self._to_call = None

    def _detach(self, phone: Any) -> None:
        """Give the call back its device (or silence when the phone has none)."""
        call, self.call = self.call, None
        if call is None or getattr(call, "ended", True):
            return
        device = getattr(getattr(phone, "media", None), "device", None)
        try:
            call.set_source(getattr(device, "source", None))
            call.set_sink(getattr(device, "sink", None))
        except SiperbError as exc:
            log.info("browser audio: cannot restore the call's device: %s", exc)


def _bridgeable(call: Any) -> Any:
    """The call when it has media to bridge (not ended), else None."""
    if call is None or getattr(call, "ended", True):
        return None
    return call


def _session_id(leg: EngineMedia) -> int | None:
    return leg.session.id if leg.session is not None else None


__all__ = ["BROWSER_DEVICE", "PIPE_MS", "PIPE_RATE", "BrowserAudio"]
