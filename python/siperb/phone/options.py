"""The options of ProvisionPhone(), validated once, with the documented defaults.

Every option of the Siperb SDK page is here under its documented name (``PhoneOptions.from_dict``)
and as a snake_case keyword (``PhoneOptions.from_kwargs``). Parsing is strict: an unknown option
gets a "did you mean", a boolean option takes only ``True``/``False`` (not ``"yes"`` or ``1``),
and the older SDK spellings ``EnabledSettings`` and ``language`` are accepted as aliases.

Deliberate differences from the browser SDK:

- ``PhoneFrame`` may be ``None`` (headless, the normal case in Python); otherwise it is any object
  following :class:`siperb.phone.frame.PhoneFrame`.
- With ``EnableDialPad=False`` the phone refuses DTMF and dialling *free-form* targets, meaning
  anything that is not a complete SIP URI (``sip:user@host``) nor a target the application
  passes as known (from call history or contacts). That keeps a kiosk phone to its directory.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import FeatureDisabledError, OptionsError
from .i18n import AUTO, Translator, resolve_language
from .provisioning import Provisioning

#: Documented option name -> keyword name.
OPTIONS: dict[str, str] = {
    "Provisioning": "provisioning",
    "PhoneFrame": "phone_frame",
    "ProfileUserId": "profile_user_id",
    "SessionId": "session_id",
    "UserId": "user_id",
    "EnableAvatar": "enable_avatar",
    "EnableSettings": "enable_settings",
    "EnableDialPad": "enable_dial_pad",
    "EnableCallTransfer": "enable_call_transfer",
    "EnableCallHold": "enable_call_hold",
    "EnableCallMute": "enable_call_mute",
    "EnableCallRecording": "enable_call_recording",
    "EnableDeviceSelector": "enable_device_selector",
    "UiThemeStyle": "ui_theme_style",
    "Language": "language",
    "OnLoad": "on_load",
}
#: Older spellings found in the SDK's own code.
ALIASES: dict[str, str] = {"EnabledSettings": "EnableSettings", "language": "Language"}
_NAME_OF = {v: k for k, v in OPTIONS.items()}

THEMES = ("light", "dark", "system")
_BOOL_OPTIONS = tuple(name for name in OPTIONS if name.startswith("Enable"))
_REQUIRED_IDS = ("ProfileUserId", "SessionId", "UserId")

Feature = Literal[
    "transfer", "hold", "mute", "recording", "device_selector", "dial_pad", "dtmf", "settings"
]
#: Feature -> (gating option, i18n key of its name).
FEATURES: dict[str, tuple[str, str]] = {
    "transfer": ("EnableCallTransfer", "feature.transfer"),
    "hold": ("EnableCallHold", "feature.hold"),
    "mute": ("EnableCallMute", "feature.mute"),
    "recording": ("EnableCallRecording", "feature.recording"),
    "device_selector": ("EnableDeviceSelector", "feature.device_selector"),
    "dial_pad": ("EnableDialPad", "feature.dial_pad"),
    "dtmf": ("EnableDialPad", "feature.dial_pad"),
    "settings": ("EnableSettings", "feature.settings"),
}


def _err(name: str, reason: str) -> OptionsError:
    return OptionsError(f"ProvisionPhone option {name}: {reason}", field=name, reason=reason)


def _suggest(name: str, candidates: Collection[str]) -> str:
    folded = {c.casefold(): c for c in candidates}
    hit = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[hit[0]]!r}?" if hit else ""


def is_sip_uri(target: str) -> bool:
    """A complete ``sip:``/``sips:`` URI with a user and a host."""
    scheme, colon, rest = target.strip().partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        return False
    user, at, host = rest.partition("@")
    return bool(at and user and host) and not any(c.isspace() for c in rest)


@dataclass(frozen=True, kw_only=True)
class PhoneOptions:
    """Validated ProvisionPhone() options (documented names in comments)."""

    provisioning: Provisioning  # Provisioning (a dict is parsed with Provisioning.from_dict)
    profile_user_id: str  # ProfileUserId
    session_id: str = field(repr=False)  # SessionId (a session token: kept out of repr)
    user_id: str  # UserId
    phone_frame: object | None = None  # PhoneFrame (None: headless)
    enable_avatar: bool = True
    enable_settings: bool = False
    enable_dial_pad: bool = True
    enable_call_transfer: bool = True
    enable_call_hold: bool = True
    enable_call_mute: bool = True
    enable_call_recording: bool = True
    enable_device_selector: bool = True
    ui_theme_style: str = "light"
    language: str = AUTO
    on_load: Callable[[], Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        prov: object = self.provisioning
        if isinstance(prov, Mapping):
            set_(self, "provisioning", Provisioning.from_dict(prov))
        elif not isinstance(prov, Provisioning):
            raise _err("Provisioning", f"must be a Provisioning or a dict, got {_tname(prov)}")
        for name in _REQUIRED_IDS:
            value = getattr(self, OPTIONS[name])
            if not isinstance(value, str):
                raise _err(name, f"is required and must be a string, got {_tname(value)}")
            value = value.strip()
            if not value:
                raise _err(name, "is required and must not be empty")
            if not value.isprintable():
                raise _err(name, "must not contain control characters")
            set_(self, OPTIONS[name], value)
        for name in _BOOL_OPTIONS:
            value = getattr(self, OPTIONS[name])
            if not isinstance(value, bool):
                raise _err(name, f"must be True or False, got {value!r}")
        theme = self.ui_theme_style
        if not isinstance(theme, str) or theme.strip().lower() not in THEMES:
            raise _err("UiThemeStyle", f"must be one of {', '.join(THEMES)}, got {theme!r}")
        set_(self, "ui_theme_style", theme.strip().lower())
        lang = self.language
        if not isinstance(lang, str):
            raise _err("Language", f"must be a string, got {_tname(lang)}")
        if lang.strip().lower() != AUTO:
            try:
                lang = resolve_language(lang)
            except ValueError as exc:
                raise _err("Language", str(exc)) from None
        set_(self, "language", lang.strip().lower())
        if self.on_load is not None and not callable(self.on_load):
            raise _err("OnLoad", f"must be callable, got {_tname(self.on_load)}")

    # ---- parsing ----

    @classmethod
    def from_dict(cls, options: Mapping[str, Any]) -> PhoneOptions:
        """Options under their documented names (the JavaScript object, as a dict)."""
        if not isinstance(options, Mapping):
            raise OptionsError(
                f"ProvisionPhone options must be a dict, got {_tname(options)}", field="options"
            )
        given: dict[str, tuple[str, Any]] = {}
        for key, value in options.items():
            name = ALIASES.get(key, key) if isinstance(key, str) else key
            if name not in OPTIONS:
                known = [*OPTIONS, *ALIASES]
                raise _err(str(key), f"unknown option{_suggest(str(key), known)}")
            if name in given:
                first_key, first = given[name]
                if first is not value and first != value:
                    raise _err(name, f"{first_key!r} and {key!r} are the same option with "
                               "different values")  # fmt: skip
                continue
            given[name] = (key, value)
        return cls._build({OPTIONS[n]: v for n, (_, v) in given.items()})

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> PhoneOptions:
        """Options as snake_case keywords (``profile_user_id=``, ``enable_call_hold=``...)."""
        for key in kwargs:
            if key not in _NAME_OF:
                raise _err(key, f"unknown option{_suggest(key, list(_NAME_OF))}")
        return cls._build(kwargs)

    @classmethod
    def _build(cls, kwargs: dict[str, Any]) -> PhoneOptions:
        missing = [n for n in ("Provisioning", *_REQUIRED_IDS) if OPTIONS[n] not in kwargs]
        if missing:
            raise _err(missing[0], "is required")
        return cls(**kwargs)

    # ---- what the phone does with them ----

    @property
    def resolved_language(self) -> str:
        """The language code in use (``auto`` resolved from the locale now)."""
        return resolve_language(self.language)

    def translator(self) -> Translator:
        """A translator for the phone's Language (status texts, toasts)."""
        return Translator(self.language)

    def ui_options(self) -> dict[str, Any]:
        """Exactly what a PhoneFrame's ``configure()`` receives."""
        out: dict[str, Any] = {name: getattr(self, OPTIONS[name]) for name in _BOOL_OPTIONS}
        out["UiThemeStyle"] = self.ui_theme_style
        out["Language"] = self.resolved_language
        return out

    def enabled(self, feature: Feature) -> bool:
        """Whether an Enable* option allows ``feature`` (a feature name or its option)."""
        option, _ = _feature(feature)
        value: bool = getattr(self, OPTIONS[option])
        return value

    def require(self, feature: Feature) -> None:
        """Raise :class:`FeatureDisabledError` if an Enable* option switched ``feature`` off."""
        if not self.enabled(feature):
            option, key = _feature(feature)
            raise self._disabled(option, key)

    def check_dial_target(self, target: str, *, known: Collection[str] = ()) -> None:
        """Refuse a free-form target when the dial pad is off (see the module docstring)."""
        if self.enable_dial_pad:
            return
        if is_sip_uri(target) or target.strip() in known:
            return
        raise self._disabled("EnableDialPad", "feature.dial_pad")

    def _disabled(self, option: str, key: str) -> FeatureDisabledError:
        tr = self.translator()
        english = Translator("en")
        return FeatureDisabledError(
            tr.t("feature.disabled", feature=tr.t(key)),
            field=option,
            reason=english.t("feature.disabled", feature=english.t(key)),
        )

    async def call_on_load(self) -> None:
        """Run ``OnLoad`` (plain or async); its failure is the caller's to log."""
        if self.on_load is not None:
            result = self.on_load()
            if inspect.isawaitable(result):
                await result


def _feature(feature: str) -> tuple[str, str]:
    try:
        return FEATURES[feature]
    except KeyError:
        raise ValueError(f"unknown feature {feature!r} (known: {', '.join(FEATURES)})") from None


def _tname(value: object) -> str:
    return type(value).__name__


__all__ = [
    "ALIASES",
    "FEATURES",
    "OPTIONS",
    "THEMES",
    "Feature",
    "PhoneOptions",
    "is_sip_uri",
]
