"""One exception hierarchy for everything siperb raises.

Every error carries ``field`` (what was wrong: a header, an SDP line, an option name) and
``reason`` (why), so callers can react programmatically and people can read the message.
Native errors from ``siperb._core`` are translated into these same classes.
"""

from __future__ import annotations


class SiperbError(Exception):
    """Base class of every siperb error."""

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.field = field or None
        self.reason = reason if reason is not None else message


class SipParseError(SiperbError, ValueError):
    """A SIP message, header or URI is malformed (``field`` names the header)."""


class SdpError(SiperbError, ValueError):
    """Base class of SDP errors."""


class SdpParseError(SdpError):
    """An SDP body is malformed (``field`` names the line or attribute)."""


class SdpNegotiationError(SdpError):
    """An SDP offer cannot be answered; a UA answers such an INVITE with 488."""


class RtpError(SiperbError, ValueError):
    """An RTP, RTCP or telephone-event packet is malformed or inconsistent."""


class CodecError(SiperbError):
    """A codec rejected its parameters or its input (libopus's message as the reason)."""


class WavError(SiperbError, ValueError):
    """A WAV file is malformed or its format does not fit."""


class MediaError(SiperbError):
    """The media engine or an audio device failed."""


class StunParseError(SiperbError, ValueError):
    """A STUN message is malformed (``field`` names the attribute, or ``header``)."""


class TransportError(SiperbError, ConnectionError):
    """A SIP transport could not connect, or its connection was lost."""


class AuthenticationError(SiperbError, ValueError):
    """A digest challenge cannot be answered, or the credentials were refused."""


class OptionsError(SiperbError, ValueError):
    """An option of ProvisionPhone() is unknown, of the wrong type, or has a bad value."""


class ProvisioningError(SiperbError, ValueError):
    """A provisioning object is incomplete or invalid (``field`` names the key)."""


class ApiError(SiperbError):
    """The Siperb REST API answered with an error (``status`` is the HTTP status)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        field: str | None = None,
        reason: str | None = None,
    ):
        super().__init__(message, field=field, reason=reason)
        self.status = status


class FeatureDisabledError(SiperbError):
    """A feature switched off by an Enable* option was used."""


__all__ = [
    "ApiError",
    "AuthenticationError",
    "CodecError",
    "FeatureDisabledError",
    "MediaError",
    "OptionsError",
    "ProvisioningError",
    "RtpError",
    "SdpError",
    "SdpNegotiationError",
    "SdpParseError",
    "SipParseError",
    "SiperbError",
    "StunParseError",
    "TransportError",
    "WavError",
]
