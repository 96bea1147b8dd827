"""The thread of comments on a record, following it, the people a comment may mention, and
each person's notifications.

Every record is fetched through the person's scope (a record they may not see is a 404) and
every write asks the rule module (partnership.rules) first.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnership import rules
from partnership.core import crud, fragments
from partnership.core.forms import OneLineMixin
from partnership.discussion import services
from partnership.discussion.events import followed_by
from partnership.discussion.models import (
    COMMENT_TARGETS,
    FOLLOW_TARGETS,
    TARGET_FIELDS,
    Comment,
    Event,
    Notification,
    target_model,
)
from partnership.discussion.wording import describe, record_url

# The URL segment of each kind of record.
SEGMENTS = {
    "agreement": "accord",
    "programme": "programme",
    "action": "action",
    "deliverable": "livrable",
    "meeting": "reunion",
    "follow_up_task": "tache",
    "convention": "convention",
    "experimentation": "experimentation",
}
FIELDS = {segment: field for field, segment in SEGMENTS.items()}
MENTION_SUGGESTIONS = 10


class CommentForm(OneLineMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: **bold**, *italics*, lists. Name someone with @ and their login."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReadsFollowState:
    """For the page of a record with a follow button (a scoped detail view): whether the person
    follows the record is read in the record's own query, so the button costs no query."""

    def base_queryset(self):
        queryset = super().base_queryset()
        following = followed_by(self.request.user, queryset.model, self.kwargs["pk"])
        return queryset.annotate(followed_by_viewer=following)


def _record(request, segment, pk, fields):
    field = FIELDS.get(segment)
    if field not in fields:
        raise Http404
    model = target_model(field)
    record = get_object_or_404(model.objects.all().visible_to(request.user), pk=pk)
    return field, record


def _comment(request, pk):
    return get_object_or_404(
        Comment.objects.select_related("author", *COMMENT_TARGETS).visible_to(request.user), pk=pk
    )


@login_required
@require_POST
def comment_create(request, segment, pk):
    _field, record = _record(request, segment, pk, COMMENT_TARGETS)
    crud.check_permission(request.user, "partnership.add_comment", record)
    form = CommentForm(request.POST)
    if not form.is_valid():
        # Shown again with its errors on a page of its own: the text typed is never lost.
        return render(
            request,
            "partnership/discussion/comment_form.html",
            {"form": form, "comment": None, "record": record, "back_url": record_url(record)},
            status=400,
        )
    comment = services.comment_create(
        target=record, author=request.user, body=form.cleaned_data["body"]
    )
    return redirect(f"{record_url(record)}#{comment.anchor}")


@login_required
def comment_edit(request, pk):
    comment = _comment(request, pk)
    crud.check_permission(request.user, "partnership.change_comment", comment)
    form = CommentForm(
        request.POST or None, initial={"body": comment.body, "version": comment.version}
    )
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                comment=comment,
                user=request.user,
                body=form.cleaned_data["body"],
                version=form.cleaned_data["version"],
            )
        except services.OutOfDate:
            conflict = True
            comment.refresh_from_db()
            form = CommentForm(
                initial={"body": form.cleaned_data["body"], "version": comment.version}
            )
        else:
            return redirect(comment.get_absolute_url())
    return render(
        request,
        "partnership/discussion/comment_form.html",
        {
            "form": form,
            "comment": comment,
            "record": comment.target,
            "back_url": comment.get_absolute_url(),
            "conflict": conflict,
        },
    )


@login_required
@require_POST
def comment_delete(request, pk):
    comment = _comment(request, pk)
    crud.check_permission(request.user, "partnership.delete_comment", comment)
    record = comment.target
    services.comment_delete(comment=comment, user=request.user)
    messages.success(request, _("Your comment was deleted."))
    return redirect(f"{record_url(record)}#comments")


@login_required
@require_POST
def comment_hide(request, pk):
    comment = _comment(request, pk)
    crud.check_permission(request.user, "partnership.hide_comment", comment)
    services.comment_hide(comment=comment, user=request.user)
    return redirect(comment.get_absolute_url())


@login_required
@require_POST
def follow(request, segment, pk):
    _field, record = _record(request, segment, pk, FOLLOW_TARGETS)
    crud.check_permission(request.user, "partnership.follow_record", record)
    following = request.POST.get("following") == "1"
    services.follow_set(user=request.user, target=record, following=following)
    if following:
        messages.success(request, _("You follow this record: you will be told what happens to it."))
    else:
        messages.success(request, _("You no longer follow this record."))
    return redirect(record_url(record))


@login_required
@require_GET
def mention_candidates(request, segment, pk):
    """The people who may see the record whose name or login starts as typed, as JSON: a
    comment's mention is offered among them only."""
    _field, record = _record(request, segment, pk, COMMENT_TARGETS)
    crud.check_permission(request.user, "partnership.add_comment", record)
    typed = request.GET.get("q", "").strip().lstrip("@")[:100]
    people = get_user_model().objects.filter(rules.people_seeing_record(record))
    if typed:
        people = people.filter(
            Q(username__istartswith=typed)
            | Q(first_name__istartswith=typed)
            | Q(last_name__istartswith=typed)
        )
    people = people.select_related("profile__organisation").order_by(
        "last_name", "first_name", "username"
    )[:MENTION_SUGGESTIONS]
    return JsonResponse(
        {
            "results": [
                {
                    "username": person.username,
                    "name": person.get_full_name() or person.username,
                    "organisation": str(person.profile.organisation)
                    if hasattr(person, "profile")
                    else "",
                }
                for person in people
            ]
        }
    )


# Notifications --------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 25


# What a notification is about is read kind by kind, one query for each kind on the page:
# joined to the query choosing the notifications (the person's scope, the order, the page),
# the dozen tables cost PostgreSQL 35 ms of planning at the benchmark's scale.
PREFETCHED_TARGETS = tuple(name for name in TARGET_FIELDS if name != "access_request")


def notification_queryset(user):
    return (
        Notification.objects.visible_to(user)
        .select_related("actor", "access_request__user")
        .prefetch_related(*PREFETCHED_TARGETS)
        .order_by("-created_at", "-pk")
    )


@login_required
@require_GET
def notification_list(request):
    notifications = notification_queryset(request.user)
    unread_only = request.GET.get("non-lues") == "1"
    kind = request.GET.get("type", "")
    if unread_only:
        notifications = notifications.unread()
    if kind in Event.values:
        notifications = notifications.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(notification, describe(notification)) for notification in page.object_list]
    return render(
        request,
        "partnership/discussion/notification_list.html",
        {
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "paginator": page.paginator,
            "rows": rows,
            "unread_only": unread_only,
            "kind": kind,
            "kinds": Event.choices,
        },
    )


@login_required
@require_POST
def notification_open(request, pk):
    """Mark the notification read and go to what it is about."""
    notification = get_object_or_404(notification_queryset(request.user), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        with fragments.written_for(Notification, "recipient", [notification.recipient_id]):
            notification.save(update_fields=["read_at"])
    return HttpResponseRedirect(describe(notification).url)


@login_required
@require_POST
def notification_mark_read(request, pk=None):
    """Mark one notification, or all of them, read."""
    notifications = Notification.objects.visible_to(request.user).unread()
    if pk is not None:
        notifications = notifications.filter(pk=pk)
    with fragments.written_for(Notification, "recipient", [request.user.pk]):
        notifications.update(read_at=timezone.now())
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("notification_list")
    return redirect(back)
