"""WebFrame against the loopback service: the page's protocol, gates, toasts and security.

A real websockets client plays the page; the phone registers with the in-process loopback
service (real SIP over a real WebSocket), so each command goes through the real phone.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

import siperb
from siperb.demo import LoopbackService, manual_provisioning
from siperb.phone.history import MEMORY
from siperb.phone.media_control import NoMediaEngine
from siperb.sip.transaction import Timers
from siperb.ui import WebFrame

T = TypeVar("T")
FAST = Timers(t1=0.05, t2=0.5, t4=0.5)


def run(coro: Awaitable[T], timeout: float = 30.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


class Page:
    """The page's side of the protocol over a real WebSocket."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 1
        self.seen: list[dict[str, Any]] = []

    async def send(self, op: str, **args: Any) -> dict[str, Any]:
        cid = self.next_id
        self.next_id += 1
        await self.ws.send(json.dumps({"id": cid, "op": op, **args}))
        return await self.until(lambda m: m["type"] == "reply" and m["id"] == cid)

    async def until(self, pred: Any, timeout: float = 5.0) -> dict[str, Any]:
        for m in self.seen:
            if pred(m):
                self.seen.remove(m)
                return m
        async with asyncio.timeout(timeout):
            while True:
                m = json.loads(await self.ws.recv())
                if pred(m):
                    return m
                self.seen.append(m)

    async def state(self, pred: Any) -> dict[str, Any]:
        m = await self.until(lambda m: m["type"] == "state" and pred(m["state"]))
        return dict(m["state"])


def ws_url(frame: WebFrame) -> str:
    return frame.url.replace("http://", "ws://") + "ws"


async def open_page(frame: WebFrame, languages: list[str] | None = None) -> tuple[Any, Page]:
    ws = await connect(ws_url(frame), origin=frame.origin)  # type: ignore[arg-type]
    page = Page(ws)
    await ws.send(json.dumps({"id": 0, "op": "hello", "languages": languages or ["en-US"]}))
    return ws, page


async def provision(svc: LoopbackService, frame: WebFrame, **extra: Any) -> Any:
    opts: dict[str, Any] = {"Provisioning": manual_provisioning(svc.port), "PhoneFrame": frame,
                            "ProfileUserId": "ui", "SessionId": "secret-session",
                            "UserId": "u", **extra}  # fmt: skip
    return await siperb.ProvisionPhone(opts, history_path=MEMORY, media_control=NoMediaEngine(),
                                       user_agent_options={"timers": FAST})  # fmt: skip


def test_toast_before_any_page_is_queued_and_hello_carries_no_secret() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            holder: list[Any] = []  # OnLoad runs after ProvisionPhone returned (as in the SDK)
            phone = await provision(svc, frame, OnLoad=lambda: holder[0].Toast("Welcome back"))
            holder.append(phone)
            async with phone:
                await phone.wait_loaded(5)
                ws, page = await open_page(frame, ["ja-JP", "en"])
                hello = await page.until(lambda m: m["type"] == "hello")
                assert hello["language"] == "ja" and hello["dir"] == "ltr"
                assert hello["messages"]["ui.answer"] == "応答"
                assert hello["account"]["aor"] == phone.provisioning.aor
                text = json.dumps(hello)
                assert "demo-secret" not in text and "secret-session" not in text
                assert frame.http.token not in text
                toast = await page.until(lambda m: m["type"] == "toast")
                assert toast["message"] == "Welcome back"
                st = await page.state(lambda s: s["registration"] == "registered")
                assert st["calls"] == []
                await ws.close()

    run(main())


def test_dial_hold_mute_dtmf_hangup_through_the_protocol() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame, Language="de")
            async with phone:
                ws, page = await open_page(frame, ["ja"])
                hello = await page.until(lambda m: m["type"] == "hello")
                assert hello["language"] == "de"  # the Language option beats the browser
                reply = await page.send("dial", target="echo")
                assert reply["ok"], reply
                call = reply["result"]["call"]
                await page.state(lambda s: any(c["state"] == "established" for c in s["calls"]))
                assert (await page.send("hold", call=call, on=True))["ok"]
                await page.state(lambda s: s["calls"] and s["calls"][0]["held"])
                assert (await page.send("hold", call=call, on=False))["ok"]
                assert (await page.send("mute", call=call, on=True))["ok"]
                await page.state(lambda s: s["calls"] and s["calls"][0]["muted"])
                assert (await page.send("dtmf", call=call, digits="12#"))["ok"]
                sdk = await page.until(lambda m: m["type"] == "event")
                assert set(sdk["sdk"]) == {"Event", "Source", "Data"}
                assert (await page.send("hangup", call=call))["ok"]
                await page.state(lambda s: s["calls"] == [])
                hist = await page.until(lambda m: m["type"] == "history" and m["rows"])
                assert hist["rows"][0]["remote"].startswith("sip:echo@")
                bad = await page.send("hold", call="no-such-call", on=True)
                assert not bad["ok"] and bad["error"]["field"] == "call"
                await ws.close()

    run(main())


