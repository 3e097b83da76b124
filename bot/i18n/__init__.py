"""Every string a participant sees, in English and Danish.

Catalogs are flat JSON files per area (`catalogs/<area>.<lang>.json`) so that features can
be added without everyone editing one file; a key may live in one area only.
"""

from __future__ import annotations

import json
import string
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

CATALOG_DIR = Path(__file__).with_name("catalogs")
LANGUAGES = ("en", "da")
DEFAULT_LANGUAGE = "en"
BABEL_LOCALES = {"en": "en_GB", "da": "da_DK"}


class CatalogError(Exception):
    """Catalogs disagree: a key is missing in one language, duplicated, or has other placeholders."""


def normalise_language(language: str | None) -> str:
    """Map whatever we were given ("da-DK", "en-US", None) to a catalog language."""
    if not language:
        return DEFAULT_LANGUAGE
    short = language.replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> dict[str, str]:
    """The merged catalog for one language; a key defined in two area files is an error."""
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob(f"*.{language}.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, text in entries.items():
            if key in merged:
                raise CatalogError(f"{key!r} is defined in both {origin[key]} and {path.name}")
            merged[key] = text
            origin[key] = path.name
    return merged


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def t(key: str, language: str | None = None, /, **params: object) -> str:
    """Translate `key`; a missing Danish entry falls back to English rather than failing a user."""
    lang = normalise_language(language)
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise KeyError(f"no catalog entry {key!r}")
    return text.format(**params) if params else text


def babel_locale(language: str | None) -> str:
    return BABEL_LOCALES[normalise_language(language)]


def format_day(day: date, language: str | None) -> str:
    """A date as people write it in that language: "2 December 2026" / "2. december 2026"."""
    return format_date(day, format="long", locale=babel_locale(language))


def format_moment(moment: datetime, language: str | None, timezone: str) -> str:
    """An instant in the reader's own time zone and language, to the minute:
    "10 Feb 2027, 17:00" / "10. feb. 2027 17.00" (seconds mean nothing in an invitation)."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    locale = babel_locale(language)
    return f"{format_date(local, format='medium', locale=locale)}, {format_time(local, format='short', locale=locale, tzinfo=zone)}"


def format_clock(moment: datetime, language: str | None, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return format_time(local, format="short", locale=babel_locale(language), tzinfo=ZoneInfo(timezone))
