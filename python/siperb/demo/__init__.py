"""The built-in demo: a loopback SIP service (registrar + echo peer) and the demo runner."""

from __future__ import annotations

from .runner import AUDIO_PENDING, DemoReport, manual_provisioning, run_demo
from .service import CALLBACK_USER, DEMO_PASSWORD, DEMO_USER, ECHO_USER, LoopbackService

__all__ = [
    "AUDIO_PENDING",
    "CALLBACK_USER",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "ECHO_USER",
    "DemoReport",
    "LoopbackService",
    "manual_provisioning",
    "run_demo",
]
