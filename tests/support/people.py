"""The two people most scenario requests come from, in the sandbox's Slack and in the database."""

from __future__ import annotations

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Role
from tests.factories import make_participant, make_round


def ana_and_mette(slack: SandboxedApp) -> None:
    """Ana, a mentee, and Mette, a Danish-speaking coordinator, of one round, both in Slack."""
    slack.sandbox.add_user(user_id="UANA", name="ana", real_name="Ana Souza", email="ana@example.org")
    slack.sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session)
        make_participant(session, round_=round_, role=Role.MENTEE, email="ana@example.org", slack_user_id="UANA")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk",
                         slack_user_id="UMETTE", language="da")
