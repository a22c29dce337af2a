"""GetDevices(), GetProvisioning()'s SDK object form and its stale-while-revalidate cache."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from siperb.errors import ApiError
from siperb.phone import rest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # makes tests/contract importable
from contract.server import ContractServer, script_device

USER, TOKEN = "user-1", "sess-token-456"
SETTINGS = {
    "RegistrationMode": "Socket", "profileName": "Desk", "SipWssServer": "pbx.example",
    "SipUsername": "1000", "SipPassword": "pw", "SipDomain": "pbx.example",
    "ProfileUserName": "Jane", "SipContact": "", "SipWebsocketPort": 8089, "SipServerPath": "/ws",
}  # fmt: skip


@pytest.fixture
def server() -> Iterator[ContractServer]:
    devices = {
        "dev-a": {**script_device(SETTINGS), "DeviceName": "Desk", "SelfSignedCertificate": True},
        "dev-web": {"Platform": "web", "DeviceName": "Browser", "Settings_json": "{}"},
    }
    with ContractServer(user_id=USER, session_token=TOKEN, devices=devices) as srv:
        yield srv


def _gets(server: ContractServer, token: str = "dev-a") -> int:
    return sum(1 for method, path, _ in server.requests
               if method == "GET" and f"/Devices/{token}/" in path)  # fmt: skip


def test_get_devices_lists_the_users_devices(server: ContractServer) -> None:
    devices = asyncio.run(rest.GetDevices(USER, TOKEN, base_url=server.base_url))
    by_token = {d.device_token: d for d in devices}
    assert set(by_token) == {"dev-a", "dev-web"}
    a = by_token["dev-a"]
    assert (a.platform, a.name, a.self_signed_certificate) == ("script", "Desk", True)
    assert a.DeviceToken == "dev-a" and a.Platform == "script"  # the SDK's names
    assert by_token["dev-web"].self_signed_certificate is False
    assert "Settings_json" not in a.raw and "pw" not in repr(a)  # no secrets in the listing
    method, path, headers = server.requests[-1]
    assert (method, path, headers["X-Api-Key"]) == ("GET", f"/Users/{USER}/Devices/", TOKEN)


def test_get_devices_errors(server: ContractServer) -> None:
    with pytest.raises(ApiError) as info:
        asyncio.run(rest.GetDevices(USER, "wrong", base_url=server.base_url))
    assert info.value.status == 401 and "wrong" not in str(info.value)
    with pytest.raises(ApiError) as info:
        asyncio.run(rest.GetDevices({"UserId": USER}, base_url=server.base_url))
    assert info.value.field == "SessionToken"


def test_get_provisioning_object_form(server: ContractServer) -> None:
    prov = asyncio.run(rest.GetProvisioning(
        {"UserId": USER, "DeviceToken": "dev-a", "SessionToken": TOKEN}, base_url=server.base_url
    ))  # fmt: skip
    assert prov.aor == "sip:1000@pbx.example"
    with pytest.raises(ApiError) as info:
        asyncio.run(rest.GetProvisioning({"UserId": USER, "SessionToken": TOKEN},
                                         base_url=server.base_url))  # fmt: skip
    assert info.value.field == "DeviceToken"
    with pytest.raises(ApiError) as info:
        asyncio.run(rest.GetProvisioning({"UserId": USER, "DeviceToken": "dev-a",
                                          "SessionToken": TOKEN, "DevceToken": "x"}))  # fmt: skip
    assert "DevceToken" in str(info.value) and "DeviceToken" in str(info.value)


def test_cache_serves_stale_at_once_and_refreshes_in_the_background(
    server: ContractServer,
) -> None:
    cache = rest.ProvisioningCache()
    query: dict[str, Any] = {"UserId": USER, "DeviceToken": "dev-a", "SessionToken": TOKEN}

    async def main() -> None:
        first = await rest.GetProvisioning(query, base_url=server.base_url, cache=cache)
        assert first.profile_user_name == "Jane" and _gets(server) == 1
        server.devices["dev-a"] = script_device({**SETTINGS, "ProfileUserName": "Jane Roe"})
        server.fault, server.slow_seconds = "slow", 0.5
        loop = asyncio.get_running_loop()
        t = loop.time()
        second = await rest.GetProvisioning(query, base_url=server.base_url, cache=cache)
        assert loop.time() - t < 0.3  # served from the cache, not after the slow server
        assert second.profile_user_name == "Jane"
        await cache.wait_refreshed()
        server.fault = None
        third = await rest.GetProvisioning(query, base_url=server.base_url, cache=cache)
        assert third.profile_user_name == "Jane Roe"  # what the background refresh fetched
        await cache.wait_refreshed()
        assert _gets(server) == 3

        # bypass: wait for the server
        server.devices["dev-a"] = script_device({**SETTINGS, "ProfileUserName": "J"})
        fresh = await rest.GetProvisioning(query, base_url=server.base_url, cache=cache,
                                           refresh=True)  # fmt: skip
        assert fresh.profile_user_name == "J"
        # a cached copy older than max_age is not served: fetched while waiting
        server.devices["dev-a"] = script_device({**SETTINGS, "ProfileUserName": "K"})
        await asyncio.sleep(0.05)
        aged = await rest.GetProvisioning(query, base_url=server.base_url, cache=cache,
                                          max_age=0.01)  # fmt: skip
        assert aged.profile_user_name == "K"
        await cache.wait_refreshed()

    asyncio.run(main())


def test_cache_keeps_serving_when_the_refresh_fails(
    server: ContractServer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = rest.ProvisioningCache()

    async def main() -> None:
        args = (USER, "dev-a", TOKEN)
        await rest.get_provisioning(*args, base_url=server.base_url, cache=cache)
        server.fault = "500"
        again = await rest.get_provisioning(*args, base_url=server.base_url, cache=cache)
        assert again.aor == "sip:1000@pbx.example"
        await cache.wait_refreshed()
        assert "refresh" in caplog.text and TOKEN not in caplog.text
        cache.clear()
        with pytest.raises(ApiError):  # nothing cached: the error is the caller's
            await rest.get_provisioning(*args, base_url=server.base_url, cache=cache)

    asyncio.run(main())


def test_no_cache_by_default_fetches_every_time(server: ContractServer) -> None:
    for _ in range(2):
        asyncio.run(rest.get_provisioning(USER, "dev-a", TOKEN, base_url=server.base_url))
    assert _gets(server) == 2
