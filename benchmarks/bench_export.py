"""The right-of-access export (`/mentoring my-data`, `mentorbot export`): how long one
person's two files take, and whether that grows with everyone else's data. Prints figures;
asserts nothing.

    python -m benchmarks.bench_export [--outbox 10000 100000] [--database-url URL]

The person took part in five rounds as a mentor: per round one pair, 40 logged 1:1
sessions with notes, 10 check-ins, 6 RSVPs, 6 survey invitations with 18 answers, a match
proposal naming them, and 100 direct messages from the bot still stored (500 in all,
drawn back into words for the export). Around them: 200 other people per round and
`--outbox` stored messages to other people. The time is the best of `--repeat` runs of
reading the data (one unit of work) and writing both files; the statements are those the
read sends; the sizes are the files'.

On PostgreSQL the tables live in their own schema (`bench_export`), dropped afterwards.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, event, insert

from benchmarks.scratch import scratch_database
from bot.privacy.export import collect_personal_data, export_files
from bot.slack.render.my_data import notice_text
from storage.db import make_session_factory, unit_of_work
from storage.models import (
    Checkin,
    CheckinAnswer,
    MatchProposal,
    MeetingKind,
    MeetingRsvp,
    MentoringSession,
    OutboxMessage,
    Pair,
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
NOW = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
SCHEMA = "bench_export"
SUBJECT = "USUBJECT"
ROUNDS, OTHERS_PER_ROUND, SESSIONS, CHECKINS, DMS_PER_ROUND = 5, 200, 40, 10, 100
NOTE = "We went through the CV line by line and agreed on three applications for next week. " * 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outbox", type=int, nargs="+", default=[10_000, 100_000],
                        help="stored messages to other people")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    print(f"{'outbox':>8} {'seed s':>7} {'export s':>9} {'statements':>10} {'rows':>6} {'json KiB':>9} "
          f"{'xlsx KiB':>9}")
    for outbox in args.outbox:
        with scratch_database(args.database_url, schema=SCHEMA) as engine:
            seeded = _seed(engine, outbox=outbox)
            factory = make_session_factory(engine)
            statements = _Counter()
            event.listen(engine, "before_cursor_execute", statements.count)
            timings, result = [], None
            for _ in range(max(1, args.repeat)):
                statements.seen = 0
                started = time.perf_counter()
                with unit_of_work(factory) as session:
                    data = collect_personal_data(session, now=NOW, slack_user_id=SUBJECT, render=notice_text)
                assert data is not None
                files = export_files(data)
                timings.append(time.perf_counter() - started)
                result = (statements.seen, sum(data.counts().values()), len(files.json_bytes),
                          len(files.workbook_bytes))
            event.remove(engine, "before_cursor_execute", statements.count)
        assert result is not None
        sent, rows, json_size, xlsx_size = result
        print(f"{outbox:>8,} {seeded:>7.1f} {min(timings):>9.2f} {sent:>10} {rows:>6,} {json_size / 1024:>9,.0f} "
              f"{xlsx_size / 1024:>9,.0f}")


class _Counter:
    """Statements sent to the database (a listener on the engine)."""

    def __init__(self) -> None:
        self.seen = 0

    def count(self, *_args: Any) -> None:
        self.seen += 1


def _facts_payload(user_id: str, name: str) -> dict[str, object]:
    return {"channel": user_id, "language": "en", "kind": "PairPaused",
            "facts": {"name": name, "until": "2027-03-20"}}


def _seed(engine: Engine, *, outbox: int) -> float:
    started = time.perf_counter()
    rows: dict[type, list[dict[str, object]]] = {model: [] for model in (
        Programme, Round, Participant, Pair, MentoringSession, Checkin, SharedMeeting, MeetingRsvp, Survey,
        SurveyInvitation, SurveyAnswer, MatchProposal, OutboxMessage)}
    rows[Programme].append({"id": 1, "name": "Benchmark Programme", "default_language": "en",
                            "timezone": "Europe/Copenhagen", "coordinators_join_pair_channels": False,
                            "min_answers_shown": 5, "retention_months": 12, "created_at": EPOCH})
    person_id = meeting_id = survey_id = 0
    for r in range(1, ROUNDS + 1):
        pair_id = r  # one pair of theirs per round
        starts = date(2020 + r, 2, 1)
        rows[Round].append({"id": r, "programme_id": 1, "name": f"Round {r}", "starts_on": starts,
                            "ends_on": starts + timedelta(days=120), "session_every_days": 14,
                            "pulse_every_days": 21, "digest_weekday": 0, "digest_hour": 9, "created_at": EPOCH})
        people = []
        for index in range(OTHERS_PER_ROUND + 1):
            person_id += 1
            subject = index == 0
            rows[Participant].append({
                "id": person_id, "round_id": r, "role": (Role.MENTOR if subject or index % 2 else Role.MENTEE).value,
                "email": "subject@example.org" if subject else f"p{person_id}@example.org",
                "name": "Subject Person" if subject else f"Person {person_id}",
                "slack_user_id": SUBJECT if subject else f"U{person_id:07d}", "timezone": "Europe/Copenhagen",
                "language": "en", "languages": ["en", "da"], "interests": ["tech"], "max_mentees": 1,
                "timezone_confirmed": True, "goals": NOTE, "slack_lookup_attempts": 0, "onboarding_reminders_sent": 0,
                "created_at": EPOCH, "updated_at": EPOCH})
            people.append(person_id)
        subject_id, mentee_id = people[0], people[2]
        rows[Pair].append({"id": pair_id, "round_id": r, "mentor_id": subject_id, "mentee_id": mentee_id,
                           "status": "active", "slack_channel_id": f"CPAIR{pair_id}", "published_at": EPOCH,
                           "match_score": 7.5, "match_reasons": [{"code": "matching.reason.same_field", "points": 4,
                                                                  "params": {"field": "tech"}}],
                           "created_at": EPOCH})
        for s in range(SESSIONS):
            rows[MentoringSession].append({"pair_id": pair_id, "held_on": starts + timedelta(days=s), "duration_minutes": 60,
                                           "topics": ["cv"], "introductions_made": 1, "notes": NOTE,
                                           "logged_by_id": subject_id, "created_at": EPOCH, "updated_at": EPOCH})
        for c in range(CHECKINS):
            rows[Checkin].append({"pair_id": pair_id, "window_start": starts + timedelta(days=14 * c),
                                  "asked_at": EPOCH, "answer": CheckinAnswer.MET.value, "answered_by_id": subject_id,
                                  "answered_at": EPOCH})
        for kind in list(MeetingKind)[:6]:
            meeting_id += 1
            rows[SharedMeeting].append({"id": meeting_id, "round_id": r, "kind": kind.value, "title": kind.value,
                                        "starts_at": EPOCH, "duration_minutes": 120})
            rows[MeetingRsvp].append({"meeting_id": meeting_id, "participant_id": subject_id,
                                      "answer": RsvpAnswer.YES.value, "answered_at": EPOCH, "attended": True})
        for number in range(1, 7):
            survey_id += 1
            rows[Survey].append({"id": survey_id, "round_id": r, "kind": SurveyKind.PULSE.value, "number": number,
                                 "opens_at": EPOCH, "closes_at": EPOCH + timedelta(days=7), "created_at": EPOCH})
            rows[SurveyInvitation].append({"survey_id": survey_id, "participant_id": subject_id, "asked_at": EPOCH,
                                           "reminders_sent": 0, "answered_at": EPOCH, "created_at": EPOCH})
            for question, value, text in (("pulse.useful", 4, None), ("pulse.confidence", 3, None),
                                          ("comment", None, NOTE)):
                rows[SurveyAnswer].append({"survey_id": survey_id, "participant_id": subject_id, "question": question,
                                           "value": value, "text": text, "answered_at": EPOCH})
        rows[MatchProposal].append({"round_id": r, "created_at": EPOCH, "payload": {
            "pairs": [{"mentor_id": subject_id, "mentee_id": mentee_id, "score": 7.5, "components": []}],
            "unmatched": [], "problems": [], "names": {str(pid): f"Person {pid}" for pid in people}}})
        for m in range(DMS_PER_ROUND):
            rows[OutboxMessage].append(_outbox(f"subject:{r}:{m}", SUBJECT))
    for m in range(outbox):
        rows[OutboxMessage].append(_outbox(f"other:{m}", f"U{1 + m % person_id:07d}"))
    with engine.begin() as connection:
        for model, values in rows.items():
            for start in range(0, len(values), 5_000):
                connection.execute(insert(table_of(model)), values[start:start + 5_000])
    return time.perf_counter() - started


def _outbox(key: str, user_id: str) -> dict[str, object]:
    return {"dedup_key": key, "method": "notice", "target": user_id, "payload": _facts_payload(user_id, "Someone"),
            "not_before": EPOCH, "state": "sent", "attempts": 1, "sent_at": EPOCH, "outcome_unknown": False,
            "created_at": EPOCH}


if __name__ == "__main__":
    main()
