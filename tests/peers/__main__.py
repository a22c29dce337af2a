"""Manual runs: `PYTHONPATH=tests python -m peers [--defaults]` starts Kamailio on loopback
(free ports, or 5060/5061/8088/8089 with --defaults) and prints where and who, until Ctrl-C."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from .kamailio import ACCOUNTS, DOMAIN, KamailioPorts, start_kamailio


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m peers")
    parser.add_argument("--defaults", action="store_true", help="documented default ports")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="siperb-peers-"))
    ports = KamailioPorts.defaults() if args.defaults else None
    kam = start_kamailio(workdir / "kamailio", ports=ports)
    try:
        for t in ("udp", "tcp", "tls"):
            print(f"{t:4} {kam.uri(t)}")
        print(f"ws   {kam.ws_url()}\nwss  {kam.ws_url(secure=True)}")
        print(f"domain {DOMAIN}; accounts: {', '.join(f'{u}/{p}' for u, p in ACCOUNTS.items())}")
        print(f"log {kam.process.log_path}; Ctrl-C stops")
        while kam.process.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        kam.stop()


if __name__ == "__main__":
    main()
