"""Client of the Siperb REST API: Login(), GetDevices() and GetProvisioning().

Standard library only (``http.client`` in a worker thread via ``asyncio.to_thread``): two small
requests at start-up do not justify an HTTP dependency. Each request has a socket timeout and an
overall deadline. Errors are :class:`siperb.errors.ApiError` with ``status`` (``None`` when no
HTTP answer came) and ``field`` naming what was wrong. Tokens never reach logs or messages: they
are scrubbed from any server text quoted in an error.

The base URL is the ``base_url`` argument, else ``$SIPERB_API_URL``, else
``https://api.siperb.com``. GetDevices() and GetProvisioning() take either positional strings or
the SDK's single object (``{"UserId": ..., "DeviceToken": ..., "SessionToken": ...}``); a
:class:`~siperb.phone.provisioning_cache.ProvisioningCache` passed as ``cache`` makes
GetProvisioning() answer from memory at once and refresh in the background.
"""

from __future__ import annotations

import asyncio
import difflib
import http.client
import json
import logging
import os
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._version import __version__
from ..errors import ApiError
from .provisioning import Provisioning
from .provisioning_cache import ProvisioningCache

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.siperb.com"
ENV_BASE_URL = "SIPERB_API_URL"
DEFAULT_TIMEOUT = 10.0
_MAX_BODY = 1 << 20
_SCRIPT_PLATFORM = "script"


