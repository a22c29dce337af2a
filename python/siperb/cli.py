"""The siperb command: a telephone in the terminal.

siperb register | call TARGET | listen run a phone from a provisioning JSON file
(--provisioning FILE, the SDK's documented keys) or from flags, print live status lines,
and hang up cleanly on Ctrl-C. siperb history lists a profile's calls, siperb devices
the audio devices, siperb demo calls the built-in loopback echo service,
and siperb parse [FILE] pretty-prints a SIP message.

(Plain text, no markup: argparse shows it in --help.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from . import sip
from .cli_output import (
    NO_DEVICES,
    device_options,
    device_table,
    device_value,
    logging_options,
    media_line,
    print_trace,
    setup_logging,
    version_text,
)
from .cli_output import (
    Status as _Status,
)
from .errors import SiperbError
from .events import Event
from .phone.provisioning import Provisioning

SAMPLE_INVITE = (
    b"INVITE sip:echo@127.0.0.1;transport=ws SIP/2.0\r\n"
    b"Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Direct PBX" <sip:1000@127.0.0.1>;tag=8gf7a3\r\n'
    b"To: <sip:echo@127.0.0.1>\r\n"
    b"Call-ID: 9d1b6a3e-52f1-4c5e-8f00-demo\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: <sip:1000@df7jal23ls0d.invalid;transport=ws;ob>\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, INFO, MESSAGE\r\n"
    b"Supported: outbound, replaces\r\n"
    b"User-Agent: siperb\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def describe(message: sip.Message) -> str:
    """A readable summary of a message: start-line, the typed headers, then every raw header."""
    lines: list[str] = []
    if message.is_request:
        lines.append(f"{message.method} request to {message.uri}")
    else:
        lines.append(f"{message.status} {message.reason} response")
    cseq = message.cseq
    lines.append(f"  Call-ID   {message.call_id}")
    if cseq is not None:
        lines.append(f"  CSeq      {cseq.number} {cseq.method}")
    for name, addr in (("From", message.from_), ("To", message.to)):
        if addr is None:
            continue
        shown = f'"{addr.display_name}" ' if addr.display_name else ""
        lines.append(f"  {name:<9} {shown}<{addr.uri}> tag={addr.tag or '-'}")
    for i, via in enumerate(message.via):
        port = f":{via.port}" if via.port else ""
        lines.append(f"  Via[{i}]    {via.transport} {via.host}{port} branch={via.branch}")
    for contact in message.contact:
        lines.append(f"  Contact   <{contact.uri}>")
    lines.append(f"  Body      {len(message.body)} bytes ({message.content_type or 'none'})")
    lines.append("Headers:")
    lines.extend(f"  {name}: {value}" for name, value in message.headers)
    return "\n".join(lines)


def _cmd_parse(args: argparse.Namespace) -> int:
    if args.file and args.file != "-":
        with open(args.file, "rb") as f:
            data = f.read()
    else:
        data = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()
        if not data and args.builtin_sample:
            data = SAMPLE_INVITE
    try:
        print(describe(sip.parse(data)))
    except SiperbError as exc:
        print(f"siperb: {exc}", file=sys.stderr)
        return 1
    return 0


AUDIO_NOTICE = "audio: needs the media engine (not built yet); calls carry signalling and SDP only"
ENGINE_NOTICE = "audio: media engine (RTP); sending {source}, received audio {sink}"


def _audio_notice(args: argparse.Namespace) -> str:
    from .media import engine_available

    if not engine_available():
        return AUDIO_NOTICE
    wav, record = getattr(args, "wav", None), getattr(args, "record", None)
    sink = f"recorded to {record}" if record else "discarded"
    return ENGINE_NOTICE.format(source=wav or "silence", sink=sink)


# ---- phone commands ----


def _provisioning(args: argparse.Namespace, *, local: bool = False) -> Provisioning:
    """From ``--provisioning FILE`` (flags override its keys) or from flags alone.

    ``local``: only the account's address is wanted (``history``), so the connection keys a
    registration needs (password, port, server) may be missing.
    """
    data: dict[str, Any] = {}
    if args.provisioning:
        try:
            with open(args.provisioning, encoding="utf-8") as f:
                loaded = json.load(f)
        except (OSError, ValueError) as exc:
            raise SiperbError(f"cannot read {args.provisioning}: {exc}",
                              field="provisioning") from None  # fmt: skip
        if not isinstance(loaded, dict):
            raise SiperbError("the provisioning file must hold a JSON object", field="provisioning")
        data.update(loaded)
    flags = {
        "SipWssServer": args.server, "SipWebsocketPort": args.port, "SipServerPath": args.path,
        "SipUsername": args.user, "SipPassword": args.password, "SipDomain": args.domain,
        "ProfileUserName": args.display_name, "RegistrationMode": args.mode,
        "SipTransport": args.transport, "SipCaFile": args.ca_file,
    }  # fmt: skip
    data.update({k: v for k, v in flags.items() if v is not None})
    if not data.get("SipPassword") and os.environ.get("SIPERB_PASSWORD"):
        data["SipPassword"] = os.environ["SIPERB_PASSWORD"]
    if not data:
        raise SiperbError("give --provisioning FILE or --server/--port/--user/--password",
                          field="provisioning")  # fmt: skip
    if local:  # placeholders that never leave this process: history is a local database
        data.setdefault("SipWssServer", data.get("SipDomain") or "localhost")
        data.setdefault("SipWebsocketPort", 443)
        data["SipPassword"] = data.get("SipPassword") or "-"
    return Provisioning.from_dict(data, secure=False if args.ws else None)


async def _open_phone(args: argparse.Namespace, prov: Provisioning, status: _Status) -> Any:
    from .phone import Phone
    from .phone.options import PhoneOptions

    options = PhoneOptions.from_kwargs(
        provisioning=prov,
        profile_user_id=args.profile or prov.aor,
        session_id=args.session_id,
        user_id=args.user_id or prov.user,
        language=args.language,
    )
    ua_options: dict[str, Any] = {"expires": args.expires}
    if getattr(args, "trace", False):
        ua_options["trace"] = print_trace
    phone = Phone(options, history_path=args.db, user_agent_options=ua_options)
    phone.on("*", status.on_event)  # before start(): the first registration is shown too
    await phone.start()
    device_in, device_out = (
        getattr(args, "input_device", None),
        getattr(args, "output_device", None),
    )
    if device_in is not None or device_out is not None:
        try:  # for this run only: Phone.select_device would also store it in the profile
            media: Any = phone.media  # the engine's control also takes an index or False
            media.select_device(input=device_value(device_in), output=device_value(device_out))
        except BaseException:
            await phone.close()
            raise
        status(f"audio devices: input {device_in or 'default'}, output {device_out or 'default'}")
    return phone


def _run(args: argparse.Namespace, body: Callable[[Any, _Status, asyncio.Event],
                                                  Coroutine[Any, Any, int]]) -> int:  # fmt: skip
    """Provision, run ``body(phone, status, stop)``, close; Ctrl-C/SIGTERM set ``stop``."""
    status = _Status()

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        prov = _provisioning(args)
        status(f"connecting as {prov.aor} to {prov.proxy_uri}")
        phone = await _open_phone(args, prov, status)
        try:
            return await body(phone, status, stop)
        finally:
            await phone.close()

    try:
        return asyncio.run(main())
    except SiperbError as exc:  # RegistrationError's message carries the SIP status
        status(f"error: {exc}{_connect_hint(exc)}")
        return 1


def _connect_hint(exc: SiperbError) -> str:
    """Name the option when a wss:// connection failed: a lab PBX often speaks plain ws://."""
    text = str(exc)
    if "cannot open WSS" not in text or "Connect call failed" in text:
        return ""
    return (" (the TLS handshake failed); if the server speaks plain WebSocket, pass --ws "
            "(or --server ws://HOST)")  # fmt: skip


