from __future__ import annotations

import re

from slack_bolt import App

from handlers.ack_first import ack_first
from handlers.events.app_home_opened import handle_app_home_opened
from handlers.events.direct_message import handle_direct_message, is_direct_message
from handlers.events.other import handle_other_event
from handlers.events.team_join import handle_team_join
from handlers.events.user_change import handle_user_change
from handlers.events.workbook_upload import handle_workbook_upload
from handlers.events.workspace import handle_app_uninstalled, handle_tokens_revoked


def register(app: App) -> None:
    app.event("app_home_opened")(ack_first(handle_app_home_opened))
    app.event("user_change")(ack_first(handle_user_change))
    app.event("team_join")(ack_first(handle_team_join))
    # Bolt lets these two past authorization (the token is gone); acknowledged and recorded.
    app.event("app_uninstalled")(ack_first(handle_app_uninstalled))
    app.event("tokens_revoked")(ack_first(handle_tokens_revoked))
    # message.im: a file shared in the bot's DM may be a coordinator's round workbook.
    app.event({"type": "message", "subtype": "file_share"}, matchers=[is_direct_message])(ack_first(handle_workbook_upload))
    # Bolt runs only the first matching listener: this catch-all for other DM messages
    # (acknowledged, never answered) must stay after every more specific DM listener.
    app.event("message", matchers=[is_direct_message])(ack_first(handle_direct_message))
    # Last of all: any other event is acknowledged (Bolt would answer 404 and Slack redeliver it).
    app.event(re.compile(r".+"))(ack_first(handle_other_event))
