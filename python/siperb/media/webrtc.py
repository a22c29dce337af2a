"""The WebRTC media profile: which profile a call offers, and what ICE/DTLS need from SDP.

Policy only; the bytes (ICE, DTLS-SRTP, SRTP) are the native engine's. A call's profile is
:data:`WEBRTC` (UDP/TLS/RTP/SAVPF: ICE, DTLS-SRTP, rtcp-mux, BUNDLE), :data:`SDES` (RTP/SAVP
with ``a=crypto``), :data:`PLAIN` (RTP/AVP) or :data:`AUTO`: WebRTC when the SIP transport is
a secure WebSocket (``wss``: what a browser phone talks to, such as Asterisk's ``/ws`` on
8089) or the account is in Siperb Proxy mode, else plain RTP (plain ``ws`` too: it is mostly a
test or LAN set-up, where the far end is often a plain SIP endpoint).

Whatever we offer, an incoming offer is answered in its own profile when we can: a WebRTC
offer gets a WebRTC answer, an RTP/AVP offer a plain one (the fallback to RTP/AVP).

Kept across re-INVITEs (hold/resume, codec change): our ICE ufrag/pwd and certificate
fingerprint (the engine session's, fixed for its life) and our DTLS role once negotiated, so a
re-offer or re-answer never restarts ICE or DTLS.

Gathering is capped: ``SessionConfig.gather_timeout_ms`` (default :data:`GATHER_TIMEOUT_MS`,
500 ms) bounds how long server-reflexive/relayed candidates may hold an INVITE back.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import OptionsError, SdpNegotiationError
from ..sdp import Negotiated, SessionDescription, Setup

__all__ = [
    "GATHER_TIMEOUT_MS",
    "IceServers",
    "MediaProfile",
    "WebRtcState",
    "engine_params",
    "resolve_profile",
    "usable_candidates",
]

#: The cap on server-reflexive/relayed gathering before an offer or answer goes out.
GATHER_TIMEOUT_MS = 500


class MediaProfile(str, enum.Enum):
    """How a call's audio is carried (``UserAgentConfig.media_profile``)."""

    AUTO = "auto"
    WEBRTC = "webrtc"
    SDES = "sdes"
    PLAIN = "plain"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | MediaProfile) -> MediaProfile:
        """The profile named ``value`` (case-insensitive); OptionsError names the choices."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(p.value for p in cls)
            message = f"media_profile must be one of {choices}, got {value!r}"
            raise OptionsError(message, field="media_profile", reason="unknown profile") from None


def resolve_profile(profile: str | MediaProfile, proxy: str = "", *,
                    proxy_mode: bool = False) -> MediaProfile:  # fmt: skip
    """The concrete profile of ``profile`` for an account whose SIP proxy is ``proxy``."""
    chosen = MediaProfile.parse(profile)
    if chosen is not MediaProfile.AUTO:
        return chosen
    scheme = proxy.split(":", 1)[0].strip().lower()
    secure_ws = scheme == "wss" or "transport=wss" in proxy.lower()
    return MediaProfile.WEBRTC if secure_ws or proxy_mode else MediaProfile.PLAIN


def _server(value: str, field_name: str, default_port: int) -> str:
    """``stun:host[:port]``, ``turn:host[:port]?transport=udp`` or ``host:port`` as numeric
    ``host:port``/``[v6]:port`` (names resolved here: the engine takes numbers only)."""
    text = value.strip()
    if not text:
        return ""
    for prefix in ("stun:", "stuns:", "turn:", "turns:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.split("?", 1)[0]
    try:
        parts = urlsplit("//" + text)
        host, port = parts.hostname, parts.port or default_port
    except ValueError as exc:
        raise OptionsError(f"{field_name}: {exc}", field=field_name, reason=str(exc)) from None
    if not host:
        raise OptionsError(f"{field_name}: no host in {value!r}", field=field_name,
                          reason="no host")  # fmt: skip
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise OptionsError(f"{field_name}: cannot resolve {host!r}: {exc}",
                              field=field_name, reason="cannot resolve") from None  # fmt: skip
        ip = ipaddress.ip_address(info[0][4][0])
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


@dataclass
class IceServers:
    """STUN and TURN servers (``UserAgentConfig``/phone options); the password is never logged."""

    stun_server: str = ""
    turn_server: str = ""
    turn_username: str = ""
    turn_password: str = field(default="", repr=False)

    def engine_config(self) -> dict[str, Any]:
        """The ``SessionConfig`` fields (numeric addresses; blocking if a name must resolve)."""
        if self.turn_server and not (self.turn_username and self.turn_password):
            raise OptionsError("turn_server needs turn_username and turn_password",
                              field="turn_username", reason="missing credentials")  # fmt: skip
        return {
            "stun_server": _server(self.stun_server, "stun_server", 3478),
            "turn_server": _server(self.turn_server, "turn_server", 3478),
            "turn_username": self.turn_username,
            "turn_password": self.turn_password,
        }


def usable_candidates(candidates: list[str], local_address: str = "") -> list[str]:
    """The remote candidates the engine can check: UDP, component 1 (rtcp-mux), IP literals
    (of ``local_address``'s family when it is given: one socket has one family).

    mDNS names (``<uuid>.local``, RFC 8839 / draft-ietf-mmusic-mdns-ice-candidates) are left
    out, not resolved: the browser also sends from its real address, which ICE then learns as
    a peer-reflexive candidate, so the call still connects.
    """
    family: int | None = None
    try:
        family = ipaddress.ip_address(local_address.strip("[]")).version if local_address else None
    except ValueError:
        family = None
    kept = []
    for value in candidates:
        text = value.removeprefix("candidate:")
        fields = text.split()
        if len(fields) < 8 or fields[1] != "1" or fields[2].lower() != "udp":
            continue
        try:
            address = ipaddress.ip_address(fields[4])
        except ValueError:
            continue  # .local or any other name
        if family is not None and address.version != family:
            continue
        kept.append(text)
    return kept


def engine_params(negotiated: Negotiated, local_address: str = "") -> dict[str, Any]:
    """The WebRTC ``StreamParams`` fields of a negotiated WebRTC stream (empty if it is not)."""
    if not negotiated.webrtc:
        return {}
    return {
        "rtcp_mux": True,
        "ice_ufrag": negotiated.remote_ice_ufrag,
        "ice_pwd": negotiated.remote_ice_pwd,
        "ice_candidates": usable_candidates(negotiated.remote_candidates, local_address),
        "ice_lite": negotiated.remote_ice_lite,
        "ice_controlling": negotiated.ice_controlling,
        "dtls_setup": negotiated.dtls_setup,
        "dtls_fingerprint": negotiated.remote_fingerprint,
    }


def check_answer(answer: SessionDescription) -> None:
    """Refuse a WebRTC answer our one-socket ICE session cannot use (SdpNegotiationError).

    baresip 1.0 shows both traps: without ``rtcp_mux yes`` its answer leaves out a=rtcp-mux
    (RFC 5761 5.1.1: then RTCP must go to a separate port; JSEP's rtcp-mux policy "require"
    rejects such an answer), and when a proxy rewrote our c= (Kamailio's fix_nated_sdp) it
    answers a=ice-mismatch and does no ICE (RFC 8839 5.4). Either way no audio could flow, so
    the call ends saying why instead of showing as established. rtcp-mux is checked first:
    baresip without it also answers a=ice-mismatch (it looks for our RTCP port, m= port + 1,
    among our candidates, which are component 1 only).
    """
    for m in answer.media:
        if m.kind != "audio" or m.port == 0 or not m.proto.startswith("UDP/TLS/RTP/SAVP"):
            continue
        names = {a.name for a in (*answer.attributes, *m.attributes)}
        if not m.rtcp_mux:
            raise SdpNegotiationError(
                "the answer has no a=rtcp-mux: the WebRTC profile carries RTP and RTCP on one "
                "socket (RFC 5761 5.1.1, JSEP rtcp-mux policy require)",
                field="a=rtcp-mux", reason="rtcp-mux declined by the far end")  # fmt: skip
        if "ice-mismatch" in names:
            raise SdpNegotiationError(
                "the answer says a=ice-mismatch: the far end does no ICE (a proxy on the way "
                "rewrote our c=/m= address, e.g. fix_nated_sdp), which the WebRTC profile needs",
                field="a=ice-mismatch",
                reason="ICE refused by the far end (RFC 8839 5.4)",
            )
        return


@dataclass
class WebRtcState:
    """Our side of a WebRTC stream, kept for the call's life (re-INVITEs keep ICE and DTLS)."""

    ice_ufrag: str = ""
    ice_pwd: str = field(default="", repr=False)
    fingerprint: str = ""
    candidates: list[str] = field(default_factory=list)
    #: Our DTLS role once negotiated: re-answers keep it (RFC 8842 5.5: no new association).
    setup: Setup | None = None

    def capabilities(self) -> dict[str, Any]:
        """The ``Capabilities`` fields for an offer or answer in the WebRTC profile."""
        return {
            "webrtc": True,
            "ice_ufrag": self.ice_ufrag,
            "ice_pwd": self.ice_pwd,
            "candidates": list(self.candidates),
            "fingerprint": self.fingerprint,
            "setup": self.setup,
        }

    def negotiated(self, negotiated: Negotiated) -> None:
        """Remember our DTLS role: later answers keep it (offers say actpass, JSEP 5.2.2)."""
        if negotiated.webrtc and negotiated.dtls_setup:
            self.setup = Setup(negotiated.dtls_setup)

    def offer_capabilities(self) -> dict[str, Any]:
        """Offers say actpass (JSEP), whatever role we hold now."""
        return {**self.capabilities(), "setup": None}
