"""The domain's tables, as typed SQLAlchemy 2 models.

A participant row is one person *in one round*: consent, language and onboarding are per
round, and a person who returns for a later round is recognised by email (matching uses
that to avoid pairing two people who already met).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A live pair is published and not ended: it has (or is about to get) a channel, sessions
# and nudges; bot.pairs.state asks the same with its live-pair rule. An unpublished
# pair is a draft of the workbook's Pairs sheet, which a re-import or a published proposal
# replaces by deleting one row and adding another in the same flush (SQLAlchemy inserts
# before it deletes), so drafts stay out of the index; the workbook already refuses a
# mentee twice on its Pairs sheet.
LIVE_PAIR_SQL = "status IN ('active', 'paused') AND published_at IS NOT NULL"
# Finished outbox rows whose payload still holds texts: what the retention trim looks for.
UNTRIMMED_OUTBOX_SQL = "trimmed_at IS NULL AND state IN ('sent', 'failed', 'cancelled')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for the bulk statements that bypass the ORM. Declarative types
    `__table__` as any FromClause; a model declared here always has a Table."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def _enum(enum_class: type[enum.Enum]) -> Enum:
    """Store enum *values* as plain strings, so the database reads well and a new member
    needs no ALTER TYPE on PostgreSQL. A CHECK lists the values, so a raw write cannot
    store a state no code knows; a new member is a migration that replaces that CHECK."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Role(str, enum.Enum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    COORDINATOR = "coordinator"
    # At a partner company that employs a mentee's partner: asked one survey after the round
    # (does the programme help them keep their international employee?). Never matched,
    # never nudged; need not be in Slack (a coordinator then records their answer by hand).
    COMPANY_CONTACT = "company_contact"


