"""A fake Slack for demos and tests: a Web API that answers as Slack does, and a driver
that sends the bot signed requests shaped as Slack sends them.

It ships inside the package because ``mentorbot demo`` runs a whole round against it, and
the tests import the same code, so the demo and the suite can never disagree about what
"Slack" does. Only the standard library is used.

    with SlackSandbox() as slack:
        slack.add_user(user_id="U1", name="ana", email="ana@example.org")
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        driver = SlackDriver(app_url=app_url, signing_secret=secret, sandbox=slack)
        driver.slash_command(user_id="U1", command="/mentor")
        assert slack.opened_views  # the app answered with views.open
"""

from __future__ import annotations

from .driver import DriverResponse, SlackDriver
from .server import RecordedCall, SlackSandbox

__all__ = ["DriverResponse", "RecordedCall", "SlackDriver", "SlackSandbox"]
