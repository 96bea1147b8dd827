"""Writing on a record's thread and following records: one function per write."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from partnership.discussion.events import mentioned, notify
from partnership.discussion.models import (
    COMMENT_TARGETS,
    FOLLOW_TARGETS,
    Comment,
    Event,
    Follow,
    target_of,
)


class OutOfDate(Exception):
    """The comment changed since the form was loaded."""


def _tell(comment, actor, already_mentioned=()):
    """The people named in the comment (a mention), then its followers (a comment)."""
    target = comment.target
    named = [
        person for person in mentioned(comment.body, target) if person not in already_mentioned
    ]
    if named:
        notify(Event.MENTION, target, actor, named, comment=comment, to_followers=False)
    return named


@transaction.atomic
def comment_create(*, target, author, body):
    comment = Comment.objects.create(
        author=author, body=body, **{target_of(target, COMMENT_TARGETS): target}
    )
    named = _tell(comment, author)
    notify(Event.COMMENT, target, author, comment=comment, exclude=named)
    return comment


@transaction.atomic
def comment_edit(*, comment, user, body, version=None):
    if not user.has_perm("partnership.change_comment", comment):
        raise PermissionDenied
    current = Comment.objects.select_for_update().get(pk=comment.pk)
    if version is not None and current.version != version:
        raise OutOfDate
    before = mentioned(current.body, comment.target)
    comment.body = body
    comment.edited_at = timezone.now()
    comment.version = current.version
    comment.save(update_fields=["body", "edited_at", "version"])
    _tell(comment, user, already_mentioned=before)
    return comment


@transaction.atomic
def comment_delete(*, comment, user):
    """The comment leaves the thread; its history keeps what it said and who deleted it."""
    if not user.has_perm("partnership.delete_comment", comment):
        raise PermissionDenied
    comment._history_user = user
    comment.delete()


@transaction.atomic
def comment_hide(*, comment, user):
    if not user.has_perm("partnership.hide_comment", comment):
        raise PermissionDenied
    comment.hidden_by = user
    comment.hidden_at = timezone.now()
    comment._history_user = user
    comment.save(update_fields=["hidden_by", "hidden_at", "version"])
    return comment


@transaction.atomic
def follow_set(*, user, target, following: bool):
    """Follow the record, or stop following it (also what one follows on one's own)."""
    if not user.has_perm("partnership.follow_record", target):
        raise PermissionDenied
    Follow.objects.update_or_create(
        user=user,
        **{target_of(target, FOLLOW_TARGETS): target},
        defaults={"following": following},
    )
