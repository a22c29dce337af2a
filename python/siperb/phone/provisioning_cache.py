"""A stale-while-revalidate cache for GetProvisioning().

A phone that starts should not wait for the REST API when it already knows its account: the
cached provisioning is returned at once and a background request refreshes it for next time.
``refresh=True`` bypasses the cache (waits for the server), and a copy older than ``max_age``
seconds is not served (the caller waits for a fresh one). A failed background refresh keeps the
old copy and logs a warning; with nothing cached the caller gets the error.

Entries are keyed by API base URL, UserId and DeviceToken (not the session token, so a new
Login() still finds them) and live in memory only: passwords are not written to disk.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import ApiError
from .provisioning import Provisioning

log = logging.getLogger("siperb.phone.rest")

Key = tuple[str, str, str]


@dataclass
class _Entry:
    value: Provisioning
    fetched_at: float


class ProvisioningCache:
    """In-memory provisioning by (base URL, UserId, DeviceToken); see the module docstring."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[Key, _Entry] = {}
        self._refreshing: dict[Key, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def age(self, key: Key) -> float | None:
        """Seconds since ``key`` was fetched, or None when it is not cached."""
        entry = self._entries.get(key)
        return None if entry is None else self._clock() - entry.fetched_at

    async def get(
        self,
        key: Key,
        fetch: Callable[[], Awaitable[Provisioning]],
        *,
        refresh: bool = False,
        max_age: float | None = None,
    ) -> Provisioning:
        """The cached value (refreshed in the background), else ``await fetch()``."""
        entry = self._entries.get(key)
        too_old = (
            entry is not None
            and max_age is not None
            and (self._clock() - entry.fetched_at > max_age)
        )
        if entry is None or refresh or too_old:
            return await self._store(key, fetch)
        if key not in self._refreshing:
            task = asyncio.get_running_loop().create_task(self._revalidate(key, fetch))
            self._refreshing[key] = task
            task.add_done_callback(lambda _t: self._refreshing.pop(key, None))
        return entry.value

    async def _store(self, key: Key, fetch: Callable[[], Awaitable[Provisioning]]) -> Provisioning:
        value = await fetch()
        self._entries[key] = _Entry(value, self._clock())
        return value

    async def _revalidate(self, key: Key, fetch: Callable[[], Awaitable[Provisioning]]) -> None:
        try:
            await self._store(key, fetch)
        except ApiError as exc:  # its message is already scrubbed of tokens
            log.warning("provisioning refresh failed, keeping the cached copy: %s", exc)
        except Exception:
            log.exception("provisioning refresh failed, keeping the cached copy")

    async def wait_refreshed(self) -> None:
        """Wait for the background refreshes under way (tests, orderly shutdown)."""
        while self._refreshing:
            await asyncio.gather(*list(self._refreshing.values()), return_exceptions=True)
            await asyncio.sleep(0)

    def clear(self) -> None:
        """Forget every entry (a logout); refreshes under way are cancelled."""
        for task in self._refreshing.values():
            task.cancel()
        self._entries.clear()


__all__ = ["ProvisioningCache"]