@dataclass(frozen=True)
class Session:
    """What Login() returns: the user and a session token for the other calls."""

    user_id: str
    session_token: str = field(repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def UserId(self) -> str:  # the SDK's name
        """The SDK's name for :attr:`user_id`."""
        return self.user_id

    @property
    def SessionToken(self) -> str:  # the SDK's name
        """The SDK's name for :attr:`session_token`."""
        return self.session_token


def base_url_from(base_url: str | None) -> str:
    url = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(f"bad Siperb API base URL {url!r}", field="base_url", reason="bad URL")
    return url.rstrip("/")


@dataclass(frozen=True)
class _Response:
    status: int
    reason: str
    body: bytes


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _request_sync(method: str, url: str, headers: Mapping[str, str], timeout: float) -> _Response:
    parts = urllib.parse.urlsplit(url)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request(method, target, headers=dict(headers))
        resp = conn.getresponse()
        body = resp.read(_MAX_BODY + 1)
        return _Response(resp.status, resp.reason, body)
    finally:
        conn.close()


async def _request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    timeout: float,
    what: str,
    secrets: tuple[str, ...],
) -> Any:
    """One request; the decoded JSON body of a 2xx answer, or ApiError."""
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ApiError(f"{what}: timeout must be a positive number", field="timeout")
    all_headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": f"siperb-python/{__version__}",
        **headers,
    }
    try:
        resp = await asyncio.wait_for(
            asyncio.to_thread(_request_sync, method, url, all_headers, timeout), timeout + 1.0
        )
    except (TimeoutError, asyncio.TimeoutError):
        raise ApiError(
            f"{what}: no answer from the Siperb API within {timeout:g} s",
            field="timeout",
            reason="timed out",
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        reason = _scrub(str(exc) or type(exc).__name__, secrets)
        raise ApiError(
            f"{what}: cannot reach the Siperb API: {reason}", field="connection", reason=reason
        ) from None
    if len(resp.body) > _MAX_BODY:
        raise ApiError(f"{what}: answer too large", status=resp.status, field="body")
    text = resp.body.decode("utf-8", errors="replace")
    if not 200 <= resp.status < 300:
        message = _scrub(_server_message(text) or resp.reason or "error", secrets)
        log.debug("%s: HTTP %d", what, resp.status)
        raise ApiError(
            f"{what}: HTTP {resp.status}: {message}",
            status=resp.status,
            field="status",
            reason=message,
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(
            f"{what}: the answer is not JSON ({exc.msg})",
            status=resp.status,
            field="body",
            reason=exc.msg,
        ) from None


def _server_message(text: str) -> str:
    """The message of a JSON error body, else the start of the text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text.strip()[:200]
    if isinstance(data, Mapping):
        for key in ("Message", "message", "error", "Error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value[:200]
    return text.strip()[:200]


def _string_field(data: Any, key: str, what: str, status: int = 200) -> str:
    if not isinstance(data, Mapping):
        raise ApiError(f"{what}: the answer is not a JSON object", status=status, field="body")
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(
            f"{what}: the answer has no {key}", status=status, field=key, reason="missing"
        )
    return value.strip()


def _need(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(f"{name} is required", field=name, reason="missing")
    return value.strip()


_QUERY_KEYS = ("UserId", "DeviceToken", "SessionToken")


def _query(first: object, rest: tuple[object, ...], keys: tuple[str, ...]) -> list[str]:
    """The positional strings, or the same values read from the SDK's single object."""
    if not isinstance(first, Mapping):
        values = [first, *rest]
        values += [""] * (len(keys) - len(values))
        return [_need(k, v) for k, v in zip(keys, values, strict=False)]
    if rest:
        raise ApiError("give either the SDK's object or positional arguments", field="arguments")
    for name in first:
        if name not in _QUERY_KEYS:
            hit = difflib.get_close_matches(str(name), keys, n=1, cutoff=0.6)
            hint = f"; did you mean {hit[0]!r}?" if hit else f" (keys: {', '.join(keys)})"
            raise ApiError(f"unknown key {name!r}{hint}", field=str(name), reason="unknown key")
    return [_need(k, first.get(k)) for k in keys]


@dataclass(frozen=True)
class Device:
    """One device of GetDevices(): what the listing says, without secrets."""

    device_token: str = field(repr=False)
    platform: str
    name: str
    #: The SDK's flag: the PBX behind this device presents a self-signed TLS certificate.
    self_signed_certificate: bool
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def DeviceToken(self) -> str:  # the SDK's names
        return self.device_token

    @property
    def Platform(self) -> str:
        return self.platform

    @property
    def SelfSignedCertificate(self) -> bool:
        return self.self_signed_certificate


def _device(record: Any) -> Device:
    if not isinstance(record, Mapping):
        raise ApiError("GetDevices: a device is not a JSON object", status=200, field="body")
    token = _string_field(record, "DeviceToken", "GetDevices")
    clean = {k: v for k, v in record.items() if k not in ("Settings_json", "SipPassword")}
    return Device(token, str(record.get("Platform") or ""), str(record.get("DeviceName") or ""),
                  record.get("SelfSignedCertificate") is True, clean)  # fmt: skip


async def get_devices(
    user_id: str | Mapping[str, Any],
    session_token: str | None = None,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Device]:
    """The user's devices (``GET /Users/{id}/Devices/``), to pick a ``script`` one."""
    rest = () if session_token is None else (session_token,)
    user_id, session_token = _query(user_id, rest, ("UserId", "SessionToken"))
    url = f"{base_url_from(base_url)}/Users/{urllib.parse.quote(user_id, safe='')}/Devices/"
    data = await _request("GET", url, {"X-Api-Key": session_token}, timeout=timeout,
                          what="GetDevices", secrets=(session_token,))  # fmt: skip
    if not isinstance(data, list):
        raise ApiError("GetDevices: the answer is not a JSON list", status=200, field="body")
    return [_device(record) for record in data]


async def login(
    pat: str, *, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Session:
    """Exchange a Personal Access Token for a session (``POST /Login``)."""
    pat = _need("pat", pat)
    url = base_url_from(base_url) + "/Login"
    data = await _request(
        "POST",
        url,
        {"Authorization": f"Bearer {pat}", "Content-Length": "0"},
        timeout=timeout,
        what="Login",
        secrets=(pat,),
    )
    user_id = _string_field(data, "UserId", "Login")
    token = _string_field(data, "SessionToken", "Login")
    return Session(user_id=user_id, session_token=token, raw=dict(data))


async def get_provisioning(
    user_id: str | Mapping[str, Any],
    device_token: str | None = None,
    session_token: str | None = None,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cache: ProvisioningCache | None = None,
    refresh: bool = False,
    max_age: float | None = None,
) -> Provisioning:
    """A ``script`` device's provisioning (``GET /Users/{id}/Devices/{token}/``).

    With ``cache``: a cached copy is returned at once and refreshed in the background;
    ``refresh=True`` waits for the server instead, and a copy older than ``max_age`` seconds
    is never served.
    """
    rest = tuple(v for v in (device_token, session_token) if v is not None)
    user_id, device_token, session_token = _query(user_id, rest, _QUERY_KEYS)
    url = base_url_from(base_url)

    async def fetch() -> Provisioning:
        return await _fetch_provisioning(url, user_id, device_token, session_token, timeout)

    if cache is None:
        return await fetch()
    return await cache.get((url, user_id, device_token), fetch, refresh=refresh,
                           max_age=max_age)  # fmt: skip


async def _fetch_provisioning(
    base_url: str, user_id: str, device_token: str, session_token: str, timeout: float
) -> Provisioning:
    quote = urllib.parse.quote
    url = (
        f"{base_url}/Users/{quote(user_id, safe='')}/Devices/"
        f"{quote(device_token, safe='')}/?password=yes&settings_json=yes"
    )
    data = await _request(
        "GET",
        url,
        {"X-Api-Key": session_token},
        timeout=timeout,
        what="GetProvisioning",
        secrets=(session_token, device_token),
    )
    if not isinstance(data, Mapping):
        raise ApiError("GetProvisioning: the answer is not a JSON object", status=200, field="body")
    platform = data.get("Platform")
    if platform != _SCRIPT_PLATFORM:
        raise ApiError(
            f"GetProvisioning: the device's Platform is {platform!r}, not 'script'",
            status=200,
            field="Platform",
            reason="not a script device",
        )
    settings = data.get("Settings_json")
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except json.JSONDecodeError as exc:
            raise ApiError(
                f"GetProvisioning: Settings_json is not valid JSON ({exc.msg})",
                status=200,
                field="Settings_json",
                reason=exc.msg,
            ) from None
    if not isinstance(settings, Mapping):
        raise ApiError(
            "GetProvisioning: the answer has no Settings_json object",
            status=200,
            field="Settings_json",
            reason="missing",
        )
    if data.get("SelfSignedCertificate") is True:  # the device flag, outside Settings_json
        settings = {"SelfSignedCertificate": True, **settings}
    return Provisioning.from_api(settings)


# The Siperb SDK's names.
Login = login
GetProvisioning = get_provisioning
GetDevices = get_devices

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "Device",
    "GetDevices",
    "GetProvisioning",
    "Login",
    "ProvisioningCache",
    "Session",
    "get_devices",
    "get_provisioning",
    "login",
]
