"""Jitter buffers judged by ear: siperb vs speexdsp on the same network traces, through the same
receive chain (G.711 u-law, Appendix I PLC), with ITU-T P.862 PESQ on real speech.

Speech: English test sentences (the public-domain Harvard sentences) synthesised offline by
Debian's flite with three voices, resampled to 8 kHz, joined with pauses into 60 s. Each trace of
siperb.media.traces (several seeds) carries that speech as PCMU packets; siperb.media.jitterbuffer
.replay plays it with each buffer. Figures per trace, averaged over the seeds: mean buffer delay
of the played packets (ms), concealed frames (% of played + concealed) and PESQ (narrow band,
MOS-LQO) of the played audio against the source.

Run ``python benchmarks/bench_jitter_replay.py`` for the table, or ``make bench``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siperb._core import g711_ulaw_encode, resample, wav_read
from siperb.media.jitterbuffer import replay
from siperb.media.traces import TRACES, dtx_talkspurts, packets

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz
SEEDS = (1, 2, 3)
SECONDS = 60
BUFFERS = ("siperb", "speexdsp")
SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
)
VOICES = ("slt", "rms", "awb")
CACHE = Path(tempfile.gettempdir()) / "siperb-bench-speech"


def _synth(text: str, voice: str, rate: int = RATE) -> np.ndarray:
    """One sentence from flite (its voices speak at 16 kHz), at `rate` (cached by content)."""
    CACHE.mkdir(exist_ok=True)
    key = hashlib.sha256(f"{voice}:{text}".encode()).hexdigest()[:16]
    path = CACHE / f"{key}.wav"
    if not path.exists():
        tmp = path.with_suffix(".tmp.wav")
        subprocess.run(
            ["flite", "-voice", voice, "-t", text, "-o", str(tmp)], check=True, timeout=60
        )
        tmp.rename(path)
    wav_rate, _channels, pcm, _enc = wav_read(path)
    return np.asarray(resample(pcm, wav_rate, rate), dtype=np.int16)


def speech(seconds: int = SECONDS, rate: int = RATE) -> np.ndarray:
    """Sentences in turn, 0.3-1.2 s apart, cut to whole packets of `seconds` (at `rate`)."""
    out: list[np.ndarray] = []
    total = 0
    i = 0
    while total < seconds * rate:
        s = _synth(SENTENCES[i % len(SENTENCES)], VOICES[i % len(VOICES)], rate)
        pause = np.zeros(int(rate * (0.3 + 0.9 * ((i * 7) % 10) / 10)), dtype=np.int16)
        out += [s, pause]
        total += len(s) + len(pause)
        i += 1
    pcm = np.concatenate(out)[: seconds * rate]
    frame = FRAME * rate // RATE
    return pcm[: len(pcm) // frame * frame]


def voice_activity(pcm: np.ndarray) -> list[bool]:
    """A sender's DTX decision per packet: speech energy, with 100 ms of hangover."""
    frames = pcm.reshape(-1, FRAME).astype(np.float64)
    loud = np.abs(frames).mean(axis=1) > 150.0
    active = [False] * len(loud)
    hang = 0
    for k, v in enumerate(loud):
        hang = 5 if v else max(0, hang - 1)
        active[k] = bool(v) or hang > 0
    return active


@dataclass
class Score:
    delay_ms: float
    concealed_pct: float
    pesq: float


def score(ref: np.ndarray, trace: list[tuple[int, int, float, bytes]], buffer: str) -> Score:
    from pesq import pesq  # test/bench-only dependency

    r = replay(trace, codec="PCMU", buffer=buffer, clock_phase_ms=3.7)
    deg = np.asarray(r.pcm, dtype=np.int16)
    mos = float(pesq(RATE, ref.astype(np.float32), deg.astype(np.float32), "nb"))
    return Score(r.mean_delay_ms, r.concealed_percent, mos)


def evaluate(seeds: tuple[int, ...] = SEEDS) -> dict[str, dict[str, list[Score]]]:
    ref = speech()
    frames = len(ref) // FRAME
    payloads = [g711_ulaw_encode(ref[k * FRAME : (k + 1) * FRAME]) for k in range(frames)]
    active = voice_activity(ref)
    table: dict[str, dict[str, list[Score]]] = {}
    for name, model in TRACES.items():
        row: dict[str, list[Score]] = {b: [] for b in BUFFERS}
        for seed in seeds:
            if model is dtx_talkspurts:
                trace = packets(
                    dtx_talkspurts(frames, seed, active=active), payloads, FRAME, sent=active
                )
            else:
                trace = packets(model(frames, seed), payloads, FRAME)
            for b in BUFFERS:
                row[b].append(score(ref, trace, b))
        table[name] = row
    return table


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def verdict(s: Score, x: Score) -> str:
    """'win' when siperb is no worse on all three and better on at least two."""
    pairs = ((s.delay_ms, x.delay_ms), (s.concealed_pct, x.concealed_pct), (-s.pesq, -x.pesq))
    no_worse = all(a <= b for a, b in pairs)
    better = sum(a < b for a, b in pairs)
    return "win" if no_worse and better >= 2 else ("no worse" if no_worse else "LOSS")


def format_table(table: dict[str, dict[str, list[Score]]]) -> str:
    lines = [
        "| trace | delay ms siperb | delay ms speexdsp | concealed % siperb"
        " | concealed % speexdsp | PESQ siperb | PESQ speexdsp | siperb |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in table.items():
        m = {
            b: Score(
                _mean([r.delay_ms for r in rs]),
                _mean([r.concealed_pct for r in rs]),
                _mean([r.pesq for r in rs]),
            )
            for b, rs in row.items()
        }
        s, x = m["siperb"], m["speexdsp"]
        lines.append(
            f"| {name} | {s.delay_ms:.1f} | {x.delay_ms:.1f} | {s.concealed_pct:.2f}"
            f" | {x.concealed_pct:.2f} | {s.pesq:.2f} | {x.pesq:.2f} | {verdict(s, x)} |"
        )
    return "\n".join(lines)


def test_jitter_replay_pesq(benchmark) -> None:
    table = benchmark.pedantic(evaluate, rounds=1, iterations=1)
    print()
    print(format_table(table))


if __name__ == "__main__":
    sys.stdout.write(format_table(evaluate()) + "\n")
