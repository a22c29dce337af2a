"""Buddies (contacts) of a profile, kept in the history database beside its calls.

Each ProfileUserId has its own list, like its calls and settings. The phone keeps the list in
memory too, so an incoming call finds its caller's ``BuddyId`` without touching the disk on the
event loop, and a buddy's number counts as known when ``EnableDialPad`` is off (a kiosk phone
dials its directory).
"""

from __future__ import annotations

import asyncio
import builtins
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from ..errors import SiperbError
from .history import AsyncHistory, History


@dataclass(frozen=True)
class Buddy:
    """One contact: a name and what to dial (``"1002"``, ``"user@host"`` or a SIP URI)."""

    buddy_id: str
    display_name: str
    number: str
    email: str | None = None

    def matches(self, uri: str) -> bool:
        """Whether a caller's URI is this buddy (the same URI, or the same user part)."""
        number = self.number.lower().removeprefix("sip:").removeprefix("sips:")
        caller = uri.lower().removeprefix("sip:").removeprefix("sips:").split(";", 1)[0]
        return caller == number or caller.split("@", 1)[0] == number


def _err(field: str, reason: str) -> SiperbError:
    return SiperbError(f"buddy: {field}: {reason}", field=field, reason=reason)


def _text(field: str, value: object, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise _err(field, "is required and must be a non-empty string")
    if any(c in value for c in "\r\n\0"):
        raise _err(field, "must not contain line breaks")
    return value.strip()


def add_buddy(h: History, display_name: str, number: str, email: str | None = None) -> Buddy:
    """Store a new buddy of ``h``'s profile (blocking)."""
    buddy = Buddy(uuid.uuid4().hex, _text("display_name", display_name), _text("number", number),
                  _text("email", email) if email is not None else None)  # fmt: skip
    h._write(
        "INSERT INTO buddies (profile, buddy_id, display_name, number, email, created)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (h.profile, buddy.buddy_id, buddy.display_name, buddy.number, buddy.email, time.time()),
    )
    return buddy


def list_buddies(h: History) -> list[Buddy]:
    """``h``'s profile's buddies by name (blocking)."""
    rows = h._run(lambda conn: conn.execute(
        "SELECT buddy_id, display_name, number, email FROM buddies WHERE profile = ?"
        " ORDER BY display_name COLLATE NOCASE, created", (h.profile,)).fetchall())  # fmt: skip
    return [Buddy(*row) for row in rows]


def remove_buddy(h: History, buddy_id: str) -> bool:
    return h._write("DELETE FROM buddies WHERE profile = ? AND buddy_id = ?",
                    (h.profile, buddy_id)) > 0  # fmt: skip


class BuddyOwner(Protocol):
    """What the buddy list needs of the phone: its open store."""

    def _store(self) -> AsyncHistory: ...


class PhoneBuddies:
    """``phone.buddies``: add, list, get, remove and find contacts of the phone's profile."""

    def __init__(self, phone: BuddyOwner):
        self._phone = phone
        self._cache: builtins.list[Buddy] = []

    async def load(self) -> None:
        """Read the profile's buddies (the phone does this at start)."""
        self._cache = await asyncio.to_thread(list_buddies, self._phone._store().sync)

    async def add(self, display_name: str, number: str, *, email: str | None = None) -> Buddy:
        buddy = await asyncio.to_thread(add_buddy, self._phone._store().sync, display_name,
                                        number, email)  # fmt: skip
        await self.load()
        return buddy

    async def list(self) -> builtins.list[Buddy]:
        """Buddies by name."""
        await self.load()
        return builtins.list(self._cache)

    async def get(self, buddy_id: str) -> Buddy | None:
        return next((b for b in await self.list() if b.buddy_id == buddy_id), None)

    async def remove(self, buddy_id: str) -> bool:
        removed = await asyncio.to_thread(remove_buddy, self._phone._store().sync, buddy_id)
        await self.load()
        return removed

    def find(self, uri: str) -> Buddy | None:
        """The buddy a caller's URI belongs to (from memory: safe in an event callback)."""
        return next((b for b in self._cache if b.matches(uri)), None)

    def numbers(self) -> builtins.list[str]:
        """What the buddies dial (known targets when the dial pad is off)."""
        return [b.number for b in self._cache]

    Add = add
    List = list
    Get = get
    Remove = remove


__all__ = ["Buddy", "PhoneBuddies", "add_buddy", "list_buddies", "remove_buddy"]
