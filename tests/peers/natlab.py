"""A small test network of namespaces: a PBX host, a NAT router and a phone behind it.

    phone 198.51.100.10 --(priv)-- 198.51.100.1  nat  203.0.113.1 --(pub)-- 203.0.113.10 pbx
          2001:db8:100::10          2001:db8:100::1    2001:db8:203::1      203.0.113.11
                                                                            2001:db8:203::10
                                                                                 |(v6)
                                                          phone6 2001:db8:6::10 -+

The phone is dual-stack as home networks are: IPv4 behind the NAT, IPv6 routed by the same
router (no NAT66) with a stateful firewall (only replies come in). phone6 is IPv6-only, on
its own link to the PBX host.

The phone's only route off its subnet goes to the NAT (203.0.113.0/24 via 198.51.100.1, no
default route); the PBX has no route back to 198.51.100.0/24, so everything the phone sends
reaches it from 203.0.113.1 (nftables masquerade), and only replies on a NAT mapping come back
(the router drops new connections from the public side, to itself too, so a peer's RTP that
arrives before the phone's own cannot occupy the port the phone's mapping should get:
port-restricted by conntrack).
``symmetric=True`` masquerades with ``fully-random`` ports: each mapping gets a random public
port, as a symmetric NAT does. ``udp_timeout`` shortens the router's conntrack UDP timeouts
(seconds) so keep-alive behaviour can be tested quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dns import DnsRecords, Naptr, Srv
from .netns import Netns, link, remove_leftovers

PHONE4 = "198.51.100.10"
NAT_PRIVATE4 = "198.51.100.1"
NAT_PUBLIC4 = "203.0.113.1"
PBX4 = "203.0.113.10"
PBX6 = "2001:db8:203::10"
PBX_RELAY4 = "203.0.113.11"  # a second PBX address: the Kamailio that relays media (rtpengine)
PHONE6 = "2001:db8:100::10"
PHONE6_ONLY = "2001:db8:6::10"
DOMAIN = "siperb.test"  # the PBX's SIP domain (Kamailio's alias)
FAILOVER = f"failover.{DOMAIN}"  # a proxy name whose first SRV target is down
DOWN_PORT = 5070  # nothing listens there on the PBX host: a proxy that is not running


def pbx_dns_records() -> DnsRecords:
    """The PBX domain in DNS. ``siperb.test``: NAPTR prefers UDP (order 10) over TCP (20),
    both SRV to ``pbx.siperb.test`` (A 203.0.113.10, AAAA 2001:db8:203::10) port 5060.
    ``failover.siperb.test``: SRV priority 1 is ``down.siperb.test:5070`` (the PBX host, no
    server there), priority 2 the relay Kamailio ``relay.siperb.test:5060`` (203.0.113.11)."""
    srv = [Srv(f"_sip._{t}.{DOMAIN}", f"pbx.{DOMAIN}", 5060) for t in ("udp", "tcp")]
    for t in ("udp", "tcp"):
        srv += [Srv(f"_sip._{t}.{FAILOVER}", f"down.{DOMAIN}", DOWN_PORT, priority=1),
                Srv(f"_sip._{t}.{FAILOVER}", f"relay.{DOMAIN}", 5060, priority=2)]  # fmt: skip
    return DnsRecords(
        naptr=[Naptr(DOMAIN, 10, 10, "SIP+D2U", f"_sip._udp.{DOMAIN}"),
               Naptr(DOMAIN, 20, 10, "SIP+D2T", f"_sip._tcp.{DOMAIN}")],
        srv=srv,
        hosts={f"pbx.{DOMAIN}": [PBX4, PBX6], f"down.{DOMAIN}": [PBX4],
               f"relay.{DOMAIN}": [PBX_RELAY4]},
    )  # fmt: skip


def nat_ruleset(*, symmetric: bool = False) -> str:
    masquerade = "masquerade fully-random" if symmetric else "masquerade"
    return f"""
table ip6 firewall {{
    chain forward {{
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "priv" oifname "pub" accept
    }}
}}
table ip natlab {{
    chain forward {{
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        iifname "priv" oifname "pub" accept
    }}
    chain input {{
        type filter hook input priority 0; policy accept;
        iifname "pub" ct state new drop
    }}
    chain postrouting {{
        type nat hook postrouting priority 100; policy accept;
        oifname "pub" ip saddr 198.51.100.0/24 {masquerade}
    }}
}}
"""


@dataclass
class NatLab:
    pbx: Netns
    nat: Netns
    phone: Netns
    phone6: Netns
    symmetric: bool = False

    def hosts(self) -> list[Netns]:
        return [self.phone, self.phone6, self.nat, self.pbx]

    def set_nat(self, *, symmetric: bool) -> None:
        """Replace the router's rules (and forget its mappings)."""
        self.nat.exec("nft", "flush", "ruleset")
        self.nat.nft(nat_ruleset(symmetric=symmetric))
        self.flush_mappings()
        self.symmetric = symmetric

    def flush_mappings(self) -> None:
        """Forget every NAT mapping, as a router reboot or a timeout would."""
        self.nat.exec("conntrack", "-F")

    def mappings(self) -> str:
        return self.nat.exec("conntrack", "-L")

    def delete(self) -> None:
        for ns in self.hosts():
            ns.delete()


def build_natlab(*, symmetric: bool = False, udp_timeout: int | None = None) -> NatLab:
    """Build the three hosts (after removing leftovers of killed runs); delete() removes them."""
    remove_leftovers()
    made: list[Netns] = []
    try:
        for host in ("pbx", "nat", "phone", "phone6"):
            made.append(Netns(host))
        pbx, nat, phone, phone6 = made
        link(nat, "pub", [f"{NAT_PUBLIC4}/24", "2001:db8:203::1/64"],
             pbx, "pub", [f"{PBX4}/24", f"{PBX_RELAY4}/24", f"{PBX6}/64"])  # fmt: skip
        link(phone, "priv", [f"{PHONE4}/24", f"{PHONE6}/64"],
             nat, "priv", [f"{NAT_PRIVATE4}/24", "2001:db8:100::1/64"])  # fmt: skip
        link(phone6, "v6", [f"{PHONE6_ONLY}/64"], pbx, "v6", ["2001:db8:6::1/64"])
        phone.ip("route", "add", "203.0.113.0/24", "via", NAT_PRIVATE4)
        phone.ip("-6", "route", "add", "2001:db8:203::/64", "via", "2001:db8:100::1")
        pbx.ip("-6", "route", "add", "2001:db8:100::/64", "via", "2001:db8:203::1")
        phone6.ip("-6", "route", "add", "2001:db8:203::/64", "via", "2001:db8:6::1")
        nat.sysctl("net.ipv4.ip_forward", "1")
        nat.sysctl("net.ipv6.conf.all.forwarding", "1")
        lab = NatLab(pbx, nat, phone, phone6)
        lab.nat.nft(nat_ruleset(symmetric=symmetric))
        lab.symmetric = symmetric
        if udp_timeout is not None:
            for key in ("nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"):
                nat.sysctl(f"net.netfilter.{key}", str(udp_timeout))
        return lab
    except BaseException:
        for ns in made:
            ns.delete()
        raise
