"""The pages of single sign-on (partnership.directory.sso): going to the provider, coming
back from it, the page of a person awaiting their organisation's decision, linking one's own
identity, logging out of both, and the coordinators' pages that decide access requests."""

from urllib.parse import parse_qs, urlsplit

from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LogoutView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnership.core.forms import OneLineMixin
from partnership.directory import sso
from partnership.directory.models import AccessRequest
from partnership.rules import Role, roles_given_by

STATES_KEY = "oidc_states"
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _require_enabled():
    if not sso.enabled():
        raise Http404


def refused_page(request, error: sso.SSORefused):
    sso.log_refusal(request, error.reason)
    return render(request, "registration/sso_refused.html", {"message": error.message}, status=403)


def _start(request):
    """The library's redirect to the provider, its state, nonce and PKCE verifier kept."""
    try:
        return sso.SSOAuthenticationRequestView.as_view()(request)
    except sso.SSORefused as error:
        return refused_page(request, error)


@login_not_required
@require_GET
def sso_login(request):
    _require_enabled()
    return _start(request)


@require_POST
def sso_link(request):
    """The logged-in person links their ProConnect identity to their account: only from a
    session opened with their password (an SSO session proves nothing new)."""
    _require_enabled()
    if request.session.get(sso.ID_TOKEN_KEY):
        raise PermissionDenied
    response = _start(request)
    if isinstance(response, HttpResponseRedirect):
        state = parse_qs(urlsplit(response.url).query).get("state", [""])[0]
        entry = request.session.get(STATES_KEY, {}).get(state)
        if entry is not None:
            entry["link_user"] = request.user.pk
            request.session.modified = True
    return response


@login_not_required
@require_GET
def oidc_callback(request):
    """Back from the provider: the state is this session's (used once), then the tokens are
    checked and the person recognised (``sso.sign_in``)."""
    _require_enabled()
    states = request.session.get(STATES_KEY)
    state = request.GET.get("state", "")
    entry = states.pop(state, None) if isinstance(states, dict) else None
    if entry is not None:
        request.session[STATES_KEY] = states
        request.session.save()
    if entry is not None and entry.get("refresh_user") is not None:
        return _refreshed(request, entry)
    try:
        if entry is None:
            raise sso.SSORefused("unknown or replayed state")
        if request.GET.get("error"):
            raise sso.SSORefused(
                f"provider error {request.GET['error']}",
                _("The sign-in was cancelled or refused at ProConnect. Nothing was recorded."),
            )
        if not sso.state_is_fresh(entry):
            raise sso.SSORefused("expired state")
        code = request.GET.get("code")
        if not code:
            raise sso.SSORefused("no code")
        link_user = None
        if entry.get("link_user") is not None:
            if not request.user.is_authenticated or request.user.pk != entry["link_user"]:
                raise sso.SSORefused("link started by another session")
            link_user = request.user
        id_token, claims = sso.SSOBackend().claims(
            request, code=code, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
        )
        outcome = sso.sign_in(request, claims, link_to=link_user)
    except sso.SSORefused as error:
        return refused_page(request, error)
    if outcome.kind == "linked":
        messages.success(request, _("Your ProConnect identity is linked to your account."))
        return redirect("home")
    if outcome.kind == "pending":
        if request.user.is_authenticated:
            auth.logout(request)
        request.session[sso.REQUEST_KEY] = outcome.access_request.pk
        return redirect("sso_pending")
    next_url = request.session.get("oidc_login_next") or resolve_url(settings.LOGIN_REDIRECT_URL)
    auth.login(request, outcome.user, backend=PASSWORD_BACKEND)
    request.session[sso.ID_TOKEN_KEY] = id_token
    request.session[sso.EXPIRY_KEY] = claims["exp"]
    sso.record_session(request, claims)
    return HttpResponseRedirect(next_url)


@csrf_exempt
@login_not_required
@require_POST
def backchannel_logout(request):
    """The provider tells us, server to server, that a session of its own ended (OpenID
    Connect Back-Channel Logout): its logout token checked, the sessions opened here from
    it end. 400 for any token refused (forged, for another client, old, replayed)."""
    _require_enabled()
    try:
        claims = sso.SSOBackend().verify_logout_token(request.POST.get("logout_token", ""))
        sso.end_provider_sessions(request, claims)
    except sso.SSORefused as error:
        sso.log_refusal(request, error.reason)
        response = HttpResponse(status=400)
    else:
        response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response


