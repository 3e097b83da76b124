"""A person with something stored in every place the personal-data inventory lists, in the
report round of issue 11 plus a second programme where she mentors, and a coordinator who
acted everywhere a coordinator's Slack id is kept. Shared by the erasure domain, CLI and
scenario tests (and usable by export tests: `MARKERS` are what must be found or gone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timezone
from typing import Any

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from bot.surveys.criteria import COMMENT_QUESTION
from storage.models import (
    Base,
    ConstraintKind,
    DigestHandled,
    Disclosure,
    MatchConstraint,
    MatchProposal,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Outcome,
    OutcomeSource,
    Pair,
    Participant,
    Role,
    Survey,
    SurveyAnswer,
    SurveyKind,
)
from tests.nudge_world import World, new_world, pair, person
from tests.support.report_round import FINAL_OPENS, REPORT_NOW, seed_report_round

UTC = timezone.utc
NAME = "Birgitte Søndergaard"
EMAIL = "birgitte@example.dk"
SLACK_ID = "UBIRGITTE"
COORDINATOR_SLACK_ID = "UCOORD"  # the report round's coordinator ("coord")
#: Texts only she (or her pair) wrote: none may survive her erasure.
TEXTS = {
    "goals": "GOALS-find a data job", "expertise": "EXPERTISE-pipelines", "availability": "AVAIL-tuesdays",
    "pause_reason": "PAUSE-my operation", "pair_pause": "PAIRPAUSE-her surgery", "notes": "NOTES-her CV draft",
    "comment": "COMMENT-the mentor was late", "comment_with_value": "COMMENT2-great programme",
    "field": "FIELD-bioinformatics", "company": "COMPANY-Novo", "partner_company": "PARTNERCO-Maersk",
    "country": "COUNTRY-Chile", "interest": "INTEREST-orienteering", "language": "LANG-quechua",
    "reason": "REASON-bioinformatics", "channel": "birgitte-sondergaard", "problem": "PROBLEM-her field",
    "timezone": "America/Punta_Arenas",  # a real zone nobody else in the world has
}
MARKERS = (NAME, EMAIL, SLACK_ID, *TEXTS.values())
#: Where the coordinator acted: erasing them must leave none of these.
COORDINATOR_MARKERS = (COORDINATOR_SLACK_ID,)


@dataclass(frozen=True, kw_only=True)
class ErasureWorld:
    world: World  # the report round: she is mentee e1 in pair p1 (channel CP1)
    later: World  # a second programme's round: she mentors there (pair q1)
    her_ids: tuple[int, ...]
    pair_ids: tuple[int, ...]
    other_outbox_id: int  # a message about someone else entirely


def seed_erasure_world(session: Session) -> ErasureWorld:
    world = seed_report_round(session)
    her = session.get_one(Participant, world.people["e1"])
    her.name, her.email, her.slack_user_id = NAME, EMAIL, SLACK_ID
    her.goals, her.expertise, her.availability = TEXTS["goals"], TEXTS["expertise"], TEXTS["availability"]
    her.pause_reason, her.field, her.company = TEXTS["pause_reason"], TEXTS["field"], TEXTS["company"]
    her.partner_company, her.home_country = TEXTS["partner_company"], TEXTS["country"]
    her.interests, her.languages = [TEXTS["interest"]], [TEXTS["language"]]
    her.timezone = TEXTS["timezone"]
    coordinator = session.get_one(Participant, world.people["coord"])
    coordinator.slack_user_id = COORDINATOR_SLACK_ID
    first = session.get_one(Pair, world.pairs["p1"])
    first.channel_name = f"mentoring-m1-{TEXTS['channel']}"
    first.pause_reason = TEXTS["pair_pause"]
    first.match_reasons = [{"code": "matching.reason.same_field", "points": 4, "params": {"field": TEXTS["reason"]}}]
    for held in session.scalars(select(MentoringSession).where(MentoringSession.pair_id == first.id)):
        held.notes = TEXTS["notes"]
    final = session.scalars(select(Survey).where(Survey.round_id == world.round_id,
                                                 Survey.kind == SurveyKind.FINAL)).one()
    session.add(SurveyAnswer(survey_id=final.id, participant_id=her.id, question=COMMENT_QUESTION,
                             text=TEXTS["comment"], answered_at=FINAL_OPENS))
    recommend = session.scalars(select(SurveyAnswer).where(SurveyAnswer.participant_id == her.id,
                                                           SurveyAnswer.survey_id == final.id,
                                                           SurveyAnswer.question == "recommend")).one()
    recommend.text = TEXTS["comment_with_value"]
    for key in ("e2", "e3", "e4", "e5", "m1", "m2"):  # others' comments, kept
        session.add(SurveyAnswer(survey_id=final.id, participant_id=world.people[key], question=COMMENT_QUESTION,
                                 text=f"Comment by {key}", answered_at=FINAL_OPENS))
    session.add(Disclosure(
        round_id=world.round_id, cell=f"survey={final.id}:q={COMMENT_QUESTION}:role=mentee", fingerprint="f" * 64,
        contributions={str(her.id): TEXTS["comment"], str(world.people["e2"]): "Comment by e2"},
        shown_at=REPORT_NOW))
    session.add(Disclosure(round_id=world.round_id, cell=f"survey={final.id}:q=recommend:role=mentee",
                           fingerprint="e" * 64, contributions={str(her.id): 5, str(world.people["e2"]): 3},
                           shown_at=REPORT_NOW))
    outcome = session.scalars(select(Outcome).where(Outcome.participant_id == her.id)).one()
    outcome.source, outcome.recorded_by = OutcomeSource.COORDINATOR, COORDINATOR_SLACK_ID
    session.add(MatchConstraint(round_id=world.round_id, mentor_id=world.people["m2"], mentee_id=her.id,
                                kind=ConstraintKind.FORBID, created_by=COORDINATOR_SLACK_ID, created_at=REPORT_NOW))
    session.add(MatchProposal(round_id=world.round_id, created_by=COORDINATOR_SLACK_ID, created_at=REPORT_NOW,
                              published_at=REPORT_NOW, payload=_proposal(world, her.id)))
    session.add(DigestHandled(round_id=world.round_id, key=f"person={her.id}:onboarding", fingerprint="a" * 16,
                              handled_by=COORDINATOR_SLACK_ID, handled_at=REPORT_NOW))

    later = new_world(session, name="Autumn 2028")
    again = person(session, later, "birgitte", role=Role.MENTOR)
    again.name, again.email, again.slack_user_id, again.expertise = NAME, EMAIL, SLACK_ID, TEXTS["expertise"]
    person(session, later, "olga", role=Role.MENTEE)
    second = pair(session, later, "q1", mentor="birgitte", mentee="olga", channel="CQ1")
    second.channel_name = f"mentoring-{TEXTS['channel']}-olga"

    _message(session, "welcome:participant=1", SLACK_ID, OutboxState.SENT,
             {"kind": "WelcomeFacts", "facts": {"participant": {"name": NAME, "goals": TEXTS["goals"]}}})
    _message(session, "reminder:participant=1", SLACK_ID, OutboxState.PENDING,
             {"kind": "ConsentReminderFacts", "facts": {"participant": {"name": NAME}, "number": 1}})
    _message(session, "pair-intro:1", "CP1", OutboxState.SENT,
             {"kind": "PairIntroFacts", "facts": {"mentee": {"name": "Someone"}}})
    _message(session, f"digest:1:to={COORDINATOR_SLACK_ID}", "mentoring-coordinators", OutboxState.FAILED,
             {"kind": "DigestFacts", "facts": {"stuck": [{"name": NAME, "email": EMAIL}]}})
    _message(session, f"channel-missing:1:CX:{SLACK_ID}", SLACK_ID, OutboxState.CANCELLED,
             {"kind": "ChannelMissingFacts", "facts": {"user": SLACK_ID}}, cancel_reason="test")
    other = _message(session, "welcome:participant=999", "UOTHER", OutboxState.PENDING,
                     {"kind": "WelcomeFacts", "facts": {"participant": {"name": "Birgitte Sønder"}}})
    session.flush()
    her_ids = (her.id, again.id)
    return ErasureWorld(world=world, later=later, her_ids=her_ids, pair_ids=(first.id, second.id),
                        other_outbox_id=other.id)


def _proposal(world: World, her_id: int) -> dict[str, Any]:
    people = world.people
    return {
        "version": 1, "round_id": world.round_id, "round_name": "Spring 2027", "programme_name": "x",
        "total_score": 10.0,
        "pairs": [{"mentor_id": people["m1"], "mentee_id": her_id, "score": 7.5, "locked": False,
                   "components": [{"code": "matching.reason.same_field", "points": 4,
                                   "params": {"field": TEXTS["reason"]}}]},
                  {"mentor_id": people["m2"], "mentee_id": people["e2"], "score": 3.0, "locked": False,
                   "components": [{"code": "matching.reason.same_field", "points": 3,
                                   "params": {"field": "finance"}}]}],
        "unmatched": [{"participant_id": her_id, "role": "mentee", "reason_code": "x",
                       "params": {"field": TEXTS["field"]}}],
        "problems": [{"code": "p", "params": {"detail": TEXTS["problem"]}, "mentor_id": people["m1"],
                      "mentee_id": her_id}],
        "forbidden": [[people["m2"], her_id]], "ended": [],
        "names": {str(her_id): NAME, str(people["m1"]): "M1", str(people["e2"]): "E2"},
        "published_by": COORDINATOR_SLACK_ID,
    }


def _message(session: Session, key: str, target: str, state: OutboxState, facts: dict[str, Any], *,
             cancel_reason: str | None = None) -> OutboxMessage:
    sent = state is OutboxState.SENT
    row = OutboxMessage(dedup_key=key, method="notice", target=target,
                        payload={"channel": target, "language": "en", **facts},
                        not_before=REPORT_NOW, state=state, attempts=1 if sent else 0, cancel_reason=cancel_reason,
                        sent_at=REPORT_NOW if sent else None,
                        response={"ts": "1.0", "channel": "D" + target[1:]} if sent else None, created_at=REPORT_NOW)
    session.add(row)
    session.flush()
    return row


def stored_text(session: Session) -> dict[tuple[str, str], list[str]]:
    """Every text and JSON value in the database, per (table, column): what a marker is looked for in."""
    found: dict[tuple[str, str], list[str]] = {}
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in session.execute(select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    found.setdefault((table.name, column.name), []).append(text)
    return found


def where_markers_are(session: Session, markers: tuple[str, ...] = MARKERS) -> set[tuple[str, str]]:
    """(table, column) still holding one of the markers anywhere."""
    return {place for place, texts in stored_text(session).items()
            if any(marker in text for marker in markers for text in texts)}


__all__ = ["COORDINATOR_MARKERS", "COORDINATOR_SLACK_ID", "EMAIL", "MARKERS", "NAME", "SLACK_ID", "TEXTS", "ErasureWorld",
           "seed_erasure_world", "stored_text", "where_markers_are"]
