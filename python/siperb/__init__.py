"""siperb: a real telephone inside a Python program.

The native core (``siperb._core``, C++20) parses and builds wire formats and moves audio;
this package is the API. Import from here, never from ``_core``.

Layers, each importing only those before it: the base (:mod:`~siperb.errors`,
:mod:`~siperb.events`, :mod:`~siperb.sdp`), the SIP stack (:mod:`siperb.sip`), media
(:mod:`siperb.media`, which implements the stack's media port), the SDK product
(:mod:`siperb.phone`), and applications (:mod:`siperb.cli`, :mod:`siperb.demo`).
"""

from __future__ import annotations

from . import _compat, errors, media, phone, sdp, sip
from ._version import __version__
from .errors import SiperbError
from .events import Event, EventHub
from .media import audio, codecs, dtmf, jitterbuffer, rtcp, rtp
from .phone import (
    AsyncHistory,
    Call,
    CallRecord,
    GetProvisioning,
    History,
    Login,
    Phone,
    PhoneOptions,
    Provisioning,
    ProvisionPhone,
    RegistrationError,
    Session,
    SessionState,
    get_provisioning,
    i18n,
    login,
    provision_phone,
)

_compat.install()

__all__ = [
    "AsyncHistory",
    "Call",
    "CallRecord",
    "Event",
    "EventHub",
    "GetProvisioning",
    "History",
    "Login",
    "Phone",
    "PhoneOptions",
    "ProvisionPhone",
    "Provisioning",
    "RegistrationError",
    "Session",
    "SessionState",
    "SiperbError",
    "__version__",
    "audio",
    "codecs",
    "dtmf",
    "errors",
    "get_provisioning",
    "i18n",
    "jitterbuffer",
    "login",
    "media",
    "phone",
    "provision_phone",
    "rtcp",
    "rtp",
    "sdp",
    "sip",
]
