"""RFC 4733 telephone-event payloads, the sender sequence and exactly-once detection."""

from __future__ import annotations

import random

import pytest

from siperb.errors import RtpError
from siperb.media.dtmf import (
    DIGITS,
    DtmfDetector,
    DtmfSender,
    TelephoneEvent,
    digit_from_event,
    duration_ms,
    event_from_digit,
)


def test_payload_layout_and_round_trip() -> None:
    ev = TelephoneEvent(11, end=True, volume=63, duration=0x1234)
    data = bytes(ev)
    assert data == b"\x0b\xbf\x12\x34"
    assert TelephoneEvent.parse(data) == ev
    # the reserved bit is ignored on receipt
    assert TelephoneEvent.parse(b"\x05\x4a\x00\xa0") == TelephoneEvent(
        5, end=False, volume=10, duration=160
    )


def test_payload_errors() -> None:
    with pytest.raises(RtpError) as exc:
        TelephoneEvent.parse(b"\x01\x02\x03")
    assert exc.value.field == "telephone-event"
    with pytest.raises(RtpError) as exc:
        TelephoneEvent(1, volume=64).build()
    assert exc.value.field == "volume"


def test_digit_mapping() -> None:
    assert [event_from_digit(d) for d in DIGITS] == list(range(16))
    assert event_from_digit("a") == 12
    assert "".join(digit_from_event(e) for e in range(16)) == DIGITS
    assert digit_from_event(16) == ""
    with pytest.raises(RtpError):
        event_from_digit("x")


def test_sender_sequence() -> None:
    pkts = DtmfSender(8000, 20, volume=7).packets("#", 100, 12345)
    assert [p.marker for p in pkts] == [True] + [False] * (len(pkts) - 1)
    assert {p.timestamp for p in pkts} == {12345}
    durs = [p.event.duration for p in pkts]
    assert durs[:4] == [160, 320, 480, 640]
    assert durs[4:] == [800, 800, 800]
    assert [p.event.end for p in pkts] == [False] * 4 + [True] * 3
    assert all(p.event.event == 11 and p.event.volume == 7 for p in pkts)
    assert pkts[-1].payload == bytes(pkts[-1].event)


def test_sender_limits() -> None:
    with pytest.raises(RtpError):
        DtmfSender().packets("1", 9000, 0)  # 72000 samples > 16 bits
    with pytest.raises(RtpError):
        DtmfSender().packets("1", 0, 0)
    short = DtmfSender().packets("1", 10, 0)  # shorter than one packet: only the end packets
    assert [p.event.end for p in short] == [True] * 3 and short[0].marker


def stream(digits: str, start_ts: int = 1000, gap: int = 1600) -> list[tuple[int, bytes]]:
    sender = DtmfSender(8000, 20)
    out: list[tuple[int, bytes]] = []
    ts = start_ts
    for d in digits:
        out += [(p.timestamp, p.payload) for p in sender.packets(d, 120, ts & 0xFFFFFFFF)]
        ts += 960 + gap
    return out


def detect(packets: list[tuple[int, bytes]]) -> list[tuple[str, int]]:
    det = DtmfDetector(8000)
    got = [(d.digit, d.duration) for ts, p in packets for d in det.push(ts, p)]
    return got + [(d.digit, d.duration) for d in det.flush()]


def test_detector_clean_stream() -> None:
    assert detect(stream("123*#ABCD")) == [(d, 960) for d in "123*#ABCD"]


def test_detector_exactly_once_with_duplicates_loss_and_reorder() -> None:
    rnd = random.Random(4733)
    digits = "0123456789*#ABCD" * 2
    for _ in range(30):
        pkts = stream(digits)
        noisy: list[tuple[int, bytes]] = []
        for p in pkts:
            if rnd.random() < 0.2:
                continue  # lost
            noisy.append(p)
            if rnd.random() < 0.2:
                noisy.append(p)  # duplicated
        # local reordering within a window of 3 packets
        for i in range(0, len(noisy) - 3, 3):
            window = noisy[i : i + 3]
            rnd.shuffle(window)
            noisy[i : i + 3] = window
        got = detect(noisy)
        assert [d for d, _ in got] == list(digits)


def test_detector_duration_when_end_packets_survive() -> None:
    pkts = stream("5")
    # lose all updates, keep one end packet
    assert detect([pkts[-1]]) == [("5", 960)]


def test_detector_all_end_packets_lost_reports_at_next_event() -> None:
    pkts = stream("78")
    first = [
        p
        for p in pkts
        if TelephoneEvent.parse(p[1]).event == 7 and not TelephoneEvent.parse(p[1]).end
    ]
    second = [p for p in pkts if TelephoneEvent.parse(p[1]).event == 8]
    det = DtmfDetector()
    out = [d for ts, p in first for d in det.push(ts, p)]
    assert out == []
    out = [d for ts, p in second for d in det.push(ts, p)]
    assert [(d.digit, d.ended) for d in out] == [("7", False), ("8", True)]
    assert out[0].duration == 800  # the last update seen


def test_same_digit_twice_is_two_events() -> None:
    got = detect(stream("55"))
    assert got == [("5", 960), ("5", 960)]


def test_timestamp_wrap() -> None:
    assert [d for d, _ in detect(stream("12", start_ts=0xFFFFFF00))] == ["1", "2"]


def test_duration_ms() -> None:
    det = DtmfDetector()
    (digit,) = det.push(0, bytes(TelephoneEvent(1, end=True, duration=800)))
    assert duration_ms(digit) == 100.0
