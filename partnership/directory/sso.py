"""Single sign-on with OpenID Connect (ProConnect), on top of mozilla-django-oidc.

mozilla-django-oidc sends the person to the provider with a state, a nonce and a PKCE
challenge kept in the session (``SSOAuthenticationRequestView``), and exchanges the code for
the tokens (``SSOBackend.get_token``, ``get_userinfo``). What it does not check, this module
does: the ID token's issuer, audience, expiry and issue date (with ``OIDC_CLOCK_SKEW_SECONDS``
of leeway) beside its signature and nonce; the provider's keys are read from its JWKS, kept
an hour, and read again when a token names a key they do not hold (key rotation); a userinfo
answered as a signed JWT (ProConnect) is checked the same way and must name the same ``sub``.
The provider's addresses come from its discovery document (``OIDC_DISCOVERY_URL``), read once
an hour, or from the settings.

Who the person is: an ``OIDCIdentity`` (issuer, ``sub``) already linked names the account,
whatever the e-mail address says now. An unknown identity is never linked to an account by
its e-mail address (the project keeps no proof that an account's address is its owner's): a
person with a password links their identity themselves, logged in (``sign_in`` with
``link_to``), or an administrator does it in the back office. Someone unknown whose SIRET or
e-mail domain names an organisation gets an inactive account with no role and an
``AccessRequest`` that the organisation's coordinators decide (``approve``, ``refuse``);
anyone else is refused and nothing is kept. Every step is a line of the security log.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from partnership.core.security import client_ip, loggable
from partnership.directory.models import (
    AccessRequest,
    OIDCIdentity,
    Organisation,
    SSOSession,
    StaffProfile,
)
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.rules import Role, roles_given_by, with_role

logger = logging.getLogger("partnership.security")

DISCOVERY_CACHE_KEY = "oidc:discovery"
JWKS_CACHE_KEY = "oidc:jwks"
CACHE_SECONDS = 3600
# Back-channel logout: the event a logout token carries, and how old it may be.
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX_AGE = 5 * 60
# How long a sign-in started here may take at the provider before its state is refused.
STATE_MAX_AGE = 15 * 60
# The session keys: the ID token of an SSO session (for the provider's logout), when it
# expires (mozilla-django-oidc's key: the session is checked again at the provider then), and
# the access request the person following it may see (``pending`` page).
ID_TOKEN_KEY = "oidc_id_token"
EXPIRY_KEY = "oidc_id_token_expiration"
REQUEST_KEY = "oidc_access_request"


class SSORefused(Exception):
    """The sign-in is refused; ``reason`` goes to the security log, ``message`` to the page."""

    def __init__(self, reason: str, message=None):
        super().__init__(reason)
        self.reason = reason
        self.message = message or _(
            "The sign-in could not be verified. Nothing was recorded: please try again "
            "from the login page."
        )


# Configuration -------------------------------------------------------------------------


def enabled() -> bool:
    return settings.OIDC_ENABLED


def _get(url: str):
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    return response


def provider() -> dict:
    """The provider's issuer and endpoints: its discovery document, else the settings."""
    configured = {
        "issuer": settings.OIDC_OP_ISSUER,
        "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
        "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
        "end_session_endpoint": settings.OIDC_OP_LOGOUT_ENDPOINT,
    }
    if not settings.OIDC_DISCOVERY_URL:
        return configured
    document = cache.get(DISCOVERY_CACHE_KEY)
    if document is None:
        try:
            document = _get(settings.OIDC_DISCOVERY_URL).json()
        except (requests.RequestException, ValueError) as error:
            raise SSORefused("discovery document unreachable") from error
        document = {key: document.get(key, "") for key in configured}
        cache.set(DISCOVERY_CACHE_KEY, document, CACHE_SECONDS)
    # A value set explicitly wins over the document.
    return {key: configured[key] or document.get(key, "") for key in configured}


# The protocol --------------------------------------------------------------------------


