"""A notification in words, in the reader's language, from its kind and its record (the text
is never stored), and the address it leads to."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnership.discussion.models import Event

SENTENCES = {
    Event.COMMENT: gettext_lazy("%(actor)s commented on “%(record)s”"),
    Event.MENTION: gettext_lazy("%(actor)s mentioned you in a comment on “%(record)s”"),
    Event.STATUS_CHANGED: gettext_lazy("%(actor)s changed the status of “%(record)s”"),
    Event.REVIEW_RECORDED: gettext_lazy("%(actor)s recorded a review of “%(record)s”"),
    Event.DELIVERABLE_DUE: gettext_lazy("The deliverable “%(record)s” is due soon"),
    Event.DELIVERABLE_OVERDUE: gettext_lazy("The deliverable “%(record)s” is overdue"),
    Event.TASK_ASSIGNED: gettext_lazy("%(actor)s gave you the follow-up task “%(record)s”"),
    Event.TASK_DONE: gettext_lazy("%(actor)s marked the follow-up task “%(record)s” done"),
    Event.MINUTES_APPROVED: gettext_lazy("%(actor)s approved the minutes of “%(record)s”"),
    Event.PROGRAMME_PROPOSED: gettext_lazy("%(actor)s proposed “%(record)s” for approval"),
    Event.PROGRAMME_APPROVED: gettext_lazy("%(actor)s approved “%(record)s”"),
    Event.PROGRAMME_ADOPTED: gettext_lazy("“%(record)s” is adopted"),
    Event.PARTY_INVITATION: gettext_lazy(
        "%(actor)s invites your organisation to become a party to “%(record)s”"
    ),
    Event.DOCUMENT_ADDED: gettext_lazy("%(actor)s added a document to “%(record)s”"),
    Event.ACCESS_REQUEST: gettext_lazy("%(record)s asks to join your organisation"),
}


def record_url(record, fragment=True) -> str:
    """The page of a record (a follow-up task's is its meeting's)."""
    label = record._meta.label_lower
    if label == "partnership.followuptask":
        url = reverse("meeting_detail", args=[record.meeting_id]) + "#follow-ups"
    else:
        url = record.get_absolute_url()
    return url if fragment else url.split("#")[0]


@dataclass(frozen=True)
class Wording:
    text: str
    url: str


def describe(notification) -> Wording:
    """Needs the notification's actor, comment and target fetched with it."""
    record = notification.target
    actor = notification.actor
    name = (actor.get_full_name() or actor.get_username()) if actor else _("Someone")
    text = SENTENCES[notification.kind] % {"actor": name, "record": record}
    if notification.kind == Event.PARTY_INVITATION:
        url = reverse("home") + "#invitations"  # answered there; the agreement is not seen yet
    elif notification.comment_id and notification.kind in (Event.COMMENT, Event.MENTION):
        url = f"{record_url(record, fragment=False)}#comment-{notification.comment_id}"
    else:
        url = record_url(record)
    return Wording(text=text, url=url)
