"""The addresses of single sign-on (off, answering 404, when it is not configured)."""

from django.urls import path

from partnership.directory import sso_views

urlpatterns = [
    path("logout/", sso_views.SSOLogoutView.as_view(), name="logout"),
    path("proconnect/", sso_views.sso_login, name="sso_login"),
    path("proconnect/retour/", sso_views.oidc_callback, name="oidc_callback"),
    path("proconnect/lier/", sso_views.sso_link, name="sso_link"),
    path("proconnect/demande/", sso_views.sso_pending, name="sso_pending"),
    path(
        "proconnect/deconnexion-serveur/",
        sso_views.backchannel_logout,
        name="oidc_backchannel_logout",
    ),
]