# mozilla-django-oidc reads these settings; the provider's come from ``provider()``.
PROVIDER_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
LIBRARY_SETTINGS = {
    "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_callback",
    "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_CREATE_USER": False,
    "OIDC_REDIRECT_REQUIRE_HTTPS": False,
}


def library_setting(attr, *default):
    if attr in PROVIDER_SETTINGS:
        return provider()[PROVIDER_SETTINGS[attr]]
    if attr == "OIDC_TIMEOUT":
        return settings.OIDC_TIMEOUT
    if attr in LIBRARY_SETTINGS:
        return LIBRARY_SETTINGS[attr]
    return getattr(settings, attr, *default)


class SSOAuthenticationRequestView(OIDCAuthenticationRequestView):
    """Sends the person to the provider (state, nonce and PKCE kept in the session)."""

    get_settings = staticmethod(library_setting)
    # The views in front of it choose the method: GET to sign in, POST to link an identity.
    http_method_names = ["get", "post"]

    def post(self, request):
        return self.get(request)

    def get_extra_params(self, request):
        params = {}
        if settings.OIDC_ACR_VALUES:
            params["acr_values"] = settings.OIDC_ACR_VALUES
        return params


class SSOBackend(OIDCAuthenticationBackend):
    """The library's token and userinfo requests, with the checks it leaves out.

    Never listed in AUTHENTICATION_BACKENDS: ``sign_in`` asks it for the claims and decides
    who the person is itself.
    """

    get_settings = staticmethod(library_setting)

    def __init__(self):
        super().__init__()
        self.issuer = provider()["issuer"]
        if not self.issuer or not self.OIDC_OP_JWKS_ENDPOINT:
            raise SSORefused("provider without issuer or keys")

    def _jwks(self, refresh=False) -> dict:
        keys = None if refresh else cache.get(JWKS_CACHE_KEY)
        if keys is None:
            try:
                keys = _get(self.OIDC_OP_JWKS_ENDPOINT).json()
            except (requests.RequestException, ValueError) as error:
                raise SSORefused("jwks unreachable") from error
            cache.set(JWKS_CACHE_KEY, keys, CACHE_SECONDS)
        return keys

    def retrieve_matching_jwk(self, token):
        """The provider's key named by the token; its keys read again once when the token
        names a key they do not hold (the provider rotated them)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise SSORefused("token unreadable") from error
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SSORefused(f"token algorithm {header.get('alg')} refused")
        for refresh in (False, True):
            for key in self._jwks(refresh=refresh).get("keys", []):
                if (
                    key.get("kid") == header.get("kid")
                    and key.get("alg", header["alg"]) == (header["alg"])
                ):
                    try:
                        return jwt.PyJWK(key)
                    except jwt.PyJWTError as error:
                        raise SSORefused("provider key unusable") from error
        raise SSORefused("token signed with an unknown key")

    def verify_token(self, token, **kwargs):
        """The claims of a token the provider signed for us: signature, issuer, audience,
        expiry, issue date and (for the ID token) the nonce of this sign-in."""
        if not isinstance(token, str) or not token:
            raise SSORefused("no token")
        id_token = "nonce" in kwargs
        key = self.retrieve_matching_jwk(token)
        required = ["iss", "aud", "sub", "exp", "iat"] if id_token else ["iss", "aud", "sub"]
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError as error:
            raise SSORefused("token expired") from error
        except jwt.InvalidIssuerError as error:
            raise SSORefused("token issuer refused") from error
        except jwt.InvalidAudienceError as error:
            raise SSORefused("token audience refused") from error
        except jwt.PyJWTError as error:
            raise SSORefused(f"token refused: {error}") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SSORefused("token authorised party refused")
        if id_token and (not kwargs["nonce"] or claims.get("nonce") != kwargs["nonce"]):
            raise SSORefused("token nonce refused")
        return claims

    def claims(self, request, *, code, nonce, code_verifier):
        """The ID token (raw) and the person's claims, the code exchanged at the provider."""
        self.request = request
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.build_absolute_uri(reverse("oidc_callback")),
            "code_verifier": code_verifier,
        }
        try:
            tokens = self.get_token(payload)
        except requests.RequestException as error:
            raise SSORefused("code refused by the provider") from error
        id_token = tokens.get("id_token")
        id_claims = self.verify_token(id_token, nonce=nonce)
        try:
            userinfo = self.get_userinfo(tokens.get("access_token"), id_token, id_claims)
        except (requests.RequestException, ValueError) as error:
            raise SSORefused("userinfo unreachable") from error
        if not isinstance(userinfo, dict) or userinfo.get("sub") != id_claims["sub"]:
            raise SSORefused("userinfo names another person")
        # The ID token's expiry is the session's at the provider, as far as we know it.
        return id_token, {
            **userinfo,
            "iss": id_claims["iss"],
            "sub": id_claims["sub"],
            "exp": id_claims["exp"],
            "sid": str(id_claims.get("sid") or ""),
        }

    def verify_logout_token(self, token) -> dict:
        """The claims of a back-channel logout token (OpenID Connect Back-Channel Logout
        1.0, section 2.6): signed by the provider with its keys, for us, recent (``iat``
        within ``LOGOUT_TOKEN_MAX_AGE``), with the logout event, no nonce, a ``sid`` or a
        ``sub``, and a ``jti`` never seen before (kept in the shared cache as long as the
        token would be accepted)."""
        if not isinstance(token, str) or not token:
            raise SSORefused("no logout token")
        key = self.retrieve_matching_jwk(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "iat", "jti", "events"]},
            )
        except jwt.PyJWTError as error:
            raise SSORefused(f"logout token refused: {error}") from error
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
            raise SSORefused("logout token without the logout event")
        if "nonce" in claims:
            raise SSORefused("logout token with a nonce")
        if not claims.get("sid") and not claims.get("sub"):
            raise SSORefused("logout token names no session")
        age = time.time() - claims["iat"]
        if age > LOGOUT_TOKEN_MAX_AGE + settings.OIDC_CLOCK_SKEW_SECONDS:
            raise SSORefused("logout token too old")
        window = LOGOUT_TOKEN_MAX_AGE + 2 * settings.OIDC_CLOCK_SKEW_SECONDS
        if not cache.add(f"oidc:logout:{claims['iss']}:{claims['jti']}", True, window):
            raise SSORefused("replayed logout token")
        return claims


