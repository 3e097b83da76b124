"""Names for pair channels, within Slack's rules.

Slack takes lowercase ASCII letters, digits, hyphens and underscores, at most 80 characters;
anything else is refused with `invalid_name_specials` or `invalid_name_maxlength`. People in
these programmes are called Søren, Åsa, Łukasz and 王伟, so names are transliterated the way
a Dane or a German would spell them in ASCII (ø → oe, å → aa, ü → ue, ß → ss), everything
else loses its accents through Unicode decomposition, and what still is not ASCII (a
Chinese name, an emoji) is dropped rather than turned into noise. The result is meant to be
read: `spring-2027-soeren-aasa`.

Pure functions only: the opener in `bot.pairs.channels` decides which attempt to use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MAX_CHANNEL_NAME = 80
# Each first name keeps at most this much, so a long round name cannot push a person out.
MAX_NAME_PART = 20
FALLBACK_NAME = "mentoring-pair"

# Letters that Unicode decomposition would get wrong (ø → o, å → a) or not at all (ł, ß).
_SPECIAL = {
    "æ": "ae",
    "ø": "oe",
    "å": "aa",
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "ẞ": "ss",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ŋ": "ng",
    "ħ": "h",
}
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def slugify(text: str) -> str:
    """`"Søren Åsa!"` → `"soeren-aasa"`: lowercase ASCII words joined by single hyphens.

    Lowercasing comes first so that "Ø" and "ø" meet the same rule; decomposition (NFKD)
    turns "é" into "e" + a combining accent, which is then dropped, and folds look-alikes
    such as fullwidth "Ａ" or "²" into "a" and "2"."""
    lowered = text.lower()
    mapped = "".join(_SPECIAL.get(character, character) for character in lowered)
    decomposed = unicodedata.normalize("NFKD", mapped)
    stripped = "".join(character for character in decomposed if not unicodedata.combining(character))
    ascii_only = stripped.lower().encode("ascii", "ignore").decode("ascii")
    return _NOT_NAME.sub("-", ascii_only).strip("-")


def first_name(full_name: str) -> str:
    """The first word of a name as people write it ("Ana Souza" → "Ana")."""
    parts = full_name.split()
    return parts[0] if parts else ""


def _cut(slug: str, limit: int) -> str:
    return slug[:limit].strip("-") if limit > 0 else ""


def pair_channel_name(*, round_name: str, first_names: Sequence[str], attempt: int = 1) -> str:
    """The channel name for a pair, attempt 1 bare and later attempts with `-2`, `-3` …

    Always valid for Slack, whatever the input: names that transliterate to nothing are
    left out, and when nothing at all is left the name is `mentoring-pair`. A suffix never
    pushes the name past 80 characters: the round part gives way first, then the names."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    suffix = "" if attempt == 1 else f"-{attempt}"
    budget = MAX_CHANNEL_NAME - len(suffix)
    names = [slug for slug in (_cut(slugify(name), MAX_NAME_PART) for name in first_names) if slug]
    round_slug = slugify(round_name)
    names_part = "-".join(names)
    if len(names_part) > budget:
        names_part = _cut(names_part, budget)
    room_for_round = budget - len(names_part) - (1 if names_part else 0)
    round_part = _cut(round_slug, room_for_round)
    base = "-".join(part for part in (round_part, names_part) if part) or FALLBACK_NAME
    return base + suffix


def is_valid_channel_name(name: str) -> bool:
    """What Slack accepts for a new channel (and a little stricter: no leading hyphen)."""
    return 0 < len(name) <= MAX_CHANNEL_NAME and bool(_CHANNEL_NAME.match(name))


__all__ = ["FALLBACK_NAME", "MAX_CHANNEL_NAME", "first_name", "is_valid_channel_name", "pair_channel_name", "slugify"]
