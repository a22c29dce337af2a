"""Login() and GetProvisioning() against a local server implementing the documented contract."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import siperb
from siperb.errors import ApiError, ProvisioningError
from siperb.phone.provisioning import Provisioning
from siperb.phone.rest import DEFAULT_BASE_URL, Session, base_url_from, get_provisioning, login

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # makes tests/contract importable
from contract.server import ContractServer, script_device

PAT = "pat-valid-123"
USER = "user-1"
TOKEN = "sess-token-456"
DEVICE = "dev-abc"
SETTINGS = {
    "RegistrationMode": "Proxy",
    "profileName": "Office Phone",
    "SipWssServer": "eu.siperb.com",
    "SipUsername": "u1000",
    "SipPassword": "proxy-pw",
    "SipDomain": "tenant.siperb.com",
    "ProfileUserName": "Jane Roe",
    "SipContact": "",
    "SipWebsocketPort": 443,
    "SipServerPath": "/ws",
    "SipJwt": "jwt.payload.sig",
    "UiMaxWidth": 900,
}


@pytest.fixture
def server() -> Iterator[ContractServer]:
    devices = {
        DEVICE: script_device(SETTINGS),
        "dev-object": script_device(SETTINGS, as_string=False),
        "dev-web": {"Platform": "web", "Settings_json": "{}"},
        "dev-broken": {"Platform": "script", "Settings_json": "{oops"},
        "dev-none": {"Platform": "script", "Settings_json": None},
        "dev-invalid": script_device({**SETTINGS, "SipWebsocketPort": "x"}),
        "dev/with space": script_device(SETTINGS),
    }
    with ContractServer(pat=PAT, user_id=USER, session_token=TOKEN, devices=devices) as srv:
        yield srv


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# ---- Login ----


def test_login(server: ContractServer) -> None:
    session = run(login(PAT, base_url=server.base_url))
    assert session == Session(user_id=USER, session_token=TOKEN, raw=session.raw)
    assert session.UserId == USER and session.SessionToken == TOKEN
    assert session.raw == {"UserId": USER, "SessionToken": TOKEN}
    method, path, headers = server.requests[-1]
    assert (method, path) == ("POST", "/Login")
    assert headers["Authorization"] == f"Bearer {PAT}"


def test_sdk_names_are_the_same_functions() -> None:
    assert siperb.Login is siperb.login is login
    assert siperb.GetProvisioning is siperb.get_provisioning is get_provisioning


def test_session_repr_hides_token(server: ContractServer) -> None:
    session = run(login(PAT, base_url=server.base_url))
    assert TOKEN not in repr(session) and USER in repr(session)


def test_login_bad_pat(server: ContractServer) -> None:
    with pytest.raises(ApiError) as e:
        run(login("wrong-pat-999", base_url=server.base_url))
    assert e.value.status == 401
    assert "Invalid access token" in str(e.value)
    assert "wrong-pat-999" not in str(e.value)


@pytest.mark.parametrize("pat", ["", "   ", None])
def test_login_needs_a_pat(pat: Any) -> None:
    with pytest.raises(ApiError) as e:
        run(login(pat, base_url="http://127.0.0.1:9"))
    assert e.value.field == "pat" and e.value.status is None


def test_login_server_error(server: ContractServer) -> None:
    server.fault = "500"
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url))
    assert e.value.status == 500 and "Internal error" in str(e.value)


def test_login_non_json_error_body(server: ContractServer) -> None:
    server.fault = "html_error"
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url))
    assert e.value.status == 502 and "Bad Gateway" in str(e.value)


def test_login_bad_json(server: ContractServer) -> None:
    server.fault = "bad_json"
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url))
    assert e.value.status == 200 and e.value.field == "body"


def test_login_missing_fields(server: ContractServer) -> None:
    server.fault = "empty_object"
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url))
    assert e.value.field == "UserId"


def test_login_timeout(server: ContractServer) -> None:
    server.fault = "slow"
    server.slow_seconds = 5
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url, timeout=0.2))
    assert e.value.field == "timeout" and e.value.status is None


def test_connection_refused() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=f"http://127.0.0.1:{port}"))
    assert e.value.field == "connection" and e.value.status is None
    assert PAT not in str(e.value)


@pytest.mark.parametrize("timeout", [0, -1, True, "5"])
def test_bad_timeout(server: ContractServer, timeout: Any) -> None:
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url, timeout=timeout))
    assert e.value.field == "timeout"


# ---- base URL ----


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPERB_API_URL", raising=False)
    assert base_url_from(None) == DEFAULT_BASE_URL == "https://api.siperb.com"
    monkeypatch.setenv("SIPERB_API_URL", "http://127.0.0.1:1234/")
    assert base_url_from(None) == "http://127.0.0.1:1234"
    assert base_url_from("https://other.example/api/") == "https://other.example/api"


@pytest.mark.parametrize("bad", ["ftp://x", "not a url", "http://"])
def test_bad_base_url(bad: str) -> None:
    with pytest.raises(ApiError) as e:
        base_url_from(bad)
    assert e.value.field == "base_url"


def test_env_base_url_is_used(server: ContractServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPERB_API_URL", server.base_url)
    assert run(login(PAT)).user_id == USER


# ---- GetProvisioning ----


def test_get_provisioning(server: ContractServer) -> None:
    prov = run(get_provisioning(USER, DEVICE, TOKEN, base_url=server.base_url))
    assert isinstance(prov, Provisioning)
    assert prov.registration_mode == "Proxy"
    assert prov.websocket_url == "wss://eu.siperb.com:443/ws"
    assert prov.sip_jwt == "jwt.payload.sig"
    assert prov.extra == {"UiMaxWidth": 900}
    method, path, headers = server.requests[-1]
    assert method == "GET"
    assert path == f"/Users/{USER}/Devices/{DEVICE}/?password=yes&settings_json=yes"
    assert headers["X-Api-Key"] == TOKEN


def test_settings_json_as_object(server: ContractServer) -> None:
    prov = run(get_provisioning(USER, "dev-object", TOKEN, base_url=server.base_url))
    assert prov.profile_name == "Office Phone"


def test_path_segments_are_quoted(server: ContractServer) -> None:
    run(get_provisioning(USER, "dev/with space", TOKEN, base_url=server.base_url))
    assert server.requests[-1][1].startswith(f"/Users/{USER}/Devices/dev%2Fwith%20space/?")


def test_login_then_provision(server: ContractServer) -> None:
    async def flow() -> Provisioning:
        session = await siperb.Login(PAT, base_url=server.base_url)
        return await siperb.GetProvisioning(
            session.UserId, DEVICE, session.SessionToken, base_url=server.base_url
        )

    assert run(flow()).user == "u1000"


@pytest.mark.parametrize(
    ("user", "device", "token", "status"),
    [
        (USER, DEVICE, "wrong-token", 401),
        ("someone-else", DEVICE, TOKEN, 403),
        (USER, "no-such-device", TOKEN, 404),
    ],
)
def test_get_provisioning_http_errors(
    server: ContractServer, user: str, device: str, token: str, status: int
) -> None:
    with pytest.raises(ApiError) as e:
        run(get_provisioning(user, device, token, base_url=server.base_url))
    assert e.value.status == status
    assert "wrong-token" not in str(e.value)


def test_get_provisioning_500_and_bad_json(server: ContractServer) -> None:
    server.fault = "500"
    with pytest.raises(ApiError) as e:
        run(get_provisioning(USER, DEVICE, TOKEN, base_url=server.base_url))
    assert e.value.status == 500
    server.fault = "bad_json"
    with pytest.raises(ApiError) as e:
        run(get_provisioning(USER, DEVICE, TOKEN, base_url=server.base_url))
    assert e.value.field == "body"


def test_get_provisioning_timeout(server: ContractServer) -> None:
    server.fault = "slow"
    with pytest.raises(ApiError) as e:
        run(get_provisioning(USER, DEVICE, TOKEN, base_url=server.base_url, timeout=0.2))
    assert e.value.field == "timeout"


@pytest.mark.parametrize(
    ("device", "field"),
    [("dev-web", "Platform"), ("dev-broken", "Settings_json"), ("dev-none", "Settings_json")],
)
def test_get_provisioning_bad_device_records(
    server: ContractServer, device: str, field: str
) -> None:
    with pytest.raises(ApiError) as e:
        run(get_provisioning(USER, device, TOKEN, base_url=server.base_url))
    assert e.value.field == field and e.value.status == 200


def test_get_provisioning_empty_object(server: ContractServer) -> None:
    server.fault = "empty_object"
    with pytest.raises(ApiError) as e:
        run(get_provisioning(USER, DEVICE, TOKEN, base_url=server.base_url))
    assert e.value.field == "Platform"


def test_invalid_settings_raise_provisioning_error(server: ContractServer) -> None:
    with pytest.raises(ProvisioningError) as e:
        run(get_provisioning(USER, "dev-invalid", TOKEN, base_url=server.base_url))
    assert e.value.field == "SipWebsocketPort"


@pytest.mark.parametrize(
    ("args", "field"),
    [(("", DEVICE, TOKEN), "UserId"), ((USER, "", TOKEN), "DeviceToken"),
     ((USER, DEVICE, " "), "SessionToken")],
)  # fmt: skip
def test_get_provisioning_arguments(args: tuple[str, str, str], field: str) -> None:
    with pytest.raises(ApiError) as e:
        run(get_provisioning(*args, base_url="http://127.0.0.1:9"))
    assert e.value.field == field


def test_query_parameters_are_required_by_the_contract(server: ContractServer) -> None:
    """The contract server itself refuses a device lookup without the two parameters."""
    import http.client

    host, port = server.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", f"/Users/{USER}/Devices/{DEVICE}/", headers={"X-Api-Key": TOKEN})
    assert conn.getresponse().status == 400
    conn.close()


def test_secrets_never_logged(server: ContractServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="siperb"):
        session = run(login(PAT, base_url=server.base_url))
        run(get_provisioning(USER, DEVICE, session.session_token, base_url=server.base_url))
        with pytest.raises(ApiError):
            run(get_provisioning(USER, DEVICE, "bad-token-x", base_url=server.base_url))
        with pytest.raises(ApiError):
            run(login("bad-pat-y", base_url=server.base_url))
    for secret in (PAT, TOKEN, "bad-token-x", "bad-pat-y", "proxy-pw", "jwt.payload.sig"):
        assert secret not in caplog.text


def test_credentials_quoted_by_the_server_are_scrubbed(server: ContractServer) -> None:
    server.fault = "echo_credentials"
    with pytest.raises(ApiError) as e:
        run(login(PAT, base_url=server.base_url))
    assert e.value.status == 401
    assert PAT not in str(e.value) and PAT not in (e.value.reason or "")
    assert "rejected credentials" in str(e.value) and "***" in str(e.value)
    with pytest.raises(ApiError) as e:
        run(get_provisioning(USER, DEVICE, TOKEN, base_url=server.base_url))
    assert TOKEN not in str(e.value) and "***" in str(e.value)
