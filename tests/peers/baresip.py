"""baresip 1.0 user agents for call tests, driven through ctrl_tcp (netstring JSON).

Each instance gets its own config dir (`-f`), SIP port, ctrl_tcp port and recording dir; the
sndfile module writes every call's audio to WAV so tests can check what was really heard.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .audio import TONE_RATE
from .kamailio import DOMAIN, Kamailio
from .netns import Netns
from .ports import LOOPBACK4, free_port, wait_tcp
from .procs import ManagedProcess, PeerError

T = TypeVar("T")
MODULE_PATH = "/usr/lib/baresip/modules"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
AUDIO_PATH = "/usr/share/baresip"

# Event types baresip 1.0 reports on ctrl_tcp (the `type` field of an event).
REGISTER_OK = "REGISTER_OK"
REGISTER_FAIL = "REGISTER_FAIL"
CALL_INCOMING = "CALL_INCOMING"
CALL_RINGING = "CALL_RINGING"
CALL_ESTABLISHED = "CALL_ESTABLISHED"
CALL_CLOSED = "CALL_CLOSED"
CALL_DTMF_START = "CALL_DTMF_START"
CALL_DTMF_END = "CALL_DTMF_END"
CALL_RTPESTAB = "CALL_RTPESTAB"  # first RTP packet received
TRANSFER = "TRANSFER"  # a REFER arrived; baresip 1.0 follows it by itself


def _here(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


class CtrlClient:
    """The single ctrl_tcp connection: commands with replies, and a log of events.

    A reader thread collects events so none is lost between waits; `await_event` consumes them
    in order, which lets a test wait for "established" after it already happened.
    """

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.settimeout(None)
        self._cond = threading.Condition()
        self._events: list[dict[str, Any]] = []
        self._consumed = 0
        self._responses: dict[str, dict[str, Any]] = {}
        self._tokens = itertools.count(1)
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        buf = b""
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    colon = buf.find(b":")
                    if colon < 0 or not buf[:colon].isdigit():
                        break
                    n = int(buf[:colon])
                    end = colon + 1 + n
                    if len(buf) < end + 1:
                        break
                    payload, buf = buf[colon + 1 : end], buf[end + 1 :]  # skip trailing ','
                    self._dispatch(json.loads(payload.decode(errors="replace")))
        except OSError:
            pass
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        with self._cond:
            if msg.get("response"):
                self._responses[str(msg.get("token", ""))] = msg
            elif msg.get("event"):
                self._events.append(msg)
            self._cond.notify_all()

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> dict[str, Any]:
        """Send one long command (e.g. "dial", "sip:1001@siperb.test"); return the reply."""
        token = str(next(self._tokens))
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._sock.sendall(str(len(body)).encode() + b":" + body + b",")
        deadline = time.monotonic() + timeout
        with self._cond:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise TimeoutError(f"no reply to ctrl_tcp command {command!r}")
                self._cond.wait(left)
            return self._responses.pop(token)

    def await_event(self, kind: str, timeout: float = 10.0, **match: str) -> dict[str, Any]:
        """Wait for the next unconsumed event of type `kind` (and fields equal to `match`).

        Only the matched event is consumed; others stay available to later waits.
        Raises TimeoutError listing the events seen, for a readable failure.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(self._consumed, len(self._events)):
                    ev = self._events[i]
                    if ev.get("type") == kind and all(
                        str(ev.get(k)) == v for k, v in match.items()
                    ):
                        self._events[i] = {**ev, "type": f"<consumed>{kind}"}
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    seen = [e.get("type") for e in self._events]
                    raise TimeoutError(f"no {kind} event within {timeout} s; seen: {seen}")
                self._cond.wait(left)

    def events(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._events)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


@dataclass
class BaresipAccount:
    """What goes into baresip's accounts file for one registration to our Kamailio."""

    user: str
    password: str
    proxy: str  # outbound proxy URI, e.g. Kamailio.uri("udp")
    domain: str = DOMAIN
    answermode: str = "manual"  # manual | early | auto
    audio_codecs: str = "PCMU,PCMA,opus/48000/2"
    mediaenc: str = ""  # "" or "srtp", "srtp-mand", ..., "dtls_srtp" (WebRTC-style, with ICE)
    regint: int = 600

    @property
    def webrtc(self) -> bool:
        """DTLS-SRTP keys: the ice and dtls_srtp modules are loaded and ICE is the media NAT."""
        return self.mediaenc.startswith("dtls_srtp")

    def line(self) -> str:
        transport = next((t for t in ("tcp", "tls") if f"transport={t}" in self.proxy), "udp")
        parts = [
            f"<sip:{self.user}@{self.domain};transport={transport}>",
            f"auth_user={self.user}",
            f"auth_pass={self.password}",
            f'outbound="{self.proxy}"',
            f"regint={self.regint}",
            f"answermode={self.answermode}",
            f"audio_codecs={self.audio_codecs}",
        ]
        if self.mediaenc:
            parts.append(f"mediaenc={self.mediaenc}")
        if self.webrtc:
            parts.append("medianat=ice")
        return ";".join(parts)


