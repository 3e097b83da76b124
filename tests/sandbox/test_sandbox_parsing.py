"""The fake Slack's reading of what comes out live, on the examples Slack documents.

`bot/sandbox/_parsing.py` answers what real Slack would make a mention or a link; tests of
the bot trust it, so it is held here to Slack's documented behaviour: manual `<…>`
sequences are always live; a mrkdwn text object that is not `verbatim` also gets URLs linked,
conversation names link-ified and certain mentions parsed; a message's `text` gets bare
URLs linked unless `parse` is `none`, and names only with `link_names` or `parse: full`.
"""

from __future__ import annotations

from bot.sandbox._parsing import (
    live_in_call,
    live_in_message,
    live_in_mrkdwn,
    live_in_text,
    live_in_upload,
    live_in_view,
)


def _kinds(found: list) -> set[tuple[str, str, str]]:
    return {(live.kind, live.target, live.how) for live in found}


def test_manual_sequences_are_live_everywhere_and_escaped_ones_are_not() -> None:
    text = "<!channel> <!here> <!subteam^S1|@team> <@U1> <#C1|general> <https://x.example|x> <!date^1|d>"
    expected = {("special", "!channel", "manual"), ("special", "!here", "manual"),
                ("special", "!subteam^S1", "manual"), ("user", "U1", "manual"), ("channel", "C1", "manual"),
                ("link", "https://x.example", "manual")}
    assert _kinds(live_in_mrkdwn(text, verbatim=True)) == expected
    assert _kinds(live_in_text(text, parse="none")) == expected
    assert live_in_mrkdwn("&lt;!channel&gt; &lt;@U1&gt; AT&amp;T", verbatim=True) == []


def test_verbatim_stops_slacks_own_parsing_of_plain_text() -> None:
    plain = "see https://x.example/a and www.x.example, write a@x.example, ask @here in #general"
    assert live_in_mrkdwn(plain, verbatim=True) == []
    found = _kinds(live_in_mrkdwn(plain, verbatim=False))
    assert {("link", "https://x.example/a", "auto"), ("link", "www.x.example,", "auto"),
            ("link", "a@x.example", "auto"), ("special", "here", "auto"), ("channel", "general", "auto")} <= found


def test_message_text_links_bare_urls_unless_parse_none_and_names_only_when_asked() -> None:
    text = "Foo <!everyone> bar http://test.com and @bob in #general"
    assert _kinds(live_in_text(text)) == {("special", "!everyone", "manual"), ("link", "http://test.com", "auto")}
    assert _kinds(live_in_text(text, parse="none")) == {("special", "!everyone", "manual")}
    with_names = _kinds(live_in_text(text, link_names=1))
    assert {("user", "bob", "auto"), ("channel", "general", "auto")} <= with_names
    full = _kinds(live_in_text(text, parse="full"))  # the markup is shown as text, the rest linked
    assert ("special", "!everyone", "manual") not in full and ("link", "http://test.com", "auto") in full


def test_plain_text_objects_ids_and_values_are_never_read() -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "<!channel> https://x.example"}},
              {"type": "actions", "elements": [{"type": "button", "action_id": "<!here>", "value": "@here",
                                                "text": {"type": "plain_text", "text": "@channel"}}]},
              {"type": "section", "text": {"type": "mrkdwn", "text": "#general", "verbatim": True}}]
    assert live_in_message({"text": "x", "parse": "none", "blocks": blocks}) == []
    assert live_in_view({"type": "modal", "blocks": blocks}) == []
    assert live_in_call("views.publish", {"view": {"type": "home", "blocks": blocks}}) == []


def test_a_file_comment_is_read_as_message_text_without_parse() -> None:
    assert _kinds(live_in_upload({"initial_comment": "Spring https://x.example"})) == {
        ("link", "https://x.example", "auto")}
    assert live_in_call("conversations.create", {"name": "https-x-example"}) == []
