"""The provisioning object: where and as whom the phone registers.

This is the Siperb SDK's "manual provisioning object" (and the ``Settings_json`` that
``GetProvisioning()`` returns), with the documented camel-case keys on the wire and snake_case
attributes in Python. It validates early, so a typo in a pasted JSON object fails here with the
key named, not later as an unexplained 401 from the PBX.

Decisions where the SDK documentation is silent:

- ``RegistrationMode`` is ``"Socket"`` (direct SIP over WebSocket to a PBX; the Siperb API's
  spelling ``"WebSocket"`` means the same) or ``"Proxy"`` (through the Siperb proxy); matched
  case-insensitively and stored in the canonical spelling. Missing means ``"Socket"``.
- Required: ``SipWssServer``, ``SipUsername`` and ``SipWebsocketPort`` in both modes;
  ``SipPassword`` in Socket mode, and in Proxy mode unless ``SipJwt`` is given (the proxy then
  authenticates the token and holds the PBX credentials).
- A hand-made object (:meth:`Provisioning.from_dict`) with an unknown key is rejected with a
  "did you mean" hint (typo protection); one from the API (:meth:`Provisioning.from_api`)
  keeps unknown keys in :attr:`Provisioning.extra`, since the service may add fields at will.
  Keys are matched case-insensitively (``ProfileName`` finds ``profileName``).
- ``SipWssServer`` may carry a ``wss://`` or ``ws://`` prefix; ``ws://`` (or ``secure=False``)
  selects plain WebSocket for lab PBXs. Otherwise the scheme is ``wss``. A server with a port
  or a path in it is refused: those have their own keys.
- ``SipUsername`` given as ``user@domain``: the part before ``@`` is the user (also used as
  the digest username); the part after is the domain when ``SipDomain`` is empty. With neither,
  the domain is the server's host name.
- ``SipContact`` is the Contact user part; empty gives a random token, fixed per object.
- The display name is ``ProfileUserName``, else ``profileName``.
- Secrets (``SipPassword``, ``SipJwt``) never appear in ``repr``/``str`` or in error messages.
- ``SipTransport`` (our addition; UDP, TCP, TLS, WS or WSS, any case) picks the transport; it
  defaults to WSS (WS with a ``ws://`` prefix). For UDP/TCP/TLS, ``SipWebsocketPort`` is the
  server's SIP port and ``SipServerPath`` is unused. TLS and WSS verify the server's
  certificate against the system CAs, or against ``SipCaFile`` (a PEM file). The REST API's
  device flag ``SelfSignedCertificate`` without a ``SipCaFile`` turns verification off (the
  phone logs a warning): with a CA file the self-signed certificate is checked against it.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProvisioningError

#: Documented key -> attribute name. ``SipJwt`` is the Proxy-mode token of GetProvisioning().
KEYS: dict[str, str] = {
    "RegistrationMode": "registration_mode",
    "profileName": "profile_name",
    "SipWssServer": "sip_wss_server",
    "SipUsername": "sip_username",
    "SipPassword": "sip_password",
    "SipDomain": "sip_domain",
    "ProfileUserName": "profile_user_name",
    "SipContact": "sip_contact",
    "SipWebsocketPort": "sip_websocket_port",
    "SipServerPath": "sip_server_path",
    "SipJwt": "sip_jwt",
    "SipTransport": "sip_transport",
    "SipCaFile": "sip_ca_file",
    "SelfSignedCertificate": "self_signed_certificate",
    # siperb's own keys (the SDK's object has none for media): see siperb.media.webrtc.
    "MediaProfile": "media_profile",
    "StunServer": "stun_server",
    "TurnServer": "turn_server",
    "TurnUsername": "turn_username",
    "TurnPassword": "turn_password",
    "MediaTimeout": "media_timeout",
}
_ATTR_TO_KEY = {v: k for k, v in KEYS.items()}
_KEY_BY_FOLDED = {k.casefold(): k for k in KEYS}
_SECRET_KEYS = frozenset({"SipPassword", "SipJwt", "TurnPassword"})

SOCKET = "Socket"
PROXY = "Proxy"
_MODES = {"socket": SOCKET, "websocket": SOCKET, "proxy": PROXY}
TRANSPORTS = ("UDP", "TCP", "TLS", "WS", "WSS")

_HOST_RE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=%-]+$")
_SIPERB_SUFFIX = ".siperb.com"


def _err(key: str, reason: str) -> ProvisioningError:
    return ProvisioningError(f"provisioning {key}: {reason}", field=key, reason=reason)


def _text(key: str, value: Any, *, secret: bool = False) -> str:
    """A string field; ``None`` (JSON null) reads as empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        shown = "" if secret else f", got {type(value).__name__}"
        raise _err(key, f"must be a string{shown}")
    return value.strip() if not secret else value