@pytest.mark.parametrize(
    ("option", "op", "args"),
    [
        ("EnableCallHold", "hold", {"on": True}),
        ("EnableCallMute", "mute", {"on": True}),
        ("EnableCallTransfer", "transfer", {"target": "echo", "mode": "blind"}),
        ("EnableCallRecording", "record", {"on": True}),
        ("EnableDialPad", "dtmf", {"digits": "1"}),
        ("EnableDeviceSelector", "devices", {}),
        ("EnableSettings", "set_setting", {"key": "DtmfType", "value": "inband"}),
    ],
)  # fmt: skip
def test_a_disabled_feature_is_refused_by_the_server(option: str, op: str,
                                                     args: dict[str, Any]) -> None:  # fmt: skip
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame, **{option: False}, Language="fr")
            async with phone:
                ws, page = await open_page(frame, ["fr"])
                hello = await page.until(lambda m: m["type"] == "hello")
                assert hello["options"][option] is False
                calls_before = list(phone.calls)
                reply = await page.send(op, **args)
                assert not reply["ok"]
                err = reply["error"]
                assert (err["type"], err["field"]) == ("FeatureDisabledError", option)
                assert "désactivé" in err["message"]  # in the page's language
                assert phone.calls == calls_before
                await ws.close()

    run(main())


def test_free_dialling_is_refused_without_the_dial_pad_but_sip_uris_work() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame, EnableDialPad=False)
            async with phone:
                ws, page = await open_page(frame)
                refused = await page.send("dial", target="echo")
                assert refused["error"]["field"] == "EnableDialPad"
                assert phone.calls == []
                ok = await page.send("dial", target=f"sip:echo@127.0.0.1:{svc.port}")
                assert ok["ok"], ok
                await page.send("hangup", call=ok["result"]["call"])
                await ws.close()

    run(main())


def test_malformed_commands_get_an_error_and_change_nothing() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame)
            async with phone:
                ws, page = await open_page(frame)
                await ws.send("{not json")
                m = await page.until(lambda m: m["type"] == "reply" and m["id"] is None)
                assert m["ok"] is False and m["id"] is None
                assert (m["error"]["field"], m["error"]["reason"]) == ("message", "not JSON")
                m = await page.send("dial", target="echo", extra=1)
                assert m["error"]["field"] == "extra"
                assert phone.calls == [] and svc.counts.get("INVITE", 0) == 0
                await ws.close()

    run(main())


def _http(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_http_needs_the_token_and_sends_strict_headers() -> None:
    async def main() -> None:
        async with WebFrame(allowed_origins=["https://app.example"]) as frame:
            ok = await asyncio.to_thread(_http, frame.url)
            assert ok[0] == 200 and b"app.js" in ok[2]
            csp = ok[1]["Content-Security-Policy"]
            assert "frame-ancestors 'self' https://app.example" in csp
            assert ok[1]["Referrer-Policy"] == "no-referrer"
            assert ok[1]["X-Content-Type-Options"] == "nosniff"
            bad = frame.url.replace(frame.http.token, "x" * len(frame.http.token))
            assert (await asyncio.to_thread(_http, bad))[0] == 403
            assert (await asyncio.to_thread(_http, frame.origin + "/"))[0] == 403
            assert (await asyncio.to_thread(_http, frame.url + "../../etc/passwd"))[0] in (403, 404)
            rebound = await asyncio.to_thread(_http, frame.url, {"Host": "evil.example"})
            assert rebound[0] == 421

    run(main())


def test_websocket_refuses_a_foreign_origin_and_a_wrong_token() -> None:
    async def main() -> None:
        async with WebFrame(allowed_origins=["https://app.example"]) as frame:
            for url, origin in [
                (ws_url(frame), "https://evil.example"),
                (ws_url(frame), None),
                (ws_url(frame).replace(frame.http.token, "nope"), frame.origin),
            ]:
                with pytest.raises(InvalidStatus) as info:
                    await connect(url, origin=origin)  # type: ignore[arg-type]
                assert info.value.response.status_code == 403
            for origin in (frame.origin, "https://app.example"):
                ws = await connect(ws_url(frame), origin=origin)  # type: ignore[arg-type]
                await ws.close()

    run(main())


def test_allowed_origins_must_be_origins_and_postmessage_target_is_never_a_wildcard() -> None:
    from siperb.errors import SiperbError

    with pytest.raises(SiperbError, match="allowed_origins"):
        WebFrame(allowed_origins=["*"])
    with pytest.raises(SiperbError, match="loopback"):
        WebFrame(host="0.0.0.0")
    assert WebFrame(allowed_origins=["https://a.example/"]).parent_origin == "https://a.example"
    assert WebFrame().parent_origin is None


def test_avatar_picture_and_dtmf_setting_reach_the_page() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame, EnableSettings=True)
            async with phone:
                ws, page = await open_page(frame)
                hello = await page.until(lambda m: m["type"] == "hello")
                assert hello["avatar"] is None and hello["initials"] == "DU"
                assert hello["settings"] == {"DtmfType": "info"}
                png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
                frame.set_avatar(png, "image/png")
                m = await page.until(lambda m: m["type"] == "avatar")
                status, headers, body = await asyncio.to_thread(_http, frame.url + "avatar")
                assert (status, headers["Content-Type"], body) == (200, "image/png", png)
                assert m["url"].startswith("avatar?")
                assert (await page.send("set_setting", key="DtmfType", value="inband"))["ok"]
                assert await phone.settings.get("DtmfType") == "inband"
                await ws.close()
                ws2, page2 = await open_page(frame)
                hello2 = await page2.until(lambda m: m["type"] == "hello")
                assert hello2["settings"] == {"DtmfType": "inband"} and hello2["avatar"]
                await ws2.close()
            with pytest.raises(siperb.errors.SiperbError):
                frame.set_avatar(b"x" * 300_000)

    run(main())


