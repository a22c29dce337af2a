"""The connection to the outbound proxy: locate, connect, fail over, reconnect.

A proxy given as a domain name is located with RFC 3263 (NAPTR, SRV, A/AAAA;
:mod:`siperb.sip.resolver`); :class:`ProxyConnection` connects to the best target and moves to
the next one when a connection fails or a request times out (4.3). Stream and WebSocket flows
are kept alive (CRLF / ping) and re-opened with exponential backoff when they die; the owner is
told (``on_reconnected``) so it can refresh its registration.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import SiperbError, TransportError
from ..events import EventHub
from . import Message, Uri
from .config import UserAgentConfig
from .localaddr import require_source_address
from .resolver import Resolver, ServerTarget
from .stream import StreamFlow
from .transport import (
    Endpoint,
    Flow,
    TransportKind,
    UdpEndpoint,
    client_ssl_context,
)
from .websocket import WebSocketFlow

log = logging.getLogger("siperb.sip.ua")


@dataclass(frozen=True)
class ProxyTarget:
    kind: TransportKind
    endpoint: Endpoint
    url: str | None = None  # WS(S) only
    hostname: str | None = None  # for TLS SNI / certificate checks


def parse_proxy(proxy: str) -> ProxyTarget:
    """Where to connect for ``proxy`` (a SIP/SIPS URI or a ws:// / wss:// URL)."""
    lower = proxy.lower()
    if lower.startswith(("ws://", "wss://")):
        parts = urlsplit(proxy)
        kind = TransportKind.WSS if lower.startswith("wss:") else TransportKind.WS
        host = parts.hostname or ""
        return ProxyTarget(kind, Endpoint(host, parts.port or kind.default_port), proxy, host)
    uri = Uri.parse(proxy if ":" in proxy.split(";")[0] else f"sip:{proxy}")
    param = uri.param("transport")
    kind = (
        TransportKind.parse(param)
        if param
        else (TransportKind.TLS if uri.scheme == "sips" else TransportKind.UDP)
    )
    host = (uri.host or "").strip("[]")
    port = uri.port or kind.default_port
    if kind in (TransportKind.WS, TransportKind.WSS):
        scheme = "wss" if kind is TransportKind.WSS else "ws"
        url = f"{scheme}://{Endpoint(host, port).uri_host}:{port}/ws"
        return ProxyTarget(kind, Endpoint(host, port), url, host)
    return ProxyTarget(kind, Endpoint(host, port), None, host)


OnMessage = Callable[[Message, Flow], None]
OnMalformed = Callable[[bytes, Flow, SiperbError], None]


class ProxyConnection:
    """The one flow to the proxy and what keeps it up; ``flow`` is the current one."""

    def __init__(
        self,
        config: UserAgentConfig,
        events: EventHub,
        on_message: OnMessage,
        on_malformed: OnMalformed,
        on_reconnected: Callable[[], None],
    ):
        self.config = config
        self.events = events
        self._on_message = on_message
        self._on_malformed = on_malformed
        self._on_reconnected = on_reconnected
        self.target = parse_proxy(config.proxy)
        self.resolver = Resolver(config.dns_servers, timeout=config.dns_timeout)
        #: Where the proxy was located (RFC 3263), best first; ``flow`` goes to one of them.
        self.targets: list[ServerTarget] = []
        self.target_index = 0
        self.failovers = 0
        self.reconnects = 0
        self.flow: Flow | None = None
        self.connected = asyncio.Event()
        self.closing = False
        self._udp: UdpEndpoint | None = None
        #: Gets STUN datagrams arriving on the UDP socket (the UDP keep-alive's responses).
        self.on_stun: Callable[[bytes, Endpoint], None] | None = None
        self._failover_lock = asyncio.Lock()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._backoff = config.reconnect_min  # the next reconnect's delay
        self._up_since = 0.0  # loop time of the current flow's connect

    def require_flow(self) -> Flow:
        if self.flow is None or self.flow.closed:
            raise TransportError("not connected to the proxy", field="flow")
        return self.flow

    def close(self) -> None:
        self.closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        if self.flow is not None and self.flow.kind is not TransportKind.UDP:
            self.flow.close()
        if self._udp is not None:
            self._udp.close()

    # ---- locating and connecting ----

    def ws_url_proxy(self) -> bool:
        return self.config.proxy.lower().startswith(("ws:", "wss:"))

    async def locate(self) -> list[ServerTarget]:
        """Where the proxy is: RFC 3263 for SIP URIs, the URL's host for WS(S) URLs."""
        t = self.target
        if self.ws_url_proxy():
            # The URL is used as given (its host names the TLS peer and the Host header).
            return [ServerTarget(t.kind, t.endpoint, t.hostname or t.endpoint.host)]
        proxy = self.config.proxy
        return await self.resolver.resolve(proxy if ":" in proxy.split(";")[0] else f"sip:{proxy}")

    async def connect(self, start: int = 0, targets: list[ServerTarget] | None = None) -> None:
        """Connect to the first target (from ``start``) that accepts; re-locates by default."""
        if targets is None:
            targets = await self.locate()
        error: BaseException | None = None
        for index in range(start, len(targets)):
            try:
                await self._open(targets[index])
            except (TransportError, OSError) as exc:
                log.info("cannot reach %s: %s", targets[index].endpoint, exc)
                error = exc
                continue
            self.targets, self.target_index = targets, index
            return
        if isinstance(error, TransportError):
            raise error
        raise TransportError(f"cannot reach {self.config.proxy}: {error}", field="connect",
                             reason=str(error)) from error  # fmt: skip

    async def _open(self, target: ServerTarget) -> None:
        t = self.target
        cfg = self.config
        kind = target.kind
        remote = target.endpoint
        if kind is TransportKind.UDP:
            # The address of the interface that reaches this target (never loopback toward a
            # peer off loopback), unless the application chose one.
            local = cfg.local_host or require_source_address(remote.host, remote.port)
            if self._udp is not None and self._udp.local.host != local:
                self._udp.close()  # the next target is reached from another address
                self._udp = None
            if self._udp is None:
                self._udp = await UdpEndpoint.bind(
                    local, cfg.local_port, self._on_message, cfg.trace, self._on_malformed
                )
                self._udp.on_stun = self.on_stun
            self.flow = self._udp.flow(remote)
        elif kind in (TransportKind.TCP, TransportKind.TLS):
            ctx = (
                client_ssl_context(cfg.tls_ca_file, verify=cfg.tls_verify)
                if kind is TransportKind.TLS
                else None
            )
            self.flow = await StreamFlow.connect(
                kind, remote, self._on_message, on_close=self._on_close, ssl_context=ctx,
                server_hostname=target.hostname, trace=cfg.trace,
                keepalive_interval=cfg.keepalive_interval, pong_timeout=cfg.pong_timeout,
                on_malformed=self._on_malformed,
            )  # fmt: skip
        else:
            ctx = (
                client_ssl_context(cfg.tls_ca_file, verify=cfg.tls_verify)
                if kind is TransportKind.WSS
                else None
            )
            if self.ws_url_proxy() and t.url is not None:
                url, sni = t.url, None
            else:  # a SIP URI with transport=ws, or a D2W target from DNS: its address
                scheme = "wss" if kind is TransportKind.WSS else "ws"
                path = (urlsplit(t.url).path if t.url else "") or "/ws"
                url = f"{scheme}://{remote.uri_host}:{remote.port}{path}"
                sni = target.hostname if kind is TransportKind.WSS else None
            self.flow = await WebSocketFlow.connect(
                url, self._on_message, on_close=self._on_close,
                on_malformed=self._on_malformed, ssl_context=ctx, trace=cfg.trace,
                ping_interval=cfg.keepalive_interval, server_hostname=sni,
            )  # fmt: skip
        self.connected.set()
        self._up_since = asyncio.get_running_loop().time()
        local = str(self.flow.local)
        self.events.emit("transport", state="connected", kind=kind.value, local=local,
                         remote=str(self.flow.remote))  # fmt: skip

    # ---- failover and reconnect ----

    async def failover(self, failed: Flow) -> bool:
        """The target behind ``failed`` did not answer (RFC 3263 4.3): move to the next one.
        Returns whether there is a flow to retry on (another task may have moved already)."""
        async with self._failover_lock:
            if self.closing:
                return False
            if self.flow is not failed and self.flow is not None and not self.flow.closed:
                return True
            if self.target_index + 1 >= len(self.targets):
                return False
            old = self.flow
            try:
                await self.connect(self.target_index + 1, self.targets)
            except TransportError as exc:
                log.info("failover from %s found no target: %s", failed.remote, exc)
                return False
            self.failovers += 1
            if old is not None and old.kind.reliable:
                old.close()
            self.events.emit(
                "transport",
                state="failover",
                kind=self.require_flow().kind.value,
                remote=str(self.require_flow().remote),
                previous=str(failed.remote),
            )
            return True

    def _on_close(self, flow: Flow, exc: BaseException | None) -> None:
        if flow is not self.flow or self.closing:
            return
        self.connected.clear()
        if asyncio.get_running_loop().time() - self._up_since >= self.config.reconnect_stable:
            self._backoff = self.config.reconnect_min
        self.events.emit("transport", state="lost", kind=flow.kind.value,
                         reason=str(exc) if exc else "closed")  # fmt: skip
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self.closing:
            delay = self._backoff
            self._backoff = min(self.config.reconnect_max, delay * 2)
            await asyncio.sleep(delay)
            try:
                await self.connect()
            except (TransportError, OSError) as exc:
                log.info("reconnect failed: %s; next try in %.1fs", exc, self._backoff)
                continue
            self.reconnects += 1
            self._on_reconnected()
            return
