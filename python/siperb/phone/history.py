"""Call history and phone settings, kept in SQLite per ProfileUserId.

One database file (default ``$XDG_DATA_HOME/siperb/history.sqlite3``, else
``~/.local/share/siperb/history.sqlite3``) holds every profile; each row carries its profile,
and every query filters on it, so two profiles never see each other's calls even when they share
a file. WAL mode and a busy timeout let several processes or :class:`History` objects use the
same file. The schema version is SQLite's ``user_version``; :func:`migrate` brings an older file
up step by step and refuses a newer one.

:class:`History` is the blocking API (fast: single-row statements on an indexed table).
:class:`AsyncHistory` runs the same calls in a worker thread so the event loop never waits on the
disk; a lock serialises the shared connection.

Outcome when :meth:`History.record_end` is not told one: ``answered`` if the call was answered;
else from the SIP status (486/600 busy; 404/480/603 declined, the SDK's CallRejected; 408 no
answer; 487 cancelled for an outbound call and missed for an inbound one, any other 4xx-6xx
failed); else an unanswered inbound call is ``missed`` and an outbound one ``cancelled`` when
we hung up, ``no answer`` otherwise.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

from ..errors import SiperbError
from .cdr import CdrFields
from .schema import SCHEMA_VERSION, migrate, use_wal

T = TypeVar("T")

Direction = Literal["inbound", "outbound"]
Outcome = Literal["answered", "missed", "busy", "declined", "failed", "cancelled", "no answer"]
HangupBy = Literal["local", "remote"]
DIRECTIONS: tuple[str, ...] = ("inbound", "outbound")
OUTCOMES: tuple[str, ...] = (
    "answered", "missed", "busy", "declined", "failed", "cancelled", "no answer",
)  # fmt: skip
HANGUP_BY: tuple[str, ...] = ("local", "remote")
MEMORY = ":memory:"
#: Events kept per call: a remote party sending DTMF or re-INVITEs all day cannot grow a row.
MAX_CALL_EVENTS = 200


def _err(field: str, reason: str) -> SiperbError:
    return SiperbError(f"call history: {field}: {reason}", field=field, reason=reason)


def default_path() -> Path:
    """``$XDG_DATA_HOME/siperb/history.sqlite3`` (XDG default ``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return Path(base) / "siperb" / "history.sqlite3"


def _ts(value: datetime | float | None) -> float:
    if value is None:
        return datetime.now(timezone.utc).timestamp()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _err("time", "naive datetime: give a timezone-aware one")
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _err("time", f"expected a datetime or epoch seconds, got {type(value).__name__}")


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, timezone.utc)


@dataclass(frozen=True)
class CallRecord(CdrFields):
    """One call as remembered (with the SDK's CDR names too: ``TerminatedBy``, ``TalkTime``)."""

    call_id: str
    direction: Direction
    remote_uri: str
    remote_name: str | None
    local_uri: str | None
    local_name: str | None
    start_time: datetime
    answer_time: datetime | None
    end_time: datetime | None
    duration: float | None  # seconds answered; 0 for an unanswered call; None while ongoing
    outcome: Outcome | None
    hangup_by: HangupBy | None
    sip_status: int | None
    sip_reason: str | None
    end_reason: str | None = None  # set when the row was closed without seeing the call end
    recording: str | None = None  # the call's recording file, if it was recorded
    events: tuple[dict[str, Any], ...] = ()  # the call's event log (the CDR's Events)

    @property
    def ended(self) -> bool:
        """True once the call's end is recorded (an ongoing call has no end time)."""
        return self.end_time is not None

    @property
    def total_duration(self) -> float | None:
        """Seconds from start to end, ringing included (``duration`` is the answered part)."""
        if self.end_time is None:
            return None
        return max(0.0, (self.end_time - self.start_time).total_seconds())


_COLUMNS = (
    "call_id, direction, remote_uri, remote_name, local_uri, local_name, start_time, "
    "answer_time, end_time, duration, outcome, hangup_by, sip_status, sip_reason, end_reason, "
    "recording"
)


def _record(row: tuple[Any, ...]) -> CallRecord:
    return CallRecord(
        call_id=row[0],
        direction=row[1],
        remote_uri=row[2],
        remote_name=row[3],
        local_uri=row[4],
        local_name=row[5],
        start_time=datetime.fromtimestamp(row[6], timezone.utc),
        answer_time=_dt(row[7]),
        end_time=_dt(row[8]),
        duration=row[9],
        outcome=row[10],
        hangup_by=row[11],
        sip_status=row[12],
        sip_reason=row[13],
        end_reason=row[14],
        recording=row[15],
    )


