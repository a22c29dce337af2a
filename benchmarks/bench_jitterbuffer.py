"""Jitter-buffer evaluation: siperb vs speexdsp vs a fixed 60 ms buffer on three seeded network
models (60 s of 20 ms packets each). Reports mean buffer delay (playout start minus arrival of
each played packet) and the share of concealed frames.

Run ``python benchmarks/bench_jitterbuffer.py`` for the table, or ``make bench``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from jbuf_models import MODELS, Result, run_fixed, run_siperb, run_speex

SEED = 4733


def evaluate(seed: int = SEED) -> dict[str, dict[str, Result]]:
    table: dict[str, dict[str, Result]] = {}
    for name, model in MODELS.items():
        arrivals = model(seed)
        table[name] = {
            "siperb": run_siperb(arrivals),
            "speexdsp": run_speex(arrivals),
            "fixed 60 ms": run_fixed(arrivals),
        }
    return table


def format_table(table: dict[str, dict[str, Result]]) -> str:
    lines = [f"{'model':<10} {'buffer':<12} {'mean delay ms':>14} {'concealed %':>12}"]
    for name, row in table.items():
        for buf, r in row.items():
            lines.append(f"{name:<10} {buf:<12} {r.mean_delay_ms:>14.1f} {r.concealed_pct:>12.2f}")
        s, x = row["siperb"], row["speexdsp"]
        lines.append(
            f"{'':<10} {'ratio s/x':<12} {s.mean_delay_ms / x.mean_delay_ms:>14.2f} "
            f"{s.concealed_pct / max(x.concealed_pct, 1e-9):>12.2f}"
        )
    return "\n".join(lines)


def test_jitterbuffer_models(benchmark) -> None:
    table = benchmark.pedantic(evaluate, rounds=1, iterations=1)
    print()
    print(format_table(table))


if __name__ == "__main__":
    print(format_table(evaluate(int(sys.argv[1]) if len(sys.argv) > 1 else SEED)))
