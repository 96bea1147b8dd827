"""``{% comment_thread object %}``: the comments on a record, newest last, with the form to
write one and the button to follow the record; ``{% follow_button object %}`` alone."""

from django import template
from django.urls import reverse

from partnership.discussion.events import follows
from partnership.discussion.models import COMMENT_TARGETS, Comment, target_of
from partnership.discussion.views import SEGMENTS, CommentForm

register = template.Library()


def _follow_context(user, record):
    segment = SEGMENTS[target_of(record, tuple(SEGMENTS))]
    return {
        "follow_url": reverse("follow", args=[segment, record.pk]),
        "following": follows(user, record),
        "may_follow": user.has_perm("partnership.follow_record", record),
    }


@register.inclusion_tag("partnership/discussion/follow_button.html", takes_context=True)
def follow_button(context, record):
    return {"csrf_token": context.get("csrf_token"), **_follow_context(context["user"], record)}


@register.inclusion_tag("partnership/discussion/thread.html", takes_context=True)
def comment_thread(context, record):
    user = context["user"]
    field = target_of(record, COMMENT_TARGETS)
    segment = SEGMENTS[field]
    comments = list(Comment.objects.filter(**{field: record}).select_related("author", "hidden_by"))
    cached = Comment._meta.get_field(field)
    rows = []
    for comment in comments:
        cached.set_cached_value(comment, record)  # the thread's record: no query per comment
        rows.append(
            {
                "comment": comment,
                "may_change": user.has_perm("partnership.change_comment", comment),
                "may_hide": user.has_perm("partnership.hide_comment", comment),
            }
        )
    return {
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
        "record": record,
        "rows": rows,
        "may_comment": user.has_perm("partnership.add_comment", record),
        "form": CommentForm(auto_id="id_comment_%s"),
        "create_url": reverse("comment_create", args=[segment, record.pk]),
        "candidates_url": reverse("mention_candidates", args=[segment, record.pk]),
    }
