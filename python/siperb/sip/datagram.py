"""A UDP socket on the event loop that receives into one buffer of its own.

asyncio's datagram transport reads each datagram with ``recvfrom(256 * 1024)``: a 256 KiB bytes
object from the C heap, shrunk to the datagram's size once filled. At a few hundred SIP
datagrams a second those blocks, each needing a 256 KiB hole and leaving a small object behind
where it was carved, grew the C heap by about a megabyte a minute with the bytes in use flat
(the 500-call soak, issue 17). Here a datagram is read into one reused 64 KiB buffer and copied
out at its own size. Sends go straight to the socket; one the kernel cannot take now waits in a
bounded queue for the socket to be writable, as asyncio's transport does.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: The largest UDP payload (IPv4: 65,535 less the IP and UDP headers; IPv6 without jumbograms).
MAX_DATAGRAM = 65535
#: Bytes of sends queued while the socket is full; past it a datagram is dropped (UDP may).
MAX_QUEUED = 1 << 20


class DatagramSocket:
    """A bound, non-blocking UDP socket whose datagrams go to ``on_datagram(data, addr)``."""

    def __init__(
        self,
        sock: socket.socket,
        on_datagram: Callable[[bytes, Any], None],
        on_error: Callable[[OSError], None],
    ):
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._on_datagram = on_datagram
        self._on_error = on_error
        self._buffer = bytearray(MAX_DATAGRAM)
        self._view = memoryview(self._buffer)
        self._queue: collections.deque[tuple[bytes, Any]] = collections.deque()
        self._queued = 0
        self.closed = False
        self._loop.add_reader(sock.fileno(), self._readable)

    @classmethod
    async def bind(
        cls,
        host: str,
        port: int,
        on_datagram: Callable[[bytes, Any], None],
        on_error: Callable[[OSError], None],
    ) -> DatagramSocket:
        """Bind to ``host:port`` (its first address of any family); raises OSError."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
        if not infos:
            raise OSError(f"no address for {host}")
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.bind(address)
        except BaseException:
            sock.close()
            raise
        return cls(sock, on_datagram, on_error)

    @property
    def sockname(self) -> Any:
        return self._sock.getsockname()

    def _readable(self) -> None:
        # One datagram per readiness, as asyncio's transport: what a message starts (a task
        # that registers a dialog) runs before the next is read. Reading 64 at once let a
        # REFER reach the layer before the dialog its 200 created was registered (481).
        try:
            n, addr = self._sock.recvfrom_into(self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # an ICMP error for an earlier send
            self._on_error(exc)
            return
        self._on_datagram(bytes(self._view[:n]), addr)

    def sendto(self, data: bytes, addr: Any) -> None:
        if self.closed:
            raise OSError("the socket is closed")
        if not self._queue:
            try:
                self._sock.sendto(data, addr)
                return
            except (BlockingIOError, InterruptedError):
                self._loop.add_writer(self._sock.fileno(), self._writable)
            except OSError as exc:
                self._on_error(exc)
                return
        if self._queued + len(data) > MAX_QUEUED:
            log.debug("UDP send queue full: a %d-byte datagram dropped", len(data))
            return
        self._queue.append((data, addr))
        self._queued += len(data)

    def _writable(self) -> None:
        while self._queue:
            data, addr = self._queue[0]
            try:
                self._sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._on_error(exc)
            self._queue.popleft()
            self._queued -= len(data)
        self._loop.remove_writer(self._sock.fileno())

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._loop.remove_reader(self._sock.fileno())
        self._loop.remove_writer(self._sock.fileno())
        self._queue.clear()
        self._sock.close()
