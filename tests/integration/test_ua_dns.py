"""RFC 3263 server location end to end: the UserAgent finds Kamailio through NAPTR -> SRV ->
A records served by a private dnsmasq, and fails over to the next SRV target when the first
refuses connections (TCP) or never answers (UDP timer F)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_ua_common import Recorder, config, run

from peers.dns import DnsRecords, DnsServer, Naptr, Srv
from peers.kamailio import DOMAIN, Kamailio
from peers.ports import free_port
from siperb.sip.resolver import Resolver
from siperb.sip.transaction import Timers
from siperb.sip.transport import Endpoint, TransportKind
from siperb.sip.useragent import UserAgent, UserAgentConfig

pytestmark = pytest.mark.integration

DnsFactory = Callable[[DnsRecords], DnsServer]


def dns_config(kam: Kamailio, dns: DnsServer, user: str, proxy: str,
               **kw: Any) -> UserAgentConfig:  # fmt: skip
    """An account whose proxy is a name only our dnsmasq knows."""
    cfg = config(kam, user, "udp", **kw)
    cfg.proxy = proxy
    cfg.dns_servers = [dns.nameserver]
    cfg.dns_timeout = 2.0
    return cfg


@pytest.mark.timeout(30)
def test_register_through_naptr_srv_a(kamailio: Kamailio, dns_factory: DnsFactory) -> None:
    kamailio.unregister("1003")
    dns = dns_factory(DnsRecords(
        naptr=[Naptr(DOMAIN, 10, 10, "SIP+D2T", f"_sip._tcp.{DOMAIN}"),
               Naptr(DOMAIN, 20, 10, "SIP+D2U", f"_sip._udp.{DOMAIN}")],
        srv=[Srv(f"_sip._tcp.{DOMAIN}", f"proxy1.{DOMAIN}", kamailio.ports.sip),
             Srv(f"_sip._udp.{DOMAIN}", f"proxy1.{DOMAIN}", kamailio.ports.sip)],
        hosts={f"proxy1.{DOMAIN}": ["127.0.0.1"]},
    ))  # fmt: skip

    async def main() -> None:
        ua = UserAgent(dns_config(kamailio, dns, "1003", f"sip:{DOMAIN}"))
        rec = Recorder(ua)
        try:
            await ua.start()
            assert (await rec.wait("registered"))["status"] == 200
            # NAPTR order 10 (TCP) wins over order 20 (UDP).
            assert ua.flow is not None and ua.flow.kind is TransportKind.TCP
            assert (ua.flow.remote.host, ua.flow.remote.port) == ("127.0.0.1", kamailio.ports.sip)
            assert [t.kind for t in ua.targets] == [TransportKind.TCP, TransportKind.UDP]
            assert len(kamailio.contacts("1003")) == 1
            assert "transport=tcp" in kamailio.contacts("1003")[0]
        finally:
            await ua.close()

    run(main())
    log = dns.process.log_text()
    for query in (f"query[NAPTR] {DOMAIN}", f"query[SRV] _sip._tcp.{DOMAIN}",
                  f"query[A] proxy1.{DOMAIN}"):  # fmt: skip
        assert query in log, f"{query!r} not asked; dnsmasq log:\n{log[-2000:]}"


@pytest.mark.timeout(30)
def test_websocket_through_naptr_d2w(kamailio: Kamailio, dns_factory: DnsFactory) -> None:
    kamailio.unregister("1004")
    dns = dns_factory(DnsRecords(
        naptr=[Naptr(DOMAIN, 10, 10, "SIP+D2W", f"_sip._ws.{DOMAIN}")],
        srv=[Srv(f"_sip._ws.{DOMAIN}", f"ws.{DOMAIN}", kamailio.ports.ws)],
        hosts={f"ws.{DOMAIN}": ["127.0.0.1"]},
    ))  # fmt: skip

    async def main() -> None:
        ua = UserAgent(dns_config(kamailio, dns, "1004", f"sip:{DOMAIN}"))
        try:
            await ua.start()
            assert ua.flow is not None and ua.flow.kind is TransportKind.WS
            assert ua.flow.remote.port == kamailio.ports.ws
            assert ua.registration.registered and kamailio.contacts("1004")
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(30)
def test_failover_when_the_first_srv_target_refuses_tcp(
    kamailio: Kamailio, dns_factory: DnsFactory
) -> None:
    kamailio.unregister("1005")
    dead = free_port()  # nothing listens there: connection refused
    dns = dns_factory(DnsRecords(
        srv=[Srv(f"_sip._tcp.{DOMAIN}", f"dead.{DOMAIN}", dead, priority=1),
             Srv(f"_sip._tcp.{DOMAIN}", f"proxy1.{DOMAIN}", kamailio.ports.sip, priority=2)],
        hosts={f"dead.{DOMAIN}": ["127.0.0.1"], f"proxy1.{DOMAIN}": ["127.0.0.1"]},
    ))  # fmt: skip

    async def main() -> None:
        # transport=tcp and no port: SRV for _sip._tcp only, no NAPTR (RFC 3263 4.1).
        ua = UserAgent(dns_config(kamailio, dns, "1005", f"sip:{DOMAIN};transport=tcp"))
        try:
            await ua.start()
            assert [t.endpoint.port for t in ua.targets] == [dead, kamailio.ports.sip]
            assert ua.target_index == 1
            assert ua.flow is not None and ua.flow.remote.port == kamailio.ports.sip
            assert ua.registration.registered
        finally:
            await ua.close()

    run(main())
    assert "query[NAPTR]" not in dns.process.log_text()


@pytest.mark.timeout(40)
def test_failover_when_the_first_udp_target_times_out(
    kamailio: Kamailio, dns_factory: DnsFactory
) -> None:
    kamailio.unregister("1005")
    dead = free_port()
    dns = dns_factory(DnsRecords(
        srv=[Srv(f"_sip._udp.{DOMAIN}", f"dead.{DOMAIN}", dead, priority=1),
             Srv(f"_sip._udp.{DOMAIN}", f"proxy1.{DOMAIN}", kamailio.ports.sip, priority=2)],
        hosts={f"dead.{DOMAIN}": ["127.0.0.1"], f"proxy1.{DOMAIN}": ["127.0.0.1"]},
    ))  # fmt: skip
    timers = Timers(t1=0.05, t2=0.4, t4=0.5)  # timer F = 3.2 s

    async def main() -> None:
        ua = UserAgent(dns_config(kamailio, dns, "1005", f"sip:{DOMAIN};transport=udp",
                                  timers=timers))  # fmt: skip
        rec = Recorder(ua)
        try:
            await ua.start()  # REGISTER to the dead port times out, then goes to Kamailio
            assert ua.failovers == 1 and ua.target_index == 1
            assert ua.flow is not None and ua.flow.remote.port == kamailio.ports.sip
            assert ua.registration.registered and kamailio.contacts("1005")
            ev = await rec.wait("transport", where=lambda e: e["state"] == "failover")
            assert ev["previous"].endswith(f":{dead}")
        finally:
            await ua.close()

    run(main())


@pytest.mark.timeout(30)
def test_resolver_fallbacks_without_naptr_or_srv(dns_factory: DnsFactory) -> None:
    dns = dns_factory(DnsRecords(
        srv=[Srv("_sip._tcp.srvonly.test", "h.srvonly.test", 5080),
             Srv("_sips._tcp.srvonly.test", "h.srvonly.test", 5081)],
        hosts={"h.srvonly.test": ["127.0.0.2"], "plain.test": ["127.0.0.3", "::1"]},
    ))  # fmt: skip
    resolver = Resolver([dns.nameserver], timeout=2.0)

    async def main() -> None:
        # 4.1: no NAPTR: SRV for every transport; only TCP (and TLS) exist here.
        targets = await resolver.resolve("sip:srvonly.test")
        assert [(t.kind, t.endpoint) for t in targets] == [
            (TransportKind.TCP, Endpoint("127.0.0.2", 5080)),
            (TransportKind.TLS, Endpoint("127.0.0.2", 5081)),
        ]
        assert all(t.hostname == "srvonly.test" for t in targets)  # RFC 5922: the domain
        # sips: only the secure transports.
        targets = await resolver.resolve("sips:srvonly.test")
        assert [(t.kind, t.endpoint.port) for t in targets] == [(TransportKind.TLS, 5081)]
        # 4.2: neither NAPTR nor SRV: A then AAAA, UDP 5060 (TLS 5061 for sips:).
        targets = await resolver.resolve("sip:plain.test")
        assert [(t.kind, t.endpoint) for t in targets] == [
            (TransportKind.UDP, Endpoint("127.0.0.3", 5060)),
            (TransportKind.UDP, Endpoint("::1", 5060)),
        ]
        assert (await resolver.resolve("sips:plain.test"))[0].kind is TransportKind.TLS
        # An explicit port: A/AAAA only, no SRV.
        targets = await resolver.resolve("sip:plain.test:5099;transport=tcp")
        assert targets[0].kind is TransportKind.TCP and targets[0].endpoint.port == 5099

    run(main())
    log = dns.process.log_text()
    assert "query[SRV] _sip._udp.plain.test" in log
    assert log.count("query[A] plain.test ") == 3  # every lookup ends in A/AAAA
    assert log.count("query[NAPTR] plain.test") == 2  # sip: and sips:, not the one with a port