def test_siperb_ui_demo_serves_the_page_and_quits() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "siperb", "ui", "--demo", "--no-open", "--duration", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / "python")},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("phone UI: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split(": ", 1)[1].strip()
        status, _, body = _http(url)
        assert status == 200 and b'<script src="app.js"' in body
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_a_page_opened_before_the_phone_gets_the_phone_when_it_attaches() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            ws, page = await open_page(frame, ["he-IL"])
            early = await page.until(lambda m: m["type"] == "hello")
            assert early["account"] is None and early["dir"] == "rtl"
            refused = await page.send("dial", target="echo")
            assert refused["error"]["reason"] == "not ready"
            phone = await provision(svc, frame, Language="auto")
            async with phone:
                late = await page.until(lambda m: m["type"] == "hello" and m["account"])
                assert late["account"]["aor"] == phone.provisioning.aor
                assert late["options"]["EnableCallHold"] is True and late["language"] == "he"
                await page.state(lambda s: s["registration"] == "registered")
                await ws.close()

    run(main())


def test_the_phones_own_toasts_are_shown_in_the_pages_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from siperb.phone.i18n import catalogue

    monkeypatch.setenv("LC_ALL", "C")  # the phone speaks English, the page German

    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame, Language="auto")
            async with phone:
                assert phone.translator.language != "de"
                ws, page = await open_page(frame, ["de-DE"])
                await page.until(lambda m: m["type"] == "hello" and m["language"] == "de")
                call = (await page.send("dial", target="echo"))["result"]["call"]
                await page.state(lambda s: any(c["state"] == "established" for c in s["calls"]))
                assert (await page.send("hold", call=call, on=True))["ok"]
                toast = await page.until(lambda m: m["type"] == "toast")
                assert toast["message"] == catalogue("de")["toast.on_hold"]
                phone.Toast("plain text stays as given")
                toast = await page.until(lambda m: m["type"] == "toast")
                assert toast["message"] == "plain text stays as given"
                await page.send("hangup", call=call)
                await ws.close()

    run(main())


def test_the_frame_serves_on_ipv6_loopback_too() -> None:
    async def main() -> None:
        async with WebFrame(host="::1") as frame:
            assert frame.url.startswith("http://[::1]:")
            status, _, body = await asyncio.to_thread(_http, frame.url)
            assert status == 200 and b"app.js" in body
            ws = await connect(ws_url(frame), origin=frame.origin)  # type: ignore[arg-type]
            await ws.close()

    run(main())


def test_history_pages_and_the_missed_badge_count() -> None:
    async def main() -> None:
        async with LoopbackService() as svc, WebFrame() as frame:
            phone = await provision(svc, frame)
            async with phone:
                ws, page = await open_page(frame)

                def pushed(n: int) -> Any:  # the frame pushes the history after each call
                    return page.until(lambda m: m["type"] == "history" and len(m["rows"]) == n)

                for n, target in enumerate(("echo", f"sip:echo@127.0.0.1:{svc.port}"), 1):
                    call = (await page.send("dial", target=target))["result"]["call"]
                    await page.state(lambda s: any(c["state"] == "established"
                                                   for c in s["calls"]))  # fmt: skip
                    await page.send("hangup", call=call)
                    await pushed(n)
                ringing = await svc.call("demo")
                await page.state(lambda s: any(c["state"] == "incoming" for c in s["calls"]))
                await ringing.hangup()
                await pushed(3)
                first = (await page.send("history", limit=2))["result"]
                second = (await page.send("history", limit=2, offset=2))["result"]
                assert [r["outcome"] for r in first["rows"]] == ["missed", "answered"]
                assert [r["outcome"] for r in second["rows"]] == ["answered"]
                assert first["missed"] == 1
                assert (await page.send("seen_missed"))["result"] == {"missed": 0}
                assert (await page.send("history"))["result"]["missed"] == 0
                await ws.close()

    run(main())
