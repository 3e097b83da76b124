"""Notices: what the domain wants said, to whom and when, without saying how.

A service never builds a chat message. It returns (or queues) a `Notice`: who it is for
(a person, a conversation such as a pair channel, or a round's coordinators), a dedup key,
when it may go, and the *facts* to say, as a small frozen dataclass of plain values. The
outbox stores the facts, not the words; the platform adapter (Slack today, Teams later)
turns them into a message in the reader's language when it sends. So:

- the domain has no Block Kit in it and a second platform needs only a second renderer;
- a queued message that has not gone yet says what is true *when it goes*, in the
  language of the person at that time;
- personal data in a stored message is a handful of named fields that erasure can find,
  not prose.

Facts classes register themselves with `@notice_facts`; their class name is the notice's
kind, stored with the row, and how the adapter picks its renderer.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, TypeVar, Union

from sqlalchemy.orm import Session

from bot.core.coordinators import CoordinatorReach, coordinator_reach
from bot.core.outbox import OutgoingCall, enqueue_all
from bot.core.timing import working_hours_time
from bot.i18n import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

NOTICE_METHOD = "notice"
ARCHIVE_METHOD = "archive_channel"

_FACTS: dict[str, type[Any]] = {}
FactsT = TypeVar("FactsT")


class NoticeCodecError(ValueError):
    """A stored notice names a kind nobody registered, or its facts no longer fit the class."""


def notice_facts(cls: type[FactsT]) -> type[FactsT]:
    """Register a frozen dataclass as the facts of one kind of notice."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} must be a dataclass to be notice facts")
    name = cls.__name__
    if name in _FACTS and _FACTS[name] is not cls:
        raise TypeError(f"two notice facts classes are called {name}")
    _FACTS[name] = cls
    return cls


def registered_facts() -> Mapping[str, type[Any]]:
    return dict(_FACTS)


@dataclass(frozen=True)
class Person:
    """A person, reached in a direct message (their chat user id) in one workspace.

    `team_id` is the workspace of the programme the message is about (`programme.team_id`):
    the outbox row carries it and the deliverer sends with that workspace's token, since a
    user id means nothing in another workspace. Required, so no producer can forget it."""

    user_id: str
    _: dataclasses.KW_ONLY
    team_id: str


@dataclass(frozen=True)
class Conversation:
    """A channel the bot is in: a pair's private channel, or a programme's coordinator channel,
    in the workspace `team_id` (the programme's), whose token sends to it."""

    channel_id: str
    _: dataclasses.KW_ONLY
    team_id: str


@dataclass(frozen=True)
class Coordinators:
    """A round's coordinators: their channel when the programme has one, otherwise each of
    them in a DM, each in their own language. Resolved when the notice is queued, workspace
    included (the round's programme's `team_id`), so a service names only the round."""

    round_id: int


Recipient = Person | Conversation | Coordinators


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One thing to tell someone. `language` is the reader's; for `Coordinators` it may be
    None, and each coordinator target gets its own when the notice is queued."""

    dedup_key: str
    to: Recipient
    facts: Any
    not_before: datetime
    language: str | None = None
    #: For `Coordinators`: each target gets it in its own working hours, from `not_before` on
    #: (a coordinator abroad is not woken by a note about a pair at home).
    in_working_hours: bool = False

    def __post_init__(self) -> None:
        if self.in_working_hours and not isinstance(self.to, Coordinators):
            raise ValueError("in_working_hours is for notices to a round's coordinators")
        if type(self.facts).__name__ not in _FACTS:
            raise TypeError(f"{type(self.facts).__name__} is not registered with @notice_facts")
        if self.not_before.tzinfo is None:
            raise ValueError("a notice's not_before must be an aware datetime")


@dataclass(frozen=True, kw_only=True)
class ArchiveChannel:
    """A chore rather than a message: archive a channel once its time has come, with the
    token of the channel's workspace `team_id` (the pair's programme's)."""

    dedup_key: str
    channel_id: str
    team_id: str
    not_before: datetime


# --- the stored form --------------------------------------------------------------------------------


