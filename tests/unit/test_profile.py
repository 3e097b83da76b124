"""The profile: who may edit it, validation (nothing stored on any error), and the modal's shape."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from sqlalchemy.orm import Session

from bot.i18n import LANGUAGES, t
from bot.onboarding.profile import (
    ProfileAccess,
    ProfileForm,
    load_profile,
    resolve_time_zone,
    save_profile,
    split_list,
)
from bot.sandbox._blocks import validate_message_blocks, validate_view
from bot.slack.render.blocks import MODAL_TITLE_LIMIT, check_message_limits
from bot.slack.render.profile import (
    CALLBACK_ID,
    participant_id_from_button,
    participant_id_from_metadata,
    profile_access_message,
    profile_modal,
    profile_notice_view,
    profile_saved_message,
    read_profile_form,
)
from storage.models import Participant, Role, Round
from tests.factories import EPOCH, make_participant, make_round
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 2, 3, 10, 0, tzinfo=timezone.utc)
GOOD = ProfileForm(
    field="Marine biology", years_experience="6", languages="English, Portuguese", interests="oceans; policy",
    statement="A job in consulting", availability="Tuesdays", language="en", timezone="Europe/Copenhagen",
)


def _consented(session: Session, *, role: Role = Role.MENTEE, language: str = "en", slack_user_id: str = "UANA",
               round_: Round | None = None, email: str = "ana@example.org") -> Participant:
    round_ = round_ or make_round(session)
    person = make_participant(session, round_=round_, role=role, email=email, slack_user_id=slack_user_id,
                              language=language)
    person.welcome_sent_at, person.consented_at = EPOCH, EPOCH
    session.flush()
    return person


# --- access ---------------------------------------------------------------------------------

def test_a_consented_participant_gets_a_draft_prefilled_from_the_workbook(session: Session) -> None:
    ana = _consented(session)
    ana.field, ana.languages, ana.years_experience, ana.goals = "Biology", ["English"], 4, "A job"
    loaded = load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id)
    assert loaded.access is ProfileAccess.OK and loaded.draft is not None
    assert (loaded.draft.field, loaded.draft.languages, loaded.draft.years_experience) == ("Biology", ["English"], 4)
    assert loaded.draft.statement == "A job" and loaded.draft.statement_key == "goals"
    assert loaded.draft.timezone == "Europe/Copenhagen"


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda p: setattr(p, "consented_at", None), ProfileAccess.NOT_CONSENTED),
        (lambda p: setattr(p, "opted_out_at", EPOCH), ProfileAccess.OPTED_OUT),
    ],
)
def test_not_consented_and_opted_out_people_cannot_edit(session: Session, setup, expected) -> None:  # noqa: ANN001
    ana = _consented(session)
    setup(ana)
    loaded = load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA")
    assert loaded.access is expected and loaded.draft is None
    assert save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id, form=GOOD,
                        now=NOW).access is expected
    assert ana.profile_completed_at is None


def test_coordinators_strangers_and_other_peoples_buttons_are_refused(session: Session) -> None:
    round_ = make_round(session)
    mette = _consented(session, role=Role.COORDINATOR, slack_user_id="UMETTE", round_=round_, email="m@x.dk")
    ana = _consented(session, round_=round_)
    assert load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE").access is ProfileAccess.COORDINATOR
    assert load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UNOBODY").access is ProfileAccess.NOT_PARTICIPANT
    assert load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE",
                        participant_id=ana.id).access is ProfileAccess.NOT_YOURS
    refused = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", participant_id=ana.id, form=GOOD, now=NOW)
    assert refused.access is ProfileAccess.NOT_YOURS and ana.field is None
    assert save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", participant_id=mette.id, form=GOOD,
                        now=NOW).access is ProfileAccess.COORDINATOR


def test_a_company_contact_has_no_profile_to_open_or_save(session: Session) -> None:
    """Even consented (as after the company survey), a company contact is no participant."""
    hanne = _consented(session, role=Role.COMPANY_CONTACT, slack_user_id="UHANNE", email="hanne@pharma.dk")
    assert load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UHANNE").access is ProfileAccess.NOT_PARTICIPANT
    saved = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UHANNE", participant_id=hanne.id, form=GOOD, now=NOW)
    assert saved.access is ProfileAccess.NOT_PARTICIPANT and hanne.field is None and hanne.profile_completed_at is None


def test_a_person_in_several_rounds_edits_the_newest(session: Session) -> None:
    old_round = make_round(session, name="Autumn 2026", programme_name="Old programme")
    old_round.starts_on, old_round.ends_on = date(2026, 9, 1), date(2026, 12, 20)
    new_round = make_round(session, name="Spring 2027")
    old = _consented(session, round_=old_round)
    new = _consented(session, round_=new_round)
    loaded = load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=old.id)  # an old button
    assert loaded.draft is not None and loaded.draft.participant_id == new.id
    assert loaded.draft.round_name == "Spring 2027"


# --- validation and saving ------------------------------------------------------------------

def test_a_good_form_is_stored_whole_and_marks_the_profile_complete_once(session: Session) -> None:
    ana = _consented(session)
    result = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id, form=GOOD, now=NOW)
    assert result.ok and result.first_time and result.errors == {}
    assert (ana.field, ana.years_experience, ana.languages, ana.interests) == (
        "Marine biology", 6, ["English", "Portuguese"], ["oceans", "policy"])
    assert ana.goals == "A job in consulting" and ana.expertise is None
    assert ana.timezone == "Europe/Copenhagen" and ana.timezone_confirmed
    assert ana.profile_completed_at == NOW and ana.updated_at == NOW
    later = datetime(2027, 3, 1, tzinfo=timezone.utc)
    again = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id,
                         form=replace(GOOD, language="da", years_experience=""), now=later)
    assert again.ok and not again.first_time and again.language == "da"
    assert ana.profile_completed_at == NOW and ana.updated_at == later
    assert ana.language == "da" and ana.years_experience is None


def test_a_mentor_offers_expertise(session: Session) -> None:
    lars = _consented(session, role=Role.MENTOR, slack_user_id="ULARS", email="lars@x.dk")
    assert save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", participant_id=lars.id, form=GOOD, now=NOW).ok
    assert lars.expertise == "A job in consulting" and lars.goals is None


@pytest.mark.parametrize(
    ("changes", "block_id"),
    [
        ({"years_experience": "six"}, "years"),
        ({"years_experience": "61"}, "years"),
        ({"years_experience": "-1"}, "years"),
        ({"years_experience": "3.5"}, "years"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "  "}, "timezone"),
        ({"languages": " , ; "}, "languages"),
        ({"languages": "x" * 101}, "languages"),
        ({"field": ""}, "field"),
        ({"field": "x" * 201}, "field"),
        ({"statement": "x" * 2001}, "goals"),
        ({"statement": None}, "goals"),
        ({"availability": "x" * 2001}, "availability"),
        ({"interests": "x" * 2001}, "interests"),
        ({"language": "fr"}, "language"),
    ],
)
def test_each_bad_answer_is_named_under_its_box_and_nothing_is_stored(
    session: Session, changes: dict[str, str | None], block_id: str
) -> None:
    ana = _consented(session)
    result = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id,
                          form=replace(GOOD, **changes), now=NOW)
    assert not result.ok and set(result.errors) == {block_id}
    assert ana.field is None and ana.languages == [] and ana.profile_completed_at is None
    assert not ana.timezone_confirmed and ana.updated_at == EPOCH


def test_errors_come_in_the_participants_language_and_all_at_once(session: Session) -> None:
    ana = _consented(session, language="da")
    bad = replace(GOOD, years_experience="mange", timezone="Atlantis", languages="")
    result = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id, form=bad, now=NOW)
    assert result.errors == {
        "years": t("profile.error.years", "da", maximum=60),
        "timezone": t("profile.error.timezone_unknown", "da", typed="Atlantis"),
        "languages": t("profile.error.languages_empty", "da"),
    }
    assert result.errors["years"].startswith("Angiv et helt antal år")


def test_time_zones_are_found_by_any_case_or_city_and_never_guessed() -> None:
    assert resolve_time_zone("Europe/Copenhagen") == "Europe/Copenhagen"
    assert resolve_time_zone(" europe/copenhagen ") == "Europe/Copenhagen"
    assert resolve_time_zone("Copenhagen") == "Europe/Copenhagen"
    assert resolve_time_zone("new york") == "America/New_York"
    assert resolve_time_zone("UTC") == "UTC"
    assert resolve_time_zone("Mars/Olympus") is None
    assert resolve_time_zone("") is None
    assert resolve_time_zone("x" * 100) is None


def test_lists_split_on_commas_semicolons_and_lines_without_repeats() -> None:
    assert split_list("English, Portuguese;\n danish ,english,, ") == ["English", "Portuguese", "danish"]
    assert split_list(None) == []


# --- the modal and messages -----------------------------------------------------------------

def _draft(session: Session, *, language: str = "en", role: Role = Role.MENTEE):  # noqa: ANN202
    person = _consented(session, language=language, role=role)
    person.field, person.languages, person.interests = "Biology <b>", ["English", "Portuguese"], ["oceans"]
    person.years_experience, person.goals, person.expertise, person.availability = 4, "A job", "CVs", "Mondays"
    person.timezone_confirmed = True
    loaded = load_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA")
    assert loaded.draft is not None
    return loaded.draft


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_modal_is_prefilled_in_the_persons_language_and_within_slacks_limits(session: Session, language: str) -> None:
    draft = _draft(session, language=language)
    view = profile_modal(draft)
    assert validate_view(view, allowed_types=frozenset({"modal"})) == []
    assert view["callback_id"] == CALLBACK_ID == "profile.submit"
    assert participant_id_from_metadata(view["private_metadata"]) == draft.participant_id
    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= MODAL_TITLE_LIMIT
    inputs = {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}
    assert list(inputs) == ["field", "years", "languages", "interests", "goals", "availability", "language", "timezone"]
    assert inputs["field"]["label"]["text"] == t("profile.field.label", language)
    assert inputs["field"]["element"]["initial_value"] == "Biology <b>"
    assert inputs["years"]["element"]["initial_value"] == "4"
    assert inputs["languages"]["element"]["initial_value"] == "English, Portuguese"
    assert inputs["goals"]["element"]["initial_value"] == "A job"
    assert inputs["language"]["element"]["initial_option"]["value"] == language
    assert inputs["timezone"]["element"]["initial_value"] == "Europe/Copenhagen"
    assert inputs["timezone"]["hint"]["text"] == t("profile.timezone.hint.confirmed", language)
    assert all(block["element"]["action_id"] == block_id for block_id, block in inputs.items())


def test_a_mentors_modal_asks_for_expertise_and_round_names_are_escaped(session: Session) -> None:
    draft = replace(_draft(session, role=Role.MENTOR), round_name="<!channel> round")
    view = profile_modal(draft)
    block_ids = [block.get("block_id") for block in view["blocks"]]
    assert "expertise" in block_ids and "goals" not in block_ids
    assert "&lt;!channel&gt; round" in view["blocks"][0]["text"]["text"]
    assert "<!channel>" not in json.dumps(view)


def test_reading_the_form_takes_text_number_select_and_multi_select() -> None:
    form = read_profile_form({
        "field": {"field": {"type": "plain_text_input", "value": "Biology"}},
        "years": {"years": {"type": "number_input", "value": "7"}},
        "languages": {"languages": {"type": "multi_static_select",
                                    "selected_options": [{"value": "English"}, {"value": "Danish"}]}},
        "interests": {"interests": {"type": "plain_text_input", "value": None}},
        "expertise": {"expertise": {"type": "plain_text_input", "value": "CVs"}},
        "language": {"language": {"type": "static_select", "selected_option": {"value": "da"}}},
        "timezone": {"timezone": {"type": "plain_text_input", "value": "Europe/Copenhagen"}},
    })
    assert form == ProfileForm(field="Biology", years_experience="7", languages="English, Danish", interests=None,
                               statement="CVs", availability=None, language="da", timezone="Europe/Copenhagen")


def test_ids_from_buttons_and_metadata_are_checked() -> None:
    assert participant_id_from_button("42") == 42
    assert participant_id_from_button("42; drop") is None and participant_id_from_button(None) is None
    assert participant_id_from_metadata('{"participant_id": 7}') == 7
    assert participant_id_from_metadata('{"participant_id": "7"}') is None
    assert participant_id_from_metadata('{"participant_id": 9223372036854775808}') is None  # > bigint
    assert participant_id_from_metadata('{"participant_id": -1}') is None
    assert participant_id_from_metadata("nonsense") is None and participant_id_from_metadata("") is None


def test_the_confirmation_repeats_the_profile_escaped(session: Session) -> None:
    ana = _consented(session)
    form = replace(GOOD, field="<!channel> & biology", availability="<@U123> Mondays")
    result = save_profile(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", participant_id=ana.id, form=form, now=NOW)
    assert result.saved is not None
    message = profile_saved_message(saved=result.saved, first_time=True, language="en")
    check_message_limits(message.blocks)
    assert validate_message_blocks(message.blocks) == []
    dumped = json.dumps(message.blocks)
    assert "&lt;!channel&gt; &amp; biology" in dumped and "&lt;@U123&gt; Mondays" in dumped
    assert "<!channel>" not in dumped and "<@U123>" not in dumped
    assert "is saved" in message.text
    danish = profile_saved_message(saved=result.saved, first_time=False, language="da")
    assert "er opdateret" in danish.text and "Fagområde" in json.dumps(danish.blocks, ensure_ascii=False)


@pytest.mark.parametrize("access", [a for a in ProfileAccess if a is not ProfileAccess.OK])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_is_explained_in_both_languages(access: ProfileAccess, language: str) -> None:
    message = profile_access_message(access=access, language=language)
    assert message.text == t(f"profile.access.{access.value}", language)
    assert validate_view(profile_notice_view(access=access, language=language), allowed_types=frozenset({"modal"})) == []
