"""Keep-alive for SIP over UDP through NAT (RFC 5626 section 4.4.1), and flow-change detection.

Stream transports have the CRLF ping/pong of :class:`~siperb.sip.stream.StreamFlow`. Over
UDP, :class:`UdpKeepAlive` sends a STUN Binding request to the proxy every ``interval`` seconds
(jittered to 80-100 %, so phones behind one NAT do not ping in step): the outgoing datagram
keeps the NAT mapping alive, and the response's mapped address is the flow's public address.
The same address is learnt from the ``received``/``rport`` of responses (RFC 3581). When it
changes (the NAT forgot the mapping and made another), the registrar's binding points to a
dead mapping: ``on_change`` is called so the UA registers again over the new one. A proxy that
leaves three requests unanswered does not speak STUN: CRLF CRLF keep-alives follow, which
keep the mapping alive (without revealing the public address).

A proxy that answered STUN and then leaves ``LOST_AFTER`` Binding requests in a row unanswered
is gone (restarting, or the path is cut): ``on_lost`` is called (the UA reports the transport
lost); its next answer calls ``on_back``, and the UA registers again, since a restarted
registrar has forgotten its bindings. A restart is so noticed within about ``LOST_AFTER``
keep-alive intervals when it lasts at least one interval.

Only the flow to our proxy teaches the public address: a response arriving on the UDP socket
from anyone else (another peer, a spoofer) is not our NAT's view of that flow, and a
``received`` that is not an IP address of the flow's family is not an address at all. Such
values are logged and ignored: they never trigger a re-registration, and nothing binds to or
sends to a learnt address (it is only compared, to detect a remapping).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
from collections.abc import Callable

from ..errors import TransportError
from . import Message
from .stun import Address, binding_request, parse_binding_response
from .transport import CRLF_PING, Endpoint, Flow, TransportKind

log = logging.getLogger("siperb.sip.keepalive")

OnChange = Callable[[Address, Address], None]
LOST_AFTER = 2  # Binding requests in a row unanswered by a proxy that answered before


def via_public_address(response: Message) -> Address | None:
    """Our address as the next hop saw it: the top Via's ``received`` and ``rport`` values."""
    vias = response.via
    if not vias:
        return None
    via = vias[0]
    rport = via.rport
    port = rport if isinstance(rport, int) and not isinstance(rport, bool) else None
    if via.received is None and port is None:
        return None
    return via.received or via.host.strip("[]"), port or via.port or 5060


def _same_family(host: str, local: str | None) -> bool:
    """``host`` is an IP literal of the same family as ``local`` (any family without one)."""
    try:
        version = ipaddress.ip_address(host).version
    except ValueError:
        return False
    if local is None:
        return True
    try:
        return ipaddress.ip_address(local.strip("[]")).version == version
    except ValueError:
        return True


class UdpKeepAlive:
    """STUN keep-alives on the current UDP flow and the public address they reveal."""

    def __init__(
        self,
        flow: Callable[[], Flow | None],
        interval: float,
        on_change: OnChange,
        *,
        on_lost: Callable[[], None] | None = None,
        on_back: Callable[[], None] | None = None,
    ) -> None:
        self._flow = flow
        self.interval = interval
        self._on_change = on_change
        self._on_lost = on_lost
        self._on_back = on_back
        self.lost = False
        self._unanswered = 0  # Binding requests sent since the last answer
        self.public: Address | None = None
        self.sent = 0
        self.answered = 0
        self._pending: set[bytes] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def ping(self) -> None:
        """Send one Binding request now (when the flow is UDP and open)."""
        flow = self._flow()
        if flow is None or flow.closed or flow.kind is not TransportKind.UDP:
            return
        if self.stun_ignored:
            data = CRLF_PING  # a proxy that ignores STUN: a CRLF keeps the mapping all the same
        else:
            if self.answered and self._unanswered >= LOST_AFTER and not self.lost:
                self.lost = True
                log.info("the proxy left %d keep-alives unanswered: lost", self._unanswered)
                if self._on_lost is not None:
                    self._on_lost()
            txid, data = binding_request()
            self._pending = {*list(self._pending)[-3:], txid}
            self._unanswered += 1
        with contextlib.suppress(TransportError):
            flow.send_nowait(data)
            self.sent += 1

    @property
    def stun_ignored(self) -> bool:
        """STUN went unanswered (three requests, no response): the proxy does not speak it."""
        return self.answered == 0 and self.sent >= 3

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval * random.uniform(0.8, 1.0))
            self.ping()

    def on_stun(self, data: bytes, remote: Endpoint) -> None:
        """A STUN datagram arrived on the UDP socket."""
        parsed = parse_binding_response(data)
        if parsed is None or parsed[0] not in self._pending:
            return
        self._pending.discard(parsed[0])
        self.answered += 1
        self._unanswered = 0
        if self.lost:
            self.lost = False
            log.info("the proxy answers keep-alives again")
            if self._on_back is not None:
                self._on_back()
        if parsed[1] is not None:
            self.observe(parsed[1])

    def observe_response(self, response: Message, flow: Flow | None = None) -> None:
        """A response arrived on the UDP socket (on ``flow``): learn our public address from its
        Via when it came on the flow to our proxy and names an address of the flow's family."""
        address = via_public_address(response)
        if address is None:
            return
        ours = self._flow()
        if flow is not None and (ours is None or flow.remote != ours.remote):
            log.info("ignoring Via received/rport %s:%s of a response from %s (not our proxy)",
                     *address, flow.remote)  # fmt: skip
            return
        if not _same_family(address[0], ours.local.host if ours else None):
            log.info("ignoring Via received/rport %s:%s: not an address of this flow", *address)
            return
        self.observe(address)

    def observe(self, address: Address) -> None:
        old, self.public = self.public, address
        if old is not None and old != address:
            log.info("public address of the UDP flow changed: %s -> %s", old, address)
            self._on_change(old, address)
