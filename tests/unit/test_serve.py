"""siperb serve: the handler API on two real workers calling each other over loopback UDP,
the 503 gate (full, draining) for INVITE and OPTIONS, metrics over HTTP, the Kamailio render
(checked by ``kamailio -c`` when Kamailio is installed) and the CLI's errors."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from siperb.errors import SiperbError
from siperb.media import engine_available
from siperb.phone.history import open_history
from siperb.serve import (
    HandlerCall,
    ServeWorker,
    WorkerConfig,
    load_handler,
    render_kamailio,
    run_campaign,
)
from siperb.serve.kamailio import dispatcher_list

T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 60.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def options(port: int, method: str = "OPTIONS", timeout: float = 5.0) -> str:
    """Send one out-of-dialog request by hand; the status line and headers of the reply."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        me = s.getsockname()[1]
        sdp = ""
        if method == "INVITE":
            sdp = (
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            )
        msg = (
            f"{method} sip:w@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{uuid.uuid4().hex[:10]};rport\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:w@127.0.0.1>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:probe@127.0.0.1:{me}>\r\n"
            + ("Content-Type: application/sdp\r\n" if sdp else "")
            + f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
        )
        s.sendto(msg.encode(), ("127.0.0.1", port))
        while True:
            data = s.recv(65535).decode()
            if not data.startswith("SIP/2.0 1"):  # skip 100 Trying / 180 Ringing
                return data


# ---- the handler API between two workers ----

HEARD: dict[str, Any] = {}


async def answering_handler(call: HandlerCall) -> None:
    """B side: answer, say 1 kHz, collect DTMF and what it hears, wait for the BYE."""
    await call.answer()
    t = np.arange(3 * 16000) / 16000.0  # 3 s: more than the play buffer, say() tops it up
    await call.say((8000 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.int16))
    HEARD["digits"] = [await call.dtmf(timeout=10.0) for _ in range(2)]
    call.annotations["digits"] = "".join(d or "?" for d in HEARD["digits"])
    await call.wait_ended(timeout=20.0)


async def calling_handler(call: HandlerCall) -> None:
    """A side (a campaign's call): wait for the answer, measure 1 kHz, send DTMF, hang up."""
    state = await call.next_state(timeout=10.0)
    while state not in ("established", "terminated"):
        state = await call.next_state(timeout=10.0)
    assert state == "established"
    pcm = await asyncio.wait_for(call.read(8000), 10.0)  # 0.5 s at 16 kHz
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    HEARD["peak_hz"] = float(np.argmax(spectrum[1:]) + 1) * 16000 / len(pcm)
    await call.send_dtmf("42")
    await asyncio.sleep(1.0)
    await call.hangup()


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_campaign_call_between_two_workers_carries_audio_dtmf_and_history(tmp_path: Path) -> None:
    a_port, b_port = free_udp_port(), free_udp_port()
    db = tmp_path / "history.sqlite3"

    async def main() -> None:
        b_cfg = WorkerConfig(
            answering_handler,
            proxy=f"127.0.0.1:{a_port}",
            listen_port=b_port,
            history=str(db),
            index=1,
            profile_user_id="fleet-b",
        )
        a_cfg = WorkerConfig(
            calling_handler,
            proxy=f"127.0.0.1:{b_port}",
            listen_port=a_port,
            history=str(db),
            index=0,
            profile_user_id="fleet-a",
        )
        async with ServeWorker(b_cfg) as b, ServeWorker(a_cfg) as a:
            calls = await asyncio.wait_for(
                run_campaign(a, [f"sip:bot@127.0.0.1:{b_port}"], concurrency=1), 30.0
            )
            assert len(calls) == 1 and calls[0].ended
            assert await asyncio.wait_for(b.drain(10.0), 15.0)
            assert b.metrics.calls_setup == 1 and a.metrics.calls_setup == 1
            assert a.metrics.calls_failed == 0 and b.metrics.calls_failed == 0
        # one SQLite file, two workers, two profiles: each reads only its side of the call
        with open_history("fleet-a", str(db)) as ha, open_history("fleet-b", str(db)) as hb:
            rows = ha.list() + hb.list()
        assert [r.direction for r in rows] == ["outbound", "inbound"]
        assert {r.outcome for r in rows} == {"answered"} and rows[0].call_id == rows[1].call_id

    run(main())
    assert abs(HEARD["peak_hz"] - 1000.0) < 50.0, HEARD
    assert HEARD["digits"] == ["4", "2"]


