"""One scheduler tick over many pairs: how long it takes and how many SQL statements it runs.
Prints figures; asserts nothing.

    python -m benchmarks.bench_tick [--pairs 10000 --rounds 500] [--database-url URL]

Every round starts on Monday 1 February 2027 and every pair channel opens that morning,
so at 10:05 in Copenhagen on Monday 15 February the first window has just passed for all
of them: half the pairs (those without a session) get a check-in, everyone gets the
week-before reminder for the kick-off (and mentees the one for the CV workshop), and
every pair channel the prompt for the CV workshop. The tick is measured three times: that
busy one, the same instant again once the deliverer has sent it all (everything
deduplicated, nothing new), and a quiet tick at night. Each is run at two sizes, the pairs
asked for and a tenth of them in the same rounds, to show that the number of statements
does not grow with the number of pairs.

On PostgreSQL the tables live in their own schema (`bench_tick`), dropped afterwards, so
the database's other tables are never touched.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Engine, event, insert, text

from benchmarks.scratch import scratch_database
from scheduling.ticks import (
    DEFAULT_JOBS,
    DueJob,
    DueWork,
    Job,
    JobContext,
    SlackContext,
    SlackJob,
    run_tick,
)
from storage.db import make_session_factory
from storage.models import (
    MeetingKind,
    MentoringSession,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    SharedMeeting,
    table_of,
)

UTC = timezone.utc
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
START = date(2027, 2, 1)
BUSY = datetime(2027, 2, 15, 9, 5, tzinfo=UTC)  # Monday 10:05 in Copenhagen
QUIET = datetime(2027, 2, 16, 2, 0, tzinfo=UTC)  # Tuesday 03:00 in Copenhagen
SCHEMA = "bench_tick"
ISSUE_5_JOBS = ("pause-endings", "pair-checkins", "meeting-reminders", "meeting-prompts")


@dataclass
class Figures:
    seconds: float
    cpu_seconds: float  # this process's CPU: steadier than wall time on a shared machine
    statements: int
    enqueued: int
    per_job: dict[str, int]
    per_job_enqueued: dict[str, int]
    per_job_seconds: dict[str, float]

    def mine(self) -> int:
        """Statements of this issue's jobs (check-ins, pauses, reminders, prompts)."""
        return sum(self.per_job.get(name, 0) for name in ISSUE_5_JOBS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    # The same rounds at both sizes: only the number of pairs changes.
    sizes = [(max(1, args.pairs // 10), args.rounds), (args.pairs, args.rounds)]
    rows = []
    for pairs, rounds in sizes:
        with scratch_database(args.database_url, schema=SCHEMA) as engine:
            seconds = _seed(engine, pairs=pairs, rounds=rounds)
            factory = make_session_factory(engine)
            busy = _measure(engine, factory, BUSY)
            _deliverer_sent_everything(engine)
            again = _measure(engine, factory, BUSY)
            quiet = _measure(engine, factory, QUIET)
            dialect = engine.dialect.name
        print(f"{dialect}: {pairs:,} pairs in {rounds:,} rounds (seeded in {seconds:.1f} s)")
        for name, figures in (("busy tick", busy), ("same instant again", again), ("quiet tick at night", quiet)):
            rate = f" ({figures.enqueued / figures.seconds:,.0f}/s)" if figures.enqueued else ""
            print(f"  {name:<20} {figures.seconds:7.2f} s (CPU {figures.cpu_seconds:5.2f} s)  "
                  f"{figures.statements:4d} SQL statements ({figures.mine()} in the nudge jobs)  "
                  f"{figures.enqueued:6,} messages enqueued{rate}")
        print(f"    statements per job (busy): {busy.per_job}")
        print(f"    messages per job (busy):   {busy.per_job_enqueued}")
        print(f"    seconds per job (busy):    {busy.per_job_seconds} (the rest: writing the outbox)")
        print(f"    seconds per job (again):   {again.per_job_seconds}")
        rows.append((pairs, rounds, busy, again, quiet))
    (small_pairs, _, small, _, _), (big_pairs, _, big, _, _) = rows
    print(f"busy tick statements in {args.rounds:,} rounds: {small.statements} at {small_pairs:,} pairs, "
          f"{big.statements} at {big_pairs:,} pairs; in the nudge jobs {small.mine()} and {big.mine()}")

def _measure(engine: Engine, factory: object, now: datetime) -> Figures:
    """Time one tick and count its statements, in all and per job (a job's are those run while
    it looks for due work; the outbox insert and the due list count as the tick's own)."""
    per_job: Counter[str] = Counter()
    seconds: dict[str, float] = defaultdict(float)
    current = ["tick"]

    def count(*_args: object, **_kwargs: object) -> None:
        per_job[current[0]] += 1

    def counted(job: Job) -> Job:
        def timed(run: Callable[[], DueWork]) -> DueWork:
            current[0] = job.name
            began = time.perf_counter()
            try:
                return run()
            finally:
                current[0] = "tick"
                seconds[job.name] += time.perf_counter() - began

        if isinstance(job, SlackJob):
            slack_job = job

            def drive(context: SlackContext) -> DueWork:
                return timed(lambda: slack_job.drive(context))

            return SlackJob(name=job.name, drive=drive)
        due_job = job

        def find(context: JobContext) -> DueWork:
            return timed(lambda: due_job.find(context))

        return DueJob(name=job.name, find=find)

    event.listen(engine, "before_cursor_execute", count)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        # As the worker runs it: without the list of due rows, which only the CLI prints.
        result = run_tick(session_factory=factory, now=now,  # type: ignore[arg-type]
                          jobs=tuple(counted(job) for job in DEFAULT_JOBS), list_due=False)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return Figures(seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu, statements=sum(per_job.values()),
                   enqueued=sum(result.enqueued.values()), per_job=dict(per_job),
                   per_job_enqueued={name: value for name, value in result.enqueued.items() if value},
                   per_job_seconds={name: round(value, 2) for name, value in seconds.items() if value >= 0.005})


def _deliverer_sent_everything(engine: Engine) -> None:
    """Between ticks the deliverer drains the outbox; without this the next tick's list of due
    rows would carry the busy tick's tens of thousands of messages."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE outbox_message SET state = 'sent', sent_at = not_before"))


def _seed(engine: Engine, *, pairs: int, rounds: int, digest_weekday: int = 6) -> float:
    """Programmes, rounds, people, pairs, meetings and sessions, written in bulk. The rounds'
    weekly digest is due on `digest_weekday` (Sunday here, so the Monday tick measures the
    nudges; bench_digest asks for Monday)."""
    started = time.perf_counter()
    programmes, round_rows, people, pair_rows, meetings, sessions = [], [], [], [], [], []
    person_id = 0
    for r in range(1, rounds + 1):
        # Half the programmes post coordinator news to a channel, half DM their coordinators.
        programmes.append({"id": r, "name": f"Programme {r}", "default_language": "en" if r % 3 else "da",
                           "timezone": "Europe/Copenhagen",
                           "coordinator_channel": f"coordinators-{r}" if r % 2 else None,
                           "coordinators_join_pair_channels": False, "created_at": EPOCH})
        round_rows.append({"id": r, "programme_id": r, "name": "Spring 2027", "starts_on": START,
                           "ends_on": date(2027, 5, 31), "session_every_days": 14, "digest_weekday": digest_weekday,
                           "created_at": EPOCH})
        person_id += 1
        people.append(_person(person_id, r, Role.COORDINATOR, "Europe/Copenhagen"))
        for kind, hour in ((MeetingKind.KICK_OFF, 16), (MeetingKind.CV_WORKSHOP, 13)):
            meetings.append({"round_id": r, "kind": kind.value, "title": kind.value,
                             "starts_at": datetime(2027, 2, 22, hour, tzinfo=UTC), "duration_minutes": 120,
                             "location": "Town hall"})
    for index, pair_id in enumerate(range(1, pairs + 1)):
        r = index % rounds + 1
        mentor, mentee = person_id + 1, person_id + 2
        person_id += 2
        people.append(_person(mentor, r, Role.MENTOR, "Europe/Copenhagen"))
        people.append(_person(mentee, r, Role.MENTEE, "Europe/London" if index % 10 == 0 else "Europe/Copenhagen"))
        pair_rows.append({"id": pair_id, "round_id": r, "mentor_id": mentor, "mentee_id": mentee,
                          "status": PairStatus.ACTIVE.value, "slack_channel_id": f"C{pair_id:07d}",
                          "published_at": EPOCH, "channel_opened_at": datetime(2027, 2, 1, 8, tzinfo=UTC),
                          "created_at": EPOCH})
        if index % 2 == 0:  # half met in the first window: no check-in for them
            sessions.append({"pair_id": pair_id, "held_on": date(2027, 2, 8), "duration_minutes": 60,
                             "topics": ["cv"], "introductions_made": 0, "logged_by_id": mentor,
                             "created_at": EPOCH, "updated_at": EPOCH})
    with engine.begin() as connection:
        for model, batch in ((Programme, programmes), (Round, round_rows), (Participant, people), (Pair, pair_rows),
                             (SharedMeeting, meetings), (MentoringSession, sessions)):
            for start in range(0, len(batch), 5000):
                connection.execute(insert(table_of(model)), batch[start:start + 5000])
        if engine.dialect.name == "postgresql":
            for table in ("programme", "round", "participant", "pair"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _person(person_id: int, round_id: int, role: Role, tz_name: str) -> dict[str, object]:
    return {
        "id": person_id, "round_id": round_id, "role": role.value, "email": f"p{person_id}@example.org",
        "name": f"Person {person_id}", "slack_user_id": f"U{person_id:07d}", "timezone": tz_name,
        "language": "en", "languages": ["en"], "interests": [], "max_mentees": 1, "timezone_confirmed": True,
        "slack_lookup_attempts": 0, "onboarding_reminders_sent": 0, "welcome_sent_at": EPOCH,
        "consented_at": EPOCH, "profile_completed_at": EPOCH, "created_at": EPOCH, "updated_at": EPOCH,
    }


if __name__ == "__main__":
    main()
