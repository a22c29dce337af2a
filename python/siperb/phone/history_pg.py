"""Call history in PostgreSQL, for a fleet: the same schema and API as the SQLite file.

``History(profile, "postgresql://user@host/db")`` (or :func:`~siperb.phone.history.open_history`,
which ``Phone(history_path=URL)`` and ``siperb serve --history URL`` use) gives a
:class:`PgHistory`: the :class:`~siperb.phone.history.History` class itself, with its SQL run
through :class:`_PgConnection`, which speaks the small part of sqlite3's interface that class
uses (``execute``, ``executemany``, ``with conn:`` as one transaction) over psycopg 3. Its
statements are translated once each (``?`` to ``%s``, ``COLLATE NOCASE`` ordering to
``lower()``, SQLite's ``BEGIN IMMEDIATE`` dropped: PostgreSQL's row locks and the primary keys
keep writers apart, and a call's rows are only written by the worker that has the call).
Every worker of a fleet pointed at one database reads the same history for a ProfileUserId.

The schema is created on first use (``siperb_schema`` holds its version, as SQLite's
``user_version`` does); the ``calls`` table gets a ``rowid`` column so that "newest first"
breaks ties the same way. psycopg is an optional dependency: ``pip install siperb[postgres]``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from ..errors import SiperbError
from .history import URL_BACKENDS, History
from .schema import SCHEMA_VERSION

__all__ = ["PgHistory"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS calls (
        rowid BIGSERIAL,
        profile TEXT NOT NULL, call_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        local_uri TEXT, local_name TEXT, remote_uri TEXT NOT NULL, remote_name TEXT,
        start_time DOUBLE PRECISION NOT NULL, answer_time DOUBLE PRECISION,
        end_time DOUBLE PRECISION, duration DOUBLE PRECISION,
        outcome TEXT, hangup_by TEXT, sip_status INTEGER, sip_reason TEXT,
        end_reason TEXT, recording TEXT,
        PRIMARY KEY (profile, call_id))""",
    "CREATE INDEX IF NOT EXISTS calls_by_start ON calls (profile, start_time DESC)",
    """CREATE TABLE IF NOT EXISTS settings (
        profile TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (profile, key))""",
    """CREATE TABLE IF NOT EXISTS buddies (
        profile TEXT NOT NULL, buddy_id TEXT NOT NULL,
        display_name TEXT NOT NULL, number TEXT NOT NULL, email TEXT,
        created DOUBLE PRECISION NOT NULL, deleted DOUBLE PRECISION,
        PRIMARY KEY (profile, buddy_id))""",
    """CREATE TABLE IF NOT EXISTS call_events (
        profile TEXT NOT NULL, call_id TEXT NOT NULL, seq INTEGER NOT NULL,
        time DOUBLE PRECISION NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (profile, call_id, seq))""",
    "CREATE TABLE IF NOT EXISTS siperb_schema (version INTEGER NOT NULL)",
)
#: Serialises schema creation between workers starting at once (any constant key).
_SCHEMA_LOCK = 0x5170E4B


@lru_cache(maxsize=256)
def _translate(sql: str) -> str | None:
    """SQLite's dialect as History writes it -> PostgreSQL's; None: nothing to run."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return None
    sql = re.sub(r"(\w+) COLLATE NOCASE", r"lower(\1)", sql)
    return sql.replace("%", "%%").replace("?", "%s")


class _Cursor:
    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class _PgConnection:
    """The sqlite3.Connection face History needs, over one psycopg connection."""

    def __init__(self, url: str):
        import psycopg

        self._psycopg = psycopg
        self.url = url
        self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        self._tx: list[Any] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        pg_sql = _translate(sql)
        if pg_sql is None:
            return _Cursor([], 0)
        try:
            cur = self._conn.execute(pg_sql, tuple(params))
        except self._psycopg.errors.UniqueViolation as exc:
            raise sqlite3.IntegrityError(str(exc)) from None  # History's duplicate check
        rows = cur.fetchall() if cur.description is not None else []
        return _Cursor(rows, cur.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        pg_sql = _translate(sql)
        if pg_sql is not None:
            with self._conn.cursor() as cur:
                cur.executemany(pg_sql, [tuple(r) for r in rows])

    def __enter__(self) -> _PgConnection:
        tx = self._conn.transaction()
        tx.__enter__()
        self._tx.append(tx)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tx.pop().__exit__(*exc)

    def close(self) -> None:
        self._conn.close()


class PgHistory(History):
    """:class:`History` over PostgreSQL (see the module docstring)."""

    def __init__(self, profile_user_id: str, url: str):
        if not isinstance(profile_user_id, str) or not profile_user_id.strip():
            raise SiperbError(
                "call history: ProfileUserId: is required",
                field="ProfileUserId",
                reason="is required",
            )
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise SiperbError(
                "call history: a postgresql:// URL needs psycopg (pip install 'siperb[postgres]')",
                field="history",
            ) from None
        self.profile = profile_user_id
        self.path = url
        self._lock = threading.RLock()
        try:
            conn = _PgConnection(url)
        except Exception as exc:  # psycopg.OperationalError: say where, never the password
            where = re.sub(r"//[^@/]*@", "//", url)
            raise SiperbError(
                f"call history: cannot connect to {where}: {type(exc).__name__}",
                field="history",
                reason=str(exc).splitlines()[0],
            ) from None
        self._conn = conn  # type: ignore[assignment]
        try:
            self._create_schema(conn)
        except BaseException:
            conn.close()
            raise

    @staticmethod
    def _create_schema(conn: _PgConnection) -> None:
        with conn:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                conn.execute(statement)
            row = conn.execute("SELECT version FROM siperb_schema").fetchone()
            if row is None:
                conn.execute("INSERT INTO siperb_schema VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                reason = f"the database has schema {row[0]}, newer than {SCHEMA_VERSION}"
                raise SiperbError(f"call history: schema: {reason}", field="schema", reason=reason)


URL_BACKENDS["postgresql://"] = PgHistory
URL_BACKENDS["postgres://"] = PgHistory