class PairStatus(str, enum.Enum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class MeetingKind(str, enum.Enum):
    MENTOR_COURSE = "mentor_course"
    CV_WORKSHOP = "cv_workshop"
    KICK_OFF = "kick_off"
    MIDWAY = "midway"
    INTERVIEW_WORKSHOP = "interview_workshop"
    CLOSING = "closing"
    OTHER = "other"


class ConsentPurpose(str, enum.Enum):
    """What a participant is asked to agree to, one choice each (GDPR: purpose by purpose)."""

    COORDINATION = "coordination"  # required to take part: messages, matching, pair channel
    EVALUATION = "evaluation"  # anonymous use of survey answers for the programme's evaluation
    FOLLOW_UP = "follow_up"  # being contacted six months after the round about jobs


class ConstraintKind(str, enum.Enum):
    LOCK = "lock"  # the coordinator wants this pair, whatever the score
    FORBID = "forbid"  # never propose this pair
    ALLOW = "allow"  # a pair that ended in this round may be proposed again


class CheckinAnswer(str, enum.Enum):
    MET = "met"  # "Yes" (opens the log modal)
    PLANNED = "planned"  # "It's planned for ..." (no nudge until then)
    NOT_YET = "not_yet"  # ask again in 3 working days
    HELP = "help"  # "We'd like help": tells the coordinator now


class RsvpAnswer(str, enum.Enum):
    YES = "yes"
    NO = "no"


class SurveyKind(str, enum.Enum):
    PULSE = "pulse"  # every few weeks: two 1-5 questions and a comment, in a DM
    MIDWAY = "midway"  # after the midway meeting: the role's criteria, recommend, comment
    FINAL = "final"  # at the closing meeting: the same
    COMPANY = "company"  # after the round, to company contacts: their criteria


class CriterionMeasure(str, enum.Enum):
    """How a success criterion is measured."""

    AGREE = "agree"  # a statement rated on the agree scale in the midway/final (or company) survey
    RECOMMEND = "recommend"  # "I would recommend taking part", asked in every midway/final survey
    EMPLOYED = "employed"  # mentees in work (employed or own company) at the 6-month follow-up


class OutcomeStatus(str, enum.Enum):
    """A mentee's situation as they (or a coordinator for them) report it."""

    EMPLOYED = "employed"
    INTERNSHIP = "internship"
    OWN_COMPANY = "own_company"
    EDUCATION = "education"
    LOOKING = "looking"
    OTHER = "other"


class OutcomeSource(str, enum.Enum):
    FOLLOW_UP = "follow_up"  # answered the 6-month DM
    SELF = "self"  # `/mentoring outcome`, any time
    COORDINATOR = "coordinator"  # `/mentoring-admin outcome NAME`, from a call or an email


class OutboxState(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # Slack refused it, or it kept failing: an error to look at
    CANCELLED = "cancelled"  # withdrawn before it was sent (cancel_reason says why): no error


class Programme(Base):
    __tablename__ = "programme"
    __table_args__ = (
        # Names are a workspace's own: two cities may both run "Mentoring", and a name taken
        # in one workspace tells the others nothing.
        UniqueConstraint("team_id", "name"),
        CheckConstraint("min_answers_shown >= 3", name="anonymity_threshold_at_least_3"),
        CheckConstraint("retention_months >= 1 AND retention_months <= 120", name="retention_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Slack workspace the programme lives in: its people, channels and messages are
    # there, and its rows (everything hanging off the programme) are seen only from there.
    # '' = not yet known: in single-workspace token mode the bot adopts such rows as its
    # workspace's when it starts (bot.core.workspace.adopt_unassigned).
    team_id: Mapped[str] = mapped_column(String(32), default="", server_default="", index=True)
    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    coordinator_channel: Mapped[str | None] = mapped_column(String(100))
    # Matching weights overriding the defaults (bot.matching.engine.MatchWeights fields).
    match_weights: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    coordinators_join_pair_channels: Mapped[bool] = mapped_column(Boolean, default=False)
    # Anonymity: an aggregate of survey answers is shown only when at least this many people
    # are in it (and every change to it is at least this many people); never below 3.
    min_answers_shown: Mapped[int] = mapped_column(Integer, default=5)
    # Retention (GDPR art. 5(1)(e)): a round's personal data is erased this many months after
    # its six-month follow-up; the consent text states it.
    retention_months: Mapped[int] = mapped_column(Integer, default=12)
    created_at: Mapped[datetime]

    rounds: Mapped[list[Round]] = relationship(back_populates="programme", order_by="Round.starts_on")


class Round(Base):
    """One cohort ("forløb"): about four months, about twenty pairs."""

    __tablename__ = "round"
    __table_args__ = (
        UniqueConstraint("programme_id", "name"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("session_every_days > 0", name="cadence_positive"),
        CheckConstraint("pulse_every_days > 0", name="pulse_positive"),
        CheckConstraint("digest_weekday >= 0 AND digest_weekday <= 6", name="digest_weekday_in_week"),
        CheckConstraint("digest_hour >= 0 AND digest_hour <= 23", name="digest_hour_in_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    session_every_days: Mapped[int] = mapped_column(Integer, default=14)
    pulse_every_days: Mapped[int] = mapped_column(Integer, default=21)
    # The coordinators' weekly digest: weekday (0 = Monday .. 6 = Sunday) and hour, in the
    # programme's time zone.
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)
    digest_hour: Mapped[int] = mapped_column(Integer, default=9)
    # Set when the retention job erased the round's personal data (counts stay).
    personal_data_erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    programme: Mapped[Programme] = relationship(back_populates="rounds")
    participants: Mapped[list[Participant]] = relationship(back_populates="round")
    meetings: Mapped[list[SharedMeeting]] = relationship(back_populates="round", order_by="SharedMeeting.starts_at")
    pairs: Mapped[list[Pair]] = relationship(back_populates="round")


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("round_id", "email"),
        Index("ix_participant_slack_user_id", "slack_user_id"),
        CheckConstraint("max_mentees >= 0", name="capacity_not_negative"),
        CheckConstraint("years_experience >= 0", name="years_not_negative"),
        CheckConstraint("slack_lookup_attempts >= 0 AND onboarding_reminders_sent >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # From the roster workbook; the person completes and corrects it in the profile modal.
    field: Mapped[str | None] = mapped_column(String(200))
    languages: Mapped[list[str]] = mapped_column(default=list)
    interests: Mapped[list[str]] = mapped_column(default=list)
    company: Mapped[str | None] = mapped_column(String(200))
    # Mentees: where their partner works, which links them to that company's contact.
    partner_company: Mapped[str | None] = mapped_column(String(200))
    home_country: Mapped[str | None] = mapped_column(String(100))
    max_mentees: Mapped[int] = mapped_column(Integer, default=1)
    years_experience: Mapped[int | None] = mapped_column(Integer)
    goals: Mapped[str | None] = mapped_column(Text)  # mentees: what they want from the round
    expertise: Mapped[str | None] = mapped_column(Text)  # mentors: what they can offer
    availability: Mapped[str | None] = mapped_column(Text)
    timezone_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Onboarding milestones: each one time-stamped, so "who is stuck where" is a query.
    slack_missing_since: Mapped[datetime | None]
    slack_lookup_attempts: Mapped[int] = mapped_column(Integer, default=0)
    welcome_sent_at: Mapped[datetime | None]
    consented_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]  # declined coordination: no more messages at all
    profile_completed_at: Mapped[datetime | None]
    onboarding_reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # A person's own pause (`/mentoring pause until DATE`): no nudges until then. Indexed:
    # the tick looks every minute for pauses that just ended.
    paused_until: Mapped[date | None] = mapped_column(Date, index=True)
    pause_reason: Mapped[str | None] = mapped_column(String(500))
    # Erased on request (GDPR art. 17) or by retention: personal fields are blanked, the row
    # stays so counts and anonymous aggregates still add up.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    round: Mapped[Round] = relationship(back_populates="participants")
    consents: Mapped[list[Consent]] = relationship(back_populates="participant", cascade="all, delete-orphan")


class Consent(Base):
    """One recorded choice per purpose; changing one's mind updates it with a new time stamp."""

    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("participant_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(_enum(ConsentPurpose))
    granted: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime]

    participant: Mapped[Participant] = relationship(back_populates="consents")


class Pair(Base):
    __tablename__ = "pair"
    __table_args__ = (
        UniqueConstraint("round_id", "mentor_id", "mentee_id"),
        # NULLs are distinct on both databases: pairs without a channel yet do not collide.
        UniqueConstraint("slack_channel_id"),
        Index(
            "uq_pair_one_live_pair_per_mentee", "round_id", "mentee_id", unique=True,
            sqlite_where=text(LIVE_PAIR_SQL), postgresql_where=text(LIVE_PAIR_SQL),
        ),
        CheckConstraint("mentor_id <> mentee_id", name="two_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    status: Mapped[PairStatus] = mapped_column(_enum(PairStatus), default=PairStatus.ACTIVE)
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    # Publishing: published_at says "open the channel"; channel_name is chosen before
    # conversations.create, so a crash after Slack made the channel can adopt it, not make two.
    published_at: Mapped[datetime | None]
    channel_name: Mapped[str | None] = mapped_column(String(80))
    channel_opened_at: Mapped[datetime | None]
    channel_archived_at: Mapped[datetime | None]
    match_score: Mapped[float | None]
    match_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # ScoreComponent-like dicts
    paused_until: Mapped[date | None] = mapped_column(Date, index=True)  # the tick looks for ended pauses
    pause_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))

    round: Mapped[Round] = relationship(back_populates="pairs")
    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[Participant] = relationship(foreign_keys=[mentee_id])
    sessions: Mapped[list[MentoringSession]] = relationship(back_populates="pair", order_by="MentoringSession.held_on")


class SharedMeeting(Base):
    """Kick-off, CV workshop, midway meeting, interview workshop, closing meeting."""

    __tablename__ = "shared_meeting"
    __table_args__ = (
        UniqueConstraint("round_id", "kind", "title"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    location: Mapped[str | None] = mapped_column(String(500))

    round: Mapped[Round] = relationship(back_populates="meetings")


class MentoringSession(Base):
    """A 1:1 session a pair actually held (not named Session to keep SQLAlchemy's free)."""

    __tablename__ = "mentoring_session"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("introductions_made >= 0", name="introductions_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list[str]] = mapped_column(default=list)
    introductions_made: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    # The post in the pair channel, updated when the session is confirmed, edited or deleted.
    channel_message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    pair: Mapped[Pair] = relationship(back_populates="sessions")


class MatchConstraint(Base):
    """A coordinator's lock or forbid on one mentor-mentee pair in a round."""

    __tablename__ = "match_constraint"
    __table_args__ = (
        UniqueConstraint("round_id", "mentor_id", "mentee_id"),
        CheckConstraint("mentor_id <> mentee_id", name="two_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    kind: Mapped[ConstraintKind] = mapped_column(_enum(ConstraintKind))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class MatchProposal(Base):
    """A computed proposal as the coordinator reviewed it: the newest unpublished one is current."""

    __tablename__ = "match_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]]
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class Checkin(Base):
    """One "Did you meet?" asked in a pair channel for one cadence window, and its answer."""

    __tablename__ = "checkin"
    __table_args__ = (UniqueConstraint("pair_id", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), index=True)
    window_start: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime]
    answer: Mapped[CheckinAnswer | None] = mapped_column(_enum(CheckinAnswer))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    planned_for: Mapped[date | None] = mapped_column(Date)
    ask_again_on: Mapped[date | None] = mapped_column(Date)


class MeetingRsvp(Base):
    """"I'll be there" / "Can't make it" for a shared meeting, and whether they came."""

    __tablename__ = "meeting_rsvp"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("shared_meeting.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    answer: Mapped[RsvpAnswer | None] = mapped_column(_enum(RsvpAnswer))
    answered_at: Mapped[datetime | None]
    attended: Mapped[bool | None] = mapped_column(Boolean)
    attendance_recorded_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A notice (or chore) to send later, stored as facts and drawn for the platform when it
    goes; the dedup key makes every producer idempotent."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "state", "not_before"),
        # The trim's own index: only finished rows not yet trimmed, so finding the due ones
        # reads what is due and nothing of the (ever larger) trimmed history. Keyed like
        # ix_outbox_message_due: keyed on not_before alone, SQLite's planner (without
        # ANALYZE statistics) preferred ix_outbox_message_due for the trim's `state IN (...)`
        # and read every trimmed row; with the same key the smaller, partial one wins.
        Index(
            "ix_outbox_message_untrimmed", "state", "not_before",
            sqlite_where=text(UNTRIMMED_OUTBOX_SQL), postgresql_where=text(UNTRIMMED_OUTBOX_SQL),
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # A reason exactly when cancelled: a withdrawn message is never mistaken for a failure.
        CheckConstraint("(state = 'cancelled') = (cancel_reason IS NOT NULL)", name="cancel_reason_iff_cancelled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    # The workspace whose token sends it ('' = the single workspace of token mode).
    team_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    method: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    not_before: Mapped[datetime]
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The last send's outcome is unknown (the worker died mid-call, or the answer was lost):
    # before sending again the deliverer looks for the message's key in the conversation.
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    # A sent row's payload is trimmed to its key after a short while: texts hold names.
    trimmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Criterion(Base):
    """One of a programme's success criteria: what is rated, by whom, when, and the target.

    Criteria are data (the round workbook's Criteria sheet); a programme without one gets
    the eight of the programme brief. `target` is a share in [0, 1] (2/3 stays 2/3)."""

    __tablename__ = "criterion"
    __table_args__ = (
        UniqueConstraint("programme_id", "key"),
        CheckConstraint("target >= 0 AND target <= 1", name="target_is_a_share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    measure: Mapped[CriterionMeasure] = mapped_column(_enum(CriterionMeasure))
    roles: Mapped[list[str]] = mapped_column(default=list)  # Role values: mentor, mentee, company_contact
    surveys: Mapped[list[str]] = mapped_column(default=list)  # SurveyKind values: midway, final
    target: Mapped[float]
    statement_en: Mapped[str] = mapped_column(Text)
    statement_da: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Survey(Base):
    """One survey put to a round: a numbered pulse, the midway, the final, the company one."""

    __tablename__ = "survey"
    __table_args__ = (
        UniqueConstraint("round_id", "kind", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SurveyKind] = mapped_column(_enum(SurveyKind))
    number: Mapped[int] = mapped_column(Integer, default=1)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime]


class SurveyInvitation(Base):
    """One person asked one survey: when, how often reminded, and whether they answered."""

    __tablename__ = "survey_invitation"
    __table_args__ = (
        UniqueConstraint("survey_id", "participant_id"),
        CheckConstraint("reminders_sent >= 0 AND reminders_sent <= 2", name="at_most_two_reminders"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    asked_at: Mapped[datetime | None]  # None: not in Slack, the coordinators ask by hand
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SurveyAnswer(Base):
    """One answer to one question; answering again replaces it (the last answer wins).

    `question` is a criterion key, `recommend`, `comment`, or a pulse question key. Never
    shown next to a name: coordinators see aggregates past the anonymity threshold only."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("survey_id", "participant_id", "question"),
        CheckConstraint("value IS NULL OR (value >= 1 AND value <= 5)", name="value_on_the_scale"),
        CheckConstraint("value IS NOT NULL OR text IS NOT NULL", name="value_or_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime]


class Disclosure(Base):
    """An aggregate once shown to coordinators, and whose answers were in it.

    The anonymity rule compares every new view of a cell (one question of one survey, or a
    round's outcomes) with the views already shown, so no two views differ by fewer than
    the threshold of people: differencing them reveals nobody. Internal: never shown."""

    __tablename__ = "disclosure"
    __table_args__ = (UniqueConstraint("cell", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    cell: Mapped[str] = mapped_column(String(200), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    contributions: Mapped[dict[str, Any]]  # participant id (as text) -> the value as counted
    shown_at: Mapped[datetime]


class Outcome(Base):
    """A mentee's situation (employed, internship, ...): one per mentee per round, the
    latest report winning, whoever made it."""

    __tablename__ = "outcome"
    __table_args__ = (UniqueConstraint("participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    status: Mapped[OutcomeStatus] = mapped_column(_enum(OutcomeStatus))
    started_on: Mapped[date | None] = mapped_column(Date)
    network_helped: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[OutcomeSource] = mapped_column(_enum(OutcomeSource))
    recorded_by: Mapped[str | None] = mapped_column(String(32))  # the coordinator's Slack id, for COORDINATOR
    recorded_at: Mapped[datetime]


class FollowUp(Base):
    """The 6-month follow-up DM to one mentee: when asked and reminded (one reminder)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("participant_id"),
        CheckConstraint("reminders_sent >= 0 AND reminders_sent <= 1", name="at_most_one_reminder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None]


class DigestHandled(Base):
    """A coordinator marked one action of the weekly digest handled. The action stays off
    later digests while its fingerprint (the state of that pair or person) is the same;
    something new happening changes the fingerprint and brings it back."""

    __tablename__ = "digest_handled"
    __table_args__ = (UniqueConstraint("round_id", "key", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    fingerprint: Mapped[str] = mapped_column(String(64))
    handled_by: Mapped[str] = mapped_column(String(32))  # the coordinator's Slack id
    handled_at: Mapped[datetime]


class ProcessedEvent(Base):
    """Events API ids already handled: Slack redelivers anything not acknowledged in time."""

    __tablename__ = "processed_event"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class WorkerLease(Base):
    """Who runs the scheduler. On SQLite the one row is a lease renewed while the worker
    lives; on PostgreSQL an advisory lock does the job and this row only says who holds it."""

    __tablename__ = "worker_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime]
    renewed_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WorkspaceStatus(Base):
    """A Slack workspace that uninstalled the app or revoked its tokens: nothing is sent
    there until it is installed again (`sending_stopped_at` cleared)."""

    __tablename__ = "workspace_status"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sending_stopped_at: Mapped[datetime | None]
    stopped_because: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class NudgeMark(Base):
    """When a nudge job next has anything to do in a round (bot.nudges.marks): the tick looks
    only at rounds without a mark or whose mark has come, so an idle tick reads no pair.
    NULL: nothing until something changes. Only the tick writes these rows."""

    __tablename__ = "nudge_mark"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), primary_key=True, index=True)
    due_at: Mapped[datetime | None]


class NudgeChange(Base):
    """A round whose nudge inputs changed since the tick last looked. Written by database
    triggers (migration 0006) on every table the nudge jobs read, so no writer in the code
    has to remember it; the tick deletes the rows it read and the round's marks with them."""

    __tablename__ = "nudge_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)


# --- Slack OAuth (multi-workspace install) -----------------------------------------------------
# The tables slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore read and
# write, declared here so Alembic owns them like every other table (the stores' own
# create_tables() is never called). tests/unit/test_oauth_tables.py compares them with the
# stores' builders, so a slack_sdk upgrade that changes them fails a test, not an install.
# Their datetimes are naive UTC, as slack_sdk writes them.

slack_installations = Table(
    "slack_installations", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    "slack_bots", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False, default=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
