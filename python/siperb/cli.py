"""The ``siperb`` command.

Today it parses SIP: ``siperb parse [FILE]`` pretty-prints a SIP message from a file or stdin,
and ``siperb demo`` does the same with a built-in INVITE when nothing is piped in. The call demo
replaces ``demo`` once the user agent and the media engine land.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import sip
from .errors import SiperbError

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
    lines.append(f"  CSeq      {cseq.number} {cseq.method}")
    for name, addr in (("From", message.from_), ("To", message.to)):
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="siperb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse and pretty-print a SIP message (file or stdin)")
    p.add_argument("file", nargs="?", help="file with one SIP message; '-' or none for stdin")
    p.set_defaults(func=_cmd_parse, builtin_sample=False)
    d = sub.add_parser("demo", help="parse a SIP message from FILE or stdin, or a built-in one")
    d.add_argument("file", nargs="?", help="file with one SIP message")
    d.set_defaults(func=_cmd_parse, builtin_sample=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
