from .agreements import Agreement, AgreementParty
from .documents import Document
from .meetings import ActionReview, AgendaItem, Decision, FollowUpTask, Meeting, Participant
from .organisations import Contact, Organisation, StaffProfile, Theme
from .programmes import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
    ProgrammeApproval,
)
from .regions import Region
from .reminders import ReminderSent

__all__ = [
    "Action",
    "ActionContact",
    "ActionResource",
    "ActionReview",
    "AgendaItem",
    "Agreement",
    "AgreementParty",
    "Contact",
    "Decision",
    "Deliverable",
    "Document",
    "FollowUpTask",
    "Meeting",
    "Organisation",
    "Participant",
    "Programme",
    "ProgrammeApproval",
    "Region",
    "ReminderSent",
    "StaffProfile",
    "Theme",
]
