"""siperb: a real telephone inside a Python program.

The native core (``siperb._core``, C++20) parses and builds wire formats and moves audio;
this package is the API. Import from here, never from ``_core``.
"""

from __future__ import annotations

from . import dtmf, errors, jitterbuffer, rtcp, rtp
from .errors import SiperbError

__version__ = "0.1.0"

__all__ = [
    "SiperbError",
    "__version__",
    "dtmf",
    "errors",
    "jitterbuffer",
    "rtcp",
    "rtp",
]
