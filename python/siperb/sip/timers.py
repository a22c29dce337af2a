"""RFC 3261 timer values (section 17.1.1.1 and table 4): a setting of the user agent, read by
the transactions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timers:
    """RFC 3261 timer values in seconds (section 17.1.1.1 and table 4)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def b(self) -> float:  # = F = H = J = L
        return 64 * self.t1
