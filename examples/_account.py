"""What the examples share: the account flags, or a loopback PBX when none are given.

Each example runs against your PBX (``--server ws://pbx:8088/ws --user 1000 --password ...``)
or, without ``--server``, against siperb's built-in loopback service, whose echo peer then
plays the caller (so every example can be tried, and is tested, on one machine).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import siperb
from siperb.demo.service import LoopbackService

LOOPBACK_PASSWORD = "example-secret"


def parser(description: str) -> argparse.ArgumentParser:
    """The flags every example takes; add your own to the parser it returns."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--server", help="ws:// or wss:// URL of your PBX (default: a loopback PBX)")
    p.add_argument("--user", default="example", help="SIP user name")
    p.add_argument("--password", default=os.environ.get("SIPERB_PASSWORD", LOOPBACK_PASSWORD),
                   help="SIP password (or $SIPERB_PASSWORD)")  # fmt: skip
    p.add_argument("--domain", help="SIP domain (default: the server's host)")
    return p


def provisioning(args: argparse.Namespace, pbx: LoopbackService | None) -> dict[str, Any]:
    """The SDK's provisioning keys for ``args`` (or for the loopback ``pbx``)."""
    if pbx is not None:
        return {"SipWssServer": "ws://127.0.0.1", "SipWebsocketPort": pbx.port,
                "SipServerPath": pbx.path, "SipUsername": args.user,
                "SipPassword": args.password, "SipDomain": pbx.domain}  # fmt: skip
    url = urlsplit(args.server)
    secure = url.scheme != "ws"
    return {"SipWssServer": f"{url.scheme or 'wss'}://{url.hostname}",
            "SipWebsocketPort": url.port or (443 if secure else 80),
            "SipServerPath": url.path or "/", "SipUsername": args.user,
            "SipPassword": args.password, "SipDomain": args.domain or url.hostname}  # fmt: skip


@contextlib.asynccontextmanager
async def phone_for(args: argparse.Namespace) -> AsyncIterator[tuple[Any, LoopbackService | None]]:
    """A registered phone for the account, and the loopback PBX when no --server was given."""
    async with contextlib.AsyncExitStack() as stack:
        pbx = None
        if args.server is None:
            pbx = await stack.enter_async_context(
                LoopbackService(accounts={args.user: args.password})
            )
        phone = await siperb.provision_phone(
            provisioning=provisioning(args, pbx), profile_user_id=args.user,
            session_id="example", user_id=args.user, history_path=":memory:",
        )  # fmt: skip
        await stack.enter_async_context(phone)
        print(f"registered as {phone.provisioning.aor}", flush=True)
        yield phone, pbx
