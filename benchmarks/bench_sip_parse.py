"""SIP parsing from Python: siperb's native parser against the pure-Python parsers a user would
pick instead (sipmessage, sippy, pyVoIP), each parsing the message and then reading Call-ID,
CSeq number, From tag and the top Via branch (the fields a transaction layer needs first).

Run: ``make bench`` (or ``pytest benchmarks/bench_sip_parse.py --benchmark-only``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sip_messages import MESSAGES
from siperb import sip

Reader = Callable[[bytes], tuple[Any, ...]]


def read_siperb(data: bytes) -> tuple[Any, ...]:
    m = sip.parse(data)
    return m.call_id, m.cseq.number, m.from_.tag, m.via[0].branch


def read_sipmessage(data: bytes) -> tuple[Any, ...]:
    import sipmessage

    m = sipmessage.Message.parse(data)
    return (
        m.call_id,
        m.cseq.sequence,
        m.from_address.parameters.get("tag"),
        m.via[0].parameters.get("branch"),
    )


def read_sippy(data: bytes) -> tuple[Any, ...]:
    from sippy.SipRequest import SipRequest
    from sippy.SipResponse import SipResponse

    text = data.decode()
    m = SipResponse(buf=text) if text.startswith("SIP/2.0 ") else SipRequest(buf=text)
    return (
        str(m.getHFBody("call-id")),
        m.getHFBody("cseq").getCSeqNum(),
        m.getHFBody("from").getTag(),
        m.getHFBody("via").getBranch(),
    )


def read_pyvoip(data: bytes) -> tuple[Any, ...]:
    import pyVoIP.VoIP  # noqa: F401  (pyVoIP.SIP cannot be imported first: circular import)
    from pyVoIP.SIP import SIPMessage

    m = SIPMessage(data)
    return (
        m.headers["Call-ID"],
        int(m.headers["CSeq"]["check"]),
        m.headers["From"]["tag"],
        m.headers["Via"][0]["branch"],
    )


READERS: dict[str, Reader] = {
    "siperb": read_siperb,
    "sipmessage": read_sipmessage,
    "sippy": read_sippy,
    "pyVoIP": read_pyvoip,
}


@pytest.mark.parametrize("message", sorted(MESSAGES))
@pytest.mark.parametrize("impl", list(READERS))
def test_parse_and_read(benchmark: Any, impl: str, message: str) -> None:
    data = MESSAGES[message]
    reader = READERS[impl]
    try:
        expected = read_siperb(data)
        got = reader(data)
    except ImportError:
        pytest.skip(f"{impl} is not installed")
    except Exception as exc:  # the alternative cannot parse this message at all
        if impl == "siperb":
            raise
        pytest.skip(f"{impl} cannot parse a {message}: {exc!r}")
    # Every implementation must read the same values, or the comparison means nothing.
    assert tuple(str(v) for v in got) == tuple(str(v) for v in expected)
    benchmark.group = f"sip parse + 4 fields: {message}"
    benchmark.extra_info["impl"] = impl
    benchmark(reader, data)
