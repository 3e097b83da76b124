"""Where a participant is on the way from "on a list" to "ready to match".

Derived from the time-stamped milestones on the participant row, never stored, so it
cannot drift from the facts. App Home, status counts and reminders all read it here.
"""

from __future__ import annotations

import enum

from storage.models import Participant, Role


class OnboardingStep(str, enum.Enum):
    NOT_IN_SLACK = "not_in_slack"  # no Slack account found for their email (yet)
    AWAITING_WELCOME = "awaiting_welcome"  # found, welcome not sent yet
    AWAITING_CONSENT = "awaiting_consent"
    DECLINED = "declined"  # said no to coordination: no more messages
    AWAITING_PROFILE = "awaiting_profile"
    READY = "ready"  # consented and profiled: can be matched


STUCK_STEPS = frozenset(
    {OnboardingStep.NOT_IN_SLACK, OnboardingStep.AWAITING_CONSENT, OnboardingStep.AWAITING_PROFILE, OnboardingStep.DECLINED}
)


def onboarding_step(participant: Participant) -> OnboardingStep:
    if participant.role is Role.COMPANY_CONTACT:
        # Not onboarded at all (no welcome, consent or profile; Slack is optional): nothing
        # to wait for, so never "stuck". They are asked only the company survey after the round.
        return OnboardingStep.READY
    if participant.opted_out_at is not None:
        return OnboardingStep.DECLINED
    if participant.slack_user_id is None:
        return OnboardingStep.NOT_IN_SLACK
    if participant.welcome_sent_at is None:
        return OnboardingStep.AWAITING_WELCOME
    if participant.role is Role.COORDINATOR:
        # Staff running the programme: welcomed is all they need, no consent or profile.
        return OnboardingStep.READY
    if participant.consented_at is None:
        return OnboardingStep.AWAITING_CONSENT
    if participant.profile_completed_at is None:
        return OnboardingStep.AWAITING_PROFILE
    return OnboardingStep.READY


def may_be_messaged(participant: Participant) -> bool:
    """Declining stops every message; people not in Slack cannot be reached anyway."""
    return participant.opted_out_at is None and participant.slack_user_id is not None
