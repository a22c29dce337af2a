"""Message catalogues and language resolution for every user-facing string.

The languages are the ones the Siperb phone ships, English first. ``"auto"`` resolves from the
process locale as POSIX does: the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set
decides, and ``C``/``POSIX`` there means English. A real language with no catalogue here
(``ko``, ``ko_KR``) falls back to English; only a code that is no language at all is refused.
Choices the SDK leaves open:

- Chinese: ``zh-hans`` is Simplified (``zh_CN``, ``zh_SG``, ``zh_MY``, ``zh-Hans``, a bare
  ``zh``); ``zh`` is the Traditional catalogue (``zh_TW``, ``zh_HK``, ``zh_MO``, ``zh-Hant``).
- Portuguese: every ``pt`` locale (``pt_PT`` too) gets ``pt-br``; a Portuguese reader is better
  served by Brazilian Portuguese than by English.
- Hebrew: the legacy code ``iw`` is ``he``.
"""

from __future__ import annotations

import importlib
import locale
import os
import string
from collections.abc import Mapping
from functools import cache

#: Supported codes, in the matching order; ``en`` is the reference and the fallback.
LANGUAGES: tuple[str, ...] = (
    "en", "fr", "ja", "zh-hans", "zh", "ru", "tr", "nl", "es", "de", "pl", "pt-br", "he",
)  # fmt: skip
DEFAULT_LANGUAGE = "en"
AUTO = "auto"
_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
_TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


def catalogue(language: str) -> Mapping[str, str]:
    """The messages of one supported language (``KeyError`` otherwise)."""
    return _load(language)


@cache
def _load(language: str) -> Mapping[str, str]:
    if language not in LANGUAGES:
        raise KeyError(language)
    module = importlib.import_module(f"{__name__}.{language.replace('-', '_')}")
    messages: dict[str, str] = module.MESSAGES
    return messages


def placeholders(message: str) -> frozenset[str]:
    """The ``{name}`` fields of a message."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)


def match_language(tag: str, *, locale: bool = False) -> str | None:
    """A supported code for a language tag or locale name (``de_AT.UTF-8``), or ``None``.

    An explicit ``zh`` is the Siperb code (Traditional); a locale of just ``zh``
    (``locale=True``) says nothing about the script and gets the more common Simplified.
    """
    base = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    if not base:
        return None
    if base in LANGUAGES and not (locale and base == "zh"):
        return base
    parts = base.split("-")
    primary, rest = parts[0], set(parts[1:])
    if primary == "zh":
        return "zh" if rest & (_TRADITIONAL_REGIONS | {"hant"}) else "zh-hans"
    if primary == "pt":
        return "pt-br"
    if primary == "iw":
        return "he"
    return primary if primary in LANGUAGES else None


@cache
def _known_languages() -> frozenset[str]:
    """ISO 639 codes the C library knows locales for (``ko``, ``sw`` ...): real languages."""
    codes = {k.split("_", 1)[0].split(".", 1)[0].split("@", 1)[0] for k in locale.locale_alias}
    return frozenset(c for c in codes if 2 <= len(c) <= 3 and c.isalpha())


def is_language(tag: str) -> bool:
    """Whether ``tag`` names a real language (supported or not)."""
    base = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    return base.split("-", 1)[0] in _known_languages()


def locale_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language of the process locale, if it names a supported one (``C``: English)."""
    env = os.environ if environ is None else environ
    for var in _LOCALE_VARS:
        value = env.get(var, "")
        if value:
            if value.split(".", 1)[0] in ("C", "POSIX"):
                return DEFAULT_LANGUAGE
            return match_language(value, locale=True)
    return None


def resolve_language(value: str | None = AUTO, *, environ: Mapping[str, str] | None = None) -> str:
    """A supported code for ``value``: ``auto``/``None`` from the locale, else matched.

    A real language without a catalogue is English; a value that is no language raises
    ``ValueError`` (an option typo should not silently become English).
    """
    if value is None or value.strip().lower() == AUTO:
        return locale_language(environ) or DEFAULT_LANGUAGE
    found = match_language(value)
    if found is None and is_language(value):
        return DEFAULT_LANGUAGE
    if found is None:
        known = ", ".join(LANGUAGES)
        raise ValueError(f"unsupported language {value!r} (supported: auto, {known})")
    return found


class _Params(dict[str, object]):
    """Leaves an unknown ``{name}`` as is rather than failing in the middle of a toast."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    """Messages in one language; keys missing there fall back to English."""

    def __init__(self, language: str | None = AUTO, *, environ: Mapping[str, str] | None = None):
        self.language = resolve_language(language, environ=environ)
        self._messages = catalogue(self.language)
        self._fallback = catalogue(DEFAULT_LANGUAGE)

    def t(self, key: str, **params: object) -> str:
        """The message ``key`` with ``params`` filled in (``KeyError`` for an unknown key)."""
        message = self._messages.get(key)
        if message is None:
            message = self._fallback[key]
        return message.format_map(_Params(params))

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


__all__ = [
    "AUTO",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Translator",
    "catalogue",
    "is_language",
    "locale_language",
    "match_language",
    "placeholders",
    "resolve_language",
]
