"""Where the bot keeps personal data: the one list erasure, retention and export all read.

Every column and JSON field that can hold something about a person is listed here once,
with what kind of data it is, how a row is tied to a person and what erasure does to it.
`tests/unit/test_privacy_inventory.py` walks the models' metadata and fails when a text
or JSON column is neither here nor in `NOT_PERSONAL` with a reason, so a new column
cannot hold names unnoticed; the erasure test seeds a person in every entry and proves
`bot.privacy.erase` reaches each.

A person is all their participant rows (one per round they took part in), found by email
or Slack id: `find_person`. `person_rows` yields, table by table, that person's rows with
their personal columns, for an export (GDPR art. 15) to show and an erasure to act on.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, ColumnElement, MetaData, Select, String, Text, or_, select
from sqlalchemy.orm import Session

from bot.core.workspace import UNASSIGNED, Workspace
from storage.models import (
    Base,
    Checkin,
    Consent,
    DigestHandled,
    Disclosure,
    FollowUp,
    MatchConstraint,
    MatchProposal,
    MeetingRsvp,
    MentoringSession,
    OutboxMessage,
    Outcome,
    Pair,
    Participant,
    Programme,
    Role,
    Round,
    SurveyAnswer,
    SurveyInvitation,
    table_of,
)


class Kind(str, enum.Enum):
    """What a field holds, in the words a data-protection officer uses."""

    IDENTITY = "identity"  # a name, or something made from it (a channel name)
    CONTACT = "contact"  # an email address
    SLACK_ID = "slack_id"  # a Slack user id: identifies the person in the workspace
    PROFILE = "profile"  # what they told about themselves (field, company, country, languages)
    FREE_TEXT = "free_text"  # anything they (or their pair) typed: notes, goals, comments, reasons
    ANSWER = "answer"  # a choice they made: consent, RSVP, check-in, survey scale, outcome
    MATCHING = "matching"  # why they were matched: reasons derived from both profiles
    MESSAGE = "message"  # the facts of a message to or about them, waiting in or sent from the outbox
    CHANNEL = "channel"  # the id of their pair's private channel


class Link(str, enum.Enum):
    """How a row is tied to a person."""

    PARTICIPANT_ROW = "participant_row"  # the row is the person in one round
    PARTICIPANT_FK = "participant_fk"  # a participant_id column points at them
    PAIR_MEMBER = "pair_member"  # the row is (or belongs to) a pair they are mentor or mentee of
    SLACK_USER_ID = "slack_user_id"  # the column holds their Slack user id (a coordinator acting)
    PARTICIPANT_KEY = "participant_key"  # a JSON document keyed by, or naming, their participant id
    CONTENT = "content"  # a stored message whose target or facts name them


class Erasure(str, enum.Enum):
    """What erasing the person does to the field."""

    PLACEHOLDER = "placeholder"  # replaced by a value naming no one (unique constraints stay valid)
    NULL = "null"
    BLANK = "blank"  # emptied (an empty list, or parameters emptied while codes and points stay)
    DELETE_ROW = "delete_row"  # the row carries nothing but the personal value
    TRIM = "trim"  # an outbox row's payload emptied to its keys; pending ones cancelled first
    KEEP = "keep"  # stays: an anonymous count or answer once the identity fields are gone


@dataclass(frozen=True, kw_only=True)
class Field:
    """One column (or one path inside a JSON column) that can hold personal data."""

    table: str
    column: str
    json_path: str | None = None  # where in the JSON document, JSONPath-like; None: the whole column
    kind: Kind
    link: Link
    erasure: Erasure
    why: str = ""  # for KEEP and anything not obvious

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}" + (f" {self.json_path}" if self.json_path else "")


_KEEP_ANSWER = "an answer without a name once the participant row is erased; counts and aggregates need it"

FIELDS: tuple[Field, ...] = (
    # --- participant: the person in one round --------------------------------------------------
    Field(table="participant", column="name", kind=Kind.IDENTITY, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.PLACEHOLDER, why="NOT NULL: becomes erased-<id>"),
    Field(table="participant", column="email", kind=Kind.CONTACT, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.PLACEHOLDER, why="unique per round: becomes erased-<id>@invalid"),
    Field(table="participant", column="slack_user_id", kind=Kind.SLACK_ID, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.NULL, why="the bot no longer knows them: a stranger afterwards"),
    Field(table="participant", column="timezone", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW, erasure=Erasure.NULL),
    Field(table="participant", column="field", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW, erasure=Erasure.NULL),
    Field(table="participant", column="languages", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW, erasure=Erasure.BLANK),
    Field(table="participant", column="interests", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW, erasure=Erasure.BLANK),
    Field(table="participant", column="company", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW, erasure=Erasure.NULL),
    Field(table="participant", column="partner_company", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.NULL),
    Field(table="participant", column="home_country", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.NULL),
    Field(table="participant", column="goals", kind=Kind.FREE_TEXT, link=Link.PARTICIPANT_ROW, erasure=Erasure.NULL),
    Field(table="participant", column="expertise", kind=Kind.FREE_TEXT, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.NULL),
    Field(table="participant", column="availability", kind=Kind.FREE_TEXT, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.NULL),
    Field(table="participant", column="pause_reason", kind=Kind.FREE_TEXT, link=Link.PARTICIPANT_ROW,
          erasure=Erasure.NULL),
    Field(table="participant", column="role", kind=Kind.ANSWER, link=Link.PARTICIPANT_ROW, erasure=Erasure.KEEP,
          why="counts per role (mentors, mentees) stay"),
    Field(table="participant", column="language", kind=Kind.PROFILE, link=Link.PARTICIPANT_ROW, erasure=Erasure.KEEP,
          why="en or da: identifies nobody, and NOT NULL"),
    # --- consent, invitations, answers: kept as anonymous records ---------------------------------
    Field(table="consent", column="purpose", kind=Kind.ANSWER, link=Link.PARTICIPANT_FK, erasure=Erasure.KEEP,
          why=_KEEP_ANSWER),
    Field(table="checkin", column="answer", kind=Kind.ANSWER, link=Link.PAIR_MEMBER, erasure=Erasure.KEEP,
          why=_KEEP_ANSWER),
    Field(table="meeting_rsvp", column="answer", kind=Kind.ANSWER, link=Link.PARTICIPANT_FK, erasure=Erasure.KEEP,
          why=_KEEP_ANSWER),
    Field(table="survey_answer", column="question", kind=Kind.ANSWER, link=Link.PARTICIPANT_FK, erasure=Erasure.KEEP,
          why="a question key, kept with the numeric value the scoreboard counts"),
    Field(table="survey_answer", column="text", kind=Kind.FREE_TEXT, link=Link.PARTICIPANT_FK, erasure=Erasure.NULL,
          why="a comment; a row holding only the comment is deleted (CHECK value or text)"),
    Field(table="outcome", column="status", kind=Kind.ANSWER, link=Link.PARTICIPANT_FK, erasure=Erasure.KEEP,
          why="outcome status stays for the round's employment figure"),
    Field(table="outcome", column="source", kind=Kind.ANSWER, link=Link.PARTICIPANT_FK, erasure=Erasure.KEEP,
          why=_KEEP_ANSWER),
    Field(table="outcome", column="recorded_by", kind=Kind.SLACK_ID, link=Link.SLACK_USER_ID, erasure=Erasure.NULL,
          why="the coordinator who recorded it, when that coordinator is erased"),
    # --- pairs and what they did ------------------------------------------------------------------
    Field(table="pair", column="channel_name", kind=Kind.IDENTITY, link=Link.PAIR_MEMBER, erasure=Erasure.NULL,
          why="made from both names"),
    Field(table="pair", column="match_reasons", json_path="$[*].params", kind=Kind.MATCHING, link=Link.PAIR_MEMBER,
          erasure=Erasure.BLANK, why="shared field, languages, interests; codes and points stay"),
    Field(table="pair", column="pause_reason", kind=Kind.FREE_TEXT, link=Link.PAIR_MEMBER, erasure=Erasure.NULL),
    Field(table="pair", column="slack_channel_id", kind=Kind.CHANNEL, link=Link.PAIR_MEMBER, erasure=Erasure.KEEP,
          why="the workspace's channel id, no name in it; closing and archiving the channel need it"),
    Field(table="pair", column="status", kind=Kind.ANSWER, link=Link.PAIR_MEMBER, erasure=Erasure.KEEP,
          why="pair counts stay"),
    Field(table="pair", column="end_reason", kind=Kind.ANSWER, link=Link.PAIR_MEMBER, erasure=Erasure.KEEP,
          why="a code from a closed list, counted in the report"),
    Field(table="mentoring_session", column="notes", kind=Kind.FREE_TEXT, link=Link.PAIR_MEMBER, erasure=Erasure.NULL,
          why="the pair's notes are about both of them"),
    Field(table="mentoring_session", column="topics", kind=Kind.ANSWER, link=Link.PAIR_MEMBER, erasure=Erasure.KEEP,
          why="topic codes from a closed list (bot.sessions.parser), counted in the report"),
    # --- coordinators acting: their Slack id ------------------------------------------------------
    Field(table="match_constraint", column="created_by", kind=Kind.SLACK_ID, link=Link.SLACK_USER_ID,
          erasure=Erasure.NULL),
    Field(table="match_proposal", column="created_by", kind=Kind.SLACK_ID, link=Link.SLACK_USER_ID,
          erasure=Erasure.NULL),
    Field(table="digest_handled", column="handled_by", kind=Kind.SLACK_ID, link=Link.SLACK_USER_ID,
          erasure=Erasure.PLACEHOLDER, why="NOT NULL: becomes 'erased'"),
    # --- stored match proposals -------------------------------------------------------------------
    Field(table="match_proposal", column="payload", json_path="$.names[<participant id>]", kind=Kind.IDENTITY,
          link=Link.PARTICIPANT_KEY, erasure=Erasure.PLACEHOLDER, why="becomes erased-<id>, as the participant row"),
    Field(table="match_proposal", column="payload", json_path="$.pairs[*].components[*].params",
          kind=Kind.MATCHING, link=Link.PARTICIPANT_KEY, erasure=Erasure.BLANK,
          why="in the pairs with their id as mentor_id or mentee_id"),
    Field(table="match_proposal", column="payload", json_path="$.unmatched[*].params", kind=Kind.MATCHING,
          link=Link.PARTICIPANT_KEY, erasure=Erasure.BLANK, why="in their own entry (participant_id)"),
    Field(table="match_proposal", column="payload", json_path="$.problems[*].params", kind=Kind.MATCHING,
          link=Link.PARTICIPANT_KEY, erasure=Erasure.BLANK, why="in problems naming them as mentor_id or mentee_id"),
    Field(table="match_proposal", column="payload", json_path="$.published_by", kind=Kind.SLACK_ID,
          link=Link.SLACK_USER_ID, erasure=Erasure.NULL),
    # --- disclosures: what the anonymity rule remembers -------------------------------------------
    Field(table="disclosure", column="contributions", json_path="$[<participant id>] (comment cells)",
          kind=Kind.FREE_TEXT, link=Link.PARTICIPANT_KEY, erasure=Erasure.BLANK,
          why="a comment as once shown becomes ''; their numbers stay, so no later view can be differenced"),
    Field(table="disclosure", column="contributions", json_path="$[<participant id>] (scale and outcome cells)",
          kind=Kind.ANSWER, link=Link.PARTICIPANT_KEY, erasure=Erasure.KEEP,
          why="a number or status under an id whose row names no one; the anonymity rule needs it"),
    # --- the outbox -------------------------------------------------------------------------------
    Field(table="outbox_message", column="payload", json_path="$.facts", kind=Kind.MESSAGE, link=Link.CONTENT,
          erasure=Erasure.TRIM, why="names, texts, Slack ids of a message to or about them"),
    Field(table="outbox_message", column="payload", json_path="$.channel", kind=Kind.SLACK_ID, link=Link.CONTENT,
          erasure=Erasure.TRIM, why="a DM's target is their Slack user id"),
    Field(table="outbox_message", column="target", kind=Kind.SLACK_ID, link=Link.CONTENT, erasure=Erasure.PLACEHOLDER,
          why="a DM's target: their Slack id becomes 'erased'"),
    Field(table="outbox_message", column="dedup_key", kind=Kind.SLACK_ID, link=Link.CONTENT,
          erasure=Erasure.PLACEHOLDER,
          why="some keys end with a DM target's Slack id; it becomes erased-<participant id>, unique as before"),
    Field(table="outbox_message", column="response", kind=Kind.CHANNEL, link=Link.CONTENT, erasure=Erasure.BLANK,
          why="a DM to them: its channel id (D...) is dropped, as the bot token maps it to them; ts and the "
              "first try's time stay. A channel post's response stays (the digest's redraw edits those)"),
)

#: Text and JSON columns that hold nothing about a person, each with the reason.
NOT_PERSONAL: Mapping[tuple[str, str], str] = {
    ("programme", "name"): "the programme's name",
    ("programme", "default_language"): "a language code",
    ("programme", "timezone"): "the programme's zone",
    ("programme", "coordinator_channel"): "a channel id, the programme's",
    ("programme", "match_weights"): "numbers configuring the matching",
    ("round", "name"): "the round's name",
    ("shared_meeting", "kind"): "a code",
    ("shared_meeting", "title"): "a meeting's title, the same for the whole round",
    ("shared_meeting", "location"): "where the round meets",
    ("mentoring_session", "channel_message_ts"): "the ts of the bot's own post in the pair channel",
    ("match_constraint", "kind"): "lock / forbid / allow",
    ("outbox_message", "method"): "notice or archive_channel",
    ("outbox_message", "state"): "a code",
    ("outbox_message", "last_error"): "Slack's error code or the exception's text; never a message text",
    ("outbox_message", "cancel_reason"): "a reason written by the code, never a person's text",
    ("criterion", "key"): "a criterion's key",
    ("criterion", "measure"): "a code",
    ("criterion", "roles"): "role codes",
    ("criterion", "surveys"): "survey kind codes",
    ("criterion", "statement_en"): "the programme's statement, the same for everyone",
    ("criterion", "statement_da"): "the programme's statement, the same for everyone",
    ("survey", "kind"): "a code",
    ("disclosure", "cell"): "which aggregate: survey, question and role ids",
    ("disclosure", "fingerprint"): "a hash of a whole view; names nothing",
    ("digest_handled", "key"): "pair=<id>, person=<id>, survey=<id>: ids of rows whose names are erased",
    ("digest_handled", "fingerprint"): "a hash of a state; names nothing",
    ("processed_event", "event_id"): "Slack's event id",
    ("worker_lease", "name"): "the lease's name",
    ("worker_lease", "holder"): "host and process id of a worker",
    ("nudge_mark", "job"): "the name of a tick job",
    ("workspace_status", "team_id"): "the workspace's id",
    ("workspace_status", "stopped_because"): "a code",
    ("programme", "team_id"): "the workspace's id",
    ("outbox_message", "team_id"): "the id of the workspace whose token sends it",
    **{("slack_bots", column): "the workspace's installation of the bot: ids, names and the bot's token and scopes"
       for column in ("app_id", "bot_id", "bot_refresh_token", "bot_scopes", "bot_token", "bot_user_id", "client_id",
                      "enterprise_id", "enterprise_name", "team_id", "team_name")},
    # The installer's id and user tokens would be here; bot.slack.oauth.BotOnlyInstallationStore
    # saves only the bot row, so the table stays empty.
    **{("slack_installations", column): "never written (the bot keeps only slack_bots)"
       for column in ("app_id", "bot_id", "bot_refresh_token", "bot_scopes", "bot_token", "bot_user_id", "client_id",
                      "enterprise_id", "enterprise_name", "enterprise_url", "incoming_webhook_channel",
                      "incoming_webhook_channel_id", "incoming_webhook_configuration_url", "incoming_webhook_url",
                      "team_id", "team_name", "token_type", "user_id", "user_refresh_token", "user_scopes",
                      "user_token")},
    ("slack_oauth_states", "state"): "a random value of an install in progress, gone after 10 minutes",
}


def inventoried_columns() -> set[tuple[str, str]]:
    """(table, column) of every inventory entry."""
    return {(entry.table, entry.column) for entry in FIELDS}


def unlisted_columns(metadata: MetaData) -> set[tuple[str, str]]:
    """Text and JSON columns (enums are strings too) listed neither as personal nor as not
    personal: what a new column must be added as before its table can hold data."""
    text_columns = {
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (String, Text, JSON))
    }
    return text_columns - inventoried_columns() - set(NOT_PERSONAL)


def fields_of(table: str) -> tuple[Field, ...]:
    return tuple(entry for entry in FIELDS if entry.table == table)


# --- a person ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PersonRef:
    """Everything that identifies one person in the database: their participant rows in
    every round and programme, and the values a stored message would name them by."""

    participant_ids: tuple[int, ...]
    round_ids: tuple[int, ...]
    emails: tuple[str, ...]
    slack_user_ids: tuple[str, ...]
    names: tuple[str, ...]
    pair_ids: tuple[int, ...]
    pair_channel_ids: tuple[str, ...]
    #: Where their outbox rows may be: None is anywhere (the whole person); a coordinator's
    #: erasure of part of them (`within_programmes`) reaches only these channels.
    outbox_targets: tuple[str, ...] | None = None
    #: With `outbox_targets`: their Slack ids, whose DMs are theirs only when the DM's key
    #: names one of `participant_ids`, `pair_ids` or `round_ids` (`key_names_rows`).
    dm_user_ids: tuple[str, ...] = ()
    #: Where their programmes' coordinators hear about them: coordinator channels (as the
    #: outbox addresses them) and the coordinators' DMs. A row elsewhere that names their
    #: name is about someone else (another programme's person of the same name).
    coordinator_targets: tuple[str, ...] = ()

    def needles(self) -> tuple[str, ...]:
        """Strings whose presence in a stored message ties it to them (names of 3+ letters,
        so a one-letter name does not match every message)."""
        values = {*self.emails, *self.slack_user_ids, *(name for name in self.names if len(name.strip()) >= 3)}
        return tuple(sorted(value for value in values if value))

    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """The needles as whole words: "Ann" finds "Ann Berg" and "Hi Ann!", not "Annual"."""
        return tuple(re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)") for needle in self.needles())


def find_person(session: Session, *, email: str | None = None, slack_user_id: str | None = None,
                participant_ids: tuple[int, ...] = (), workspace: Workspace | None = None) -> PersonRef | None:
    """All participant rows of one person, found by email (any case), Slack id or row ids,
    and the rows sharing an email or Slack id with those (a returning mentor imported under
    the same email is one person). None when nobody matches. Already erased rows are left
    out: their identity is gone.

    With `workspace` (someone asking in Slack) only that workspace's rows count: a Slack id
    says who someone is only within its workspace. Without it (the operator's CLI) every
    workspace's rows do."""
    scope = [] if workspace is None else [Participant.round_id.in_(workspace.rounds())]
    conditions = []
    if email:
        conditions.append(Participant.email == email.strip().lower())
    if slack_user_id:
        conditions.append(Participant.slack_user_id == slack_user_id)
    if participant_ids:
        conditions.append(Participant.id.in_(participant_ids))
    if not conditions:
        return None
    rows = list(session.scalars(select(Participant).where(or_(*conditions), Participant.erased_at.is_(None), *scope)))
    if not rows:
        return None
    emails = {row.email for row in rows}
    slack_ids = {row.slack_user_id for row in rows if row.slack_user_id}
    linked = [Participant.email.in_(emails)] + ([Participant.slack_user_id.in_(slack_ids)] if slack_ids else [])
    rows = list(session.scalars(select(Participant).where(or_(*linked), Participant.erased_at.is_(None), *scope)
                                .order_by(Participant.id)))
    ids = tuple(row.id for row in rows)
    pairs = session.execute(select(Pair.id, Pair.slack_channel_id)
                            .where(or_(Pair.mentor_id.in_(ids), Pair.mentee_id.in_(ids))).order_by(Pair.id)).all()
    round_ids = tuple(sorted({row.round_id for row in rows}))
    return PersonRef(
        participant_ids=ids,
        round_ids=round_ids,
        coordinator_targets=_coordinator_targets(session, round_ids),
        emails=tuple(sorted({row.email for row in rows})),
        slack_user_ids=tuple(sorted({row.slack_user_id for row in rows if row.slack_user_id})),
        names=tuple(sorted({row.name for row in rows})),
        pair_ids=tuple(pair.id for pair in pairs),
        pair_channel_ids=tuple(pair.slack_channel_id for pair in pairs if pair.slack_channel_id),
    )


def within_programmes(session: Session, person: PersonRef, programme_ids: Collection[int]) -> PersonRef | None:
    """The part of a person that these programmes hold (a coordinator erases only there):
    their rows in those programmes' rounds and those rows' pairs; None when they have none.

    When they also take part in another programme, that programme still knows them by
    email, name and Slack id, so those stay out of the ref: no coordinator column or DM
    is scrubbed by their Slack id, and their outbox rows are looked for only in the erased
    pairs' channels and these programmes' coordinator channels. A DM row has no round
    column, and not every key names one, so a DM that cannot be told apart is left to
    the other programme, unless the DM's key names one of the erased rows, pairs or rounds
    (`key_names_rows`): those are cancelled and trimmed with the rest."""
    rows = list(session.scalars(select(Participant).join(Round, Round.id == Participant.round_id)
                                .where(Participant.id.in_(person.participant_ids),
                                       Round.programme_id.in_(list(programme_ids))).order_by(Participant.id)))
    if not rows:
        return None
    ids = tuple(row.id for row in rows)
    if set(ids) == set(person.participant_ids):
        return person
    pairs = session.execute(select(Pair.id, Pair.slack_channel_id)
                            .where(or_(Pair.mentor_id.in_(ids), Pair.mentee_id.in_(ids))).order_by(Pair.id)).all()
    round_ids = tuple(sorted({row.round_id for row in rows}))
    channel_ids = tuple(pair.slack_channel_id for pair in pairs if pair.slack_channel_id)
    coordinators = _coordinator_targets(session, round_ids)
    return PersonRef(participant_ids=ids, round_ids=round_ids, emails=tuple(sorted({row.email for row in rows})),
                     slack_user_ids=(), names=tuple(sorted({row.name for row in rows})),
                     pair_ids=tuple(pair.id for pair in pairs), pair_channel_ids=channel_ids,
                     outbox_targets=channel_ids + coordinators, dm_user_ids=person.slack_user_ids,
                     coordinator_targets=coordinators)


def _coordinator_targets(session: Session, round_ids: Collection[int]) -> tuple[str, ...]:
    """Where these rounds' coordinators are told things (`bot.core.coordinators`): their
    programmes' coordinator channels, with and without the '#' the workbook may give (the
    outbox addresses a channel without it), and the coordinators' Slack ids (their DMs)."""
    channels = [channel for channel in session.scalars(
        select(Programme.coordinator_channel).join(Round, Round.programme_id == Programme.id)
        .where(Round.id.in_(list(round_ids))).distinct()) if channel]
    coordinators = session.scalars(select(Participant.slack_user_id).where(
        Participant.round_id.in_(list(round_ids)), Participant.role == Role.COORDINATOR,
        Participant.slack_user_id.is_not(None)).distinct())
    targets = [*channels, *(channel.lstrip("#") for channel in channels), *(user for user in coordinators if user)]
    return tuple(sorted(set(targets)))


_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def looks_like_email(text: str) -> bool:
    """Whether a person could be looked up by this (the CLI says which input it refused)."""
    return bool(_EMAIL.match(text.strip()))


#: How much of a refused or unknown input a CLI error line echoes: enough to recognise it,
#: never a pasted file.
ECHO_LIMIT = 60


def shown_input(text: str) -> str:
    """The input as an error line echoes it: stripped and cut to ECHO_LIMIT characters."""
    text = " ".join(text.split())
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT - 1] + "…"


