"""Offer/answer for a call with a real reserved UDP port and no audio.

:class:`SdpOnlyMedia` implements the INVITE session's
:class:`~siperb.sip.session.MediaHandler` port: it negotiates real SDP and records what was
agreed, for signalling tests and as the base of :class:`~siperb.media.call_media.EngineMedia`,
which adds the engine session that moves the audio.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from ..errors import SdpNegotiationError
from ..sdp import (
    Capabilities,
    Codec,
    Direction,
    Negotiated,
    SessionDescription,
    create_answer,
    create_offer,
    negotiate,
)
from ..sip.session import DTMF_DIGITS
from .remote_address import check_remote_address


def default_codecs() -> list[Codec]:
    return [Codec.opus(), Codec.pcmu(), Codec.pcma()]


def _check_address(negotiated: Negotiated, local: str) -> None:
    """The c= rule, except for WebRTC streams: there ICE finds the path (c= is a placeholder,
    often 0.0.0.0 or the other family, RFC 8839 4.2.1)."""
    if not negotiated.webrtc:
        check_remote_address(negotiated.remote_address, local)


class SdpOnlyMedia:
    """Offer/answer with a reserved local RTP port and no audio (signalling tests, no engine).

    It records what was negotiated (``negotiated``), the far end's current direction and the
    DTMF digits it was asked to send, so tests and applications can observe the session.
    """

    def __init__(
        self,
        address: str = "127.0.0.1",
        codecs: Sequence[Codec] | None = None,
        *,
        telephone_event: bool = True,
    ):
        self._sock: socket.socket | None = None
        self.port: int = self._reserve_port(address)
        self.capabilities = Capabilities(
            codecs=list(codecs) if codecs is not None else default_codecs(),
            telephone_event=telephone_event,
            address=address,
            port=self.port,
        )
        self.local: SessionDescription | None = None
        self.remote: SessionDescription | None = None
        self.negotiated: Negotiated | None = None
        self.dtmf_sent: list[str] = []
        self.closed = False
        self._pending_offer: SessionDescription | None = None

    def _reserve_port(self, address: str) -> int:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.bind((address, 0))
        return int(self._sock.getsockname()[1])

    def _offer_capabilities(self) -> Capabilities:
        return self.capabilities

    def _answer_capabilities(self) -> Capabilities:
        return self.capabilities

    def _negotiated(self) -> None:
        """Hook: ``negotiated``/``local``/``remote`` were just updated (start or adjust media)."""

    @property
    def remote_direction(self) -> Direction | None:
        """The direction the far end last declared (sendonly/inactive means it holds us)."""
        return (
            None if self.remote is None or not self.remote.media else self.remote.media_direction(0)
        )

    def create_offer(self) -> SessionDescription:
        self.local = self._pending_offer = create_offer(self._offer_capabilities(), self.local)
        return self.local

    def create_answer(self, offer: SessionDescription) -> SessionDescription:
        answer = create_answer(offer, self._answer_capabilities(), self.local)
        negotiated = negotiate(offer, answer, local_is_offerer=False)
        _check_address(negotiated, self.capabilities.address)
        self.negotiated = negotiated
        self.local, self.remote = answer, offer
        self._negotiated()
        return answer

    def apply_answer(self, answer: SessionDescription) -> None:
        offer = self._pending_offer or self.local
        if offer is None:
            raise SdpNegotiationError("an answer without an offer", field="sdp")
        negotiated = negotiate(offer, answer, local_is_offerer=True)
        _check_address(negotiated, self.capabilities.address)
        self.negotiated = negotiated
        self.remote = answer
        self._pending_offer = None
        self._negotiated()

    def update(self, remote: SessionDescription) -> SessionDescription:
        return self.create_answer(remote)

    def hold(self, direction: Direction) -> SessionDescription:
        self.capabilities.direction = direction
        return self.create_offer()

    def send_dtmf_rfc4733(self, digit: str) -> None:
        if digit not in DTMF_DIGITS:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        if self.negotiated is None or self.negotiated.telephone_event_pt is None:
            raise SdpNegotiationError("telephone-event was not negotiated", field="a=rtpmap")
        self._send_dtmf(digit)
        self.dtmf_sent.append(digit)

    def _send_dtmf(self, digit: str) -> None:
        """Hook: put one validated digit on the wire (nothing without an engine)."""

    def close(self) -> None:
        self.closed = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None