# ---- the gate: OPTIONS and INVITE get 503 when full or draining ----


async def idle_handler(call: HandlerCall) -> None:
    await call.wait_ended(timeout=30.0)  # never answers: the call rings until cancelled


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_gate_answers_503_with_retry_after_when_full_and_when_draining(tmp_path: Path) -> None:
    port = free_udp_port()

    async def main() -> None:
        cfg = WorkerConfig(
            idle_handler,
            proxy="127.0.0.1:9",
            listen_port=port,
            max_calls=1,
            retry_after=7,
            history=str(tmp_path / "h.sqlite3"),
        )
        async with ServeWorker(cfg) as w:
            ok = await asyncio.to_thread(options, port)
            assert ok.startswith("SIP/2.0 200"), ok
            first = asyncio.create_task(asyncio.to_thread(options, port, "INVITE", 3.0))
            await asyncio.sleep(0.5)  # it rings (180), so it is counted
            assert w.refusal() == "full"
            busy = await asyncio.to_thread(options, port, "INVITE")
            assert busy.startswith("SIP/2.0 503") and "Retry-After: 7" in busy, busy
            probe = await asyncio.to_thread(options, port)
            assert probe.startswith("SIP/2.0 503") and "(full)" in probe, probe
            assert w.metrics.calls_rejected == 1
            first.cancel()
            w.draining = True
            for hc in list(w.calls.values()):
                await hc.decline()
            await asyncio.sleep(0.3)
            probe = await asyncio.to_thread(options, port)
            assert probe.startswith("SIP/2.0 503") and "(draining)" in probe, probe

    run(main())


# ---- metrics ----


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_metrics_endpoint_serves_prometheus_text_on_loopback(tmp_path: Path) -> None:
    async def main() -> None:
        cfg = WorkerConfig(
            idle_handler,
            proxy="127.0.0.1:9",
            listen_port=free_udp_port(),
            metrics_port=0,
            index=3,
            history=str(tmp_path / "h.sqlite3"),
        )
        async with ServeWorker(cfg) as w:
            assert w.metrics_server is not None
            port = w.metrics_server.port
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /metrics HTTP/1.0\r\n\r\n")
            body = (await reader.read()).decode()
            assert body.startswith("HTTP/1.0 200")
            for name in (
                "calls_active",
                "calls_setup_total",
                "calls_failed_total",
                "media_late_frames_total",
                "cpu_per_call_second",
            ):
                assert f'siperb_serve_{name}{{worker="3"}} ' in body, body
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /admin HTTP/1.0\r\n\r\n")
            assert (await reader.read()).startswith(b"HTTP/1.0 404")

    run(main())


# ---- Kamailio config ----


def test_render_kamailio_lists_workers_with_call_load_attributes(tmp_path: Path) -> None:
    files = render_kamailio(
        ["127.0.0.1:5080", "[::1]:5081"],
        listen="127.0.0.1:5060",
        directory=tmp_path,
        gateways=["127.0.0.1:5090"],
        max_load=9,
        ping_interval=3,
    )
    lines = files.dispatcher_list.splitlines()[1:]
    assert lines == [
        "1 sip:127.0.0.1:5080 0 0 duid=w0;maxload=9",
        "1 sip:[::1]:5081 0 0 duid=w1;maxload=9",
        "2 sip:127.0.0.1:5090 0 0 duid=g0",
    ]
    assert 'ds_select_dst("1", "10")' in files.config
    assert 'modparam("dispatcher", "ds_ping_interval", 3)' in files.config
    assert "listen=udp:127.0.0.1:5060" in files.config
    assert "@@" not in files.config


@pytest.mark.parametrize("bad", ["", "nohost", "h:0", "h:70000", "a b:5"])
def test_render_kamailio_refuses_bad_addresses(bad: str) -> None:
    with pytest.raises(SiperbError) as err:
        dispatcher_list([bad])
    assert err.value.field == "workers"
    with pytest.raises(SiperbError):
        dispatcher_list([])


