"""App Home and onboarding status: the data the service reads, and the blocks the builders make."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from bot.home.service import STEP_ORDER, build_home, coordinator_overview, status_for
from bot.onboarding.state import OnboardingStep
from bot.sandbox._blocks import validate_message_blocks, validate_view
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, SURFACE_BLOCK_LIMIT
from bot.slack.render.home import home_view, pack_lines, status_message
from storage.models import MeetingKind, Pair, PairStatus, Participant, Role, Round, SharedMeeting
from tests.factories import EPOCH, make_participant, make_round
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 2, 10, 9, 0, tzinfo=timezone.utc)


def _step(person: Participant, step: OnboardingStep) -> Participant:
    """Set the milestone columns so that `person` is at `step`."""
    if step is OnboardingStep.NOT_IN_SLACK:
        person.slack_user_id = None
        return person
    if step is OnboardingStep.AWAITING_WELCOME:
        return person
    person.welcome_sent_at = EPOCH
    if step is OnboardingStep.AWAITING_CONSENT:
        return person
    if step is OnboardingStep.DECLINED:
        person.opted_out_at = EPOCH + timedelta(days=3)
        return person
    person.consented_at = EPOCH + timedelta(days=1)
    if step is OnboardingStep.READY:
        person.profile_completed_at = EPOCH + timedelta(days=2)
    return person


def _person(session: Session, round_: Round, name: str, step: OnboardingStep, *, role: Role = Role.MENTEE,
            user: str | None = None, language: str = "en") -> Participant:
    person = make_participant(session, round_=round_, role=role, email=f"{name.lower().replace(' ', '.')}@x.org",
                              name=name, slack_user_id=user or f"U{name.upper().replace(' ', '')}", language=language)
    _step(person, step)
    session.flush()
    return person


@pytest.fixture
def round_(session: Session) -> Round:
    round_ = make_round(session)
    session.add_all([
        SharedMeeting(round=round_, kind=MeetingKind.CV_WORKSHOP, title="CV workshop",
                      starts_at=datetime(2027, 2, 4, 16, 0, tzinfo=timezone.utc)),
        SharedMeeting(round=round_, kind=MeetingKind.KICK_OFF, title="Kick-off & speed networking",
                      starts_at=datetime(2027, 3, 2, 16, 0, tzinfo=timezone.utc), location="City Hall <b>"),
        SharedMeeting(round=round_, kind=MeetingKind.MIDWAY, title="Midway meeting",
                      starts_at=datetime(2027, 4, 6, 15, 0, tzinfo=timezone.utc)),
    ])
    session.flush()
    return round_


# --- the service ----------------------------------------------------------------------------

def test_a_participant_sees_their_step_meetings_and_the_profile_button(session: Session, round_: Round) -> None:
    ana = _person(session, round_, "Ana", OnboardingStep.AWAITING_PROFILE, user="UANA")
    data = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW)
    assert data.enrolled and data.overview is None and data.timezone == "Europe/Copenhagen"
    (mine,) = data.participations
    assert (mine.participant_id, mine.step, mine.may_edit_profile) == (ana.id, OnboardingStep.AWAITING_PROFILE, True)
    assert [meeting.kind for meeting in mine.meetings] == [MeetingKind.CV_WORKSHOP, MeetingKind.KICK_OFF,
                                                           MeetingKind.MIDWAY]
    assert [meeting.is_past for meeting in mine.meetings] == [True, False, False]
    assert mine.partners == []


def test_a_matched_mentee_sees_her_mentor_and_their_channel(session: Session, round_: Round) -> None:
    ana = _person(session, round_, "Ana", OnboardingStep.READY, user="UANA")
    lars = _person(session, round_, "Lars", OnboardingStep.READY, role=Role.MENTOR, user="ULARS")
    session.add(Pair(round=round_, mentor=lars, mentee=ana, slack_channel_id="CPAIR", created_at=EPOCH,
                     published_at=EPOCH))
    ended = _person(session, round_, "Old Mentor", OnboardingStep.READY, role=Role.MENTOR)
    session.add(Pair(round=round_, mentor=ended, mentee=ana, status=PairStatus.ENDED, created_at=EPOCH))
    session.flush()
    (mine,) = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW).participations
    assert [(p.name, p.channel_id, p.role) for p in mine.partners] == [("Lars", "CPAIR", Role.MENTOR)]
    (his,) = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", now=NOW).participations
    assert [p.name for p in his.partners] == ["Ana"]


def test_someone_who_declined_sees_no_meetings_and_no_button(session: Session, round_: Round) -> None:
    _person(session, round_, "Ana", OnboardingStep.DECLINED, user="UANA")
    (mine,) = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW).participations
    assert mine.step is OnboardingStep.DECLINED and not mine.may_edit_profile and mine.meetings == []


def test_a_stranger_is_not_enrolled(session: Session) -> None:
    data = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UNOBODY", now=NOW)
    assert not data.enrolled and data.participations == [] and data.overview is None


def test_a_strangers_home_says_why_and_whom_to_ask_like_the_commands_do(session: Session, round_: Round) -> None:
    _person(session, round_, "Mette", OnboardingStep.READY, role=Role.COORDINATOR, user="UMETTE", language="da")
    data = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UNOBODY", now=NOW)
    assert data.contacts == ("UMETTE",)
    text = json.dumps(home_view(data)["blocks"], ensure_ascii=False)
    assert "not part of a mentoring programme in this workspace yet" in text
    assert "different email address" in text  # why that may be
    assert "<@UMETTE>" in text  # whom to ask


def test_coordinators_get_counts_per_step_and_the_stuck_list_in_order(session: Session, round_: Round) -> None:
    _person(session, round_, "Mette", OnboardingStep.READY, role=Role.COORDINATOR, user="UMETTE", language="da")
    for name, step, role in [
        ("Zoe", OnboardingStep.AWAITING_PROFILE, Role.MENTEE),
        ("Bo", OnboardingStep.AWAITING_CONSENT, Role.MENTOR),
        ("Ghost", OnboardingStep.NOT_IN_SLACK, Role.MENTEE),
        ("Dan", OnboardingStep.DECLINED, Role.MENTEE),
        ("Eve", OnboardingStep.AWAITING_WELCOME, Role.MENTEE),
        ("Ana", OnboardingStep.READY, Role.MENTEE),
        ("Lars", OnboardingStep.READY, Role.MENTOR),
    ]:
        _person(session, round_, name, step, role=role)
    data = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW)
    assert data.language == "da" and data.participations == [] and data.overview is not None
    (status,) = data.overview.rounds
    assert list(status.counts) == list(STEP_ORDER)
    assert status.counts == {
        OnboardingStep.NOT_IN_SLACK: 1, OnboardingStep.AWAITING_WELCOME: 1, OnboardingStep.AWAITING_CONSENT: 1,
        OnboardingStep.DECLINED: 1, OnboardingStep.AWAITING_PROFILE: 1, OnboardingStep.READY: 2,
    }
    assert status.total == 7 and status.ready == 2  # the coordinator is not counted
    assert status.counts_by_role[OnboardingStep.READY] == {Role.MENTEE: 1, Role.MENTOR: 1}
    assert [(p.name, p.step) for p in status.stuck] == [
        ("Ghost", OnboardingStep.NOT_IN_SLACK), ("Bo", OnboardingStep.AWAITING_CONSENT),
        ("Zoe", OnboardingStep.AWAITING_PROFILE), ("Dan", OnboardingStep.DECLINED),
    ]
    assert status.next_meeting is not None and status.next_meeting.kind is MeetingKind.KICK_OFF


def test_coordinators_see_only_their_running_rounds_and_admins_see_all(session: Session, round_: Round) -> None:
    _person(session, round_, "Mette", OnboardingStep.READY, role=Role.COORDINATOR, user="UMETTE")
    other = make_round(session, name="Autumn 2027", programme_name="Business Mentoring")
    other.starts_on, other.ends_on = date(2027, 9, 1), date(2027, 12, 20)
    finished = make_round(session, name="Autumn 2025", programme_name="Old")
    finished.starts_on, finished.ends_on = date(2025, 9, 1), date(2025, 12, 20)
    session.flush()
    mine = coordinator_overview(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW)
    assert [status.round_name for status in mine.rounds] == ["Spring 2027"]
    admin = coordinator_overview(session, workspace=ONE_WORKSPACE, slack_user_id="UADMIN", admin_user_ids={"UADMIN"}, now=NOW)
    assert [status.round_name for status in admin.rounds] == ["Autumn 2027", "Spring 2027"]
    later = coordinator_overview(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=datetime(2028, 1, 5,
                                                                                                        tzinfo=timezone.utc))
    assert [status.round_name for status in later.rounds] == ["Spring 2027"]  # the newest, although ended
    assert coordinator_overview(session, workspace=ONE_WORKSPACE, slack_user_id="UNOBODY", now=NOW).rounds == []
    capped = coordinator_overview(session, workspace=ONE_WORKSPACE, slack_user_id="UADMIN", admin_user_ids={"UADMIN"},
                                  now=NOW, max_rounds=1)
    assert len(capped.rounds) == 1 and capped.more_rounds == 1


def test_status_for_gives_the_same_overview_in_the_coordinators_language(session: Session, round_: Round) -> None:
    _person(session, round_, "Mette", OnboardingStep.READY, role=Role.COORDINATOR, user="UMETTE", language="da")
    _person(session, round_, "Ana", OnboardingStep.AWAITING_CONSENT)
    report = status_for(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW)
    assert report.language == "da" and report.timezone == "Europe/Copenhagen"
    assert report.overview == build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW).overview


def test_company_contacts_are_not_counted_stuck_or_shown_as_participants(session: Session, round_: Round) -> None:
    """In Slack or not, a company contact is no participant: not in the counts or the stuck
    list, and their own Home tab says what the bot will ask them, not "you are in no round"."""
    _person(session, round_, "Mette", OnboardingStep.READY, role=Role.COORDINATOR, user="UMETTE")
    _person(session, round_, "Ana", OnboardingStep.AWAITING_CONSENT)
    hanne = _person(session, round_, "Hanne", OnboardingStep.AWAITING_WELCOME, role=Role.COMPANY_CONTACT)
    hanne.company = "Lyngby <!channel> Pharma"
    _person(session, round_, "Lone", OnboardingStep.NOT_IN_SLACK, role=Role.COMPANY_CONTACT)
    session.flush()
    (status,) = status_for(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW).overview.rounds
    assert status.total == 1 and [person.name for person in status.stuck] == ["Ana"]
    assert sum(status.counts.values()) == 1

    data = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UHANNE", now=NOW)
    assert data.participations == [] and data.overview is None and data.contacts == ()
    assert data.company_contact is not None and data.company_contact.company == "Lyngby <!channel> Pharma"
    text = json.dumps(home_view(data)["blocks"], ensure_ascii=False)
    assert "contact at Lyngby &lt;!channel&gt; Pharma" in text and "survey" in text
    assert "not part of a mentoring programme" not in text


# --- the builders ---------------------------------------------------------------------------

def _texts(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_the_participant_home_names_the_step_meetings_in_their_zone_and_the_button(session: Session,
                                                                                  round_: Round) -> None:
    ana = _person(session, round_, "Ana", OnboardingStep.AWAITING_PROFILE, user="UANA")
    ana.timezone = "America/Sao_Paulo"
    view = home_view(build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW))
    assert validate_view(view, allowed_types=frozenset({"home"})) == []
    text = _texts(view["blocks"])
    assert "Awaiting profile" in text and "Fill in my profile" in text
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("profile.open", str(ana.id))]
    assert "2 March 2027 at 13:00" in text  # 16:00 UTC in São Paulo
    assert "Kick-off (Kick-off &amp; speed networking)" in text and "City Hall &lt;b&gt;" in text
    assert "Already held: CV workshop" in text and "America/Sao_Paulo" in text


def test_the_danish_home_uses_the_programmes_words(session: Session, round_: Round) -> None:
    ana = _person(session, round_, "Ana", OnboardingStep.READY, user="UANA", language="da")
    lars = _person(session, round_, "Lars <!here>", OnboardingStep.READY, role=Role.MENTOR)
    session.add(Pair(round=round_, mentor=lars, mentee=ana, created_at=EPOCH, published_at=EPOCH))
    session.flush()
    view = home_view(build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW))
    text = _texts(view["blocks"])
    assert "Mentorprogram" in text and "Du er *mentee* i dette forløb." in text
    assert "Din mentor" in text and "Lars &lt;!here&gt;" in text and "<!here>" not in text
    assert "parkanal" in text and "Fællesmøder" in text and "Midtvejsmøde" in text
    assert "2. marts 2027 kl. 17.00" in text and "Ret min profil" in text


def test_a_stranger_sees_a_friendly_explanation() -> None:
    from bot.home.service import HomeData

    view = home_view(HomeData(language="en", timezone="Europe/Copenhagen"))
    assert "not part of a mentoring programme in this workspace yet" in _texts(view["blocks"])


def test_two_hundred_stuck_people_still_fit_the_home_tab_and_the_status_message(session: Session,
                                                                                round_: Round) -> None:
    _person(session, round_, "Mette", OnboardingStep.READY, role=Role.COORDINATOR, user="UMETTE")
    steps = [OnboardingStep.NOT_IN_SLACK, OnboardingStep.AWAITING_CONSENT, OnboardingStep.AWAITING_PROFILE,
             OnboardingStep.DECLINED]
    for index in range(200):
        person = _person(session, round_, f"Person {index:03d} " + "<long> " * 26, steps[index % 4],
                         user=f"UP{index:03d}")
        person.email = f"{'x' * 250}{index}@example.org"
        person.onboarding_reminders_sent = 2
    session.flush()
    data = build_home(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW)
    view = home_view(data)
    assert validate_view(view, allowed_types=frozenset({"home"})) == []
    assert len(view["blocks"]) <= SURFACE_BLOCK_LIMIT
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section" and "text" in b]
    assert all(len(text) <= SECTION_TEXT_LIMIT for text in sections)
    text = _texts(view["blocks"])
    assert "Stuck (200)" in text and "and " in text and " more" in text
    assert "<long>" not in text and "&lt;long&gt;" in text

    report = status_for(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", now=NOW)
    message = status_message(overview=report.overview, language="en", timezone=report.timezone)
    assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT and validate_message_blocks(message.blocks) == []
    assert "Spring 2027: 0 of 200 ready, 200 stuck" in message.text


def test_the_and_n_more_count_is_exact() -> None:
    from bot.home.service import StuckPerson
    from bot.slack.render.home import _stuck_blocks

    people = [StuckPerson(name=f"P{index}", role=Role.MENTEE, step=OnboardingStep.AWAITING_PROFILE, email="e",
                          since=None, reminders_sent=0) for index in range(30)]
    blocks = _stuck_blocks(people, language="en", max_lines=25)
    text = "\n".join(block["text"]["text"] for block in blocks)
    assert text.count("• ") == 25 and text.endswith("… and 5 more")
    assert "Nobody is stuck" in _texts(_stuck_blocks([], language="en", max_lines=25))


def test_packing_lines_respects_the_limits() -> None:
    chunks, used = pack_lines(["a" * 1000] * 10, max_sections=2, limit=2500)
    assert used == 4 and len(chunks) == 2 and all(len(chunk) <= 2500 for chunk in chunks)
    chunks, used = pack_lines(["short"] * 3, max_sections=2)
    assert chunks == ["short\nshort\nshort"] and used == 3


def test_many_rounds_are_capped_with_a_note(session: Session) -> None:
    for index in range(8):
        make_round(session, name=f"Round {index}", programme_name=f"Programme {index}")
    overview = coordinator_overview(session, workspace=ONE_WORKSPACE, slack_user_id="UADMIN", admin_user_ids={"UADMIN"}, now=NOW)
    assert len(overview.rounds) == 5 and overview.more_rounds == 3
    message = status_message(overview=overview, language="da", timezone="Europe/Copenhagen")
    assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT
    assert "Yderligere 3 igangværende forløb vises ikke her." in _texts(message.blocks)


def test_a_coordinator_without_rounds_is_told_where_they_will_appear() -> None:
    from bot.home.service import CoordinatorOverview

    empty = status_message(overview=CoordinatorOverview(rounds=[]), language="en", timezone="Europe/Copenhagen")
    assert empty.text == "Onboarding status"
    assert "You don't coordinate any rounds yet" in _texts(empty.blocks)
