"""Fleets: ``siperb serve module:handle`` runs a call handler in worker processes behind
Kamailio's dispatcher.

- :mod:`.handler`: the API a program writes against (``async def handle(call)``).
- :mod:`.worker`: one worker (a phone on its own port, a gate that answers 503 when full or
  draining, a structured log line per call, metrics).
- :mod:`.supervisor`: N worker processes, restarted when they crash, drained on SIGTERM.
- :mod:`.kamailio`: the shipped Kamailio dispatcher config, rendered for the workers.
- :mod:`.campaign`: outbound calls with the same handler.
"""

from __future__ import annotations

from .campaign import run_campaign
from .handler import Handler, HandlerCall, load_handler
from .kamailio import KamailioFiles, render_kamailio
from .metrics import MetricsServer, WorkerMetrics
from .supervisor import Supervisor, run_worker
from .worker import ServeWorker, WorkerConfig

__all__ = [
    "Handler",
    "HandlerCall",
    "KamailioFiles",
    "MetricsServer",
    "ServeWorker",
    "Supervisor",
    "WorkerConfig",
    "WorkerMetrics",
    "load_handler",
    "render_kamailio",
    "run_campaign",
    "run_worker",
]
