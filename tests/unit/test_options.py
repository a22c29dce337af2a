"""ProvisionPhone() options: defaults, strict validation, aliases, feature gates, frame."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from siperb.errors import FeatureDisabledError, OptionsError, ProvisioningError
from siperb.phone.frame import call_frame
from siperb.phone.options import OPTIONS, PhoneOptions, is_sip_uri
from siperb.phone.provisioning import Provisioning

PROV = {
    "RegistrationMode": "Socket",
    "SipWssServer": "pbx.example.com",
    "SipUsername": "1000",
    "SipPassword": "pw",
    "SipWebsocketPort": 8089,
    "SipServerPath": "/ws",
}
SESSION_TOKEN = "session-token-abcdef"


def minimal(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "Provisioning": PROV,
        "ProfileUserId": "user-session-001",
        "SessionId": SESSION_TOKEN,
        "UserId": "u-42",
    }
    d.update(over)
    return d


DEFAULTS = {
    "PhoneFrame": None,
    "EnableAvatar": True,
    "EnableSettings": False,
    "EnableDialPad": True,
    "EnableCallTransfer": True,
    "EnableCallHold": True,
    "EnableCallMute": True,
    "EnableCallRecording": True,
    "EnableDeviceSelector": True,
    "UiThemeStyle": "light",
    "Language": "auto",
    "OnLoad": None,
}
BOOLS = [k for k in DEFAULTS if k.startswith("Enable")]


def test_every_documented_option_is_known() -> None:
    assert set(OPTIONS) == set(DEFAULTS) | {"Provisioning", "ProfileUserId", "SessionId", "UserId"}
    fields = {f.name for f in dataclasses.fields(PhoneOptions)}
    assert set(OPTIONS.values()) == fields


@pytest.mark.parametrize(("name", "default"), list(DEFAULTS.items()))
def test_documented_defaults(name: str, default: object) -> None:
    opts = PhoneOptions.from_dict(minimal())
    assert getattr(opts, OPTIONS[name]) == default


def test_minimal_setup() -> None:
    opts = PhoneOptions.from_dict(minimal())
    assert isinstance(opts.provisioning, Provisioning)
    assert opts.provisioning.websocket_url == "wss://pbx.example.com:8089/ws"
    assert (opts.profile_user_id, opts.session_id, opts.user_id) == (
        "user-session-001", SESSION_TOKEN, "u-42",
    )  # fmt: skip


def test_documented_example() -> None:
    loaded: list[bool] = []
    opts = PhoneOptions.from_dict(
        minimal(
            EnableAvatar=True,
            EnableSettings=True,
            EnableDialPad=True,
            EnableCallTransfer=True,
            EnableCallMute=True,
            UiThemeStyle="dark",
            Language="en",
            OnLoad=lambda: loaded.append(True),
        )
    )
    assert opts.enable_settings and opts.ui_theme_style == "dark" and opts.language == "en"
    asyncio.run(opts.call_on_load())
    assert loaded == [True]


def test_provisioning_object_is_accepted_as_is() -> None:
    prov = Provisioning.from_dict(PROV)
    assert PhoneOptions.from_dict(minimal(Provisioning=prov)).provisioning is prov


def test_provisioning_errors_name_the_key() -> None:
    with pytest.raises(ProvisioningError) as e:
        PhoneOptions.from_dict(minimal(Provisioning={**PROV, "SipWebsocketPort": "x"}))
    assert e.value.field == "SipWebsocketPort"
    with pytest.raises(OptionsError) as e2:
        PhoneOptions.from_dict(minimal(Provisioning="pbx.example.com"))
    assert e2.value.field == "Provisioning"


@pytest.mark.parametrize("name", ["Provisioning", "ProfileUserId", "SessionId", "UserId"])
def test_required_options(name: str) -> None:
    d = minimal()
    del d[name]
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(d)
    assert e.value.field == name


@pytest.mark.parametrize("name", ["ProfileUserId", "SessionId", "UserId"])
@pytest.mark.parametrize("bad", ["", "   ", None, 42, "a\nb"])
def test_required_ids_validated(name: str, bad: object) -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(**{name: bad}))
    assert e.value.field == name


@pytest.mark.parametrize("name", BOOLS)
@pytest.mark.parametrize("bad", ["yes", "true", 1, 0, None, "false"])
def test_bool_options_are_strict(name: str, bad: object) -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(**{name: bad}))
    assert e.value.field == name


@pytest.mark.parametrize("name", BOOLS)
def test_bool_options_take_both_values(name: str) -> None:
    for value in (True, False):
        opts = PhoneOptions.from_dict(minimal(**{name: value}))
        assert getattr(opts, OPTIONS[name]) is value


@pytest.mark.parametrize(("given", "theme"), [("light", "light"), ("dark", "dark"),
                                              ("system", "system"), ("Dark", "dark")])  # fmt: skip
def test_themes(given: str, theme: str) -> None:
    assert PhoneOptions.from_dict(minimal(UiThemeStyle=given)).ui_theme_style == theme


@pytest.mark.parametrize("bad", ["blue", "", None, 1, True])
def test_bad_theme(bad: object) -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(UiThemeStyle=bad))
    assert e.value.field == "UiThemeStyle"


@pytest.mark.parametrize(
    ("given", "code"),
    [("auto", "auto"), ("AUTO", "auto"), ("en", "en"), ("es", "es"), ("fr", "fr"),
     ("pt-BR", "pt-br"), ("pt_BR", "pt-br"), ("zh-Hans", "zh-hans"), ("zh_TW", "zh"),
     ("he", "he"), ("de_AT", "de")],
)  # fmt: skip
def test_language_values(given: str, code: str) -> None:
    assert PhoneOptions.from_dict(minimal(Language=given)).language == code


@pytest.mark.parametrize("bad", ["xx", "klingon", "", 5, None])
def test_bad_language(bad: object) -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(Language=bad))
    assert e.value.field == "Language"


def test_on_load_must_be_callable() -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(OnLoad="print"))
    assert e.value.field == "OnLoad"


def test_async_on_load() -> None:
    seen: list[str] = []

    async def ready() -> None:
        await asyncio.sleep(0)
        seen.append("ready")

    asyncio.run(PhoneOptions.from_dict(minimal(OnLoad=ready)).call_on_load())
    assert seen == ["ready"]


# ---- unknown names, aliases, keywords ----


@pytest.mark.parametrize(
    ("typo", "hint"),
    [
        ("EnableCallTranfer", "EnableCallTransfer"),
        ("enablecalltransfer", "EnableCallTransfer"),
        ("UiTheme", "UiThemeStyle"),
        ("ProfileUserID", "ProfileUserId"),
    ],
)
def test_unknown_option_suggests(typo: str, hint: str) -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(**{typo: True}))
    assert e.value.field == typo
    assert f"did you mean {hint!r}" in str(e.value)


def test_unknown_option_without_close_match() -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(Zzzzz=1))
    assert e.value.field == "Zzzzz" and "did you mean" not in str(e.value)


def test_aliases() -> None:
    opts = PhoneOptions.from_dict(minimal(EnabledSettings=True, language="fr"))
    assert opts.enable_settings is True and opts.language == "fr"


def test_alias_and_name_agreeing_is_fine() -> None:
    opts = PhoneOptions.from_dict(minimal(EnabledSettings=True, EnableSettings=True))
    assert opts.enable_settings is True


@pytest.mark.parametrize(
    "over",
    [{"EnabledSettings": True, "EnableSettings": False}, {"language": "fr", "Language": "de"}],
)
def test_alias_and_name_disagreeing_is_an_error(over: dict[str, Any]) -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_dict(minimal(**over))
    assert e.value.field in ("EnableSettings", "Language")


def test_not_a_dict() -> None:
    with pytest.raises(OptionsError):
        PhoneOptions.from_dict([("UserId", "x")])  # type: ignore[arg-type]


def test_from_kwargs_equals_from_dict() -> None:
    frame = object()
    a = PhoneOptions.from_kwargs(
        provisioning=PROV,
        phone_frame=frame,
        profile_user_id="p",
        session_id="s",
        user_id="u",
        enable_call_transfer=False,
        ui_theme_style="system",
        language="ja",
    )
    b = PhoneOptions.from_dict(
        {
            "Provisioning": PROV,
            "PhoneFrame": frame,
            "ProfileUserId": "p",
            "SessionId": "s",
            "UserId": "u",
            "EnableCallTransfer": False,
            "UiThemeStyle": "system",
            "Language": "ja",
        }
    )
    assert a == b


def test_from_kwargs_unknown_and_missing() -> None:
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_kwargs(provisioning=PROV, profile_user_id="p", session_id="s",
                                 user_id="u", enable_call_tranfer=False)  # fmt: skip
    assert e.value.field == "enable_call_tranfer"
    assert "enable_call_transfer" in str(e.value)
    with pytest.raises(OptionsError) as e:
        PhoneOptions.from_kwargs(provisioning=PROV, profile_user_id="p", session_id="s")
    assert e.value.field == "UserId"


def test_session_token_not_in_repr() -> None:
    assert SESSION_TOKEN not in repr(PhoneOptions.from_dict(minimal()))


# ---- feature gates ----

GATES = [
    ("transfer", "EnableCallTransfer"),
    ("hold", "EnableCallHold"),
    ("mute", "EnableCallMute"),
    ("recording", "EnableCallRecording"),
    ("device_selector", "EnableDeviceSelector"),
    ("dial_pad", "EnableDialPad"),
    ("dtmf", "EnableDialPad"),
    ("settings", "EnableSettings"),
]


@pytest.mark.parametrize(("feature", "option"), GATES)
def test_require(feature: Any, option: str) -> None:
    PhoneOptions.from_dict(minimal(**{option: True})).require(feature)
    off = PhoneOptions.from_dict(minimal(**{option: False}, Language="en"))
    assert not off.enabled(feature)
    with pytest.raises(FeatureDisabledError) as e:
        off.require(feature)
    assert e.value.field == option
    assert "disabled" in str(e.value)


def test_settings_are_off_by_default() -> None:
    with pytest.raises(FeatureDisabledError) as e:
        PhoneOptions.from_dict(minimal()).require("settings")
    assert e.value.field == "EnableSettings"


def test_feature_disabled_message_is_translated() -> None:
    opts = PhoneOptions.from_dict(minimal(EnableCallTransfer=False, Language="de"))
    with pytest.raises(FeatureDisabledError) as e:
        opts.require("transfer")
    assert str(e.value) == "Die Anrufweiterleitung ist auf diesem Telefon deaktiviert"
    assert e.value.reason == "Call transfer is disabled on this phone"


def test_unknown_feature_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown feature"):
        PhoneOptions.from_dict(minimal()).require("fax")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("sip:bob@example.com", True),
        ("sips:bob@example.com:5061", True),
        ("SIP:bob@example.com", True),
        ("sip:example.com", False),
        ("1234", False),
        ("+441234567890", False),
        ("bob", False),
        ("tel:+441234", False),
        ("sip:bob @example.com", False),
    ],
)
def test_dial_targets_without_dial_pad(target: str, allowed: bool) -> None:
    opts = PhoneOptions.from_dict(minimal(EnableDialPad=False))
    assert is_sip_uri(target) is allowed
    if allowed:
        opts.check_dial_target(target)
    else:
        with pytest.raises(FeatureDisabledError) as e:
            opts.check_dial_target(target)
        assert e.value.field == "EnableDialPad"


def test_known_targets_may_be_dialled_without_dial_pad() -> None:
    opts = PhoneOptions.from_dict(minimal(EnableDialPad=False))
    opts.check_dial_target("1234", known={"1234", "5678"})
    with pytest.raises(FeatureDisabledError):
        opts.check_dial_target("9999", known={"1234"})


def test_dial_pad_on_allows_anything() -> None:
    PhoneOptions.from_dict(minimal()).check_dial_target("1234")


# ---- the frame ----


def test_ui_options() -> None:
    opts = PhoneOptions.from_dict(
        minimal(EnableAvatar=False, EnableCallRecording=False, UiThemeStyle="system", Language="fr")
    )
    assert opts.ui_options() == {
        "EnableAvatar": False,
        "EnableSettings": False,
        "EnableDialPad": True,
        "EnableCallTransfer": True,
        "EnableCallHold": True,
        "EnableCallMute": True,
        "EnableCallRecording": False,
        "EnableDeviceSelector": True,
        "UiThemeStyle": "system",
        "Language": "fr",
    }


def test_ui_options_resolve_auto_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "nl_BE.UTF-8")
    opts = PhoneOptions.from_dict(minimal())
    assert opts.language == "auto"
    assert opts.ui_options()["Language"] == "nl" == opts.resolved_language


class RecordingFrame:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def configure(self, ui_options: dict[str, Any]) -> None:
        self.calls.append(("configure", (ui_options,)))

    async def toast(self, message: str, title: str | None) -> None:
        self.calls.append(("toast", (message, title)))


def test_frame_methods_called_if_present() -> None:
    frame = RecordingFrame()
    opts = PhoneOptions.from_dict(minimal(PhoneFrame=frame, Language="en"))

    async def run() -> list[bool]:
        return [
            await call_frame(opts.phone_frame, "configure", opts.ui_options()),
            await call_frame(opts.phone_frame, "toast", "hello", None),
            await call_frame(opts.phone_frame, "state_changed", "registered", {}),
            await call_frame(None, "toast", "headless", None),
        ]

    assert asyncio.run(run()) == [True, True, False, False]
    assert frame.calls == [("configure", (opts.ui_options(),)), ("toast", ("hello", None))]


def test_failing_frame_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def toast(self, message: str, title: str | None) -> None:
            raise RuntimeError("frame broke")

    assert asyncio.run(call_frame(Broken(), "toast", "x", None)) is False
    assert "frame broke" in caplog.text


def test_call_frame_rejects_unknown_methods() -> None:
    with pytest.raises(ValueError):
        asyncio.run(call_frame(RecordingFrame(), "explode"))
