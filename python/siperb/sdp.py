"""SDP (RFC 8866) session descriptions and RFC 3264 offer/answer.

Parsing, validation, serialisation and codec matching run in the native core; this module
gives them a dataclass face, so descriptions can be read, edited and built like plain data::

    offer = SessionDescription.parse(body)
    offer.media[0].direction = Direction.SENDONLY
    answer = create_answer(offer, Capabilities(codecs=[Codec.opus(), Codec.pcmu()], port=4000))
    result = negotiate(offer, answer, local_is_offerer=False)

Well-known attributes are typed fields; any other ``a=`` line is kept, in order, in
``attributes``. ``str(session)`` gives CRLF text and ``parse(str(x)) == x``.
Malformed text raises :class:`siperb.errors.SdpParseError` (``field`` names the line or
attribute, e.g. ``"a=rtpmap"``); an offer that cannot be answered raises
:class:`siperb.errors.SdpNegotiationError` (answer the INVITE with 488).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _core
from ._mirror import NativeMirror

__all__ = [
    "Attribute",
    "Bandwidth",
    "Candidate",
    "Capabilities",
    "Codec",
    "Connection",
    "Crypto",
    "Direction",
    "Extmap",
    "Fingerprint",
    "Fmtp",
    "Group",
    "Media",
    "Msid",
    "Negotiated",
    "OpusParams",
    "Origin",
    "Rtcp",
    "RtpMap",
    "SessionDescription",
    "Setup",
    "Ssrc",
    "Timing",
    "create_answer",
    "create_offer",
    "negotiate",
]


class Direction(str, enum.Enum):
    """``a=sendrecv`` and friends; compares equal to its SDP spelling."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    def __str__(self) -> str:
        return self.value


class Setup(str, enum.Enum):
    """``a=setup`` role of a DTLS/TCP connection (RFC 4145)."""

    ACTIVE = "active"
    PASSIVE = "passive"
    ACTPASS = "actpass"
    HOLDCONN = "holdconn"

    def __str__(self) -> str:
        return self.value


@dataclass
class Origin:
    """``o=``: who made the description, and its version (bumped on every change)."""

    username: str = "-"
    session_id: int = 0
    session_version: int = 0
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"


@dataclass
class Connection:
    """``c=``: where media goes; ``ttl``/``count`` only for multicast."""

    address: str = ""
    addrtype: str = "IP4"
    nettype: str = "IN"
    ttl: int | None = None
    count: int | None = None


@dataclass
class Bandwidth:
    """``b=<type>:<value>``, e.g. ``AS`` (kbit/s) or ``TIAS`` (bit/s)."""

    type: str = "AS"
    value: int = 0


@dataclass
class Timing:
    """``t=`` with its ``r=`` repeat lines (raw); ``0 0`` means unbounded."""

    start: int = 0
    stop: int = 0
    repeats: list[str] = field(default_factory=list)


@dataclass
class Attribute:
    """An attribute without a typed field; ``value`` is None for a flag (``a=rtcp-rsize``)."""

    name: str = ""
    value: str | None = None


@dataclass
class RtpMap:
    """``a=rtpmap:<pt> <encoding>/<clock>[/<channels>]``."""

    payload_type: int = 0
    encoding: str = ""
    clock_rate: int = 8000
    channels: int | None = None


@dataclass
class Fmtp:
    """``a=fmtp:<format> <params>``; ``parameters`` is the parsed ``k=v;...`` map."""

    format: str = ""
    params: str = ""

    @property
    def parameters(self) -> dict[str, str]:
        """The ``key=value`` items in order (a bare item such as ``0-16`` maps to "")."""
        return dict(_core.SdpFmtp(format=self.format, params=self.params).parameters())


@dataclass
class Rtcp:
    """``a=rtcp:<port> [IN IP4 <address>]`` (RFC 3605); empty address: the media's."""

    port: int = 0
    nettype: str = ""
    addrtype: str = ""
    address: str = ""


@dataclass
class Crypto:
    """``a=crypto`` SDES key (RFC 4568), e.g. suite ``AES_CM_128_HMAC_SHA1_80``."""

    tag: int = 1
    suite: str = ""
    key_params: str = ""
    session_params: list[str] = field(default_factory=list)


@dataclass
class Fingerprint:
    """``a=fingerprint:<hash-func> <value>`` of a DTLS certificate (RFC 8122)."""

    hash_func: str = "sha-256"
    value: str = ""


@dataclass
class Candidate:
    """``a=candidate`` ICE candidate (RFC 8839); unknown ``name value`` pairs in ``extensions``."""

    foundation: str = ""
    component: int = 1
    transport: str = "UDP"
    priority: int = 0
    address: str = ""
    port: int = 0
    type: str = "host"
    related_address: str | None = None
    related_port: int | None = None
    extensions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Group:
    """``a=group:<semantics> <mid>...`` (e.g. BUNDLE, RFC 5888)."""

    semantics: str = ""
    mids: list[str] = field(default_factory=list)


