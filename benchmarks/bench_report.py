"""The funder's Excel report: how long it takes and how much memory it needs, at the size of
the larger seed programme and at ten times that. Prints figures; asserts nothing.

    python -m benchmarks.bench_report [--scales 1 10] [--database-url URL]

Scale 1 is one programme round of 160 participants (4 coordinators, 76 mentors, 80
mentees; 76 pairs), 5,000 logged 1:1 sessions and 2,000 survey answers (four pulses, the midway
and the final survey, until 2,000 are given; one person in 13 declined the evaluation), with RSVPs for six meetings
and the mentees' outcomes. Scale N is N such rounds in one programme, reported with
`--programme` (all its rounds): N times the people, sessions and answers.

Each scale is written twice: once for the time (best of `--repeat`), once under tracemalloc
for the peak of Python allocations during `write_report` (tracemalloc slows the code, so
the time is not taken from that run). The written file's size is printed too.

On PostgreSQL the tables live in their own schema (`bench_report`), dropped afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, insert, text

from benchmarks.scratch import scratch_database
from bot.reports import rounds_of_programme, write_report
from bot.surveys.criteria import DEFAULT_CRITERIA
from bot.surveys.service import PULSE_QUESTIONS
from storage.db import make_session_factory, unit_of_work
from storage.models import (
    Consent,
    ConsentPurpose,
    MeetingKind,
    MeetingRsvp,
    MentoringSession,
    Outcome,
    OutcomeSource,
    OutcomeStatus,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    RsvpAnswer,
    SharedMeeting,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    table_of,
)

UTC = timezone.utc
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
START = date(2027, 2, 1)
NOW = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
SCHEMA = "bench_report"
PROGRAMME = "Benchmark Programme"
COORDINATORS, MENTORS, MENTEES = 4, 76, 80
SESSIONS, ANSWERS = 5_000, 2_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    print(f"{'scale':>5} {'people':>7} {'sessions':>9} {'answers':>8} {'seed s':>7} {'report s':>9} "
          f"{'peak MiB':>9} {'file KiB':>9}")
    for scale in args.scales:
        with scratch_database(args.database_url, schema=SCHEMA) as engine:
            counts, seeded = _seed(engine, rounds=scale)
            factory = make_session_factory(engine)
            with tempfile.TemporaryDirectory() as scratch:
                out = Path(scratch) / "report.xlsx"
                best = min(_write(factory, out) for _ in range(max(1, args.repeat)))
                tracemalloc.start()
                _write(factory, out)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                size = out.stat().st_size
        print(f"{scale:>5} {counts[0]:>7,} {counts[1]:>9,} {counts[2]:>8,} {seeded:>7.1f} {best:>9.2f} "
              f"{peak / 2**20:>9.1f} {size / 1024:>9,.0f}")


def _write(factory, out: Path) -> float:  # noqa: ANN001
    started = time.perf_counter()
    with unit_of_work(factory) as session:
        write_report(session, round_ids=rounds_of_programme(session, PROGRAMME), out=out, language="en",
                     pseudonymise=False, now=NOW)
    return time.perf_counter() - started


def _person(person_id: int, round_id: int, role: Role) -> dict[str, object]:
    return {
        "id": person_id, "round_id": round_id, "role": role.value, "email": f"p{person_id}@example.org",
        "name": f"Person {person_id}", "slack_user_id": f"U{person_id:07d}", "timezone": "Europe/Copenhagen",
        "language": "en", "languages": ["en"], "interests": [], "max_mentees": 1, "timezone_confirmed": True,
        "company": f"Company {person_id % 37}" if role is Role.MENTOR else None,
        "partner_company": f"Company {person_id % 41}" if role is Role.MENTEE else None,
        "slack_lookup_attempts": 0, "onboarding_reminders_sent": 0, "welcome_sent_at": EPOCH,
        "consented_at": EPOCH, "profile_completed_at": EPOCH, "created_at": EPOCH, "updated_at": EPOCH,
    }


def _seed(engine: Engine, *, rounds: int) -> tuple[tuple[int, int, int], float]:
    """`rounds` rounds of one programme, each the size of the larger seed programme."""
    started = time.perf_counter()
    rows: dict[type, list[dict[str, object]]] = {model: [] for model in (
        Programme, Round, Participant, Consent, Pair, SharedMeeting, MeetingRsvp, MentoringSession, Survey,
        SurveyInvitation, SurveyAnswer, Outcome)}
    rows[Programme].append({"id": 1, "name": PROGRAMME, "default_language": "en", "timezone": "Europe/Copenhagen",
                            "coordinators_join_pair_channels": False, "min_answers_shown": 5, "created_at": EPOCH})
    ids = {"person": 0, "pair": 0, "meeting": 0, "survey": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    for r in range(1, rounds + 1):
        rows[Round].append({"id": r, "programme_id": 1, "name": f"Round {r}", "starts_on": START,
                            "ends_on": date(2027, 5, 31), "session_every_days": 14, "pulse_every_days": 21,
                            "created_at": EPOCH})
        people: dict[Role, list[int]] = {role: [] for role in Role}
        for role, count in ((Role.COORDINATOR, COORDINATORS), (Role.MENTOR, MENTORS), (Role.MENTEE, MENTEES)):
            for _ in range(count):
                person_id = next_id("person")
                people[role].append(person_id)
                rows[Participant].append(_person(person_id, r, role))
                if role is not Role.COORDINATOR:
                    for purpose in ConsentPurpose:
                        rows[Consent].append({"participant_id": person_id, "purpose": purpose.value,
                                              "granted": person_id % 13 != 0, "decided_at": EPOCH})
        pairs = []
        for mentor, mentee in zip(people[Role.MENTOR], people[Role.MENTEE], strict=False):
            pair_id = next_id("pair")
            pairs.append((pair_id, mentor))
            rows[Pair].append({
                "id": pair_id, "round_id": r, "mentor_id": mentor, "mentee_id": mentee,
                "status": (PairStatus.ENDED if pair_id % 19 == 0 else PairStatus.ACTIVE).value,
                "end_reason": "found_job" if pair_id % 19 == 0 else None, "slack_channel_id": f"C{pair_id:07d}",
                "published_at": EPOCH, "channel_opened_at": datetime(2027, 2, 1, 8, tzinfo=UTC),
                "match_score": 6.5, "created_at": EPOCH,
                "match_reasons": [{"code": "matching.reason.same_field", "points": 4, "params": {"field": "it"}}],
            })
        for n in range(SESSIONS):
            pair_id, mentor = pairs[n % len(pairs)]
            rows[MentoringSession].append({
                "pair_id": pair_id, "held_on": START + timedelta(days=(n * 7) % 115), "duration_minutes": 60,
                "topics": ["cv", "network"], "introductions_made": n % 3, "notes": "private",
                "logged_by_id": mentor, "created_at": EPOCH, "updated_at": EPOCH})
        everyone = people[Role.MENTOR] + people[Role.MENTEE]
        for number, meeting_kind in enumerate((MeetingKind.KICK_OFF, MeetingKind.CV_WORKSHOP, MeetingKind.MIDWAY,
                                       MeetingKind.INTERVIEW_WORKSHOP, MeetingKind.CLOSING, MeetingKind.OTHER)):
            meeting_id = next_id("meeting")
            rows[SharedMeeting].append({"id": meeting_id, "round_id": r, "kind": meeting_kind.value, "title": meeting_kind.value,
                                        "starts_at": datetime(2027, 2, 22, 16, tzinfo=UTC) + timedelta(weeks=3 * number),
                                        "duration_minutes": 120, "location": "Town hall"})
            for person_id in everyone:
                rows[MeetingRsvp].append({"meeting_id": meeting_id, "participant_id": person_id,
                                          "answer": (RsvpAnswer.YES if person_id % 5 else RsvpAnswer.NO).value,
                                          "attended": person_id % 7 != 0})
        answers = 0
        plan = [(SurveyKind.PULSE, number, START + timedelta(days=21 * number)) for number in range(1, 5)]
        plan += [(SurveyKind.MIDWAY, 1, date(2027, 3, 24)), (SurveyKind.FINAL, 1, date(2027, 5, 20))]
        for kind, number, day in plan:
            survey_id = next_id("survey")
            opens = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
            rows[Survey].append({"id": survey_id, "round_id": r, "kind": kind.value, "number": number,
                                 "opens_at": opens, "closes_at": opens + timedelta(days=14), "created_at": opens})
            for person_id in everyone:
                role = Role.MENTOR if person_id in people[Role.MENTOR] else Role.MENTEE
                questions = (list(PULSE_QUESTIONS) if kind is SurveyKind.PULSE else
                             [spec.question for spec in DEFAULT_CRITERIA if spec.asked_in(kind, role)])
                questions = questions[:max(0, ANSWERS - answers)]
                rows[SurveyInvitation].append({"survey_id": survey_id, "participant_id": person_id,
                                               "asked_at": opens, "reminders_sent": 0,
                                               "answered_at": opens if questions else None, "created_at": opens})
                for question in questions:
                    rows[SurveyAnswer].append({"survey_id": survey_id, "participant_id": person_id,
                                               "question": question, "value": 1 + (person_id + answers) % 5,
                                               "answered_at": opens})
                    answers += 1
        for person_id in people[Role.MENTEE]:
            rows[Outcome].append({"participant_id": person_id, "status": list(OutcomeStatus)[person_id % 6].value,
                                  "network_helped": person_id % 2 == 0, "source": OutcomeSource.SELF.value,
                                  "recorded_at": NOW - timedelta(days=1)})
    with engine.begin() as connection:
        for model, batch in rows.items():
            for start in range(0, len(batch), 5000):
                connection.execute(insert(table_of(model)), batch[start:start + 5000])
        if engine.dialect.name == "postgresql":
            for table in ("programme", "round", "participant", "pair", "shared_meeting", "survey"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            connection.execute(text("ANALYZE"))
    counts = (len(rows[Participant]), len(rows[MentoringSession]), len(rows[SurveyAnswer]))
    return counts, time.perf_counter() - started


if __name__ == "__main__":
    main()
