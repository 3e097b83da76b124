"""Rules every layer relies on: catalogs, escaping, Block Kit limits, settings, layering, schema."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel import Locale

from bot.core.commands import COMMANDS, commands_for, split_subcommand, suggest
from bot.core.numbers import whole_number
from bot.core.people import Viewer
from bot.i18n import (
    CATALOG_DIR,
    LANGUAGES,
    TEXT,
    babel_locale,
    catalog,
    entry_texts,
    format_day,
    normalise_language,
    placeholders,
    plural_forms,
    t,
)
from bot.settings import Settings, SettingsError
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, check_message_limits, section
from bot.slack.render.help import help_message, not_a_coordinator_message, unknown_subcommand_message
from bot.slack.web import payload_problem
from bot.text import escape_mrkdwn
from storage.models import Base, Role
from tests.support.workspaces import ONE_WORKSPACE

ROOT = Path(__file__).resolve().parents[2]


# --- catalogs -------------------------------------------------------------------------------

def test_every_catalog_area_has_the_same_keys_and_placeholders_in_both_languages() -> None:
    areas = sorted({path.name.split(".")[0] for path in CATALOG_DIR.glob("*.json")})
    assert "core" in areas
    for area in areas:
        english = json.loads((CATALOG_DIR / f"{area}.en.json").read_text(encoding="utf-8"))
        danish = json.loads((CATALOG_DIR / f"{area}.da.json").read_text(encoding="utf-8"))
        assert english.keys() == danish.keys(), f"{area}: keys differ"
        for key in english:
            assert placeholders(english[key]) == placeholders(danish[key]), f"{area}:{key} placeholders differ"
            assert all(text.strip() for text in entry_texts(danish[key])), f"{area}:{key} is empty in Danish"


# "mentee(s)", "plads(er)", "ledig(e)", "time(r)", "mentor/er": the reader deserves the real word.
PSEUDO_PLURAL = re.compile(r"[^\W\d_](\((?:s|es|e|er|r|n|en|ne|erne|ene)\)|/(?:s|es|e|er|r|en|ne|erne)\b)", re.IGNORECASE)


def test_no_catalog_entry_writes_a_pseudo_plural() -> None:
    assert PSEUDO_PLURAL.search("{count} mentee(s)") and PSEUDO_PLURAL.search("ledig(e) plads(er)")
    assert not PSEUDO_PLURAL.search("(mentees: {mentees}, mentors: {mentors})")
    found = [f"{language}:{key}: {text}" for language in LANGUAGES for key, entry in catalog(language).items()
             for text in entry_texts(entry) if PSEUDO_PLURAL.search(text)]
    assert not found, "write plural forms instead:\n" + "\n".join(found)


def test_plural_entries_give_exactly_the_forms_each_language_has() -> None:
    for language in LANGUAGES:
        needed = set(Locale.parse(babel_locale(language)).plural_form.tags) | {"other"}
        for key, entry in catalog(language).items():
            if isinstance(entry, str):
                continue
            forms_by_number = plural_forms(entry)
            assert forms_by_number, f"{language}:{key} is an object without plural forms"
            if TEXT in entry:
                assert set(entry) == {TEXT, *forms_by_number}, f"{language}:{key} has a part that is not a plural"
                sentence = placeholders(str(entry[TEXT]))
                assert set(forms_by_number) <= sentence, f"{language}:{key} names a number its sentence never shows"
            for number, forms in forms_by_number.items():
                assert set(forms) == needed, f"{language}:{key}:{number} has forms {sorted(forms)}, needs {sorted(needed)}"


def test_the_plural_form_follows_the_number_and_the_language() -> None:
    assert t("sessions.list.introductions", "en", count=1) == "1 introduction"
    assert t("sessions.list.introductions", "en", count=3) == "3 introductions"
    assert t("sessions.list.introductions", "en", count=0) == "0 introductions"
    assert t("sessions.list.introductions", "da", count=1) == "1 introduktion"
    assert t("sessions.list.introductions", "da", count=2) == "2 introduktioner"
    # A matching snapshot stores its numbers as text; each number agrees with its own noun.
    one = t("matching.spare.more_places_than_mentees", "en", name="Ann", spare="1", mentees="1", places="2")
    assert one == "Ann has 1 place free: every mentee has a mentor (1 mentee, 2 mentor places)."
    many = t("matching.spare.more_places_than_mentees", "da", name="Ann", spare="3", mentees="2", places="5")
    assert many == "Ann har 3 ledige pladser: alle mentees har en mentor (2 mentees, 5 mentorpladser)."
    # Danish "par" does not change; English "pair" does, so only English has forms here.
    assert t("match.confirm.title", "en", pairs=1) == "Publish 1 pair?"
    assert t("match.confirm.title", "da", pairs=1) == "Offentliggør 1 par?"
    # A round may set 1:1 sessions every day: "1 day", "hver dag", never "1 days".
    assert "it is 1 day since" in t("nudges.checkin.question", "en", mentor="A", mentee="B", days=1, since="x")
    assert "det er 14 dage siden" in t("nudges.checkin.question", "da", mentor="A", mentee="B", days=14, since="x")
    assert "Cirka hver dag holder" in t("onboarding.role_details.mentor", "da", days=1)
    assert "About every 14 days you" in t("onboarding.role_details.mentor", "en", days=14)
    # Not a number (an old snapshot): the form every language has, never an exception.
    assert t("sessions.list.introductions", "en", count="some") == "some introductions"
    with pytest.raises(KeyError, match="count"):
        t("sessions.list.introductions", "en")


def test_merged_catalogs_load_without_duplicate_keys() -> None:
    for language in LANGUAGES:
        assert catalog(language)


def test_every_command_usage_and_description_is_in_the_catalogs() -> None:
    for info in COMMANDS:
        for language in LANGUAGES:
            assert info.usage_key in catalog(language)
            assert info.description_key in catalog(language)


def test_language_normalising_and_danish_dates() -> None:
    assert normalise_language("da-DK") == "da"
    assert normalise_language("en_US") == "en"
    assert normalise_language("fr") == "en"
    assert normalise_language(None) == "en"
    from datetime import date

    assert format_day(date(2026, 12, 2), "da") == "2. december 2026"
    assert format_day(date(2026, 12, 2), "en") == "2 December 2026"
    assert t("help.intro", "da").startswith("Det kan du")


# --- escaping and limits --------------------------------------------------------------------

def test_user_text_cannot_ping_or_link() -> None:
    assert escape_mrkdwn("<!channel> & <@U123> <https://x|y>") == "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;"


def test_unknown_subcommand_echo_is_escaped() -> None:
    viewer = Viewer(workspace=ONE_WORKSPACE, slack_user_id="U1", language="en", roles=frozenset(), participant_ids=())
    message = unknown_subcommand_message(
        command="/mentoring", typed="<!here>", suggestion=None, commands=commands_for(viewer), language="en",
        is_coordinator=False,
    )
    assert "<!here>" not in json.dumps(message.blocks)
    assert "&lt;!here&gt;" in message.blocks[0]["text"]["text"]


def test_section_text_is_cut_to_slacks_limit_and_block_count_is_checked() -> None:
    assert len(section("x" * 5000)["text"]["text"]) == 3000
    with pytest.raises(ValueError, match="at most 50"):
        check_message_limits([section("x")] * (MESSAGE_BLOCK_LIMIT + 1))
    with pytest.raises(ValueError, match="block_id"):
        check_message_limits([section("a", block_id="same"), section("b", block_id="same")])


def test_help_shows_admin_commands_to_coordinators_only() -> None:
    participant = Viewer(workspace=ONE_WORKSPACE, slack_user_id="U1", language="en", roles=frozenset({Role.MENTEE}),
                         participant_ids=(1,))
    coordinator = Viewer(workspace=ONE_WORKSPACE, slack_user_id="U2", language="da", roles=frozenset({Role.COORDINATOR}),
                         participant_ids=(2,))
    participant_text = json.dumps(help_message(commands=commands_for(participant), language="en", is_coordinator=False).blocks)
    coordinator_message = help_message(commands=commands_for(coordinator), language="da", is_coordinator=True)
    assert "/mentoring help" in participant_text and "/mentoring-admin" not in participant_text
    assert "/mentoring-admin help" in json.dumps(coordinator_message.blocks)
    assert coordinator_message.text == t("help.intro", "da")
    check_message_limits(coordinator_message.blocks)
    assert "coordinators" in not_a_coordinator_message(language="en").text


def test_subcommand_parsing_and_suggestions() -> None:
    assert split_subcommand("") == ("help", "")
    assert split_subcommand("  Profile  Lisbeth  ") == ("profile", "Lisbeth")
    assert suggest("hlep", ["help", "profile"]) == "help"
    assert suggest("zzz", ["help"]) is None


# --- payload shapes -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"type": "event_callback", "event_id": "Ev1"}, "without an event"),
        ({"type": "event_callback", "event_id": "Ev1", "event": "app_home_opened"}, "without an event"),
        ({"type": "event_callback", "event_id": "Ev1", "event": {"user": "U1"}}, "with a type"),
        ({"type": "block_actions", "user": {"id": "U1"}}, "actions"),
        ({"type": "block_actions", "user": {"id": "U1"}, "actions": []}, "actions"),
        ({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"value": "1"}]}, "action_id"),
        ({"type": "block_actions", "actions": [{"action_id": "a"}]}, "user.id"),
        ({"type": "view_submission", "user": {"id": "U1"}, "view": {}}, "type and a callback_id"),
        ({"type": "view_submission", "user": {"id": "U1"}, "view": {"callback_id": "c"}}, "type and a callback_id"),
        ({"type": "view_closed", "user": {"id": "U1"}, "view": "c"}, "type and a callback_id"),
        ({"type": "view_submission", "user": {"id": "U1"}, "view": {"type": "modal", "callback_id": "c", "state": []}},
         "state"),
        ({"command": "/mentoring"}, "user_id"),
        ({"command": "/mentoring", "user_id": ""}, "user_id"),
    ],
)
def test_payloads_bolt_would_trip_over_are_named(body: dict[str, object], reason: str) -> None:
    # Was parse_slack_body (bot/payloads.py). Parsing is now Bolt's (a body it cannot read is a
    # 400 at the endpoint); a JSON type, form or command nobody handles is Bolt's 404.
    problem = payload_problem(body)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("where", ["message", "container", "channel", "view"])
def test_a_click_whose_origin_is_not_an_object_is_named(where: str) -> None:
    # Found by the fuzzing: a pulse click whose "message" was 1 raised in the survey listener.
    click = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a", "value": "1"}]}
    assert payload_problem({**click, where: {}}) is None
    problem = payload_problem({**click, where: 1})
    assert problem is not None and where in problem


def test_well_formed_payloads_pass() -> None:
    command = {"command": "/mentoring", "user_id": "U1", "text": "", "response_url": "https://hooks.slack.com/commands/T1/1/x"}
    assert payload_problem(command) is None
    # Slack always sends one, and every command answers on it.
    assert payload_problem({key: value for key, value in command.items() if key != "response_url"}) is not None
    event = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_home_opened"}}
    assert payload_problem(event) is None
    # A modal without inputs: Slack sends "state": {}.
    view = {"type": "modal", "callback_id": "profile.submit", "state": {}}
    assert payload_problem({"type": "view_submission", "user": {"id": "U1"}, "view": view}) is None
    assert payload_problem({"type": "url_verification", "challenge": "x"}) is None


# --- settings -------------------------------------------------------------------------------

def test_settings_defaults_and_errors() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///mentorbot.db"
    assert settings.port == 3000 and settings.slack_api_base_url == "https://slack.com/api/"
    assert Settings.from_env({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql+psycopg://u@h/db"
    assert Settings.from_env({"MENTORBOT_ADMINS": "U1, U2,"}).admin_user_ids == {"U1", "U2"}
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})
    with pytest.raises(SettingsError, match="missing SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET: create the Slack app"):
        settings.require_slack(socket_mode=False)
    with pytest.raises(SettingsError, match="missing SLACK_APP_TOKEN"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack(socket_mode=True)
    with pytest.raises(SettingsError, match="xoxb-"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}).require_slack(socket_mode=False)
    Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_slack(socket_mode=True)


# --- layering and schema --------------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_storage_imports_nothing_above_it() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        upward = {name for name in _imports(path) if name.split(".")[0] in {"bot", "handlers", "scheduling"}}
        assert not upward, f"{path.relative_to(ROOT)} imports {upward}"


def test_migrations_match_the_models(engine) -> None:  # noqa: ANN001
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), (" 12 ", 12), (7, 7), ("\u00b2", None), ("\u0661", None), ("-1", None), ("1.5", None), ("", None),
     (None, None), (True, None), ("9" * 20, None), (2**63, None), (str(2**63 - 1), 2**63 - 1)],
)
def test_a_whole_number_is_ascii_digits_a_database_can_hold(text: object, expected: int | None) -> None:
    assert whole_number(text) == expected
