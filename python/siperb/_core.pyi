# Type stub for the native module siperb._core. Users import from siperb, not from here.

from typing import Any

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
