"""`/mentoring-admin end-pair [name]` and `/mentoring-admin rematch [name]`: open the modal.

The router has already acknowledged and checked that the person is a coordinator. A
trigger id lives three seconds, so this does one small read and opens the modal; a name
that fits no pair (or several) is answered ephemerally instead, and nothing is stored.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.i18n import t
from bot.pairs.end import end_pair_form
from bot.slack.render.blocks import Message, section
from bot.slack.render.pair_end import end_pair_modal, form_refusal_message
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def _open(request: CommandRequest, *, rematch: bool) -> Message | None:
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        form = end_pair_form(
            session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
            admin_user_ids=deps.settings.admin_user_ids,
            query=request.argument, rematch=rematch, now=deps.clock.now(),
        )
    if form.refusal is not None:
        return form_refusal_message(form)
    try:
        request.client.views_open(trigger_id=request.command.get("trigger_id") or "", view=end_pair_modal(form))
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("could not open the end-pair modal for %s: %s", request.viewer.slack_user_id, exc)
        text = t("pairs.end.error.generic", form.language)
        return Message(text=text, blocks=[section(text)])
    return None


def end_pair_command(request: CommandRequest) -> Message | None:
    return _open(request, rematch=False)


def rematch_command(request: CommandRequest) -> Message | None:
    return _open(request, rematch=True)


__all__ = ["end_pair_command", "rematch_command"]
