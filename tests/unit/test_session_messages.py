"""Block Kit for 1:1 sessions: content in both languages, escaping, and Slack's limits."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.home.service import build_home
from bot.i18n import LANGUAGES
from bot.sandbox._blocks import validate_message_blocks, validate_view
from bot.sessions.parser import TOPICS, ParseIssue, ParseProblem
from bot.sessions.service import (
    DURATION,
    HELD_ON,
    NOTES,
    Change,
    LogForm,
    LogOutcome,
    LogStatus,
    PairChoice,
    PairSessions,
    Refusal,
    SessionDraft,
    SessionListing,
    SessionView,
)
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, MODAL_TITLE_LIMIT, check_message_limits
from bot.slack.render.home import home_view
from bot.slack.render.sessions import (
    CONFIRM_PATTERN,
    DELETE_PATTERN,
    EDIT_PATTERN,
    LOG_OPEN_ACTION_ID,
    LOG_OPEN_PATTERN,
    change_reply,
    format_duration,
    log_metadata,
    log_modal,
    log_open_button,
    notice_view,
    outcome_message,
    read_log_form,
    read_metadata,
    session_id_from_action,
    session_post,
    session_removed_post,
    sessions_list_message,
)
from storage.models import Pair, PairStatus, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.support.workspaces import ONE_WORKSPACE


def _view(**overrides: object) -> SessionView:
    values: dict[str, object] = {
        "session_id": 7, "pair_id": 3, "held_on": date(2027, 2, 1), "duration_minutes": 90,
        "topics": ("cv", "networking"), "introductions_made": 2, "notes": "Talk to <!channel> & *Novo*\nline two",
        "author_name": "Ana", "author_user_id": "UANA", "partner_name": "Lars <b>", "partner_user_id": None,
        "confirmed": False, "channel_id": "CPAIR", "message_ts": "1.2", "language": "en",
    }
    values.update(overrides)
    return SessionView(**values)  # type: ignore[arg-type]


def _text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _action_ids(blocks: list[dict]) -> list[str]:
    ids = [element["action_id"] for block in blocks for element in block.get("elements", [])
           if isinstance(element, dict) and "action_id" in element]
    return ids + [block["accessory"]["action_id"] for block in blocks if "accessory" in block]


def test_durations_read_naturally_in_both_languages() -> None:
    assert [format_duration(minutes, "en") for minutes in (45, 60, 90, 480)] == ["45 min", "1 h", "1 h 30 min", "8 h"]
    assert [format_duration(minutes, "da") for minutes in (45, 60, 90)] == ["45 min.", "1 t.", "1 t. 30 min."]


def test_the_pair_channel_post_escapes_notes_and_offers_the_three_buttons() -> None:
    message = session_post(_view())
    check_message_limits(message.blocks)
    assert validate_message_blocks(message.blocks) == []
    text = _text(message.blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; *Novo*" in text
    assert "Lars &lt;b&gt;, were you there too?" in text  # no Slack id: the escaped name
    assert "*Topics:* CV, Networking" in text and "*Duration:* 1 h 30 min" in text and "Introductions made" in text
    assert ">line two" in text
    assert _action_ids(message.blocks) == ["session.confirm.7", "session.edit.7", "session.delete.7"]
    assert all(CONFIRM_PATTERN.match(i) or EDIT_PATTERN.match(i) or DELETE_PATTERN.match(i)
               for i in _action_ids(message.blocks))
    delete = message.blocks[-1]["elements"][-1]
    assert delete["style"] == "danger" and delete["confirm"]["title"]["text"] == "Delete this session?"
    assert message.text == "Ana logged a 1:1 session on 1 February 2027 (1 h 30 min)."


def test_a_confirmed_post_drops_the_button_and_a_danish_pair_reads_danish() -> None:
    message = session_post(_view(confirmed=True, partner_user_id="ULARS", language="da", introductions_made=0))
    text = _text(message.blocks)
    assert "Bekræftet af <@ULARS>" in text and "har registreret et 1:1-møde" in text
    assert "*Emner:* CV, Netværk" in text and "Introduktioner" not in text
    assert _action_ids(message.blocks) == ["session.edit.7", "session.delete.7"]
    assert message.blocks[-1]["elements"][0]["text"]["text"] == "Ret"


def test_notes_stay_out_of_the_channel_when_coordinators_sit_in_it() -> None:
    text = _text(session_post(_view(notes_in_channel=False)).blocks)
    assert "Novo" not in text and "/mentoring sessions" in text


def test_removal_and_change_notices() -> None:
    removed = session_removed_post(_view(), removed_by="UANA")
    assert validate_message_blocks(removed.blocks) == [] and _action_ids(removed.blocks) == []
    assert "deleted by <@UANA>" in removed.text
    reply = change_reply(_view(), (Change(HELD_ON, date(2027, 1, 31), date(2027, 2, 1)), Change(DURATION, 45, 90),
                                   Change(NOTES, "a", "<!here>")), editor_user_id="UANA")
    assert "Date 31 January 2027 → 1 February 2027" in reply.text and "Duration 45 min → 1 h 30 min" in reply.text
    assert "notes updated" in reply.text and "here" not in reply.text  # the notes themselves are not repeated


def _form(language: str = "en", **overrides: object) -> LogForm:
    values: dict[str, object] = {"language": language, "today": date(2027, 2, 2), "pairs": (), "pair_id": 3,
                                 "session_id": None, "draft": SessionDraft()}
    values.update(overrides)
    return LogForm(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("editing", [False, True])
def test_the_modal_keeps_to_slacks_limits_in_both_languages(language: str, editing: bool) -> None:
    view = log_modal(_form(language, session_id=9 if editing else None))
    assert validate_view(view, allowed_types=frozenset({"modal"})) == []
    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= MODAL_TITLE_LIMIT
    block_ids = [block["block_id"] for block in view["blocks"] if "block_id" in block]
    assert block_ids == ["held_on", "duration", "topics", "introductions", "notes"]
    assert len(set(_action_ids(view["blocks"]) + [b["element"]["action_id"] for b in view["blocks"]
                                                   if b["type"] == "input"])) == 5
    assert read_metadata(view["private_metadata"]) == (3, 9 if editing else None)


def test_the_modal_is_prefilled_and_names_its_doubts_escaped() -> None:
    draft = SessionDraft(held_on=date(2027, 1, 29), duration_minutes=45, topics=("language", "cv"),
                         introductions_made=1, notes="<!here> notes",
                         problems=(ParseProblem(ParseIssue.AMBIGUOUS_DATE, "<@U1>"),
                                   ParseProblem(ParseIssue.MISSING_DURATION)))
    choices = (PairChoice(pair_id=3, partner_name="Ana", partner_role=Role.MENTEE, round_name="Spring"),
               PairChoice(pair_id=4, partner_name="Zoe", partner_role=Role.MENTEE, round_name="Spring"))
    view = log_modal(_form("da", draft=draft, pairs=choices, pair_id=None))
    assert validate_view(view, allowed_types=frozenset({"modal"})) == []
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert view["blocks"][0]["type"] == "context"
    doubts = view["blocks"][0]["elements"][0]["text"]
    assert "&lt;@U1&gt;" in doubts and "<@U1>" not in doubts and "hvor længe I mødtes" in doubts
    assert [o["value"] for o in blocks["pair"]["element"]["options"]] == ["3", "4"]
    assert blocks["held_on"]["element"]["initial_date"] == "2027-01-29"
    assert blocks["duration"]["element"]["initial_value"] == "45"
    assert [o["value"] for o in blocks["topics"]["element"]["initial_options"]] == ["cv", "language"]
    assert [o["value"] for o in blocks["topics"]["element"]["options"]] == list(TOPICS)
    assert blocks["introductions"]["element"]["initial_value"] == "1"
    assert blocks["notes"]["element"]["initial_value"] == "<!here> notes"  # a text box shows text as typed
    assert view["title"]["text"] == "Registrér 1:1-møde"


def test_an_empty_draft_defaults_the_date_to_today() -> None:
    blocks = {b.get("block_id"): b for b in log_modal(_form()).get("blocks")}
    assert blocks["held_on"]["element"]["initial_date"] == "2027-02-02"
    assert "initial_value" not in blocks["duration"]["element"]


def test_the_submitted_state_is_read_back() -> None:
    state: dict[str, dict[str, Any]] = {
        "pair": {"pair": {"type": "static_select", "selected_option": {"value": "4"}}},
        "held_on": {"held_on": {"type": "datepicker", "selected_date": "2027-02-01"}},
        "duration": {"duration": {"type": "plain_text_input", "value": "1h30"}},
        "topics": {"topics": {"type": "checkboxes", "selected_options": [{"value": "cv"}, {"value": "other"}]}},
        "introductions": {"introductions": {"type": "number_input", "value": "2"}},
        "notes": {"notes": {"type": "plain_text_input", "value": None}},
    }
    values = read_log_form(state)
    assert (values.pair, values.held_on, values.duration, values.topics, values.introductions, values.notes) == (
        "4", "2027-02-01", "1h30", ("cv", "other"), "2", None)
    assert read_log_form({}).pair is None and read_log_form({}).topics == ()


def test_metadata_that_is_not_ours_is_refused() -> None:
    assert read_metadata(log_metadata(pair_id=None, session_id=5)) == (None, 5)
    for bad in ("", "x", "[]", '{"pair_id": 1}', '{"pair_id": "1", "session_id": null}',
                '{"pair_id": true, "session_id": null}'):
        assert read_metadata(bad) is None


def test_buttons_carry_their_ids() -> None:
    button = log_open_button(language="da", pair_id=3)
    assert (button["action_id"], button["value"], button["text"]["text"]) == (LOG_OPEN_ACTION_ID, "3",
                                                                              "Registrér et møde")
    assert LOG_OPEN_PATTERN.match("session.log.open.12") and not LOG_OPEN_PATTERN.match("session.log.opener")
    with pytest.raises(ValueError):
        log_open_button(language="en", pair_id=3, action_id="checkin.yes")
    assert session_id_from_action({"action_id": "session.edit.7", "value": "7"}) == 7
    assert session_id_from_action({"action_id": "session.edit.7"}) == 7
    assert session_id_from_action({"action_id": "session.edit", "value": "x"}) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_answer_renders_in_both_languages(language: str) -> None:
    view = _view(language=language)
    for status in LogStatus:
        if status in (LogStatus.NEEDS_FORM,):
            continue
        outcome = LogOutcome(status=status, language=language, session=view, refusal=Refusal.NOT_AUTHOR,
                             errors={HELD_ON: "x <b>"}, differs=True)
        message = outcome_message(outcome)
        check_message_limits(message.blocks)
        assert message.text.strip()
    for refusal in Refusal:
        assert outcome_message(LogOutcome(status=LogStatus.REFUSED, language=language, refusal=refusal)).text
    assert validate_view(notice_view(text="x", language=language), allowed_types=frozenset({"modal"})) == []


def test_the_list_shows_edit_and_delete_on_the_viewers_own_sessions_only_and_fits() -> None:
    mine = [_view(session_id=i, author_user_id="UANA") for i in range(1, 9)]
    theirs = [_view(session_id=i, author_user_id="ULARS", author_name="Lars", confirmed=True) for i in range(9, 16)]
    groups = [PairSessions(pair_id=3, partner_name="Lars <b>", status=PairStatus.ACTIVE, sessions=mine + theirs,
                           more=4)]
    groups += [PairSessions(pair_id=n, partner_name=f"Old {n}", status=PairStatus.ENDED, sessions=[], more=0)
               for n in range(10, 17)]
    listing = SessionListing(language="en", viewer_participant_ids=(1,), viewer_user_id="UANA", groups=groups,
                             active_pair_id=3)
    message = sessions_list_message(listing)
    assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT
    assert validate_message_blocks(message.blocks) == []
    ids = _action_ids(message.blocks)
    assert "session.edit.1" in ids and "session.delete.8" in ids and "session.edit.9" not in ids
    assert ids[-1] == LOG_OPEN_ACTION_ID
    text = _text(message.blocks)
    assert "With Lars &lt;b&gt;" in text and "…and 4 older sessions." in text and "ended" in text
    assert "…and 3 earlier pairs." in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text


def test_the_home_tab_offers_log_a_session_to_someone_in_an_active_pair(session: Session) -> None:
    round_ = make_round(session)
    ana = make_participant(session, round_=round_, email="ana@x.org", name="Ana", slack_user_id="UANA")
    lars = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@x.dk", name="Lars",
                            slack_user_id="ULARS")
    for person in (ana, lars):
        person.welcome_sent_at = person.consented_at = person.profile_completed_at = EPOCH
    pair = Pair(round=round_, mentor=lars, mentee=ana, slack_channel_id="CPAIR", created_at=EPOCH, published_at=EPOCH)
    session.add(pair)
    session.flush()
    now = datetime(2027, 2, 10, 9, 0, tzinfo=timezone.utc)
    view = home_view(build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=now))
    assert validate_view(view, allowed_types=frozenset({"home"})) == []
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert (f"{LOG_OPEN_ACTION_ID}.{ana.id}", str(pair.id)) in [(b["action_id"], b["value"]) for b in buttons]
    pair.status = PairStatus.PAUSED
    session.flush()
    view = home_view(build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=now))
    assert not any(b["accessory"]["action_id"].startswith("session.") for b in view["blocks"] if "accessory" in b)
