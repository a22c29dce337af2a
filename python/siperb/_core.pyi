# Type stub for the native module siperb._core. Users import from siperb, not from here.

from collections.abc import Sequence as _Sequence
from enum import Enum
from typing import Any

import numpy as _np
import numpy as np
import numpy.typing as _npt
import numpy.typing as npt
from typing_extensions import Buffer as _Buffer

# --- sip ---
class Uri:
    @staticmethod
    def parse(text: str) -> Uri: ...
    @property
    def raw(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def user(self) -> str | None: ...
    @property
    def password(self) -> str | None: ...
    @property
    def host(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def opaque(self) -> str | None: ...
    @property
    def params(self) -> dict[str, str | None]: ...
    @property
    def headers(self) -> dict[str, str]: ...
    def param(self, name: str) -> str | None: ...
    def equals(self, other: Uri) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Via:
    @property
    def raw(self) -> str: ...
    @property
    def protocol(self) -> str: ...
    @property
    def transport(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int | None: ...
    @property
    def branch(self) -> str | None: ...
    @property
    def received(self) -> str | None: ...
    @property
    def rport(self) -> bool | int | None: ...
    @property
    def maddr(self) -> str | None: ...
    @property
    def ttl(self) -> int | None: ...
    @property
    def params(self) -> dict[str, str | None]: ...

class NameAddr:
    @property
    def raw(self) -> str: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def uri(self) -> Uri: ...
    @property
    def tag(self) -> str | None: ...
    @property
    def params(self) -> dict[str, str | None]: ...
    @property
    def expires(self) -> int | None: ...
    @property
    def q(self) -> float | None: ...

class CSeq:
    @property
    def number(self) -> int: ...
    @property
    def method(self) -> str: ...

class Challenge:
    @property
    def scheme(self) -> str: ...
    @property
    def params(self) -> dict[str, str]: ...
    @property
    def token68(self) -> str | None: ...

class Replaces:
    @property
    def call_id(self) -> str: ...
    @property
    def to_tag(self) -> str: ...
    @property
    def from_tag(self) -> str: ...
    @property
    def early_only(self) -> bool: ...
    @property
    def params(self) -> dict[str, str | None]: ...

class Event:
    @property
    def package(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def params(self) -> dict[str, str | None]: ...

class SubscriptionState:
    @property
    def state(self) -> str: ...
    @property
    def expires(self) -> int | None: ...
    @property
    def retry_after(self) -> int | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def params(self) -> dict[str, str | None]: ...

class Reason:
    @property
    def protocol(self) -> str: ...
    @property
    def cause(self) -> int | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def params(self) -> dict[str, str | None]: ...

class Message:
    @property
    def is_request(self) -> bool: ...
    @property
    def method(self) -> str | None: ...
    @property
    def uri(self) -> Uri | None: ...
    @property
    def status(self) -> int | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def version(self) -> str: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    def header(self, name: str) -> str | None: ...
    def header_values(self, name: str) -> list[str]: ...
    @property
    def via(self) -> list[Via]: ...
    @property
    def from_(self) -> NameAddr | None: ...
    @property
    def to(self) -> NameAddr | None: ...
    @property
    def call_id(self) -> str | None: ...
    @property
    def cseq(self) -> CSeq | None: ...
    @property
    def contact(self) -> list[NameAddr]: ...
    @property
    def contact_star(self) -> bool: ...
    @property
    def route(self) -> list[NameAddr]: ...
    @property
    def record_route(self) -> list[NameAddr]: ...
    @property
    def max_forwards(self) -> int | None: ...
    @property
    def content_length(self) -> int | None: ...
    @property
    def content_type(self) -> str | None: ...
    @property
    def expires(self) -> int | None: ...
    @property
    def authorization(self) -> list[Challenge]: ...
    @property
    def proxy_authorization(self) -> list[Challenge]: ...
    @property
    def www_authenticate(self) -> list[Challenge]: ...
    @property
    def proxy_authenticate(self) -> list[Challenge]: ...
    @property
    def refer_to(self) -> NameAddr | None: ...
    @property
    def referred_by(self) -> NameAddr | None: ...
    @property
    def replaces(self) -> Replaces | None: ...
    @property
    def event(self) -> Event | None: ...
    @property
    def subscription_state(self) -> SubscriptionState | None: ...
    @property
    def allow(self) -> list[str]: ...
    @property
    def supported(self) -> list[str]: ...
    @property
    def require(self) -> list[str]: ...
    @property
    def proxy_require(self) -> list[str]: ...
    @property
    def reason_header(self) -> list[Reason]: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def body(self) -> bytes: ...
    def __bytes__(self) -> bytes: ...
    def with_header(self, name: str, value: str) -> Message: ...
    def with_added_header(self, name: str, value: str, *, first: bool = False) -> Message: ...
    def without_header(self, name: str) -> Message: ...
    def with_body(self, body: bytes, content_type: str | None = None) -> Message: ...

def sip_parse(data: bytes) -> Message: ...
def sip_request(method: str, uri: str, headers: list[tuple[str, str]], body: bytes) -> Message: ...
def sip_response(
    status: int, reason: str, headers: list[tuple[str, str]], body: bytes
) -> Message: ...

class StreamFramer:
    def __init__(self, max_message_size: int = 65536) -> None: ...
    def feed(self, chunk: bytes) -> list[Message]: ...
    @property
    def keepalives(self) -> int: ...
    def take_keepalives(self) -> int: ...
    @property
    def buffered(self) -> int: ...
    @property
    def max_message_size(self) -> int: ...
    def reset(self) -> None: ...

# --- sdp ---

class SdpOrigin:
    username: str
    session_id: int
    session_version: int
    nettype: str
    addrtype: str
    address: str
    def __init__(self, **fields: Any) -> None: ...

class SdpConnection:
    address: str
    addrtype: str
    nettype: str
    ttl: int | None
    count: int | None
    def __init__(self, **fields: Any) -> None: ...

class SdpBandwidth:
    type: str
    value: int
    def __init__(self, **fields: Any) -> None: ...

class SdpTiming:
    start: int
    stop: int
    repeats: list[str]
    def __init__(self, **fields: Any) -> None: ...

class SdpAttribute:
    name: str
    value: str | None
    def __init__(self, **fields: Any) -> None: ...

class SdpRtpMap:
    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None
    def __init__(self, **fields: Any) -> None: ...

class SdpFmtp:
    format: str
    params: str
    def __init__(self, **fields: Any) -> None: ...
    def parameters(self) -> list[tuple[str, str]]: ...

class SdpRtcp:
    port: int
    nettype: str
    addrtype: str
    address: str
    def __init__(self, **fields: Any) -> None: ...

class SdpCrypto:
    tag: int
    suite: str
    key_params: str
    session_params: list[str]
    def __init__(self, **fields: Any) -> None: ...

class SdpFingerprint:
    hash_func: str
    value: str
    def __init__(self, **fields: Any) -> None: ...

class SdpCandidate:
    foundation: str
    component: int
    transport: str
    priority: int
    address: str
    port: int
    type: str
    related_address: str | None
    related_port: int | None
    extensions: list[tuple[str, str]]
    def __init__(self, **fields: Any) -> None: ...

class SdpGroup:
    semantics: str
    mids: list[str]
    def __init__(self, **fields: Any) -> None: ...

class SdpSsrc:
    id: int
    attribute: str
    value: str | None
    def __init__(self, **fields: Any) -> None: ...

class SdpExtmap:
    id: int
    direction: str | None
    uri: str
    attributes: str
    def __init__(self, **fields: Any) -> None: ...

class SdpMsid:
    id: str
    appdata: str
    def __init__(self, **fields: Any) -> None: ...

class SdpMedia:
    kind: str
    port: int
    port_count: int | None
    proto: str
    formats: list[str]
    information: str | None
    connection: SdpConnection | None
    bandwidths: list[SdpBandwidth]
    key: str | None
    rtpmaps: list[SdpRtpMap]
    fmtps: list[SdpFmtp]
    ptime: int | None
    maxptime: int | None
    direction: str | None
    rtcp: SdpRtcp | None
    rtcp_mux: bool
    mid: str | None
    ice_ufrag: str | None
    ice_pwd: str | None
    ice_options: list[str]
    fingerprints: list[SdpFingerprint]
    setup: str | None
    crypto: list[SdpCrypto]
    extmaps: list[SdpExtmap]
    msids: list[SdpMsid]
    candidates: list[SdpCandidate]
    ssrcs: list[SdpSsrc]
    attributes: list[SdpAttribute]
    def __init__(self, **fields: Any) -> None: ...

class SdpSession:
    version: int
    origin: SdpOrigin
    name: str
    information: str | None
    uri: str | None
    emails: list[str]
    phones: list[str]
    connection: SdpConnection | None
    bandwidths: list[SdpBandwidth]
    timings: list[SdpTiming]
    zone: str | None
    key: str | None
    direction: str | None
    groups: list[SdpGroup]
    ice_ufrag: str | None
    ice_pwd: str | None
    ice_options: list[str]
    fingerprints: list[SdpFingerprint]
    setup: str | None
    attributes: list[SdpAttribute]
    media: list[SdpMedia]
    def __init__(self, **fields: Any) -> None: ...
    @staticmethod
    def parse(text: str | bytes) -> SdpSession: ...
    def to_string(self) -> str: ...

class SdpCodec:
    name: str
    clock_rate: int
    channels: int
    fmtp: str
    payload_type: int | None
    def __init__(self, **fields: Any) -> None: ...

class SdpCapabilities:
    codecs: list[SdpCodec]
    telephone_event: bool
    telephone_event_fmtp: str
    telephone_event_pt: int
    address: str
    port: int
    direction: str
    ptime: int | None
    rtcp_mux: bool
    crypto: list[SdpCrypto]
    username: str
    session_id: int | None
    session_name: str
    def __init__(self, **fields: Any) -> None: ...

class SdpOpusParams:
    maxplaybackrate: int | None
    maxaveragebitrate: int | None
    useinbandfec: bool
    usedtx: bool
    stereo: bool
    sprop_stereo: bool
    ptime: int | None
    minptime: int | None
    def __init__(self, **fields: Any) -> None: ...

class SdpNegotiated:
    media_index: int
    codec: SdpCodec
    payload_type: int
    local_payload_type: int
    telephone_event_pt: int | None
    telephone_event_fmtp: str
    remote_address: str
    remote_port: int
    remote_rtcp_address: str
    remote_rtcp_port: int
    rtcp_mux: bool
    direction: str
    ptime: int | None
    local_crypto: SdpCrypto | None
    remote_crypto: SdpCrypto | None
    opus: SdpOpusParams | None
    def __init__(self, **fields: Any) -> None: ...

def sdp_create_offer(local: SdpCapabilities, previous: SdpSession | None = None) -> SdpSession: ...
def sdp_create_answer(
    offer: SdpSession, local: SdpCapabilities, previous: SdpSession | None = None
) -> SdpSession: ...
def sdp_negotiate(
    offer: SdpSession, answer: SdpSession, local_is_offerer: bool = True
) -> SdpNegotiated: ...

# --- codec ---

_Pcm = _npt.NDArray[_np.int16]

def g711_ulaw_encode(pcm: _Buffer, /) -> bytes: ...
def g711_ulaw_decode(codes: _Buffer, /) -> _Pcm: ...
def g711_alaw_encode(pcm: _Buffer, /) -> bytes: ...
def g711_alaw_decode(codes: _Buffer, /) -> _Pcm: ...

class OpusEncoder:
    def __init__(
        self,
        sample_rate: int,
        channels: int = 1,
        application: str = "voip",
        bitrate: int | None = None,
        complexity: int | None = None,
        fec: bool = False,
        dtx: bool = False,
        packet_loss_percent: int = 0,
    ) -> None: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def lookahead(self) -> int: ...
    bitrate: int
    complexity: int
    fec: bool
    dtx: bool
    packet_loss_percent: int
    def encode(self, pcm: _Buffer) -> bytes: ...
    def encode_many(self, pcm: _Buffer, frame_samples: int) -> list[bytes]: ...

class OpusDecoder:
    def __init__(self, sample_rate: int, channels: int = 1) -> None: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def channels(self) -> int: ...
    def packet_samples(self, packet: _Buffer) -> int: ...
    def decode(self, packet: _Buffer) -> _Pcm: ...
    def decode_lost(self, frame_samples: int) -> _Pcm: ...
    def decode_fec(self, next_packet: _Buffer, frame_samples: int) -> _Pcm: ...
    def decode_many(self, packets: _Sequence[_Buffer | None]) -> _Pcm: ...

class Resampler:
    def __init__(
        self, in_rate: int, out_rate: int, channels: int = 1, quality: int = 4
    ) -> None: ...
    @property
    def in_rate(self) -> int: ...
    @property
    def out_rate(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def quality(self) -> int: ...
    @property
    def input_latency(self) -> int: ...
    @property
    def output_latency(self) -> int: ...
    def process(self, pcm: _Buffer) -> _Pcm: ...
    def reset(self) -> None: ...
    def skip_zeros(self) -> None: ...

def resample(
    pcm: _Buffer, in_rate: int, out_rate: int, channels: int = 1, quality: int = 4
) -> _Pcm: ...

RESAMPLER_DEFAULT_QUALITY: int
# --- rtp ---
# (imports carry noqa: sections of the stub are appended by area, so none is at the very top)

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

# --- media ---

class AudioSource:
    @property
    def sample_rate(self) -> int: ...
    @property
    def ended(self) -> bool: ...

class AudioSink:
    @property
    def sample_rate(self) -> int: ...

class MemorySource(AudioSource):
    def __init__(self, samples: npt.ArrayLike, sample_rate: int, loop: bool = False) -> None: ...
    @property
    def position(self) -> int: ...

class MemorySink(AudioSink):
    def __init__(self, sample_rate: int, capacity: int) -> None: ...
    def samples(self) -> npt.NDArray[np.int16]: ...
    def __len__(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    def clear(self) -> None: ...

class Recorder:
    def __init__(
        self, path: str, sample_rate: int = 16000, layout: str = "stereo", ring_ms: int = 2000
    ) -> None: ...
    def close(self) -> None: ...
    path: str
    sample_rate: int
    closed: bool
    frames_written: int
    frames_dropped: int

class MediaSessionConfig:
    def __init__(self, **kwargs: Any) -> None: ...
    def __getattr__(self, name: str) -> Any: ...

class MediaStreamParams:
    def __init__(self, **kwargs: Any) -> None: ...
    def __getattr__(self, name: str) -> Any: ...

class MediaSessionStats:
    codec: str
    def __getattr__(self, name: str) -> Any: ...

def media_stream_params_from(negotiated: SdpNegotiated) -> MediaStreamParams: ...

class MediaSession:
    id: int
    local_port: int
    local_rtcp_port: int
    local_address: str
    ssrc: int
    started: bool
    closed: bool
    params: MediaStreamParams
    muted: bool
    def start(self, params: MediaStreamParams) -> None: ...
    def update(self, params: MediaStreamParams) -> None: ...
    def close(self) -> None: ...
    def set_mute(self, muted: bool) -> None: ...
    def set_direction(self, direction: str) -> None: ...
    def set_remote(
        self, address: str, port: int, rtcp_address: str = "", rtcp_port: int = 0
    ) -> None: ...
    def set_source(self, source: AudioSource | None) -> None: ...
    def set_sink(self, sink: AudioSink | None) -> None: ...
    def start_recording(self, recorder: Recorder) -> None: ...
    def stop_recording(self) -> Recorder | None: ...
    def send_dtmf(self, digits: str, duration_ms: int = 100, volume: int = 10) -> None: ...
    def stats(self) -> MediaSessionStats: ...

class MediaEngine:
    def __init__(self, threads: int = 1, event_capacity: int = 4096) -> None: ...
    def create_session(self, config: MediaSessionConfig) -> MediaSession: ...
    def stop(self) -> None: ...
    running: bool
    def fileno(self) -> int: ...
    def drain_events(self, max: int = 1024) -> list[tuple[str, dict[str, Any]]]: ...
    def stats(self) -> dict[str, int]: ...

def srtp_random_key(suite: str) -> str: ...
def srtp_check_key(suite: str, key_params: str) -> None: ...
