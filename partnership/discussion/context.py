"""The bell in the navigation: the person's unread notifications, counted once per page, and
only if the page shows the count (one query), or found kept in the shared cache."""

from functools import cache

from partnership.core import fragments
from partnership.discussion.models import Notification
from partnership.rules import bell_tables, profile_read, seen_by_recipient

BELL_LIMIT = 100


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}

    def count():
        # Counted up to BELL_LIMIT (shown "99+"): the cost stays bounded for someone who lets
        # thousands of notifications pile up.
        if profile_read(user):
            # The page read the person's profile and the agreements it gives them: the rule
            # then compiles and runs at half the cost (1 ms of CPU and 1 of SQL a page).
            notifications = Notification.objects.visible_to(user)
        else:
            notifications = Notification.objects.filter(seen_by_recipient(), recipient=user)
        return notifications.unread()[:BELL_LIMIT].count()

    @cache
    def unread_notifications():
        # Kept until the person's notifications change (``fragments.written_for``: a new one
        # for someone else leaves it kept) or what decides what they may see does.
        bell = fragments.Fragment(
            key=(user.pk,),
            tables=bell_tables(),
            parts=frozenset({fragments.part(Notification, "recipient", user.pk)}),
            draw=count,
        )
        return fragments.drawn({"bell": bell})["bell"]

    return {"unread_notifications": unread_notifications}
