"""The SDK product: the phone as the Siperb Web Phone SDK defines it.

:class:`Phone` (``ProvisionPhone``) drives one account's user agent (:mod:`siperb.sip`) and its
calls' media (:mod:`siperb.media`); :class:`Call` is the SDK's session object. Around them:
options (:mod:`~siperb.phone.options`), provisioning (:mod:`~siperb.phone.provisioning`), the
Siperb REST client (:mod:`~siperb.phone.rest`), call history (:mod:`~siperb.phone.history`),
the PhoneFrame protocol (:mod:`~siperb.phone.frame`) and translations
(:mod:`~siperb.phone.i18n`).
"""

from __future__ import annotations

from .call import Call, SessionState
from .history import AsyncHistory, CallRecord, History
from .history_pg import PgHistory  # registers postgresql:// history URLs
from .options import PhoneOptions
from .phone import Phone, PhoneSettings, ProvisionPhone, RegistrationError, provision_phone
from .provisioning import Provisioning
from .rest import (
    Device,
    GetDevices,
    GetProvisioning,
    Login,
    ProvisioningCache,
    Session,
    get_devices,
    get_provisioning,
    login,
)

__all__ = [
    "AsyncHistory",
    "Call",
    "CallRecord",
    "Device",
    "GetDevices",
    "GetProvisioning",
    "History",
    "Login",
    "PgHistory",
    "Phone",
    "PhoneOptions",
    "PhoneSettings",
    "ProvisionPhone",
    "Provisioning",
    "ProvisioningCache",
    "RegistrationError",
    "Session",
    "SessionState",
    "get_devices",
    "get_provisioning",
    "login",
    "provision_phone",
]
