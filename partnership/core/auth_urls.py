"""The account pages: Django's own, the password reset request limited (``views``). The
logout is single sign-on's (``partnership.directory.sso_urls``): it also ends the session at
the identity provider."""

from django.contrib.auth import urls as django_auth_urls
from django.urls import path

from partnership.core import views

urlpatterns = [
    path(
        "password_reset/",
        views.ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    *(
        pattern
        for pattern in django_auth_urls.urlpatterns
        if pattern.name not in ("password_reset", "logout")
    ),
]
