"""`mentorbot demo`: a local round against the sandbox Slack, printed as a transcript.

It runs the real app (HTTP endpoint, Bolt listeners, services, outbox, deliverer) with a
throwaway SQLite database; only Slack is faked. Each feature adds its scenes here, until
the demo plays a whole round.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from bot.clock import FixedClock
from bot.core.workspace import Workspace
from bot.demo.sample import DEMO_START, PEOPLE, sample_workbook
from bot.demo.transcript import Transcript
from bot.reports import report_language, write_report
from bot.rounds.roster import import_workbook_file, summary_lines
from bot.rounds.workbook import workbook_bytes
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Round


def run_demo(*, out: TextIO | None = None, log_file: Path | None = None) -> int:
    """Play the scripted round and print what everyone saw; exit code 0 when it all worked.

    The output is the story; the app's log lines go wherever logging is configured (the
    CLI sends them to `log_file` unless asked for them), and the last line says where."""
    out = out or sys.stdout
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
    where = f" The app's log lines are in {log_file} (or run `mentorbot demo --verbose`)." if log_file else ""
    print(f"demo finished: every scene ran against the real HTTP endpoint.{where}", file=out)
    return 0


def _import_round(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Mette (coordinator) imports the round workbook: mentorbot import spring-2027.xlsx")
    with unit_of_work(app.runtime.session_factory) as session:
        result = import_workbook_file(session, workbook_bytes(sample_workbook()), now=app.clock.now(),
                                      workspace=Workspace.single())
    for line in summary_lines(result, language="en", dry_run=False):
        transcript.note(line)
    if not result.ok:
        raise SystemExit("the sample workbook did not import")


def _find_button(message: dict[str, Any], action_id: str) -> tuple[str, str]:
    for block in message.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return block.get("block_id", ""), element.get("value", "")
    raise SystemExit(f"demo: no {action_id!r} button in the message")


def _click_in_dm(app: SandboxedApp, user_id: str, action_id: str, *, message_index: int = 0) -> None:
    """Click a button in one of the bot's DMs to `user_id`, exactly as Slack would send it."""
    message = app.sandbox.dm_messages(user_id)[message_index]
    block_id, value = _find_button(message, action_id)
    app.click(user_id, action_id, value=value, block_id=block_id, message=message,
              channel_id=app.sandbox.im_channel_for(user_id))


