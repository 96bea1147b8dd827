"""The models of the ``partnership`` app, for Django's app loading.

Each subject keeps its models in its own package (``partnership.directory.models``,
``partnership.agreements.models``...); they all belong to the ``partnership`` app label, and
this module imports them so that Django finds them. Application code imports a model from its
subject's module, never from here; tests and the shell may use this shortcut.
"""

from partnership.agreements.models import Agreement, AgreementParty
from partnership.core.models import ThrottledRequest
from partnership.directory.models import (
    AccessRequest,
    Contact,
    OIDCIdentity,
    Organisation,
    SSOSession,
    StaffProfile,
    Theme,
)
from partnership.directory.regions import Region
from partnership.discussion.models import Comment, Follow, Notification
from partnership.discussion.preferences import DeliveryPreference
from partnership.documents.models import Document
from partnership.meetings.models import (
    ActionReview,
    AgendaItem,
    Decision,
    FollowUpTask,
    Meeting,
    Participant,
)
from partnership.overview.models import ReminderSent
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Deliverable,
    Programme,
    ProgrammeApproval,
)
from partnership.programming.models import PlannedProject, ProgrammingOpening

__all__ = [
    "AccessRequest",
    "Action",
    "ActionContact",
    "ActionResource",
    "ActionReview",
    "AgendaItem",
    "Agreement",
    "AgreementParty",
    "Comment",
    "Contact",
    "Decision",
    "Deliverable",
    "DeliveryPreference",
    "Document",
    "Follow",
    "FollowUpTask",
    "Meeting",
    "Notification",
    "OIDCIdentity",
    "SSOSession",
    "Organisation",
    "Participant",
    "PlannedProject",
    "Programme",
    "ProgrammeApproval",
    "ProgrammingOpening",
    "Region",
    "ReminderSent",
    "StaffProfile",
    "Theme",
    "ThrottledRequest",
]
