"""Where the frame may listen, and its TLS listener for use from another machine.

On loopback the page is plain http/ws (a browser treats ``http://127.0.0.1`` as a secure
context). Any other address is reachable by other machines, whose browsers give
``getUserMedia`` only to https pages and whose traffic crosses a network: such a bind is
served over TLS only (https and wss) and refused without a certificate. The token, Host and
Origin checks and the Content-Security-Policy are the same on both.
"""

from __future__ import annotations

import ipaddress
import ssl
from os import PathLike

from ..errors import SiperbError

LOOPBACK_HOSTS = ("127.0.0.1", "::1")

StrPath = str | PathLike[str]


def server_context(certificate: StrPath, key: StrPath | None = None) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or later) with this PEM certificate chain and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certificate, key)
    except (OSError, ssl.SSLError) as exc:
        raise SiperbError(f"certificate: cannot load {certificate} / {key}: {exc}",
                          field="certificate", reason="cannot load the certificate or key",
                          ) from exc  # fmt: skip
    return context


def check_bind(host: str, context: ssl.SSLContext | None) -> None:
    """Refuse a bind the frame cannot serve safely: a non-loopback one without TLS, or an
    address that is no single IP address (a wildcard has no URL the Host check can match)."""
    if host in LOOPBACK_HOSTS:
        return
    if context is None:
        raise SiperbError(f"host: {host!r} is not loopback: serving it needs TLS (certificate "
                          "and key, or ssl_context)", field="host",
                          reason="a non-loopback bind needs TLS")  # fmt: skip
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise SiperbError(f"host: {host!r} is not an IP address (bind one address; name it "
                          "with server_name)", field="host", reason="not an IP address",
                          ) from None  # fmt: skip
    if address.is_unspecified:
        raise SiperbError(f"host: {host!r} is a wildcard (bind the one address the page is "
                          "opened at)", field="host", reason="wildcard address")  # fmt: skip


__all__ = ["LOOPBACK_HOSTS", "StrPath", "check_bind", "server_context"]