def round_labels(session: Session, person: PersonRef) -> list[str]:
    """"Programme: Round" for each of their rounds, oldest first: says whom a name means."""
    rows = session.execute(select(Programme.name, Round.name).join(Round, Round.programme_id == Programme.id)
                           .where(Round.id.in_(person.round_ids)).order_by(Round.starts_on, Round.id)).all()
    return [f"{programme}: {round_name}" for programme, round_name in rows]


@dataclass(frozen=True, kw_only=True)
class TableRows:
    """One table's rows about a person: each a mapping of the row's id (and links) and its
    personal columns, ready to be written to JSON."""

    table: str
    fields: tuple[Field, ...]
    rows: tuple[dict[str, Any], ...]


#: Tables tied to a person without a personal text column, that an export still shows
#: (their choices and dates): the linked columns read for them.
_LINKED_ONLY: Mapping[str, type[Base]] = {
    "consent": Consent,
    "survey_invitation": SurveyInvitation,
    "follow_up": FollowUp,
}


def person_selects(person: PersonRef) -> Iterator[tuple[str, Select[Any]]]:
    """Per table, the select of this person's rows (every column; `person_rows` keeps the
    personal ones). The outbox is not here: its rows are found by content (`outbox_rows_about`)."""
    ids, pair_ids, slack_ids = person.participant_ids, person.pair_ids, person.slack_user_ids
    yield "participant", select(Participant).where(Participant.id.in_(ids)).order_by(Participant.id)
    yield "consent", select(Consent).where(Consent.participant_id.in_(ids)).order_by(Consent.id)
    yield "pair", select(Pair).where(Pair.id.in_(pair_ids)).order_by(Pair.id)
    yield "mentoring_session", (select(MentoringSession).where(MentoringSession.pair_id.in_(pair_ids))
                                .order_by(MentoringSession.id))
    yield "checkin", select(Checkin).where(Checkin.pair_id.in_(pair_ids)).order_by(Checkin.id)
    yield "meeting_rsvp", select(MeetingRsvp).where(MeetingRsvp.participant_id.in_(ids)).order_by(MeetingRsvp.id)
    yield "survey_invitation", (select(SurveyInvitation).where(SurveyInvitation.participant_id.in_(ids))
                                .order_by(SurveyInvitation.id))
    yield "survey_answer", select(SurveyAnswer).where(SurveyAnswer.participant_id.in_(ids)).order_by(SurveyAnswer.id)
    yield "outcome", (select(Outcome).where(or_(Outcome.participant_id.in_(ids), Outcome.recorded_by.in_(slack_ids)))
                      .order_by(Outcome.id))
    yield "follow_up", select(FollowUp).where(FollowUp.participant_id.in_(ids)).order_by(FollowUp.id)
    yield "match_constraint", (select(MatchConstraint).where(MatchConstraint.created_by.in_(slack_ids))
                               .order_by(MatchConstraint.id))
    yield "match_proposal", (select(MatchProposal).where(or_(MatchProposal.round_id.in_(person.round_ids),
                                                             MatchProposal.created_by.in_(slack_ids)))
                             .order_by(MatchProposal.id))
    yield "disclosure", select(Disclosure).where(Disclosure.round_id.in_(person.round_ids)).order_by(Disclosure.id)
    yield "digest_handled", (select(DigestHandled).where(DigestHandled.handled_by.in_(slack_ids))
                             .order_by(DigestHandled.id))


