"""Two IceAgents over an in-memory network with fake time (RFC 8445, RFC 7675)."""

from __future__ import annotations

from ice_net import MS, IceNet, candidate, exchange

from siperb import _core

A: tuple[str, int] = ("127.0.0.1", 40000)
B: tuple[str, int] = ("127.0.0.2", 40002)


def pair(
    *, a_role: str = "controlling", b_role: str = "controlled", b_lite: bool = False, **kw: int
) -> tuple[IceNet, _core.IceAgent, _core.IceAgent]:
    net = IceNet()
    a = net.add(A, _core.IceAgent(role=a_role, **kw))  # type: ignore[arg-type]
    b = net.add(B, _core.IceAgent(role=b_role, lite=b_lite, **kw))  # type: ignore[arg-type]
    a.add_host_candidate(A)
    b.add_host_candidate(B)
    return net, a, b


def connected(*agents: _core.IceAgent) -> bool:
    return all(x.state == "completed" for x in agents)


def test_full_agents_connect_and_nominate() -> None:
    net, a, b = pair()
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert a.selected_remote() == B and b.selected_remote() == A
    assert a.is_selected_remote(B) and not a.is_selected_remote(("127.0.0.9", 1))
    assert a.role == "controlling" and b.role == "controlled"
    kinds = [e[0] for e in net.events[A]]
    assert "selected_pair" in kinds and "local_candidate" in kinds
    assert any(e[0] == "selected_pair" and "nominated" in e[2] for e in net.events[B])
    assert a.stats()["checks_sent"] >= 1 and b.stats()["checks_received"] >= 1


def test_local_candidates_carry_rfc_priorities_and_sdp() -> None:
    agent = _core.IceAgent()
    agent.add_host_candidate(("127.0.0.1", 5000))
    agent.add_server_reflexive(("198.51.100.7", 6000), ("127.0.0.1", 5000))
    agent.add_relayed(("203.0.113.9", 7000), ("127.0.0.1", 5000))
    host, srflx, relay = agent.local_candidates()
    assert host.priority >> 24 == 126 and srflx.priority >> 24 == 100 and relay.priority >> 24 == 0
    assert host.priority & 0xFF == 255  # 256 - component 1
    assert srflx.related == ("127.0.0.1", 5000) and host.related is None
    assert len({host.foundation, srflx.foundation, relay.foundation}) == 3
    again = _core.parse_candidate(srflx.to_sdp())
    assert again is not None and again.address == ("198.51.100.7", 6000) and again.type == "srflx"
    assert len(agent.local_ufrag) >= 4 and len(agent.local_pwd) >= 22


def test_lite_agent_answers_and_takes_the_nominated_pair() -> None:
    net, a, b = pair(b_lite=True)
    assert b.lite and b.role == "controlled"
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert b.stats()["checks_sent"] == 0  # lite: answers, never checks
    assert b.selected_remote() == A


def test_peer_reflexive_remote_learnt_from_an_unsignalled_check() -> None:
    net, a, b = pair()
    # A never hears of B's candidate: B's checks teach it (RFC 8445 7.3.1.3).
    exchange(net, A, B, signal_b=False)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    remotes = a.remote_candidates()
    assert [(c.type, c.address) for c in remotes] == [("prflx", B)]


def test_peer_reflexive_local_learnt_behind_a_nat() -> None:
    net, a, b = pair()
    outside = ("198.51.100.1", 61000)
    net.nat[B] = outside  # B's packets leave through a NAT
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert a.selected_remote() == outside
    assert ("prflx", outside) in [(c.type, c.address) for c in b.local_candidates()]
    assert ("prflx", outside) in [(c.type, c.address) for c in a.remote_candidates()]


