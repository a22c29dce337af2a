"""The frame's HTTP side: the static page, behind the per-frame token, with strict headers.

Served by the ``websockets`` server's ``process_request`` (no other web server): a GET for
``/f/<token>/`` gets the page, ``/f/<token>/app.js`` its script, and so on; anything else is
refused before a byte of the page is sent. The WebSocket upgrade on ``/f/<token>/ws`` is let
through only with the right token, a ``Host`` naming this server (no DNS rebinding) and an
``Origin`` that is this server or an allowed embedding origin.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Response

#: Files of static/ the page may load, with their types.
STATIC: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
WS_PATH = "ws"
AVATAR_PATH = "avatar"


@cache
def static_file(name: str) -> bytes:
    """One shipped file of siperb/ui/static (package data)."""
    return resources.files("siperb.ui").joinpath("static").joinpath(name).read_bytes()


def page_weight() -> int:
    """Bytes the page loads (every static file): the figure the benchmark reports."""
    return sum(len(static_file(n)) for n in STATIC)


def csp(origin: str, frame_ancestors: Iterable[str]) -> str:
    """Only our own scripts, styles and socket; embeddable only by the allowed origins.
    (An https origin's socket is wss: ``http`` -> ``ws``, ``https`` -> ``wss``.)"""
    ws = "ws" + origin.removeprefix("http")
    ancestors = " ".join(["'self'", *frame_ancestors])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {ws}; media-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


def _response(status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str]) -> Any:
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-store"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"  # the token is in our URLs: never leak it
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    for k, v in extra.items():
        headers[k] = v
    return Response(status.value, status.phrase, headers, body)


def refuse(status: HTTPStatus, why: str) -> Any:
    return _response(status, f"{status.value} {status.phrase}: {why}\n".encode(),
                     "text/plain; charset=utf-8", {})  # fmt: skip


class FrameHttp:
    """Routes one frame's requests; ``handle`` is the server's ``process_request``."""

    def __init__(self, token: str, allowed_origins: Iterable[str]) -> None:
        self.token = token
        self.allowed_origins = tuple(allowed_origins)
        self.host = ""
        self.port = 0
        self.scheme = "http"  # https when the frame listens with TLS
        self.server_name: str | None = None  # the name in the certificate, if not the address
        self.avatar: tuple[bytes, str] | None = None

    @property
    def netloc(self) -> str:
        host = self.server_name or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    def _hosts(self) -> set[str]:
        address = f"[{self.host}]" if ":" in self.host else self.host
        hosts = {self.netloc, f"{address}:{self.port}"}
        if self.host in ("127.0.0.1", "::1"):
            hosts.add(f"localhost:{self.port}")
        return hosts

    def origin_allowed(self, origin: str | None) -> bool:
        return origin is not None and (origin == self.origin or origin in self.allowed_origins)

    def handle(self, connection: Any, request: Any) -> Any:
        path = request.path.split("?", 1)[0]
        prefix, _, rest = path.removeprefix("/f/").partition("/")
        if not path.startswith("/f/") or not hmac.compare_digest(prefix, self.token):
            return refuse(HTTPStatus.FORBIDDEN, "this frame needs its URL with the token")
        if request.headers.get("Host") not in self._hosts():
            return refuse(HTTPStatus.MISDIRECTED_REQUEST, "unexpected Host")
        if rest == WS_PATH:
            if request.headers.get("Upgrade", "").lower() != "websocket":
                return refuse(HTTPStatus.UPGRADE_REQUIRED, "the control channel is a WebSocket")
            if not self.origin_allowed(request.headers.get("Origin")):
                return refuse(HTTPStatus.FORBIDDEN, "origin not allowed")
            return None  # the WebSocket handshake goes on
        name = rest or "index.html"
        if name == AVATAR_PATH and self.avatar is not None:
            body, ctype = self.avatar
            return _response(HTTPStatus.OK, body, ctype, {})
        if name not in STATIC:
            return refuse(HTTPStatus.NOT_FOUND, "no such file")
        extra = {}
        if name == "index.html":
            extra["Content-Security-Policy"] = csp(self.origin, self.allowed_origins)
        return _response(HTTPStatus.OK, static_file(name), STATIC[name], extra)


__all__ = ["STATIC", "FrameHttp", "csp", "page_weight", "refuse", "static_file"]
