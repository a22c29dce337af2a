"""The PhoneFrame control protocol: strict parsing, typed commands, errors naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from siperb.errors import SiperbError
from siperb.phone.i18n import LANGUAGES, catalogue
from siperb.ui import page_weight
from siperb.ui.pages import STATIC, csp, static_file
from siperb.ui.protocol import GATES, SCHEMA, error_payload, parse_command
from siperb.ui.state import initials


def cmd(**obj: Any) -> str:
    return json.dumps(obj)


def test_a_dial_command_parses_to_its_typed_arguments() -> None:
    c = parse_command(cmd(id=3, op="dial", target="echo"))
    assert (c.id, c.op, c.args) == (3, "dial", {"target": "echo"})
    c = parse_command(cmd(id=4, op="hold", on=True, call="abc"))
    assert c.args == {"on": True, "call": "abc"}


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("not json", "message", "not JSON"),
        ("[1, 2]", "message", "not a JSON object"),
        (cmd(op="dial", target="x"), "id", "must be a non-negative integer"),
        (cmd(id=True, op="dial", target="x"), "id", "must be a non-negative integer"),
        (cmd(id=1, op="format_disk"), "op", "unknown command"),
        (cmd(id=1, op="dial"), "target", "required by dial"),
        (cmd(id=1, op="dial", target=""), "target", "empty"),
        (cmd(id=1, op="dial", target=5), "target", "must be a string"),
        (cmd(id=1, op="dial", target="x" * 300), "target", "longer than 256 characters"),
        (cmd(id=1, op="dial", target="a\nb"), "target", "contains control characters"),
        (cmd(id=1, op="dial", target="x", password="p"), "password", "not an argument of dial"),
        (cmd(id=1, op="hold", on="yes"), "on", "must be true or false"),
        (cmd(id=1, op="dtmf", digits="1" * 40), "digits", "longer than 32 characters"),
        (cmd(id=1, op="transfer", target="x", mode="sideways"), "mode",
         "must be one of blind, attended"),
        (cmd(id=1, op="history", limit=1000), "limit", "at most 100"),
        (cmd(id=1, op="history", offset=-1), "offset", "must be a non-negative integer"),
        (cmd(id=1, op="set_setting", key="SipPassword", value="x"), "key",
         "not a setting the page may change (DtmfType, UiThemeStyle, Language)"),
        (cmd(id=1, op="set_setting", key="UiThemeStyle", value="pink"), "value",
         "must be one of light, dark, system"),
        ("{" * 17000, "message", "longer than 16384 bytes"),
    ],
)  # fmt: skip
def test_malformed_commands_are_refused_naming_the_field(
    text: str, field: str, reason: str
) -> None:
    with pytest.raises(SiperbError) as info:
        parse_command(text)
    assert (info.value.field, info.value.reason) == (field, reason)


def test_binary_messages_are_refused() -> None:
    with pytest.raises(SiperbError, match="binary"):
        parse_command(b'{"id": 1, "op": "dial"}')


def test_every_gated_op_exists_and_names_a_feature() -> None:
    from siperb.phone.options import FEATURES

    assert set(GATES) <= set(SCHEMA)
    assert set(GATES.values()) <= set(FEATURES)


def test_error_payload_keeps_type_field_reason_and_hides_other_errors() -> None:
    err = error_payload(SiperbError("boom", field="target", reason="empty"), "leer")
    assert err == {"type": "SiperbError", "field": "target", "reason": "empty", "message": "leer"}
    hidden = error_payload(RuntimeError("/secret/path"))
    assert "/secret/path" not in json.dumps(hidden) and hidden["reason"] == "internal error"


def test_static_files_ship_as_package_data_and_stay_small() -> None:
    for name in STATIC:
        assert static_file(name), name
    html = static_file("index.html").decode()
    assert "http://" not in html and "https://" not in html  # no CDN, nothing external
    assert '<script src="app.js"' in html and "app.css" in html
    assert page_weight() < 150_000


def test_csp_allows_only_self_and_the_embedding_origins() -> None:
    policy = csp("http://127.0.0.1:8000", ["https://app.example"])
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert "connect-src 'self' ws://127.0.0.1:8000;" in policy
    assert policy.endswith("frame-ancestors 'self' https://app.example")


def test_every_ui_string_of_the_page_is_in_every_catalogue() -> None:
    page = static_file("index.html").decode() + static_file("app.js").decode()
    import re

    used = set(re.findall(r'"((?:ui|registration)\.[a-z_.]+)"', page))
    used |= set(re.findall(r'data-i18n(?:-title|-placeholder)?="([a-z_.]+)"', page))
    assert len(used) > 50
    for language in LANGUAGES:
        missing = used - set(catalogue(language))
        assert not missing, (language, missing)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Demo User", "DU"), ("sip:1000@example.com", "10"), ("alice", "AL"), ("", "?"),
     ("jean.luc_picard", "JP")],
)  # fmt: skip
def test_initials_for_the_default_avatar(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_the_static_files_go_into_the_wheel() -> None:
    """scikit-build-core copies every unignored file of python/siperb: the page ships."""
    from pathlib import Path

    pathutil = pytest.importorskip("scikit_build_core.build._pathutil")
    root = Path(__file__).resolve().parents[2]
    files = pathutil.iter_package_files(
        packages={"siperb": str(root / "python" / "siperb")}, include=[], src_exclude=[],
        target_exclude=[], build_dir="build/{wheel_tag}", mode="default",
    )  # fmt: skip
    targets = {str(target) for _, target in files}
    for name in STATIC:
        assert f"siperb/ui/static/{name}" in targets, name
