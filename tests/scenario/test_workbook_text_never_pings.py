"""Issue 8, defect 3, as Slack drives it: a workbook whose programme, round, names and meeting
carry `<!channel>`, `<@U…>` and a disguised link is uploaded in the bot's DM; the tick finds
everyone and welcomes them. Nothing the bot posts may carry those live, neither in the
blocks nor in the notification `text` that Slack shows in the push and the sidebar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.rounds.workbook import MeetingRow, ParticipantRow, workbook_bytes
from bot.sandbox.harness import SandboxedApp
from tests.scenario.test_import_from_slack import upload
from tests.support.mrkdwn import HOSTILE, live_sequences, rendered_texts
from tests.unit.test_roster_import import sample_workbook


def _hostile_workbook() -> bytes:
    workbook = sample_workbook()
    return workbook_bytes(replace(
        workbook,
        programme=replace(workbook.programme, programme=f"Career {HOSTILE}", round=f"Spring {HOSTILE}"),
        meetings=(MeetingRow(row=2, kind="kick_off", title=f"Kick-off {HOSTILE}", starts_at=datetime(2027, 2, 3, 17, 0),
                             duration_minutes=120, location=f"DTU {HOSTILE}"),),
        participants=(
            ParticipantRow(row=2, email="lars@firm.dk", name=f"Lars {HOSTILE}", role="mentor", languages=("Danish",),
                           max_mentees=2),
            ParticipantRow(row=3, email="ana@example.org", name=f"Ana {HOSTILE}", role="mentee",
                           languages=("Danish",)),
            ParticipantRow(row=4, email="mette@kommune.dk", name=f"Mette {HOSTILE}", role="coordinator", language="da"),
            ParticipantRow(row=5, email="bo@nowhere.dk", name=f"Bo {HOSTILE}", role="mentee", languages=("Danish",)),
        ),
    ))


def test_a_hostile_programme_name_never_pings_from_the_welcome(slack: SandboxedApp) -> None:
    slack.clock.set(datetime(2027, 2, 2, 15, 0, tzinfo=UTC))  # daytime in Copenhagen
    sandbox = slack.sandbox
    sandbox.add_user(user_id="UADMIN", name="admin", real_name="Admin", email="admin@example.org")
    sandbox.add_user(user_id="ULARS", name="lars", real_name="Lars", email="lars@firm.dk")
    sandbox.add_user(user_id="UANA", name="ana", real_name="Ana", email="ana@example.org")
    sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk", locale="da-DK")
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))

    response, _ = upload(slack, user_id="UADMIN", content=_hostile_workbook())
    assert response.status == 200
    slack.tick_and_deliver()

    welcomes = {user: sandbox.dm_messages(user) for user in ("UANA", "ULARS", "UMETTE")}
    assert all(len(messages) == 1 for messages in welcomes.values()), welcomes
    ana = welcomes["UANA"][0]
    # The notification text names the programme, escaped as in the blocks.
    assert ana["text"].startswith("Welcome to Career &lt;!channel&gt; &lt;!here&gt; &lt;@UHOSTILE&gt;")
    assert "AT&amp;T" in ana["text"]
    mette = welcomes["UMETTE"][0]
    assert "Career &lt;!channel&gt;" in mette["text"], "the coordinator's welcome too"
    # Bo is not in the workspace: the coordinators hear of it, the round's name escaped.
    (missing,) = [m for m in sandbox.messages_in("mentoring-coordinators") if "Bo" in str(m.get("blocks"))]
    assert "Spring &lt;!channel&gt;" in missing["text"]

    leaks = [
        f"{call.method} to {call.args.get('channel')} {where}: {found}"
        for call in sandbox.calls if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        for where, text in rendered_texts(text=call.args.get("text"), blocks=call.args.get("blocks"))
        if (found := live_sequences(str(text)))
    ]
    assert sandbox.calls_to("chat.postMessage"), "the upload was answered and the welcomes sent"
    assert leaks == []


def test_hostile_text_typed_after_a_command_is_never_echoed_live(slack: SandboxedApp) -> None:
    """Ephemeral answers echo what was typed (an unknown subcommand, a round or pair name that
    fits nothing, a date that does not parse); the echo is escaped in `text` and blocks."""
    slack.clock.set(datetime(2027, 2, 2, 15, 0, tzinfo=UTC))
    slack.sandbox.add_user(user_id="UADMIN", name="admin", real_name="Admin", email="admin@example.org")
    upload(slack, user_id="UADMIN", content=_hostile_workbook())
    slack.sandbox.add_user(user_id="UANA", name="ana", real_name="Ana", email="ana@example.org")
    slack.sandbox.add_user(user_id="USTRANGER", name="stranger", real_name="Stranger", email="x@elsewhere.org")
    slack.tick_and_deliver()
    typed = [
        ("UADMIN", "/mentoring-admin", HOSTILE),
        ("UADMIN", "/mentoring-admin", f"match {HOSTILE}"),
        ("UADMIN", "/mentoring-admin", f"end-pair {HOSTILE}"),
        ("UADMIN", "/mentoring-admin", f"attendance {HOSTILE}"),
        ("UADMIN", "/mentoring-admin", "status"),
        ("UANA", "/mentoring", HOSTILE),
        ("UANA", "/mentoring", f"pause {HOSTILE}"),
        ("UANA", "/log-session", HOSTILE),
        ("USTRANGER", "/mentoring", HOSTILE),
    ]
    before, views_before = len(slack.sandbox.response_posts), len(slack.sandbox.opened_views)
    for user, command, text in typed:
        assert slack.slash(user, command, text).status == 200
    answers = [body for _, body in slack.sandbox.response_posts[before:]]
    # The attendance modal opens: the typed text matches the hostile meeting title.
    views = slack.sandbox.opened_views[views_before:]
    assert len(answers) + len(views) == len(typed), "every command was answered, ephemerally or with a modal"
    leaks = [
        f"{where}: {found} in {text[:120]!r}"
        for surface in [*answers, *({"blocks": view.get("blocks")} for view in views)]
        for where, text in rendered_texts(text=surface.get("text"), blocks=surface.get("blocks"))
        if (found := live_sequences(str(text)))
    ]
    assert leaks == []
    assert any("&lt;!channel&gt;" in str(body.get("text")) for body in answers), "the typed text is echoed, escaped"
