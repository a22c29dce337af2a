# Type stub for the native module siperb._core. Users import from siperb, not from here.

# --- sdp ---
from typing import Any

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
