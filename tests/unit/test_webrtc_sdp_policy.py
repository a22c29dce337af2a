"""WebRTC media policy (siperb.media.webrtc) and the 488 Warning text of refused SDP."""

from __future__ import annotations

import pytest

from siperb.errors import OptionsError, SdpNegotiationError, SdpParseError
from siperb.media.webrtc import (
    IceServers,
    MediaProfile,
    WebRtcState,
    engine_params,
    resolve_profile,
    usable_candidates,
)
from siperb.sdp import Negotiated, Setup
from siperb.sip.config import UserAgentConfig
from siperb.sip.session.offer_answer import warning_for, warning_header


@pytest.mark.parametrize(
    ("profile", "proxy", "proxy_mode", "expected"),
    [
        ("auto", "wss://pbx.example:8089/ws", False, "webrtc"),
        ("auto", "sip:pbx.example;transport=wss", False, "webrtc"),
        ("auto", "ws://127.0.0.1:8080/ws", False, "plain"),
        ("auto", "sip:pbx.example;transport=udp", False, "plain"),
        ("auto", "sip:pbx.example;transport=tcp", True, "webrtc"),
        ("AUTO", "sip:x", False, "plain"),
        ("sdes", "wss://x/ws", False, "sdes"),
        ("plain", "wss://x/ws", True, "plain"),
        ("WebRTC", "sip:x", False, "webrtc"),
    ],
)
def test_profile_choice(profile: str, proxy: str, proxy_mode: bool, expected: str) -> None:
    assert resolve_profile(profile, proxy, proxy_mode=proxy_mode) is MediaProfile(expected)


def test_unknown_profile_is_refused_naming_the_option() -> None:
    with pytest.raises(OptionsError) as e:
        MediaProfile.parse("dtls")
    assert e.value.field == "media_profile"
    with pytest.raises(OptionsError):
        UserAgentConfig(aor="sip:a@b", proxy="sip:b", media_profile="zrtp")
    assert UserAgentConfig(aor="sip:a@b", proxy="sip:b").media_profile == "auto"


def test_ice_servers_become_numeric_engine_settings() -> None:
    ice = IceServers(stun_server="stun:127.0.0.1:3479", turn_server="turn:[::1]?transport=udp",
                     turn_username="u", turn_password="secret")  # fmt: skip
    cfg = ice.engine_config()
    assert cfg["stun_server"] == "127.0.0.1:3479"
    assert cfg["turn_server"] == "[::1]:3478"
    assert cfg["turn_password"] == "secret" and "secret" not in repr(ice)
    assert IceServers(stun_server="localhost:3478").engine_config()["stun_server"] in (
        "127.0.0.1:3478", "[::1]:3478")  # fmt: skip
    assert IceServers().engine_config()["stun_server"] == ""
    with pytest.raises(OptionsError) as e:
        IceServers(turn_server="turn:127.0.0.1").engine_config()
    assert e.value.field == "turn_username"
    with pytest.raises(OptionsError) as e:
        IceServers(stun_server="stun::99999").engine_config()
    assert e.value.field == "stun_server"


def test_usable_candidates_leave_out_mdns_tcp_and_rtcp() -> None:
    cands = [
        "candidate:1 1 udp 2113937151 3c8f0a7e-1b2c.local 50002 typ host generation 0",
        "2 1 udp 2113939711 127.0.0.1 50000 typ host",
        "3 2 udp 2113939710 127.0.0.1 50001 typ host",
        "4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
        "5 1 UDP 1686052607 ::1 50004 typ srflx raddr ::1 rport 50000",
        "garbage",
    ]
    assert usable_candidates(cands) == [cands[1], cands[4]]
    assert usable_candidates(cands, "127.0.0.1") == [cands[1]]
    assert usable_candidates(cands, "::1") == [cands[4]]


def test_engine_params_of_a_webrtc_stream() -> None:
    assert engine_params(Negotiated()) == {}
    n = Negotiated(webrtc=True, remote_ice_ufrag="u", remote_ice_pwd="p" * 22,
                   remote_candidates=["1 1 udp 1 a.local 1 typ host",
                                      "2 1 udp 1 127.0.0.1 2 typ host"],
                   remote_ice_lite=True, ice_controlling=True, dtls_setup="active",
                   remote_fingerprint="sha-256 AA:BB")  # fmt: skip
    p = engine_params(n)
    assert p == {
        "rtcp_mux": True, "ice_ufrag": "u", "ice_pwd": "p" * 22,
        "ice_candidates": ["2 1 udp 1 127.0.0.1 2 typ host"], "ice_lite": True,
        "ice_controlling": True, "dtls_setup": "active", "dtls_fingerprint": "sha-256 AA:BB",
    }  # fmt: skip