def render_config(
    sip_port: int,
    ctrl_port: int,
    record_dir: Path | None,
    audio_source: str,
    audio_player: str,
    host: str = LOOPBACK4,
    webrtc: bool = False,
    rtcp_mux: bool = False,
) -> str:
    """baresip's `config` file: SIP and RTP on `host` only (loopback by default), g711/opus/
    srtp, ctrl_tcp on loopback, optional recording; ``webrtc``: the ice and dtls_srtp modules
    too (baresip's ICE leaves loopback addresses out of its candidates, see PEERS.md);
    ``rtcp_mux``: 1.0's ``rtcp_mux yes`` (default no: its offers and answers then carry no
    a=rtcp-mux, which the WebRTC profile requires)."""
    lines = [
        "poll_method\t\tepoll",
        f"sip_listen\t\t{f'[{host}]' if ':' in host else host}:{sip_port}",
        f"net_interface\t\t{host}",
        "call_local_timeout\t120",
        "call_max_calls\t\t4",
        "rtp_ports\t\t40000-49998",  # away from the signalling ports ports.py hands out
        f"audio_path\t\t{AUDIO_PATH}",
        f"audio_player\t\t{audio_player}",
        f"audio_alert\t\t{audio_player}",
        f"audio_source\t\t{audio_source}",
        "audio_level\t\tno",
        f"ausrc_srate\t\t{TONE_RATE}",
        f"ausrc_channels\t\t{2 if audio_source.startswith('ausine') else 1}",
        "rtp_stats\t\tno",
        "opus_bitrate\t\t28000",
        f"module_path\t\t{MODULE_PATH}",
        "module\t\t\tg711.so",
        "module\t\t\topus.so",
        "module\t\t\tsrtp.so",
        "module\t\t\taufile.so",
        "module\t\t\tausine.so",
        "module\t\t\talsa.so",
        "module_app\t\taccount.so",
        "module_app\t\tmenu.so",
        "module_app\t\tctrl_tcp.so",
        f"ctrl_tcp_listen\t\t{LOOPBACK4}:{ctrl_port}",
    ]
    if record_dir is not None:
        lines += ["module\t\t\tsndfile.so", f"snd_path\t\t{record_dir}"]
    if webrtc:
        lines += ["module\t\t\tice.so", "module\t\t\tdtls_srtp.so"]
    if rtcp_mux:
        lines.append("rtcp_mux\t\tyes")
    return "\n".join(lines) + "\n"


