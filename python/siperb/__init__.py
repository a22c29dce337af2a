"""siperb: a real telephone inside a Python program.

The native core (``siperb._core``, C++20) parses and builds wire formats and moves audio;
this package is the API. Import from here, never from ``_core``.
"""

from __future__ import annotations

__version__ = "0.1.0"  # before the submodules, which put it in User-Agent strings

from . import audio, codecs, dtmf, errors, i18n, jitterbuffer, media, rtcp, rtp, sdp, sip
from .api import GetProvisioning, Login, Session, get_provisioning, login
from .call import Call, SessionState
from .errors import SiperbError
from .events import Event, EventHub
from .history import AsyncHistory, CallRecord, History
from .options import PhoneOptions
from .phone import Phone, ProvisionPhone, RegistrationError, provision_phone
from .provisioning import Provisioning

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
    "provision_phone",
    "rtcp",
    "rtp",
    "sdp",
    "sip",
]