@dataclass
class Ssrc:
    """``a=ssrc:<id> <attribute>[:<value>]`` (RFC 5576)."""

    id: int = 0
    attribute: str = ""
    value: str | None = None


@dataclass
class Extmap:
    """``a=extmap:<id>[/<direction>] <uri> [<attributes>]`` (RFC 8285)."""

    id: int = 0
    direction: Direction | None = None
    uri: str = ""
    attributes: str = ""


@dataclass
class Msid:
    """``a=msid:<id> [<appdata>]`` (RFC 8830)."""

    id: str = ""
    appdata: str = ""


@dataclass
class Media:
    """One ``m=`` section; ``formats`` are payload types for RTP protos."""

    kind: str = "audio"
    port: int = 0
    port_count: int | None = None
    proto: str = "RTP/AVP"
    formats: list[str] = field(default_factory=list)
    information: str | None = None
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    key: str | None = None
    rtpmaps: list[RtpMap] = field(default_factory=list)
    fmtps: list[Fmtp] = field(default_factory=list)
    ptime: int | None = None
    maxptime: int | None = None
    direction: Direction | None = None
    rtcp: Rtcp | None = None
    rtcp_mux: bool = False
    mid: str | None = None
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    ice_options: list[str] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    setup: Setup | None = None
    ice_lite: bool = False
    end_of_candidates: bool = False
    crypto: list[Crypto] = field(default_factory=list)
    extmaps: list[Extmap] = field(default_factory=list)
    msids: list[Msid] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    ssrcs: list[Ssrc] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)

    @property
    def rtpmap(self) -> dict[int, RtpMap]:
        """The rtpmaps by payload type (a view for lookups; edit ``rtpmaps``)."""
        return {r.payload_type: r for r in self.rtpmaps}

    @property
    def fmtp(self) -> dict[str, Fmtp]:
        """The fmtps by format (a view for lookups; edit ``fmtps``)."""
        return {f.format: f for f in self.fmtps}


@dataclass
class SessionDescription:
    """A whole SDP body. Media without ``direction`` inherit the session's."""

    version: int = 0
    origin: Origin = field(default_factory=Origin)
    name: str = "-"
    information: str | None = None
    uri: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=lambda: [Timing()])
    zone: str | None = None
    key: str | None = None
    direction: Direction | None = None
    groups: list[Group] = field(default_factory=list)
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    ice_options: list[str] = field(default_factory=list)
    fingerprints: list[Fingerprint] = field(default_factory=list)
    setup: Setup | None = None
    ice_lite: bool = False
    end_of_candidates: bool = False
    attributes: list[Attribute] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str | bytes) -> SessionDescription:
        """Parse SDP text (CRLF or LF); raises SdpParseError naming the bad line."""
        return _from_native(cls, _core.SdpSession.parse(text))

    def __str__(self) -> str:
        return str(_to_native(self).to_string())

    def media_direction(self, index: int) -> Direction:
        """The direction of media ``index``: its own, else the session's, else sendrecv."""
        return self.media[index].direction or self.direction or Direction.SENDRECV

    def media_connection(self, index: int) -> Connection | None:
        """The ``c=`` that applies to media ``index``: its own, else the session's."""
        return self.media[index].connection or self.connection


@dataclass
class Codec:
    """A codec we can send and receive; ``payload_type`` pins its PT in our offers."""

    name: str = ""
    clock_rate: int = 8000
    channels: int = 1
    fmtp: str = ""
    payload_type: int | None = None

    @classmethod
    def pcmu(cls) -> Codec:
        """G.711 u-law, static PT 0."""
        return cls("PCMU", 8000)

    @classmethod
    def pcma(cls) -> Codec:
        """G.711 A-law, static PT 8."""
        return cls("PCMA", 8000)

    @classmethod
    def g722(cls) -> Codec:
        """G.722 (16 kHz audio, 8000 clock by RFC 3551's historical error), static PT 9."""
        return cls("G722", 8000)

    @classmethod
    def opus(cls, fmtp: str = "useinbandfec=1") -> Codec:
        """Opus, always ``opus/48000/2`` in SDP (RFC 7587)."""
        return cls("opus", 48000, 2, fmtp)


@dataclass
class Capabilities:
    """What we offer or accept: codecs in preference order, RTP address/port, direction.

    ``direction`` sendonly or inactive puts the call on hold; non-empty ``crypto`` offers
    RTP/SAVP (SDES-SRTP); ``session_id`` None picks a random o= id. ``webrtc`` offers
    UDP/TLS/RTP/SAVPF with our ICE credentials, ``candidates``, DTLS ``fingerprint`` and
    rtcp-mux (never ``crypto``), and lets answers accept such offers; ``setup`` keeps a DTLS
    role across re-negotiations (None: actpass in offers, active in answers).
    """

    codecs: list[Codec] = field(default_factory=list)
    telephone_event: bool = True
    telephone_event_fmtp: str = "0-16"
    telephone_event_pt: int = 101
    address: str = "127.0.0.1"
    port: int = 0
    direction: Direction = Direction.SENDRECV
    ptime: int | None = None
    rtcp_mux: bool = False
    crypto: list[Crypto] = field(default_factory=list)
    username: str = "-"
    session_id: int | None = None
    session_name: str = "siperb"
    webrtc: bool = False
    ice_ufrag: str = ""
    ice_pwd: str = ""
    candidates: list[str] = field(default_factory=list)
    ice_lite: bool = False
    fingerprint: str = ""
    setup: Setup | None = None