def _refresh_setting(attr, *default):
    if attr == "OIDC_AUTH_REQUEST_EXTRA_PARAMS":
        return {"acr_values": settings.OIDC_ACR_VALUES} if settings.OIDC_ACR_VALUES else {}
    return library_setting(attr, *default)


class SSOSessionRefresh(SessionRefresh):
    """The session of a single sign-on ends when the ID token's session does.

    When the ID token has expired (``EXPIRY_KEY``, its ``exp``), the next page asked for
    with GET sends the person to the provider with ``prompt=none``: a provider whose session
    still runs answers at once with a new code and the person comes back to that page
    (``oidc_callback``, which checks the tokens name the same identity); one whose session
    has ended answers ``login_required`` and the session ends here too. Other methods wait
    for the next GET (a form being sent is not lost); sessions opened with a password are
    never sent. The provider's address is read per request (discovery), not at start-up.
    """

    get_settings = staticmethod(_refresh_setting)

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response)
        self.OIDC_EXEMPT_URLS = []
        self.OIDC_STATE_SIZE = 32
        self.OIDC_NONCE_SIZE = 32
        self.OIDC_USE_NONCE = True
        self.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self):  # noqa: N802 (the library's attribute)
        return provider()["authorization_endpoint"]

    @property
    def OIDC_RP_CLIENT_ID(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_SCOPES(self):  # noqa: N802
        return settings.OIDC_RP_SCOPES

    @cached_property
    def exempt_urls(self):
        names = ("sso_login", "oidc_callback", "logout", "sso_link", "sso_pending")
        return {reverse(name) for name in names}

    def is_refreshable_url(self, request):
        return (
            request.method == "GET"
            and enabled()
            and request.user.is_authenticated
            and bool(request.session.get(ID_TOKEN_KEY))
            and request.path not in self.exempt_urls
        )

    def process_request(self, request):
        if not self.is_refreshable_url(request) or request.session.get(EXPIRY_KEY, 0) > (
            time.time()
        ):
            return None
        try:
            response = super().process_request(request)
        except SSORefused as error:
            # The provider cannot be reached: the session cannot be confirmed, so it ends.
            end_session(request, reason=error.reason)
            return HttpResponseRedirect(reverse("login"))
        state = parse_qs(urlsplit(response.get("refresh_url") or response["Location"]).query)
        entry = request.session["oidc_states"].get(state["state"][0])
        entry["refresh_user"] = request.user.pk
        request.session.modified = True
        _log("session check", request, user=request.user.get_username())
        return response


def end_session(request, *, reason: str):
    """The session of a single sign-on ends here because the provider's has (or cannot be
    confirmed)."""
    logger.info(
        "sso session ended user=%s reason=%s ip=%s",
        loggable(request.user.get_username()),
        loggable(reason),
        loggable(client_ip(request)),
    )
    forget_session(request)
    auth.logout(request)


def forget_session(request):
    """The session ends here: its row goes (before the logout changes its key)."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        SSOSession.objects.filter(session_key=session.session_key).delete()


def record_session(request, claims: dict):
    """The session just opened by single sign-on, kept with the provider's session it came
    from (for the back-channel logout)."""
    if not request.session.session_key:
        request.session.save()
    if settings.SESSION_ENGINE.endswith((".db", ".cached_db")):
        # The rows of sessions that expired since (the sessions' table is cleared apart).
        SSOSession.objects.filter(
            ~Exists(Session.objects.filter(session_key=OuterRef("session_key")))
        ).delete()
    SSOSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": request.user,
            "issuer": claims["iss"],
            "subject": str(claims["sub"]),
            "sid": claims.get("sid") or "",
        },
    )


@transaction.atomic
def end_provider_sessions(request, claims: dict) -> int:
    """The provider says its session ended (a verified logout token): the sessions opened
    here from it end too, those of its ``sid`` when it names one, else all of its ``sub``'s.
    Returns how many."""
    rows = SSOSession.objects.select_for_update().filter(issuer=claims["iss"])
    if claims.get("sid"):
        rows = rows.filter(sid=claims["sid"])
        if claims.get("sub"):
            rows = rows.filter(subject=str(claims["sub"]))
    else:
        rows = rows.filter(subject=str(claims["sub"]))
    keys = list(rows.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    SSOSession.objects.filter(session_key__in=keys).delete()
    _log(
        "backchannel logout",
        request,
        sub=claims.get("sub") or "-",
        sid=claims.get("sid") or "-",
        sessions=len(keys),
    )
    return len(keys)


def logout_url(request, id_token: str) -> str | None:
    """The provider's end-of-session address for this ID token, back to the login page."""
    endpoint = provider().get("end_session_endpoint")
    if not endpoint:
        return None
    params = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        "state": secrets.token_urlsafe(16),
    }
    return f"{endpoint}?{urlencode(params)}"


