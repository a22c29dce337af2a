# Type stub for the native module siperb._core. Users import from siperb, not from here.

# --- rtp ---
# (imports carry noqa: sections of the stub are appended by area, so none is at the very top)
from enum import Enum  # noqa: E402, RUF100

import numpy as np  # noqa: E402, RUF100
import numpy.typing as npt  # noqa: E402, RUF100

class RtpExtension:
    profile: int
    data: bytes
    def __init__(self, profile: int, data: bytes = b"") -> None: ...

class RtpPacket:
    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    marker: bool
    csrc: list[int]
    extension: RtpExtension | None
    payload: bytes
    padding_size: int
    def __init__(
        self,
        payload_type: int = 0,
        sequence_number: int = 0,
        timestamp: int = 0,
        ssrc: int = 0,
        marker: bool = False,
        payload: bytes = b"",
        csrc: list[int] = ...,
        extension: RtpExtension | None = None,
        padding_size: int = 0,
    ) -> None: ...
    @staticmethod
    def parse(data: bytes | bytearray) -> RtpPacket: ...
    def build(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...

def rtp_peek(data: bytes | bytearray) -> tuple[int, int, int, int, bool, int, int]: ...
def rtp_parse_extension_elements(profile: int, data: bytes) -> list[tuple[int, bytes]]: ...
def rtp_build_extension_elements(
    elements: list[tuple[int, bytes]], two_byte: bool = False
) -> RtpExtension: ...
def seq_diff(a: int, b: int) -> int: ...
def ts_diff(a: int, b: int) -> int: ...

class SeqUnwrapper:
    def unwrap(self, value: int) -> int: ...

class TimestampUnwrapper:
    def unwrap(self, value: int) -> int: ...

class ReceptionReport:
    fraction_lost: int
    cumulative_lost: int
    extended_highest_seq: int
    jitter: int

class RtpReceiverStats:
    def __init__(self, clock_rate: int) -> None: ...
    def update(self, sequence_number: int, timestamp: int, arrival_ms: float) -> bool: ...
    def report(self) -> ReceptionReport: ...
    valid: bool
    extended_highest_seq: int
    cycles: int
    base_seq: int
    received: int
    expected: int
    lost: int
    jitter: float
    jitter_ms: float
    clock_rate: int

class RtcpReportBlock:
    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    extended_highest_seq: int
    jitter: int
    lsr: int
    dlsr: int
    def __init__(
        self,
        ssrc: int = 0,
        fraction_lost: int = 0,
        cumulative_lost: int = 0,
        extended_highest_seq: int = 0,
        jitter: int = 0,
        lsr: int = 0,
        dlsr: int = 0,
    ) -> None: ...

class RtcpSenderReport:
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: list[RtcpReportBlock]
    extension: bytes
    def __init__(
        self,
        ssrc: int = 0,
        ntp_timestamp: int = 0,
        rtp_timestamp: int = 0,
        packet_count: int = 0,
        octet_count: int = 0,
        reports: list[RtcpReportBlock] = ...,
    ) -> None: ...

class RtcpReceiverReport:
    ssrc: int
    reports: list[RtcpReportBlock]
    extension: bytes
    def __init__(self, ssrc: int = 0, reports: list[RtcpReportBlock] = ...) -> None: ...

class RtcpSdesItem:
    type: int
    value: bytes
    def __init__(self, type: int, value: str | bytes) -> None: ...

class RtcpSdesChunk:
    ssrc: int
    items: list[RtcpSdesItem]
    def __init__(self, ssrc: int, items: list[RtcpSdesItem] = ...) -> None: ...

class RtcpSdes:
    chunks: list[RtcpSdesChunk]
    def __init__(self, chunks: list[RtcpSdesChunk] = ...) -> None: ...

class RtcpBye:
    sources: list[int]
    reason: bytes | None
    def __init__(self, sources: list[int] = ..., reason: str | bytes | None = None) -> None: ...

class RtcpApp:
    subtype: int
    ssrc: int
    name: str
    data: bytes
    def __init__(
        self, subtype: int = 0, ssrc: int = 0, name: str = "", data: bytes = b""
    ) -> None: ...

class RtcpUnknown:
    packet_type: int
    count: int
    body: bytes
    def __init__(self, packet_type: int, count: int = 0, body: bytes = b"") -> None: ...

_RtcpAny = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpApp | RtcpUnknown

def rtcp_parse_compound(data: bytes, strict: bool = True) -> list[_RtcpAny]: ...
def rtcp_build_compound(packets: list[_RtcpAny]) -> bytes: ...
def rtcp_round_trip_time(block: RtcpReportBlock, arrival_ntp: int) -> float | None: ...
def ntp_from_unix(unix_seconds: float) -> int: ...
def ntp_to_unix(ntp: int) -> float: ...
def ntp_middle32(ntp: int) -> int: ...

class TelephoneEvent:
    event: int
    end: bool
    volume: int
    duration: int
    def __init__(
        self, event: int, end: bool = False, volume: int = 10, duration: int = 0
    ) -> None: ...
    @staticmethod
    def parse(data: bytes) -> TelephoneEvent: ...
    def build(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...

def event_from_digit(digit: str) -> int: ...
def digit_from_event(event: int) -> str: ...

class DtmfPacket:
    marker: bool
    timestamp: int
    event: TelephoneEvent
    payload: bytes

class DtmfSender:
    def __init__(
        self, clock_rate: int = 8000, packet_ms: int = 20, volume: int = 10, end_repeats: int = 3
    ) -> None: ...
    def packets(self, digit: str, duration_ms: int, timestamp: int) -> list[DtmfPacket]: ...

class DtmfDigit:
    digit: str
    event: int
    timestamp: int
    duration: int
    volume: int
    ended: bool

class DtmfDetector:
    clock_rate: int
    def __init__(self, clock_rate: int = 8000) -> None: ...
    def push(self, timestamp: int, payload: bytes) -> list[DtmfDigit]: ...
    def flush(self) -> list[DtmfDigit]: ...

# --- jbuf ---

class FrameKind(Enum):
    PACKET = ...
    CONCEAL = ...
    SILENCE = ...

class Stretch(Enum):
    NONE = ...
    ACCELERATE = ...
    DECELERATE = ...

class Frame:
    kind: FrameKind
    stretch: Stretch
    stretch_samples: int
    samples: int
    sequence_number: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes
    next_available: bool
    next_payload: bytes

class JitterBufferStats:
    current_delay_ms: float
    target_delay_ms: float
    received: int
    late: int
    lost: int
    duplicated: int
    discarded: int
    played: int
    concealed: int
    silence: int
    accelerated: int
    decelerated: int
    resyncs: int

class JitterBuffer:
    def __init__(
        self,
        clock_rate: int = 8000,
        frame_ms: int = 20,
        min_delay_ms: int = 0,
        max_delay_ms: int = 500,
        start_delay_ms: int = 40,
        max_expand_ms: int = 200,
        quantile: float = ...,
        forget_factor: float = ...,
        margin_ms: float = 4.0,
        accelerate_interval: int = 1,
        history_ms: int = 750,
    ) -> None: ...
    def put(
        self,
        sequence_number: int,
        timestamp: int,
        payload: bytes,
        arrival_ms: float,
        ssrc: int = 0,
        marker: bool = False,
    ) -> None: ...
    def get(self, now_ms: float, pending_ms: float = 0.0) -> Frame: ...
    def reset(self) -> None: ...
    def stats(self) -> JitterBufferStats: ...
    @property
    def target_delay_ms(self) -> float: ...
    def __len__(self) -> int: ...

class G711Plc:
    def __init__(self, sample_rate: int = 8000) -> None: ...
    def good_frame(self, pcm: npt.ArrayLike) -> npt.NDArray[np.int16]: ...
    def conceal(self, samples: int) -> npt.NDArray[np.int16]: ...
    sample_rate: int
    delay_samples: int
    frame_samples: int
    pitch: int
    erased_frames: int

class SpeexJitterBuffer:
    def __init__(self, frame_samples: int) -> None: ...
    def put(self, sequence_number: int, timestamp: int, payload: bytes) -> None: ...
    def get(self) -> Frame: ...