def _refreshed(request, entry):
    """Back from the provider's silent check (``sso.SSOSessionRefresh``): a new ID token
    for the same identity keeps the session; anything else ends it."""
    next_url = request.session.get("oidc_login_next") or resolve_url(settings.LOGIN_REDIRECT_URL)
    try:
        if not request.user.is_authenticated or request.user.pk != entry["refresh_user"]:
            raise sso.SSORefused("session check started by another session")
        if request.GET.get("error"):
            raise sso.SSORefused(f"provider session ended ({request.GET['error']})")
        if not sso.state_is_fresh(entry) or not request.GET.get("code"):
            raise sso.SSORefused("session check without a fresh state or a code")
        id_token, claims = sso.SSOBackend().claims(
            request,
            code=request.GET["code"],
            nonce=entry.get("nonce"),
            code_verifier=entry.get("code_verifier"),
        )
        if not request.user.oidc_identities.filter(
            issuer=claims["iss"], subject=str(claims["sub"])
        ).exists():
            raise sso.SSORefused("session check names another identity")
    except sso.SSORefused as error:
        if request.user.is_authenticated:
            sso.end_session(request, reason=error.reason)
        messages.info(request, _("Your ProConnect session has ended: please log in again."))
        return redirect("login")
    request.session[sso.ID_TOKEN_KEY] = id_token
    request.session[sso.EXPIRY_KEY] = claims["exp"]
    sso.record_session(request, claims)
    return HttpResponseRedirect(next_url)


@login_not_required
@require_GET
def sso_pending(request):
    """Where the person's access request stands, and who decides it."""
    _require_enabled()
    pk = request.session.get(sso.REQUEST_KEY)
    if not isinstance(pk, int):
        return redirect("login")
    access_request = get_object_or_404(
        AccessRequest.objects.select_related("user", "organisation"), pk=pk
    )
    return render(
        request,
        "registration/sso_pending.html",
        {"access_request": access_request, "deciders": sso.deciders(access_request)},
    )


class SSOLogoutView(LogoutView):
    """Django's logout; after a single sign-on, the provider's session ends too."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(sso.ID_TOKEN_KEY)
        sso.forget_session(request)
        response = super().post(request, *args, **kwargs)
        if id_token and sso.enabled():
            try:
                url = sso.logout_url(request, id_token)
            except sso.SSORefused:
                url = None
            if url:
                return HttpResponseRedirect(url)
        return response


# Deciding access requests --------------------------------------------------------------


class DecisionForm(OneLineMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles_given_by(user)]
        self.fields["role"].initial = Role.READER


@require_GET
def access_request_list(request):
    if not request.user.has_perm("partnership.view_accessrequest"):
        raise PermissionDenied
    requests = (
        AccessRequest.objects.visible_to(request.user)
        .select_related("user", "organisation", "decided_by")
        .order_by("status", "-requested_at")
    )
    return render(request, "partnership/access_request_list.html", {"access_requests": requests})


@require_http_methods(["GET", "POST"])
def access_request_detail(request, pk):
    access_request = get_object_or_404(
        AccessRequest.objects.visible_to(request.user).select_related(
            "user", "organisation", "decided_by"
        ),
        pk=pk,
    )
    if not request.user.has_perm("partnership.decide_accessrequest", access_request):
        raise PermissionDenied
    pending = access_request.status == AccessRequest.Status.PENDING
    form = DecisionForm(request.POST or None, user=request.user)
    if request.method == "POST" and pending and form.is_valid():
        try:
            if request.POST.get("decision") == "approve" and form.cleaned_data["role"]:
                sso.approve(
                    access_request=access_request,
                    role=form.cleaned_data["role"],
                    by=request.user,
                    request=request,
                )
                messages.success(request, _("The request was approved."))
                return redirect("access_request_list")
            if request.POST.get("decision") == "refuse":
                sso.refuse(access_request=access_request, by=request.user, request=request)
                messages.success(request, _("The request was refused."))
                return redirect("access_request_list")
        except sso.DecisionRefused as error:
            form.add_error(None, str(error))
        else:
            form.add_error(None, _("Choose a role and approve, or refuse the request."))
    return render(
        request,
        "partnership/access_request_detail.html",
        {"object": access_request, "form": form, "pending": pending},
    )
