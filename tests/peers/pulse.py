"""A private PulseAudio with a null sink: a real audio device for PortAudio, no hardware.

PortAudio reaches it through ALSA's `pulse` plugin; the env vars returned by `env()` point
the plugin at this server and make the sink's monitor the capture source.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .procs import ManagedProcess, PeerError, peer_env

DEFAULT_SINK = "siperb_null"


@dataclass
class PulseAudio:
    """A running private PulseAudio; its socket lives in its own XDG_RUNTIME_DIR."""

    runtime_dir: Path
    sink: str
    process: ManagedProcess

    @property
    def socket_path(self) -> Path:
        return self.runtime_dir / "pulse" / "native"

    def env(self) -> dict[str, str]:
        """Environment for clients (pactl, ALSA `pulse` device, PortAudio) of this server."""
        return {
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_SERVER": f"unix:{self.socket_path}",
            "PULSE_SINK": self.sink,
            "PULSE_SOURCE": f"{self.sink}.monitor",
        }

    def pactl(self, *args: str, timeout: float = 5.0) -> str:
        out = subprocess.run(
            ["pactl", *args], capture_output=True, text=True, timeout=timeout,
            env=peer_env(self.env()),
        )  # fmt: skip
        if out.returncode != 0:
            raise self.process.fail(f"pactl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def start_client(self, name: str, argv: list[str], log_dir: Path) -> ManagedProcess:
        """Start a client program (parecord, a PortAudio test) talking to this server."""
        return ManagedProcess(name, argv, log_dir / f"{name}.log", env=self.env(), cwd=log_dir)

    def record_monitor(self, wav: Path, log_dir: Path, rate: int = 48000) -> ManagedProcess:
        """Record what is played into the sink (its monitor) to `wav` until stopped.

        Low latency matters: with parecord's default buffering, what it holds at SIGTERM is lost.
        """
        argv = [
            "parecord", "--latency-msec=20", f"--device={self.sink}.monitor",
            "--file-format=wav", f"--rate={rate}", "--channels=1", str(wav),
        ]  # fmt: skip
        return self.start_client("parecord", argv, log_dir)

    def play(self, wav: Path, timeout: float = 15.0) -> None:
        """Play a WAV file into the null sink (blocking, bounded)."""
        out = subprocess.run(
            ["paplay", "--latency-msec=50", f"--device={self.sink}", str(wav)],
            capture_output=True, text=True,
            timeout=timeout, env=peer_env(self.env()),
        )  # fmt: skip
        if out.returncode != 0:
            raise self.process.fail(f"paplay {wav}: {out.stderr.strip()}")

    def stop(self) -> int | None:
        return self.process.stop()


def start_pulseaudio(workdir: Path, sink: str = DEFAULT_SINK, timeout: float = 10.0) -> PulseAudio:
    """Start `pulseaudio --daemonize=no` with only the native protocol and one null sink."""
    binary = shutil.which("pulseaudio")
    if binary is None:
        raise PeerError("pulseaudio not installed (Debian: pulseaudio)")
    runtime = workdir / "xdg-runtime"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {
        "XDG_RUNTIME_DIR": str(runtime),
        "HOME": str(home),  # keeps ~/.config/pulse cookies out of the real home
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PULSE_RUNTIME_PATH": str(runtime / "pulse"),
    }
    argv = [
        binary, "--daemonize=no", "-n", "--exit-idle-time=-1", "--disallow-exit=no",
        "--use-pid-file=no", "--system=no", "--log-target=stderr",
        "--load=module-native-protocol-unix auth-anonymous=1",
        f"--load=module-null-sink sink_name={sink}",
    ]  # fmt: skip
    proc = ManagedProcess("pulseaudio", argv, workdir / "pulseaudio.log", env=env, cwd=workdir)
    pa = PulseAudio(runtime, sink, proc)
    try:
        proc.wait_until(pa.socket_path.exists, timeout, "creating its socket")
        proc.wait_until(lambda: _has_sink(pa), timeout, f"showing sink {sink}")
    except BaseException:
        proc.stop()
        raise
    return pa


def _has_sink(pa: PulseAudio) -> bool:
    try:
        return pa.sink in pa.pactl("list", "short", "sinks", timeout=2.0)
    except (PeerError, subprocess.TimeoutExpired):
        return False
