"""The pages that know no subject: the load balancer's probe and the "about" page."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def healthz(request):
    """Liveness probe for the load balancer: answers without touching the session."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def about(request):
    """What the application is for and who to ask: a static page (also the benchmarks' baseline)."""
    return render(request, "about.html")