@dataclass
class OpusParams:
    """The remote side's opus fmtp parameters (RFC 7587 section 7)."""

    maxplaybackrate: int | None = None
    maxaveragebitrate: int | None = None
    useinbandfec: bool = False
    usedtx: bool = False
    stereo: bool = False
    sprop_stereo: bool = False
    ptime: int | None = None
    minptime: int | None = None


@dataclass
class Negotiated:
    """The audio stream an offer/answer settled on, from the local side's point of view.

    ``payload_type`` is the PT to send with (the remote's number), ``local_payload_type``
    the one we receive; ``codec.fmtp`` and ``opus`` are the remote's parameters. With
    ``webrtc``: the remote's ICE credentials, candidates and certificate fingerprint, our ICE
    role (``ice_controlling``) and our DTLS role (``dtls_setup``: active is the DTLS client).
    """

    media_index: int = 0
    codec: Codec = field(default_factory=Codec)
    payload_type: int = 0
    local_payload_type: int = 0
    telephone_event_pt: int | None = None
    telephone_event_fmtp: str = ""
    remote_address: str = ""
    remote_port: int = 0
    remote_rtcp_address: str = ""
    remote_rtcp_port: int = 0
    rtcp_mux: bool = False
    direction: Direction = Direction.SENDRECV
    ptime: int | None = None
    local_crypto: Crypto | None = None
    remote_crypto: Crypto | None = None
    opus: OpusParams | None = None
    webrtc: bool = False
    remote_ice_ufrag: str = ""
    remote_ice_pwd: str = ""
    remote_candidates: list[str] = field(default_factory=list)
    remote_ice_lite: bool = False
    ice_controlling: bool = False
    dtls_setup: str = ""
    remote_fingerprint: str = ""


def create_offer(
    local: Capabilities, previous: SessionDescription | None = None
) -> SessionDescription:
    """Our offer; with ``previous`` (our last offer) a re-offer: same o=, version + 1 if changed."""
    prev = None if previous is None else _to_native(previous)
    return _from_native(SessionDescription, _core.sdp_create_offer(_to_native(local), prev))


def create_answer(
    offer: SessionDescription | str | bytes,
    local: Capabilities,
    previous: SessionDescription | None = None,
) -> SessionDescription:
    """Answer ``offer``: codecs in the offerer's order and PTs, rejected streams with port 0.

    Raises SdpNegotiationError (SIP 488) if no audio stream can be accepted.
    """
    prev = None if previous is None else _to_native(previous)
    return _from_native(
        SessionDescription, _core.sdp_create_answer(_session(offer), _to_native(local), prev)
    )


def negotiate(
    offer: SessionDescription | str | bytes,
    answer: SessionDescription | str | bytes,
    *,
    local_is_offerer: bool = True,
) -> Negotiated:
    """What the media engine needs from an offer/answer pair (raises SdpNegotiationError)."""
    return _from_native(
        Negotiated, _core.sdp_negotiate(_session(offer), _session(answer), local_is_offerer)
    )


# --- conversion to and from the native value classes (same field names) ---

_NATIVE: dict[type, Callable[..., Any]] = {
    Origin: _core.SdpOrigin,
    Connection: _core.SdpConnection,
    Bandwidth: _core.SdpBandwidth,
    Timing: _core.SdpTiming,
    Attribute: _core.SdpAttribute,
    RtpMap: _core.SdpRtpMap,
    Fmtp: _core.SdpFmtp,
    Rtcp: _core.SdpRtcp,
    Crypto: _core.SdpCrypto,
    Fingerprint: _core.SdpFingerprint,
    Candidate: _core.SdpCandidate,
    Group: _core.SdpGroup,
    Ssrc: _core.SdpSsrc,
    Extmap: _core.SdpExtmap,
    Msid: _core.SdpMsid,
    Media: _core.SdpMedia,
    SessionDescription: _core.SdpSession,
    Codec: _core.SdpCodec,
    Capabilities: _core.SdpCapabilities,
    OpusParams: _core.SdpOpusParams,
    Negotiated: _core.SdpNegotiated,
}
_mirror = NativeMirror(_NATIVE)
_to_native = _mirror.to_native
_from_native = _mirror.from_native


def _session(value: SessionDescription | str | bytes) -> Any:
    if isinstance(value, SessionDescription):
        return _to_native(value)
    return _core.SdpSession.parse(value)
