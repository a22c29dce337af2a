"""Locating SIP servers (RFC 3263): NAPTR, then SRV (RFC 2782), then A/AAAA.

A proxy given as a domain name without a port is looked up the way every SIP server expects:
NAPTR records pick the transports the domain offers (``SIP+D2U``, ``SIP+D2T``, ``SIPS+D2T``, and
``SIP+D2W``/``SIPS+D2W`` for WebSocket, RFC 7118), their SRV records give hosts and ports ordered
by priority with weighted random choice inside a priority, and A/AAAA give the addresses. With
an explicit port or an IP literal only A/AAAA are asked. The result is a list of
:class:`ServerTarget`, best first: the UA connects to the first and fails over to the next when
the connection fails or a transaction times out (RFC 3263 section 4.3).

DNS goes through dnspython's asyncio resolver, to the system's servers or to a configured list
(``"127.0.0.1"``, ``"127.0.0.1:5353"``, ``"[::1]:5353"``). Without a configured list, names the
DNS must not be asked about (``localhost``, ``*.invalid``; RFC 6761) go to ``getaddrinfo``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from ..errors import TransportError
from . import Uri
from .transport import Endpoint, TransportKind

log = logging.getLogger("siperb.sip.resolver")

#: NAPTR service field -> transport (RFC 3263 section 4.1, RFC 7118 section 9.3).
NAPTR_SERVICES: dict[str, TransportKind] = {
    "SIP+D2U": TransportKind.UDP,
    "SIP+D2T": TransportKind.TCP,
    "SIPS+D2T": TransportKind.TLS,
    "SIP+D2W": TransportKind.WS,
    "SIPS+D2W": TransportKind.WSS,
}

#: SRV owner-name prefix of each transport (RFC 3263 section 4.2; ``_ws`` after RFC 7118).
SRV_PREFIX: dict[TransportKind, str] = {
    TransportKind.UDP: "_sip._udp",
    TransportKind.TCP: "_sip._tcp",
    TransportKind.TLS: "_sips._tcp",
    TransportKind.WS: "_sip._ws",
    TransportKind.WSS: "_sips._ws",
}

#: Transports in the order SRV queries are preferred when the domain has no NAPTR records.
DEFAULT_TRANSPORTS: tuple[TransportKind, ...] = (
    TransportKind.UDP,
    TransportKind.TCP,
    TransportKind.TLS,
    TransportKind.WS,
    TransportKind.WSS,
)


@dataclass(frozen=True)
class ServerTarget:
    """One place to send requests: transport, resolved address, and the domain it serves
    (the name TLS certificate checks and SNI use, RFC 5922)."""

    kind: TransportKind
    endpoint: Endpoint
    hostname: str


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str


@dataclass(frozen=True)
class NaptrRecord:
    order: int
    preference: int
    flags: str
    service: str
    regexp: str
    replacement: str


def order_srv(records: Iterable[SrvRecord], rng: random.Random | None = None) -> list[SrvRecord]:
    """RFC 2782 ordering: ascending priority; within one priority a weighted random order
    (zero-weight records first in the running sum, so they get a small chance)."""
    rng = rng or random.Random()
    by_priority: dict[int, list[SrvRecord]] = {}
    for r in records:
        if r.target not in ("", "."):  # "." means: the service is not offered here
            by_priority.setdefault(r.priority, []).append(r)
    out: list[SrvRecord] = []
    for priority in sorted(by_priority):
        pool = list(by_priority[priority])
        rng.shuffle(pool)  # "in any order": equal weights must not favour the DNS order
        pool.sort(key=lambda r: r.weight != 0)  # zero weights first (stable: still shuffled)
        while pool:
            total = sum(r.weight for r in pool)
            pick = rng.randint(0, total)
            running = 0
            for i, r in enumerate(pool):
                running += r.weight
                if running >= pick:
                    out.append(pool.pop(i))
                    break
    return out


def order_naptr(
    records: Iterable[NaptrRecord], supported: Sequence[TransportKind], secure_only: bool
) -> list[tuple[TransportKind, str]]:
    """The usable NAPTR records (flag "s", a SIP service we support, a replacement name) as
    (transport, SRV name), by order then preference (RFC 3263 section 4.1)."""
    usable = []
    for r in records:
        kind = NAPTR_SERVICES.get(r.service.upper())
        if kind is None or kind not in supported or r.flags.lower() != "s":
            continue
        if secure_only and not kind.secure:
            continue
        if r.regexp or r.replacement in ("", "."):
            continue  # SIP uses the replacement field only
        usable.append((r.order, r.preference, kind, r.replacement))
    usable.sort(key=lambda u: (u[0], u[1]))
    return [(kind, name) for _, _, kind, name in usable]


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _special_name(host: str) -> bool:
    """Names RFC 6761 keeps out of the DNS."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith((".localhost", ".invalid")) or name == "invalid"


