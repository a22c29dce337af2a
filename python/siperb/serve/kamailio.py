"""Render the shipped Kamailio configuration for a list of worker addresses.

:func:`render_kamailio` fills ``kamailio_dispatcher.cfg`` (shipped in this package, documented
in its header) and writes ``dispatcher.list`` with one line per worker (set 1, with the
``duid`` and ``maxload`` the call-load algorithm needs) and per gateway (set 2, where calls the
workers place go). ``siperb serve --render-kamailio DIR`` calls it; ``kamailio -f DIR/kamailio.cfg``
then runs the balancer. Kamailio is the balancer: nothing here balances calls itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import SiperbError

__all__ = ["KamailioFiles", "dispatcher_list", "render_kamailio"]

MODULE_PATH = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
_HOSTPORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


@dataclass(frozen=True)
class KamailioFiles:
    """The rendered files: ``kamailio.cfg`` and ``dispatcher.list``."""

    config: str
    dispatcher_list: str

    def write(self, directory: str | Path) -> Path:
        """Write both files into ``directory``; the path of kamailio.cfg."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "dispatcher.list").write_text(self.dispatcher_list)
        cfg = out / "kamailio.cfg"
        cfg.write_text(self.config)
        return cfg


def _address(value: str, field: str) -> str:
    m = _HOSTPORT.match(value.strip())
    if m is None or not 0 < int(m.group(2)) < 65536:
        raise SiperbError(f"{field}: expected host:port, got {value!r}", field=field)
    return f"{m.group(1)}:{m.group(2)}"


def dispatcher_list(
    workers: Sequence[str], gateways: Sequence[str] = (), *, max_load: int = 50
) -> str:
    """``dispatcher.list``: set 1 the workers (``duid``, ``maxload``), set 2 the gateways."""
    if not workers:
        raise SiperbError("no worker addresses given", field="workers")
    lines = ["# setid destination flags priority attrs"]
    for i, w in enumerate(workers):
        addr = _address(w, "workers")
        lines.append(f"1 sip:{addr} 0 0 duid=w{i};maxload={max_load}")
    for i, g in enumerate(gateways):
        lines.append(f"2 sip:{_address(g, 'gateways')} 0 0 duid=g{i}")
    return "\n".join(lines) + "\n"


def render_kamailio(
    workers: Sequence[str],
    *,
    listen: str = "127.0.0.1:5060",
    directory: str | Path = ".",
    gateways: Sequence[str] = (),
    max_load: int = 50,
    ping_interval: int = 2,
    probe_threshold: int = 1,
    active_threshold: int = 1,
    fr_timer_ms: int = 2000,
    children: int = 4,
    debug: int = 2,
    module_path: str = MODULE_PATH,
) -> KamailioFiles:
    """The config for Kamailio listening on UDP ``listen``, balancing over ``workers``
    (``host:port`` each); ``directory`` is where the files will live (they name each other)."""
    listen_addr = _address(listen, "listen")
    host, _, port = listen_addr.rpartition(":")
    base = Path(directory).resolve()
    for name, value in (
        ("ping_interval", ping_interval),
        ("probe_threshold", probe_threshold),
        ("active_threshold", active_threshold),
        ("fr_timer_ms", fr_timer_ms),
        ("children", children),
        ("max_load", max_load),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SiperbError(f"{name}: must be a positive integer, got {value!r}", field=name)
    values = {
        "DEBUG": str(debug),
        "CHILDREN": str(children),
        "LISTEN_HOST": host,
        "LISTEN_PORT": port,
        "MODULE_PATH": module_path,
        "CTL_SOCKET": str(base / "kamailio-ctl.sock"),
        "LIST_FILE": str(base / "dispatcher.list"),
        "PING_INTERVAL": str(ping_interval),
        "PROBE_THRESHOLD": str(probe_threshold),
        "ACTIVE_THRESHOLD": str(active_threshold),
        "FR_TIMER_MS": str(fr_timer_ms),
    }
    text = resources.files(__package__).joinpath("kamailio_dispatcher.cfg").read_text()
    for key, filled in values.items():
        text = text.replace(f"@@{key}@@", filled)
    if re.search(r"@@[A-Z_]+@@", text):
        raise SiperbError("kamailio template: an unfilled placeholder", field="template")
    return KamailioFiles(text, dispatcher_list(workers, gateways, max_load=max_load))
