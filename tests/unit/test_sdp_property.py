"""Property: any description we can build serialises to text that parses back equal."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from siperb.errors import SdpParseError
from siperb.sdp import (
    Attribute,
    Bandwidth,
    Candidate,
    Connection,
    Crypto,
    Direction,
    Extmap,
    Fingerprint,
    Fmtp,
    Group,
    Media,
    Msid,
    Origin,
    Rtcp,
    RtpMap,
    SessionDescription,
    Setup,
    Ssrc,
    Timing,
)

TYPED = {
    "sendrecv", "sendonly", "recvonly", "inactive", "ice-ufrag", "ice-pwd", "ice-options",
    "fingerprint", "setup", "group", "rtpmap", "fmtp", "ptime", "maxptime", "rtcp", "rtcp-mux",
    "mid", "crypto", "candidate", "ssrc", "extmap", "msid", "ice-lite", "end-of-candidates",
}  # fmt: skip

token = st.text(string.ascii_letters + string.digits + "-._~+/#", min_size=1, max_size=10)
name_token = st.text(string.ascii_letters + string.digits + "-._", min_size=1, max_size=10)
u16 = st.integers(0, 65535)
u32 = st.integers(0, 2**32 - 1)
line_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=16
).filter(lambda s: s == s.rstrip(" \t"))
inner_text = line_text.filter(lambda s: s == s.strip(" \t"))
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
connection = st.one_of(
    st.builds(Connection, address=ipv4, addrtype=st.just("IP4")),
    st.builds(Connection, address=ipv6, addrtype=st.just("IP6")),
    st.builds(Connection, address=ipv4, addrtype=st.just("IP4"), ttl=st.integers(0, 255),
              count=st.none() | st.integers(1, 9)),
    st.builds(Connection, address=ipv6, addrtype=st.just("IP6"), count=st.integers(1, 9)),
)  # fmt: skip
unknown_attr = st.builds(
    Attribute,
    name=token.filter(lambda n: n not in TYPED),
    value=st.none() | line_text,
)
bandwidth = st.builds(Bandwidth, type=st.sampled_from(["AS", "TIAS", "CT", "RR"]), value=u32)
direction = st.none() | st.sampled_from(list(Direction))
setup = st.none() | st.sampled_from(list(Setup))
hex_pairs = st.lists(st.integers(0, 255), min_size=1, max_size=64).map(
    lambda bs: ":".join(f"{b:02X}" for b in bs)
)
ice_chars = st.text(string.ascii_letters + string.digits + "+/", min_size=1, max_size=24)
fingerprint = st.builds(
    Fingerprint, hash_func=st.sampled_from(["sha-1", "sha-256"]), value=hex_pairs
)
candidate = st.builds(
    Candidate,
    foundation=token,
    component=st.integers(1, 256),
    transport=st.sampled_from(["udp", "tcp", "UDP"]),
    priority=u32,
    address=ipv4 | ipv6,
    port=u16,
    type=st.sampled_from(["host", "srflx", "relay", "prflx"]),
    related_address=st.none() | ipv4,
    related_port=st.none() | u16,
    extensions=st.lists(
        st.tuples(token.filter(lambda k: k not in ("raddr", "rport")), token), max_size=3
    ),
)


@st.composite
def media(draw: st.DrawFn) -> Media:
    pts = draw(st.lists(st.integers(0, 127), min_size=1, max_size=6, unique=True))
    formats = [str(p) for p in pts]
    mapped = [p for p in pts if draw(st.booleans())]
    rtpmaps = [
        RtpMap(
            p,
            draw(name_token),
            draw(st.integers(1, 2**32 - 1)),
            draw(st.none() | st.integers(1, 8)),
        )
        for p in mapped
    ]
    with_fmtp = [f for f in formats if draw(st.booleans())]
    order = [str(p) for p in mapped]
    with_fmtp.sort(key=lambda f: order.index(f) if f in order else len(order))
    fmtps = [Fmtp(f, draw(inner_text)) for f in with_fmtp]
    return Media(
        kind=draw(st.sampled_from(["audio", "video", "application", "image", "text"])),
        port=draw(st.integers(1, 65535)),
        port_count=draw(st.none() | st.integers(1, 8)),
        proto=draw(st.sampled_from(["RTP/AVP", "RTP/SAVP", "RTP/AVPF", "UDP/TLS/RTP/SAVPF"])),
        formats=formats,
        information=draw(st.none() | line_text),
        connection=draw(st.none() | connection),
        bandwidths=draw(st.lists(bandwidth, max_size=2)),
        key=draw(st.none() | line_text),
        rtpmaps=rtpmaps,
        fmtps=fmtps,
        ptime=draw(st.none() | st.integers(0, 1000)),
        maxptime=draw(st.none() | st.integers(0, 1000)),
        direction=draw(direction),
        rtcp=draw(
            st.none()
            | st.builds(Rtcp, port=u16)
            | st.builds(
                Rtcp, port=u16, nettype=st.just("IN"), addrtype=st.just("IP4"), address=ipv4
            )
        ),
        rtcp_mux=draw(st.booleans()),
        mid=draw(st.none() | token),
        ice_ufrag=draw(st.none() | ice_chars),
        ice_pwd=draw(st.none() | ice_chars),
        ice_lite=draw(st.booleans()),
        end_of_candidates=draw(st.booleans()),
        ice_options=draw(st.lists(token, max_size=2)),
        fingerprints=draw(st.lists(fingerprint, max_size=2)),
        setup=draw(setup),
        crypto=draw(
            st.lists(
                st.builds(
                    Crypto,
                    tag=st.integers(0, 999),
                    suite=token,
                    key_params=token.map(lambda k: "inline:" + k),
                    session_params=st.lists(token, max_size=2),
                ),
                max_size=2,
                unique_by=lambda c: c.tag,
            )
        ),
        extmaps=draw(
            st.lists(
                st.builds(
                    Extmap,
                    id=st.integers(0, 4095),
                    direction=direction,
                    uri=token,
                    attributes=st.lists(token, max_size=2).map(" ".join),
                ),
                max_size=2,
            )
        ),
        msids=draw(st.lists(st.builds(Msid, id=token, appdata=st.just("") | token), max_size=2)),
        candidates=draw(st.lists(candidate, max_size=3)),
        ssrcs=draw(
            st.lists(
                st.builds(
                    Ssrc,
                    id=u32,
                    attribute=token.filter(lambda a: ":" not in a),
                    value=st.none() | line_text,
                ),
                max_size=2,
            )
        ),
        attributes=draw(st.lists(unknown_attr, max_size=3)),
    )


sessions = st.builds(
    SessionDescription,
    origin=st.builds(
        Origin,
        username=token,
        session_id=st.integers(0, 2**64 - 1),
        session_version=st.integers(0, 2**64 - 1),
        address=ipv4,
    ),
    name=inner_text,
    information=st.none() | line_text,
    uri=st.none() | line_text,
    emails=st.lists(line_text, max_size=2),
    phones=st.lists(line_text, max_size=2),
    connection=connection,
    bandwidths=st.lists(bandwidth, max_size=2),
    timings=st.lists(
        st.builds(Timing, start=u32, stop=u32, repeats=st.lists(line_text, max_size=2)),
        min_size=1,
        max_size=2,
    ),
    zone=st.none() | line_text,
    key=st.none() | line_text,
    direction=direction,
    groups=st.lists(
        st.builds(Group, semantics=token, mids=st.lists(token, max_size=3)), max_size=2
    ),
    ice_ufrag=st.none() | ice_chars,
    ice_pwd=st.none() | ice_chars,
    ice_lite=st.booleans(),
    end_of_candidates=st.booleans(),
    ice_options=st.lists(token, max_size=2),
    fingerprints=st.lists(fingerprint, max_size=2),
    setup=setup,
    attributes=st.lists(unknown_attr, max_size=3),
    media=st.lists(media(), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(sessions)
def test_round_trip(session: SessionDescription) -> None:
    text = str(session)
    assert text.endswith("\r\n")
    assert SessionDescription.parse(text) == session


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_input_parses_or_raises_sdp_parse_error(data: bytes | str) -> None:
    try:
        parsed = SessionDescription.parse(data)
    except SdpParseError as e:
        assert e.field and e.reason
    else:
        assert SessionDescription.parse(str(parsed)) == parsed
