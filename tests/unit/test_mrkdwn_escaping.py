"""No text a person or a workbook typed comes out live in anything the bot posts.

Slack reads `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<https://…|label>` in mrkdwn, in
blocks and in a message's `text` alike (the `text` is what notifications and screen readers
show), and it parses plain text too: bare URLs, `www.` and emails become links and `@here`,
`#general` become mentions unless the text object is `verbatim` and the message goes with
`parse: none`. So every builder in `bot/slack/render` is called here with one hostile string
(`HOSTILE_ALL`: both kinds) in *every* piece of free text it takes, in both languages,
through every branch an enum or a flag picks; and what the fake Slack's parser
(`bot/sandbox/_parsing.py`) finds live in the result, as it would be sent, must not come from
that text, nor may a bare `&` of it remain.

Builders are found, not listed: a new one in `bot/slack/render` is checked as soon as it
exists. Arguments are made by `tests/support/hostile_args.py` from the type hints.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import bot.slack.render
from bot.slack.render.blocks import Message
from bot.slack.render.imports import ImportReply
from storage.models import Role
from tests.support.hostile_args import DAY, TIMEZONE, Factory, _hints, builder_variants
from tests.support.mrkdwn import HOSTILE, message_leaks, view_leaks


def builders() -> list[Callable[..., Any]]:
    """Every public function in bot/slack/render that makes something Slack shows."""
    found: list[Callable[..., Any]] = []
    for module_info in pkgutil.iter_modules(bot.slack.render.__path__):
        module = importlib.import_module(f"bot.slack.render.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            returns = _hints(function).get("return")
            if returns in (Message, ImportReply) or name.endswith(("_view", "_modal")):
                found.append(function)
    return found


def leaks_in(result: Any) -> list[str]:
    """What Slack would make live from typed text in what a builder returned, as it is sent:
    a message with the arguments the bot posts it with, a view as it is opened or published."""
    if isinstance(result, ImportReply):
        result = result.message
    if isinstance(result, Message):
        return message_leaks(result.as_kwargs())
    return view_leaks(result)


def test_the_scan_finds_the_builders_of_every_area() -> None:
    names = {builder.__name__ for builder in builders()}
    assert {"welcome_message", "pair_intro_message", "review_message", "session_post", "home_view", "import_reply",
            "checkin_message", "meeting_reminder_message", "profile_saved_message", "end_pair_done_view",
            "goodbye_message", "help_message"} <= names


@pytest.mark.parametrize("builder", builders(), ids=lambda builder: f"{builder.__module__.rsplit('.', 1)[-1]}."
                                                                     f"{builder.__name__}")
def test_no_builder_lets_typed_text_ping_or_link(builder: Callable[..., Any]) -> None:
    leaks: dict[str, str] = {}  # one line per leak, with the first way to it
    checked = 0
    for variant in builder_variants(builder):
        arguments = Factory(variant).arguments(builder)
        checked += 1
        for leak in leaks_in(builder(**arguments)):
            leaks.setdefault(leak, f"{leak} ({variant.language}, {variant.slot}={variant.value!r}, "
                                   f"filled={variant.filled})")
    assert checked, f"{builder.__name__} was never called"
    assert not leaks, "\n".join(list(leaks.values())[:8])


def test_escaped_text_still_reads_as_written() -> None:
    """The check is not passed by dropping the text: the escaped form is there."""
    from bot.onboarding.notices import OnboardingFacts
    from bot.slack.render.onboarding import welcome_message

    facts = OnboardingFacts(participant_id=1, name=HOSTILE, role=Role.MENTEE, timezone=TIMEZONE,
                            programme=HOSTILE, round=HOSTILE, starts_on=DAY, ends_on=DAY, session_every_days=14)
    message = welcome_message(facts, language="en")
    assert "&lt;!channel&gt;" in message.text and "AT&amp;T" in message.text


def test_a_channel_name_made_from_hostile_names_carries_nothing_live() -> None:
    """Pair channels are named from the round and first names; Slack shows the name as
    `#name`, so it must stay within Slack's letters, digits, `-` and `_`, whatever was typed."""
    from bot.pairs.channel_names import is_valid_channel_name, pair_channel_name
    from bot.sandbox._parsing import live_in_mrkdwn
    from tests.support.mrkdwn import HOSTILE_ALL

    for attempt in (1, 2):
        name = pair_channel_name(round_name=HOSTILE_ALL, first_names=[HOSTILE_ALL, "@here"], attempt=attempt)
        assert is_valid_channel_name(name), name
        assert live_in_mrkdwn(name, verbatim=False) == [], name


def test_any_escaped_text_in_a_message_as_sent_makes_nothing_live() -> None:
    """Whatever a person types, once escaped and sent the way the bot sends (`verbatim`
    sections, `parse: none`), Slack finds no mention or link in it (hypothesis, 500 texts
    built from the characters and words Slack's parser reacts to)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.sandbox._parsing import live_in_message
    from bot.slack.render.blocks import section
    from bot.text import escape_mrkdwn

    pieces = st.sampled_from(["<", ">", "&", "!", "@", "#", "|", "^", "here", "channel", "everyone", "subteam",
                              "U123", "C123", "https://", "http://", "www.", "evil.example", "a@b.dk", "mailto:",
                              " ", "\n", "*", "_", "`", "lt;", "gt;", "amp;", "date^1|x"])

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.one_of(pieces, st.text(max_size=3)), max_size=30).map("".join))
    def check(typed: str) -> None:
        escaped = escape_mrkdwn(typed) or "-"
        message = Message(text=escaped, blocks=[section(escaped)])
        assert live_in_message(message.as_kwargs()) == [], typed

    check()