async def _wait(stop: asyncio.Event, duration: float | None, *others: asyncio.Future[Any]) -> None:
    """Until Ctrl-C, ``duration`` seconds, or one of ``others`` is done."""
    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait()), *others]
    try:
        await asyncio.wait(waiters, timeout=duration, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiters[0].cancel()


async def _report_media(call: Any, status: _Status, every: float) -> None:
    """Print ``media_line`` every ``every`` seconds while the call has an engine session."""
    while True:
        await asyncio.sleep(every)
        session = getattr(call.sip.media, "session", None)
        if session is not None and session.started and not session.closed:
            status(media_line(session.stats()))


def _cmd_register(args: argparse.Namespace) -> int:
    async def body(phone: Any, status: _Status, stop: asyncio.Event) -> int:
        if not args.once:
            status("registered; Ctrl-C to unregister and quit")
            await _wait(stop, args.duration)
        return 0

    return _run(args, body)


def _cmd_call(args: argparse.Namespace) -> int:
    from .media import EngineMedia, engine_available

    if (args.wav or args.record) and not engine_available():
        print(f"siperb: playing or recording ({args.wav or args.record}) needs the media engine "
              "(not built yet)", file=sys.stderr)  # fmt: skip
        return 2
    if args.wav and not os.path.isfile(args.wav):
        print(f"siperb: no such WAV file: {args.wav}", file=sys.stderr)
        return 2

    async def body(phone: Any, status: _Status, stop: asyncio.Event) -> int:
        status(_audio_notice(args))
        call = await phone.dial(args.target)
        ended = asyncio.ensure_future(call.wait_for("terminated"))
        answered = asyncio.ensure_future(call.wait_for("established"))
        await _wait(stop, args.answer_timeout, answered)
        if call.state.value == "established":
            media = call.sip.media
            if args.wav and isinstance(media, EngineMedia):
                from .media.audio import WavFileSource

                media.set_source(WavFileSource(args.wav, 48000))
                status(f"playing {args.wav}")
            if args.record:
                status(f"recording to {await phone.start_recording(call, args.record)}")
            reporter = asyncio.ensure_future(_report_media(call, status, args.stats_every))
            try:
                await _wait(stop, args.duration, ended)
            finally:
                reporter.cancel()
            if args.record and call.recording and not call.ended:
                await phone.stop_recording(call)
        if not call.ended:
            status("hanging up")
            await phone.end_call(call)
        for fut in (ended, answered):
            fut.cancel()
        record = await call.wait_ended(10.0)
        if record is not None:
            status(f"call ended: {record.outcome}, {record.duration or 0.0:.2f} s, "
                   f"hung up by {record.hangup_by or '-'}"
                   + (f", SIP {record.sip_status} {record.sip_reason}" if record.sip_status
                      else ""))  # fmt: skip
        return 0 if record is not None and record.outcome == "answered" else 1

    return _run(args, body)


def _cmd_listen(args: argparse.Namespace) -> int:
    async def body(phone: Any, status: _Status, stop: asyncio.Event) -> int:
        status(_audio_notice(args))
        done = asyncio.get_running_loop().create_future()
        ended = 0

        async def on_incoming(ev: Event) -> None:
            call = ev["call"]
            if args.answer:
                await call.answer()
            await call.wait_ended()
            nonlocal ended
            ended += 1
            if args.max_calls and ended >= args.max_calls and not done.done():
                done.set_result(None)

        phone.on("incoming_call", on_incoming)
        status("waiting for calls; Ctrl-C to quit")
        await _wait(stop, args.duration, done)
        return 0

    return _run(args, body)


def _cmd_devices(args: argparse.Namespace) -> int:
    try:
        from .media.audio import list_devices
    except ImportError:
        print("audio devices: needs the media engine (not built yet)")
        return 1
    try:
        devices = list_devices()
    except SiperbError as exc:  # PortAudio missing or failing: say what, not a traceback
        print(f"siperb: {exc}", file=sys.stderr)
        return 1
    if not devices:  # an empty listing would look like a hang or a crash
        print(NO_DEVICES)
        return 0
    print(device_table(devices))
    print("choose one with --input-device / --output-device (an index or part of a name)")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from .phone.history import History

    profile = args.profile
    if profile is None and (args.provisioning or args.user):
        profile = _provisioning(args, local=True).aor
    if profile is None:
        print("siperb: give --profile (the ProfileUserId) or the account", file=sys.stderr)
        return 2
    with History(profile, args.db) as history:
        if args.clear:
            print(f"cleared {history.clear()} calls of {profile}")
            return 0
        rows = history.list(limit=args.limit)
        if not rows:
            print(f"no calls recorded for {profile}")
        for r in rows:
            start = r.start_time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            arrow = "<-" if r.direction == "inbound" else "->"
            sip_status = f" SIP {r.sip_status}" if r.sip_status else ""
            print(f"{start} {arrow} {r.remote_uri:<32} {r.outcome or 'ongoing':<10} "
                  f"{r.duration or 0.0:7.2f} s  by {r.hangup_by or '-'}{sip_status}")  # fmt: skip
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.file:  # the old `siperb demo FILE` meaning: pretty-print a message
        print("siperb: `siperb demo FILE` is now `siperb parse FILE`", file=sys.stderr)
        return 2
    if args.trace:
        print("siperb: --trace applies to register, call and listen; the demo prints its own "
              "summary", file=sys.stderr)  # fmt: skip
    from .demo.runner import main as demo_main

    return demo_main(hold_seconds=args.hold, language=args.language, recording=args.record)


def _cmd_ui(args: argparse.Namespace) -> int:
    """The web phone (siperb.ui) for this account, or the demo service's with ``--demo``."""
    from .ui.desktop import run_desktop

    try:
        prov = None if args.demo else _provisioning(args)
        return asyncio.run(run_desktop(
            prov, port=args.ui_port, open_window=args.open, duration=args.duration,
            profile=args.profile, session_id=args.session_id, user_id=args.user_id,
            language=args.language, db=args.db, bind=args.bind, certificate=args.cert,
            key=args.key))  # fmt: skip
    except SiperbError as exc:
        print(f"siperb: {exc}", file=sys.stderr)
        return 1


def _account_options(p: argparse.ArgumentParser) -> None:
    logging_options(p, default=argparse.SUPPRESS)
    g = p.add_argument_group("account (a provisioning file, or flags that override it)")
    g.add_argument("--provisioning", metavar="FILE", help="JSON with the documented keys")
    g.add_argument("--server", help="SipWssServer (host; a ws:// or wss:// prefix allowed)")
    g.add_argument("--port", type=int, help="SipWebsocketPort")
    g.add_argument("--path", help="SipServerPath (e.g. /ws)")
    g.add_argument("--user", help="SipUsername")
    g.add_argument("--password", help="SipPassword (or $SIPERB_PASSWORD)")
    g.add_argument("--domain", help="SipDomain")
    g.add_argument("--display-name", help="ProfileUserName")
    g.add_argument("--mode", help="RegistrationMode: Socket (default) or Proxy")
    g.add_argument("--ws", action="store_true", help="plain ws:// (lab PBXs, loopback)")
    g.add_argument("--transport", help="SipTransport: UDP, TCP, TLS, WS or WSS (default WSS)")
    g.add_argument("--ca-file", help="SipCaFile: PEM file to verify the server's certificate")
    p.add_argument("--profile", help="ProfileUserId (default: the account's AoR)")
    p.add_argument("--session-id", default="siperb-cli", help="SessionId (Proxy mode)")
    p.add_argument("--user-id", help="UserId (Proxy mode; default the SIP user)")
    p.add_argument("--db", help="history database (default: the XDG data directory)")
    p.add_argument("--language", default="auto", help="language of status texts")
    p.add_argument("--expires", type=int, default=600, help="registration expiry (s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="siperb", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=version_text())
    logging_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse and pretty-print a SIP message (file or stdin)")
    p.add_argument("file", nargs="?", help="file with one SIP message; '-' or none for stdin")
    p.set_defaults(func=_cmd_parse, builtin_sample=False)

    d = sub.add_parser("demo", help="register and call the built-in loopback echo service")
    d.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    d.add_argument("--hold", type=float, default=3.0, help="seconds to hold the call")
    d.add_argument("--language", default="en", help="language of the status texts")
    logging_options(d, default=argparse.SUPPRESS)
    d.add_argument(
        "--record",
        metavar="FILE",
        help="keep the echo call's recording in FILE (by default it is removed)",
    )
    d.set_defaults(func=_cmd_demo)

    r = sub.add_parser("register", help="register and stay registered until Ctrl-C")
    _account_options(r)
    r.add_argument("--once", action="store_true", help="register, unregister, exit")
    r.add_argument("--duration", type=float, help="stay registered this many seconds")
    r.set_defaults(func=_cmd_register)

    c = sub.add_parser("call", help="call TARGET; Ctrl-C hangs up")
    _account_options(c)
    device_options(c)
    c.add_argument("target", help="number, user@host or SIP URI")
    c.add_argument("--duration", type=float, help="hang up this many seconds after the answer")
    c.add_argument(
        "--stats-every",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="print jitter, loss and MOS this often during the call (default 2)",
    )
    c.add_argument("--answer-timeout", type=float, default=60.0, help="give up ringing after")
    c.add_argument("--wav", help="WAV file to play into the call (needs the media engine)")
    c.add_argument("--record", help="record the call to this stereo WAV (sent left, heard right)")
    c.set_defaults(func=_cmd_call)

    listen = sub.add_parser("listen", help="answer incoming calls until Ctrl-C")
    _account_options(listen)
    device_options(listen)
    listen.add_argument("--no-answer", dest="answer", action="store_false",
                        help="only show incoming calls")  # fmt: skip
    listen.add_argument("--duration", type=float, help="quit after this many seconds")
    listen.add_argument("--max-calls", type=int, help="quit after this many calls ended")
    listen.set_defaults(func=_cmd_listen)

    dv = sub.add_parser("devices", help="list audio devices")
    dv.set_defaults(func=_cmd_devices)

    h = sub.add_parser("history", help="list (or clear) a profile's call history")
    _account_options(h)
    h.add_argument("--limit", type=int, default=20)
    h.add_argument("--clear", action="store_true")
    h.set_defaults(func=_cmd_history)

    u = sub.add_parser("ui", help="the phone's web UI in a browser window (siperb.ui)")
    _account_options(u)
    u.add_argument("--demo", action="store_true", help="use the built-in loopback echo service")
    u.add_argument("--ui-port", type=int, default=0, help="the page's port (default: free)")
    u.add_argument("--bind", default="127.0.0.1", help="address to serve on; not loopback: "
                   "https/wss only, with --cert/--key, and 'This browser' audio")  # fmt: skip
    u.add_argument("--cert", help="PEM certificate (chain) for https")
    u.add_argument("--key", help="its PEM private key (default: in --cert)")
    u.add_argument("--no-open", dest="open", action="store_false", help="only print the URL")
    u.add_argument("--duration", type=float, help="quit after this many seconds")
    u.set_defaults(func=_cmd_ui)

    from .serve.cli import add_parser as add_serve_parser  # fleets: its own module

    add_serve_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: parse ``argv`` and run the subcommand; the exit status."""
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args.func(args))
    except SiperbError as exc:
        print(f"siperb: {exc}", file=sys.stderr)
        return 1
