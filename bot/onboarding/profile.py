"""A participant's profile: who may edit it, what it holds now, and checking what they typed.

The workbook gives a first version of each profile; the person completes and corrects it
in a modal. The modal must open within 3 seconds of a click, so loading is one small
query. Saving validates everything first and writes nothing on any error, so a half-typed
form never leaves a half-updated profile (and never marks someone "ready" too early).

Errors are keyed by the form's field names (which the modal uses as its block ids) and
already translated, so the handler only has to hand them back to Slack.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.people import is_known_time_zone
from bot.core.timing import DEFAULT_TIMEZONE
from bot.core.workspace import Workspace
from bot.i18n import LANGUAGES, normalise_language, t
from storage.models import Participant, Programme, Role, Round

# Field names: the modal's block ids and the keys of validation errors.
FIELD = "field"
YEARS = "years"
LANGUAGES_FIELD = "languages"
INTERESTS = "interests"
GOALS = "goals"  # mentees: what they want from the round
EXPERTISE = "expertise"  # mentors: what they can offer
AVAILABILITY = "availability"
LANGUAGE = "language"
TIMEZONE = "timezone"

TEXT_LIMIT = 2000  # what a person may type into one box
FIELD_LIMIT = 200  # the column's size
LIST_ITEM_LIMIT = 100
LIST_LIMIT = 30
YEARS_MAX = 60
_LIST_SEPARATORS = re.compile(r"[,;\n]+")
_WHOLE_NUMBER = re.compile(r"^\d+$")


class ProfileAccess(str, enum.Enum):
    """Why a person may, or may not, edit a profile now."""

    OK = "ok"
    NOT_PARTICIPANT = "not_participant"  # in no round at all
    COORDINATOR = "coordinator"  # coordinators run the round; they have no profile
    NOT_CONSENTED = "not_consented"  # must say yes to coordination first
    OPTED_OUT = "opted_out"  # declined: we keep nothing new about them
    NOT_YOURS = "not_yours"  # a forwarded button, or a modal for a row that is not theirs


@dataclass(frozen=True, kw_only=True)
class ProfileDraft:
    """What the modal is prefilled with: the stored profile, plus where it belongs."""

    participant_id: int
    role: Role
    round_name: str
    language: str
    field: str | None
    years_experience: int | None
    languages: list[str]
    interests: list[str]
    statement: str | None  # goals for a mentee, expertise for a mentor
    availability: str | None
    timezone: str
    timezone_confirmed: bool
    completed: bool

    @property
    def statement_key(self) -> str:
        return EXPERTISE if self.role is Role.MENTOR else GOALS


@dataclass(frozen=True, kw_only=True)
class ProfileLoad:
    """The answer to "may this person edit their profile now, and what is in it?"."""

    access: ProfileAccess
    language: str
    draft: ProfileDraft | None = None


@dataclass(frozen=True, kw_only=True)
class ProfileForm:
    """What the person submitted, as raw text (None for an empty box); parsed here, not in Slack code."""

    field: str | None = None
    years_experience: str | None = None
    languages: str | None = None
    interests: str | None = None
    statement: str | None = None
    availability: str | None = None
    language: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, kw_only=True)
class SavedProfile:
    """The stored profile after a save, for the confirmation message."""

    role: Role
    round_name: str
    field: str
    years_experience: int | None
    languages: list[str]
    interests: list[str]
    statement: str
    availability: str | None
    timezone: str


@dataclass(frozen=True, kw_only=True)
class ProfileSaveResult:
    """Either `errors` (block id -> message in the person's language, nothing stored) or `saved`."""

    access: ProfileAccess
    language: str
    errors: dict[str, str] = field(default_factory=dict)
    saved: SavedProfile | None = None
    first_time: bool = False
    slack_user_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.access is ProfileAccess.OK and not self.errors and self.saved is not None


def load_profile(
    session: Session, *, slack_user_id: str, workspace: Workspace, participant_id: int | None = None
) -> ProfileLoad:
    """The profile a person may edit now: that of their newest round as mentor or mentee.

    `participant_id` is what a button carried; it must be one of this person's rows (a
    forwarded message must not open someone else's profile), but a button from an older
    round still opens the newest one, which is the profile that matters now."""
    rows = _rows_of(session, slack_user_id, workspace)
    language = normalise_language(rows[0].language if rows else None)
    if participant_id is not None and participant_id not in {row.id for row in rows}:
        return ProfileLoad(access=ProfileAccess.NOT_YOURS, language=language)
    participant = _newest_profiled_row(rows)
    if participant is None:
        coordinator = any(row.role is Role.COORDINATOR for row in rows)
        access = ProfileAccess.COORDINATOR if coordinator else ProfileAccess.NOT_PARTICIPANT
        return ProfileLoad(access=access, language=language)
    language = normalise_language(participant.language)
    access = _access_of(participant)
    if access is not ProfileAccess.OK:
        return ProfileLoad(access=access, language=language)
    return ProfileLoad(access=access, language=language, draft=_draft_of(session, participant))


def save_profile(
    session: Session, *, slack_user_id: str, workspace: Workspace, participant_id: int, form: ProfileForm, now: datetime
) -> ProfileSaveResult:
    """Validate the whole form, then store all of it in the caller's unit of work, or nothing.

    The first complete save sets `profile_completed_at` (which makes the person "ready" to
    be matched); the time zone they saw and kept counts as confirmed. The row is locked
    before it is read (FOR UPDATE; SQLite's BEGIN IMMEDIATE already serialises), so of two
    saves arriving together (a double press) only one is the first: on PostgreSQL both
    would otherwise find no profile yet, and both thank the person for a first profile."""
    participant = session.get(Participant, participant_id, with_for_update=True, populate_existing=True)
    if (participant is None or participant.slack_user_id != slack_user_id
            or not workspace.owns_round(session, participant.round_id)):
        rows = _rows_of(session, slack_user_id, workspace)
        language = normalise_language(rows[0].language if rows else None)
        return ProfileSaveResult(access=ProfileAccess.NOT_YOURS, language=language)
    language = normalise_language(participant.language)
    if participant.role is Role.COORDINATOR:
        return ProfileSaveResult(access=ProfileAccess.COORDINATOR, language=language)
    if participant.role is Role.COMPANY_CONTACT:  # asked one survey, never profiled
        return ProfileSaveResult(access=ProfileAccess.NOT_PARTICIPANT, language=language)
    access = _access_of(participant)
    if access is not ProfileAccess.OK:
        return ProfileSaveResult(access=access, language=language)

    statement_key = EXPERTISE if participant.role is Role.MENTOR else GOALS
    errors: dict[str, str] = {}
    professional_field = _required_text(form.field, key=FIELD, limit=FIELD_LIMIT, language=language, errors=errors)
    years = _years(form.years_experience, language=language, errors=errors)
    languages = _list(form.languages, key=LANGUAGES_FIELD, language=language, errors=errors)
    if LANGUAGES_FIELD not in errors and not languages:
        errors[LANGUAGES_FIELD] = t("profile.error.languages_empty", language)
    interests = _list(form.interests, key=INTERESTS, language=language, errors=errors)
    statement = _required_text(form.statement, key=statement_key, limit=TEXT_LIMIT, language=language, errors=errors)
    availability = _optional_text(form.availability, key=AVAILABILITY, language=language, errors=errors)
    chosen_language = (form.language or "").strip().lower()
    if chosen_language not in LANGUAGES:
        errors[LANGUAGE] = t("profile.error.language", language)
    zone = resolve_time_zone(form.timezone or "")
    if zone is None:
        if (form.timezone or "").strip():
            errors[TIMEZONE] = t("profile.error.timezone_unknown", language, typed=_shorten(form.timezone or ""))
        else:
            errors[TIMEZONE] = t("profile.error.timezone_empty", language)
    if errors:
        return ProfileSaveResult(access=ProfileAccess.OK, language=language, errors=errors)

    assert professional_field is not None and statement is not None and zone is not None
    first_time = participant.profile_completed_at is None
    participant.field = professional_field
    participant.years_experience = years
    participant.languages = languages
    participant.interests = interests
    if statement_key == EXPERTISE:
        participant.expertise = statement
    else:
        participant.goals = statement
    participant.availability = availability
    participant.language = chosen_language
    participant.timezone = zone
    participant.timezone_confirmed = True
    if first_time:
        participant.profile_completed_at = now
    participant.updated_at = now
    session.flush()
    saved = SavedProfile(
        role=participant.role,
        round_name=participant.round.name,
        field=professional_field,
        years_experience=years,
        languages=languages,
        interests=interests,
        statement=statement,
        availability=availability,
        timezone=zone,
    )
    return ProfileSaveResult(
        access=ProfileAccess.OK,
        language=chosen_language,
        saved=saved,
        first_time=first_time,
        slack_user_id=slack_user_id,
    )


def resolve_time_zone(typed: str) -> str | None:
    """An IANA zone for what a person typed: exact, any case, or a unique city name.

    "europe/copenhagen", "Copenhagen" and "new york" all find their zone; an ambiguous or
    unknown name gives None so the person is asked again rather than guessed at."""
    text = typed.strip()
    if not text or len(text) > 64:
        return None
    if is_known_time_zone(text) and text in _zones_by_lower().values():
        return text
    lowered = text.lower().replace(" ", "_")
    exact = _zones_by_lower().get(lowered)
    if exact is not None:
        return exact
    by_city = _zones_by_city().get(lowered)
    if by_city is not None and len(by_city) == 1:
        return by_city[0]
    return None


def split_list(text: str | None) -> list[str]:
    """"English, Portuguese; danish" -> ["English", "Portuguese", "danish"], without repeats."""
    seen: set[str] = set()
    items: list[str] = []
    for raw in _LIST_SEPARATORS.split(text or ""):
        item = " ".join(raw.split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            items.append(item)
    return items


# --- helpers --------------------------------------------------------------------------------

def _rows_of(session: Session, slack_user_id: str, workspace: Workspace) -> list[Participant]:
    """This person's rows in this workspace, newest round first (as `identify` reads them)."""
    return list(
        session.scalars(
            select(Participant)
            .join(Round, Round.id == Participant.round_id)
            .where(Participant.slack_user_id == slack_user_id, Participant.round_id.in_(workspace.rounds()))
            .order_by(Round.starts_on.desc(), Participant.id.desc())
        )
    )


def _newest_profiled_row(rows: list[Participant]) -> Participant | None:
    """Only mentors and mentees have a profile (not coordinators, not company contacts)."""
    return next((row for row in rows if row.role in (Role.MENTOR, Role.MENTEE)), None)


def _access_of(participant: Participant) -> ProfileAccess:
    if participant.opted_out_at is not None:
        return ProfileAccess.OPTED_OUT
    if participant.consented_at is None:
        return ProfileAccess.NOT_CONSENTED
    return ProfileAccess.OK


def _draft_of(session: Session, participant: Participant) -> ProfileDraft:
    round_ = participant.round
    programme = session.get(Programme, round_.programme_id)
    fallback_zone = programme.timezone if programme is not None else DEFAULT_TIMEZONE
    zone = participant.timezone if participant.timezone and is_known_time_zone(participant.timezone) else fallback_zone
    return ProfileDraft(
        participant_id=participant.id,
        role=participant.role,
        round_name=round_.name,
        language=normalise_language(participant.language),
        field=participant.field,
        years_experience=participant.years_experience,
        languages=list(participant.languages or []),
        interests=list(participant.interests or []),
        statement=participant.expertise if participant.role is Role.MENTOR else participant.goals,
        availability=participant.availability,
        timezone=zone,
        timezone_confirmed=participant.timezone_confirmed,
        completed=participant.profile_completed_at is not None,
    )


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _too_long(text: str, *, limit: int, key: str, language: str, errors: dict[str, str]) -> bool:
    if len(text) > limit:
        errors[key] = t("profile.error.too_long", language, limit=limit, length=len(text))
        return True
    return False


def _required_text(text: str | None, *, key: str, limit: int, language: str, errors: dict[str, str]) -> str | None:
    cleaned = _clean(text)
    if not cleaned:
        errors[key] = t(f"profile.error.{key}_empty", language)
        return None
    if _too_long(cleaned, limit=limit, key=key, language=language, errors=errors):
        return None
    return cleaned


def _optional_text(text: str | None, *, key: str, language: str, errors: dict[str, str]) -> str | None:
    cleaned = _clean(text)
    if _too_long(cleaned, limit=TEXT_LIMIT, key=key, language=language, errors=errors):
        return None
    return cleaned or None


def _years(text: str | None, *, language: str, errors: dict[str, str]) -> int | None:
    cleaned = _clean(text)
    if not cleaned:
        return None
    if not _WHOLE_NUMBER.match(cleaned) or int(cleaned) > YEARS_MAX:
        errors[YEARS] = t("profile.error.years", language, maximum=YEARS_MAX)
        return None
    return int(cleaned)


def _list(text: str | None, *, key: str, language: str, errors: dict[str, str]) -> list[str]:
    cleaned = _clean(text)
    if _too_long(cleaned, limit=TEXT_LIMIT, key=key, language=language, errors=errors):
        return []
    items = split_list(cleaned)
    if len(items) > LIST_LIMIT:
        errors[key] = t("profile.error.list_too_many", language, limit=LIST_LIMIT)
        return []
    if any(len(item) > LIST_ITEM_LIMIT for item in items):
        errors[key] = t("profile.error.list_item_too_long", language, limit=LIST_ITEM_LIMIT)
        return []
    return items


def _shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@cache
def _zones_by_city() -> dict[str, list[str]]:
    """Canonical zones (Area/City) by their last part: "copenhagen" -> ["Europe/Copenhagen"]."""
    cities: dict[str, list[str]] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")):
            continue
        cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    return cities
