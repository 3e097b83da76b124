"""The acknowledgement does no database work (issue 13): through the signed endpoint, a
command and a click are acknowledged without a statement in the request thread (who is asking
is read on the executor, when the listener first asks), a modal still validates in the ack,
the resume-sending look-up runs once for a burst from one workspace, and a stop recorded
here is looked for again at the very next request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from bot.core.workspace import sending_stopped, stop_sending
from bot.sandbox.harness import SandboxedApp
from handlers.sending_seen import SendingSeen
from storage.db import read_only_unit_of_work, unit_of_work
from storage.models import WorkspaceStatus

TEAM = "T0SANDBOX"


class _Statements:
    """Every SQL statement the app runs, with the name of the thread that ran it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[str, str]] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.seen.append((threading.current_thread().name, statement))

    def __enter__(self) -> _Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def outside_the_executor(self) -> list[str]:
        """Statements not run by the listener executor (the harness names its threads bolt-listener)."""
        return [sql for thread, sql in self.seen if not thread.startswith("bolt-listener")]

    def reading(self, table: str) -> list[str]:
        return [sql for _, sql in self.seen if sql.lstrip().upper().startswith("SELECT") and table in sql]


@pytest.fixture
def bolt(slack: SandboxedApp) -> Iterator[SandboxedApp]:
    slack.sandbox.add_user(user_id="UANA", name="ana")
    yield slack


@pytest.mark.parametrize(("what", "send"), [
    ("/mentoring help", lambda s: s.slash("UANA", "/mentoring", "help")),
    ("a Home-tab profile.open", lambda s: s.click("UANA", "profile.open",
                                                  view={"id": "VHOME", "type": "home", "blocks": []})),
])
def test_a_command_or_a_click_is_acknowledged_without_a_statement(bolt: SandboxedApp, what: str, send: Any) -> None:
    send(bolt)  # the first request of the team looks for a stop to lift; later ones need not
    with _Statements(bolt.runtime.engine) as statements:
        response = send(bolt)
    assert response.status == 200, what
    assert statements.seen, f"{what}: the listener's own work (who is asking, the answer) ran"
    assert statements.outside_the_executor() == [], what


def test_a_modal_still_answers_in_the_ack_after_reading_who_is_asking(bolt: SandboxedApp) -> None:
    """A modal's errors and refusals come back in the ack, so its look-up stays in the request thread."""
    bolt.slash("UANA", "/mentoring", "help")
    with _Statements(bolt.runtime.engine) as statements:
        response = bolt.submit("UANA", "profile.submit", {}, private_metadata="not ours")
    assert response.status == 200
    assert response.json()["response_action"] == "update"
    assert [sql for sql in statements.outside_the_executor() if "participant" in sql]


def test_a_burst_from_one_workspace_looks_for_a_stop_once(bolt: SandboxedApp) -> None:
    with _Statements(bolt.runtime.engine) as statements:
        for _ in range(3):
            assert bolt.slash("UANA", "/mentoring", "help").status == 200
    assert len(statements.reading("workspace_status")) == 1


def test_a_stop_recorded_here_is_looked_for_at_the_next_request(bolt: SandboxedApp) -> None:
    """Seen sending a moment ago, then uninstalled and installed again: the very next signed
    request lifts the stop (the app_uninstalled listener forgot what the middleware saw)."""
    assert bolt.slash("UANA", "/mentoring", "help").status == 200
    assert bolt.driver.app_uninstalled().status == 200
    bolt.settle()
    with unit_of_work(bolt.runtime.session_factory) as session:
        assert session.scalars(select(WorkspaceStatus.stopped_because)).one() == "app_uninstalled"
    bolt.sandbox.reinstall()
    assert bolt.slash("UANA", "/mentoring", "help").status == 200
    with unit_of_work(bolt.runtime.session_factory) as session:
        assert session.scalars(select(WorkspaceStatus.sending_stopped_at)).one() is None


def test_a_stop_recorded_elsewhere_stays_in_the_table_the_deliverer_reads(bolt: SandboxedApp) -> None:
    """The flag only spares the look-up for a stop to lift: a stop another process records (the
    worker's auth.test) while this one saw the team sending a moment ago stays recorded, and the
    deliverer reads the table itself; the first request after the flag's 10 s lifts it."""
    assert bolt.slash("UANA", "/mentoring", "help").status == 200
    with unit_of_work(bolt.runtime.session_factory) as session:
        stop_sending(session, team_id=TEAM, because="invalid_auth", now=bolt.clock.now())
    assert bolt.slash("UANA", "/mentoring", "help").status == 200
    with unit_of_work(bolt.runtime.session_factory) as session:
        stopped = sending_stopped(session, team_id=TEAM)
    assert stopped is not None and stopped.because == "invalid_auth"


# --- the pieces ---------------------------------------------------------------------------

class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sending_seen_spares_the_look_up_for_its_time_only() -> None:
    clock = _Clock()
    seen = SendingSeen(ttl_seconds=10, clock=clock)
    assert not seen.recently(TEAM)
    seen.saw_sending(TEAM, generation=seen.generation)
    assert seen.recently(TEAM) and not seen.recently("TOTHER")
    clock.now += 9.9
    assert seen.recently(TEAM)
    clock.now += 0.2
    assert not seen.recently(TEAM)


def test_a_look_up_that_raced_a_stop_does_not_mark_the_team_as_sending() -> None:
    seen = SendingSeen(clock=_Clock())
    started_at = seen.generation  # a look-up starts, reads "no stop" ...
    seen.forget()  # ... a stop is committed here meanwhile ...
    seen.saw_sending(TEAM, generation=started_at)  # ... and the stale answer arrives
    assert not seen.recently(TEAM)
    seen.saw_sending(TEAM, generation=seen.generation)
    seen.forget()
    assert not seen.recently(TEAM)


def test_a_read_only_unit_of_work_does_not_wait_for_a_writer(engine: Engine) -> None:
    """On SQLite another connection holding the write lock would make BEGIN IMMEDIATE wait (up to
    the 30 s busy timeout); a read-only unit of work reads the last committed state at once."""
    from storage.db import make_session_factory

    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        stop_sending(session, team_id=TEAM, because="app_uninstalled", now=_now())
    with engine.connect() as writer:
        writer.begin()
        writer.execute(text("UPDATE workspace_status SET stopped_because = 'changing'"))
        with read_only_unit_of_work(factory) as session:
            assert session.scalars(select(WorkspaceStatus.stopped_because)).one() == "app_uninstalled"
        writer.rollback()


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
