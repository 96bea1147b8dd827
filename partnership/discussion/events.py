"""Telling people what happened: ``notify``, called by the services that record an event, in
the transaction that records it.

The contract between the parts of issue 16:

- ``notify(kind, target, actor=..., recipients=...)`` creates one ``Notification`` per
  recipient, never for the actor, and only for people who may see the target (an account
  whose organisation is party to the target's agreement, or an administrator). The recipients
  are the target's followers (``partnership.discussion.follows``) plus any given (the person
  mentioned, the task's new owner...).
- Each person's preference for the kind (``partnership.discussion.delivery``) decides whether
  the notification is made at all, and whether it is e-mailed at once (a task enqueued on the
  transaction's commit, so nothing is sent for a change rolled back) or kept for the daily
  digest.
"""

import re

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from partnership import rules
from partnership.core import fragments
from partnership.discussion import delivery
from partnership.discussion.models import (
    COMMENT_TARGETS,
    FOLLOW_TARGETS,
    TARGET_FIELDS,
    Comment,
    Follow,
    Notification,
    target_of,
)

# "@username" in a comment: after a space, a line's start or a punctuation mark, not inside an
# e-mail address.
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*\w)")


def _user_relation(name):
    """A model that reaches accounts through the account's reverse relation ``name``."""
    return get_user_model()._meta.get_field(name).related_model


def _works_on(field, target) -> Q:
    """The people who follow a record on their own: who works on it, who took part, who wrote
    on it (accounts as ``OuterRef("pk")``)."""
    condition = Q()
    if field in COMMENT_TARGETS:
        condition |= Exists(Comment.objects.filter(author=OuterRef("pk"), **{field: target.pk}))
    if field == "action":
        contacts = _user_relation("action_roles")
        condition |= Exists(contacts.objects.filter(user=OuterRef("pk"), action=target.pk))
    elif field == "meeting":
        participants = _user_relation("meeting_participations")
        condition |= Exists(participants.objects.filter(user=OuterRef("pk"), meeting=target.pk))
    elif field == "follow_up_task" and target.owner_id:
        condition |= Q(pk=target.owner_id)
    return condition


def _parent(field, target):
    """Who follows an action follows its deliverables; a meeting, its follow-up tasks."""
    if field == "deliverable":
        return "action", target.action
    if field == "follow_up_task":
        return "meeting", target.meeting
    return None, None


def followers(target) -> Q:
    """The condition on accounts that they follow the record: they chose to, or they work on it
    (or on the action or meeting it belongs to), and did not stop following it."""
    field = target_of(target, FOLLOW_TARGETS)
    condition = Q()
    stopped = Q()
    while field:
        chosen = Follow.objects.filter(user=OuterRef("pk"), **{field: target.pk})
        condition |= Exists(chosen.filter(following=True)) | _works_on(field, target)
        stopped |= Exists(chosen.filter(following=False))
        field, target = _parent(field, target)
    return condition & ~stopped


def follows(user, target) -> bool:
    """Whether the person follows the record (one query), unless the record's own query read it
    already (``followed_by``)."""
    known = getattr(target, "followed_by_viewer", None)
    if known is not None:
        return known
    return get_user_model().objects.filter(followers(target), pk=user.pk).exists()


def followed_by(user, model, pk) -> Exists:
    """An annotation for the record's own query (``followed_by_viewer``): whether the person
    follows the record ``pk`` of ``model`` (an action, a meeting, a convention or an
    experimentation: kinds whose followers depend on the record's key alone), so that its
    page's follow button costs no query of its own."""
    return Exists(get_user_model().objects.filter(followers(model(pk=pk)), pk=user.pk))


def mentioned(body, target) -> list:
    """The people a comment names (``@username``) among those who may see the record."""
    names = set(MENTION.findall(body or ""))
    if not names:
        return []
    return list(
        get_user_model()
        .objects.filter(rules.people_seeing_record(target), username__in=names)
        .order_by("pk")
    )


def notify(
    kind,
    target,
    actor=None,
    recipients=(),
    *,
    comment=None,
    to_followers=True,
    exclude=(),
    audience=None,
):
    """Tell the target's followers and the given recipients (accounts, or a condition on
    accounts), but the actor, among the people who may see the target, of an event: one query
    chooses them, one creates the notifications; ``delivery`` then does what each person
    asked. ``audience`` replaces "who may see the target" for an event told to people who do
    not see it yet (an invitation to become a party). Returns the notifications."""
    field = target_of(target, TARGET_FIELDS)
    if isinstance(recipients, Q):
        chosen = recipients  # a condition on accounts: the coordinators, say
    else:
        chosen = Q(pk__in=[person.pk for person in recipients])
    if to_followers and field in FOLLOW_TARGETS:
        chosen |= followers(target)
    if audience is None:
        audience = rules.people_seeing_record(target)
    people = get_user_model().objects.filter(audience).filter(chosen)
    left_out = {person.pk for person in exclude}
    if actor is not None:
        left_out.add(actor.pk)
    ids = [pk for pk in people.values_list("pk", flat=True) if pk not in left_out]
    channels = delivery.wanted(kind, ids)
    if not channels:
        return []
    with fragments.written_for(Notification, "recipient", channels):
        notifications = Notification.objects.bulk_create(
            Notification(
                recipient_id=pk,
                kind=kind,
                actor=actor,
                comment=comment,
                **{field: target},
            )
            for pk in sorted(channels)
        )
    delivery.deliver(notifications, channels)
    return notifications
