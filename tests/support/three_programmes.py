"""Two workspaces and three programmes, run side by side through the real HTTP endpoint.

Workspace A (the sandbox's own team) holds P1 and P2, workspace B holds P3; the app runs in
OAuth mode and each workspace installs it through /slack/install. The people are made to
collide: Ana, Lars and Carla have the same Slack user ids, names and emails in both
workspaces (a Slack id is only unique within its workspace), Ana is a mentee and Lars a
mentor in P1 and P3, Carla coordinates P1 in A and P3 in B, P2 has another Ana Souza (same
name, another person of A), P1's and P3's coordinator channels have the same name (each in
its own workspace), and the three rounds share one name. (One person cannot be a
mentee of P1 and P2 at once: the profile modal opens the newest round's profile whichever
welcome's button is clicked, so the other row never becomes ready to match.) Everyone else
is in one programme only, with names found nowhere else, so a leak shows as one of
`ONLY[...]` turning up where it must not.

`Side` drives one workspace as its people would (signed commands, clicks, modal
submissions and file uploads, each settled before it returns) and reads what reached it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from bot.rounds.workbook import MeetingRow, ParticipantRow, ProgrammeSettings, RoundWorkbook, workbook_bytes
from bot.sandbox.driver import DriverResponse, SlackDriver
from bot.sandbox.harness import SandboxedApp
from bot.sandbox.server import RecordedCall, SlackSandbox
from tests.support.answers import button, find_element

TEAM_A, TEAM_B = "T0SANDBOX", "T0BETA"
ADMIN = "UBOSS"  # installs the app and uploads workbooks, an admin in each workspace (TEAM:USER)
ADMINS = (f"{TEAM_A}:{ADMIN}", f"{TEAM_B}:{ADMIN}")
ROUND = "Spring 2027"  # every programme's round has this name
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    role: str  # the workbook's: mentor, mentee, coordinator
    field: str | None = None


ANA = ("UANA", "Ana Souza", "ana@example.org")
LARS = ("ULARS", "Lars Holm", "lars@firm.dk")
CARLA = ("UCARLA", "Carla Coordinova", "carla@example.org")


@dataclass(frozen=True)
class Programme:
    key: str
    team: str
    name: str
    channel: str  # the coordinator channel's name
    coordinator: Member
    people: tuple[Member, ...]  # mentors and mentees
    pairs: frozenset[tuple[str, str]]  # (mentor id, mentee id) the matcher must propose
    note: str  # a 1:1's notes, logged in this programme only
    meeting: str
    session_every_days: int
    digest_weekday: int
    digest_hour: int

    @property
    def everyone(self) -> tuple[Member, ...]:
        return (self.coordinator, *self.people)

    def workbook(self) -> bytes:
        settings = ProgrammeSettings(
            programme=self.name, round=ROUND, starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 28), language="en",
            coordinator_channel=f"#{self.channel}", session_every_days=self.session_every_days,
            timezone="Europe/Copenhagen", digest_weekday=self.digest_weekday, digest_hour=self.digest_hour)
        rows = tuple(ParticipantRow(row=number, email=person.email, name=person.name, role=person.role,
                                    field=person.field, languages=("English",))
                     for number, person in enumerate(self.everyone, start=2))
        meeting = MeetingRow(row=2, kind="kick_off", title=self.meeting,
                             starts_at=datetime(2027, 2, 11, 17, 0), duration_minutes=90, location="Online")
        return workbook_bytes(RoundWorkbook(programme=settings, meetings=(meeting,), participants=rows))


def _member(person: tuple[str, str, str], role: str, field: str | None = None) -> Member:
    return Member(*person, role=role, field=field)


P1 = Programme(
    key="p1", team=TEAM_A, name="Career Mentoring", channel="mentoring-coordinators",
    coordinator=_member(CARLA, "coordinator"),
    people=(_member(LARS, "mentor", "Engineering"), Member("UOTTO", "Otto Ettesen", "otto@p1.example", "mentor", "Law"),
            _member(ANA, "mentee", "Engineering"), Member("UIDA", "Ida Ettesen", "ida@p1.example", "mentee", "Law")),
    pairs=frozenset({("ULARS", "UANA"), ("UOTTO", "UIDA")}),
    note="p1-note Ana fears the Novo interview", meeting="Ettesen kick-off",
    session_every_days=14, digest_weekday=0, digest_hour=9,
)
P2 = Programme(
    key="p2", team=TEAM_A, name="Women in Tech", channel="p2-coordinators",
    coordinator=Member("UMETTE", "Mette Toersen", "mette@p2.example", "coordinator"),
    people=(Member("USOFIE", "Sofie Toersen", "sofie@p2.example", "mentor", "Engineering"),
            Member("UTOR", "Tor Toersen", "tor@p2.example", "mentor", "Law"),
            # Another Ana Souza, in the same workspace as P1's: the profile modal opens a
            # person's newest round only, so one person cannot be a mentee of two
            # programmes at once (see the module's docstring).
            Member("UANA2", ANA[1], "ana.souza@p2.example", "mentee", "Engineering"),
            Member("UTOVE", "Tove Toersen", "tove@p2.example", "mentee", "Law")),
    pairs=frozenset({("USOFIE", "UANA2"), ("UTOR", "UTOVE")}),
    note="p2-note Ana wants a Danish CV", meeting="Toersen kick-off",
    session_every_days=7, digest_weekday=1, digest_hour=10,
)
P3 = Programme(
    key="p3", team=TEAM_B, name="Nordic Mentoring", channel="mentoring-coordinators",  # as P1's, in B
    coordinator=_member(CARLA, "coordinator"),
    people=(_member(LARS, "mentor", "Engineering"),
            Member("UTRYM", "Trym Tredjesen", "trym@p3.example", "mentor", "Law"),
            _member(ANA, "mentee", "Engineering"),
            Member("UTRINE", "Trine Tredjesen", "trine@p3.example", "mentee", "Law")),
    pairs=frozenset({("ULARS", "UANA"), ("UTRYM", "UTRINE")}),
    note="p3-note Ana starts at Vestas", meeting="Tredjesen kick-off",
    session_every_days=14, digest_weekday=0, digest_hour=9,
)
PROGRAMMES = (P1, P2, P3)


def _own_markers(programme: Programme) -> tuple[str, ...]:
    """What only this programme has: its name, channel, note, meeting and the ids, names and
    emails of its people found in no other programme."""
    elsewhere = {value for other in PROGRAMMES if other is not programme for person in other.everyone
                 for value in (person.user_id, person.name, person.email)}
    elsewhere |= {other.channel for other in PROGRAMMES if other is not programme}
    own = [programme.name, programme.channel, programme.note, programme.meeting]
    own += [value for person in programme.everyone for value in (person.user_id, person.name, person.email)
            if person.user_id != ADMIN]
    return tuple(value for value in own if value not in elsewhere)


#: Programme key -> the strings found in that programme only.
ONLY: dict[str, tuple[str, ...]] = {programme.key: _own_markers(programme) for programme in PROGRAMMES}


def foreign_to(*keys: str) -> tuple[str, ...]:
    """The markers of every programme but these."""
    return tuple(marker for key, markers in ONLY.items() if key not in keys for marker in markers)


def leaks(text: str, *, allowed: tuple[str, ...]) -> list[str]:
    """The markers of programmes other than `allowed` found in `text`."""
    return [marker for marker in foreign_to(*allowed) if marker in text]


@dataclass
class Side:
    """One workspace as its people use it, through signed requests to the running app."""

    app: SandboxedApp
    slack: SlackSandbox
    driver: SlackDriver
    channels: dict[str, str] = field(default_factory=dict)  # coordinator channel name -> id

    @property
    def team(self) -> str:
        return self.slack.team_id

    def slash(self, user_id: str, command: str, text: str = "", **kwargs: Any) -> DriverResponse:
        response = self.driver.slash_command(user_id=user_id, command=command, text=text, **kwargs)
        self.app.settle()
        assert response.status == 200, response
        return response

    def click(self, user_id: str, action_id: str, **kwargs: Any) -> DriverResponse:
        response = self.driver.block_action(user_id=user_id, action_id=action_id, **kwargs)
        self.app.settle()
        assert response.status == 200, response
        return response

    def submit(self, user_id: str, callback_id: str, values: dict[str, Any], **kwargs: Any) -> DriverResponse:
        response = self.driver.view_submission(user_id=user_id, callback_id=callback_id, values=values, **kwargs)
        self.app.settle()
        assert response.status == 200, response
        return response

    def upload(self, user_id: str, *, content: bytes, name: str = "round.xlsx") -> str:
        """Share a workbook in the bot's DM and send the `message` event Slack sends for it;
        returns the bot's threaded answer."""
        channel = self.slack.im_channel_for(user_id)
        file = self.slack.add_user_file(user_id=user_id, name=name, content=content, mimetype=XLSX, channel=channel)
        shared = self.slack.dm_messages(user_id)[-1]
        self.driver.event({"type": "message", "subtype": "file_share", "text": "", "files": [file], "upload": False,
                           "user": user_id, "display_as_bot": False, "ts": shared["ts"], "channel": channel,
                           "event_ts": shared["ts"], "channel_type": "im"})
        self.app.settle()
        replies = [m for m in self.slack.dm_messages(user_id) if m.get("thread_ts") == shared["ts"]
                   and m["ts"] != shared["ts"]]
        assert len(replies) == 1, replies
        return text_of(replies[0])

    def answers(self, response: DriverResponse) -> list[dict[str, Any]]:
        """What the app posted to this request's response_url."""
        assert response.response_url
        return [body for url_id, body in self.slack.response_posts if response.response_url.endswith(url_id)]

    def answer_text(self, response: DriverResponse) -> str:
        return "\n".join(text_of(body) for body in self.answers(response))

    def last_ephemeral(self, user_id: str) -> dict[str, Any]:
        ephemerals = self.slack.ephemerals_for(user_id)
        assert ephemerals, f"nothing answered {user_id} in {self.team}"
        return ephemerals[-1]

    def click_in(self, user_id: str, message: dict[str, Any], action_id: str, *, channel: str) -> DriverResponse:
        block_id, value = button(message, action_id)
        return self.click(user_id, action_id, value=value, block_id=block_id, message=message["ts"],
                          channel_id=channel)

    def welcomes(self, user_id: str) -> list[dict[str, Any]]:
        """The welcome DMs (one per programme the person is in here), as they stand now."""
        return [m for m in self.slack.dm_messages(user_id) if "consent.coordination.yes" in json.dumps(m)
                or "consent.coordination.no" in json.dumps(m) or "profile.open" in json.dumps(m)]

    def shared_files(self, user_id: str) -> list[tuple[str, bytes]]:
        """(name, content) of every file the bot shared in this person's DM."""
        return [(file["name"], self.slack.file_content(file["id"]) or b"")
                for message in self.slack.dm_messages(user_id) for file in message.get("files") or []]

    def everything_sent(self) -> str:
        """Every Web API call made in this workspace, with its arguments, as one string."""
        return json.dumps([(call.method, call.args) for call in self.slack.calls], ensure_ascii=False)

    def refused_calls(self) -> list[RecordedCall]:
        """Calls this workspace refused for their token or for naming someone it does not have."""
        wrong = {"invalid_auth", "not_authed", "token_revoked", "user_not_found", "users_not_found",
                 "channel_not_found"}
        return [call for call in self.slack.calls if call.error in wrong]


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text", "")) + json.dumps(message.get("blocks") or [], ensure_ascii=False)


def workbook_text(content: bytes) -> str:
    """Every cell of every sheet of an .xlsx, as one string."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def profile_values(role: str, *, field_name: str | None) -> dict[str, dict[str, Any]]:
    """What a participant types in the profile modal."""
    statement = "expertise" if role == "mentor" else "goals"
    typed: dict[str, Any] = {
        "field": field_name or "Engineering", "years": "6", "languages": "English", "interests": "cycling",
        statement: "Work in Denmark", "availability": "Mornings",
        "language": {"type": "static_select", "selected_option": {"value": "en"}}, "timezone": "Europe/Copenhagen",
    }
    return {key: {key: value} for key, value in typed.items()}


__all__ = ["ADMIN", "ADMINS", "ONLY", "P1", "P2", "P3", "PROGRAMMES", "ROUND", "TEAM_A", "TEAM_B", "Member",
           "Programme", "Side", "find_element", "foreign_to", "leaks", "profile_values", "text_of", "workbook_text"]
