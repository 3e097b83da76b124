"""The demo's sample round: a small cohort with the usual rhythm of shared meetings, and
two contacts at the companies where mentees' partners work (one in the workspace, one not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.rounds.workbook import MeetingRow, ParticipantRow, ProgrammeSettings, RoundWorkbook


@dataclass(frozen=True)
class DemoPerson:
    user_id: str | None  # None: not in the workspace yet
    email: str
    name: str
    role: str
    timezone: str
    language: str | None = None
    field: str | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    company: str | None = None
    home_country: str | None = None
    partner_company: str | None = None  # mentees: where their partner works


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("UMETTE", "mette@lyngby.dk", "Mette Hansen", "coordinator", "Europe/Copenhagen", language="da"),
    DemoPerson("ULARS", "lars@novoplan.dk", "Lars Østergaard", "mentor", "Europe/Copenhagen", field="Engineering",
               languages=("Danish", "English"), interests=("cycling", "sustainability"), company="Novoplan"),
    DemoPerson("USOFIE", "sofie@dtu.dk", "Sofie Møller", "mentor", "Europe/Copenhagen", field="Life sciences",
               languages=("Danish", "English", "German"), interests=("running",), company="DTU"),
    DemoPerson("UJONAS", "jonas@nordbank.dk", "Jonas Berg", "mentor", "Europe/Copenhagen", field="Finance",
               languages=("Danish", "English", "Mandarin"), interests=("photography", "sailing"), company="Nordbank"),
    DemoPerson("UANA", "ana@example.org", "Ana Souza", "mentee", "America/Sao_Paulo", field="Engineering",
               languages=("Portuguese", "English"), interests=("cycling",), home_country="Brazil",
               partner_company="Nordvind Energy"),
    DemoPerson("UWEI", "wei@example.org", "Wei Chen", "mentee", "Europe/Copenhagen", field="Life sciences",
               languages=("Mandarin", "English"), interests=("photography",), home_country="China",
               partner_company="Lyngby Pharma"),
    DemoPerson(None, "priya@example.org", "Priya Nair", "mentee", "Asia/Kolkata", field="Finance",
               languages=("English", "Hindi"), interests=("chess",), home_country="India"),
    # Company contacts: never welcomed, matched or reminded; asked one survey after the round.
    DemoPerson("UKAREN", "karen.holm@nordvind.dk", "Karen Holm", "company_contact", "Europe/Copenhagen",
               language="da", company="Nordvind Energy"),
    DemoPerson(None, "henrik.dahl@lyngbypharma.dk", "Henrik Dahl", "company_contact", "Europe/Copenhagen",
               company="Lyngby Pharma"),  # not in Slack: the coordinator asks him by hand
)

DEMO_START = datetime(2027, 1, 25, 13, 0)  # a Monday, 14:00 in Copenhagen and 10:00 in São Paulo (UTC)


def sample_workbook() -> RoundWorkbook:
    programme = ProgrammeSettings(
        programme="Career Mentoring Programme Lyngby", round="Spring 2027",
        starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31), language="en",
        coordinator_channel=None, session_every_days=14, timezone="Europe/Copenhagen",
    )
    meetings = (
        MeetingRow(2, "mentor_course", "Course for mentors", datetime(2027, 2, 2, 17, 0), 120, "Lyngby Town Hall"),
        MeetingRow(3, "cv_workshop", "CV workshop", datetime(2027, 2, 4, 17, 0), 150, "Lyngby Library"),
        MeetingRow(4, "kick_off", "Kick-off with speed networking", datetime(2027, 2, 10, 17, 0), 180, "DTU Skylab"),
        MeetingRow(5, "midway", "Midway meeting", datetime(2027, 3, 24, 17, 0), 120, "DTU Skylab"),
        MeetingRow(6, "interview_workshop", "Job-interview workshop", datetime(2027, 4, 21, 17, 0), 150, "Novoplan"),
        MeetingRow(7, "closing", "Closing meeting and evaluation", datetime(2027, 5, 26, 17, 0), 120, "Lyngby Town Hall"),
    )
    participants = tuple(
        ParticipantRow(
            row=index + 2, email=person.email, name=person.name, role=person.role, field=person.field,
            languages=person.languages, interests=person.interests, company=person.company,
            home_country=person.home_country, language=person.language, max_mentees=1,
            partner_company=person.partner_company,
        )
        for index, person in enumerate(PEOPLE)
    )
    return RoundWorkbook(programme=programme, meetings=meetings, participants=participants)
