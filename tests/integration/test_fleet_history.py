"""A fleet's shared history in PostgreSQL, and the whole fleet drained by SIGTERM mid-load.

A private PostgreSQL cluster (tests/peers/postgres.py) on a free loopback port; three workers
write their calls into it; the supervisor gets SIGTERM while every call is up: no call is lost
(SIPp sees all of them end normally), the fleet exits 0, and the history of the profile read
from PostgreSQL afterwards holds every call, whichever worker took it.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from siperb.phone.history import open_history

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_fleet import WORKERS, start_fleet

from peers.postgres import Postgres, start_postgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Postgres]:
    pytest.importorskip("psycopg")
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL not installed (Debian package postgresql)")
    pg = start_postgres(tmp_path / "pg")
    try:
        yield pg
    finally:
        pg.stop()


def test_history_of_three_workers_in_postgres_and_a_fleet_drain_on_sigterm(
    tmp_path: Path, postgres: Postgres
) -> None:
    fleet = start_fleet(tmp_path / "fleet", history=postgres.url, drain_timeout=20.0)
    try:
        t0 = time.time()
        calls = 12
        sipp = fleet.sipp("drain-all", calls=calls, rate=12, pause_ms=3000)
        fleet.wait(
            "every call up",
            lambda: sum(fleet.metrics(i)["calls_active"] for i in range(WORKERS)) >= calls,
            15.0,
        )
        os.kill(fleet.serve.pid, signal.SIGTERM)  # the supervisor: every worker drains
        result = sipp.wait(60)
        assert result.ok and result.count("SuccessfulCall") == calls, result.errors or result.log
        assert fleet.serve.proc.wait(40) == 0
        lines = [x for x in fleet.events("call") if x["time"] >= t0]
        spread = Counter(x["worker"] for x in lines)
        print(f"spread of {calls} calls: {dict(sorted(spread.items()))}")
        assert len(lines) == calls and set(spread) == set(range(WORKERS)), spread
        assert len(fleet.events("worker_drained")) == WORKERS
        assert all(x["clean"] for x in fleet.events("worker_drained"))
    finally:
        fleet.stop()
    with open_history("fleet", postgres.url) as h:
        rows = h.list(limit=100)
    assert {r.call_id for r in rows} == {x["call_id"] for x in lines}
    assert all(r.outcome == "answered" and r.direction == "inbound" for r in rows)
    assert all(r.hangup_by == "remote" and (r.duration or 0) > 2.0 for r in rows)


def test_postgres_history_reads_like_sqlite(tmp_path: Path, postgres: Postgres) -> None:
    """The same calls through History on SQLite and on PostgreSQL read back the same."""
    results = []
    for where in (str(tmp_path / "h.sqlite3"), postgres.url):
        with open_history("p1", where) as h, open_history("p2", where) as other:
            h.record_start("c1", "inbound", "sip:a@x", at=100.0)
            h.record_answer("c1", at=101.0)
            h.add_events("c1", [(100.5, "dtmf_received", {"digit": "5"})])
            h.record_end("c1", hangup_by="remote", at=105.0)
            h.record_start("c2", "outbound", "sip:b@x", at=100.0)  # same start: rowid order
            h.record_end("c2", sip_status=486, at=102.0)
            other.record_start("c1", "outbound", "sip:z@x", at=50.0)  # another profile
            h.set_setting("k", {"v": [1, 2]})
            with pytest.raises(Exception) as dup:
                h.record_start("c1", "inbound", "sip:a@x")
            assert "already recorded" in str(dup.value)
            results.append((h.list(), h.get_setting("k"), other.list()))
    (lite, lite_k, lite_o), (pg, pg_k, pg_o) = results
    assert lite == pg and lite_k == pg_k == {"v": [1, 2]} and lite_o == pg_o
    assert [r.call_id for r in pg] == ["c2", "c1"] and pg[1].duration == 4.0
    assert pg[0].outcome == "busy" and pg[1].events[0]["data"] == {"digit": "5"}
