"""Stream framing (RFC 3261 18.3) with arbitrary chunking, and CRLF keep-alives (RFC 5626)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siperb import sip
from siperb.errors import SipParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "sip"


def message(n: int, body: bytes = b"") -> bytes:
    return (
        f"MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK{n}\r\n"
        f"To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag={n}\r\nCall-ID: c{n}\r\n"
        f"CSeq: {n} MESSAGE\r\nl: {len(body)}\r\n\r\n"
    ).encode() + body


STREAM_PARTS = [
    message(1, b"hello"),
    b"\r\n\r\n",  # ping
    message(2, b"\r\n\r\nbody with blank lines\r\n"),
    b"\r\n",  # pong
    message(3),
    (DATA / "rfc4475/mpart01.dat").read_bytes(),
    (DATA / "rfc4475/wsinv.dat").read_bytes(),
]
STREAM = b"".join(STREAM_PARTS)


def feed_chunks(framer: sip.StreamFramer, data: bytes, cuts: list[int]) -> list[sip.Message]:
    out: list[sip.Message] = []
    prev = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        out += framer.feed(data[prev:cut])
        prev = cut
    return out


def check_stream(msgs: list[sip.Message]) -> None:
    assert [m.cseq.number for m in msgs] == [1, 2, 3, 1, 9]
    assert msgs[0].body == b"hello"
    assert msgs[1].body == b"\r\n\r\nbody with blank lines\r\n"
    assert len(msgs[3].body) == 553 and msgs[4].via[1].branch == "z9hG4bK9ikj8"


def test_whole_stream_in_one_chunk() -> None:
    f = sip.StreamFramer()
    check_stream(f.feed(STREAM))
    assert f.keepalives == 1 and f.take_keepalives() == 1 and f.take_keepalives() == 0
    assert f.buffered == 0


def test_byte_by_byte() -> None:
    f = sip.StreamFramer()
    msgs = [m for i in range(len(STREAM)) for m in f.feed(STREAM[i : i + 1])]
    check_stream(msgs)
    assert f.keepalives == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=40))
def test_random_chunking(cuts: list[int]) -> None:
    f = sip.StreamFramer()
    check_stream(feed_chunks(f, STREAM, cuts))
    assert f.keepalives == 1 and f.buffered == 0


def test_partial_message_waits() -> None:
    f = sip.StreamFramer()
    data = message(5, b"0123456789")
    assert f.feed(data[:-1]) == []
    assert f.buffered == len(data) - 1
    (m,) = f.feed(data[-1:])
    assert m.body == b"0123456789"


def test_pings_counted_across_chunks() -> None:
    f = sip.StreamFramer()
    assert f.feed(b"\r") == [] and f.feed(b"\n\r") == [] and f.feed(b"\n") == []
    assert f.keepalives == 1
    f.feed(b"\r\n\r\n\r\n\r\n")
    assert f.take_keepalives() == 3


@pytest.mark.parametrize("cl", [b"-1", b"abc", b"1.5", b""])
def test_bad_content_length_is_a_framing_error(cl: bytes) -> None:
    f = sip.StreamFramer()
    data = message(1).replace(b"l: 0", b"Content-Length: " + cl)
    with pytest.raises(SipParseError) as info:
        f.feed(data)
    assert info.value.field == "Content-Length"
    assert f.buffered == 0  # the connection cannot be resynchronised


def test_missing_content_length_means_empty_body() -> None:
    (m,) = sip.StreamFramer().feed(message(1).replace(b"l: 0\r\n", b""))
    assert m.body == b"" and m.content_length is None


def test_size_bound() -> None:
    f = sip.StreamFramer(max_message_size=300)
    assert f.max_message_size == 300
    with pytest.raises(SipParseError) as info:
        f.feed(message(1, b"x" * 400))
    assert info.value.field == "framing"
    f = sip.StreamFramer(max_message_size=100)
    with pytest.raises(SipParseError):
        f.feed(b"INVITE sip:a@b SIP/2.0\r\nX: " + b"y" * 200)  # header section never ends


def test_malformed_message_after_good_ones_is_not_lost() -> None:
    f = sip.StreamFramer()
    bad = message(2).replace(b"CSeq: 2 MESSAGE", b"CSeq: 2 INVITE")
    (good,) = f.feed(message(1) + bad + message(3))
    assert good.cseq.number == 1
    with pytest.raises(SipParseError) as info:
        f.feed(b"")
    assert info.value.field == "CSeq"
    (after,) = f.feed(b"")
    assert after.cseq.number == 3


def test_large_body_fed_in_small_chunks() -> None:
    body = bytes(range(256)) * 200
    data = message(7, body)
    f = sip.StreamFramer(max_message_size=len(data))
    out = [m for i in range(0, len(data), 7) for m in f.feed(data[i : i + 7])]
    assert len(out) == 1 and out[0].body == body
