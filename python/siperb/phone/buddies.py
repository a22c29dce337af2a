"""Buddies (contacts) of a profile, kept in the history database beside its calls.

Each ProfileUserId has its own list, like its calls and settings. The phone keeps the list in
memory too, so an incoming call finds its caller's ``BuddyId`` without touching the disk on the
event loop, and a buddy's number counts as known when ``EnableDialPad`` is off (a kiosk phone
dials its directory).

Deleting is two-phase, like the SDK's contact list with its undo: :meth:`PhoneBuddies.delete`
only marks the buddy deleted (hidden from ``list``/``find``/``lookup`` and no longer a known
target), :meth:`PhoneBuddies.undelete` brings it back unchanged, and
:meth:`PhoneBuddies.purge` confirms the delete and removes the row for good (one buddy, or every
pending one). :meth:`PhoneBuddies.remove` does both steps at once. A pending delete survives a
restart; undelete after purge finds nothing (False).
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


def list_buddies(h: History, *, deleted: bool = False) -> list[Buddy]:
    """``h``'s profile's buddies by name, or those pending delete (blocking)."""
    rows = h._run(lambda conn: conn.execute(
        "SELECT buddy_id, display_name, number, email FROM buddies WHERE profile = ?"
        f" AND deleted IS {'NOT ' if deleted else ''}NULL"
        " ORDER BY display_name COLLATE NOCASE, created", (h.profile,)).fetchall())  # fmt: skip
    return [Buddy(*row) for row in rows]


def update_buddy(h: History, buddy: Buddy) -> bool:
    """Store a changed buddy (not one pending delete); whether it was there (blocking)."""
    return (
        h._write(
            "UPDATE buddies SET display_name = ?, number = ?, email = ? WHERE profile = ?"
            " AND buddy_id = ? AND deleted IS NULL",
            (buddy.display_name, buddy.number, buddy.email, h.profile, buddy.buddy_id),
        )
        > 0
    )


def mark_deleted(h: History, buddy_id: str, deleted: bool) -> bool:
    """Mark a buddy deleted, or clear the mark; whether it changed (blocking)."""
    sql = ("UPDATE buddies SET deleted = ? WHERE profile = ? AND buddy_id = ? AND deleted IS "
           + ("NULL" if deleted else "NOT NULL"))  # fmt: skip
    return h._write(sql, (time.time() if deleted else None, h.profile, buddy_id)) > 0


def purge_buddies(h: History, buddy_id: str | None = None) -> int:
    """Remove the buddies pending delete (one, or all); how many (blocking)."""
    if buddy_id is None:
        return h._write("DELETE FROM buddies WHERE profile = ? AND deleted IS NOT NULL",
                        (h.profile,))  # fmt: skip
    return h._write("DELETE FROM buddies WHERE profile = ? AND buddy_id = ?"
                    " AND deleted IS NOT NULL", (h.profile, buddy_id))  # fmt: skip


def remove_buddy(h: History, buddy_id: str) -> bool:
    return h._write("DELETE FROM buddies WHERE profile = ? AND buddy_id = ?",
                    (h.profile, buddy_id)) > 0  # fmt: skip


class BuddyOwner(Protocol):
    """What the buddy list needs of the phone: its open store."""

    def _store(self) -> AsyncHistory: ...


SELECTED = "buddies.selected"  # the settings key of the selected buddy


class PhoneBuddies:
    """``phone.buddies``: add, list, get, update, delete (two-phase), select and find contacts
    of the phone's profile."""

    def __init__(self, phone: BuddyOwner):
        self._phone = phone
        self._cache: builtins.list[Buddy] = []
        self._selected: str | None = None

    async def load(self) -> None:
        """Read the profile's buddies and selection (the phone does this at start)."""
        store = self._phone._store()
        self._cache = await asyncio.to_thread(list_buddies, store.sync)
        self._selected = await store.get_setting(SELECTED)

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

    async def update(
        self,
        buddy_id: str,
        *,
        display_name: str | None = None,
        number: str | None = None,
        email: str | None = None,
    ) -> Buddy:
        """Change a buddy's name, number or email (None: keep); the changed buddy."""
        old = await self.get(buddy_id)
        if old is None:
            raise _err("buddy_id", f"no buddy {buddy_id!r}")
        new = Buddy(buddy_id,
                    _text("display_name", display_name) if display_name is not None
                    else old.display_name,
                    _text("number", number) if number is not None else old.number,
                    _text("email", email) if email is not None else old.email)  # fmt: skip
        await asyncio.to_thread(update_buddy, self._phone._store().sync, new)
        await self.load()
        return new

    async def remove(self, buddy_id: str) -> bool:
        """Delete at once (both phases)."""
        removed = await asyncio.to_thread(remove_buddy, self._phone._store().sync, buddy_id)
        await self.load()
        return removed

    async def delete(self, buddy_id: str) -> bool:
        """Phase one: hide the buddy until :meth:`purge` (or :meth:`undelete` brings it back)."""
        return await self._mark(buddy_id, True)

    async def undelete(self, buddy_id: str) -> bool:
        """Bring back a buddy pending delete; False if it is not pending (or purged)."""
        return await self._mark(buddy_id, False)

    async def _mark(self, buddy_id: str, deleted: bool) -> bool:
        changed = await asyncio.to_thread(mark_deleted, self._phone._store().sync, buddy_id,
                                          deleted)  # fmt: skip
        await self.load()
        return changed

    async def deleted(self) -> builtins.list[Buddy]:
        """The buddies pending delete."""
        return await asyncio.to_thread(list_buddies, self._phone._store().sync, deleted=True)

    async def purge(self, buddy_id: str | None = None) -> int:
        """Phase two: remove the buddy pending delete (all of them without an id)."""
        return await asyncio.to_thread(purge_buddies, self._phone._store().sync, buddy_id)

    def find(self, uri: str) -> Buddy | None:
        """The buddy a caller's URI belongs to (from memory: safe in an event callback)."""
        return next((b for b in self._cache if b.matches(uri)), None)

    def number_of(self, buddy_id: str) -> str | None:
        """What a buddy id dials (None: no such buddy); from memory, for ``Dial(buddy_id)``."""
        return next((b.number for b in self._cache if b.buddy_id == buddy_id), None)

    def lookup(self, key: str) -> Buddy | None:
        """A buddy by id, else by its number or a URI of it (from memory)."""
        by_id = next((b for b in self._cache if b.buddy_id == key), None)
        return by_id or next((b for b in self._cache if b.number == key), None) or self.find(key)

    async def select(self, buddy_id: str | None) -> Buddy | None:
        """Make a buddy the phone's selected one (None: none), kept in the profile's settings."""
        buddy = None
        if buddy_id is not None:
            buddy = next((b for b in self._cache if b.buddy_id == buddy_id), None)
            if buddy is None:
                raise _err("buddy_id", f"no buddy {buddy_id!r}")
        store = self._phone._store()
        if buddy_id is None:
            await store.delete_setting(SELECTED)
        else:
            await store.set_setting(SELECTED, buddy_id)
        self._selected = buddy_id
        return buddy

    @property
    def selected(self) -> Buddy | None:
        """The selected buddy (None if none, or it is pending delete: undelete selects it again)."""
        return next((b for b in self._cache if b.buddy_id == self._selected), None)

    def numbers(self) -> builtins.list[str]:
        """What the buddies dial (known targets when the dial pad is off)."""
        return [b.number for b in self._cache]

    Add = add
    List = list
    Get = get
    Remove = remove
    Update = update
    Delete = delete
    Undelete = undelete
    Purge = purge
    Lookup = lookup
    Select = select
    Selected = selected


__all__ = [
    "Buddy",
    "PhoneBuddies",
    "add_buddy",
    "list_buddies",
    "mark_deleted",
    "purge_buddies",
    "remove_buddy",
    "update_buddy",
]
