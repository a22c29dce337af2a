"""The manual provisioning object: fields, derived values, validation, secrecy."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from siperb.errors import ProvisioningError
from siperb.phone.provisioning import KEYS, Provisioning, normalise_path

PASSWORD = "s3cr3t-Pa55word!"
JWT = "eyJhbGciOi.jwt-body.signature"

# The documentation's example, verbatim.
DOC_EXAMPLE: dict[str, Any] = {
    "RegistrationMode": "Socket",
    "profileName": "Direct PBX",
    "SipWssServer": "pbx.company.local",
    "SipUsername": "user@company.local",
    "SipPassword": "sip-password",
    "SipDomain": "pbx.company.local",
    "ProfileUserName": "John Doe",
    "SipContact": "",
    "SipWebsocketPort": 8089,
    "SipServerPath": "/ws",
}


def manual(**over: Any) -> dict[str, Any]:
    d = dict(DOC_EXAMPLE, SipPassword=PASSWORD)
    d.update(over)
    return {k: v for k, v in d.items() if v is not DROP}


DROP = object()


def test_documented_example_round_trips() -> None:
    p = Provisioning.from_dict(DOC_EXAMPLE)
    assert p.to_dict() == DOC_EXAMPLE
    assert list(p.to_dict()) == list(DOC_EXAMPLE)


def test_every_documented_field_maps_to_its_attribute() -> None:
    p = Provisioning.from_dict(DOC_EXAMPLE)
    added = {"SipJwt": "", "SipTransport": "WSS", "SipCaFile": "", "SelfSignedCertificate": False,
             "MediaProfile": "auto", "StunServer": "", "TurnServer": "", "TurnUsername": "",
             "TurnPassword": "", "MediaTimeout": None}  # fmt: skip
    for key, attr in KEYS.items():
        if key in added:  # not in the documented example: their defaults
            assert getattr(p, attr) == added[key], key
        else:
            assert getattr(p, attr) == DOC_EXAMPLE[key], key


def test_snake_case_constructor_equals_from_dict() -> None:
    a = Provisioning(
        registration_mode="Socket",
        profile_name="Direct PBX",
        sip_wss_server="pbx.company.local",
        sip_username="user@company.local",
        sip_password="sip-password",
        sip_domain="pbx.company.local",
        profile_user_name="John Doe",
        sip_contact="",
        sip_websocket_port=8089,
        sip_server_path="/ws",
    )
    assert a == Provisioning.from_dict(DOC_EXAMPLE)


def test_from_json_text_and_path(tmp_path: Path) -> None:
    text = json.dumps(DOC_EXAMPLE)
    f = tmp_path / "prov.json"
    f.write_text(text, encoding="utf-8")
    assert (
        Provisioning.from_json(text) == Provisioning.from_json(f) == Provisioning.from_json(str(f))
    )


def test_from_json_errors(tmp_path: Path) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_json('{"SipWssServer": ')
    assert e.value.field == "json"
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_json(tmp_path / "missing.json")
    assert e.value.field == "path"
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_json("[1, 2]")
    assert e.value.field == "Provisioning"


@pytest.mark.parametrize("bad", ["pbx:5060", "a b", "user@pbx", "pbx/ws", "[::1"])
def test_bad_domain(bad: str) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipDomain=bad))
    assert e.value.field == "SipDomain"


# ---- registration mode ----


@pytest.mark.parametrize(
    ("given", "mode"),
    [
        ("Socket", "Socket"),
        ("socket", "Socket"),
        ("SOCKET", "Socket"),
        ("WebSocket", "Socket"),
        ("websocket", "Socket"),
        ("Proxy", "Proxy"),
        ("proxy", "Proxy"),
        (None, "Socket"),
    ],
)
def test_registration_mode_normalised(given: str | None, mode: str) -> None:
    p = Provisioning.from_dict(manual(RegistrationMode=given))
    assert p.registration_mode == mode
    assert p.is_proxy == (mode == "Proxy")


def test_missing_registration_mode_is_socket() -> None:
    assert Provisioning.from_dict(manual(RegistrationMode=DROP)).registration_mode == "Socket"


@pytest.mark.parametrize("bad", ["Sockets", "udp", "tcp", 3])
def test_unknown_registration_mode(bad: object) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(RegistrationMode=bad))
    assert e.value.field == "RegistrationMode"


# ---- websocket URL ----


@pytest.mark.parametrize(
    ("server", "port", "path", "url"),
    [
        ("pbx.example.com", 8089, "/ws", "wss://pbx.example.com:8089/ws"),
        ("pbx.example.com", 8089, "ws", "wss://pbx.example.com:8089/ws"),
        ("pbx.example.com", 8089, "//ws", "wss://pbx.example.com:8089/ws"),
        ("pbx.example.com", 443, "", "wss://pbx.example.com:443/"),
        ("pbx.example.com", 443, "/", "wss://pbx.example.com:443/"),
        ("pbx.example.com", 443, None, "wss://pbx.example.com:443/"),
        ("pbx.example.com", 443, " /ws/ ", "wss://pbx.example.com:443/ws/"),
        ("pbx.example.com", 8089, "/asterisk/ws", "wss://pbx.example.com:8089/asterisk/ws"),
        ("wss://pbx.example.com", 8089, "/ws", "wss://pbx.example.com:8089/ws"),
        ("WSS://pbx.example.com/", 8089, "/ws", "wss://pbx.example.com:8089/ws"),
        ("ws://10.0.0.5", 8088, "/ws", "ws://10.0.0.5:8088/ws"),
        ("192.0.2.7", 8089, "/ws", "wss://192.0.2.7:8089/ws"),
        ("::1", 8089, "/ws", "wss://[::1]:8089/ws"),
        ("[::1]", 8089, "ws", "wss://[::1]:8089/ws"),
        ("2001:DB8::0:1", 8089, "/ws", "wss://[2001:db8::1]:8089/ws"),
        ("ws://[::1]", 5066, "/", "ws://[::1]:5066/"),
        ("pbx.example.com", "8089", "/ws", "wss://pbx.example.com:8089/ws"),
    ],
)
def test_websocket_url(server: str, port: object, path: str | None, url: str) -> None:
    d = manual(SipWssServer=server, SipWebsocketPort=port, SipServerPath=path)
    p = Provisioning.from_dict(d)
    assert p.websocket_url == url


def test_path_normalisation_function() -> None:
    assert [normalise_path(x) for x in ("ws", "/ws", "//ws", "", "/", "///")] == [
        "/ws", "/ws", "/ws", "/", "/", "/",
    ]  # fmt: skip
    with pytest.raises(ProvisioningError) as e:
        normalise_path("/w s")
    assert e.value.field == "SipServerPath"


def test_secure_false_selects_plain_ws_and_round_trips() -> None:
    p = Provisioning.from_dict(manual(), secure=False)
    assert p.websocket_url == "ws://pbx.company.local:8089/ws"
    assert p.to_dict()["SipWssServer"] == "ws://pbx.company.local"
    assert Provisioning.from_dict(p.to_dict()) == p
    q = Provisioning(
        sip_wss_server="lab", sip_username="1000", sip_password="x", sip_websocket_port=80,
        secure=False,
    )  # fmt: skip
    assert q.scheme == "ws"


def test_scheme_contradicting_secure_is_an_error() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipWssServer="wss://pbx"), secure=False)
    assert e.value.field == "SipWssServer"


@pytest.mark.parametrize(
    "server",
    [
        "",
        "   ",
        "https://pbx",
        "pbx.example.com:8089",
        "pbx.example.com/ws",
        "pbx example",
        "ws://",
    ],
)
def test_bad_server(server: str) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipWssServer=server))
    assert e.value.field == "SipWssServer"


def test_missing_server() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipWssServer=DROP))
    assert e.value.field == "SipWssServer"


# ---- port ----


@pytest.mark.parametrize(("given", "port"), [(8089, 8089), ("8089", 8089), (" 443 ", 443), (1, 1),
                                             (65535, 65535)])  # fmt: skip
def test_port_accepted(given: object, port: int) -> None:
    p = Provisioning.from_dict(manual(SipWebsocketPort=given))
    assert p.sip_websocket_port == port == p.port


@pytest.mark.parametrize("bad", ["abc", "80a", "-1", 0, 65536, -5, True, False, 8089.0, [8089],
                                 "", None, "\uff18\uff10\uff18\uff19"])  # fmt: skip
def test_port_rejected(bad: object) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipWebsocketPort=bad))
    assert e.value.field == "SipWebsocketPort"


def test_port_missing() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipWebsocketPort=DROP))
    assert e.value.field == "SipWebsocketPort"


# ---- user, domain, AOR, contact, display name ----


@pytest.mark.parametrize(
    ("username", "domain", "server", "user", "aor"),
    [
        ("1000", "pbx.example.com", "pbx.example.com", "1000", "sip:1000@pbx.example.com"),
        ("1000", "", "pbx.example.com", "1000", "sip:1000@pbx.example.com"),
        ("1000", None, "ws://pbx.example.com", "1000", "sip:1000@pbx.example.com"),
        ("user@company.local", "", "pbx.company.local", "user", "sip:user@company.local"),
        ("user@company.local", "pbx.company.local", "pbx", "user", "sip:user@pbx.company.local"),
        ("sip:alice@example.org", "", "pbx", "alice", "sip:alice@example.org"),
        ("1000", "", "::1", "1000", "sip:1000@[::1]"),
        ("1000", "[2001:db8::1]", "pbx", "1000", "sip:1000@[2001:db8::1]"),
    ],
)
def test_user_domain_aor(
    username: str, domain: str | None, server: str, user: str, aor: str
) -> None:
    p = Provisioning.from_dict(manual(SipUsername=username, SipDomain=domain, SipWssServer=server))
    assert p.user == user == p.auth_username
    assert p.aor == aor


@pytest.mark.parametrize("bad", ["", "  ", "@example.com", "a b", "a@b@c", 1000, None])
def test_bad_username(bad: object) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipUsername=bad))
    assert e.value.field == "SipUsername"


def test_contact_user() -> None:
    fixed = Provisioning.from_dict(manual(SipContact="phone42"))
    assert fixed.contact_user == "phone42"
    a = Provisioning.from_dict(manual(SipContact=""))
    b = Provisioning.from_dict(manual(SipContact=""))
    assert a.contact_user == a.contact_user  # stable for one object
    assert a.contact_user and b.contact_user and a.contact_user != b.contact_user
    assert a.contact_user.isalnum()
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipContact="x@y"))
    assert e.value.field == "SipContact"


def test_display_name() -> None:
    assert Provisioning.from_dict(manual()).display_name == "John Doe"
    p = Provisioning.from_dict(manual(ProfileUserName=""))
    assert p.display_name == "Direct PBX"


@pytest.mark.parametrize("key", ["profileName", "SipDomain", "ProfileUserName", "SipContact",
                                 "SipServerPath"])  # fmt: skip
def test_string_fields_reject_other_types(key: str) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(**{key: 12}))
    assert e.value.field == key


# ---- required fields per mode ----


def test_password_required_in_socket_mode() -> None:
    for value in (DROP, "", None):
        with pytest.raises(ProvisioningError) as e:
            Provisioning.from_dict(manual(SipPassword=value))
        assert e.value.field == "SipPassword"


def test_proxy_mode_needs_password_or_jwt() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(RegistrationMode="Proxy", SipPassword=""))
    assert e.value.field == "SipPassword"
    p = Provisioning.from_dict(manual(RegistrationMode="Proxy", SipPassword="", SipJwt=JWT))
    assert p.sip_jwt == JWT and p.sip_password == ""
    with pytest.raises(ProvisioningError) as e:  # a JWT does not replace a password in Socket
        Provisioning.from_dict(manual(SipPassword="", SipJwt=JWT))
    assert e.value.field == "SipPassword"


def test_password_keeps_its_spaces() -> None:
    p = Provisioning.from_dict(manual(SipPassword="  spaced  "))
    assert p.sip_password == "  spaced  "


# ---- unknown keys: manual vs API ----


def test_manual_unknown_key_rejected_with_suggestion() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(SipWebSocketPorts=8089))
    assert e.value.field == "SipWebSocketPorts"
    assert "SipWebsocketPort" in str(e.value)


def test_keys_match_case_insensitively() -> None:
    d = manual()
    d["ProfileName"] = d.pop("profileName")
    d["sipwssserver"] = d.pop("SipWssServer")
    p = Provisioning.from_dict(d)
    assert p.profile_name == "Direct PBX" and p.sip_wss_server == "pbx.company.local"


def test_same_key_twice_in_two_spellings() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(sipusername="other"))
    assert e.value.field == "SipUsername"


def test_api_keeps_unknown_keys() -> None:
    data = manual(RegistrationMode="Proxy", SipJwt=JWT, UiMaxWidth=900, VideoResampleSize="HD")
    p = Provisioning.from_api(data)
    assert p.extra == {"UiMaxWidth": 900, "VideoResampleSize": "HD"}
    assert p.to_dict()["UiMaxWidth"] == 900
    assert Provisioning.from_api(p.to_dict()) == p
    with pytest.raises(ProvisioningError):
        Provisioning.from_dict(data)


def test_api_validates_known_keys() -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_api(manual(SipWebsocketPort="x"))
    assert e.value.field == "SipWebsocketPort"


@pytest.mark.parametrize("bad", [None, [], "text", 3])
def test_not_a_mapping(bad: object) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(bad)  # type: ignore[arg-type]
    assert e.value.field == "Provisioning"


def test_frozen() -> None:
    p = Provisioning.from_dict(DOC_EXAMPLE)
    with pytest.raises(AttributeError):
        p.sip_username = "x"  # type: ignore[misc]


# ---- Siperb headers ----


def test_proxy_headers_with_jwt() -> None:
    p = Provisioning.from_dict(manual(RegistrationMode="Proxy", SipJwt=JWT))
    assert p.needs_siperb_headers
    assert p.extra_headers("sess-1", "user-9") == {
        "X-Siperb-Sid": "sess-1",
        "X-Siperb-Uid": "user-9",
        "Authorization": f"Bearer {JWT}",
    }


def test_proxy_headers_without_jwt() -> None:
    p = Provisioning.from_dict(manual(RegistrationMode="Proxy"))
    assert p.extra_headers("s", "u") == {"X-Siperb-Sid": "s", "X-Siperb-Uid": "u"}


@pytest.mark.parametrize(
    ("server", "needed"),
    [
        ("pbx.company.local", False),
        ("eu.siperb.com", True),
        ("EU.SIPERB.COM.", True),
        ("siperb.com", True),
        ("notsiperb.com", False),
        ("siperb.com.evil.example", False),
    ],
)
def test_socket_mode_headers_depend_on_server(server: str, needed: bool) -> None:
    p = Provisioning.from_dict(manual(SipWssServer=server))
    assert p.needs_siperb_headers is needed
    headers = p.extra_headers("sid", "uid")
    assert (headers == {"X-Siperb-Sid": "sid", "X-Siperb-Uid": "uid"}) is needed
    assert (headers == {}) is not needed


@pytest.mark.parametrize(("sid", "uid", "field"), [("", "u", "SessionId"), ("s", " ", "UserId"),
                                                    ("s\r\nX: y", "u", "SessionId")])  # fmt: skip
def test_header_values_validated(sid: str, uid: str, field: str) -> None:
    p = Provisioning.from_dict(manual(RegistrationMode="Proxy"))
    with pytest.raises(ProvisioningError) as e:
        p.extra_headers(sid, uid)
    assert e.value.field == field


# ---- secrecy ----


def test_password_and_jwt_never_in_repr_or_str() -> None:
    p = Provisioning.from_dict(manual(RegistrationMode="Proxy", SipJwt=JWT))
    for text in (repr(p), str(p), f"{p}", repr([p]), repr({"p": p})):
        assert PASSWORD not in text and JWT not in text
        assert "***" in text
    assert "pbx.company.local" in repr(p)


def test_password_never_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    p = Provisioning.from_dict(manual())
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("provisioned %s %r", p, p)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize(
    "over",
    [
        {"SipPassword": 12345},
        {"SipPassword": [PASSWORD]},
        {"SipWebsocketPort": "abc"},
        {"SipWssServer": ""},
        {"RegistrationMode": "nope"},
        {"SipUsername": ""},
        {"Bogus": 1},
        {"SipJwt": 5},
    ],
)
def test_password_never_in_error_messages(over: dict[str, Any]) -> None:
    with pytest.raises(ProvisioningError) as e:
        Provisioning.from_dict(manual(**over))
    text = f"{e.value} {e.value.reason} {e.value.args!r}"
    assert PASSWORD not in text
    assert "12345" not in text


def test_error_is_a_value_error_with_field_and_reason() -> None:
    with pytest.raises(ValueError) as e:
        Provisioning.from_dict(manual(SipWebsocketPort=0))
    assert isinstance(e.value, ProvisioningError)
    assert e.value.field == "SipWebsocketPort"
    assert "65535" in (e.value.reason or "")


def test_hashable_even_with_extra_keys() -> None:
    a = Provisioning.from_api({**DOC_EXAMPLE, "UiMaxWidth": 900})
    assert hash(a) == hash(Provisioning.from_api({**DOC_EXAMPLE, "UiMaxWidth": 900}))
    assert len({a, Provisioning.from_dict(DOC_EXAMPLE)}) == 2