# Who the person is ---------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "login", "linked", "pending", "refused"
    user: object = None
    access_request: AccessRequest | None = None


def _log(event: str, request, **fields):
    details = " ".join(f"{name}={loggable(value)}" for name, value in fields.items())
    logger.info("sso %s %s ip=%s", event, details, loggable(client_ip(request)))


def log_refusal(request, reason: str):
    logger.warning("sso refused reason=%s ip=%s", loggable(reason), loggable(client_ip(request)))


def _siret(claims) -> str:
    value = str(claims.get("siret") or "").replace(" ", "")
    return value if value.isdigit() and len(value) == 14 else ""


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower() if "@" in email else ""


def matching_organisation(*, siret: str, email: str):
    """The organisation the SIRET names, else the one listing the e-mail's domain (only
    when a single one does)."""
    if siret:
        organisation = Organisation.objects.filter(siret=siret).first()
        if organisation is not None:
            return organisation
    domain = _domain(email)
    if not domain:
        return None
    candidates = [
        organisation
        for organisation in Organisation.objects.filter(email_domains__icontains=domain)
        if domain in organisation.domains
    ]
    return candidates[0] if len(candidates) == 1 else None


def _username(email: str, subject: str) -> str:
    User = get_user_model()
    base = (email or f"sso-{subject}")[:140]
    username, number = base, 1
    while User.objects.filter(username__iexact=username).exists():
        number += 1
        username = f"{base}-{number}"
    return username


