"""The documented Siperb REST contract, served on 127.0.0.1 from a thread.

- ``POST /Login`` with ``Authorization: Bearer <PAT>``: 200 ``{"UserId", "SessionToken"}`` for
  the known PAT, 401 otherwise.
- ``GET /Users/{UserId}/Devices/{DeviceToken}/?password=yes&settings_json=yes`` with
  ``X-Api-Key: <SessionToken>``: 401 for a wrong or missing key, 403 when the UserId is not the
  session's, 400 without the two query parameters, 404 for an unknown device, else 200 with the
  device record (``Platform``, ``Settings_json`` as a JSON string).
- ``GET /Users/{UserId}/Devices/`` with ``X-Api-Key``: the same 401/403, else 200 with a list of
  the user's device records without their secrets (``DeviceToken``, ``Platform``, and the other
  keys of the record, ``Settings_json`` and ``SipPassword`` left out). This is our reading of
  the SDK's GetDevices(); the real API may return more fields.

``fault`` makes the next answers misbehave on purpose: ``"500"``, ``"bad_json"``,
``"slow"`` (sleeps ``slow_seconds``), ``"empty_object"``, ``"html_error"``,
``"echo_credentials"`` (a 401 quoting the credentials it received).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ContractServer:
    def __init__(
        self,
        *,
        pat: str = "pat-valid-123",
        user_id: str = "user-1",
        session_token: str = "sess-token-456",
        devices: dict[str, dict[str, Any]] | None = None,
    ):
        self.pat = pat
        self.user_id = user_id
        self.session_token = session_token
        self.devices: dict[str, dict[str, Any]] = devices or {}
        self.fault: str | None = None
        self.slow_seconds = 2.0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ContractServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()  # let a "slow" handler finish at once
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet tests
                pass

            def _send(self, status: int, body: Any, *, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _fault(self) -> bool:
                fault = server.fault
                if fault is None:
                    return False
                if fault == "slow":
                    server._release.wait(server.slow_seconds)
                    return False
                if fault == "500":
                    self._send(500, {"Message": "Internal error"})
                elif fault == "bad_json":
                    self._send(200, None, raw=b"{not json")
                elif fault == "empty_object":
                    self._send(200, {})
                elif fault == "html_error":
                    self._send(502, None, raw=b"<html>Bad Gateway</html>")
                elif fault == "echo_credentials":  # a careless server quoting what it got
                    got = self.headers.get("Authorization") or self.headers.get("X-Api-Key")
                    self._send(401, {"Message": f"rejected credentials {got}"})
                return True

            def _record(self) -> None:
                server.requests.append((self.command, self.path, dict(self.headers.items())))

            def do_POST(self) -> None:
                self._record()
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if self.path != "/Login":
                    self._send(404, {"Message": "Not found"})
                    return
                if self._fault():
                    return
                if self.headers.get("Authorization") != f"Bearer {server.pat}":
                    self._send(401, {"Message": "Invalid access token"})
                    return
                self._send(200, {"UserId": server.user_id, "SessionToken": server.session_token})

            def do_GET(self) -> None:
                self._record()
                url = urllib.parse.urlsplit(self.path)
                parts = [urllib.parse.unquote(p) for p in url.path.split("/")]
                if len(parts) == 5 and parts[1] == "Users" and parts[3] == "Devices":
                    self._list(parts[2])  # ['', 'Users', uid, 'Devices', '']
                    return
                # ['', 'Users', uid, 'Devices', token, '']
                if len(parts) != 6 or parts[1] != "Users" or parts[3] != "Devices" or parts[5]:
                    self._send(404, {"Message": "Not found"})
                    return
                if self._fault():
                    return
                if self.headers.get("X-Api-Key") != server.session_token:
                    self._send(401, {"Message": "Invalid session"})
                    return
                if parts[2] != server.user_id:
                    self._send(403, {"Message": "Not your user"})
                    return
                query = urllib.parse.parse_qs(url.query)
                if query.get("password") != ["yes"] or query.get("settings_json") != ["yes"]:
                    self._send(400, {"Message": "password=yes&settings_json=yes required"})
                    return
                device = server.devices.get(parts[4])
                if device is None:
                    self._send(404, {"Message": "Device not found"})
                    return
                self._send(200, device)

            def _list(self, user_id: str) -> None:
                if self._fault():
                    return
                if self.headers.get("X-Api-Key") != server.session_token:
                    self._send(401, {"Message": "Invalid session"})
                    return
                if user_id != server.user_id:
                    self._send(403, {"Message": "Not your user"})
                    return
                hidden = {"Settings_json", "SipPassword"}
                self._send(200, [{**{k: v for k, v in record.items() if k not in hidden},
                                  "DeviceToken": token}
                                 for token, record in server.devices.items()])  # fmt: skip

        return Handler


def script_device(settings: dict[str, Any], *, as_string: bool = True) -> dict[str, Any]:
    """A device record as the API returns it (Settings_json is a JSON string there)."""
    return {
        "DeviceToken": "ignored",
        "Platform": "script",
        "Settings_json": json.dumps(settings) if as_string else settings,
    }
