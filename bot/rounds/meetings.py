"""Which shared meetings concern whom.

The mentor course is for mentors, the CV workshop for mentees, everything else for all;
coordinators run them all, and company contacts take part in none. The welcome, the Home tab and meeting reminders all ask here,
so a mentee is never told about (or reminded of) the mentors' course.
"""

from __future__ import annotations

from storage.models import MeetingKind, Role

_ONLY_FOR: dict[MeetingKind, Role] = {
    MeetingKind.MENTOR_COURSE: Role.MENTOR,
    MeetingKind.CV_WORKSHOP: Role.MENTEE,
}


def meeting_concerns(kind: MeetingKind, role: Role) -> bool:
    if role is Role.COORDINATOR:
        return True
    if role is Role.COMPANY_CONTACT:
        return False  # not in the round's meetings: no reminders, no RSVP, not on the attendance sheet
    only = _ONLY_FOR.get(kind)
    return only is None or only is role