def proposal_mentions(payload: Mapping[str, Any], person: PersonRef) -> bool:
    """Whether a stored match proposal names this person (by participant id or Slack id)."""
    ids = set(person.participant_ids)
    if any(int(key) in ids for key in (payload.get("names") or {})):
        return True
    return payload.get("published_by") in person.slack_user_ids


def disclosure_mentions(contributions: Mapping[str, Any], person: PersonRef) -> bool:
    return any(str(pid) in contributions for pid in person.participant_ids)


def message_mentions(row: OutboxMessage, person: PersonRef) -> bool:
    """Whether an outbox row is to or about this person: sent to their DM or their pair's
    channel, naming their Slack id in its key, or sent to their programmes' coordinators
    and naming their name, email or Slack id in its facts."""
    if person.outbox_targets is not None and row.target not in person.outbox_targets:
        return row.target in person.dm_user_ids and key_names_rows(row.dedup_key, person)
    if row.target in person.slack_user_ids or row.target in person.pair_channel_ids:
        return True
    if any(slack_id in row.dedup_key for slack_id in person.slack_user_ids):
        return True
    if person.outbox_targets is None and row.target not in person.coordinator_targets:
        return False  # another programme's channel or person: a name there is someone else's
    text = json.dumps(row.payload or {}, ensure_ascii=False)
    return any(pattern.search(text) for pattern in person.patterns())


