"""`mentorbot demo`: a local round against the sandbox Slack, printed as a transcript.

It runs the real app (HTTP endpoint, Bolt listeners, services, outbox, deliverer) with a
throwaway SQLite database; only Slack is faked. Each feature adds its scenes here, until
the demo plays a whole round.
"""

from __future__ import annotations

import logging
import sys
from datetime import timezone

from bot.clock import FixedClock
from bot.demo.sample import DEMO_START, PEOPLE, sample_workbook
from bot.demo.transcript import Transcript
from bot.sandbox.harness import SandboxedApp
from bot.services.roster import import_workbook_file, summary_lines
from storage.db import unit_of_work
from storage.workbook import workbook_bytes


def run_demo(*, quiet: bool = False, out=None) -> int:  # noqa: ANN001 - a text stream
    """Play the scripted round and print what everyone saw; exit code 0 when it all worked."""
    out = out or sys.stdout
    if quiet:
        logging.disable(logging.WARNING)
    clock = FixedClock(DEMO_START.replace(tzinfo=timezone.utc))
    with SandboxedApp(clock=clock) as app:
        names = {person.user_id: person.name.split()[0] for person in PEOPLE if person.user_id}
        for person in PEOPLE:
            if person.user_id:
                app.sandbox.add_user(
                    user_id=person.user_id, name=person.name.split()[0].lower(), real_name=person.name,
                    email=person.email, tz=person.timezone,
                )
        transcript = Transcript(app.sandbox, names=names)
        print("mentorbot demo: the real app on loopback, a fake Slack, a throwaway database.", file=out)
        for scene in SCENES:
            scene(app, transcript)
        print(transcript.text(), file=out)
    print("demo finished: every scene ran against the real HTTP endpoint.", file=out)
    return 0


def _import_round(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Mette (coordinator) imports the round workbook: mentorbot import spring-2027.xlsx")
    with unit_of_work(app.runtime.session_factory) as session:
        result = import_workbook_file(session, workbook_bytes(sample_workbook()), now=app.clock.now())
    for line in summary_lines(result, language="en", dry_run=False):
        transcript.note(line)
    if not result.ok:
        raise SystemExit("the sample workbook did not import")


def _help_and_typos(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Ana (mentee) types /mentoring help")
    app.slash("UANA", "/mentoring", "help")
    transcript.scene("Ana mistypes: /mentoring hepl")
    app.slash("UANA", "/mentoring", "hepl")
    transcript.scene("Ana tries a coordinator command: /mentoring-admin status")
    app.slash("UANA", "/mentoring-admin", "status")
    transcript.scene("Mette (coordinator, Danish) types /mentoring")
    app.slash("UMETTE", "/mentoring", "")


def _home_and_safety(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Wei opens the bot's Home tab; Slack delivers the event twice")
    event = {"type": "app_home_opened", "user": "UWEI", "channel": "DWEI", "tab": "home"}
    app.event(event, event_id="EvDemo0001")
    app.event(event, event_id="EvDemo0001", retry_num=1, retry_reason="http_timeout")
    transcript.note("(the redelivery was acknowledged and ignored: one Home tab published)")
    transcript.scene("Someone sends a forged request to /slack/events")
    response = app.driver.send_raw(
        b"command=%2Fmentoring-admin&text=import&user_id=UMETTE", content_type="application/x-www-form-urlencoded",
        signature="v0=" + "0" * 64,
    )
    transcript.note(f"refused with HTTP {response.status}; nothing was run or stored")


SCENES = [_import_round, _help_and_typos, _home_and_safety]