@transaction.atomic
def sign_in(request, claims: dict, *, link_to=None) -> Outcome:
    """Who the verified claims name: an account to log in, an identity linked to the
    logged-in ``link_to``, or an access request awaiting a decision."""
    issuer, subject = claims["iss"], str(claims["sub"])
    email = str(claims.get("email") or "").strip()
    identity = (
        OIDCIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    now = timezone.now()
    if link_to is not None:
        if identity is not None and identity.user_id != link_to.pk:
            raise SSORefused(
                "identity linked to another account",
                _("This ProConnect identity is already linked to another account."),
            )
        if identity is None:
            identity = OIDCIdentity(user=link_to, issuer=issuer, subject=subject)
        identity.email = email
        identity.last_login_at = now
        identity.save()
        _log("identity linked", request, user=link_to.get_username(), sub=subject, by="self")
        return Outcome("linked", user=link_to)
    if identity is not None:
        identity.email = email
        identity.last_login_at = now
        identity.save(update_fields=["email", "last_login_at"])
        user = identity.user
        access_request = AccessRequest.objects.filter(user=user).first()
        if user.is_active and (
            user.is_superuser or StaffProfile.objects.filter(user=user).exists()
        ):
            _log("login", request, user=user.get_username(), sub=subject)
            return Outcome("login", user=user)
        if access_request is not None and access_request.status != AccessRequest.Status.APPROVED:
            _log(
                "login awaiting decision",
                request,
                user=user.get_username(),
                status=access_request.status,
            )
            return Outcome("pending", user=user, access_request=access_request)
        raise SSORefused(
            "account without access",
            _("Your account gives no access to this service. Ask an administrator."),
        )
    User = get_user_model()
    if email and User.objects.filter(email__iexact=email).exists():
        raise SSORefused(
            "e-mail of an existing account",
            _(
                "An account already uses this e-mail address. Log in with its password, then "
                "link your ProConnect identity from the menu of your account."
            ),
        )
    siret = _siret(claims)
    organisation = matching_organisation(siret=siret, email=email)
    if organisation is None:
        raise SSORefused(
            "no organisation for siret or domain",
            _(
                "Your organisation is not among the partners of this service: neither its "
                "SIRET number nor your e-mail address's domain is known here. Nothing was "
                "recorded. If you should have access, ask your organisation's coordinator "
                "of the partnership."
            ),
        )
    user = User(
        username=_username(email, subject),
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("usual_name") or claims.get("family_name") or "")[:150],
        is_active=False,
    )
    user.set_unusable_password()
    user.save()
    OIDCIdentity.objects.create(
        user=user, issuer=issuer, subject=subject, email=email, last_login_at=now
    )
    access_request = AccessRequest.objects.create(
        user=user, organisation=organisation, siret=siret, email_domain=_domain(email)
    )
    # The organisation's coordinators decide it.
    notify(
        Event.ACCESS_REQUEST,
        access_request,
        recipients=with_role(Role.COORDINATOR) & Q(profile__organisation=organisation),
    )
    _log(
        "access requested",
        request,
        user=user.get_username(),
        sub=subject,
        organisation=organisation.pk,
    )
    return Outcome("pending", user=user, access_request=access_request)


