"""Every string a participant sees, in English and Danish.

Catalogs are flat JSON files per area (`catalogs/<area>.<lang>.json`) so that features can
be added without everyone editing one file; a key may live in one area only.

An entry is a string, or, where a number decides the wording, its plural forms under the
language's CLDR categories (Babel knows them: English and Danish have "one" and "other"):

    "match.confirm.title": {"one": "Publish {count} pair?", "other": "Publish {count} pairs?"}

chosen by the `count` parameter. A sentence with several numbers names each one and gives its
forms beside the sentence, so every number agrees with its own noun:

    "match.published": {"text": "Published {pairs} for {round}; {notified} will hear from us.",
                        "pairs": {"one": "{pairs} pair", "other": "{pairs} pairs"},
                        "notified": {"one": "{notified} person", "other": "{notified} people"}}

A language whose noun does not change (Danish "1 par", "3 par") may keep a plain string.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TypeAlias
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time

CATALOG_DIR = Path(__file__).with_name("catalogs")
LANGUAGES = ("en", "da")
DEFAULT_LANGUAGE = "en"
BABEL_LOCALES = {"en": "en_GB", "da": "da_DK"}
COUNT = "count"  # the parameter that picks the form of a plain plural entry
TEXT = "text"  # the sentence of an entry that has several numbers

PluralForms: TypeAlias = Mapping[str, str]
Entry: TypeAlias = str | Mapping[str, str | PluralForms]


class CatalogError(Exception):
    """Catalogs disagree: a key is missing in one language, duplicated, or has other placeholders."""


def normalise_language(language: str | None) -> str:
    """Map whatever we were given ("da-DK", "en-US", None) to a catalog language."""
    if not language:
        return DEFAULT_LANGUAGE
    short = language.replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalog(language: str) -> dict[str, Entry]:
    """The merged catalog for one language; a key defined in two area files is an error."""
    merged: dict[str, Entry] = {}
    origin: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob(f"*.{language}.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, text in entries.items():
            if key in merged:
                raise CatalogError(f"{key!r} is defined in both {origin[key]} and {path.name}")
            merged[key] = text
            origin[key] = path.name
    return merged


def plain_entries(language: str) -> dict[str, str]:
    """The entries of a catalog that are plain strings, for code that formats them itself
    (the workbook's problems, whose catalog has no plurals)."""
    return {key: entry for key, entry in catalog(language).items() if isinstance(entry, str)}


def plural_forms(entry: Entry) -> dict[str, PluralForms]:
    """The plural forms of an entry, by the parameter whose number picks them ({} for a plain string)."""
    if isinstance(entry, str):
        return {}
    if TEXT not in entry:
        return {COUNT: {category: str(text) for category, text in entry.items()}}
    return {name: forms for name, forms in entry.items() if name != TEXT and not isinstance(forms, str)}


def entry_texts(entry: Entry) -> list[str]:
    """Every piece of text an entry holds: the sentence and each plural form."""
    if isinstance(entry, str):
        return [entry]
    sentence = [str(entry[TEXT])] if TEXT in entry else []
    return sentence + [text for forms in plural_forms(entry).values() for text in forms.values()]


def placeholders(entry: Entry) -> set[str]:
    """The parameters an entry uses, in any of its forms."""
    fields: set[str] = set()
    for text in entry_texts(entry):
        fields |= {field for _, field, _, _ in string.Formatter().parse(text) if field}
    if not isinstance(entry, str) and TEXT not in entry:
        fields.add(COUNT)
    return fields


def plural_category(language: str | None, number: object) -> str:
    """The CLDR plural category of a number in a language ("one", "other", ...).

    Numbers stored as text (a matching snapshot keeps its parameters as strings) count too;
    anything that is not a number reads as "other", the form every language has."""
    if isinstance(number, bool):
        return "other"
    value: int | float | Decimal
    if isinstance(number, (int, float, Decimal)):
        value = number
    else:
        try:
            value = Decimal(str(number).strip())
        except InvalidOperation:
            return "other"
        if not value.is_finite():
            return "other"
    return str(Locale.parse(babel_locale(language)).plural_form(value))


def _pick(forms: PluralForms, language: str, number: object) -> str:
    return forms.get(plural_category(language, number)) or forms["other"]


def _text_for(key: str, entry: Entry, language: str, params: Mapping[str, object]) -> str:
    if isinstance(entry, str):
        return entry.format(**params) if params else entry
    chosen: dict[str, object] = {}
    for name, forms in plural_forms(entry).items():
        if name not in params:
            raise KeyError(f"catalog entry {key!r} needs the number {name!r}")
        chosen[name] = _pick(forms, language, params[name]).format(**params)
    if TEXT not in entry:
        return str(chosen[COUNT])
    return str(entry[TEXT]).format(**{**params, **chosen})


def t(key: str, language: str | None = None, /, **params: object) -> str:
    """Translate `key`; a missing Danish entry falls back to English rather than failing a user.

    A plural entry takes its form from `count` (or from each number it names), by the plural
    rules of the language the text is in."""
    lang = normalise_language(language)
    entry = catalog(lang).get(key)
    if entry is None:
        lang = DEFAULT_LANGUAGE
        entry = catalog(lang).get(key)
    if entry is None:
        raise KeyError(f"no catalog entry {key!r}")
    return _text_for(key, entry, lang, params)


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
    day = format_date(local, format="medium", locale=locale)
    return f"{day}, {format_time(local, format='short', locale=locale, tzinfo=zone)}"


def format_clock(moment: datetime, language: str | None, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return format_time(local, format="short", locale=babel_locale(language), tzinfo=ZoneInfo(timezone))
