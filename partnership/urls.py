"""Root URL configuration: each subject's addresses, then the pages that span subjects."""

from django.contrib import admin
from django.urls import include, path

from partnership.core import views
from partnership.directory import language
from partnership.discussion.preference_views import notification_preferences
from partnership.overview.dashboard import dashboard

urlpatterns = [
    path("", dashboard, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("a-propos/", views.about, name="about"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    # Django's account pages, the password reset request limited per address and per client.
    # Single sign-on (ProConnect) first: its logout also ends the provider's session.
    path("comptes/", include("partnership.directory.sso_urls")),
    path("comptes/", include("partnership.core.auth_urls")),
    path("langue/", language.set_language, name="set_language"),
    path("notifications/preferences/", notification_preferences, name="notification_preferences"),
    path("admin/", admin.site.urls),
    path("", include("partnership.agreements.urls")),
    path("", include("partnership.programmes.urls")),
    path("", include("partnership.programming.urls")),
    path("", include("partnership.meetings.urls")),
    path("", include("partnership.directory.urls")),
    # Documents are served by these views only: no URL ever serves MEDIA_ROOT.
    path("", include("partnership.documents.urls")),
    # Comments, follows and notifications.
    path("", include("partnership.discussion.urls")),
    path("conventions/", include("conventions.urls")),
    path("experimentations/", include("experimentations.urls")),
    # Search, reports, full histories, restoring an earlier version or a deleted record.
    path("", include("partnership.overview.urls")),
]

# A request that cannot be read is a French 400; uncaught errors a 500, a database that does
# not answer a 503 (partnership/core/errors.py).
handler400 = "partnership.core.errors.bad_request"
handler500 = "partnership.core.errors.server_error"