def _port(value: Any) -> int:
    key = "SipWebsocketPort"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _err(key, f"must be an integer port, got {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise _err(key, f"must be an integer port, got {value!r}")
        value = int(text)
    port = int(value)
    if not 1 <= port <= 65535:
        raise _err(key, f"must be within 1-65535, got {port}")
    return port


def normalise_path(path: str) -> str:
    """``ws``, ``/ws`` and ``//ws`` all give ``/ws``; an empty path gives ``/``."""
    if any(c.isspace() for c in path):
        raise _err("SipServerPath", f"must not contain white space, got {path!r}")
    return "/" + path.lstrip("/")


def _split_server(raw: str, secure: bool | None) -> tuple[str, bool]:
    """Strip an optional ``ws://``/``wss://`` prefix; return (host, secure)."""
    key = "SipWssServer"
    host = raw
    scheme_secure: bool | None = None
    lowered = raw.lower()
    for prefix, sec in (("wss://", True), ("ws://", False)):
        if lowered.startswith(prefix):
            host, scheme_secure = raw[len(prefix) :], sec
            break
    else:
        if "://" in raw:
            raise _err(key, f"scheme must be wss:// or ws://, got {raw!r}")
    if scheme_secure is not None and secure is not None and scheme_secure != secure:
        raise _err(key, f"{raw!r} contradicts secure={secure}")
    host = host.rstrip("/")
    if not host:
        raise _err(key, "is empty")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            host = str(ipaddress.IPv6Address(host))
        except ValueError:
            raise _err(
                key, f"{raw!r} is not a host name; put the port in SipWebsocketPort"
            ) from None
    elif "/" in host or not _HOST_RE.match(host):
        raise _err(key, f"{raw!r} is not a host name; put the path in SipServerPath")
    resolved = scheme_secure if scheme_secure is not None else secure
    return host, True if resolved is None else resolved


def _is_ipv6(host: str) -> bool:
    return ":" in host


def bracket_host(host: str) -> str:
    """The host as it goes into a URI: IPv6 literals in brackets."""
    return f"[{host}]" if _is_ipv6(host) else host


@dataclass(frozen=True)
class Provisioning:
    """SIP credentials and connection details (the documented manual provisioning object)."""

    sip_wss_server: str
    sip_username: str
    sip_password: str = field(default="", repr=False)
    sip_websocket_port: int | str | None = None
    registration_mode: str = SOCKET
    profile_name: str = ""
    sip_domain: str = ""
    profile_user_name: str = ""
    sip_contact: str = ""
    sip_server_path: str = "/"
    sip_jwt: str = field(default="", repr=False)
    #: ``None``: from the server prefix, else ``wss``. ``False`` selects ``ws://``.
    secure: bool | None = None
    sip_transport: str = ""
    sip_ca_file: str = ""
    self_signed_certificate: bool | None = False
    #: The call media profile: auto (WebRTC over WSS and in Proxy mode), webrtc, sdes, plain.
    media_profile: str = "auto"
    stun_server: str = ""  #: "stun:host[:port]"
    turn_server: str = ""  #: "turn:host[:port]"
    turn_username: str = ""
    turn_password: str = field(default="", repr=False)
    #: Seconds without RTP after which an established call (not on hold) is ended with
    #: outcome ``media_timeout``; 0: never; None: the user agent's default (30 s).
    media_timeout: float | None = None
    #: Keys of an API-provided object that this version does not know (kept, not used).
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, hash=False)
    _contact_token: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        mode_raw = _text("RegistrationMode", self.registration_mode)
        mode = _MODES.get(mode_raw.casefold()) if mode_raw else SOCKET
        if mode is None:
            raise _err("RegistrationMode", f"must be 'Socket' or 'Proxy', got {mode_raw!r}")
        set_ = object.__setattr__
        set_(self, "registration_mode", mode)
        for attr in ("profile_name", "sip_domain", "profile_user_name", "sip_contact"):
            set_(self, attr, _text(_ATTR_TO_KEY[attr], getattr(self, attr)))
        password = _text("SipPassword", self.sip_password, secret=True)
        jwt = _text("SipJwt", self.sip_jwt, secret=True).strip()
        set_(self, "sip_password", password)
        set_(self, "sip_jwt", jwt)
        if self.secure is not None and not isinstance(self.secure, bool):
            raise _err("secure", "must be a bool or None")

        server = _text("SipWssServer", self.sip_wss_server)
        if not server:
            raise _err("SipWssServer", "is required (the PBX host name or IP address)")
        host, secure = _split_server(server, self.secure)
        set_(self, "sip_wss_server", host)
        transport = _text("SipTransport", self.sip_transport).upper()
        if transport and transport not in TRANSPORTS:
            raise _err("SipTransport", f"must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
        if transport:
            wants_secure = transport in ("TLS", "WSS")
            prefixed = "://" in server
            if (prefixed and transport not in ("WS", "WSS")) or (
                (prefixed or self.secure is not None) and secure != wants_secure
            ):
                raise _err("SipTransport", f"{transport} contradicts SipWssServer {server!r}")
            secure = wants_secure
        set_(self, "secure", secure)
        set_(self, "sip_transport", transport or ("WSS" if secure else "WS"))
        ca_file = _text("SipCaFile", self.sip_ca_file)
        if ca_file and not os.path.isfile(ca_file):
            raise _err("SipCaFile", f"no such file: {ca_file!r}")
        set_(self, "sip_ca_file", ca_file)
        flag = self.self_signed_certificate
        if flag is not None and not isinstance(flag, bool):
            raise _err("SelfSignedCertificate", f"must be true or false, got {flag!r}")
        set_(self, "self_signed_certificate", bool(flag))

        profile = _text("MediaProfile", self.media_profile).strip().lower() or "auto"
        if profile not in ("auto", "webrtc", "sdes", "plain"):
            raise _err("MediaProfile", f"must be auto, webrtc, sdes or plain, got {profile!r}")
        set_(self, "media_profile", profile)
        for attr in ("stun_server", "turn_server", "turn_username"):
            set_(self, attr, _text(_ATTR_TO_KEY[attr], getattr(self, attr)).strip())
        set_(self, "turn_password", _text("TurnPassword", self.turn_password, secret=True))
        if self.turn_server and not (self.turn_username and self.turn_password):
            raise _err("TurnServer", "needs TurnUsername and TurnPassword")
        timeout = self.media_timeout
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                raise _err("MediaTimeout", f"must be a number of seconds, got {timeout!r}")
            if not 0 <= timeout < float("inf"):
                raise _err("MediaTimeout", f"must be 0 (never) or more seconds, got {timeout!r}")
            set_(self, "media_timeout", float(timeout))

        username = _text("SipUsername", self.sip_username)
        if username.lower().startswith("sip:"):
            username = username[4:]
        if not username or username.startswith("@"):
            raise _err("SipUsername", "is required")
        if any(c.isspace() for c in username) or username.count("@") > 1:
            raise _err("SipUsername", f"is not a SIP user name: {username!r}")
        set_(self, "sip_username", username)
        if self.sip_domain and not (_HOST_RE.match(self.sip_domain) or _ipv6(self.sip_domain)):
            raise _err("SipDomain", f"is not a domain: {self.sip_domain!r}")
        if any(c.isspace() or c in "@;<>" for c in self.sip_contact):
            raise _err("SipContact", f"is not a SIP user part: {self.sip_contact!r}")

        if self.sip_websocket_port is None or self.sip_websocket_port == "":
            raise _err("SipWebsocketPort", "is required (e.g. 8089 or 443)")
        set_(self, "sip_websocket_port", _port(self.sip_websocket_port))
        set_(self, "sip_server_path", normalise_path(_text("SipServerPath", self.sip_server_path)))

        if not password and not (mode == PROXY and jwt):
            need = "in Socket mode" if mode == SOCKET else "in Proxy mode without SipJwt"
            raise _err("SipPassword", f"is required {need}")
        if not isinstance(self.extra, Mapping):
            raise _err("extra", "must be a mapping")
        set_(self, "extra", dict(self.extra))
        set_(self, "_contact_token", self.sip_contact or secrets.token_hex(6))

    # ---- construction from what a user pastes or the API returns ----

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, secure: bool | None = None) -> Provisioning:
        """A hand-made object with the documented keys; unknown keys are an error."""
        return cls._from_mapping(data, keep_unknown=False, secure=secure)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Provisioning:
        """A ``Settings_json`` from GetProvisioning(); unknown keys land in :attr:`extra`."""
        return cls._from_mapping(data, keep_unknown=True, secure=None)

    @classmethod
    def from_json(cls, source: str | os.PathLike[str], *, api: bool = False) -> Provisioning:
        """JSON text (starting with ``{`` or ``[``) or the path of a JSON file."""
        if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
            text = source
        else:
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise ProvisioningError(
                    f"cannot read provisioning file: {exc.strerror}", field="path"
                ) from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProvisioningError(
                f"provisioning is not valid JSON: {exc.msg} (line {exc.lineno})",
                field="json",
                reason=exc.msg,
            ) from None
        return cls.from_api(data) if api else cls.from_dict(data)

    @classmethod
    def _from_mapping(
        cls, data: Mapping[str, Any], *, keep_unknown: bool, secure: bool | None
    ) -> Provisioning:
        if not isinstance(data, Mapping):
            raise ProvisioningError(
                f"provisioning must be an object, got {type(data).__name__}", field="Provisioning"
            )
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if not isinstance(key, str):
                raise _err(str(key), "keys must be strings")
            canonical = _KEY_BY_FOLDED.get(key.casefold())
            if canonical is None:
                if keep_unknown:
                    extra[key] = value
                    continue
                hint = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
                more = f"; did you mean {hint[0]!r}?" if hint else ""
                raise _err(key, f"unknown key{more} (known: {', '.join(KEYS)})")
            attr = KEYS[canonical]
            if attr in kwargs:
                raise _err(canonical, f"given twice ({key!r} and another spelling)")
            kwargs[attr] = value
        for attr in ("sip_wss_server", "sip_username"):
            kwargs.setdefault(attr, "")
        if kwargs.get("registration_mode") is None:
            kwargs.pop("registration_mode", None)
        if kwargs.get("sip_server_path") is None:
            kwargs.pop("sip_server_path", None)
        return cls(**kwargs, secure=secure, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """Back to the documented keys (with secrets: this is the object itself)."""
        plain_ws = self.sip_transport == "WS"
        server = f"ws://{self.sip_wss_server}" if plain_ws else self.sip_wss_server
        out: dict[str, Any] = {
            "RegistrationMode": self.registration_mode,
            "profileName": self.profile_name,
            "SipWssServer": server,
            "SipUsername": self.sip_username,
            "SipPassword": self.sip_password,
            "SipDomain": self.sip_domain,
            "ProfileUserName": self.profile_user_name,
            "SipContact": self.sip_contact,
            "SipWebsocketPort": self.sip_websocket_port,
            "SipServerPath": self.sip_server_path,
        }
        if self.sip_jwt:
            out["SipJwt"] = self.sip_jwt
        if self.sip_transport not in ("WS", "WSS"):
            out["SipTransport"] = self.sip_transport
        if self.sip_ca_file:
            out["SipCaFile"] = self.sip_ca_file
        if self.self_signed_certificate:
            out["SelfSignedCertificate"] = True
        if self.media_profile != "auto":
            out["MediaProfile"] = self.media_profile
        for key in ("StunServer", "TurnServer", "TurnUsername", "TurnPassword"):
            if getattr(self, KEYS[key]):
                out[key] = getattr(self, KEYS[key])
        if self.media_timeout is not None:
            out["MediaTimeout"] = self.media_timeout
        out.update(self.extra)
        return out

    # ---- derived values ----

    @property
    def port(self) -> int:
        """SipWebsocketPort as an int (normalised when the object is made)."""
        assert isinstance(self.sip_websocket_port, int)  # normalised in __post_init__
        return self.sip_websocket_port

    @property
    def scheme(self) -> str:
        """``wss`` or ``ws``: the WebSocket scheme the transport connects with."""
        return "wss" if self.secure else "ws"

    @property
    def websocket_url(self) -> str:
        """Where the SIP-over-WebSocket transport connects (RFC 7118)."""
        host = bracket_host(self.sip_wss_server)
        return f"{self.scheme}://{host}:{self.port}{self.sip_server_path}"

    @property
    def proxy_uri(self) -> str:
        """What the SIP stack connects to: the WebSocket URL, else ``sip:host:port;transport=``."""
        if self.sip_transport in ("WS", "WSS"):
            return self.websocket_url
        host = bracket_host(self.sip_wss_server)
        return f"sip:{host}:{self.port};transport={self.sip_transport.lower()}"

    @property
    def tls_verify(self) -> bool:
        """Verify the server's certificate, unless flagged self-signed with no CA file for it."""
        return not (self.self_signed_certificate and not self.sip_ca_file)

    @property
    def user(self) -> str:
        """The SIP user part (and digest username): ``SipUsername`` before any ``@``."""
        return self.sip_username.partition("@")[0]

    auth_username = user

    @property
    def domain(self) -> str:
        """``SipDomain``, else the domain of ``user@domain``, else the server's host name."""
        if self.sip_domain:
            return self.sip_domain.removeprefix("[").removesuffix("]")
        _, at, dom = self.sip_username.partition("@")
        return dom if at and dom else self.sip_wss_server

    @property
    def aor(self) -> str:
        """The address of record registered: ``sip:<user>@<domain>``."""
        return f"sip:{self.user}@{bracket_host(self.domain)}"

    @property
    def contact_user(self) -> str:
        """``SipContact``, or a random token chosen once for this object."""
        return self._contact_token

    @property
    def display_name(self) -> str:
        """Caller ID name: ``ProfileUserName``, else ``profileName``."""
        return self.profile_user_name or self.profile_name

    @property
    def is_proxy(self) -> bool:
        """True when RegistrationMode is Proxy (the SDK's Proxy provisioning model)."""
        return self.registration_mode == PROXY

    @property
    def needs_siperb_headers(self) -> bool:
        """Proxy mode, or any server of siperb.com: X-Siperb-Sid/-Uid are expected."""
        host = self.sip_wss_server.lower().rstrip(".")
        return self.is_proxy or host == "siperb.com" or host.endswith(_SIPERB_SUFFIX)

    def extra_headers(self, session_id: str, user_id: str) -> dict[str, str]:
        """Headers to add to REGISTER and INVITE (empty when the server needs none)."""
        if not self.needs_siperb_headers:
            return {}
        for key, value in (("SessionId", session_id), ("UserId", user_id)):
            if not isinstance(value, str) or not value.strip():
                raise _err(key, "is required for the Siperb proxy")
            if any(c in value for c in "\r\n\0"):
                raise _err(key, "must not contain line breaks")
        headers = {"X-Siperb-Sid": session_id.strip(), "X-Siperb-Uid": user_id.strip()}
        if self.sip_jwt:
            headers["Authorization"] = f"Bearer {self.sip_jwt}"
        return headers

    def media_options(self) -> dict[str, Any]:
        """The ``UserAgentConfig`` media settings (profile, STUN, TURN, media timeout)."""
        out: dict[str, Any] = {
            "media_profile": self.media_profile,
            "stun_server": self.stun_server,
            "turn_server": self.turn_server,
            "turn_username": self.turn_username,
            "turn_password": self.turn_password,
        }
        if self.media_timeout is not None:
            out["media_timeout"] = self.media_timeout or None  # 0: never
        return out

    def __repr__(self) -> str:
        secret = "'***'" if self.sip_password else "''"
        jwt = ", sip_jwt='***'" if self.sip_jwt else ""
        return (
            f"Provisioning(registration_mode={self.registration_mode!r}, "
            f"url={self.proxy_uri!r}, aor={self.aor!r}, "
            f"profile_name={self.profile_name!r}, sip_password={secret}{jwt})"
        )

    __str__ = __repr__


def _ipv6(text: str) -> bool:
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


__all__ = ["KEYS", "PROXY", "SOCKET", "Provisioning", "bracket_host", "normalise_path"]
