"""RFC 3263 / RFC 2782 ordering rules of siperb.sip.resolver, without any DNS server (the
lookups against a real one are in tests/integration/test_ua_dns.py)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from siperb.errors import TransportError
from siperb.sip.resolver import (
    NaptrRecord,
    Resolver,
    ServerTarget,
    SrvRecord,
    is_ip_literal,
    order_naptr,
    order_srv,
    parse_nameserver,
)
from siperb.sip.transport import Endpoint, TransportKind

UDP, TCP, TLS, WS, WSS = (TransportKind.UDP, TransportKind.TCP, TransportKind.TLS,
                          TransportKind.WS, TransportKind.WSS)  # fmt: skip


def test_srv_priority_is_strict_and_weight_is_proportional() -> None:
    records = [
        SrvRecord(20, 0, 5060, "backup.test"),
        SrvRecord(10, 90, 5060, "big.test"),
        SrvRecord(10, 10, 5060, "small.test"),
    ]
    rng = random.Random(7)
    firsts: Counter[str] = Counter()
    trials = 4000
    for _ in range(trials):
        ordered = order_srv(records, rng)
        assert [r.priority for r in ordered] == [10, 10, 20]  # never a lower priority first
        assert {r.target for r in ordered} == {"backup.test", "big.test", "small.test"}
        firsts[ordered[0].target] += 1
    # RFC 2782: the chance to come first is weight / sum of weights (90 % vs 10 %).
    assert abs(firsts["big.test"] / trials - 0.9) < 0.03
    assert abs(firsts["small.test"] / trials - 0.1) < 0.03


def test_srv_zero_weights_all_get_chosen_and_dot_target_means_no_service() -> None:
    records = [SrvRecord(1, 0, 5060, f"h{i}.test") for i in range(3)]
    rng = random.Random(1)
    firsts = Counter(order_srv(records, rng)[0].target for _ in range(600))
    assert set(firsts) == {"h0.test", "h1.test", "h2.test"}
    assert order_srv([SrvRecord(0, 0, 0, ".")]) == []


def test_naptr_order_preference_and_filtering() -> None:
    records = [
        NaptrRecord(20, 10, "s", "SIP+D2U", "", "_sip._udp.d.test"),
        NaptrRecord(10, 20, "S", "SIP+D2T", "", "_sip._tcp.d.test"),
        NaptrRecord(10, 10, "s", "SIPS+D2T", "", "_sips._tcp.d.test"),
        NaptrRecord(5, 10, "s", "SIP+D2S", "", "_sip._sctp.d.test"),  # SCTP: not supported
        NaptrRecord(5, 10, "u", "E2U+sip", "!^.*$!sip:x@d.test!", "."),  # ENUM-style: skipped
        NaptrRecord(30, 10, "s", "SIP+D2W", "", "_sip._ws.d.test"),
        NaptrRecord(40, 10, "s", "SIPS+D2W", "", "_sips._ws.d.test"),
    ]
    assert order_naptr(records, [UDP, TCP, TLS, WS, WSS], secure_only=False) == [
        (TLS, "_sips._tcp.d.test"), (TCP, "_sip._tcp.d.test"), (UDP, "_sip._udp.d.test"),
        (WS, "_sip._ws.d.test"), (WSS, "_sips._ws.d.test"),
    ]  # fmt: skip
    # A sips: URI only takes secure transports; unsupported transports are dropped.
    assert order_naptr(records, [UDP, TCP, TLS, WS, WSS], secure_only=True) == [
        (TLS, "_sips._tcp.d.test"), (WSS, "_sips._ws.d.test")]  # fmt: skip
    assert order_naptr(records, [UDP], secure_only=False) == [(UDP, "_sip._udp.d.test")]


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
     ("::1", ("::1", 53)), ("[::1]:5300", ("::1", 5300))],
)  # fmt: skip
def test_nameserver_specs(spec: str, parsed: tuple[str, int]) -> None:
    assert parse_nameserver(spec) == parsed


def test_ip_literals() -> None:
    assert is_ip_literal("127.0.0.1") and is_ip_literal("[::1]") and is_ip_literal("::1")
    assert not is_ip_literal("example.test") and not is_ip_literal("1.2.3")


class NoDns(Resolver):
    """Fails the test on any DNS query."""

    async def _query(self, name: str, rdtype: str) -> list[object]:
        raise AssertionError(f"unexpected DNS query {rdtype} {name}")


@pytest.mark.parametrize(
    ("uri", "kind", "host", "port"),
    [
        ("sip:127.0.0.1", UDP, "127.0.0.1", 5060),
        ("sips:127.0.0.1", TLS, "127.0.0.1", 5061),
        ("sip:127.0.0.1:5080;transport=tcp", TCP, "127.0.0.1", 5080),
        ("sips:[::1];transport=tcp", TLS, "::1", 5061),
        ("sip:127.0.0.1;transport=ws", WS, "127.0.0.1", 80),
        ("sips:127.0.0.1;transport=ws", WSS, "127.0.0.1", 443),
    ],
)
def test_ip_literals_need_no_dns(uri: str, kind: TransportKind, host: str, port: int) -> None:
    targets = asyncio.run(NoDns(["127.0.0.1:9"]).resolve(uri))
    assert targets == [ServerTarget(kind, Endpoint(host, port), host)]


def test_name_without_any_record_is_a_transport_error() -> None:
    resolver = Resolver(["127.0.0.1:9"], timeout=0.2)
    with pytest.raises(TransportError):
        asyncio.run(resolver.resolve("sip:nowhere.test"))
