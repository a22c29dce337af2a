"""Call history and settings in SQLite: CRUD, outcomes, isolation, concurrency, migration."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from siperb.errors import SiperbError
from siperb.phone.history import (
    SCHEMA_VERSION,
    AsyncHistory,
    History,
    default_path,
    derive_outcome,
    migrate,
)

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture
def h() -> History:
    return History("profile-a", ":memory:")


def test_full_call_life(h: History) -> None:
    h.record_start(
        "c1", "outbound", "sip:bob@example.com", remote_name="Bob",
        local_uri="sip:alice@example.com", local_name="Alice", at=T0,
    )  # fmt: skip
    ongoing = h.get("c1")
    assert ongoing is not None and not ongoing.ended and ongoing.duration is None
    h.record_answer("c1", at=T0 + timedelta(seconds=3))
    rec = h.record_end(
        "c1", hangup_by="remote", sip_status=200, sip_reason="OK", at=T0 + timedelta(seconds=65)
    )
    assert rec == h.get("c1")
    assert rec.direction == "outbound"
    assert (rec.remote_uri, rec.remote_name) == ("sip:bob@example.com", "Bob")
    assert (rec.local_uri, rec.local_name) == ("sip:alice@example.com", "Alice")
    assert rec.start_time == T0
    assert rec.answer_time == T0 + timedelta(seconds=3)
    assert rec.end_time == T0 + timedelta(seconds=65)
    assert rec.duration == pytest.approx(62.0)
    assert rec.outcome == "answered" and rec.hangup_by == "remote"
    assert (rec.sip_status, rec.sip_reason) == (200, "OK")


def test_unanswered_call_has_zero_duration(h: History) -> None:
    h.record_start("c1", "inbound", "sip:x@y", at=T0)
    rec = h.record_end("c1", at=T0 + timedelta(seconds=20))
    assert rec.duration == 0.0 and rec.outcome == "missed" and rec.answer_time is None


def test_epoch_seconds_and_default_now(h: History) -> None:
    h.record_start("c1", "inbound", "sip:x@y", at=1_700_000_000.5)
    rec = h.get("c1")
    assert rec is not None and rec.start_time.timestamp() == 1_700_000_000.5
    before = datetime.now(timezone.utc)
    h.record_start("c2", "inbound", "sip:x@y")
    got = h.get("c2")
    assert got is not None and got.start_time >= before - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("direction", "answered", "hangup_by", "status", "outcome"),
    [
        ("outbound", True, "local", 200, "answered"),
        ("inbound", True, None, None, "answered"),
        ("outbound", False, None, 486, "busy"),
        ("outbound", False, None, 600, "busy"),
        ("outbound", False, None, 603, "declined"),
        ("outbound", False, None, 408, "no answer"),
        ("outbound", False, None, 480, "declined"),  # the SDK's CallRejected
        ("outbound", False, "local", 487, "cancelled"),
        ("inbound", False, "remote", 487, "missed"),
        ("outbound", False, None, 404, "declined"),  # the SDK's CallRejected
        ("outbound", False, None, 503, "failed"),
        ("inbound", False, None, None, "missed"),
        ("outbound", False, "local", None, "cancelled"),
        ("outbound", False, "remote", None, "no answer"),
    ],
)
def test_derived_outcome(
    h: History, direction: Any, answered: bool, hangup_by: Any, status: int | None, outcome: str
) -> None:
    assert derive_outcome(direction, answered, hangup_by, status) == outcome
    h.record_start("c", direction, "sip:x@y", at=T0)
    if answered:
        h.record_answer("c", at=T0 + timedelta(seconds=1))
    rec = h.record_end("c", hangup_by=hangup_by, sip_status=status, at=T0 + timedelta(seconds=2))
    assert rec.outcome == outcome


def test_explicit_outcome_wins(h: History) -> None:
    h.record_start("c", "outbound", "sip:x@y")
    assert h.record_end("c", outcome="failed", sip_status=486).outcome == "failed"


def test_errors(h: History) -> None:
    h.record_start("c1", "inbound", "sip:x@y")
    with pytest.raises(SiperbError) as e:
        h.record_start("c1", "inbound", "sip:x@y")
    assert e.value.field == "call_id"
    with pytest.raises(SiperbError) as e:
        h.record_start("c2", "sideways", "sip:x@y")  # type: ignore[arg-type]
    assert e.value.field == "direction"
    with pytest.raises(SiperbError) as e:
        h.record_start("c3", "inbound", "")
    assert e.value.field == "remote_uri"
    with pytest.raises(SiperbError) as e:
        h.record_start("c4", "inbound", "sip:x@y", at=datetime(2025, 1, 1))
    assert e.value.field == "time"
    with pytest.raises(SiperbError) as e:
        h.record_answer("nope")
    assert e.value.field == "call_id"
    with pytest.raises(SiperbError) as e:
        h.record_end("nope")
    assert e.value.field == "call_id"
    for bad, field in (
        ({"outcome": "exploded"}, "outcome"),
        ({"hangup_by": "nobody"}, "hangup_by"),
        ({"sip_status": 99}, "sip_status"),
        ({"sip_status": True}, "sip_status"),
    ):
        with pytest.raises(SiperbError) as e:
            h.record_end("c1", **bad)
        assert e.value.field == field
    h.record_end("c1")
    with pytest.raises(SiperbError):  # ended calls cannot end or be answered again
        h.record_end("c1")
    with pytest.raises(SiperbError):
        h.record_answer("c1")


def test_list_order_paging_and_filter(h: History) -> None:
    for i in range(7):
        h.record_start(f"c{i}", "inbound" if i % 2 else "outbound", f"sip:{i}@x",
                       at=T0 + timedelta(minutes=i))  # fmt: skip
    assert [r.call_id for r in h.list()] == [f"c{i}" for i in range(6, -1, -1)]
    assert [r.call_id for r in h.list(limit=2)] == ["c6", "c5"]
    assert [r.call_id for r in h.list(limit=2, offset=2)] == ["c4", "c3"]
    assert [r.call_id for r in h.list(direction="inbound")] == ["c5", "c3", "c1"]
    assert [r.call_id for r in h.list(direction="outbound", limit=1)] == ["c6"]
    assert h.list(offset=10) == []
    for bad in ({"limit": -1}, {"offset": -1}, {"limit": True}, {"direction": "up"}):
        with pytest.raises(SiperbError):
            h.list(**bad)


def test_clear_keeps_settings(h: History) -> None:
    h.record_start("c1", "inbound", "sip:x@y")
    h.record_start("c2", "inbound", "sip:x@y")
    h.set_setting("volume", 7)
    assert h.clear() == 2
    assert h.list() == [] and h.get("c1") is None
    assert h.get_setting("volume") == 7


def test_settings(h: History) -> None:
    assert h.get_setting("missing") is None
    assert h.get_setting("missing", "dflt") == "dflt"
    values: list[Any] = [1, 2.5, "text", True, None, [1, "a"], {"nested": {"x": [1, 2]}}]
    for i, value in enumerate(values):
        h.set_setting(f"k{i}", value)
    for i, value in enumerate(values):
        assert h.get_setting(f"k{i}", "absent") == value
    h.set_setting("k0", "replaced")
    assert h.get_setting("k0") == "replaced"
    assert h.delete_setting("k0") and not h.delete_setting("k0")
    with pytest.raises(SiperbError):
        h.set_setting("bad", object())
    with pytest.raises(SiperbError):
        h.set_setting("nan", float("nan"))
    with pytest.raises(SiperbError):
        h.set_setting("", 1)


def test_profiles_are_isolated(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    a, b = History("alice", db), History("bob", db)
    a.record_start("same-id", "inbound", "sip:a@x")
    b.record_start("same-id", "outbound", "sip:b@x")
    a.set_setting("theme", "dark")
    first = a.get("same-id")
    assert first is not None and first.remote_uri == "sip:a@x"
    second = b.get("same-id")
    assert second is not None and second.remote_uri == "sip:b@x"
    assert b.get_setting("theme") is None
    assert a.clear() == 1
    assert a.list() == [] and len(b.list()) == 1
    a.close()
    b.close()


def test_persists_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "dir" / "h.sqlite3"
    with History("p", db) as h:
        h.record_start("c1", "inbound", "sip:x@y", at=T0)
        h.set_setting("k", {"v": 1})
    with History("p", db) as h:
        rec = h.get("c1")
        assert rec is not None and rec.start_time == T0
        assert h.get_setting("k") == {"v": 1}


def test_two_objects_on_one_file_from_threads(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    writers = [History("p", db), History("p", db)]
    errors: list[BaseException] = []

    def work(hist: History, tag: str) -> None:
        try:
            for i in range(40):
                cid = f"{tag}-{i}"
                hist.record_start(cid, "outbound", "sip:x@y", at=T0 + timedelta(seconds=i))
                hist.record_answer(cid, at=T0 + timedelta(seconds=i, milliseconds=500))
                hist.record_end(cid, hangup_by="local", at=T0 + timedelta(seconds=i + 1))
                hist.set_setting(f"last-{tag}", i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(w, t)) for w, t in zip(writers, "ab", strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = writers[0].list(limit=1000)
    assert len(rows) == 80 and all(r.outcome == "answered" for r in rows)
    assert writers[1].get_setting("last-a") == 39 == writers[0].get_setting("last-b")
    for w in writers:
        w.close()


def test_opening_a_file_another_connection_is_writing_waits_instead_of_failing(
    tmp_path: Path,
) -> None:
    # Two campaign workers opening one new file: the WAL switch meets the other's reserved lock,
    # which SQLite reports at once ("database is locked") without calling its busy handler.
    db = tmp_path / "h.sqlite3"
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE other_writer (x)")
    release = threading.Timer(0.3, other.execute, args=("COMMIT",))
    release.start()
    try:
        with History("p", db) as h:
            h.record_start("c1", "inbound", "sip:x@y", at=T0)
            assert h.get("c1") is not None
            mode = h._run(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
            assert mode == "wal"
    finally:
        release.join()
        other.close()


def test_async_facade(tmp_path: Path) -> None:
    async def flow() -> None:
        h = await AsyncHistory.open("p", tmp_path / "h.sqlite3")
        other = await AsyncHistory.open("p", tmp_path / "h.sqlite3")
        await asyncio.gather(
            *(h.record_start(f"c{i}", "inbound", "sip:x@y", at=T0 + timedelta(seconds=i))
              for i in range(10)),
            *(other.record_start(f"d{i}", "outbound", "sip:x@y") for i in range(10)),
        )  # fmt: skip
        await h.record_answer("c1", at=T0 + timedelta(seconds=2))
        rec = await h.record_end("c1", at=T0 + timedelta(seconds=12))
        assert rec.duration == pytest.approx(10.0)
        assert (await h.get("c1")) == rec
        assert len(await h.list(limit=100)) == 20
        assert len(await h.list(direction="outbound", limit=100)) == 10
        await h.set_setting("k", [1])
        assert await other.get_setting("k") == [1]
        assert await h.delete_setting("k")
        assert await h.clear() == 20
        assert h.profile == "p"
        await h.close()
        await other.close()

    asyncio.run(flow())


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "siperb" / "history.sqlite3"
    with History("p") as h:
        h.record_start("c", "inbound", "sip:x@y")
    assert (tmp_path / "xdg" / "siperb" / "history.sqlite3").exists()
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "siperb" / "history.sqlite3"


def test_profile_required() -> None:
    with pytest.raises(SiperbError) as e:
        History("", ":memory:")
    assert e.value.field == "ProfileUserId"


# ---- schema versions ----


def test_fresh_file_gets_current_version(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    History("p", db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2


def test_migration_from_version_1_keeps_calls(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO calls (profile, call_id, direction, remote_uri, start_time)"
        " VALUES ('p', 'old-call', 'inbound', 'sip:old@x', ?)",
        (T0.timestamp(),),
    )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "settings" not in tables
    conn.close()
    with History("p", db) as h:
        rec = h.get("old-call")
        assert rec is not None and rec.start_time == T0
        h.set_setting("now", "possible")
        assert h.get_setting("now") == "possible"
    with sqlite3.connect(db) as conn2:
        assert conn2.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "h.sqlite3", isolation_level=None)
    assert migrate(conn) == SCHEMA_VERSION
    assert migrate(conn) == SCHEMA_VERSION
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SiperbError) as e:
        History("p", db)
    assert e.value.field == "user_version"
