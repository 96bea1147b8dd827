"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from partnership import views
from partnership.views import (
    agreements,
    calendar,
    dashboard,
    directory,
    documents,
    meetings,
    programmes,
    reports,
    restore,
    search,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("a-propos/", views.about, name="about"),
    path("comptes/", include("django.contrib.auth.urls")),
    path("langue/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    *agreements.urlpatterns,
    *programmes.urlpatterns,
    *reports.urlpatterns,
    *meetings.urlpatterns,
    *calendar.urlpatterns,
    *directory.urlpatterns,
    *search.urlpatterns,
    *dashboard.urlpatterns,
    # Documents are served by these views only: no URL ever serves MEDIA_ROOT.
    *documents.urlpatterns,
    path("conventions/", include("conventions.urls")),
    path("experimentations/", include("experimentations.urls")),
    # Full histories, restoring an earlier version or a deleted record.
    *restore.urlpatterns,
]

# A request that cannot be read is a French 400; uncaught errors a 500, a database that does
# not answer a 503 (partnership/views/errors.py).
handler400 = "partnership.views.errors.bad_request"
handler500 = "partnership.views.errors.server_error"
