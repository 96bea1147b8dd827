from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


def home(request):
    return render(request, "home.html")


@login_not_required
@require_GET
def healthz(request):
    """Liveness probe for the load balancer: answers without touching the session."""
    return HttpResponse("ok", content_type="text/plain")
