"""The personal calendar feed: every meeting a person may see, at a secret address.

Calendar clients cannot log in, so the feed is reached without a session, through a long
random key (``StaffProfile.calendar_token``, 256 bits) looked up by its unique index. A wrong
or revoked key answers 404, like an address that never existed. The person manages the key
on the "My calendar feed" page: create it, replace it (the old address stops working at
once), or turn the feed off.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods

from partnership.core.lifecycle import TransitionError
from partnership.directory.models import StaffProfile
from partnership.meetings import calendar
from partnership.meetings.models import Meeting
from partnership.meetings.services import calendar_token_renew, calendar_token_revoke
from partnership.meetings.views import calendar_queryset
from partnership.rules import remember_profile

FEED_PAST = datetime.timedelta(days=365)
FEED_MAX_AGE = 60  # seconds


def feed_meetings(user):
    """The meetings of a person's feed: those they see, from twelve months ago on."""
    since = timezone.now() - FEED_PAST
    return calendar_queryset(
        Meeting.objects.filter(starts_at__gte=since).visible_to(user)
    ).order_by("starts_at", "pk")


@login_not_required
@require_GET
# A calendar client may keep the feed a minute: a revoked key stops serving it within one.
@cache_control(private=True, max_age=FEED_MAX_AGE, must_revalidate=True)
def calendar_feed(request, token):
    profile = (
        StaffProfile.objects.select_related("user", "organisation")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )
    if profile is None:
        raise Http404
    user = profile.user
    remember_profile(user, profile)  # partnership.rules would fetch it again
    name = _("Meetings – %(name)s") % {"name": user.get_full_name() or user.get_username()}
    response = HttpResponse(
        calendar.calendar_of(feed_meetings(user), request=request, name=name),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="rendez-vous.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def calendar_feed_settings(request):
    """GET: the person's feed address; POST action=renew (create or replace) or revoke."""
    profile = StaffProfile.objects.filter(user=request.user).first()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "revoke":
                calendar_token_revoke(user=request.user)
                messages.success(request, _("Your calendar feed is turned off."))
            else:
                had_one = bool(profile and profile.calendar_token)
                calendar_token_renew(user=request.user)
                messages.success(
                    request,
                    _("Your calendar feed has a new address: the old one no longer works.")
                    if had_one
                    else _("Your calendar feed address is ready."),
                )
        except TransitionError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("calendar_feed_settings"))
    feed_url = None
    if profile is not None and profile.calendar_token:
        feed_url = request.build_absolute_uri(
            reverse("calendar_feed", args=[profile.calendar_token])
        )
    return render(
        request,
        "partnership/meetings/calendar_feed.html",
        {
            "profile": profile,
            "feed_url": feed_url,
            "webcal_url": feed_url and "webcal://" + feed_url.split("://", 1)[1],
        },
    )
