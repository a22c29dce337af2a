"""Bounds on what a remote party can make us do: per-source request rates and log lines.

:class:`SourceLimiter` keeps one token bucket per source address (an LRU table of bounded
size, so a scan from many addresses cannot grow memory) for the requests that create state
(a new INVITE, an out-of-dialog OPTIONS, MESSAGE, SUBSCRIBE, REFER, REGISTER...). Under the
rate a request is admitted; past it it is refused (the router answers 503 with Retry-After);
far past it (the bucket ``drop_after`` requests in debt) it is dropped without an answer, so a
UDP flood with a forged source address cannot use us as a reflector.

:class:`LogLimiter` lets one log line per key (a source address) through per interval and
counts the ones it held back, so a sender of repeated malformed input cannot fill the log.
Both are sans-IO: the caller passes the time.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass


class Verdict(str, enum.Enum):
    ADMIT = "admit"
    REFUSE = "refuse"  # answer 503 with Retry-After
    DROP = "drop"  # no answer at all


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class SourceLimiter:
    """A token bucket per source: ``rate`` requests per second, bursts of ``burst``.

    Every refused request still costs a token (the bucket goes into debt), so a source that
    keeps sending stays refused; once the debt reaches ``drop_after`` requests, further ones
    are dropped silently. ``max_sources`` bounds the table (least recently seen goes first).
    """

    def __init__(
        self, rate: float, burst: int, *, drop_after: int | None = None, max_sources: int = 1024
    ):
        if rate <= 0 or burst < 1 or max_sources < 1:
            raise ValueError("rate, burst and max_sources must be positive")
        self.rate = rate
        self.burst = float(burst)
        self.drop_after = drop_after
        self.max_sources = max_sources
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.counters = {"admitted": 0, "refused": 0, "dropped": 0, "evicted": 0}

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, source: str, now: float) -> Verdict:
        """Spend one token of ``source``'s bucket; what to do with its request."""
        bucket = self._buckets.get(source)
        if bucket is None:
            if len(self._buckets) >= self.max_sources:
                self._buckets.popitem(last=False)
                self.counters["evicted"] += 1
            bucket = self._buckets[source] = _Bucket(self.burst, now)
        else:
            self._buckets.move_to_end(source)
            elapsed = max(0.0, now - bucket.stamp)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.stamp = now
        floor = -float(self.drop_after) if self.drop_after is not None else -self.burst
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            verdict = Verdict.ADMIT
        elif self.drop_after is not None and bucket.tokens < floor + 1.0:
            verdict = Verdict.DROP
        else:
            verdict = Verdict.REFUSE
        bucket.tokens = max(floor, bucket.tokens - (0.0 if verdict is Verdict.ADMIT else 1.0))
        self.counters[{"admit": "admitted", "refuse": "refused", "drop": "dropped"}[verdict]] += 1
        return verdict

    def retry_after(self, source: str) -> int:
        """Whole seconds until ``source`` has a token again (at least 1)."""
        bucket = self._buckets.get(source)
        debt = 1.0 - bucket.tokens if bucket is not None else 0.0
        return max(1, int(debt / self.rate + 0.999))


class LogLimiter:
    """One log line per key per ``interval`` seconds; counts what it held back."""

    def __init__(self, interval: float = 10.0, max_keys: int = 1024):
        self.interval = interval
        self.max_keys = max_keys
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def allow(self, key: str, now: float) -> int | None:
        """None: hold this line back. Else the number of lines held back since the last one
        let through for ``key`` (to say so in this one)."""
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self.interval:
            self._seen[key] = (entry[0], entry[1] + 1)
            self._seen.move_to_end(key)
            return None
        if entry is None and len(self._seen) >= self.max_keys:
            self._seen.popitem(last=False)
        self._seen[key] = (now, 0)
        self._seen.move_to_end(key)
        return entry[1] if entry is not None else 0
