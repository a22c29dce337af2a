"""``python -m siperb.demo``: run the loopback SIP service alone (for other phones to try)."""

import asyncio
import contextlib

from siperb.demo.service import serve_forever

with contextlib.suppress(KeyboardInterrupt):
    asyncio.run(serve_forever())