_KEY_ID = re.compile(r"(?<![\w])(participant|p|pair|round)=(\d+)(?!\d)")


def key_names_rows(dedup_key: str, person: PersonRef) -> bool:
    """Whether an outbox key names one of this person's participant rows, pairs or rounds
    ("welcome:participant=3", "survey:s=1:p=3:n=1", "pause:pair=5:..."): the one sign of
    which programme a DM belongs to. A key naming none tells nothing."""
    wanted = {"participant": person.participant_ids, "p": person.participant_ids, "pair": person.pair_ids,
              "round": person.round_ids}
    return any(int(number) in wanted[name] for name, number in _KEY_ID.findall(dedup_key))


def in_workspaces_of(person: PersonRef) -> ColumnElement[bool]:
    """WHERE clause: an outbox row sent in a workspace one of the person's rounds is in (or
    whose workspace is not known yet). Their Slack id, name or email on a row of another
    workspace is someone else's there."""
    teams = select(Programme.team_id).join(Round, Round.programme_id == Programme.id).where(
        Round.id.in_(person.round_ids))
    return or_(OutboxMessage.team_id.in_(teams), OutboxMessage.team_id == UNASSIGNED)


def outbox_rows_about(session: Session, person: PersonRef) -> list[OutboxMessage]:
    """Outbox rows still holding a payload that are to or about this person. Trimmed rows
    hold nothing but keys; the rest are read in batches and matched in Python, because a
    name is stored JSON-escaped differently by each database (erasure is rare; the
    retention job keeps the untrimmed rows to about a week's worth).

    Only rows of the workspaces the person's rounds are in (and rows whose workspace is not
    known yet): a message in another workspace about someone of the same name or email is
    about someone else there, and never this erasure's to cancel or trim."""
    found: list[OutboxMessage] = []
    query = (select(OutboxMessage).where(OutboxMessage.trimmed_at.is_(None), in_workspaces_of(person))
             .order_by(OutboxMessage.id).execution_options(yield_per=500))
    for row in session.scalars(query):
        if message_mentions(row, person):
            found.append(row)
    return found


