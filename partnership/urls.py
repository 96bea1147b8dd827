"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from partnership import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("comptes/", include("django.contrib.auth.urls")),
    path("langue/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