def test_rendered_config_passes_kamailio_check(tmp_path: Path) -> None:
    binary = shutil.which("kamailio", path="/usr/sbin:/usr/bin:/sbin")
    if binary is None:
        pytest.skip("kamailio not installed (Debian package kamailio)")
    cfg = render_kamailio(
        ["127.0.0.1:5080", "127.0.0.1:5081"], directory=tmp_path, gateways=["127.0.0.1:5090"]
    ).write(tmp_path)
    check = subprocess.run(
        [binary, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr[-3000:]


# ---- loading handlers, the CLI ----


def test_load_handler_errors_name_the_problem() -> None:
    for spec, words in [
        ("nocolon", "module:function"),
        ("no_such_mod_xyz:f", "cannot import"),
        ("json:no_such", "has no"),
        ("json:dumps", "async function"),
    ]:
        with pytest.raises(SiperbError) as err:
            load_handler(spec)
        assert words in str(err.value) and err.value.field == "handler"
    assert load_handler("asyncio:sleep") is asyncio.sleep


def test_cli_renders_kamailio_for_worker_ports(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "siperb",
            "serve",
            "--render-kamailio",
            str(tmp_path),
            "--workers",
            "3",
            "--listen",
            "127.0.0.1:6000",
            "--kamailio-listen",
            "127.0.0.1:5999",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    listed = (tmp_path / "dispatcher.list").read_text()
    assert [f"sip:127.0.0.1:{6000 + i}" in listed for i in range(3)] == [True] * 3
    bad = subprocess.run(
        [sys.executable, "-m", "siperb", "serve", "--worker-index", "0", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1 and "module:function" in bad.stderr
    # the supervisor checks the handler before starting any worker (no crash loop)
    bad = subprocess.run(
        [sys.executable, "-m", "siperb", "serve", "--workers", "2", "no_such_module_xyz:handle"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        bad.returncode == 1
        and "cannot import" in bad.stderr
        and "worker_started" not in (bad.stdout)
    )


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_a_starting_worker_leaves_the_other_workers_live_rows_open(tmp_path: Path) -> None:
    """Workers share the profile: a (re)started worker must not close the calls the others
    have up (a phone closes its own leftovers at start; a worker has none it can tell apart)."""
    db = str(tmp_path / "h.sqlite3")
    with open_history("fleet", db) as h:
        h.record_start("live-on-worker-0", "inbound", "sip:caller@x")

    async def main() -> None:
        cfg = WorkerConfig(
            idle_handler,
            proxy="127.0.0.1:9",
            listen_port=free_udp_port(),
            history=db,
            profile_user_id="fleet",
            index=1,
        )
        async with ServeWorker(cfg):
            pass

    run(main())
    with open_history("fleet", db) as h:
        row = h.get("live-on-worker-0")
    assert row is not None and not row.ended


CAMPAIGN_APP = """
import asyncio
import json

async def handle(call):
    if call.direction == "inbound":
        await call.answer()
        await call.wait_ended(timeout=20)
        return
    while await call.next_state(timeout=10) != "established":
        pass
    await asyncio.sleep(0.3)
    await call.hangup()
"""


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_cli_campaign_splits_targets_over_workers_and_the_fleet_exits_when_done(
    tmp_path: Path,
) -> None:
    """``siperb serve --campaign``: two workers call four targets (two each) at a third
    ``siperb serve`` that answers; the campaign's fleet exits 0 by itself, nothing restarted."""
    (tmp_path / "camp_app.py").write_text(CAMPAIGN_APP)
    (tmp_path / "targets.txt").write_text("".join(f"sip:t{i}@127.0.0.1\n" for i in range(4)))
    b_port, a_port = free_udp_port(), free_udp_port()
    cli = [sys.executable, "-m", "siperb", "serve", "camp_app:handle", "--app-dir", str(tmp_path)]
    answering = subprocess.Popen(
        [
            *cli,
            "--workers",
            "1",
            "--listen",
            f"127.0.0.1:{b_port}",
            "--proxy",
            "127.0.0.1:9",
            "--history",
            str(tmp_path / "b.sqlite3"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert answering.stdout is not None
        for line in answering.stdout:
            if '"worker_ready"' in line:
                break
        campaign = subprocess.run(
            [
                *cli,
                "--workers",
                "2",
                "--listen",
                f"127.0.0.1:{a_port}",
                "--proxy",
                f"127.0.0.1:{b_port}",
                "--history",
                str(tmp_path / "a.sqlite3"),
                "--campaign",
                str(tmp_path / "targets.txt"),
                "--concurrency",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        answering.terminate()
        answering.wait(30)
    assert campaign.returncode == 0, campaign.stderr
    lines = [json.loads(x) for x in campaign.stdout.splitlines() if x.startswith("{")]
    calls = [x for x in lines if x["event"] == "call"]
    assert sorted(x["remote"] for x in calls) == [f"sip:t{i}@127.0.0.1" for i in range(4)]
    assert Counter(x["worker"] for x in calls) == {0: 2, 1: 2}
    assert all(x["outcome"] == "answered" and x["direction"] == "outbound" for x in calls)
    started = [x for x in lines if x["event"] == "worker_started"]
    exited = [x for x in lines if x["event"] == "worker_exited"]  # why one was restarted
    assert len(started) == 2, (exited, campaign.stderr[-4000:])
    assert {x["event"] for x in lines} >= {"campaign_done", "worker_done"}


def test_supervisor_restarts_a_crashing_worker_with_backoff_and_stops_when_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker that dies young is restarted with a doubling delay; one that exits DONE_EXIT
    (a finished campaign) is not, and the supervisor stops when every worker is done."""
    from siperb.serve.supervisor import DONE_EXIT, Supervisor

    counter = tmp_path / "runs"
    script = (
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) if p.exists() else 0\n"
        "p.write_text(str(n + 1))\n"
        f"sys.exit(1 if n < 3 else {DONE_EXIT})\n"
    )
    sup = Supervisor(lambda i: [sys.executable, "-c", script], 1, drain_timeout=1.0)
    assert run(sup.run(), 60.0) == 0
    assert sup.slots[0].exits == [1, 1, 1, DONE_EXIT] and sup.slots[0].restarts == 3
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    delays = [x["restart_in_s"] for x in lines if x["event"] == "worker_exited"]
    assert delays == [0.2, 0.4, 0.8], delays
    assert [x["event"] for x in lines][-2:] == ["fleet_stopping", "fleet_stopped"]


@pytest.mark.skipif(not engine_available(), reason="media engine not built")
def test_a_call_without_rtp_for_media_timeout_is_hung_up(tmp_path: Path) -> None:
    """The far end's media stops without a SIP BYE (its session closed: RTCP BYE, then no
    RTP): ``media_timeout`` s later the worker ends the call with a BYE, no hanging call."""
    a_port, b_port = free_udp_port(), free_udp_port()
    seen: dict[str, Any] = {}

    async def silent_after_answer(call: HandlerCall) -> None:
        while await call.next_state(timeout=10.0) != "established":
            pass
        await asyncio.sleep(0.5)
        call.call.sip.media.session.close()  # our RTP stops; the call stays up on our side
        await call.wait_ended(timeout=15.0)
        seen["a_hangup_by"] = call.call.hangup_by

    async def waits_forever(call: HandlerCall) -> None:
        await call.answer()
        await call.wait_ended(timeout=30.0)

    async def main() -> None:
        b_cfg = WorkerConfig(
            waits_forever,
            proxy=f"127.0.0.1:{a_port}",
            listen_port=b_port,
            history=":memory:",
            media_timeout=1.0,
        )
        a_cfg = WorkerConfig(
            silent_after_answer,
            proxy=f"127.0.0.1:{b_port}",
            listen_port=a_port,
            history=":memory:",
            media_timeout=None,
        )
        async with ServeWorker(b_cfg) as b, ServeWorker(a_cfg) as a:
            t0 = asyncio.get_running_loop().time()
            await asyncio.wait_for(run_campaign(a, [f"sip:bot@127.0.0.1:{b_port}"]), 20.0)
            seen["elapsed"] = asyncio.get_running_loop().time() - t0
            seen["b_idle"] = await asyncio.wait_for(b.drain(5.0), 10.0)

    run(main())
    assert seen["a_hangup_by"] == "remote", seen  # B sent the BYE
    assert seen["b_idle"] and 1.0 < seen["elapsed"] < 10.0, seen


def test_a_fleet_log_line_is_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers share the supervisor's stdout; with PYTHONUNBUFFERED, print() wrote a line and
    its newline apart, and two workers' ready lines ran together (the fleet test saw 2 of 3)."""
    from siperb.serve import supervisor

    class Recorder(io.StringIO):
        writes: list[str] = []

        def write(self, s: str) -> int:
            self.writes.append(s)
            return len(s)

    out = Recorder()
    monkeypatch.setattr(sys, "stdout", out)
    supervisor._line(event="worker_ready", worker=2)
    assert len(out.writes) == 1 and out.writes[0].endswith("}\n"), out.writes
    assert json.loads(out.writes[0])["event"] == "worker_ready"