def _first_tick(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("The worker's first tick finds everyone in Slack and sends the welcomes")
    app.tick_and_deliver()
    transcript.note("(Priya is not in the workspace yet: the coordinator is told, and the bot keeps looking)")


def _consent(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Ana answers the three consent questions in her welcome")
    for action_id in ("consent.coordination.yes", "consent.evaluation.yes", "consent.follow_up.yes"):
        _click_in_dm(app, "UANA", action_id)
    transcript.scene("Wei says yes to coordination and follow-up, no to evaluation")
    for action_id in ("consent.coordination.yes", "consent.evaluation.no", "consent.follow_up.yes"):
        _click_in_dm(app, "UWEI", action_id)
    transcript.scene("Sofie declines to take part")
    _click_in_dm(app, "USOFIE", "consent.coordination.no")
    app.deliver()


def _profile(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Ana clicks “Fill in your profile”")
    _click_in_dm(app, "UANA", "profile.open")
    modal = app.sandbox.opened_views[-1]
    typed: dict[str, Any] = {
        "field": "Mechanical engineering", "years": "8", "languages": "Portuguese, English",
        "interests": "cycling, renewable energy", "goals": "A first job in Danish wind energy; practise interviews",
        "availability": "Tuesday and Thursday afternoons",
        "language": {"type": "static_select", "selected_option": {"value": "en"}}, "timezone": "Mars/Olympus",
    }
    transcript.scene("Ana submits with a time zone that does not exist")
    response = app.submit("UANA", "profile.submit", {key: {key: value} for key, value in typed.items()},
                          view_id=modal["id"])
    for block_id, error in (response.json().get("errors") or {}).items():
        transcript.note(f"inline error under “{block_id}”: {error}")
    transcript.scene("Ana corrects it to Europe/Copenhagen (she has moved) and submits")
    typed["timezone"] = "Europe/Copenhagen"
    app.submit("UANA", "profile.submit", {key: {key: value} for key, value in typed.items()}, view_id=modal["id"])


def _status(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Mette (coordinator) asks: /mentoring-admin status")
    app.slash("UMETTE", "/mentoring-admin", "status")


def _reminders_and_late_joiner(app: SandboxedApp, transcript: Transcript) -> None:
    thursday = datetime(2027, 1, 28, 9, 0, tzinfo=timezone.utc)
    transcript.scene("Thursday 10:00 in Copenhagen: friendly reminders for whoever is not done")
    app.clock.set(thursday)
    app.tick_and_deliver(now=thursday)
    transcript.note("(Sofie declined, so she gets nothing; Ana is done)")
    transcript.scene("The same tick runs again (a restart): nothing is sent twice")
    before = len(app.sandbox.calls_to("chat.postMessage"))
    app.tick_and_deliver(now=thursday)
    transcript.note(f"messages sent by the second run: {len(app.sandbox.calls_to('chat.postMessage')) - before}")
    transcript.scene("Priya joins the Slack workspace")
    app.sandbox.add_user(user_id="UPRIYA", name="priya", real_name="Priya Nair", email="priya@example.org",
                         tz="Asia/Kolkata")
    app.event({"type": "team_join", "user": app.sandbox.get_user("UPRIYA")}, event_id="EvDemoJoin")
    app.deliver()
    transcript.name("UPRIYA", "Priya")


def _finish_onboarding(app: SandboxedApp, user_id: str, *, profile: dict[str, str], consent: bool = True) -> None:
    """Consent and profile through the real buttons and modal (summarised in the transcript)."""
    if consent:
        for action_id in ("consent.coordination.yes", "consent.evaluation.yes", "consent.follow_up.yes"):
            _click_in_dm(app, user_id, action_id)
    _click_in_dm(app, user_id, "profile.open")
    modal = app.sandbox.opened_views[-1]
    values: dict[str, Any] = {key: {key: value} for key, value in profile.items()}
    values["language"] = {"language": {"type": "static_select", "selected_option": {"value": "en"}}}
    values["timezone"] = {"timezone": "Europe/Copenhagen"}
    app.submit(user_id, "profile.submit", values, view_id=modal["id"])


def _everyone_else_onboards(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Lars, Jonas and Wei finish onboarding the same way (consent, profile)")
    _finish_onboarding(app, "ULARS", profile={
        "field": "Engineering", "years": "20", "languages": "Danish, English", "interests": "cycling, wind energy",
        "expertise": "hiring engineers, CV reviews, interview practice, wind energy industry",
        "availability": "Thursday mornings"})
    _finish_onboarding(app, "UJONAS", profile={
        "field": "Finance", "years": "15", "languages": "Danish, English, Mandarin", "interests": "photography",
        "expertise": "banking, networking in Copenhagen, applications", "availability": "Evenings"})
    _finish_onboarding(app, "UWEI", consent=False, profile={
        "field": "Life sciences", "years": "6", "languages": "Mandarin, English", "interests": "photography",
        "goals": "a lab job; practise interviews; understand Danish work culture", "availability": "Afternoons"})
    transcript.skip()
    transcript.note("(their welcome messages update, their Home tabs refresh, and each gets a profile receipt)")


def _match_and_publish(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Mette asks for a matching proposal: /mentoring-admin match")
    where = app.sandbox.im_channel_for("UMETTE")
    app.slash("UMETTE", "/mentoring-admin", "match", channel_id=where)
    transcript.scene("Mette publishes the proposal")
    _url_id, review = app.sandbox.response_posts[-1]
    for block in review.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("action_id") == "match.publish":
                app.click("UMETTE", "match.publish", value=element["value"], block_id=block.get("block_id", "b"),
                          message={"ts": "1.000001", **review}, channel_id=where)
                break
    transcript.scene("The next tick opens a private channel per pair, invites both and introduces them")
    app.tick_and_deliver()
    transcript.scene("Running the tick again changes nothing: still one channel and one introduction per pair")
    before = (len(app.sandbox.calls_to("conversations.create")), len(app.sandbox.calls_to("chat.postMessage")))
    app.tick_and_deliver()
    after = (len(app.sandbox.calls_to("conversations.create")), len(app.sandbox.calls_to("chat.postMessage")))
    transcript.note(f"channels created by the second run: {after[0] - before[0]}, messages: {after[1] - before[1]}")


def _pair_channel(app: SandboxedApp, mentee_id: str) -> str:
    for channel_id, channel in ((c, app.sandbox.get_channel(c)) for c in _all_channel_ids(app)):
        if channel and channel.get("is_private") and mentee_id in (channel.get("members") or []):
            return channel_id
    raise SystemExit(f"demo: no pair channel for {mentee_id}")


def _all_channel_ids(app: SandboxedApp) -> list[str]:
    return [call.response["channel"]["id"] for call in app.sandbox.calls_to("conversations.create") if call.ok]


def _log_sessions(app: SandboxedApp, transcript: Transcript) -> None:
    tuesday = datetime(2027, 2, 9, 9, 0, tzinfo=timezone.utc)
    app.clock.set(tuesday)
    channel = _pair_channel(app, "UANA")
    transcript.scene("Tuesday 9 February: Ana logs yesterday's 1:1 in the pair channel: /log-session yesterday 45m CV review")
    app.slash("UANA", "/log-session", "yesterday 45m CV review", channel_id=channel)
    transcript.scene("Lars clicks “I was there too” on the post")
    post = app.sandbox.messages_in(channel)[-1]
    for block in post.get("blocks") or []:
        for element in block.get("elements", []):
            if str(element.get("action_id", "")).startswith("session.confirm"):
                app.click("ULARS", element["action_id"], value=element.get("value"), block_id=block.get("block_id", "b"),
                          message=post, channel_id=channel)
    transcript.scene("Lars also logs it himself, not knowing Ana did: /log-session 8 feb 1h interview practice")
    app.slash("ULARS", "/log-session", "8 feb 1h interview practice", channel_id=channel)
    transcript.scene("Ana tries to log a meeting in the future: /log-session tomorrow 30m")
    app.slash("UANA", "/log-session", "tomorrow 30m", channel_id=channel)
    transcript.scene("Ana lists the pair's sessions: /mentoring sessions")
    app.slash("UANA", "/mentoring", "sessions", channel_id=channel)


def _click_latest(app: SandboxedApp, user_id: str, action_id: str, *, channel: str | None = None) -> None:
    """Click a button in the newest message (in a DM, or in a channel) that carries it."""
    where = channel or app.sandbox.im_channel_for(user_id)
    messages = app.sandbox.messages_in(where) if channel else app.sandbox.dm_messages(user_id)
    for message in reversed(messages):
        for block in message.get("blocks") or []:
            for element in block.get("elements", []):
                if element.get("action_id") == action_id:
                    app.click(user_id, action_id, value=element.get("value"), block_id=block.get("block_id", "b"),
                              message=message, channel_id=where)
                    return
    raise SystemExit(f"demo: no {action_id!r} button for {user_id}")


def _timeline(app: SandboxedApp, transcript: Transcript) -> None:
    tuesday = datetime(2027, 2, 9, 9, 0, tzinfo=timezone.utc)
    transcript.scene("Tuesday 9 February, 10:00 in Copenhagen: the day-before reminder for the kick-off")
    app.tick_and_deliver(now=tuesday)
    transcript.scene("Ana will be there; Wei can't make it")
    _click_latest(app, "UANA", "meeting.rsvp.yes")
    _click_latest(app, "UWEI", "meeting.rsvp.no")

    monday = datetime(2027, 2, 15, 9, 0, tzinfo=timezone.utc)
    transcript.scene("Monday 15 February: Jonas and Wei's first two weeks passed with no session logged")
    app.tick_and_deliver(now=monday)
    transcript.note("(Lars and Ana logged a session in their window, so they get no check-in)")
    transcript.scene("Wei answers “Not yet”")
    _click_latest(app, "UWEI", "checkin.not_yet", channel=_pair_channel(app, "UWEI"))
    transcript.scene("Jonas goes on leave: /mentoring pause until 1 march parental leave")
    app.slash("UJONAS", "/mentoring", "pause until 1 march parental leave")
    thursday = datetime(2027, 2, 18, 9, 0, tzinfo=timezone.utc)
    transcript.scene("Thursday 18 February, when “Not yet” would ask again: the pause is announced instead")
    before = len(app.sandbox.calls_to("chat.postMessage"))
    app.tick_and_deliver(now=thursday)
    checkins = [call for call in app.sandbox.calls_to("chat.postMessage")[before:]
                if str(call.args.get("text", "")).startswith("Check-in")]
    transcript.note(f"check-ins sent to the paused pair: {len(checkins)}")
    transcript.scene("What would go out on Monday 1 March at 10:00? mentorbot tick --now 2027-03-01T10:00+01:00 --dry-run")
    from scheduling.ticks import describe_due

    march = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
    for line in describe_due(app.tick(now=march, dry_run=True)) or ["(nothing)"]:
        transcript.raw(line)
    transcript.scene("Monday 1 March: the pause ends by itself, with a welcome back")
    app.tick_and_deliver(now=march)


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


def _submit_values(answers: dict[str, str], *, comment: str | None = None) -> dict[str, Any]:
    """A survey form's state as Slack sends it: one radio button group per question."""
    values: dict[str, Any] = {
        f"survey.q.{key}": {f"survey.q.{key}": {"type": "radio_buttons", "selected_option": {"value": value}}}
        for key, value in answers.items()
    }
    if comment is not None:
        values["survey.comment"] = {"survey.comment": comment}
    return values


def _open_survey_form(app: SandboxedApp, user_id: str) -> dict[str, Any]:
    _click_latest(app, user_id, "survey.open")
    return app.sandbox.opened_views[-1]


def _pulse(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("That same tick sent the first pulse (every three weeks): Lars and Ana answer by buttons")
    transcript.note("(Jonas was on leave when it opened and Wei said no to the evaluation: neither is asked)")
    transcript.scene("Ana clicks 4 for “useful”, clicks it again on her phone, then 3 for confidence")
    _click_latest(app, "UANA", "survey.pulse.useful.4")
    _click_latest(app, "UANA", "survey.pulse.useful.4")
    _click_latest(app, "UANA", "survey.pulse.confidence.3")
    transcript.note("(the double click counts once: one answer per person and question, the last one winning)")
    transcript.scene("Lars answers 5 and 4")
    _click_latest(app, "ULARS", "survey.pulse.useful.5")
    _click_latest(app, "ULARS", "survey.pulse.confidence.4")
    transcript.skip()
    transcript.note("(each DM is redrawn with the answer chosen)")


def _midway_survey(app: SandboxedApp, transcript: Transcript) -> None:
    thursday = datetime(2027, 3, 25, 9, 0, tzinfo=timezone.utc)
    app.clock.set(thursday)
    transcript.scene("Thursday 25 March, the morning after the midway meeting: the midway survey, 10:00 each")
    app.tick_and_deliver(now=thursday)
    transcript.scene("Ana opens it and sends it with one question left out")
    form = _open_survey_form(app, "UANA")
    response = app.submit("UANA", "survey.submit", _submit_values(
        {"mentee_network": "4", "mentee_job_search": "5", "mentee_direction": "4"}), view_id=form["id"])
    for block_id, error in (response.json().get("errors") or {}).items():
        transcript.note(f"inline error under “{block_id}”: {error}")
    transcript.scene("She answers it and adds a comment (typed text never pings anyone: <!channel> stays text)")
    app.submit("UANA", "survey.submit", _submit_values(
        {"mentee_network": "4", "mentee_job_search": "5", "mentee_direction": "4", "recommend": "5"},
        comment="Lars opened doors I did not know existed <!channel>"), view_id=form["id"])
    transcript.scene("Lars answers too")
    form = _open_survey_form(app, "ULARS")
    app.submit("ULARS", "survey.submit", _submit_values(
        {"mentor_network": "4", "mentor_intercultural": "5", "recommend": "5"}), view_id=form["id"])
    transcript.scene("Lars finds the first pulse in his DMs and clicks it again, after it closed")
    first_pulse = next(message for message in app.sandbox.dm_messages("ULARS") if "survey.pulse.useful.5" in str(message))
    block_id, value = _find_button(first_pulse, "survey.pulse.useful.2")
    app.click("ULARS", "survey.pulse.useful.2", value=value, block_id=block_id, message=first_pulse,
              channel_id=app.sandbox.im_channel_for("ULARS"))


def _outcome(app: SandboxedApp, transcript: Transcript) -> None:
    june = datetime(2027, 6, 1, 8, 0, tzinfo=timezone.utc)
    app.clock.set(june)
    transcript.scene("Tuesday 1 June: Ana has a job and says so: /mentoring outcome")
    app.slash("UANA", "/mentoring", "outcome")
    modal = app.sandbox.opened_views[-1]
    app.submit("UANA", "outcome.submit", {
        "status": {"status": {"type": "radio_buttons", "selected_option": {"value": "employed"}}},
        "started_on": {"started_on": {"type": "datepicker", "selected_date": "2027-05-17"}},
        "network": {"network": {"type": "radio_buttons", "selected_option": {"value": "yes"}}},
    }, view_id=modal["id"])


def _company_survey(app: SandboxedApp, transcript: Transcript) -> None:
    june = datetime(2027, 6, 1, 8, 0, tzinfo=timezone.utc)
    transcript.scene("The same morning (the round ended yesterday): the final survey, and the company survey")
    app.tick_and_deliver(now=june)
    contacts = [person for person in PEOPLE if person.role == "company_contact"]
    for person in contacts:
        if person.user_id is None:
            continue
        first = person.name.split()[0]
        transcript.scene(f"{first} opens the company survey, agrees to the anonymous use and answers")
        form = _open_survey_form(app, person.user_id)
        values = _submit_values({"company_retention": "5"}, comment="Our engineer's husband now works in Lyngby")
        values["survey.consent"] = {"survey.consent": {"type": "checkboxes", "selected_options": [{"value": "agree"}]}}
        app.submit(person.user_id, "survey.submit", values, view_id=form["id"])
    for person in (person for person in contacts if person.user_id is None):
        transcript.scene(f"{person.name} is not in Slack: Mette records the answer given on the phone")
        app.slash("UMETTE", "/mentoring-admin", f"outcome {person.name}")
        modal = app.sandbox.opened_views[-1]
        app.submit("UMETTE", "outcome.company.submit", {
            "company_retention": {"company_retention": {"type": "radio_buttons", "selected_option": {"value": "4"}}},
            "consent": {"consent": {"type": "checkboxes", "selected_options": [{"value": "agreed"}]}},
        }, view_id=modal["id"])


def _follow_up(app: SandboxedApp, transcript: Transcript) -> None:
    november = datetime(2027, 11, 30, 9, 0, tzinfo=timezone.utc)
    app.clock.set(november)
    transcript.scene("Tuesday 30 November, six months after the round: the follow-up reaches Ana at 10:00")
    app.tick_and_deliver(now=november)
    transcript.note("(only mentees who agreed to the follow-up are asked; her answer from June is prefilled)")


def _scoreboard(app: SandboxedApp, transcript: Transcript) -> None:
    transcript.scene("Mette looks at the round against its success criteria: /mentoring-admin scoreboard")
    app.slash("UMETTE", "/mentoring-admin", "scoreboard")
    transcript.note("(a round of two pairs: no line reaches five answers, so no share is shown and nobody's "
                    "answer can be worked out; response rates and introductions are not answers and show)")


def _report(app: SandboxedApp, transcript: Transcript) -> None:
    """The funder's report, written where the demo leaves nothing behind but this file."""
    transcript.scene("Mette writes the funder's report: mentorbot report --round \"Spring 2027\" --out FILE.xlsx")
    handle, name = tempfile.mkstemp(prefix="mentorbot-demo-report-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    with unit_of_work(app.runtime.session_factory) as session:
        round_ids = list(session.scalars(select(Round.id).order_by(Round.starts_on, Round.id)))
        summary = write_report(session, round_ids=round_ids, out=path, language=report_language(session, round_ids),
                               pseudonymise=False, now=app.clock.now())
    transcript.note(f"wrote the report of {', '.join(summary.rounds)} to {path}: {len(summary.sheets)} sheets "
                    f"({', '.join(summary.sheets)}) and {summary.charts} charts; open it in Excel or LibreOffice")


SCENES = [
    _import_round, _first_tick, _help_and_typos, _consent, _profile, _status, _reminders_and_late_joiner,
    _everyone_else_onboards, _match_and_publish, _log_sessions, _timeline, _pulse, _home_and_safety, _midway_survey,
    _outcome, _company_survey, _follow_up, _scoreboard, _report,
]