def encode_facts(facts: Any) -> dict[str, Any]:
    """The facts as JSON-ready plain values, tagged with their kind."""
    kind = type(facts).__name__
    if kind not in _FACTS:
        raise TypeError(f"{kind} is not registered with @notice_facts")
    return {"kind": kind, "facts": _encode(facts)}


def decode_facts(stored: Mapping[str, Any]) -> Any:
    """The facts object back from what `encode_facts` produced."""
    kind = stored.get("kind")
    cls = _FACTS.get(str(kind))
    if cls is None:
        raise NoticeCodecError(f"no notice facts registered as {kind!r}")
    try:
        return _decode(cls, stored.get("facts"))
    except (TypeError, ValueError, KeyError) as exc:
        raise NoticeCodecError(f"stored facts do not fit {kind}: {exc}") from exc


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Fraction):  # a share, exact (the scoreboard's): "2/3"
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key.value if isinstance(key, enum.Enum) else key): _encode(item) for key, item in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a notice")


_HINTS: dict[type[Any], dict[str, Any]] = {}
#: The real `datetime` and `date`, captured at import inside a tuple. freezegun, while a
#: test is frozen, replaces every module attribute that *is* one of them with its fakes
#: (subclasses of the real ones) but does not look inside containers; so a plain
#: `annotation is date` compared against whichever class the module held at that moment,
#: and hints cached on one clock failed on the other. Datetime first: it is a date too.
_CLOCK_CLASSES: tuple[type[datetime], type[date]] = (datetime, date)


def _clock_class(annotation: type[Any]) -> type[Any] | None:
    """The real datetime or date class an annotation means (a freezegun fake counts as its
    real class), or None."""
    for real in _CLOCK_CLASSES:
        if issubclass(annotation, real):
            return real
    return None


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(annotation: Any, raw: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = typing.get_args(annotation)
        if raw is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, raw)
            except (TypeError, ValueError, KeyError) as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) or f"{raw!r} fits none of {annotation}")
    if origin is typing.Literal:
        if raw not in typing.get_args(annotation):
            raise ValueError(f"{raw!r} is not one of {typing.get_args(annotation)}")
        return raw
    if origin in (list, tuple, frozenset, set) or annotation in (list, tuple):
        if not isinstance(raw, list):
            raise TypeError(f"expected a list, got {type(raw).__name__}")
        args = typing.get_args(annotation)
        item_type = args[0] if args else Any
        items = [_decode(item_type, item) for item in raw]
        return (origin or annotation)(items) if (origin or annotation) is not list else items
    if origin in (dict, Mapping) or annotation is dict:
        args = typing.get_args(annotation)
        key_type, value_type = args if len(args) == 2 else (Any, Any)
        if not isinstance(raw, dict):
            raise TypeError(f"expected a mapping, got {type(raw).__name__}")
        return {_decode(key_type, key): _decode(value_type, item) for key, item in raw.items()}
    if annotation is Any:
        return raw
    if isinstance(annotation, type):
        if dataclasses.is_dataclass(annotation):
            if not isinstance(raw, dict):
                raise TypeError(f"expected {annotation.__name__} as a mapping")
            hints = _hints(annotation)
            values = {
                field.name: _decode(hints[field.name], raw[field.name])
                for field in dataclasses.fields(annotation)
                if field.name in raw
            }
            return annotation(**values)
        if issubclass(annotation, enum.Enum):
            return annotation(raw)
        clock = _clock_class(annotation)
        if clock is not None:
            moment = clock.fromisoformat(raw)
            if clock is _CLOCK_CLASSES[0] and moment.tzinfo is None:
                raise ValueError("stored datetimes are aware")
            return moment
        if annotation is Fraction:
            if not isinstance(raw, str):
                raise TypeError(f"expected a fraction as text, got {type(raw).__name__}")
            return Fraction(raw)
        if annotation is float and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if annotation in (str, int, float, bool):
            if not isinstance(raw, annotation) or (annotation is int and isinstance(raw, bool)):
                raise TypeError(f"expected {annotation.__name__}, got {type(raw).__name__}")
            return raw
    raise TypeError(f"cannot read {annotation!r} from a stored notice")


# --- rendering, for whoever holds the renderers -----------------------------------------------------------

Renderer = Callable[[Any, str], Any]