def _personal_columns(table: str) -> list[str]:
    columns = [entry.column for entry in FIELDS if entry.table == table]
    return list(dict.fromkeys(columns))


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def person_rows(session: Session, person: PersonRef) -> Iterator[TableRows]:
    """Everything about this person, table by table: each row's id and links plus the
    inventory's columns for that table (for tables with none, every column). JSON
    documents about many people (proposals, disclosures) are cut to this person's part."""
    ids = {str(pid) for pid in person.participant_ids}
    for table_name, statement in person_selects(person):
        table = table_of(_MODELS[table_name])
        personal = _personal_columns(table_name)
        keep = [column.name for column in table.columns
                if column.name in personal or column.name == "id" or column.name.endswith("_id")
                or column.name.endswith("_at") or column.name.endswith("_on") or table_name in _LINKED_ONLY
                or column.name in _EXPORTED_NUMBERS.get(table_name, ())]
        rows: list[dict[str, Any]] = []
        for obj in session.scalars(statement):
            row = {name: _plain(getattr(obj, name)) for name in keep}
            if table_name == "match_proposal":
                if not proposal_mentions(obj.payload, person):
                    continue
                row["payload"] = _proposal_part(obj.payload, person)
            elif table_name == "disclosure":
                if not disclosure_mentions(obj.contributions, person):
                    continue
                row["contributions"] = {key: value for key, value in obj.contributions.items() if key in ids}
            rows.append(row)
        yield TableRows(table=table_name, fields=fields_of(table_name), rows=tuple(rows))
    messages = [
        {"id": row.id, "dedup_key": row.dedup_key, "target": row.target, "state": _plain(row.state),
         "payload": row.payload, "sent_at": _plain(row.sent_at), "created_at": _plain(row.created_at)}
        for row in outbox_rows_about(session, person)
    ]
    yield TableRows(table="outbox_message", fields=fields_of("outbox_message"), rows=tuple(messages))