def test_state_keeps_the_dtls_role_for_answers_and_offers_actpass() -> None:
    state = WebRtcState(ice_ufrag="u", ice_pwd="p", fingerprint="sha-256 AA")
    assert state.capabilities()["setup"] is None
    state.negotiated(Negotiated(webrtc=True, dtls_setup="passive"))
    assert state.setup is Setup.PASSIVE and state.capabilities()["setup"] is Setup.PASSIVE
    assert state.offer_capabilities()["setup"] is None  # actpass
    state.negotiated(Negotiated())  # a plain stream does not change it
    assert state.setup is Setup.PASSIVE


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (SdpNegotiationError("x", field="m=audio", reason="m-line 0: transport UDP/TLS/RTP/SAVPF "
                             "needs the WebRTC profile (ICE and DTLS-SRTP), which is off"), 302),
        (SdpNegotiationError("x", field="m=audio", reason="m-line 0: no common codec (offered: "
                             "G729/8000; supported: PCMU/8000)"), 305),
        (SdpNegotiationError("x", field="m=audio", reason="m-line 0: the offer has no "
                             "a=fingerprint (DTLS-SRTP cannot verify the peer without it)"), 306),
        (SdpNegotiationError("x", field="m", reason="the offer has no audio stream"), 304),
        (SdpParseError("x", field="a=fingerprint", reason="expected hex pairs"), 306),
        (SdpParseError("x", field="v", reason="missing"), 399),
    ],
)  # fmt: skip
def test_warning_codes(exc: SdpNegotiationError, code: int) -> None:
    assert warning_for(exc)[0] == code
    name, value = warning_header(exc)
    assert name == "Warning" and value.startswith(f'{code} siperb "') and value.endswith('"')


def test_warning_text_is_quoted_and_bounded() -> None:
    exc = SdpNegotiationError("x", reason='a "quoted"\r\nline \\ ' + "y" * 300)
    _, value = warning_header(exc)
    inner = value.split(" ", 2)[2]
    assert inner.startswith('"') and inner.endswith('"') and "\r" not in inner and "\n" not in inner
    assert '\\"quoted\\"' in inner and "\\\\" in inner and len(inner) < 220


def test_webrtc_offer_c_line_of_the_other_family_is_left_to_ice() -> None:
    """A browser's c= may name an IPv6 default candidate while we are on IPv4: with ICE the c=
    rule (siperb.media.remote_address) does not apply; for plain RTP it still does."""
    import dataclasses

    from test_webrtc_sdp import BROWSER, OURS

    from siperb.media.sdp_media import SdpOnlyMedia
    from siperb.sdp import Capabilities, SessionDescription

    class WebRtcSdp(SdpOnlyMedia):
        def _answer_capabilities(self) -> Capabilities:
            return dataclasses.replace(self.capabilities, **OURS)  # type: ignore[arg-type]

    media = WebRtcSdp("127.0.0.1")
    try:
        offer = BROWSER.replace("c=IN IP4 127.0.0.1", "c=IN IP6 ::1")
        answer = media.create_answer(SessionDescription.parse(offer))
        assert answer.media[0].proto == "UDP/TLS/RTP/SAVPF"
        assert media.negotiated is not None and media.negotiated.webrtc
        plain = SdpOnlyMedia("127.0.0.1")
        try:
            other = str(plain.create_offer()).replace("IN IP4 127.0.0.1", "IN IP6 ::1")
            with pytest.raises(SdpNegotiationError) as e:
                media.create_answer(SessionDescription.parse(other))
            assert e.value.field == "c="
        finally:
            plain.close()
    finally:
        media.close()


def test_provisioning_media_keys() -> None:
    from siperb.errors import ProvisioningError
    from siperb.phone.provisioning import Provisioning

    base = {"SipWssServer": "wss://pbx.example", "SipUsername": "1000", "SipPassword": "pw",
            "SipWebsocketPort": 8089, "SipServerPath": "/ws"}  # fmt: skip
    p = Provisioning.from_dict({**base, "MediaProfile": "WebRTC", "StunServer": "stun:127.0.0.1",
                                "TurnServer": "turn:127.0.0.1:3478", "TurnUsername": "u",
                                "TurnPassword": "turn-secret"})  # fmt: skip
    assert p.media_options() == {"media_profile": "webrtc", "stun_server": "stun:127.0.0.1",
                                 "turn_server": "turn:127.0.0.1:3478", "turn_username": "u",
                                 "turn_password": "turn-secret"}  # fmt: skip
    assert "turn-secret" not in repr(p)
    assert Provisioning.from_dict(p.to_dict()) == p
    assert Provisioning.from_dict(base).media_options()["media_profile"] == "auto"
    assert "MediaProfile" not in Provisioning.from_dict(base).to_dict()
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict({**base, "MediaProfile": "zrtp"})
    assert e.value.field == "MediaProfile"
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict({**base, "TurnServer": "turn:127.0.0.1"})
    assert e.value.field == "TurnServer"
    config = UserAgentConfig(aor="sip:1000@pbx.example", proxy="wss://pbx.example:8089/ws",
                             **p.media_options())  # fmt: skip
    assert config.media_profile == "webrtc" and "turn-secret" not in repr(config)