class RendererTable:
    """Facts class -> renderer, filled by a platform adapter at import time. A table rather
    than a global so a second platform has its own."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._renderers: dict[type[Any], Renderer] = {}

    def renders(self, *facts_classes: type[Any]) -> Callable[[Renderer], Renderer]:
        def register(function: Renderer) -> Renderer:
            for cls in facts_classes:
                if cls in self._renderers:
                    raise TypeError(f"{self.platform} already renders {cls.__name__}")
                self._renderers[cls] = function
            return function

        return register

    def render(self, facts: Any, language: str) -> Any:
        renderer = self._renderers.get(type(facts))
        if renderer is None:
            raise LookupError(f"{self.platform} has no renderer for {type(facts).__name__}")
        return renderer(facts, language)

    def missing(self, kinds: Iterable[type[Any]]) -> list[str]:
        return sorted(cls.__name__ for cls in kinds if cls not in self._renderers)


# --- queueing ---------------------------------------------------------------------------------------------


def outgoing_calls(session: Session, items: Iterable[Notice | ArchiveChannel]) -> list[OutgoingCall]:
    """The outbox rows for these notices, with a round's coordinators expanded to each target.

    This is the one place that knows how a round's coordinators are reached (their channel,
    or each of them in a DM in their own language): a service says `Coordinators(round_id)`
    and never loops over them itself. A coordinator target's dedup key is the notice's key
    plus the target, so adding a coordinator later reaches them without repeating the others.
    Each round's coordinators are looked up once per call, so a tick's many notes about one
    round's pairs cost a few statements, not a few per pair; the same look-up names the
    round's workspace (its programme's team), which every coordinator row carries. A person
    or a conversation names its workspace itself."""
    calls: list[OutgoingCall] = []
    reach: dict[int, list[CoordinatorReach]] = {}
    for item in items:
        if isinstance(item, ArchiveChannel):
            calls.append(OutgoingCall(dedup_key=item.dedup_key, method=ARCHIVE_METHOD, team_id=item.team_id,
                                      payload={"channel": item.channel_id}, not_before=item.not_before))
            continue
        if isinstance(item.to, Coordinators):
            round_id = item.to.round_id
            if round_id not in reach:
                reach[round_id] = coordinator_reach(session, round_id=round_id)
            if not reach[round_id]:
                # Nobody to tell: no coordinator channel and no coordinator in Slack yet. The
                # note is not kept; say so where an operator looks rather than drop it silently.
                log.warning("round %s has no coordinator channel and no coordinator in Slack; "
                            "not told: %s (%s)", round_id, type(item.facts).__name__, item.dedup_key)
            for place in reach[round_id]:
                not_before = (working_hours_time(item.not_before, place.timezone) if item.in_working_hours
                              else item.not_before)
                calls.append(_call(item, channel=place.target, team_id=place.team_id,
                                   language=item.language or place.language,
                                   dedup_key=f"{item.dedup_key}:to={place.target}", not_before=not_before))
            continue
        channel = item.to.user_id if isinstance(item.to, Person) else item.to.channel_id
        calls.append(_call(item, channel=channel, team_id=item.to.team_id,
                           language=item.language or DEFAULT_LANGUAGE, dedup_key=item.dedup_key))
    return calls


def queue_notices(session: Session, items: Iterable[Notice | ArchiveChannel], *, now: datetime) -> int:
    """Put notices in the outbox; returns how many were new (the rest were queued before)."""
    return enqueue_all(session, outgoing_calls(session, items), now=now)


def _call(
    notice: Notice, *, channel: str, team_id: str, language: str, dedup_key: str, not_before: datetime | None = None
) -> OutgoingCall:
    return OutgoingCall(
        dedup_key=dedup_key,
        method=NOTICE_METHOD,
        team_id=team_id,
        payload={"channel": channel, "language": language, **encode_facts(notice.facts)},
        not_before=not_before or notice.not_before,
    )


def stored_notice(payload: Mapping[str, Any]) -> tuple[str, str, Any]:
    """(channel, language, facts) of a stored notice row's payload."""
    return str(payload["channel"]), str(payload.get("language") or DEFAULT_LANGUAGE), decode_facts(payload)
