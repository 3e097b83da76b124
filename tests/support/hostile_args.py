"""Arguments made of hostile text for anything that draws what Slack shows.

A renderer (a builder in `bot/slack/render`, or the renderer of a notice kind) is called
with one hostile string in *every* piece of free text it takes (names, emails, programme and
round names, titles, places, bios, topics, notes, reasons, typed commands), in both
languages, through every branch an enum or a flag picks. Values are made from the type
hints; the few that are not free text (a catalog reason, a Slack id, already-rendered
mrkdwn) are named in `CHOICES`, and a hint that cannot be made fails with a message saying
to add it there. So a new builder or a new notice kind is covered as soon as it exists.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import cache
from typing import Any

from bot.core.commands import COMMANDS
from bot.i18n import LANGUAGES, catalog
from bot.matching.engine import MatchProblem, ScoreComponent, Unmatched
from bot.onboarding.profile import ProfileAccess
from bot.onboarding.state import STUCK_STEPS
from bot.sessions.service import (
    DURATION,
    HELD_ON,
    INTRODUCTIONS,
    NOTES,
    TOPICS_FIELD,
    Change,
)
from bot.surveys.service import PULSE_QUESTIONS
from storage.models import MeetingKind, Role
from tests.support.mrkdwn import HOSTILE_ALL as HOSTILE
from tests.support.mrkdwn import LEGIT_CHANNEL, LEGIT_USER

TIMEZONE = "Europe/Copenhagen"
DAY = date(2027, 3, 1)
MOMENT = datetime(2027, 3, 1, 16, 0, tzinfo=UTC)


class Choices(tuple[Any, ...]):
    """The values a parameter or field takes instead of made-up free text; each one is tried."""


def _suffixes(prefix: str) -> Choices:
    keys = sorted(key.removeprefix(prefix) for key in catalog("en") if key.startswith(prefix))
    assert keys, f"no catalog keys start with {prefix!r}"
    return Choices(keys)


def _numeric_params(entry: object) -> set[str]:
    """Numbers a plural entry picks its forms by: they must stay numbers."""
    if not isinstance(entry, Mapping):
        return {"count"}
    return {"count"} | {str(key) for key in entry if key not in {"text", "zero", "one", "two", "few", "many", "other"}}


def _code_params(code: str) -> dict[str, str]:
    """Every placeholder of a catalog code filled with hostile text (numbers with a number)."""
    entry = catalog("en")[code]
    names = set(re.findall(r"\{(\w+)", json.dumps(entry)))
    numeric = _numeric_params(entry)
    return {name: "2" if name in numeric else HOSTILE for name in names}


def _codes(prefix: str) -> list[str]:
    return sorted(key for key in catalog("en") if key.startswith(prefix))


def _changes() -> tuple[Change, ...]:
    return (
        Change(field=HELD_ON, before=DAY, after=date(2027, 3, 2)),
        Change(field=DURATION, before=45, after=90),
        Change(field=TOPICS_FIELD, before=("cv",), after=("cv", HOSTILE)),
        Change(field=INTRODUCTIONS, before=0, after=2),
        Change(field=NOTES, before=HOSTILE, after=HOSTILE),
    )


def _match_reasons() -> tuple[ScoreComponent, ...]:
    return tuple(ScoreComponent(code=code, points=2, params=_code_params(code)) for code in _codes("matching.reason."))


# Parameters and fields that are not free text, keyed by (builder or dataclass name, name).
# A value is used as it is; `Choices` are each tried in turn. Free text is never listed here.
CHOICES: dict[tuple[str, str], Any] = {
    # catalog keys a caller picks
    ("consent_refused_message", "reason"): _suffixes("onboarding.click."),
    ("render_after_click", "via"): Choices(("welcome", "reminder")),
    ("checkin_refusal_message", "reason"): _suffixes("nudges.checkin.refused."),
    ("pause_problem_message", "problem"): _suffixes("nudges.pause.problem."),
    ("rsvp_refusal_message", "reason"): _suffixes("timeline.rsvp.refused."),
    ("handled_refusal_message", "reason"): _suffixes("digest.refused."),
    ("meeting_choices_message", "problem"): _suffixes("timeline.attendance.lookup."),
    ("unmatched_dm", "role"): Choices(("mentor", "mentee")),
    ("closing_message", "reason"): Choices(("found_job", "other")),
    ("pair_ended_report", "reason"): _suffixes("pairs.end.reason."),
    ("EndedPair", "reason"): _suffixes("pairs.end.reason."),
    ("PairEndedReport", "reason"): _suffixes("pairs.end.reason."),
    ("not_invited_message", "error"): Choices(("not_in_slack", HOSTILE)),
    ("MeetingPromptFacts", "kind"): Choices((MeetingKind.CV_WORKSHOP, MeetingKind.INTERVIEW_WORKSHOP)),
    ("ScoreComponent", "code"): Choices(_codes("matching.reason.")),
    ("Unmatched", "reason_code"): Choices(_codes("matching.unmatched.") + _codes("matching.spare.")),
    ("MatchProblem", "code"): Choices(_codes("matching.problem.")),
    ("PulseStanding", "question"): Choices(PULSE_QUESTIONS),
    # the slash command and a subcommand of ours, not what the person typed
    ("unknown_subcommand_message", "command"): "/mentoring",
    ("unknown_subcommand_message", "suggestion"): Choices(("status", None)),
    ("help_message", "commands"): list(COMMANDS),
    ("unknown_subcommand_message", "commands"): list(COMMANDS),
    # already-rendered mrkdwn from the bot's own catalog
    ("review_message", "notice"): Choices((None, "A fresh proposal.")),
    ("notice_view", "text"): "Something changed meanwhile.",
    ("LogOutcome", "errors"): Choices(({}, {HELD_ON: "Pick a day.", DURATION: "Too short."})),
    # structures whose parts must agree
    ("change_reply", "changes"): _changes(),
    ("LogOutcome", "changes"): _changes(),
    ("PairIntroFacts", "match_reasons"): _match_reasons(),
    ("import_reply", "max_sections"): 10,
    ("not_in_programme_message", "contacts"): Choices(([LEGIT_USER, LEGIT_USER], [])),
    # values a builder is never given: coordinators have no home role, no profile, no "only for"
    ("ParticipationHome", "role"): Choices((Role.MENTOR, Role.MENTEE)),
    ("PartnerInfo", "role"): Choices((Role.MENTOR, Role.MENTEE)),
    ("StuckPerson", "role"): Choices((Role.MENTOR, Role.MENTEE)),
    ("StuckPerson", "step"): Choices(sorted(STUCK_STEPS, key=lambda step: step.value)),
    ("TimelineEntry", "only_for"): Choices((Role.MENTOR, Role.MENTEE, None)),
    ("profile_access_message", "access"): Choices(tuple(a for a in ProfileAccess if a is not ProfileAccess.OK)),
    ("profile_notice_view", "access"): Choices(tuple(a for a in ProfileAccess if a is not ProfileAccess.OK)),
    ("CheckinsIgnored", "people"): Choices(((HOSTILE,), (HOSTILE, HOSTILE))),
    # a survey question's key picks its wording (pulse) or is the answer's key; its statements are free text
    ("Question", "key"): Choices(("pulse.useful", "pulse.confidence", "recommend", HOSTILE)),
}
# Names whose text is a Slack id, a time zone or a language, never a person's words.
_ID_NAMES = re.compile(r"(^|_)(user_id|channel_id|coordinator_id|app_id|team_id|removed_by|message_ts)$|^channel$")


@dataclasses.dataclass(frozen=True)
class Variant:
    """Which way the made-up arguments lean: optional parts filled (and flags set) or not,
    and one slot forced to one of its values."""

    filled: bool
    language: str
    slot: tuple[str, str] | None = None
    value: Any = None


class Factory:
    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self.slots: dict[tuple[str, str], tuple[Any, ...]] = {}

    def for_slot(self, owner: str, name: str, hint: Any) -> Any:
        key = (owner, name)
        if key in CHOICES:
            value = CHOICES[key]
            if isinstance(value, Choices):
                self.slots[key] = tuple(value)
                return self.variant.value if self.variant.slot == key else value[0]
            return value
        enum_type = _enum_in(hint)
        if enum_type is not None:
            self.slots[key] = tuple(enum_type)
        elif typing.get_origin(hint) is typing.Literal:
            self.slots[key] = typing.get_args(hint)
        if key in self.slots and self.variant.slot == key:
            return self.variant.value
        if typing.get_origin(hint) is typing.Literal:
            return typing.get_args(hint)[0]
        return self.make(hint, name=name, owner=owner)

    def make(self, hint: Any, *, name: str, owner: str) -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            inner = [arg for arg in args if arg is not type(None)]
            if type(None) in args and not self.variant.filled:
                return None
            return self.make(inner[0], name=name, owner=owner)
        if hint is Any:
            return HOSTILE
        if hint is str:
            return self._text(name)
        if hint is bool:
            return self.variant.filled
        if hint is int:
            return 2
        if hint is float:
            return 1.5
        if hint is Fraction:
            return Fraction(2, 3)
        if hint is datetime:
            return MOMENT
        if hint is date:
            return DAY
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return next(iter(hint))
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self.dataclass(hint)
        if origin in (tuple,) and args:
            if len(args) == 2 and args[1] is Ellipsis:
                return (self.make(args[0], name=name, owner=owner),)
            return tuple(self.make(arg, name=name, owner=owner) for arg in args)
        if origin in (list, Sequence, typing.Sequence) or (origin is not None and origin.__name__ == "Sequence"):
            return [self.make(args[0], name=name, owner=owner)]
        if origin in (frozenset, set):
            return origin({self.make(args[0], name=name, owner=owner)})
        if origin in (dict, Mapping) or (origin is not None and origin.__name__ == "Mapping"):
            key_type, value_type = args
            if isinstance(key_type, type) and issubclass(key_type, enum.Enum):
                keys: list[Any] = list(key_type) if self.variant.filled else []
            else:
                keys = [self.make(key_type, name=name, owner=owner)]
            return {key: self.make(value_type, name=name, owner=owner) for key in keys}
        raise TypeError(f"cannot make a {hint!r} for {owner}.{name}: add ({owner!r}, {name!r}) to CHOICES")

    def _text(self, name: str) -> str:
        if name in ("language", "lang"):
            return self.variant.language
        if name == "timezone":
            return TIMEZONE
        if _ID_NAMES.search(name):
            return LEGIT_CHANNEL if "channel" in name else LEGIT_USER
        return HOSTILE

    def dataclass(self, cls: type) -> Any:
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            values[field.name] = self.for_slot(cls.__name__, field.name, hints[field.name])
        if cls in (ScoreComponent, Unmatched, MatchProblem):
            code = values.get("code") or values.get("reason_code")
            values["params"] = _code_params(str(code))
        return cls(**values)

    def arguments(self, builder: Callable[..., Any]) -> dict[str, Any]:
        hints = _hints(builder)
        arguments: dict[str, Any] = {}
        for parameter in inspect.signature(builder).parameters.values():
            arguments[parameter.name] = self.for_slot(builder.__name__, parameter.name, hints[parameter.name])
        return arguments


def _enum_in(hint: Any) -> type[enum.Enum] | None:
    """The enum a value is (or may be, when optional): each member picks its own branch."""
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
    candidates = [hint, *typing.get_args(hint)] if optional else [hint]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None


@cache
def _hints(thing: Any) -> dict[str, Any]:
    return typing.get_type_hints(thing)


def variants(make: Callable[[Factory], Any]) -> Iterator[Variant]:
    """Every way to make the arguments: both languages, optional parts filled or not, and each
    slot with a fixed set of values (an enum, a Literal, a `Choices`) at each of its values."""
    for language in LANGUAGES:
        for filled in (True, False):
            base = Variant(filled=filled, language=language)
            factory = Factory(base)
            make(factory)
            yield base
            for slot, values in factory.slots.items():
                for value in values:
                    yield Variant(filled=filled, language=language, slot=slot, value=value)


def builder_variants(builder: Callable[..., Any]) -> Iterator[Variant]:
    return variants(lambda factory: factory.arguments(builder))


def facts_variants(cls: type) -> Iterator[Variant]:
    return variants(lambda factory: factory.dataclass(cls))
