"""The language of the pages: a setting of the person's account, never their browser's.

Django's LocaleMiddleware follows the browser's Accept-Language. Here the language is the
staff profile's (``StaffProfile.language``, French unless the person chose otherwise): it is
copied into the session at login, so that a page costs no extra query, and changed from the
person's menu (``set_language``), which writes the profile, the session and Django's
language cookie. Without a session choice (before logging in, on the login page) the
language chosen on this browser (the cookie) applies, else French.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.db import DatabaseError
from django.dispatch import receiver
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from partnership.rules import profile_of

SESSION_KEY = "language"
AVAILABLE = {code for code, _name in settings.LANGUAGES}


def _known(code):
    return code if code in AVAILABLE else None


def language_of(request):
    """The session's language (the profile's), else this browser's choice, else French."""
    session = getattr(request, "session", None)
    try:
        chosen = session.get(SESSION_KEY) if session is not None else None
    except DatabaseError:
        # The sessions' database does not answer: the error page that says so is drawn in
        # this browser's language if it has one.
        chosen = None
    return (
        _known(chosen)
        or _known(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        or settings.LANGUAGE_CODE
    )


class PersonLanguageMiddleware:
    """Activates the person's language (in the place of Django's LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_of(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


@receiver(user_logged_in, dispatch_uid="partnership.directory.language")
def take_the_profile_language(sender, request, user, **kwargs):
    profile = profile_of(user)
    if request is not None and profile is not None:
        request.session[SESSION_KEY] = profile.language


@login_not_required
@require_POST
def set_language(request):
    """Django's view (the language cookie, the return to ``next``), and the choice kept on the
    person's profile and in their session."""
    response = django_set_language(request)
    language = _known(request.POST.get("language"))
    if language:
        request.session[SESSION_KEY] = language
        profile = profile_of(request.user)
        if profile is not None and profile.language != language:
            # A preference, not a change to the record: no new version, no history line.
            type(profile)._default_manager.filter(pk=profile.pk).update(language=language)
    return response
