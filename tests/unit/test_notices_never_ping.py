"""Every kind of notice, drawn as the deliverer sends it, with hostile text in every fact.

The outbox stores a notice's facts and `bot/slack/notices.py` draws them just before they
go. Here each registered facts class (`bot.core.notices.registered_facts`, so a new kind is
covered the day it is declared) is filled with `HOSTILE_ALL` in every free-text field (names,
programme and round names, titles, places, notes, comments, reasons), in both languages and
through every enum branch; it makes the trip through the stored JSON form, and the Web API
call it becomes must make nothing live that the text brought: no mention, no link, in the
blocks or in the notification `text`, as the fake Slack's parser reads it with the
arguments sent (`verbatim`, `parse`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.core.notices import NOTICE_METHOD, decode_facts, encode_facts, registered_facts
from bot.slack.notices import to_slack_call
from tests.support.hostile_args import Factory, facts_variants
from tests.support.mrkdwn import LEGIT_CHANNEL, message_leaks

#: The bot's own kinds (other tests register throwaway facts classes of their own).
KINDS = sorted((name, cls) for name, cls in registered_facts().items() if cls.__module__.startswith("bot."))


def _call(facts: Any, language: str) -> tuple[str, dict[str, Any]]:
    payload = {"channel": LEGIT_CHANNEL, "language": language, **encode_facts(facts)}
    return to_slack_call(NOTICE_METHOD, payload)


def test_every_notice_kind_is_checked() -> None:
    assert len(KINDS) >= 25, [name for name, _ in KINDS]


@pytest.mark.parametrize(("kind", "cls"), KINDS, ids=[name for name, _ in KINDS])
def test_no_notice_lets_typed_text_ping_or_link(kind: str, cls: type) -> None:
    leaks: dict[str, str] = {}
    escaped_seen = False
    for variant in facts_variants(cls):
        facts = Factory(variant).dataclass(cls)
        assert decode_facts(encode_facts(facts)) == facts, "hostile text survives the stored form unchanged"
        method, args = _call(facts, variant.language)
        assert method == "chat.postMessage"
        assert args.get("parse") == "none" and "link_names" not in args, "Slack must not parse the plain text"
        escaped_seen = escaped_seen or "&lt;!channel&gt;" in str(args)
        for leak in message_leaks(args):
            leaks.setdefault(leak, f"{leak} ({variant.language}, {variant.slot}={variant.value!r}, "
                                   f"filled={variant.filled})")
    assert not leaks, "\n".join(list(leaks.values())[:8])
    has_text = any("str" in str(field.type) for field in dataclasses.fields(cls))
    if has_text:
        assert escaped_seen or kind in NO_TYPED_TEXT_SHOWN, f"{kind}: no hostile text was drawn at all"


#: Kinds whose text fields are ids, zones or codes the renderer never shows as words.
NO_TYPED_TEXT_SHOWN: frozenset[str] = frozenset()
