"""Two programmes side by side in one workspace, with something private in each corner.

Alpha is the programme the access tests aim at: its coordinator Carla, the pair Mikkel
(mentor) and Esther (mentee) with a logged 1:1 whose notes are private to them, a check-in
waiting for an answer, Esther's survey invitations and her own profile and outcome;
another pair (Otto and Olga) and two people still to be matched. Beta is a second
programme with its own coordinator and pair. Ole is in the workspace and in no programme.

With `beta_team`, Beta is in a second Slack workspace (many workspaces, issue 13): its
programme row has that team, and Bente, Bjarne and Birthe are people of that workspace of
the sandbox (`sandbox.add_workspace`), while Alpha is the sandbox's own workspace's.

Every name, email and note here is distinctive, so a test can look for them in anything
the bot sent or logged (`SECRETS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    CheckinAnswer,
    Consent,
    ConsentPurpose,
    MeetingKind,
    MentoringSession,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    SharedMeeting,
    Survey,
    SurveyInvitation,
    SurveyKind,
)

UTC = timezone.utc
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
#: The scenario clock (tests/scenario/conftest.py) is Tuesday 2 February 2027, 09:00 UTC.
NOW = datetime(2027, 2, 2, 9, 0, tzinfo=UTC)
KICK_OFF = datetime(2027, 2, 1, 16, 0, tzinfo=UTC)  # over: attendance can be taken
MIDWAY = datetime(2027, 3, 24, 15, 0, tzinfo=UTC)  # ahead: people RSVP
WINDOW = date(2027, 2, 1)

NOTE = "Esther fears the Novo interview; keep this between us"
PEOPLE = {
    # key: (Slack id, name, email, role, programme)
    "carla": ("UCARLA", "Carla Coordinova", "carla@alpha.example", Role.COORDINATOR, "alpha"),
    "mikkel": ("UMIKKEL", "Mikkel Secretsen", "mikkel@alpha.example", Role.MENTOR, "alpha"),
    "esther": ("UESTHER", "Esther Hiddenova", "esther@alpha.example", Role.MENTEE, "alpha"),
    "otto": ("UOTTO", "Otto Nabopar", "otto@alpha.example", Role.MENTOR, "alpha"),
    "olga": ("UOLGA", "Olga Nabopar", "olga@alpha.example", Role.MENTEE, "alpha"),
    "rasmus": ("URASMUS", "Rasmus Ledigsen", "rasmus@alpha.example", Role.MENTOR, "alpha"),
    "rita": ("URITA", "Rita Ledigsen", "rita@alpha.example", Role.MENTEE, "alpha"),
    "kirsten": ("UKIRSTEN", "Kirsten Firmasen", "kirsten@alpha.example", Role.COMPANY_CONTACT, "alpha"),
    "bente": ("UBENTE", "Bente Betasen", "bente@beta.example", Role.COORDINATOR, "beta"),
    "bjarne": ("UBJARNE", "Bjarne Betasen", "bjarne@beta.example", Role.MENTOR, "beta"),
    "birthe": ("UBIRTHE", "Birthe Betasen", "birthe@beta.example", Role.MENTEE, "beta"),
}
OUTSIDER = ("UOLE", "Ole Udenforsen", "ole@nowhere.example")
ALPHA_PROGRAMME, ALPHA_ROUND = "Alphamentoring", "Alpharound 2027"
BETA_PROGRAMME, BETA_ROUND = "Betamentoring", "Betaround 2027"


@dataclass
class TwoProgrammes:
    """Ids of what the tests aim at (participant ids by key, and the rows of Alpha)."""

    people: dict[str, int] = field(default_factory=dict)
    alpha_programme: int = 0
    alpha_round: int = 0
    beta_round: int = 0
    pair: int = 0  # Mikkel and Esther
    other_pair: int = 0  # Otto and Olga
    beta_pair: int = 0
    session: int = 0  # the 1:1 Mikkel logged, with NOTE, not yet confirmed
    kick_off: int = 0
    midway: int = 0
    midway_invitation: int = 0  # Esther's
    pulse_invitation: int = 0  # Esther's
    company_survey: int = 0
    proposal: int = 0  # a match review of Alpha, once a test asks Carla for one
    digest_value: str = ""  # a live Handled button of Alpha's digest, once a test asks for it


def user(key: str) -> str:
    return OUTSIDER[0] if key == "ole" else PEOPLE[key][0]


def _programme(session: Session, name: str, round_name: str, *, team_id: str = "") -> Round:
    programme = Programme(name=name, default_language="en", timezone="Europe/Copenhagen", coordinator_channel=None,
                          created_at=EPOCH, team_id=team_id)
    round_ = Round(programme=programme, name=round_name, starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 21),
                   session_every_days=14, created_at=EPOCH)
    session.add_all([programme, round_])
    session.flush()
    return round_


def build_two_programmes(slack: SandboxedApp, *, beta_team: str | None = None) -> TwoProgrammes:
    """Everyone in the sandbox's Slack and in the database; pair channels exist with their pair in them.

    `beta_team`: Beta lives in that workspace (added to the sandbox here when it is not
    there yet), Alpha in the sandbox's own."""
    world = TwoProgrammes()
    alpha_slack = slack.sandbox
    beta_slack = alpha_slack
    if beta_team is not None:
        try:
            beta_slack = alpha_slack.workspace(beta_team)
        except KeyError:
            beta_slack = alpha_slack.add_workspace(team_id=beta_team)
    for slack_id, name, email, *rest in (*PEOPLE.values(), (*OUTSIDER, None, "alpha")):
        where = beta_slack if rest[-1] == "beta" else alpha_slack
        where.add_user(user_id=slack_id, name=slack_id[1:].lower(), real_name=name, email=email)
    channels = {"pair": ("alpha-mikkel-esther", ("UMIKKEL", "UESTHER"), alpha_slack),
                "other_pair": ("alpha-otto-olga", ("UOTTO", "UOLGA"), alpha_slack),
                "beta_pair": ("beta-bjarne-birthe", ("UBJARNE", "UBIRTHE"), beta_slack)}
    channel_ids = {key: where.add_channel(name=name, is_private=True, members=[*members, where.bot_user_id])["id"]
                   for key, (name, members, where) in channels.items()}
    with unit_of_work(slack.runtime.session_factory) as session:
        rounds = {"alpha": _programme(session, ALPHA_PROGRAMME, ALPHA_ROUND,
                                      team_id="" if beta_team is None else alpha_slack.team_id),
                  "beta": _programme(session, BETA_PROGRAMME, BETA_ROUND, team_id=beta_team or "")}
        world.alpha_round, world.beta_round = rounds["alpha"].id, rounds["beta"].id
        world.alpha_programme = rounds["alpha"].programme_id
        for key, (slack_id, name, email, role, programme) in PEOPLE.items():
            person = Participant(
                round_id=rounds[programme].id, role=role, email=email, name=name, slack_user_id=slack_id,
                language="en", timezone="Europe/Copenhagen", field="Engineering", languages=["English"],
                welcome_sent_at=EPOCH, consented_at=EPOCH, profile_completed_at=EPOCH, created_at=EPOCH,
                updated_at=EPOCH, company="Firmasen A/S" if role is Role.COMPANY_CONTACT else None,
            )
            session.add(person)
            session.flush()
            world.people[key] = person.id
            if role in (Role.MENTOR, Role.MENTEE):
                for purpose in (ConsentPurpose.COORDINATION, ConsentPurpose.EVALUATION):
                    session.add(Consent(participant_id=person.id, purpose=purpose, granted=True, decided_at=EPOCH))
        for key, mentor, mentee, round_key in (("pair", "mikkel", "esther", "alpha"),
                                               ("other_pair", "otto", "olga", "alpha"),
                                               ("beta_pair", "bjarne", "birthe", "beta")):
            row = Pair(round_id=rounds[round_key].id, mentor_id=world.people[mentor], mentee_id=world.people[mentee],
                       status=PairStatus.ACTIVE, slack_channel_id=channel_ids[key],
                       channel_opened_at=datetime(2027, 2, 1, 8, 0, tzinfo=UTC), published_at=EPOCH, created_at=EPOCH)
            session.add(row)
            session.flush()
            setattr(world, key, row.id)
        logged = MentoringSession(pair_id=world.pair, held_on=date(2027, 2, 1), duration_minutes=60, topics=["cv"],
                                  notes=NOTE, logged_by_id=world.people["mikkel"], created_at=NOW - timedelta(hours=12),
                                  updated_at=NOW - timedelta(hours=12))
        session.add(logged)
        session.add(Checkin(pair_id=world.pair, window_start=WINDOW, asked_at=NOW - timedelta(hours=1)))
        # Otto and Olga asked for help: something for Alpha's digest to chase.
        session.add(Checkin(pair_id=world.other_pair, window_start=WINDOW, asked_at=NOW - timedelta(hours=20),
                            answer=CheckinAnswer.HELP, answered_by_id=world.people["olga"],
                            answered_at=NOW - timedelta(hours=19)))
        kick_off = SharedMeeting(round_id=world.alpha_round, kind=MeetingKind.KICK_OFF, title="Alpha kick-off",
                                 starts_at=KICK_OFF, location="DTU Lyngby")
        midway = SharedMeeting(round_id=world.alpha_round, kind=MeetingKind.MIDWAY, title="Alpha midway",
                               starts_at=MIDWAY, location="DTU Lyngby")
        surveys = {kind: Survey(round_id=world.alpha_round, kind=kind, number=1, opens_at=NOW - timedelta(days=1),
                                closes_at=NOW + timedelta(days=20), created_at=NOW - timedelta(days=1))
                   for kind in (SurveyKind.MIDWAY, SurveyKind.PULSE, SurveyKind.COMPANY)}
        session.add_all([kick_off, midway, *surveys.values()])
        session.flush()
        invitations = {kind: SurveyInvitation(survey_id=surveys[kind].id, participant_id=world.people["esther"],
                                              asked_at=NOW - timedelta(hours=20), created_at=NOW - timedelta(days=1))
                       for kind in (SurveyKind.MIDWAY, SurveyKind.PULSE)}
        session.add_all(invitations.values())
        session.flush()
        world.session, world.kick_off, world.midway = logged.id, kick_off.id, midway.id
        world.midway_invitation = invitations[SurveyKind.MIDWAY].id
        world.pulse_invitation = invitations[SurveyKind.PULSE].id
        world.company_survey = surveys[SurveyKind.COMPANY].id
    return world


def secrets_kept_from(key: str) -> tuple[str, ...]:
    """What must never reach this person (by key): the pair's notes unless they are of the
    pair; Mikkel's and Esther's names and emails unless of the pair or coordinating Alpha;
    anything of Alpha (its name, its people) unless they are in Alpha."""
    kept: list[str] = []
    if key not in ("mikkel", "esther"):
        kept.append(NOTE)
        if key != "carla":
            kept += [PEOPLE[name][index] for name in ("mikkel", "esther") for index in (1, 2)]
    if key in ("bente", "bjarne", "birthe", "ole"):
        kept += [ALPHA_PROGRAMME, ALPHA_ROUND]
        kept += [value for name, value_tuple in PEOPLE.items() if value_tuple[4] == "alpha"
                 for value in value_tuple[1:3]]
    return tuple(dict.fromkeys(kept))


__all__ = ["NOTE", "OUTSIDER", "PEOPLE", "TwoProgrammes", "build_two_programmes", "secrets_kept_from", "user"]