# Deciding a request --------------------------------------------------------------------


class DecisionRefused(Exception):
    pass


@transaction.atomic
def approve(*, access_request: AccessRequest, role: str, by, request=None) -> AccessRequest:
    """The person joins the request's organisation with the role; their account opens."""
    access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if access_request.status != AccessRequest.Status.PENDING:
        raise DecisionRefused(_("This request has already been decided."))
    if not by.has_perm("partnership.decide_accessrequest", access_request):
        raise DecisionRefused(_("You may not decide this request."))
    if role not in roles_given_by(by):
        raise DecisionRefused(_("You may not give this role."))
    user = access_request.user
    StaffProfile.objects.update_or_create(
        user=user, defaults={"organisation": access_request.organisation, "role": role}
    )
    user.is_active = True
    user.save(update_fields=["is_active"])
    access_request.status = AccessRequest.Status.APPROVED
    access_request.role = role
    access_request.decided_by = by
    access_request.decided_at = timezone.now()
    access_request.save(update_fields=["status", "role", "decided_by", "decided_at"])
    logger.info(
        "sso access approved user=%s role=%s organisation=%s by=%s ip=%s",
        loggable(user.get_username()),
        loggable(role),
        access_request.organisation_id,
        loggable(by.get_username()),
        loggable(client_ip(request) if request is not None else None),
    )
    return access_request


@transaction.atomic
def refuse(*, access_request: AccessRequest, by, request=None) -> AccessRequest:
    """The request is refused: the account stays closed, with no role."""
    access_request = AccessRequest.objects.select_for_update().get(pk=access_request.pk)
    if access_request.status != AccessRequest.Status.PENDING:
        raise DecisionRefused(_("This request has already been decided."))
    if not by.has_perm("partnership.decide_accessrequest", access_request):
        raise DecisionRefused(_("You may not decide this request."))
    access_request.status = AccessRequest.Status.REFUSED
    access_request.decided_by = by
    access_request.decided_at = timezone.now()
    access_request.save(update_fields=["status", "decided_by", "decided_at"])
    logger.info(
        "sso access refused user=%s organisation=%s by=%s ip=%s",
        loggable(access_request.user.get_username()),
        access_request.organisation_id,
        loggable(by.get_username()),
        loggable(client_ip(request) if request is not None else None),
    )
    return access_request


def deciders(access_request: AccessRequest) -> list:
    """Who decides the request: the organisation's coordinators (active accounts)."""
    User = get_user_model()
    return list(
        User.objects.filter(
            Q(is_active=True),
            profile__organisation_id=access_request.organisation_id,
            profile__role=Role.COORDINATOR,
        ).order_by("last_name", "first_name")
    )


def log_identity_change(event: str, identity: OIDCIdentity, *, by, request=None):
    """A link or unlink made in the back office."""
    logger.info(
        "sso identity %s user=%s sub=%s by=%s ip=%s",
        event,
        loggable(identity.user.get_username()),
        loggable(identity.subject),
        loggable(by.get_username()),
        loggable(client_ip(request) if request is not None else None),
    )


def state_is_fresh(entry: dict) -> bool:
    return isinstance(entry, dict) and time.time() - entry.get("added_on", 0) <= STATE_MAX_AGE


def context(request):
    """Template context: whether single sign-on is offered, and whether this session came
    through it (such a session does not link identities)."""
    session = getattr(request, "session", None)
    return {
        "sso_enabled": settings.OIDC_ENABLED,
        "sso_session": bool(session is not None and session.get(ID_TOKEN_KEY)),
    }
