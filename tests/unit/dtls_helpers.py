"""Two DtlsSessions (or a session and another DTLS stack) wired together in memory, for the
DTLS tests: datagrams are moved by the test, so loss, reordering and late fingerprints are
under its control."""

from __future__ import annotations

from collections.abc import Callable

from siperb import _core

Drop = Callable[[str, int, bytes], bool]  # (sender role, index of its datagram, data) -> drop?


def records(datagram: bytes) -> list[tuple[int, int, bytes]]:
    """(content type, epoch, body) of each DTLS record; raises if the datagram is not whole
    records (every datagram we send must be)."""
    out = []
    pos = 0
    while pos < len(datagram):
        assert len(datagram) - pos >= 13, "truncated record header"
        body_len = int.from_bytes(datagram[pos + 11 : pos + 13], "big")
        assert pos + 13 + body_len <= len(datagram), "record longer than the datagram"
        epoch = int.from_bytes(datagram[pos + 3 : pos + 5], "big")
        out.append((datagram[pos], epoch, datagram[pos + 13 : pos + 13 + body_len]))
        pos += 13 + body_len
    return out


class Pair:
    """A client and a server session, each with its own certificate."""

    def __init__(self, profiles: list[str] | None = None, **kw: int) -> None:
        self.client_cert = _core.DtlsCertificate.generate()
        self.server_cert = _core.DtlsCertificate.generate()
        self.client = _core.DtlsSession(self.client_cert, "client", srtp_profiles=profiles, **kw)
        self.server = _core.DtlsSession(self.server_cert, "server", srtp_profiles=profiles, **kw)
        self.sent: list[tuple[str, bytes]] = []  # every datagram, in order, by sender role
        self.counts = {"client": 0, "server": 0}

    def exchange_fingerprints(self) -> None:
        self.client.set_remote_fingerprint("sha-256", self.server_cert.fingerprint)
        self.server.set_remote_fingerprint("sha-256", self.client_cert.fingerprint)

    def pump(self, now_ns: int, drop: Drop | None = None, rounds: int = 20) -> int:
        """Moves datagrams both ways until none is left; returns how many moved."""
        moved = 0
        for _ in range(rounds):
            step = 0
            for src, dst in ((self.client, self.server), (self.server, self.client)):
                while (d := src.poll_transmit()) is not None:
                    i = self.counts[src.role]
                    self.counts[src.role] += 1
                    self.sent.append((src.role, d))
                    step += 1
                    if drop is None or not drop(src.role, i, d):
                        dst.on_datagram(d, now_ns)
            moved += step
            if step == 0:
                break
        return moved
