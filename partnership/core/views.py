"""The pages that know no subject: the load balancer's probe, the "about" page, the
accessibility statement, the password reset request (throttled)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from partnership.core import throttle
from partnership.core.security import client_ip, loggable

logger = logging.getLogger("partnership.security")


@login_not_required
@require_GET
def healthz(request):
    """Liveness probe for the load balancer: answers without touching the session."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def about(request):
    """What the application is for and who to ask: a static page (also the benchmarks' baseline)."""
    return render(request, "about.html")


@login_not_required
@require_GET
def accessibility(request):
    """The accessibility statement (RGAA): public, linked from every page's footer, the login
    page's included. A legal text, written whole in each language rather than in msgids."""
    language = "en" if get_language() == "en" else "fr"
    return render(
        request,
        f"accessibility_{language}.html",
        {"contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL},
    )


@method_decorator(login_not_required, name="dispatch")
class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset request, limited per e-mail address and per client.

    Past ``PASSWORD_RESET_LIMIT_PER_ADDRESS`` requests for one address, or
    ``PASSWORD_RESET_LIMIT_PER_CLIENT`` from one client, within
    ``PASSWORD_RESET_WINDOW_MINUTES``, no e-mail is sent, and the answer is the same as when
    one is: nobody learns from it whether an address has an account or is being limited.
    """

    def form_valid(self, form):
        window = timedelta(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES)
        address = form.cleaned_data["email"].strip().casefold()
        client = client_ip(self.request) or "-"
        allowed = throttle.allow(
            "password_reset:client",
            client,
            limit=settings.PASSWORD_RESET_LIMIT_PER_CLIENT,
            window=window,
        ) and throttle.allow(
            "password_reset:address",
            address,
            limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
            window=window,
        )
        if allowed:
            return super().form_valid(form)
        logger.warning("password reset throttled ip=%s", loggable(client))
        return HttpResponseRedirect(self.get_success_url())
