"""Many workspaces (issue 13): the app installed through OAuth, end to end over HTTP.

The real WSGI app under waitress in OAuth mode (SLACK_CLIENT_ID, no SLACK_BOT_TOKEN) against
the sandbox with two workspaces, each with its own bot token and people: GET /slack/install
redirects to Slack's authorize page with a state, /slack/oauth_redirect stores the
installation, signed requests from each team are answered with that team's token, the
outbox sends each row with its workspace's token, and an uninstall stops that workspace
only, until it installs again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, func, select

from bot.clock import FixedClock
from bot.core.workspace import UNINSTALLED, sending_stopped
from bot.sandbox.driver import SlackDriver
from bot.sandbox.harness import OAUTH_CLIENT_ID, SIGNING_SECRET, SandboxedApp
from bot.sandbox.server import SlackSandbox
from bot.slack.web import EVENTS_PATH
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, Participant, WorkspaceStatus, slack_bots, slack_installations
from tests.factories import make_participant, make_round
from tests.support.oauth import get, install, start_install
from tests.support.workspaces import move_programme

ALPHA = "T0SANDBOX"  # the sandbox's own workspace
BETA = "T0BETA"


@pytest.fixture
def app(engine: Engine, scenario_clock: FixedClock) -> Iterator[SandboxedApp]:
    # Alice and Birgit may run /mentoring-admin before any round names them (MENTORBOT_ADMINS).
    with SandboxedApp(engine=engine, clock=scenario_clock, oauth=True,
                      admin_user_ids=("UALICE", "UBIRGIT")) as sandboxed:
        sandboxed.sandbox.add_user(user_id="UALICE", name="alice", email="alice@alpha.example")
        beta = sandboxed.sandbox.add_workspace(team_id=BETA, team_name="Beta & Co")
        beta.add_user(user_id="UBIRGIT", name="birgit", email="birgit@beta.example", locale="da-DK")
        yield sandboxed


def _beta(app: SandboxedApp) -> SlackSandbox:
    return app.sandbox.workspace(BETA)


def _bot_tokens(app: SandboxedApp) -> dict[str, str]:
    with app.runtime.engine.connect() as connection:
        rows = connection.execute(select(slack_bots.c.team_id, slack_bots.c.bot_token)).all()
    return {str(team): str(token) for team, token in rows if team}


def _queue(app: SandboxedApp, *, key: str, team_id: str, channel: str) -> None:
    now = app.clock.now()
    with unit_of_work(app.runtime.session_factory) as session:
        session.add(OutboxMessage(dedup_key=key, team_id=team_id, method="chat.postMessage", target=channel,
                                  payload={"channel": channel, "text": f"message {key}"}, not_before=now,
                                  created_at=now))


def _row(app: SandboxedApp, key: str) -> OutboxMessage:
    with unit_of_work(app.runtime.session_factory) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == key)).one()
        session.expunge(row)
        return row


def _texts(sandbox: SlackSandbox, user_id: str) -> list[str]:
    return [str(message.get("text")) for message in sandbox.dm_messages(user_id)]


def test_install_redirects_to_slacks_authorize_page_with_a_state_and_a_cookie(app: SandboxedApp) -> None:
    authorize_url, state, cookie = start_install(app)
    parts = urlsplit(authorize_url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{app.sandbox.root_url}/oauth/v2/authorize"
    assert query["client_id"] == [OAUTH_CLIENT_ID]
    assert {"commands", "chat:write", "users:read.email", "groups:write"} <= set(query["scope"][0].split(","))
    assert cookie == f"slack-app-oauth-state={state}"
    assert _bot_tokens(app) == {}


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(app: SandboxedApp) -> None:
    beta = _beta(app)
    alpha_install = install(app, team_id=ALPHA, user_id="UALICE")
    assert alpha_install.callback.status == 200, alpha_install.callback
    assert _bot_tokens(app) == {ALPHA: app.sandbox.bot_token}
    # The installer hears what to do next, in their workspace, with its token.
    [welcome] = _texts(app.sandbox, "UALICE")
    assert "Thanks for installing Mentorbot in Sandbox" in welcome and "/mentoring-admin template" in welcome
    assert beta.calls_to("chat.postMessage") == []

    # A signed command from alpha: Bolt authorizes it from alpha's installation, and the
    # listener's Web API calls (the workbook template uploaded to Alice's DM) go out with
    # alpha's token: the sandbox answers a call in the workspace its token belongs to.
    app.sandbox.reset_calls()
    assert app.slash("UALICE", "/mentoring-admin", "template").ok
    assert app.sandbox.calls_to("files.completeUploadExternal")
    assert beta.calls == []

    # Beta is not installed yet: its command is not authorized, and nothing reaches Slack for it.
    beta_driver = app.driver_for(beta)
    beta_driver.slash_command(user_id="UBIRGIT", command="/mentoring-admin", text="template")
    app.settle()
    assert beta.calls == []

    beta_install = install(app, team_id=BETA, user_id="UBIRGIT")
    assert beta_install.callback.status == 200
    assert _bot_tokens(app) == {ALPHA: app.sandbox.bot_token, BETA: beta.bot_token}
    assert beta.bot_token != app.sandbox.bot_token
    [velkommen] = _texts(beta, "UBIRGIT")
    assert "Tak fordi du installerede Mentorbot i Beta &amp; Co" in velkommen  # Birgit's locale is Danish

    app.sandbox.reset_calls()
    beta.reset_calls()
    assert beta_driver.slash_command(user_id="UBIRGIT", command="/mentoring-admin", text="template").ok
    assert beta_driver.app_home_opened(user_id="UBIRGIT").ok
    app.settle()
    assert beta.calls_to("files.completeUploadExternal") and beta.published_home("UBIRGIT") is not None
    assert app.sandbox.calls == []  # alpha's Slack saw nothing of beta's requests


def test_the_outbox_sends_each_row_with_its_workspaces_token_and_an_uninstall_stops_only_that_one(
    app: SandboxedApp,
) -> None:
    beta = _beta(app)
    install(app, team_id=ALPHA, user_id="UALICE")
    install(app, team_id=BETA, user_id="UBIRGIT")
    _queue(app, key="alpha:1", team_id=ALPHA, channel="UALICE")
    _queue(app, key="beta:1", team_id=BETA, channel="UBIRGIT")
    _queue(app, key="gone:1", team_id="T0NEVER", channel="UNOBODY")
    report = app.deliver()
    assert (report.sent, report.failed) == (2, 1)
    assert "message alpha:1" in _texts(app.sandbox, "UALICE")
    assert "message beta:1" in _texts(beta, "UBIRGIT")
    assert "message beta:1" not in _texts(app.sandbox, "UALICE")
    gone = _row(app, "gone:1")
    assert gone.state is OutboxState.FAILED
    assert gone.last_error == "no installation for workspace T0NEVER: the app must be installed there"

    # Beta uninstalls: Slack revokes its token and sends app_uninstalled.
    old_beta_token = beta.bot_token
    beta.revoke_token()
    assert app.driver_for(beta).event({"type": "app_uninstalled"}).ok
    app.settle()
    with unit_of_work(app.runtime.session_factory) as session:
        stopped = sending_stopped(session, team_id=BETA)
        assert stopped is not None and stopped.because == UNINSTALLED
        assert session.get(WorkspaceStatus, ALPHA) is None
    assert set(_bot_tokens(app)) == {ALPHA}  # beta's installation is gone

    _queue(app, key="alpha:2", team_id=ALPHA, channel="UALICE")
    _queue(app, key="beta:2", team_id=BETA, channel="UBIRGIT")
    beta.reset_calls()
    report = app.deliver()
    assert (report.sent, report.failed) == (1, 0)
    assert "message alpha:2" in _texts(app.sandbox, "UALICE")
    assert beta.calls == []  # nothing called with beta's dead token
    parked = _row(app, "beta:2")
    assert (parked.state, parked.attempts) == (OutboxState.PENDING, 0)  # not even claimed

    # The worker's re-check: no installation, so beta stays stopped (and Slack is not asked).
    app.clock.set(app.clock.now() + timedelta(minutes=10))
    app.runtime.workspace_guard.probe_if_due()
    with unit_of_work(app.runtime.session_factory) as session:
        assert sending_stopped(session, team_id=BETA) is not None
    assert beta.calls == []

    # Installed again: a new token, sending resumes, and the parked row goes with the new token.
    install(app, team_id=BETA, user_id="UBIRGIT")
    assert beta.bot_token != old_beta_token
    assert _bot_tokens(app)[BETA] == beta.bot_token
    install(app, team_id=BETA, user_id="UBIRGIT")  # installed once more: still one bot row, the latest
    with app.runtime.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(slack_bots).where(slack_bots.c.team_id == BETA)) == 1
        # Only the bot's row is kept: nothing names the installer (no slack_installations row).
        assert connection.scalar(select(func.count()).select_from(slack_installations)) == 0
    with unit_of_work(app.runtime.session_factory) as session:
        assert sending_stopped(session, team_id=BETA) is None
    report = app.deliver()
    assert report.sent == 1
    assert "message beta:2" in _texts(beta, "UBIRGIT")


def test_a_dead_token_found_by_the_deliverer_stops_its_workspace_only(app: SandboxedApp) -> None:
    beta = _beta(app)
    install(app, team_id=ALPHA, user_id="UALICE")
    install(app, team_id=BETA, user_id="UBIRGIT")
    beta.revoke_token("invalid_auth")  # no event: only the refused call tells
    _queue(app, key="beta:dead", team_id=BETA, channel="UBIRGIT")
    _queue(app, key="alpha:alive", team_id=ALPHA, channel="UALICE")
    report = app.deliver()
    assert report.sent == 1 and "message alpha:alive" in _texts(app.sandbox, "UALICE")
    assert _row(app, "beta:dead").state is OutboxState.PENDING
    with unit_of_work(app.runtime.session_factory) as session:
        assert sending_stopped(session, team_id=BETA) is not None
        assert session.get(WorkspaceStatus, ALPHA) is None
    # The token works again (restored in Slack): the worker's auth.test re-check resumes beta.
    beta.reinstall()
    app.clock.set(app.clock.now() + timedelta(minutes=10))
    app.runtime.workspace_guard.probe_if_due()
    assert app.deliver().sent == 1
    assert "message beta:dead" in _texts(beta, "UBIRGIT")


def test_a_callback_without_the_browsers_cookie_or_with_a_forged_state_installs_nothing(app: SandboxedApp) -> None:
    authorize_url, state, cookie = start_install(app)
    redirect = app.sandbox.approve_install(authorize_url, team_id=ALPHA, user_id="UALICE")
    assert get(redirect).status == 400  # another browser: no state cookie
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    raw, _, _signature = state.rpartition(".")
    forged = f"{raw}.{'0' * 32}"
    answer = get(f"{app.server.url}/slack/oauth_redirect?code={code}&state={forged}",
                 cookie=f"slack-app-oauth-state={forged}")
    assert answer.status == 401
    assert _bot_tokens(app) == {}
    assert app.sandbox.calls_to("oauth.v2.access") == []
    # The genuine one still works once, and only once.
    assert get(redirect, cookie=cookie).status == 200
    assert get(redirect, cookie=cookie).status == 401
    assert set(_bot_tokens(app)) == {ALPHA}


def test_the_tick_looks_people_up_in_their_own_workspace_with_its_token(app: SandboxedApp) -> None:
    beta = _beta(app)
    with unit_of_work(app.runtime.session_factory) as session:
        alpha_round = make_round(session, programme_name="Alpha mentoring")
        beta_round = make_round(session, programme_name="Beta mentoring")
        move_programme(session, programme_id=alpha_round.programme_id, team_id=ALPHA)
        move_programme(session, programme_id=beta_round.programme_id, team_id=BETA)
        make_participant(session, round_=alpha_round, email="alice@alpha.example", name="Alice")
        make_participant(session, round_=beta_round, email="birgit@beta.example", name="Birgit")
        # Alice's email in beta's programme: she is not in beta's Slack, so beta never finds her.
        stray = make_participant(session, round_=beta_round, email="alice@alpha.example", name="Alice B").id
    install(app, team_id=ALPHA, user_id="UALICE")
    app.tick()  # beta is not installed yet: its people wait
    with unit_of_work(app.runtime.session_factory) as session:
        found = dict(session.execute(select(Participant.email, Participant.slack_user_id)
                                     .where(Participant.slack_user_id.is_not(None))).all())
    assert found == {"alice@alpha.example": "UALICE"}
    assert beta.calls == []
    install(app, team_id=BETA, user_id="UBIRGIT")
    beta.reset_calls()
    app.sandbox.reset_calls()
    app.tick()
    with unit_of_work(app.runtime.session_factory) as session:
        left_alone = session.get(Participant, stray)
        assert left_alone is not None and left_alone.slack_user_id is None
        birgit = session.scalars(select(Participant).where(Participant.email == "birgit@beta.example")).one()
        assert birgit.slack_user_id == "UBIRGIT"
    looked_up = sorted(str(call.args.get("email")) for call in beta.calls_to("users.lookupByEmail"))
    assert looked_up == ["alice@alpha.example", "birgit@beta.example"]
    assert app.sandbox.calls_to("users.lookupByEmail") == []  # alpha's were found on the first tick


def test_an_uninstall_delivered_after_the_workspace_installed_again_keeps_the_new_installation(
    app: SandboxedApp,
) -> None:
    beta = _beta(app)
    install(app, team_id=BETA, user_id="UBIRGIT")
    # Slack retries an event for minutes: this app_uninstalled was written two minutes ago,
    # before the install above, and arrives only now.
    late = SlackDriver(app_url=f"{app.server.url}{EVENTS_PATH}", signing_secret=SIGNING_SECRET, sandbox=beta,
                       team_id=BETA, clock=lambda: time.time() - 120)
    assert late.event({"type": "app_uninstalled"}).ok
    app.settle()
    assert _bot_tokens(app) == {BETA: beta.bot_token}
    with unit_of_work(app.runtime.session_factory) as session:
        assert sending_stopped(session, team_id=BETA) is None
    _queue(app, key="beta:after", team_id=BETA, channel="UBIRGIT")
    assert app.deliver().sent == 1


def test_slack_out_of_reach_during_the_code_exchange_shows_the_failure_page_not_a_500(app: SandboxedApp) -> None:
    """Bolt catches only Slack's API errors there; a lost answer used to be a traceback and a 500."""
    authorize_url, _state, cookie = start_install(app)
    redirect = app.sandbox.approve_install(authorize_url, team_id=ALPHA, user_id="UALICE")
    app.sandbox.lose_next_answer("oauth.v2.access")
    answer = get(redirect, cookie=cookie)
    assert 400 <= answer.status < 500
    assert _bot_tokens(app) == {}
    # Starting again from /slack/install works.
    authorize_url, _state, cookie = start_install(app)
    assert get(app.sandbox.approve_install(authorize_url, team_id=ALPHA, user_id="UALICE"), cookie=cookie).status == 200
    assert set(_bot_tokens(app)) == {ALPHA}
