"""What the ``siperb`` command prints and the flags several subcommands share: the device
table, the SIP trace, the version line, media quality and live status lines, logging. Kept
apart from cli.py so each file holds one concern (the command's structure there, its output
here)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from ._version import __version__
from .events import Event


def device_value(text: str | None) -> str | int | bool | None:
    """A device flag's value: an index, 'none' (no device that way), else a name."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    return False if text.lower() == "none" else text


def print_trace(record: Any) -> None:
    """The --trace hook: each SIP message in or out, credentials already redacted."""
    arrow = "<<<" if record.direction == "in" else ">>>"
    print(f"{arrow} {record.direction} {record.kind.value} {record.local} {arrow} "
          f"{record.remote}\n{record.data.decode('utf-8', 'replace').rstrip()}\n",
          file=sys.stderr, flush=True)  # fmt: skip


def media_line(stats: Any) -> str:
    """One live line of call quality from a media session's statistics."""
    v = stats.values
    rtt = f", RTT {v['rtt_ms']:.0f} ms" if v.get("rtt_ms", -1) >= 0 else ""
    return (
        f"media: {stats.codec}, {v.get('packets_sent', 0):.0f} sent / "
        f"{v.get('packets_received', 0):.0f} received, jitter {v.get('jitter_ms', 0):.1f} ms, "
        f"loss {v.get('loss_percent', 0):.1f} %, buffer {v.get('jb_delay_ms', 0):.0f} ms{rtt}, "
        f"MOS {v.get('mos', 0):.2f}, level out {v.get('tx_level_dbfs', -100):.0f} / "
        f"in {v.get('rx_level_dbfs', -100):.0f} dBFS"
    )


NO_DEVICES = "no audio devices found (no sound card, or PortAudio cannot see it)"


def device_table(devices: Sequence[Any]) -> str:
    """The devices as an aligned table: index, name, host API, channels, rate, defaults."""
    header = ("#", "name", "host API", "in", "out", "rate", "default")
    rows = [header] + [
        (str(d.index), d.name, d.host_api, str(d.max_input_channels),
         str(d.max_output_channels), f"{d.default_sample_rate:.0f} Hz",
         ", ".join(m for m, on in (("input", d.default_input), ("output", d.default_output))
                   if on) or "-")
        for d in devices
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    right = {0, 3, 4, 5}  # numbers line up on the right
    lines = [
        "  ".join(c.rjust(w) if i in right else c.ljust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]  # fmt: skip
    return "\n".join(lines)


def logging_options(p: argparse.ArgumentParser, default: Any = None) -> None:
    """--verbose and --trace, before or after the subcommand (``default`` SUPPRESS in the
    subcommands, so a flag given before the subcommand is not reset by it)."""
    p.add_argument("-v", "--verbose", action="count", default=default,
                   help="log what siperb does (-vv for debug detail)")  # fmt: skip
    p.add_argument(
        "--trace",
        action="store_true",
        default=default,
        help="print every SIP message sent and received (credentials redacted)",
    )


def device_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("audio devices (see siperb devices)")
    g.add_argument("--input-device", metavar="DEVICE",
                   help="microphone: an index, part of a name, or 'none'")  # fmt: skip
    g.add_argument("--output-device", metavar="DEVICE",
                   help="speaker: an index, part of a name, or 'none'")  # fmt: skip


def version_text() -> str:
    """``siperb --version``: the package, the native core and the libraries it carries."""
    try:
        from . import _core

        native = f"core {_core.__version__}, {_core.opus_version}"
    except ImportError as exc:  # pragma: no cover - a broken install still reports its version
        native = f"native core not loadable: {exc}"
    py = sys.version_info
    return f"siperb {__version__} ({native}, Python {py.major}.{py.minor}.{py.micro})"


def setup_logging(verbose: int | None) -> None:
    """-v: siperb's INFO messages on stderr, -vv: DEBUG; nothing is configured without it."""
    if not verbose:
        return
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    logging.getLogger("siperb").setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


class Status:
    """Live status lines: ``[  1.234] text``, seconds since the command started."""

    def __init__(self, stream: Any = None) -> None:
        self.t0 = time.monotonic()
        self.stream = stream

    def __call__(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.3f}] {text}", file=self.stream or sys.stdout,
              flush=True)  # fmt: skip

    def on_event(self, ev: Event) -> None:
        name = ev.name
        if name == "registered":
            self(f"registered {ev['aor']} (expires {ev['expires']} s)")
        elif name == "unregistered":
            self(f"unregistered {ev['aor']}")
        elif name == "registration_failed":
            self(f"registration failed: {ev['status']} {ev['reason']}")
        elif name == "session_state_change":
            call = ev["call"]
            self(f"call {call.direction} {call.remote_uri}: {ev['label']} ({ev['state']})")
        elif name == "incoming_call":
            self(ev["label"])
        elif name == "dtmf":
            self(f"dtmf received: {ev['digit']}")
        elif name == "toast":
            self(f"toast: {ev['message']}")
        elif name == "transport" and ev.get("state") == "lost":
            self(f"connection lost: {ev.get('reason')}")