def parse_nameserver(spec: str) -> tuple[str, int]:
    """``"1.2.3.4"``, ``"1.2.3.4:5353"``, ``"::1"``, ``"[::1]:5353"`` -> (address, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if spec.count(":") == 1:
        host, _, port = spec.partition(":")
        return host, int(port)
    return spec, 53


class Resolver:
    """RFC 3263 server location with dnspython's asyncio resolver.

    ``nameservers`` replaces the system's DNS servers (tests point it at a local server);
    ``timeout`` bounds each lookup; ``rng`` makes the SRV weighting reproducible.
    """

    def __init__(
        self,
        nameservers: Sequence[str] | None = None,
        *,
        timeout: float = 3.0,
        rng: random.Random | None = None,
    ):
        self.system = not nameservers
        self.rng = rng or random.Random()
        try:
            self._dns = dns.asyncresolver.Resolver(configure=self.system)
        except dns.resolver.NoResolverConfiguration:
            self._dns = dns.asyncresolver.Resolver(configure=False)
        if nameservers:
            self._dns.nameservers = [
                dns.nameserver.Do53Nameserver(host, port)
                for host, port in map(parse_nameserver, nameservers)
            ]
        self._dns.lifetime = timeout
        self._dns.timeout = timeout

    # ---- the RFC 3263 procedure ----

    async def resolve(
        self, uri: str | Uri, supported: Sequence[TransportKind] = DEFAULT_TRANSPORTS
    ) -> list[ServerTarget]:
        """Targets for a SIP/SIPS URI, best first; raises TransportError when there are none."""
        if isinstance(uri, str):
            uri = Uri.parse(uri if ":" in uri.split(";")[0] else f"sip:{uri}")
        secure = uri.scheme == "sips"
        host = (uri.host or "").strip("[]")
        if not host:
            raise TransportError(f"no host in {uri.raw}", field="host")
        param = uri.param("transport")
        kind: TransportKind | None = None
        if param:
            kind = TransportKind.parse(param)
            if secure:  # sips: over TCP is TLS, over WS is WSS
                kind = {TransportKind.TCP: TransportKind.TLS, TransportKind.WS: TransportKind.WSS,
                        }.get(kind, kind)  # fmt: skip
        numeric = is_ip_literal(host)
        if uri.port or numeric or (self.system and _special_name(host)):
            # 4.1/4.2: an explicit port or an IP literal: no NAPTR/SRV, A/AAAA only.
            kind = kind or (TransportKind.TLS if secure else TransportKind.UDP)
            port = uri.port or kind.default_port
            return [ServerTarget(kind, e, host) for e in await self.addresses(host, port)]
        if kind is not None:
            targets = await self._srv_targets([(kind, self._srv_name(kind, secure, host))], host)
            if not targets:
                targets = await self._fallback(kind, host)
            return self._nonempty(targets, uri)
        allowed = [k for k in supported if k.secure or not secure]
        pairs = order_naptr(await self.naptr(host), allowed, secure)
        if not pairs:
            # 4.1: no (usable) NAPTR records: SRV for every supported transport.
            pairs = [(k, self._srv_name(k, secure, host)) for k in allowed]
        targets = await self._srv_targets(pairs, host)
        if not targets:
            # 4.2: no SRV records either: the host's addresses, UDP (TLS for sips) default port.
            targets = await self._fallback(TransportKind.TLS if secure else TransportKind.UDP,
                                          host)  # fmt: skip
        return self._nonempty(targets, uri)

    @staticmethod
    def _srv_name(kind: TransportKind, secure: bool, host: str) -> str:
        prefix = SRV_PREFIX[kind]
        if secure and kind in (TransportKind.TLS, TransportKind.WSS):
            prefix = prefix.replace("_sip.", "_sips.")
        return f"{prefix}.{host}"

    @staticmethod
    def _nonempty(targets: list[ServerTarget], uri: Uri) -> list[ServerTarget]:
        if not targets:
            raise TransportError(f"no server found for {uri.raw}", field="dns")
        return targets

    async def _fallback(self, kind: TransportKind, host: str) -> list[ServerTarget]:
        try:
            found = await self.addresses(host, kind.default_port)
        except TransportError:
            return []
        return [ServerTarget(kind, e, host) for e in found]

    async def _srv_targets(
        self, pairs: Sequence[tuple[TransportKind, str]], domain: str
    ) -> list[ServerTarget]:
        """Every (transport, SRV name) looked up at once, expanded to addresses, in order.
        The targets keep the URI's domain as their name: TLS checks it (RFC 5922 4.1)."""
        answers = await asyncio.gather(*(self.srv(name) for _, name in pairs))
        out: list[ServerTarget] = []
        for (kind, _), records in zip(pairs, answers, strict=True):
            for r in records:
                try:
                    found = await self.addresses(r.target, r.port)
                except TransportError as exc:
                    log.info("SRV target %s has no address: %s", r.target, exc)
                    continue
                out += [ServerTarget(kind, e, domain) for e in found]
        return out

    # ---- single lookups ----

    async def _query(self, name: str, rdtype: str) -> list[object]:
        try:
            answer = await self._dns.resolve(name, rdtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return []
        except dns.exception.Timeout:
            log.info("DNS %s %s timed out", rdtype, name)
            return []
        except dns.exception.DNSException as exc:
            log.info("DNS %s %s failed: %s", rdtype, name, exc)
            return []
        return list(answer)

    async def naptr(self, name: str) -> list[NaptrRecord]:
        out = []
        for rr in await self._query(name, "NAPTR"):
            out.append(NaptrRecord(
                int(rr.order), int(rr.preference),  # type: ignore[attr-defined]
                _text(rr.flags), _text(rr.service), _text(rr.regexp),  # type: ignore[attr-defined]
                rr.replacement.to_text(omit_final_dot=True),  # type: ignore[attr-defined]
            ))  # fmt: skip
        return out

    async def srv(self, name: str) -> list[SrvRecord]:
        """A name's SRV records in RFC 2782 order."""
        records = [
            SrvRecord(int(rr.priority), int(rr.weight), int(rr.port),  # type: ignore[attr-defined]
                      rr.target.to_text(omit_final_dot=True))  # type: ignore[attr-defined]
            for rr in await self._query(name, "SRV")
        ]  # fmt: skip
        return order_srv(records, self.rng)

    async def addresses(self, host: str, port: int) -> list[Endpoint]:
        """A/AAAA of ``host`` (IPv4 first), or the literal itself; TransportError if none."""
        host = host.strip("[]")
        if is_ip_literal(host):
            return [Endpoint(host, port)]
        if self.system:
            return await self._getaddrinfo(host, port)
        v4, v6 = await asyncio.gather(self._query(host, "A"), self._query(host, "AAAA"))
        found = [Endpoint(rr.to_text(), port) for rr in (*v4, *v6)]  # type: ignore[attr-defined]
        if not found:
            raise TransportError(f"{host} has no A/AAAA record", field="dns")
        return found

    @staticmethod
    async def _getaddrinfo(host: str, port: int) -> list[Endpoint]:
        """The system's view (hosts file, nsswitch): what a name without DNS servers means."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise TransportError(f"cannot resolve {host}: {exc}", field="dns") from exc
        infos.sort(key=lambda i: i[0] != socket.AF_INET)
        seen: list[Endpoint] = []
        for info in infos:
            e = Endpoint(str(info[4][0]), port)
            if e not in seen:
                seen.append(e)
        return seen


def _text(value: object) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
