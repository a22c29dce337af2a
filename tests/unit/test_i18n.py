"""Message catalogues: complete, consistent, and the locale resolution rules."""

from __future__ import annotations

import pytest

from siperb.phone.i18n import (
    LANGUAGES,
    Translator,
    catalogue,
    match_language,
    placeholders,
    resolve_language,
)

REFERENCE = catalogue("en")
REQUIRED_KEYS = [
    "call.state.ringing", "call.state.connected", "call.state.on_hold", "call.state.ended",
    "call.incoming", "call.missed", "call.busy", "call.declined", "call.not_found",
    "call.failed", "registration.registered", "registration.failed",
    "registration.unregistered", "toast.recording_started", "toast.recording_stopped",
    "toast.transfer_complete", "toast.transfer_failed", "toast.muted", "toast.unmuted",
    "toast.on_hold", "toast.resumed", "feature.disabled", "error.connect", "error.register",
]  # fmt: skip


def test_the_shipped_languages() -> None:
    assert LANGUAGES == (
        "en", "fr", "ja", "zh-hans", "zh", "ru", "tr", "nl", "es", "de", "pl", "pt-br", "he",
    )  # fmt: skip


def test_reference_has_the_required_keys_and_placeholders() -> None:
    assert set(REQUIRED_KEYS) <= set(REFERENCE)
    assert len(REFERENCE) >= 30
    assert placeholders(REFERENCE["feature.disabled"]) == {"feature"}
    assert placeholders(REFERENCE["error.register"]) == {"status", "reason"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_complete(language: str) -> None:
    messages = catalogue(language)
    assert set(messages) == set(REFERENCE), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_placeholders(language: str) -> None:
    messages = catalogue(language)
    for key, reference in REFERENCE.items():
        assert placeholders(messages[key]) == placeholders(reference), (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_messages_are_real_text(language: str) -> None:
    for key, message in catalogue(language).items():
        assert message.strip() == message and message, (language, key)
        assert message != key


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_translated_not_copied(language: str) -> None:
    messages = catalogue(language)
    same = [k for k, v in messages.items() if v == REFERENCE[k]]
    assert len(same) <= 2, (language, same)


def test_simplified_and_traditional_differ() -> None:
    assert catalogue("zh-hans")["registration.registered"] == "已注册"
    assert catalogue("zh")["registration.registered"] == "已註冊"


def test_translator_formats() -> None:
    tr = Translator("en")
    assert tr.language == "en"
    assert tr.t("call.incoming", caller="Alice") == "Incoming call from Alice"
    assert tr.t("error.register", status=403, reason="Forbidden") == (
        "The server refused the registration: 403 Forbidden"
    )
    assert Translator("fr").t("call.missed", caller="Bob") == "Appel manqué de Bob"


def test_missing_parameter_is_left_visible() -> None:
    assert Translator("en").t("call.incoming") == "Incoming call from {caller}"


def test_unknown_key() -> None:
    with pytest.raises(KeyError):
        Translator("en").t("no.such.key")


def test_unsupported_language() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        Translator("xx")
    assert Translator("it").language == "en"  # a real language without a catalogue


ENV_CASES = [
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "de_DE@euro"}, "de"),
    ({"LANG": "ja_JP.eucJP"}, "ja"),
    ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
    ({"LANG": "zh_SG"}, "zh-hans"),
    ({"LANG": "zh"}, "zh-hans"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LANG": "zh_HK"}, "zh"),
    ({"LANG": "pt_BR.UTF-8"}, "pt-br"),
    ({"LANG": "pt_PT.UTF-8"}, "pt-br"),
    ({"LANG": "he_IL.UTF-8"}, "he"),
    ({"LANG": "iw_IL"}, "he"),
    ({"LANG": "es_MX.UTF-8"}, "es"),
    ({"LANG": "nl_BE"}, "nl"),
    ({"LANG": "ru_RU.UTF-8"}, "ru"),
    ({"LANG": "tr_TR"}, "tr"),
    ({"LANG": "pl_PL"}, "pl"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "it_IT.UTF-8"}, "en"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({}, "en"),
    ({"LC_ALL": "de_DE.UTF-8", "LC_MESSAGES": "fr_FR", "LANG": "es_ES"}, "de"),
    ({"LC_MESSAGES": "fr_FR", "LANG": "es_ES"}, "fr"),
    ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "es_ES"}, "es"),
    ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),  # POSIX: the first one set decides
    ({"LC_ALL": "POSIX", "LC_MESSAGES": "C.UTF-8", "LANG": "ru_RU"}, "en"),
    ({"LC_MESSAGES": "C.UTF-8", "LANG": "ru_RU"}, "en"),
]


@pytest.mark.parametrize(("env", "expected"), ENV_CASES)
def test_auto_from_locale(env: dict[str, str], expected: str) -> None:
    assert resolve_language("auto", environ=env) == expected
    assert resolve_language(None, environ=env) == expected
    assert Translator("auto", environ=env).language == expected


def test_auto_uses_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "pl_PL.UTF-8")
    assert resolve_language() == "pl"
    assert Translator().t("call.busy") == "Linia jest zajęta"


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en", "en"), ("EN", "en"), ("en-US", "en"), ("zh-Hans", "zh-hans"), ("zh-Hant", "zh"),
     ("zh-Hant-TW", "zh"), ("zh-Hans-CN", "zh-hans"), ("pt-br", "pt-br"), ("pt", "pt-br"),
     ("he", "he"), ("it", None), ("", None), ("xx_YY", None)],
)  # fmt: skip
def test_match_language(tag: str, code: str | None) -> None:
    assert match_language(tag) == code


def test_explicit_value_is_matched_not_guessed() -> None:
    assert resolve_language("pt_BR") == "pt-br"
    assert resolve_language("zh") == "zh"  # the Siperb code, unlike a bare zh locale
    with pytest.raises(ValueError):
        resolve_language("klingon")
