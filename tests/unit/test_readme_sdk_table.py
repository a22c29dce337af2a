"""The README's table of SDK members: every siperb name it lists exists (so it says only what
works today), and the SDK's public verbs are all in it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import siperb
from siperb.phone import rest
from siperb.phone.buddies import PhoneBuddies
from siperb.phone.call import Call
from siperb.phone.history import CallRecord
from siperb.phone.phone import Phone
from siperb.phone.sdk import SdkVerbs
from siperb.phone.slots import SLOTS

README = Path(__file__).resolve().parents[2] / "README.md"
OWNERS: dict[str, object] = {"siperb": siperb, "rest": rest, "Phone": Phone, "Call": Call,
                             "CallRecord": CallRecord, "PhoneBuddies": PhoneBuddies}  # fmt: skip


def _rows() -> list[list[str]]:
    text = README.read_text()
    start = text.index("## SDK members and their siperb twins")
    table = text[start : text.index("\n## ", start + 1)]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| `")]
    assert rows, "no table rows"
    return rows


def _names(cell: str) -> list[str]:
    return re.findall(r"`([A-Za-z_][\w.]*)`", cell)


def _exists(dotted: str) -> bool:
    owner_name, _, attr = dotted.partition(".")
    owner = OWNERS[owner_name]
    if owner is Phone and attr in SLOTS:
        return True  # slots are instance attributes, set in __init__
    if hasattr(owner, attr):
        return True
    return dataclasses.is_dataclass(owner) and attr in {f.name for f in dataclasses.fields(owner)}


def test_every_listed_name_exists() -> None:
    missing = [name for row in _rows() for cell in row[1:3] for name in _names(cell)
               if not _exists(name)]  # fmt: skip
    assert missing == []


def test_every_sdk_verb_and_slot_is_listed() -> None:
    listed = {name.split(".", 1)[1] for row in _rows() for name in _names(row[1])}
    verbs = {n for n in vars(SdkVerbs) if n[:1].isupper()}
    assert verbs | set(SLOTS) | {"GetRecentCalls", "Toast", "Close"} <= listed


def test_every_buddy_and_cdr_sdk_name_is_listed() -> None:
    listed = {name for row in _rows() for name in _names(row[1])}
    buddies = {f"PhoneBuddies.{n}" for n in vars(PhoneBuddies) if n[:1].isupper()}
    cdr = {f"CallRecord.{n}" for n in dir(CallRecord) if n[:1].isupper()}
    assert buddies | cdr <= listed