def test_role_conflict_both_controlling_resolved_with_487() -> None:
    net, a, b = pair(a_role="controlling", b_role="controlling")
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(10_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert {a.role, b.role} == {"controlling", "controlled"}
    assert a.stats()["role_conflicts"] + b.stats()["role_conflicts"] >= 1
    assert any(e[0] == "role_conflict" for e in net.events[A] + net.events[B])


def test_role_conflict_both_controlled_resolved() -> None:
    net, a, b = pair(a_role="controlled", b_role="controlled")
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(10_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert {a.role, b.role} == {"controlling", "controlled"}


def test_packet_loss_still_connects_through_retransmissions() -> None:
    net, a, b = pair()
    lost = {"n": 0}

    def drop_first_four(src: tuple[str, int], dst: tuple[str, int], data: bytes) -> bool:
        if lost["n"] < 4:
            lost["n"] += 1
            return True
        return False

    net.drop = drop_first_four
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(20_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert lost["n"] == 4 and net.dropped >= 4


def test_all_checks_lost_fails_after_end_of_candidates() -> None:
    net, a, b = pair(check_rto_ms=100, check_max_transmissions=3)
    net.drop = lambda src, dst, data: True
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(10_000, until=lambda: a.state == "failed" and b.state == "failed")
    assert a.state == "failed" and b.state == "failed"
    assert a.selected_remote() is None


def test_consent_lost_when_the_peer_goes_silent() -> None:
    net, a, b = pair()
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    # Consent keeps a healthy call up well past the timeout.
    net.run(60_000)
    assert connected(a, b)
    sent_before = a.stats()["checks_sent"]
    assert sent_before >= 10  # consent requests about every 5 s
    t0 = net.now
    del net.agents[B]  # B vanishes: nothing answers A any more
    net.run(40_000, until=lambda: a.state == "failed")
    assert a.state == "failed"
    assert any(e[0] == "consent_lost" for e in net.events[A])
    # 30 s after the last consent answer, which came at most one randomised interval (<= 6 s)
    # before B went silent.
    assert 24_000 * MS <= net.now - t0 <= 30_000 * MS


def test_lite_agent_loses_consent_when_checks_stop() -> None:
    net, a, b = pair(b_lite=True)
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    del net.agents[A]
    net.run(40_000, until=lambda: b.state == "failed")
    assert b.state == "failed"


def test_ice_restart_on_remote_ufrag_change() -> None:
    net, a, b = pair()
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    old_a, old_b = a.local_ufrag, b.local_ufrag
    # A offers a restart with new credentials; B answers with new ones of its own.
    a.restart_local_credentials()
    b.set_remote_credentials(a.local_ufrag, a.local_pwd, net.now)
    assert b.local_ufrag != old_b and a.local_ufrag != old_a
    assert b.selected_remote() == A  # media goes on during the restart
    a.set_remote_credentials(b.local_ufrag, b.local_pwd, net.now)
    assert a.state == "checking"
    for c in b.local_candidates():
        a.add_remote_candidate(c, net.now)
    for c in a.local_candidates():
        b.add_remote_candidate(c, net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert a.selected_remote() == B


def _check(agent: _core.IceAgent, *, username: str, pwd: str, fingerprint: bool = True) -> bytes:
    b = _core.StunBuilder(1, 0, _core.stun_random_transaction_id())
    b.add_bytes(0x0006, username.encode()).add_u32(0x0024, 1).add_u64(0x8029, 1)
    b.add_integrity(pwd.encode())
    if fingerprint:
        b.add_fingerprint()
    return b.to_bytes()


def test_forged_stun_is_dropped_and_counted() -> None:
    agent = _core.IceAgent(role="controlling")
    agent.add_host_candidate(A)
    user = f"{agent.local_ufrag}:remote"
    forged = [
        _check(agent, username=user, pwd="wrong-password-xxxxxxxx"),  # bad integrity
        _check(agent, username=f"nobody:{agent.local_ufrag}", pwd=agent.local_pwd),  # wrong ufrag
        _check(agent, username=user, pwd=agent.local_pwd, fingerprint=False),  # no FINGERPRINT
    ]
    good = _check(agent, username=user, pwd=agent.local_pwd)
    bad_crc = bytearray(good)
    bad_crc[-1] ^= 0xFF
    forged += [bytes(bad_crc), b"\x00\x01\x00\x00garbage-garbage", b""]
    for data in forged:
        agent.on_stun(data, B, False, 0)
    assert agent.poll_transmit() is None  # no answer to any of them
    assert agent.stats()["dropped"] == len(forged)
    assert agent.stats()["checks_received"] == 0
    agent.on_stun(good, B, False, 0)
    answer = agent.poll_transmit()
    assert answer is not None and answer[0] == B
    m = _core.stun_parse(answer[1])
    assert m.cls == 2 and m.xor_mapped_address == B and m.check_integrity(agent.local_pwd)


def test_remote_candidates_are_bounded() -> None:
    agent = _core.IceAgent(max_remote_candidates=100, max_pairs=100)
    agent.add_host_candidate(A)
    agent.set_remote_credentials("ufrg", "p" * 22, 0)
    for i in range(300):
        agent.add_remote_candidate(candidate((f"10.0.{i // 250}.{i % 250 + 1}", 1000 + i)), 0)
    assert len(agent.remote_candidates()) == 100
    assert agent.stats()["refused"] == 200
    # Peer-reflexive learning is bounded by the same limit.
    user = f"{agent.local_ufrag}:ufrg"
    for i in range(50):
        agent.on_stun(
            _check(agent, username=user, pwd=agent.local_pwd), (f"10.9.0.{i + 1}", 9), False, 0
        )
    assert len(agent.remote_candidates()) == 100


def test_mdns_and_tcp_candidates_are_skipped_and_garbage_is_an_error() -> None:
    from siperb.errors import SdpParseError

    assert (
        _core.parse_candidate("candidate:1 1 udp 2122260223 1f2e3d4c-aaaa.local 54321 typ host")
        is None
    )
    assert (
        _core.parse_candidate("candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active")
        is None
    )
    assert _core.parse_candidate("candidate:3 2 udp 2122260222 127.0.0.1 5001 typ host") is None
    c = _core.parse_candidate(
        "a=candidate:842163049 1 udp 1677729535 198.51.100.4 61001 typ srflx"
        " raddr 10.0.0.2 rport 5000 generation 0"
    )
    assert (
        c is not None
        and c.type == "srflx"
        and c.related == ("10.0.0.2", 5000)
        and c.priority == 1677729535
    )
    for bad in [
        "candidate:1 1 udp",
        "candidate:1 x udp 1 127.0.0.1 5 typ host",
        "candidate:1 1 udp 1 127.0.0.1 99999 typ host",
    ]:
        try:
            _core.parse_candidate(bad)
        except SdpParseError as e:
            assert e.field == "candidate"
        else:
            raise AssertionError(f"accepted {bad!r}")


def test_two_487_answers_switch_the_role_once() -> None:
    agent = _core.IceAgent(role="controlling", ta_ms=50)
    agent.add_host_candidate(A)
    agent.set_remote_credentials("rmte", "r" * 22, 0)
    x, y = ("127.0.0.3", 1), ("127.0.0.4", 2)
    agent.add_remote_candidate(candidate(x, foundation="x"), 0)
    agent.add_remote_candidate(candidate(y, foundation="y"), 0)
    agent.start(0)
    agent.on_timeout(60 * MS)
    checks = {t[0]: _core.stun_parse(t[1]) for t in iter(agent.poll_transmit, None)}
    assert set(checks) == {x, y} and all(m.ice_controlling for m in checks.values())
    for src, m in checks.items():
        err = _core.StunBuilder(1, 3, m.transaction_id).add_error_code(487, "Role Conflict")
        agent.on_stun(
            err.add_integrity(b"r" * 22).add_fingerprint().to_bytes(), src, False, 70 * MS
        )
    assert agent.role == "controlled"
    assert agent.stats()["role_conflicts"] == 1


def test_restart_after_consent_lost_connects_again() -> None:
    net, a, b = pair()
    exchange(net, A, B)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    gone = net.agents.pop(B)
    net.run(40_000, until=lambda: a.state == "failed")
    assert a.state == "failed" and a.selected_remote() == B
    net.agents[B] = gone
    a.restart_local_credentials()
    b.set_remote_credentials(a.local_ufrag, a.local_pwd, net.now)
    a.set_remote_credentials(b.local_ufrag, b.local_pwd, net.now)
    assert a.selected_remote() is None  # the dead path is not kept
    for c in b.local_candidates():
        a.add_remote_candidate(c, net.now)
    for c in a.local_candidates():
        b.add_remote_candidate(c, net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    net.run(40_000)
    assert connected(a, b)  # consent holds again


def test_ipv6_and_ipv4_candidates_pair_by_family() -> None:
    net = IceNet()
    a6, b6 = ("::1", 40010), ("::2", 40012)
    a = net.add(a6, _core.IceAgent(role="controlling"))
    b = net.add(b6, _core.IceAgent(role="controlled"))
    a.add_host_candidate(a6)
    b.add_host_candidate(b6)
    b.add_host_candidate(("127.0.0.2", 40012))  # no IPv4 on A: never paired, never checked
    exchange(net, a6, b6)
    a.start(net.now)
    b.start(net.now)
    net.run(5_000, until=lambda: connected(a, b))
    assert connected(a, b)
    assert a.selected_remote() == b6 and b.selected_remote() == a6