class Baresip:
    """One running baresip; `ctrl` is its ctrl_tcp client."""

    def __init__(
        self,
        workdir: Path,
        account: BaresipAccount,
        *,
        audio_source: str,
        audio_player: str = "alsa,null",
        record: bool = True,
        timeout: float = 10.0,
        host: str = LOOPBACK4,
        netns: Netns | None = None,
        rtcp_mux: bool = False,
    ) -> None:
        binary = shutil.which("baresip")
        if binary is None:
            raise PeerError("baresip not installed (Debian: baresip)")
        self.workdir = workdir
        self.account = account
        self.sip_port = free_port(span=2)  # SIP/TLS goes on sip_port + 1
        self.ctrl_port = free_port()
        self.record_dir: Path | None = workdir / "recordings" if record else None
        workdir.mkdir(parents=True, exist_ok=True)
        if self.record_dir is not None:
            self.record_dir.mkdir(exist_ok=True)
        (workdir / "config").write_text(
            render_config(
                self.sip_port,
                self.ctrl_port,
                self.record_dir,
                audio_source,
                audio_player,
                host,
                webrtc=account.webrtc,
                rtcp_mux=rtcp_mux,
            )
        )
        (workdir / "accounts").write_text(account.line() + "\n")
        (workdir / "contacts").write_text("")
        self.process = ManagedProcess(
            f"baresip[{account.user}]",
            [*(netns.prefix() if netns else []), binary, "-f", str(workdir), "-v"],
            workdir / "baresip.log", cwd=workdir,
        )  # fmt: skip
        inside = netns.call if netns else _here  # ctrl_tcp is on the host's own loopback
        try:
            self.process.wait_until(
                lambda: inside(wait_tcp, LOOPBACK4, self.ctrl_port, 0.2),
                timeout,
                "ctrl_tcp listening",
            )
            self.ctrl = inside(CtrlClient, LOOPBACK4, self.ctrl_port)
        except BaseException:
            self.process.stop()
            raise

    @property
    def aor(self) -> str:
        return f"sip:{self.account.user}@{self.account.domain}"

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> dict[str, Any]:
        return self.ctrl.command(command, params, timeout)

    def await_event(self, kind: str, timeout: float = 10.0, **match: str) -> dict[str, Any]:
        try:
            return self.ctrl.await_event(kind, timeout, **match)
        except TimeoutError as e:
            raise self.process.fail(str(e)) from None

    def registration_state(self) -> str:
        """ "OK", "ERR" or "zzz" (not yet) as `reginfo` shows it for this account."""
        data = _ANSI.sub("", str(self.command("reginfo").get("data", "")))
        m = re.search(r"\s(OK|ERR|zzz)\s", data)
        return m.group(1) if m else ""

    def wait_registered(self, timeout: float = 10.0) -> None:
        """Registered at the proxy: REGISTER_OK may precede our ctrl connection, so poll too."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.registration_state()
            if state == "OK":
                return
            fails = [e for e in self.ctrl.events() if e.get("type") == REGISTER_FAIL]
            if state == "ERR" or fails:
                why = fails[-1].get("param", "") if fails else "reginfo shows ERR"
                raise self.process.fail(f"registration failed: {why}")
            time.sleep(0.05)
        raise self.process.fail("not registered")

    # Call control (command names as in baresip 1.0's menu module).
    def dial(self, uri: str) -> dict[str, Any]:
        return self.command("dial", uri)

    def accept(self) -> dict[str, Any]:
        return self.command("accept")

    def hangup(self) -> dict[str, Any]:
        return self.command("hangup")

    def hold(self) -> dict[str, Any]:
        return self.command("hold")

    def resume(self) -> dict[str, Any]:
        return self.command("resume")

    def send_dtmf(self, digits: str) -> dict[str, Any]:
        return self.command("sndcode", digits)

    def transfer(self, uri: str) -> dict[str, Any]:
        return self.command("transfer", uri)

    def recordings(self) -> list[Path]:
        """WAV files sndfile wrote (one per direction per call), oldest first."""
        if self.record_dir is None:
            return []
        return sorted(self.record_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)

    def stop(self) -> int | None:
        with contextlib.suppress(Exception):
            self.command("quit", timeout=1.0)
        with contextlib.suppress(Exception):
            self.ctrl.close()
        return self.process.stop()

    def log(self) -> str:
        return self.process.log_text()


def start_baresip(
    workdir: Path,
    kamailio: Kamailio,
    user: str,
    *,
    transport: str = "udp",
    answermode: str = "manual",
    audio_source: str = "ausine,1000",
    audio_player: str = "alsa,null",
    audio_codecs: str = "PCMU,PCMA,opus/48000/2",
    mediaenc: str = "",
    record: bool = True,
    register: bool = True,
    password: str | None = None,
    timeout: float = 10.0,
    host: str | None = None,
    rtcp_mux: bool = False,
) -> Baresip:
    """A baresip registered as `user` to `kamailio` over UDP, TCP or TLS (1.0 has no WS); on
    Kamailio's test host and address when Kamailio runs in a namespace (``host``: another of
    its addresses, e.g. its IPv6 one, for SIP, RTP and the proxy URI); ``rtcp_mux``: see
    :func:`render_config`."""
    account = BaresipAccount(
        user=user,
        password=kamailio.accounts[user] if password is None else password,
        proxy=kamailio.uri(transport, host),
        answermode=answermode,
        audio_codecs=audio_codecs,
        mediaenc=mediaenc,
    )
    for attempt in range(3):
        try:
            ua = Baresip(workdir, account, audio_source=audio_source, audio_player=audio_player,
                         record=record, timeout=timeout, host=host or kamailio.host,
                         netns=kamailio.netns, rtcp_mux=rtcp_mux)  # fmt: skip
            break
        except PeerError as e:  # a free port taken before baresip bound it: pick others
            if "Address already in use" not in str(e) or attempt == 2:
                raise
    if register:
        try:
            ua.wait_registered(timeout)
        except BaseException:
            ua.stop()
            raise
    return ua