def _proposal_part(payload: Mapping[str, Any], person: PersonRef) -> dict[str, Any]:
    ids = set(person.participant_ids)
    return {
        "round_id": payload.get("round_id"),
        "names": {key: name for key, name in (payload.get("names") or {}).items() if int(key) in ids},
        "pairs": [pair for pair in payload.get("pairs", []) if {pair.get("mentor_id"), pair.get("mentee_id")} & ids],
        "unmatched": [entry for entry in payload.get("unmatched", []) if entry.get("participant_id") in ids],
    }


_EXPORTED_NUMBERS: Mapping[str, tuple[str, ...]] = {
    "participant": ("max_mentees", "years_experience", "timezone_confirmed", "slack_lookup_attempts",
                    "onboarding_reminders_sent"),
    "pair": ("match_score",),
    "mentoring_session": ("duration_minutes", "introductions_made"),
    "meeting_rsvp": ("attended",),
    "survey_answer": ("value",),
    "outcome": ("network_helped",),
}

_MODELS: Mapping[str, type[Base]] = {
    "participant": Participant, "consent": Consent, "pair": Pair, "mentoring_session": MentoringSession,
    "checkin": Checkin, "meeting_rsvp": MeetingRsvp, "survey_invitation": SurveyInvitation,
    "survey_answer": SurveyAnswer, "outcome": Outcome, "follow_up": FollowUp, "match_constraint": MatchConstraint,
    "match_proposal": MatchProposal, "disclosure": Disclosure, "digest_handled": DigestHandled,
}


__all__ = [
    "ECHO_LIMIT",
    "FIELDS",
    "NOT_PERSONAL",
    "Erasure",
    "Field",
    "Kind",
    "Link",
    "PersonRef",
    "TableRows",
    "disclosure_mentions",
    "fields_of",
    "find_person",
    "in_workspaces_of",
    "inventoried_columns",
    "key_names_rows",
    "looks_like_email",
    "message_mentions",
    "outbox_rows_about",
    "person_rows",
    "person_selects",
    "proposal_mentions",
    "round_labels",
    "shown_input",
    "unlisted_columns",
    "within_programmes",
]
