"""Tokens, the signing secret, names, emails and notes never appear in the logs.

The logging is configured as `mentorbot -v` configures it (`bot.logs.configure_logging`,
verbose: our code at DEBUG, the libraries at the levels it keeps them), written to a
stream, and a realistic stretch of a round runs through the signed endpoint and the
deliverer: a newcomer is welcomed, consents and fills in her profile; a 1:1 is logged
with a private note and confirmed; a survey comment is left; the weekly digest goes out;
Slack refuses one send and fails another; a coordinator uploads a workbook; someone clicks
a button nobody listens to. Then every line written, tracebacks included, is searched for
the bot token, the signing secret, each person's name and email, the note and the comment.

The control (`test_without_the_configuration_the_libraries_would_log_them`) shows the
search bites: with a plain DEBUG root, the same kind of request logs the note.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError

from bot.clock import FixedClock
from bot.logs import LIBRARY_LEVELS, REDACTED, RedactSecrets, configure_logging
from bot.rounds.workbook import ParticipantRow, workbook_bytes
from bot.sandbox.harness import SIGNING_SECRET, SandboxedApp
from bot.slack.render.nudges import checkin_ref
from bot.slack.render.surveys import FormPlace, survey_metadata
from storage.db import make_session_factory, unit_of_work
from storage.models import ConsentPurpose, Pair, Participant, Role, Round
from tests.factories import make_participant, make_round
from tests.support.answers import button
from tests.support.two_programmes import NOTE, NOW, OUTSIDER, PEOPLE, WINDOW, TwoProgrammes, build_two_programmes
from tests.unit.test_roster_import import sample_workbook

NEWCOMER = ("UNADIA", "Nadia Nyankomstova", "nadia@alpha.example")
SECOND_NOTE = "Mikkel shared his salary slip with Esther"
COMMENT = "Esther says the mentor is condescending"
GOALS = "Nadia hopes to leave her abusive employer"
WORKBOOK_PERSON = ("Wilhelmina Arbejdsbogsen", "wilhelmina@workbook.example")
BOT_TOKEN = "xoxb-sandbox"  # the sandbox's; in production SLACK_BOT_TOKEN
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The app's logging configuration, verbose, writing to a stream; put back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARY_LEVELS}
    stream = io.StringIO()
    configure_logging(verbose=True, stream=stream, replace=True, environ={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET})
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def logged_slack(log_stream: io.StringIO, engine: Engine, scenario_clock: FixedClock) -> Iterator[SandboxedApp]:
    """The app made after logging is configured, as `mentorbot serve` makes it (Bolt copies
    the root's level into its loggers when it builds them)."""
    with SandboxedApp(engine=engine, clock=scenario_clock, admin_user_ids=("UADMIN",)) as app:
        assert app.sandbox.bot_token == BOT_TOKEN
        yield app


def secrets(slack: SandboxedApp) -> list[str]:
    people = [(person[1], person[2]) for person in (*PEOPLE.values(), OUTSIDER, NEWCOMER)]
    return [slack.sandbox.bot_token, SIGNING_SECRET, NOTE, SECOND_NOTE, COMMENT, GOALS, *WORKBOOK_PERSON,
            *(value for person in people for value in person)]


def _welcome_the_newcomer(slack: SandboxedApp, world: TwoProgrammes) -> None:
    slack.sandbox.add_user(user_id=NEWCOMER[0], name="nadia", real_name=NEWCOMER[1], email=NEWCOMER[2])
    with unit_of_work(slack.runtime.session_factory) as session:
        session.add(Participant(round_id=world.alpha_round, role=Role.MENTEE, email=NEWCOMER[2], name=NEWCOMER[1],
                                language="en", timezone="Europe/Copenhagen", created_at=NOW, updated_at=NOW))
        # Alpha's weekly digest is due this Tuesday morning.
        session.execute(update(Round).where(Round.id == world.alpha_round).values(digest_weekday=1))
    slack.tick_and_deliver()
    (welcome,) = slack.sandbox.dm_messages(NEWCOMER[0])
    channel = slack.sandbox.im_channel_for(NEWCOMER[0])
    for purpose in ConsentPurpose:
        action_id = f"consent.{purpose.value}.yes"
        block_id, value = button(welcome, action_id)
        slack.driver.block_action(user_id=NEWCOMER[0], action_id=action_id, value=value, block_id=block_id,
                                  message=welcome, channel_id=channel)
        slack.settle()
    with unit_of_work(slack.runtime.session_factory) as session:
        nadia = session.query(Participant).filter_by(slack_user_id=NEWCOMER[0]).one()
        nadia_id = nadia.id
    slack.click(NEWCOMER[0], "profile.open", value=str(nadia_id), channel_id=channel)
    modal = slack.sandbox.opened_views[-1]
    typed = {"field": "Chemistry", "years": "6", "languages": "English, Arabic", "interests": "running",
             "goals": GOALS, "availability": "Mondays", "timezone": "Europe/Copenhagen",
             "language": {"type": "static_select", "selected_option": {"value": "en"}}}
    slack.submit(NEWCOMER[0], "profile.submit", {block: {block: value} for block, value in typed.items()},
                 view_id=modal["id"])


def _log_and_confirm(slack: SandboxedApp, world: TwoProgrammes) -> None:
    with unit_of_work(slack.runtime.session_factory) as session:
        channel = session.get_one(Pair, world.pair).slack_channel_id
    assert channel
    slack.slash("UMIKKEL", "/log-session", f"yesterday 45m CV review. {SECOND_NOTE}", channel_id=channel)
    slack.click("UESTHER", f"session.confirm.{world.session}", value=str(world.session), channel_id=channel)
    slack.slash("UESTHER", "/mentoring", "sessions")


def test_a_round_leaves_no_secret_in_the_logs(logged_slack: SandboxedApp, log_stream: io.StringIO) -> None:
    slack = logged_slack
    world = build_two_programmes(slack)
    _welcome_the_newcomer(slack, world)
    _log_and_confirm(slack, world)
    slack.submit("UESTHER", "survey.submit", {"survey.comment": {"survey.comment": COMMENT}},
                 private_metadata=survey_metadata(FormPlace(invitation_id=world.pulse_invitation)))
    # Esther asks for help: a note to the coordinators, which Slack refuses; then a 5xx.
    slack.click("UESTHER", "checkin.help", value=checkin_ref(world.pair, WINDOW),
                channel_id=slack.sandbox.im_channel_for("UESTHER"))
    slack.sandbox.error_next("chat.postMessage", "channel_not_found")
    slack.deliver()
    slack.slash("UCARLA", "/mentoring-admin", "digest")
    slack.sandbox.fail_next("chat.postMessage", status=500)
    slack.tick_and_deliver(now=NOW + timedelta(days=1, hours=1))
    # A workbook from Carla, with a new person in it; a click nobody listens to.
    workbook = sample_workbook()
    workbook = replace(workbook, programme=replace(workbook.programme, programme="Alphamentoring",
                                                   round="Alpharound autumn"),
                       participants=(*workbook.participants, ParticipantRow(
                           row=5, email=WORKBOOK_PERSON[1], name=WORKBOOK_PERSON[0], role="mentee",
                           field="Law", languages=("English",))))
    channel = slack.sandbox.im_channel_for("UCARLA")
    file = slack.sandbox.add_user_file(user_id="UCARLA", name=f"{WORKBOOK_PERSON[0]}.xlsx",
                                       content=workbook_bytes(workbook), mimetype=XLSX, channel=channel)
    shared = slack.sandbox.dm_messages("UCARLA")[-1]
    slack.event({"type": "message", "subtype": "file_share", "text": "", "files": [file], "user": "UCARLA",
                 "ts": shared["ts"], "channel": channel, "event_ts": shared["ts"], "channel_type": "im"})
    slack.click("UESTHER", "nobody.listens", value=NOTE, channel_id=slack.sandbox.im_channel_for("UESTHER"))
    # Esther writes to the bot (acknowledged, never answered: one DEBUG line of ours).
    slack.event({"type": "message", "channel_type": "im", "user": "UESTHER", "text": NOTE,
                 "channel": slack.sandbox.im_channel_for("UESTHER"), "ts": "1796000000.000100"})

    logged = log_stream.getvalue()
    # The capture works and is verbose: our own DEBUG and INFO lines are there.
    assert " DEBUG app.py:handle_direct_message: DM message" in logged, logged[-2000:]
    assert "consent" in logged and "survey answers saved" in logged, logged[-2000:]
    found = [secret for secret in secrets(slack) if secret.casefold() in logged.casefold()]
    assert found == [], [line for line in logged.splitlines() if any(s.casefold() in line.casefold() for s in found)]


def test_the_libraries_are_kept_above_debug(logged_slack: SandboxedApp, log_stream: io.StringIO) -> None:
    """What makes the test above hold at -v: these loggers print payloads and parameters
    below these levels. SQLAlchemy is kept from even composing its lines; Bolt, which set
    its app logger to the root's DEBUG when the app was built, is stopped at the handler."""
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("slack_sdk.web.base_client").getEffectiveLevel() >= logging.INFO
    assert logging.getLogger("sqlalchemy.engine.Engine").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("urllib3.connectionpool").getEffectiveLevel() >= logging.INFO
    assert logging.getLogger("slack_bolt.App").level == logging.DEBUG, "Bolt copied the root's level"
    logging.getLogger("slack_bolt.App").debug('Responding with status: 200 body: "%s"', NOTE)
    logging.getLogger("sqlalchemy.engine.Engine").info("[generated] (%r,)", NOTE)
    logging.getLogger("handlers.actions.consent").debug("our own DEBUG line")
    logging.getLogger("slack_bolt.App").warning("a library warning still shows")
    logged = log_stream.getvalue()
    assert NOTE not in logged
    assert "our own DEBUG line" in logged and "a library warning still shows" in logged


def test_a_secret_that_reaches_a_log_line_is_blanked(log_stream: io.StringIO) -> None:
    token = BOT_TOKEN
    log = logging.getLogger("mentorbot.test")
    log.warning("calling Slack with %s and %s", token, SIGNING_SECRET)
    try:
        raise RuntimeError(f"refused: Authorization: Bearer {token}; other xoxp-1234-5678-abcdef")
    except RuntimeError:
        log.exception("the call failed")
    logged = log_stream.getvalue()
    assert token not in logged and SIGNING_SECRET not in logged and "xoxp-1234" not in logged
    assert f"calling Slack with {REDACTED} and {REDACTED}" in logged
    assert "Traceback" in logged and f"RuntimeError: refused: Authorization: Bearer {REDACTED}; other {REDACTED}" in logged
    assert RedactSecrets(["short"]).redact("a short word") == "a short word", "a test value blanks no words"


def test_without_the_configuration_the_libraries_would_log_them(slack: SandboxedApp) -> None:
    """The control: a plain DEBUG root (what -v did before) logs the note through SQLAlchemy
    and the Slack SDK, so the search above is one that can fail."""
    world = build_two_programmes(slack)
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in LIBRARY_LEVELS}
    stream = io.StringIO()
    try:
        for name in LIBRARY_LEVELS:
            logging.getLogger(name).setLevel(logging.NOTSET)
        logging.basicConfig(level=logging.DEBUG, stream=stream, force=True)
        slack.slash("UESTHER", "/mentoring", "sessions")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
    assert world.session and NOTE in stream.getvalue()


def test_a_database_error_logged_with_its_traceback_names_no_one(engine: Engine, log_stream: io.StringIO) -> None:
    """A constraint error carries the statement's parameters (SQLAlchemy) and, on
    PostgreSQL, a DETAIL line quoting the row; a handler that logs it with `logger.exception`
    must not write the person into the log."""
    name, email = PEOPLE["esther"][1], PEOPLE["esther"][2]
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        round_ = make_round(session)
        make_participant(session, round_=round_, role=Role.MENTEE, email=email, name=name)
        round_id = round_.id
    try:
        with unit_of_work(factory) as session:
            make_participant(session, round_=session.get_one(Round, round_id), role=Role.MENTEE, email=email,
                             name=name)
    except IntegrityError:
        logging.getLogger("handlers.views.profile_submit").exception("saving the profile of %s failed", "UESTHER")
    logged = log_stream.getvalue()
    assert "IntegrityError" in logged and "INSERT INTO participant" in logged, logged
    assert name not in logged and email not in logged, logged
