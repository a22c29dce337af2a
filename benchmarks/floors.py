"""Same-run ratio floors: the speed siperb promises against the alternative a user would pick.

``make bench-ci`` (part of ``make test``) and ``make bench`` fail when, within one benchmark
group, the alternative's fastest round divided by siperb's fastest round falls below the floor
stated here (the README's figures are medians; the floor uses the minimum because a neighbour's
burst during one side's short run can only add time). ``make bench-ci`` measures a second time
before failing: a floor fails the build only when both passes miss it.
Ratios only: both sides run on the same machine in the same run, so load and CPU model cancel
out, and no absolute time is ever asserted.

A benchmark declares its floor with one line here: the group name it sets in
``benchmark.group``, then the alternative's ``benchmark.extra_info["impl"]`` and the minimum
ratio. The floors sit below the figures measured (README) with room for a loaded machine.
"""

from __future__ import annotations

FLOORS: dict[str, dict[str, float]] = {
    # Parse one message and read Call-ID, CSeq number, From tag and the top Via branch
    # (measured 20-25x at load 8-15; the floor leaves room for a short, loaded run).
    "sip parse + 4 fields: invite": {"sippy": 15.0},
    "sip parse + 4 fields: 200ok": {"sippy": 15.0},
    "sip parse + 4 fields: register": {"sippy": 15.0},
    # One 20 ms G.711 frame (160 samples) against the stdlib's audioop. Decoding is compared
    # like for like (siperb returns int16 samples, so audioop's bytes go through frombuffer):
    # audioop's bare ulaw2lin is as fast as siperb's call, so it has no floor. Encoding's
    # fastest-round ratio measured 4.4-5.0x (medians 4.9-5.3x): the floor sits below that.
    "G.711 u-law encode, 160 samples": {"audioop.lin2ulaw": 3.5},
    "G.711 u-law decode, 160 samples": {"audioop+frombuffer": 2.0},
}
