"""`mentorbot`: the one console script (also `python -m bot`).

Every expected failure (a missing setting, an unreachable database, a port in use) ends
with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from bot.logs import configure_logging
from bot.settings import Settings, SettingsError
from storage.db import DatabaseConfigError, check_connection

EXIT_USAGE = 2
# `tick --now` further ahead than this is "in the future": its messages wait for that time.
FUTURE_TOLERANCE = timedelta(minutes=1)

log = logging.getLogger("mentorbot")


class CliError(Exception):
    """An expected failure; printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    configure_logging(verbose=args.verbose)  # names, notes and secrets never reach a log line
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (CliError, SettingsError, DatabaseConfigError) as exc:
        print(f"mentorbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # pragma: no cover - last resort: still one line
        from bot.slack.server import PortInUseError

        if isinstance(exc, PortInUseError):
            print(f"mentorbot: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorbot",
        description="A Slack bot that runs career mentoring programmes: onboarding, matching, pair channels, "
        "nudges, surveys and the coordinators' digest.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the Slack app and the scheduler in one process",
        description="Run the Slack app and the scheduler in one process: Socket Mode when SLACK_APP_TOKEN is set, "
        "otherwise HTTP on PORT. Brings the database to the newest migration first.",
    )
    run.set_defaults(handler=_cmd_run)

    serve = sub.add_parser(
        "serve",
        help="serve HTTP only (POST /slack/events, GET /healthz)",
        description="Serve the Slack app over HTTP only: POST /slack/events takes events, slash commands and "
        "interactions; GET /healthz answers 200 when the database answers. Run `mentorbot worker` beside it.",
    )
    serve.set_defaults(handler=_cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run the scheduler and the outbox deliverer only",
        description="Run the one scheduler process: a tick every minute that finds due nudges, reminders and "
        "surveys, and the outbox deliverer that sends them to Slack at a polite pace.",
    )
    worker.set_defaults(handler=_cmd_worker)

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(title="db commands", metavar="DB_COMMAND")
    upgrade = db_sub.add_parser(
        "upgrade", help="apply all migrations", description="Bring the database at DATABASE_URL to the newest migration."
    )
    upgrade.set_defaults(handler=_cmd_db_upgrade)
    db.set_defaults(handler=partial(_usage, db))

    tick = sub.add_parser(
        "tick",
        help="run every due job once",
        description="Run every due job once as of an instant and deliver what is due. With --dry-run, print what "
        "would be sent and send (and store) nothing.",
    )
    tick.add_argument(
        "--now", type=_parse_instant,
        help="ISO-8601 instant, e.g. 2027-02-01T09:00+01:00 (default: now; no offset means UTC)",
    )
    tick.add_argument("--dry-run", action="store_true", help="print what would be sent; send and store nothing")
    tick.set_defaults(handler=_cmd_tick)

    template = sub.add_parser(
        "template",
        help="write an empty round workbook to fill in",
        description="Write an empty round workbook (Programme, Meetings, Participants, Pairs) with instructions, "
        "drop-down lists and example rows.",
    )
    template.add_argument("file", help="where to write it, e.g. round.xlsx")
    template.set_defaults(handler=_cmd_template)

    importer = sub.add_parser(
        "import",
        help="set up or update a round from a workbook",
        description="Validate the whole workbook, then import all of it or nothing. Every problem is printed as one "
        "line naming the sheet, row and column. Re-importing updates people by email and never duplicates them.",
    )
    importer.add_argument("file", help="the round workbook (.xlsx)")
    importer.add_argument("--dry-run", action="store_true", help="check everything, save nothing")
    importer.add_argument(
        "--workspace", metavar="TEAM_ID",
        help="the Slack workspace (team id, T...) the programme is in; needed for a new programme once workspaces "
        "have installed the app (OAuth). In single-workspace token mode it can be left out: the bot's workspace",
    )
    importer.set_defaults(handler=_cmd_import)

    match = sub.add_parser(
        "match",
        help="propose mentor-mentee pairs for a round, with scores and reasons",
        description="Compute and store the optimal matching proposal for a round: every pair with its score and "
        "reasons, and everyone left without a match with the reason. With --out, write the whole round as a "
        "workbook whose Pairs sheet is the proposal: edit it in Excel and `mentorbot import` it back; the imported "
        "pairs are locked in the next proposal. Publishing happens in Slack (/mentoring-admin match).",
    )
    match.add_argument("--round", required=True, dest="round_name", metavar="ROUND", help="the round's name")
    match.add_argument("--programme", help="the programme's name, when several programmes have a round of that name")
    match.add_argument("--out", help="write the round and the proposal to this workbook (.xlsx)")
    match.add_argument("--workspace", metavar="TEAM_ID", help="look for the round only in this Slack workspace")
    match.set_defaults(handler=_cmd_match)

    report = sub.add_parser(
        "report",
        help="write the funder's Excel report of a round, or of all rounds of a programme",
        description="Write the report as an Excel workbook: the scoreboard with targets and key numbers, people, "
        "pairs, 1:1 sessions, meetings and attendance, survey aggregates, outcomes and a glossary, with charts, in "
        "the programme's language. Survey figures are the scoreboard's anonymous totals; session notes are left out.",
    )
    report.add_argument("--round", dest="round_name", metavar="ROUND", help="the round's name")
    report.add_argument("--programme", help="the programme's name: alone, all its rounds; with --round, which one")
    report.add_argument("--out", required=True, help="the workbook to write (.xlsx)")
    report.add_argument("--workspace", metavar="TEAM_ID", help="look for the round or programme only in this Slack workspace")
    report.add_argument("--pseudonymise", action="store_true",
                        help="replace names and emails by stable codes, for sharing outside the programme")
    report.set_defaults(handler=_cmd_report)

    export = sub.add_parser(
        "export",
        help="write everything stored about a person (GDPR art. 15) as a JSON file and a workbook",
        description="Find the person by email in every round and programme and write two files: a JSON file "
        "(versioned, ISO dates, stable keys) and a readable workbook in their language, with their participation, "
        "consents, pairs, sessions and notes, check-ins, RSVPs, survey answers, outcomes, pauses and the messages "
        "the bot sent them. The same files /mentoring my-data sends them in Slack.",
    )
    export.add_argument("email", metavar="EMAIL", help="the person's email")
    export.add_argument("--out", default=".", metavar="DIR", help="the folder to write the two files in (default: .)")
    export.set_defaults(handler=_cmd_export)

    erase = sub.add_parser(
        "erase",
        help="erase everything stored about a person (GDPR art. 17), after showing what and asking",
        description="Find the person by email in every round and programme, show what will be erased per table "
        "and ask to confirm; then blank their name, email, Slack id, profile, notes and comments everywhere, "
        "cancel or trim the stored messages about them, and keep counts and anonymous answers. Messages already "
        "posted in Slack stay there.",
    )
    erase.add_argument("email", metavar="EMAIL", help="the person's email")
    erase.add_argument("--yes", action="store_true", help="do not ask to confirm")
    erase.set_defaults(handler=_cmd_erase)

    demo = sub.add_parser(
        "demo",
        help="play a local demo round against a fake Slack (no Slack account needed)",
        description="Start a fake Slack Web API and the real app on loopback with a throwaway SQLite database, "
        "play scripted participants through the bot, and print what each person saw.",
    )
    demo.add_argument("--verbose", action="store_true", dest="demo_verbose",
                      help="show the app's log lines too (by default they go to a file, named at the end)")
    demo.add_argument("--quiet", action="store_true", help="print only the transcript and keep no log at all")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _parse_instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--now must be an ISO-8601 instant like 2027-02-01T09:00+01:00, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _runtime(settings: Settings):  # noqa: ANN202 - keeps Slack imports out of --help
    from bot.slack.app import Runtime

    return Runtime(settings=settings)


def _migrated_runtime(settings: Settings):  # noqa: ANN202
    runtime = _runtime(settings)
    check_connection(runtime.engine)
    runtime.upgrade_database()
    return runtime


def _usage(parser: argparse.ArgumentParser, _args: argparse.Namespace) -> int:
    """A command group given no command: show what it has, and say it was not used right."""
    parser.print_help()
    return EXIT_USAGE


def _cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from storage.migrate import current_revision

    runtime = _migrated_runtime(Settings.from_env())
    print(f"database is at migration {current_revision(runtime.engine)}")
    return 0


def _cmd_serve(_args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    settings.require_slack(socket_mode=False)
    runtime = _migrated_runtime(settings)
    server = _http_server(runtime)
    runtime.adopt_unassigned_rows()
    paths = "POST /slack/events, GET /slack/install, GET /slack/oauth_redirect" if settings.oauth else "POST /slack/events"
    log.info("serving %s and GET /healthz on %s", paths, server.url)
    server.serve_forever()
    return 0


def _cmd_worker(_args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.slack_bot_token and not settings.oauth:  # OAuth: each workspace's token is in the database
        settings.require_slack(socket_mode=False)
    runtime = _migrated_runtime(settings)
    runtime.adopt_unassigned_rows()
    worker = _leased_worker(runtime)
    # SIGTERM (a deploy, `docker stop`) ends the loop, which hands the lease over at once
    # instead of leaving the next worker to wait for it to expire.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: worker.stop())
    log.info("worker started: taking the scheduler lease, then ticking every minute and delivering the outbox "
             "every few seconds")
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stop()
    return 0


def _leased_worker(runtime):  # noqa: ANN001, ANN202 - keeps Slack imports out of --help
    """The scheduler behind the one-worker lease: a second worker (or `run`) waits, and takes
    over when the first dies; taking it gives back the outbox claims a dead worker left."""
    from scheduling.deliverer import release_in_flight_claims
    from scheduling.lease import LeasedWorker, gated, make_lease
    from scheduling.scheduler import DELIVER_RUN_SECONDS, build_scheduler
    from storage.db import unit_of_work

    lease = make_lease(engine=runtime.engine, session_factory=runtime.session_factory)

    def deliver() -> None:
        # Keeps sending while anything is due within seconds, for a little under the interval,
        # and stops between two rows when the lease is lost or the worker stops.
        runtime.deliver(budget_seconds=DELIVER_RUN_SECONDS,
                        should_stop=lambda: worker.stopped.is_set() or not lease.held())

    def start():  # noqa: ANN202
        # The worker only logs counts: no list of due rows (the deliverer claims its own).
        scheduler = build_scheduler(tick=gated(lambda: runtime.tick(list_due=False), lease, "tick"),
                                    deliver=gated(deliver, lease, "deliver-outbox"), blocking=False)
        scheduler.start()
        return scheduler

    def release_claims() -> None:
        with unit_of_work(runtime.session_factory) as session:
            released = release_in_flight_claims(session, now=runtime.clock.now())
        if released:
            log.info("released %d outbox row(s) a previous worker left in flight", released)

    worker = LeasedWorker(lease=lease, start=start, on_acquired=release_claims)
    return worker


def _cmd_run(_args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    settings.require_slack(socket_mode=settings.socket_mode)
    runtime = _migrated_runtime(settings)
    runtime.adopt_unassigned_rows()
    worker = _leased_worker(runtime)
    scheduler = threading.Thread(target=worker.run, name="scheduler-lease", daemon=True)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(_bolt_app(runtime), settings.slack_app_token)
        scheduler.start()
        log.info("connected over Socket Mode; scheduler running once it holds the lease")
        try:
            handler.start()
        finally:
            worker.stop()
            scheduler.join(timeout=5)
        return 0
    server = _http_server(runtime)
    scheduler.start()
    log.info("serving HTTP on %s with the scheduler in-process once it holds the lease", server.url)
    try:
        server.serve_forever()
    finally:
        worker.stop()
        scheduler.join(timeout=5)
    return 0


def _bolt_app(runtime):  # noqa: ANN001, ANN202
    """Build the Bolt app; its auth.test is the first time we meet Slack, so say plainly if it fails."""
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackClientError

    try:
        return runtime.bolt_app
    except BoltError as exc:
        raise CliError(f"Slack refused SLACK_BOT_TOKEN ({exc}); copy the Bot User OAuth Token again") from None
    except (SlackClientError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"cannot reach the Slack Web API at {runtime.settings.slack_api_base_url}: {reason}") from None


def _http_server(runtime):  # noqa: ANN001, ANN202
    from bot.slack.server import HttpServer, PortInUseError
    from bot.slack.web import SlackHttpApp

    wsgi = SlackHttpApp(bolt_app=_bolt_app(runtime), engine=runtime.engine)
    try:
        return HttpServer(wsgi, host=runtime.settings.host, port=runtime.settings.port)
    except PortInUseError as exc:
        raise CliError(str(exc)) from None


def _cmd_tick(args: argparse.Namespace) -> int:
    from bot.i18n import t
    from scheduling.ticks import describe_due
    from storage.migrate import current_revision

    settings = Settings.from_env()
    if not args.dry_run and not settings.slack_bot_token and not settings.oauth:
        settings.require_slack(socket_mode=False)
    runtime = _runtime(settings)
    check_connection(runtime.engine)
    if current_revision(runtime.engine) is None:
        raise CliError("the database has no tables yet; run `mentorbot db upgrade` first")
    started = runtime.clock.now()
    result = runtime.tick(now=args.now, dry_run=args.dry_run)
    lines = describe_due(result)
    at = result.now.isoformat(timespec="minutes")
    print(t("cli.tick.would_send" if args.dry_run else "cli.tick.due", "en", at=at, count=len(lines)))
    for line in lines:
        print(f"  {line}")
    for job in result.failed:
        print(f"mentorbot: {t('cli.tick.job_failed', 'en', job=job)}", file=sys.stderr)
    if not args.dry_run:
        report = runtime.deliver()
        if result.now <= started + FUTURE_TOLERANCE or report.handled:
            later = report.retried + report.rate_limited + report.deferred  # deferred: waiting for its channel's turn
            print(f"sent {report.sent}, to retry {later}, failed {report.failed}")
        for error in report.errors:
            print(f"  failed: {error}")
        if result.now > started + FUTURE_TOLERANCE:
            # The deliverer goes by the real clock: what this tick queued waits for its time.
            queued = sum(result.enqueued.values())
            key = "cli.tick.queued_for_later" if queued else "cli.tick.nothing_new_for_later"
            print(t(key, "en", at=at, count=queued))
    return 1 if result.failed else 0


def _cmd_template(args: argparse.Namespace) -> int:

    from bot.rounds.workbook import write_template

    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        raise CliError(f"{args.file}: the template is an Excel workbook; give a file name ending in .xlsx")
    if not path.parent.exists():
        raise CliError(f"{args.file}: the folder {path.parent} does not exist")
    write_template(path)
    print(f"wrote {path}: fill in the sheets, then run `mentorbot import {path}`")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:

    from bot.rounds.roster import ImportResult, import_round, summary_lines
    from bot.rounds.workbook import read_workbook
    from storage.db import unit_of_work

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file")
    runtime = _migrated_runtime(Settings.from_env())
    # The path, not its bytes: the reader measures the file before reading any of it.
    workbook, problems = read_workbook(str(path))
    with unit_of_work(runtime.session_factory) as session:
        if workbook is None:
            result = ImportResult(problems=problems)
        else:
            workspace = _import_workspace(session, args.workspace, programme=workbook.programme.programme)
            result = import_round(session, workbook, now=runtime.clock.now(), workspace=workspace)
        if args.dry_run or not result.ok:
            session.rollback()
    first, *rest = summary_lines(result, language="en", dry_run=args.dry_run)
    print(first)
    for line in rest:
        print(f"  {line}")
    if not result.ok:
        return 1
    if not args.dry_run and result.new_participant_ids:
        print("The worker (or `mentorbot tick`) now finds the new participants in Slack and sends their welcome.")
    return 0


def _installed_teams(session) -> list[str]:  # noqa: ANN001
    """The workspaces that installed the app through OAuth (slack_sdk's bot rows)."""
    from sqlalchemy import select

    from storage.models import slack_bots

    teams = session.scalars(select(slack_bots.c.team_id).where(slack_bots.c.team_id.is_not(None)).distinct())
    return sorted(team for team in teams if team)


def _import_workspace(session, team_id: str | None, *, programme: str):  # noqa: ANN001, ANN202
    """The workspace an operator's import is for.

    With OAuth installations every programme must be in one of them: `--workspace` names
    it (and must be one of them), or the workbook names a programme that exists in exactly
    one workspace, which is then the one (names are per workspace). Without installations (single-workspace token mode) it is the
    bot's one workspace: `--workspace`, else the team its programmes were adopted into,
    else '' (not known yet; adopted when the bot starts)."""
    from sqlalchemy import select

    from bot.core.workspace import UNASSIGNED, Workspace
    from bot.i18n import t
    from storage.models import Programme

    installed = _installed_teams(session)
    # Names are per workspace: the same name may be a programme in several of them.
    existing = sorted(set(session.scalars(select(Programme.team_id).where(Programme.name == programme))))
    if installed:
        if team_id is None:
            if len(existing) == 1:
                return Workspace(team_id=existing[0])
            if existing:
                raise CliError(t("cli.workspace.ambiguous", "en", programme=programme,
                                 teams=", ".join(team or "''" for team in existing)))
            raise CliError(t("cli.workspace.needed", "en", teams=", ".join(installed)))
        if team_id not in installed:
            raise CliError(t("cli.workspace.unknown", "en", team=team_id, teams=", ".join(installed)))
        return Workspace(team_id=team_id)
    if team_id is not None:
        return Workspace.single(team_id)
    known = sorted(set(session.scalars(select(Programme.team_id).where(Programme.team_id != UNASSIGNED).distinct())))
    if len(known) > 1:
        raise CliError(t("cli.workspace.needed", "en", teams=", ".join(known)))
    return Workspace.single(known[0] if known else UNASSIGNED)


def _round_ids_of_workspace(session, team_id: str | None) -> list[int] | None:  # noqa: ANN001
    """`--workspace`: the rounds of that workspace only (None: every round, the operator's)."""
    if team_id is None:
        return None
    from bot.core.workspace import Workspace

    return list(session.scalars(Workspace(team_id=team_id).rounds()))


def _cmd_match(args: argparse.Namespace) -> int:

    from bot.i18n import t
    from bot.matching.review import LookupStatus, compute_proposal, find_round, review_of, round_workbook
    from bot.rounds.workbook import write_workbook
    from bot.slack.render.match_review import proposal_lines, reasons_text
    from storage.db import unit_of_work

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() != ".xlsx":
        raise CliError(f"{args.out}: the proposal is written as an Excel workbook; give a file name ending in .xlsx")
    if out is not None and not out.parent.exists():
        raise CliError(f"{args.out}: the folder {out.parent} does not exist")
    runtime = _migrated_runtime(Settings.from_env())
    now = runtime.clock.now()
    with unit_of_work(runtime.session_factory) as session:
        lookup = find_round(session, name=args.round_name, programme=args.programme, today=now.date(),
                            round_ids=_round_ids_of_workspace(session, args.workspace))
        choices = ", ".join(lookup.choices)
        if lookup.status is LookupStatus.AMBIGUOUS:
            raise CliError(t("match.cli.ambiguous", "en", name=args.round_name, choices=choices))
        if lookup.round_id is None:
            raise CliError(t("match.cli.unknown" if choices else "match.cli.no_rounds", "en",
                             name=args.round_name, choices=choices))
        row = compute_proposal(session, round_id=lookup.round_id, now=now, created_by="cli")
        review = review_of(row)
        workbook = round_workbook(session, proposal_id=row.id, reasons_text=reasons_text) if out is not None else None
    for line in proposal_lines(review, language="en"):
        print(line)
    if out is not None and workbook is not None:
        write_workbook(out, workbook, pair_extra_columns=("score", "reasons"))
        print(t("match.cli.wrote", "en", path=out))
    return 0


def _report_rounds(session, args: argparse.Namespace, *, today: date) -> list[int]:  # noqa: ANN001
    """The rounds `--round`/`--programme` name, or a CliError naming the choices."""
    from sqlalchemy import select

    from bot.i18n import t
    from bot.matching.review import LookupStatus, find_round
    from bot.reports import rounds_of_programme
    from storage.models import Programme, Round

    in_workspace = _round_ids_of_workspace(session, args.workspace)
    if args.round_name:
        lookup = find_round(session, name=args.round_name, programme=args.programme, today=today,
                            round_ids=in_workspace)
        choices = ", ".join(lookup.choices)
        if lookup.status is LookupStatus.AMBIGUOUS:
            raise CliError(t("match.cli.ambiguous", "en", name=args.round_name, choices=choices))
        if lookup.round_id is None:
            raise CliError(t("match.cli.unknown" if choices else "match.cli.no_rounds", "en",
                             name=args.round_name, choices=choices))
        return [lookup.round_id]
    if not args.programme:
        raise CliError(t("report.cli.needs_round", "en"))
    round_ids = rounds_of_programme(session, args.programme)
    if in_workspace is not None:
        round_ids = [round_id for round_id in round_ids if round_id in set(in_workspace)]
    teams = sorted(set(session.scalars(
        select(Programme.team_id).join(Round, Round.programme_id == Programme.id).where(Round.id.in_(round_ids)))))
    if len(teams) > 1:  # one name, several workspaces' programmes: never one report of both
        raise CliError(t("cli.workspace.ambiguous", "en", programme=args.programme,
                         teams=", ".join(team or "''" for team in teams)))
    if not round_ids:
        names = ", ".join(session.scalars(select(Programme.name).order_by(Programme.name)))
        raise CliError(t("report.cli.no_programme" if names else "report.cli.no_programmes", "en",
                         name=args.programme, choices=names))
    return round_ids


def _cmd_report(args: argparse.Namespace) -> int:
    from bot.i18n import t
    from bot.reports import report_language, write_report
    from storage.db import unit_of_work

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CliError(t("report.cli.out", "en", path=args.out))
    if not out.parent.exists():
        raise CliError(t("report.cli.folder", "en", path=args.out, folder=out.parent))
    runtime = _migrated_runtime(Settings.from_env())
    now = runtime.clock.now()
    # One unit of work: the scoreboard records what it discloses, and that must commit.
    with unit_of_work(runtime.session_factory) as session:
        round_ids = _report_rounds(session, args, today=now.date())
        language = report_language(session, round_ids)
        try:
            summary = write_report(session, round_ids=round_ids, out=out, language=language,
                                   pseudonymise=args.pseudonymise, now=now)
        except OSError as exc:
            raise CliError(f"{args.out}: {exc.strerror or exc}") from exc
    print(t("report.cli.wrote", "en", path=out, rounds=", ".join(summary.rounds), language=summary.language))
    print(t("report.cli.pseudonymised" if summary.pseudonymised else "report.cli.personal", "en"))
    return 0


def _person_email(raw: str) -> str:
    """The EMAIL argument of `export` and `erase`, checked by the one rule
    (`looks_like_email`); a refused input is echoed cut short (`shown_input`)."""
    from bot.i18n import t
    from bot.privacy.inventory import looks_like_email, shown_input

    email = raw.strip()
    if not looks_like_email(email):
        raise CliError(t("privacy.cli.not_email", "en", email=shown_input(email)))
    return email


def _cmd_export(args: argparse.Namespace) -> int:
    """Both files, their paths and a count per section; an unknown email is one line, exit 2."""
    from bot.i18n import t
    from bot.privacy.export import collect_personal_data, export_files
    from bot.privacy.inventory import shown_input
    from bot.slack.render.my_data import notice_text
    from storage.db import unit_of_work

    email = _person_email(args.email)
    folder = Path(args.out)
    if not folder.is_dir():
        raise CliError(t("export.cli.folder", "en", path=args.out))
    runtime = _migrated_runtime(Settings.from_env())
    with unit_of_work(runtime.session_factory) as session:
        data = collect_personal_data(session, now=runtime.clock.now(), email=email, render=notice_text)
    if data is None:
        raise CliError(t("export.cli.unknown", "en", email=shown_input(email)))
    files = export_files(data)
    json_path, workbook_path = folder / files.json_name, folder / files.workbook_name
    try:
        json_path.write_bytes(files.json_bytes)
        workbook_path.write_bytes(files.workbook_bytes)
    except OSError as exc:
        raise CliError(f"{args.out}: {exc.strerror or exc}") from exc
    print(t("export.cli.wrote", "en", json=json_path, workbook=workbook_path, email=email))
    for section, count in data.counts().items():
        print(t("export.cli.count", "en", section=t(f"export.sheet.{section}", "en"), count=count))
    print(t("export.cli.personal", "en"))
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    """What will go per table, a question (unless --yes), then the erasure in its own unit of
    work: nobody waits at the prompt with a transaction open, and the person is found again
    inside it, so a second erasure meanwhile leaves this one nothing to do."""
    from bot.i18n import t
    from bot.privacy.erase import erase_person, plan
    from bot.privacy.inventory import find_person, round_labels, shown_input
    from storage.db import unit_of_work

    email = _person_email(args.email)
    runtime = _migrated_runtime(Settings.from_env())
    with unit_of_work(runtime.session_factory) as session:
        person = find_person(session, email=email)
        if person is None:
            raise CliError(t("privacy.cli.unknown", "en", email=shown_input(email)))
        planned = plan(session, person)
        print(t("privacy.cli.plan", "en", name=", ".join(person.names), email=", ".join(person.emails),
                rounds=", ".join(round_labels(session, person))))
    for table, count in sorted(planned.tables.items()):
        print(t("privacy.cli.table", "en", table=table, count=count))
    if not args.yes and input(t("privacy.cli.ask", "en")).strip().casefold() not in ("y", "yes"):
        print(t("privacy.cli.kept", "en"))
        return 1
    with unit_of_work(runtime.session_factory) as session:
        person = find_person(session, email=email)
        if person is None:
            raise CliError(t("privacy.cli.unknown", "en", email=shown_input(email)))
        erased = erase_person(session, person, now=runtime.clock.now())
    print(t("privacy.cli.erased", "en", email=email))
    for table, count in sorted(erased.tables.items()):
        print(t("privacy.cli.table", "en", table=table, count=count))
    if erased.pairs_ended:
        print(t("privacy.erase.pairs_ended", "en", count=len(erased.pairs_ended)))
    print(t("privacy.cli.slack_note", "en"))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    if args.verbose or args.demo_verbose:
        return run_demo()
    if args.quiet:
        _log_to(logging.NullHandler())
        return run_demo()
    handle, name = tempfile.mkstemp(prefix="mentorbot-demo-", suffix=".log")
    os.close(handle)
    file_handler = logging.FileHandler(name, mode="w", encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _log_to(file_handler)
    return run_demo(log_file=Path(name))


def _log_to(handler: logging.Handler) -> None:
    """Send every log line to `handler` instead of the terminal, so the demo's output is
    the story alone."""
    root = logging.getLogger()
    for old in list(root.handlers):
        for kept in old.filters:  # the secrets filter configure_logging put there
            handler.addFilter(kept)
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
