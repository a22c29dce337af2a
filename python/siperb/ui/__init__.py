"""The PhoneFrame as a web page served by this process (the SDK's iframe UI).

``WebFrame`` implements :class:`siperb.phone.frame.PhoneFrame`: pass it as ``PhoneFrame`` to
``ProvisionPhone`` and put ``frame.url`` in an ``<iframe src>``. The page and its control
protocol are described in :mod:`siperb.ui.protocol` and docs/ui-protocol.md.
"""

from __future__ import annotations

from .pages import page_weight
from .protocol import Command, parse_command
from .server import WebFrame

__all__ = ["Command", "WebFrame", "page_weight", "parse_command"]
