"""Who is asking is resolved once per request, by the middleware; coordinator-only listeners are
guarded by listener middleware, and nothing else looks a person up in the handler layer."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from bot.container import Deps
from bot.core.people import identify
from bot.sandbox.harness import SandboxedApp
from handlers import middleware
from handlers.actions.digest_handled import handle_digest_handled
from handlers.actions.erase_confirm import handle_erase_confirm
from handlers.actions.match_publish import handle_match_publish
from handlers.actions.match_review import handle_match_review
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.context import VIEWER_KEY
from handlers.middleware import coordinators_only
from handlers.views.attendance_submit import handle_attendance_submit
from handlers.views.outcome_company_submit import handle_company_answer_submit
from handlers.views.outcome_submit import handle_admin_outcome_submit
from handlers.views.pair_end_submit import handle_end_pair_submit
from storage.db import unit_of_work
from storage.models import Participant, Role
from tests.factories import make_participant, make_round
from tests.support.handlers import FakeClient, Recorder, bolt_context, registered_middleware
from tests.support.workspaces import ONE_WORKSPACE

ROOT = Path(__file__).resolve().parents[2]
COORDINATOR_ONLY = {handle_mentoring_admin, handle_match_review, handle_match_publish, handle_end_pair_submit,
                    handle_attendance_submit, handle_admin_outcome_submit, handle_company_answer_submit,
                    handle_digest_handled, handle_erase_confirm}


def _people(session_factory: Any) -> None:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        make_participant(session, round_=round_, role=Role.MENTEE, email="ana@x.org", slack_user_id="UANA")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@x.dk", slack_user_id="UMETTE",
                         language="da")


# --- the wiring -----------------------------------------------------------------------------

def test_exactly_the_coordinator_only_listeners_are_guarded() -> None:
    guarded = {listener for listener, chain in registered_middleware().items() if coordinators_only in chain}
    assert guarded == COORDINATOR_ONLY
    assert all(chain == [coordinators_only] for listener, chain in registered_middleware().items()
               if listener in COORDINATOR_ONLY)


def test_no_listener_looks_the_person_up_itself() -> None:
    """`identify` and `coordinated_round_ids` are the domain's rules; in the handler layer only
    the middleware calls them (once per request), and listeners read `viewer_from(context)`."""
    lookups = {"identify", "coordinated_round_ids", "load_viewer"}
    offenders = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        if path.name == "middleware.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = {alias.name for alias in node.names} if isinstance(node, ast.ImportFrom) else set()
            called = {node.func.id} if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else set()
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in (names | called) & lookups]
    assert offenders == []


# --- once per request, through Bolt ---------------------------------------------------------

@pytest.fixture
def bolt(engine: Engine, clock: FixedClock) -> Iterator[SandboxedApp]:
    with SandboxedApp(engine=engine, clock=clock, admin_user_ids=("UADMIN",)) as app:
        for user_id in ("UANA", "UMETTE"):
            app.sandbox.add_user(user_id=user_id, name=user_id.lower())
        _people(app.runtime.session_factory)
        yield app


class _Lookups:
    """Counts the queries `identify` sends (its own SQL, captured from one real call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        with Session(engine) as session:
            event.listen(engine, "before_cursor_execute", self._record)
            identify(session, workspace=ONE_WORKSPACE, slack_user_id="UFINGERPRINT")
            event.remove(engine, "before_cursor_execute", self._record)
        [self.fingerprint] = [sql for sql in self.statements if "participant" in sql]
        self.statements = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> _Lookups:
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return sum(1 for sql in self.statements if sql == self.fingerprint)


@pytest.mark.parametrize(("what", "send", "lookups"), [
    ("/mentoring help", lambda s: s.slash("UANA", "/mentoring", "help"), 1),
    ("/mentoring-admin refused by the guard", lambda s: s.slash("UANA", "/mentoring-admin", "status"), 1),
    ("a stale consent button", lambda s: s.click("UANA", "consent.coordination.yes", value="garbage",
                                                 channel_id=s.sandbox.im_channel_for("UANA")), 1),
    ("a review button with a junk value", lambda s: s.click("UMETTE", "match.rerun", value="{oops",
                                                            channel_id=s.sandbox.im_channel_for("UMETTE")), 1),
    ("a profile form we never opened", lambda s: s.submit("UANA", "profile.submit", {}, private_metadata="?"), 1),
    ("an event that names nobody", lambda s: s.event({"type": "emoji_changed", "subtype": "add", "name": "x"}), 0),
])
def test_the_person_is_looked_up_once_per_request(bolt: SandboxedApp, what: str, send: Any, lookups: int) -> None:
    """For requests whose listener calls no service that authorises an object, the middleware's
    lookup is the only one: the listener answers from the viewer in the context."""
    counter = _Lookups(bolt.runtime.engine)
    with counter:
        response = send(bolt)
    assert response.status == 200, what
    assert counter.count == lookups, f"{what}: {counter.count} lookups"


def test_the_middleware_resolves_the_viewer_once_whatever_the_listener_does(
    bolt: SandboxedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Services that change an object re-check the role in their own transaction; the handler
    layer itself asks once, also for a coordinator's command that goes on to such a service."""
    calls: list[str] = []

    def counting(session: Session, *, slack_user_id: str, **kwargs: Any) -> Any:
        calls.append(slack_user_id)
        return identify(session, slack_user_id=slack_user_id, **kwargs)

    monkeypatch.setattr(middleware, "identify", counting)
    for user_id, text in (("UMETTE", "status"), ("UMETTE", "match"), ("UANA", "match")):
        calls.clear()
        assert bolt.slash(user_id, "/mentoring-admin", text).status == 200
        assert calls == [user_id], text


# --- the guard on each surface --------------------------------------------------------------

def _guard(deps: Deps, user_id: str, body: dict[str, Any], *, respond: bool = True) -> tuple[list[str], dict[str, Any]]:
    order: list[str] = []
    ack, answer, client = Recorder(order, "ack"), Recorder(order, "respond"), FakeClient(order)
    went_on: list[bool] = []
    # Recorder and FakeClient stand in for Bolt's Ack, Respond and WebClient by duck typing.
    coordinators_only(ack=ack, body=body, context=bolt_context(deps, user_id),  # type: ignore[arg-type]
                      respond=answer if respond else None, client=client,  # type: ignore[arg-type]
                      next=lambda: went_on.append(True))
    if went_on:
        order.append("next")
    return order, {"ack": ack.calls, "respond": answer.calls, "client": client.calls}


def test_a_coordinator_or_an_admin_goes_on_and_nothing_is_said(deps: Deps, session_factory: Any) -> None:
    _people(session_factory)
    for user_id in ("UMETTE", "UADMIN"):
        order, said = _guard(deps, user_id, {"command": "/mentoring-admin", "user_id": user_id})
        assert order == ["next"] and said == {"ack": [], "respond": [], "client": []}


def test_a_command_is_refused_ephemerally_in_the_persons_language(deps: Deps, session_factory: Any) -> None:
    _people(session_factory)
    with unit_of_work(session_factory) as session:
        session.scalars(select(Participant).where(Participant.slack_user_id == "UANA")).one().language = "da"
    order, said = _guard(deps, "UANA", {"command": "/mentoring-admin", "user_id": "UANA"})
    assert order == ["ack", "respond"]
    (answer,) = said["respond"]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert answer["text"].startswith("Kun mentorprogrammets koordinatorer")


def test_a_click_from_the_home_tab_is_refused_by_dm(deps: Deps, session_factory: Any) -> None:
    _people(session_factory)
    body = {"type": "block_actions", "user": {"id": "UANA"}, "actions": [{"action_id": "match.publish"}]}
    order, said = _guard(deps, "UANA", body, respond=False)
    assert order == ["ack", "chat.postMessage"]
    (dm,) = [kwargs for method, kwargs in said["client"] if method == "chat.postMessage"]
    assert dm["channel"] == "UANA" and "Only the programme's coordinators" in dm["text"]


def test_a_modal_without_boxes_is_replaced_by_the_refusal(deps: Deps, session_factory: Any) -> None:
    _people(session_factory)
    title = {"type": "plain_text", "text": "Attendance"}
    body = {"type": "view_submission", "user": {"id": "UANA"}, "view": {"title": title, "state": {"values": {}}}}
    order, said = _guard(deps, "UANA", body)
    assert order == ["ack"]
    (answer,) = said["ack"]
    assert answer["response_action"] == "update" and answer["view"]["title"] == title
    assert "Only the programme's coordinators" in answer["view"]["blocks"][0]["text"]["text"]
    assert answer["view"]["close"]["text"] == "Close" and "submit" not in answer["view"]


def test_a_request_without_a_user_gets_no_viewer_and_is_refused(deps: Deps) -> None:
    assert VIEWER_KEY not in bolt_context(deps, None)
    order, said = _guard(deps, "", {"command": "/mentoring-admin"})
    assert order == ["ack", "respond"] and "Only the programme's coordinators" in said["respond"][0]["text"]
