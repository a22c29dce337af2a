"""The call-history database's schema: numbered migrations on SQLite's ``user_version``.

:func:`migrate` brings an older file up step by step (one transaction each, safe against another
process migrating at the same time) and refuses a newer one rather than corrupt it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from ..errors import SiperbError

_MIGRATIONS: tuple[Sequence[str], ...] = (
    # 1: calls
    (
        """CREATE TABLE calls (
            profile TEXT NOT NULL,
            call_id TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
            local_uri TEXT, local_name TEXT,
            remote_uri TEXT NOT NULL, remote_name TEXT,
            start_time REAL NOT NULL, answer_time REAL, end_time REAL,
            duration REAL,
            outcome TEXT, hangup_by TEXT, sip_status INTEGER, sip_reason TEXT,
            PRIMARY KEY (profile, call_id)
        )""",
    ),
    # 2: settings, and listing newest first without a sort
    (
        """CREATE TABLE settings (
            profile TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (profile, key)
        )""",
        "CREATE INDEX calls_by_start ON calls (profile, start_time DESC)",
    ),
    # 3: why a row was closed without the call's end (a killed process), the recording file
    (
        "ALTER TABLE calls ADD COLUMN end_reason TEXT",
        "ALTER TABLE calls ADD COLUMN recording TEXT",
    ),
    # 4: buddies (contacts) of each profile
    (
        """CREATE TABLE buddies (
            profile TEXT NOT NULL, buddy_id TEXT NOT NULL,
            display_name TEXT NOT NULL, number TEXT NOT NULL, email TEXT,
            created REAL NOT NULL,
            PRIMARY KEY (profile, buddy_id)
        )""",
    ),
    # 5: a buddy's pending delete (two-phase), each call's event log (the CDR's Events)
    (
        "ALTER TABLE buddies ADD COLUMN deleted REAL",
        """CREATE TABLE call_events (
            profile TEXT NOT NULL, call_id TEXT NOT NULL, seq INTEGER NOT NULL,
            time REAL NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (profile, call_id, seq)
        )""",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


def use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL, retrying while another connection holds it for up to ``timeout`` s.

    The switch upgrades a shared lock to an exclusive one, and SQLite answers "database is locked"
    at once, without its busy handler, when another connection holds a reserved lock (it would
    deadlock otherwise): two processes opening a new file together meet exactly that.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations from the file's ``user_version`` up to ``target``; the new version."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        reason = f"the file has schema {version}, newer than {SCHEMA_VERSION}"
        raise SiperbError(f"call history: user_version: {reason}", field="user_version",
                          reason=reason)  # fmt: skip
    for number in range(version + 1, target + 1):
        with conn:  # one transaction per step: a failed step leaves the previous version
            conn.execute("BEGIN IMMEDIATE")
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current >= number:  # another connection migrated meanwhile
                continue
            for statement in _MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    result: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return result


__all__ = ["SCHEMA_VERSION", "migrate", "use_wal"]