def derive_outcome(
    direction: str, answered: bool, hangup_by: str | None, sip_status: int | None
) -> Outcome:
    """The outcome of a call from how it ended (rules in the module docstring)."""
    if answered:
        return "answered"
    if sip_status in (486, 600):
        return "busy"
    if sip_status in (404, 480, 603):  # the SDK's CallRejected
        return "declined"
    if sip_status == 408:
        return "no answer"
    if sip_status == 487:
        return "missed" if direction == "inbound" else "cancelled"
    if sip_status is not None and sip_status >= 400:
        return "failed"
    if direction == "inbound":
        return "missed"
    return "cancelled" if hangup_by == "local" else "no answer"


def _choice(field: str, value: object, allowed: tuple[str, ...], *, optional: bool) -> None:
    if value is None and optional:
        return
    if value not in allowed:
        raise _err(field, f"must be one of {', '.join(allowed)}, got {value!r}")


class History:
    """Blocking call history and settings of one profile."""

    def __init__(self, profile_user_id: str, path: str | os.PathLike[str] | None = None):
        if not isinstance(profile_user_id, str) or not profile_user_id.strip():
            raise _err("ProfileUserId", "is required")
        self.profile = profile_user_id
        if path is None:
            path = default_path()
        self.path = str(path)
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, timeout=10.0, check_same_thread=False, isolation_level=None
        )
        try:
            self._conn.execute("PRAGMA busy_timeout = 10000")
            if self.path != MEMORY:
                use_wal(self._conn, timeout=10.0)
            migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise

    # ---- plumbing ----

    def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return fn(self._conn)

    def _write(self, sql: str, params: Sequence[Any]) -> int:
        def go(conn: sqlite3.Connection) -> int:
            with conn:
                return conn.execute(sql, params).rowcount

        return self._run(go)

    def close(self) -> None:
        """Close the database; the History cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- calls ----

    def record_start(
        self,
        call_id: str,
        direction: Direction,
        remote_uri: str,
        *,
        remote_name: str | None = None,
        local_uri: str | None = None,
        local_name: str | None = None,
        at: datetime | float | None = None,
    ) -> None:
        """A call began (INVITE sent or received)."""
        if not isinstance(call_id, str) or not call_id:
            raise _err("call_id", "is required")
        _choice("direction", direction, DIRECTIONS, optional=False)
        if not isinstance(remote_uri, str) or not remote_uri:
            raise _err("remote_uri", "is required")
        try:
            self._write(
                "INSERT INTO calls (profile, call_id, direction, remote_uri, remote_name,"
                " local_uri, local_name, start_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.profile, call_id, direction, remote_uri, remote_name, local_uri,
                 local_name, _ts(at)),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            raise _err("call_id", f"{call_id!r} is already recorded") from None

    def record_answer(self, call_id: str, *, at: datetime | float | None = None) -> None:
        """The call was answered (2xx)."""
        n = self._write(
            "UPDATE calls SET answer_time = ? WHERE profile = ? AND call_id = ?"
            " AND end_time IS NULL",
            (_ts(at), self.profile, call_id),
        )
        if n == 0:
            raise _err("call_id", f"no ongoing call {call_id!r}")

    def record_end(
        self,
        call_id: str,
        *,
        outcome: Outcome | None = None,
        hangup_by: HangupBy | None = None,
        sip_status: int | None = None,
        sip_reason: str | None = None,
        at: datetime | float | None = None,
    ) -> CallRecord:
        """The call ended; returns the final record."""
        _choice("outcome", outcome, OUTCOMES, optional=True)
        _choice("hangup_by", hangup_by, HANGUP_BY, optional=True)
        if sip_status is not None and (
            isinstance(sip_status, bool)
            or not isinstance(sip_status, int)
            or not 100 <= sip_status <= 699
        ):
            raise _err("sip_status", f"must be a SIP status 100-699, got {sip_status!r}")
        end = _ts(at)

        def go(conn: sqlite3.Connection) -> CallRecord:
            with conn:
                conn.execute("BEGIN IMMEDIATE")  # read-then-write, safe against other writers
                row = conn.execute(
                    "SELECT direction, start_time, answer_time, end_time FROM calls"
                    " WHERE profile = ? AND call_id = ?",
                    (self.profile, call_id),
                ).fetchone()
                if row is None or row[3] is not None:
                    raise _err("call_id", f"no ongoing call {call_id!r}")
                direction, _, answer, _ = row
                final = outcome or derive_outcome(
                    direction, answer is not None, hangup_by, sip_status
                )
                duration = max(0.0, end - answer) if answer is not None else 0.0
                conn.execute(
                    "UPDATE calls SET end_time = ?, duration = ?, outcome = ?, hangup_by = ?,"
                    " sip_status = ?, sip_reason = ? WHERE profile = ? AND call_id = ?",
                    (end, duration, final, hangup_by, sip_status, sip_reason, self.profile,
                     call_id),
                )  # fmt: skip
                got = self._get(conn, call_id)
                assert got is not None
                return got

        return self._run(go)

    def close_interrupted(self, reason: str) -> int:
        """Close this profile's rows still ongoing (their process ended mid-call) with
        ``reason``; an answered one keeps ``answered`` with an unknown (None) duration."""
        return self._write(
            "UPDATE calls SET end_time = COALESCE(answer_time, start_time), end_reason = ?,"
            " outcome = CASE WHEN answer_time IS NULL THEN"
            " (CASE direction WHEN 'inbound' THEN 'missed' ELSE 'failed' END) ELSE 'answered' END"
            " WHERE profile = ? AND end_time IS NULL",
            (reason, self.profile),
        )

    def set_recording(self, call_id: str, path: str) -> None:
        """Remember the call's recording file."""
        self._write("UPDATE calls SET recording = ? WHERE profile = ? AND call_id = ?",
                    (path, self.profile, call_id))  # fmt: skip

    def add_events(self, call_id: str, events: Sequence[tuple[float, str, Any]]) -> int:
        """Append to the call's event log (``(time, name, data)``, data JSON-able; other values
        are kept as text), up to :data:`MAX_CALL_EVENTS` a call; the number stored."""

        def go(conn: sqlite3.Connection) -> int:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                seq: int = conn.execute(
                    "SELECT COUNT(*) FROM call_events WHERE profile = ? AND call_id = ?",
                    (self.profile, call_id)).fetchone()[0]  # fmt: skip
                room = events[: MAX_CALL_EVENTS - seq]
                rows = [(self.profile, call_id, seq + i, float(t), str(name),
                         json.dumps(data, default=str))
                        for i, (t, name, data) in enumerate(room)]  # fmt: skip
                conn.executemany("INSERT INTO call_events VALUES (?, ?, ?, ?, ?, ?)", rows)
                return len(rows)

        return self._run(go)

    def _events(self, conn: sqlite3.Connection, call_id: str) -> tuple[dict[str, Any], ...]:
        rows = conn.execute(
            "SELECT time, name, data FROM call_events WHERE profile = ? AND call_id = ?"
            " ORDER BY seq", (self.profile, call_id)).fetchall()  # fmt: skip
        return tuple({"time": _dt(t), "name": n, "data": json.loads(d)} for t, n, d in rows)

    def _get(self, conn: sqlite3.Connection, call_id: str) -> CallRecord | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM calls WHERE profile = ? AND call_id = ?",
            (self.profile, call_id),
        ).fetchone()
        if row is None:
            return None
        return dataclasses.replace(_record(row), events=self._events(conn, call_id))

    def get(self, call_id: str) -> CallRecord | None:
        """The call with this id (the SIP Call-ID), or None if this profile has none."""
        return self._run(lambda conn: self._get(conn, call_id))

    def list(
        self, limit: int = 50, offset: int = 0, direction: Direction | None = None
    ) -> builtins.list[CallRecord]:
        """Calls newest first."""
        for name, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _err(name, f"must be a non-negative integer, got {value!r}")
        _choice("direction", direction, DIRECTIONS, optional=True)
        sql = f"SELECT {_COLUMNS} FROM calls WHERE profile = ?"
        params: builtins.list[Any] = [self.profile]
        if direction is not None:
            sql += " AND direction = ?"
            params.append(direction)
        sql += " ORDER BY start_time DESC, rowid DESC LIMIT ? OFFSET ?"
        params += [limit, offset]

        def go(conn: sqlite3.Connection) -> builtins.list[CallRecord]:
            return [dataclasses.replace(_record(r), events=self._events(conn, r[0]))
                    for r in conn.execute(sql, params).fetchall()]  # fmt: skip

        return self._run(go)

    def clear(self) -> int:
        """Forget this profile's calls (settings stay); the number removed."""
        self._write("DELETE FROM call_events WHERE profile = ?", (self.profile,))
        return self._write("DELETE FROM calls WHERE profile = ?", (self.profile,))

    # ---- settings ----

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A stored setting of this profile (JSON-decoded), or ``default``."""
        row = self._run(
            lambda conn: conn.execute(
                "SELECT value FROM settings WHERE profile = ? AND key = ?", (self.profile, key)
            ).fetchone()
        )
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        """Store any JSON-serialisable value."""
        if not isinstance(key, str) or not key:
            raise _err("key", "must be a non-empty string")
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise _err(key, f"not JSON-serialisable: {exc}") from None
        self._write(
            "INSERT INTO settings (profile, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (profile, key) DO UPDATE SET value = excluded.value",
            (self.profile, key, text),
        )

    def delete_setting(self, key: str) -> bool:
        """Remove a setting; False if it was not set."""
        return (
            self._write("DELETE FROM settings WHERE profile = ? AND key = ?", (self.profile, key))
            > 0
        )


#: URL prefix -> the History class for it; a backend module adds itself
#: (:mod:`~siperb.phone.history_pg`: ``postgresql://``, imported with ``siperb.phone``).
URL_BACKENDS: dict[str, Callable[[str, str], History]] = {}


def open_history(profile_user_id: str, path: str | os.PathLike[str] | None = None) -> History:
    """The history at ``path``: a SQLite file (default), or a URL of a registered backend
    (``postgresql://``: one database shared by a fleet's workers, same schema and API)."""
    if isinstance(path, str):
        for prefix, backend in URL_BACKENDS.items():
            if path.startswith(prefix):
                return backend(profile_user_id, path)
    return History(profile_user_id, path)


class AsyncHistory:
    """:class:`History` for asyncio: every call runs in a worker thread."""

    def __init__(self, history: History):
        self.sync = history

    @classmethod
    async def open(
        cls, profile_user_id: str, path: str | os.PathLike[str] | None = None
    ) -> AsyncHistory:
        """Open (or create) the store in a worker thread: opening may migrate the schema."""
        return cls(await asyncio.to_thread(open_history, profile_user_id, path))

    @property
    def profile(self) -> str:
        """The ProfileUserId whose calls and settings this store holds."""
        return self.sync.profile

    async def record_start(self, call_id: str, direction: Direction, remote_uri: str,
                           **kwargs: Any) -> None:  # fmt: skip
        """:meth:`History.record_start` off the event loop."""
        await asyncio.to_thread(self.sync.record_start, call_id, direction, remote_uri, **kwargs)

    async def record_answer(self, call_id: str, *, at: datetime | float | None = None) -> None:
        """:meth:`History.record_answer` off the event loop."""
        await asyncio.to_thread(self.sync.record_answer, call_id, at=at)

    async def record_end(self, call_id: str, **kwargs: Any) -> CallRecord:
        """:meth:`History.record_end` off the event loop; the finished row."""
        return await asyncio.to_thread(self.sync.record_end, call_id, **kwargs)

    async def get(self, call_id: str) -> CallRecord | None:
        """:meth:`History.get` off the event loop."""
        return await asyncio.to_thread(self.sync.get, call_id)

    async def add_events(self, call_id: str, events: Sequence[tuple[float, str, Any]]) -> int:
        """:meth:`History.add_events` off the event loop; the number stored."""
        return await asyncio.to_thread(self.sync.add_events, call_id, events)

    async def close_interrupted(self, reason: str) -> int:
        """:meth:`History.close_interrupted` off the event loop; rows closed."""
        return await asyncio.to_thread(self.sync.close_interrupted, reason)

    async def set_recording(self, call_id: str, path: str) -> None:
        """:meth:`History.set_recording` off the event loop."""
        await asyncio.to_thread(self.sync.set_recording, call_id, path)

    async def list(
        self, limit: int = 50, offset: int = 0, direction: Direction | None = None
    ) -> builtins.list[CallRecord]:
        """Calls newest first (:meth:`History.list`) off the event loop."""
        return await asyncio.to_thread(self.sync.list, limit, offset, direction)

    async def clear(self) -> int:
        """Forget this profile's calls (:meth:`History.clear`); the number removed."""
        return await asyncio.to_thread(self.sync.clear)

    async def get_setting(self, key: str, default: Any = None) -> Any:
        """:meth:`History.get_setting` off the event loop."""
        return await asyncio.to_thread(self.sync.get_setting, key, default)

    async def set_setting(self, key: str, value: Any) -> None:
        """:meth:`History.set_setting` off the event loop."""
        await asyncio.to_thread(self.sync.set_setting, key, value)

    async def delete_setting(self, key: str) -> bool:
        """:meth:`History.delete_setting` off the event loop."""
        return await asyncio.to_thread(self.sync.delete_setting, key)

    async def close(self) -> None:
        """Close the database in the worker thread."""
        await asyncio.to_thread(self.sync.close)


__all__ = [
    "SCHEMA_VERSION",
    "AsyncHistory",
    "CallRecord",
    "History",
    "default_path",
    "derive_outcome",
    "migrate",
    "open_history",
]
