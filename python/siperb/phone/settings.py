"""Per-profile settings, kept in the history database beside the profile's calls."""

from __future__ import annotations

from typing import Any, Protocol

from .history import AsyncHistory
from .options import PhoneOptions


class SettingsOwner(Protocol):
    """What the settings need of the phone: its options and its open store."""

    options: PhoneOptions

    def _store(self) -> AsyncHistory: ...


class PhoneSettings:
    """Per-profile settings in the history database; changing them needs EnableSettings."""

    def __init__(self, phone: SettingsOwner):
        self._phone = phone

    async def get(self, key: str, default: Any = None) -> Any:
        return await self._phone._store().get_setting(key, default)

    async def set(self, key: str, value: Any) -> None:
        self._phone.options.require("settings")
        await self._phone._store().set_setting(key, value)

    async def delete(self, key: str) -> bool:
        self._phone.options.require("settings")
        return await self._phone._store().delete_setting(key)

    Get = get
    Set = set
