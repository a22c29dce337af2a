"""``siperb serve module:handle``: the subcommand's flags and what they run.

Without ``--worker-index`` it supervises ``--workers`` processes (default: one per core), each
the same command with ``--worker-index i``: worker i listens on the ``--listen`` port + i and
serves metrics on the ``--metrics-port`` + i (a free port with 0). ``--render-kamailio DIR``
writes the Kamailio config for those worker addresses instead of serving.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

__all__ = ["add_parser"]


def _hostport(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected host:port, got {value!r}")
    return host.strip("[]"), int(port)


def add_parser(sub: Any) -> None:
    """Add ``serve`` to the ``siperb`` command's subparsers."""
    s = sub.add_parser("serve", help="run a call handler (module:function) in worker processes")
    s.add_argument("handler", nargs="?", help="the async handler, as package.module:function")
    s.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: one per core)",
    )
    s.add_argument(
        "--listen",
        type=_hostport,
        default=("127.0.0.1", 5080),
        help="SIP UDP address of worker 0 (worker i: port + i)",
    )
    s.add_argument(
        "--proxy",
        default="127.0.0.1:5060",
        help="host:port of the SIP router (Kamailio) the workers send through",
    )
    s.add_argument("--user", default="siperb", help="the workers' SIP user")
    s.add_argument("--domain", help="SIP domain (default: the proxy's host)")
    s.add_argument("--password", help="SIP password for --register (or $SIPERB_PASSWORD)")
    s.add_argument(
        "--register",
        action="store_true",
        help="each worker registers as one more Contact of user@domain",
    )
    s.add_argument("--profile", default="siperb-serve", help="ProfileUserId of the history")
    s.add_argument("--history", help="SQLite file or postgresql:// URL (shared by workers)")
    s.add_argument("--max-calls", type=int, default=50, help="calls per worker, then 503")
    s.add_argument("--max-ringing", type=int, default=20, help="unanswered calls per worker")
    s.add_argument("--retry-after", type=int, default=5, help="Retry-After of the 503 (s)")
    s.add_argument(
        "--metrics-port",
        type=int,
        help="Prometheus /metrics on 127.0.0.1 (worker i: port + i; 0: free ports)",
    )
    s.add_argument(
        "--drain-timeout",
        type=float,
        default=30.0,
        help="on SIGTERM, wait this long for calls to end before hanging up",
    )
    s.add_argument(
        "--media-timeout",
        type=float,
        default=30.0,
        help="hang up a call after this many seconds without RTP (0: never)",
    )
    s.add_argument("--app-dir", default=".", help="put this directory on sys.path first")
    s.add_argument(
        "--campaign",
        metavar="FILE",
        help="call these targets (one a line), split over the workers, then exit",
    )
    s.add_argument("--concurrency", type=int, default=4, help="campaign calls up per worker")
    s.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    k = s.add_argument_group("Kamailio (render its config instead of serving)")
    k.add_argument("--render-kamailio", metavar="DIR", help="write kamailio.cfg + dispatcher.list")
    k.add_argument("--kamailio-listen", default="127.0.0.1:5060", help="Kamailio's UDP address")
    k.add_argument(
        "--gateway",
        action="append",
        default=[],
        help="host:port where the workers' outbound calls go (repeatable)",
    )
    k.add_argument("--ping-interval", type=int, default=2, help="OPTIONS probe period (s)")
    s.set_defaults(func=_cmd_serve)


def _worker_config(args: argparse.Namespace, index: int) -> Any:
    from .worker import WorkerConfig

    host, port = args.listen
    metrics = None
    if args.metrics_port is not None:
        metrics = args.metrics_port + index if args.metrics_port else 0
    return WorkerConfig(
        handler=args.handler,
        proxy=args.proxy,
        listen_host=host,
        listen_port=port + index,
        user=args.user,
        domain=args.domain,
        password=args.password or os.environ.get("SIPERB_PASSWORD"),
        register=args.register,
        profile_user_id=args.profile,
        history=args.history,
        max_calls=args.max_calls,
        max_ringing_calls=args.max_ringing,
        retry_after=args.retry_after,
        metrics_port=metrics,
        index=index,
        drain_timeout=args.drain_timeout,
        media_timeout=args.media_timeout or None,
    )


def _campaign(args: argparse.Namespace) -> list[str]:
    """The targets of ``--campaign FILE`` (one a line; blank and # lines skipped)."""
    from ..errors import SiperbError

    if not args.campaign:
        return []
    try:
        with open(args.campaign, encoding="utf-8") as f:
            return [t.strip() for t in f if t.strip() and not t.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise SiperbError(f"--campaign: {exc}", field="campaign") from None


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..errors import SiperbError

    if args.workers < 1:
        raise SiperbError("--workers must be at least 1", field="workers")
    host, port = args.listen
    if args.render_kamailio:
        from .kamailio import render_kamailio

        workers = [f"{host}:{port + i}" for i in range(args.workers)]
        files = render_kamailio(
            workers,
            listen=args.kamailio_listen,
            directory=args.render_kamailio,
            gateways=args.gateway,
            max_load=args.max_calls,
            ping_interval=args.ping_interval,
        )
        print(files.write(args.render_kamailio))
        return 0
    if not args.handler:
        raise SiperbError("give the handler as package.module:function", field="handler")
    app_dir = os.path.abspath(args.app_dir)
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    from .handler import load_handler

    load_handler(args.handler)  # a bad handler fails here, once, not in N restarting workers
    _campaign(args)  # and so does an unreadable campaign file
    if args.worker_index is not None:
        from .supervisor import run_worker

        targets = _campaign(args)[args.worker_index :: args.workers]
        return run_worker(_worker_config(args, args.worker_index), targets, args.concurrency)
    from .supervisor import Supervisor

    base = [sys.executable, "-m", "siperb", *sys.argv[1:]]
    if sys.argv[1:2] != ["serve"]:  # called as a function (tests): rebuild from args
        raise SiperbError("siperb serve supervises only from the command line", field="argv")
    supervisor = Supervisor(
        lambda i: [*base, "--worker-index", str(i)], args.workers, drain_timeout=args.drain_timeout
    )
    return asyncio.run(supervisor.run())
