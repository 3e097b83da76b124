""""Handled" under an item of the coordinators' weekly digest: record it (for the round's
coordinators only, and only while the item is as it was drawn), then redraw the posted
message with that item marked; otherwise explain to the clicker alone and change nothing.

Registered with `coordinators_only`; whether the clicker coordinates *this* round, and
whether the item is still current, is the service's check."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.digest.service import HandledStatus, mark_handled
from bot.slack.render.digest import handled_refusal_message, mark_block_handled, parse_handled_value
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_digest_handled(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: Logger,
) -> None:
    ack()
    deps = deps_from(context)
    viewer = viewer_from(context)
    parsed = parse_handled_value(action.get("value"))
    if parsed is None:
        explain(client=client, body=body, respond=respond, logger=logger,
                message=handled_refusal_message(language=viewer.language, reason=HandledStatus.STALE.value))
        return
    round_id, key, fingerprint = parsed
    with unit_of_work(deps.session_factory) as session:
        outcome = mark_handled(session, workspace=viewer.workspace, round_id=round_id, key=key, fingerprint=fingerprint,
                               slack_user_id=viewer.slack_user_id, admin_user_ids=deps.settings.admin_user_ids,
                               now=deps.clock.now())
    if not outcome.recorded:
        explain(client=client, body=body, respond=respond, logger=logger,
                message=handled_refusal_message(language=viewer.language, reason=outcome.status.value))
        return
    logger.info("digest item %s of round %s marked handled by %s", key, round_id, viewer.slack_user_id)
    message = body.get("message") or {}
    channel_id = (body.get("channel") or {}).get("id")
    message_ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
    blocks = message.get("blocks")
    if not (channel_id and message_ts and isinstance(blocks, list)):
        return  # an ephemeral digest (the command): nothing posted to redraw
    try:
        client.chat_update(channel=channel_id, ts=message_ts, text=str(message.get("text") or ""), parse="none",
                           blocks=mark_block_handled(blocks, key=key, user_id=viewer.slack_user_id,
                                                     language=viewer.language))
    except SlackApiError as error:
        logger.warning("could not redraw the digest after a click by %s: %s", viewer.slack_user_id,
                       error.response.get("error"))
