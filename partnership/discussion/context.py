"""The bell in the navigation: the person's unread notifications, counted once per page, and
only if the page shows the count (one query)."""

from functools import cache

from partnership.discussion.models import Notification


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread_notifications():
        return Notification.objects.visible_to(user).unread().count()

    return {"unread_notifications": unread_notifications}
