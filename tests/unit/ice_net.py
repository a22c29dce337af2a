"""An in-memory network for IceAgents: fake time, loss, a NAT that rewrites sources."""

from __future__ import annotations

from collections.abc import Callable

from siperb import _core

Addr = tuple[str, int]
MS = 1_000_000


class IceNet:
    """Delivers each agent's transmits to the agent bound at the destination address."""

    def __init__(self) -> None:
        self.now = 1_000 * MS
        self.agents: dict[Addr, _core.IceAgent] = {}
        self.nat: dict[Addr, Addr] = {}  # inside address -> the address others see
        self.drop: Callable[[Addr, Addr, bytes], bool] = lambda src, dst, data: False
        self.delivered = 0
        self.dropped = 0
        self.events: dict[Addr, list[tuple[str, str, str]]] = {}

    def add(self, addr: Addr, agent: _core.IceAgent) -> _core.IceAgent:
        self.agents[addr] = agent
        self.events[addr] = []
        return agent

    def _route(self, dst: Addr) -> Addr | None:
        if dst in self.agents:
            return dst
        for inside, outside in self.nat.items():
            if outside == dst:
                return inside
        return None

    def flush(self) -> None:
        """Delivers every queued datagram (and the answers they cause) at the current time."""
        for _ in range(10_000):
            moved = False
            for src, agent in list(self.agents.items()):
                for ev in iter(agent.poll_event, None):
                    self.events[src].append(ev)
                while (t := agent.poll_transmit()) is not None:
                    moved = True
                    dst, data, _relayed = t
                    seen_src = self.nat.get(src, src)
                    inside = self._route(dst)
                    if inside is None or self.drop(seen_src, dst, data):
                        self.dropped += 1
                        continue
                    self.delivered += 1
                    self.agents[inside].on_stun(data, seen_src, False, self.now)
            if not moved:
                return
        raise AssertionError("datagram storm")

    def run(self, duration_ms: int, until: Callable[[], bool] | None = None) -> None:
        """Advances fake time deadline by deadline (no sleeping) for at most duration_ms."""
        end = self.now + duration_ms * MS
        self.flush()
        while self.now < end:
            if until is not None and until():
                return
            nxt = min(a.next_deadline() for a in self.agents.values())
            if nxt > end:
                self.now = end
                break
            self.now = max(self.now, nxt)
            for agent in self.agents.values():
                if agent.next_deadline() <= self.now:
                    agent.on_timeout(self.now)
            self.flush()
        self.flush()


def exchange(
    net: IceNet, a: Addr, b: Addr, *, signal_a: bool = True, signal_b: bool = True
) -> None:
    """Signals credentials (and candidates) both ways, as the SDP offer/answer would."""
    aa, ab = net.agents[a], net.agents[b]
    ab.set_remote_credentials(aa.local_ufrag, aa.local_pwd, net.now)
    aa.set_remote_credentials(ab.local_ufrag, ab.local_pwd, net.now)
    if signal_a:
        for c in aa.local_candidates():
            ab.add_remote_candidate(c, net.now)
        ab.end_of_remote_candidates()
    if signal_b:
        for c in ab.local_candidates():
            aa.add_remote_candidate(c, net.now)
        aa.end_of_remote_candidates()


def candidate(
    addr: Addr, typ: str = "host", foundation: str = "1", priority: int = 2130706431
) -> _core.IceCandidate:
    c = _core.parse_candidate(
        f"candidate:{foundation} 1 udp {priority} {addr[0]} {addr[1]} typ {typ}"
    )
    assert c is not None
    return c
