"""Every page needs a login: a test case per URL pattern, generated from the URL configuration.

The patterns are collected when pytest imports this module, so a view added later to any app (or
a model registered in the admin) is tested without touching this file. A new public page must be
added to PUBLIC_URL_NAMES on purpose.
"""

import re
import re._parser as sre_parse
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern

# The only pages an anonymous visitor may reach (fully qualified URL names).
PUBLIC_URL_NAMES = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "admin:login",
    "healthz",  # liveness probe of the load balancer
    # The accessibility statement: linked from every page's footer, the login page's too.
    "accessibility",
    # The language chosen on the login page (POST only; partnership/directory/language.py).
    "set_language",
    # The personal calendar feed: calendar clients cannot log in, so a secret key in the
    # address stands for the login; a wrong key is a 404 (tests/test_calendar.py).
    "calendar_feed",
    # Single sign-on: to the provider, back from it, and the page of a person whose access
    # request awaits a decision (tests/test_sso.py).
    "sso_login",
    "oidc_callback",
    "sso_pending",
    # The provider's back-channel logout: server to server, its logout token stands for the
    # login (POST only; tests/test_sso_session.py).
    "oidc_backchannel_logout",
}
# Public pages behind a secret in their address: the sample address has a wrong secret.
SECRET_URL_NAMES = {"calendar_feed"}
# Public pages that answer 404 while single sign-on is not configured (as here).
SSO_URL_NAMES = {"sso_login", "oidc_callback", "sso_pending"}
# Public pages that only take a form: a GET is refused.
POST_ONLY_URL_NAMES = {"set_language", "oidc_backchannel_logout"}

SAMPLE_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


@dataclass(frozen=True)
class Page:
    url: str
    name: str | None  # "namespace:name", None for an unnamed pattern
    namespace: str | None
    callback: object

    @property
    def id(self):
        return f"{self.name or '(unnamed)'} {self.url}"


def sample_for_converter(converter):
    if isinstance(converter, IntConverter):
        value = 1
    elif isinstance(converter, UUIDConverter):
        value = SAMPLE_UUID
    else:  # str, slug, path and custom converters
        text = "x" if re.fullmatch(converter.regex, "x") else sample_for_regex(converter.regex)
        value = converter.to_python(text)
    return converter.to_url(value)


def sample_for_regex(regex):
    """A short, plausible string that the regular expression matches."""
    return "".join(_sample_items(sre_parse.parse(regex)))


def _sample_items(items):
    for op, arg in items:
        yield from _sample_item(op, arg)


def _sample_item(op, arg):
    name = str(op)
    if name == "LITERAL":
        yield chr(arg)
    elif name in {"ANY", "NOT_LITERAL"}:
        yield "x" if name == "ANY" or arg != ord("x") else "y"
    elif name == "IN":
        yield _sample_char_in(arg)
    elif name == "BRANCH":
        yield from _sample_items(arg[1][0])
    elif name == "SUBPATTERN":
        yield from _sample_items(arg[3])
    elif name == "ATOMIC_GROUP":
        yield from _sample_items(arg)
    elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        low, high, sub = arg
        for _ in range(min(max(low, 1), high)):
            yield from _sample_items(sub)
    elif name in {"AT", "ASSERT", "ASSERT_NOT"}:
        return
    else:
        raise ValueError(f"Cannot build a sample URL for regex element {name}")


def _sample_char_in(items):
    negate = bool(items) and str(items[0][0]) == "NEGATE"
    items = items[1:] if negate else items
    for candidate in "x1-a_.":
        if _char_in(candidate, items) != negate:
            return candidate
    for op, arg in items:  # an exotic set: its first member
        if str(op) == "LITERAL":
            return chr(arg)
        if str(op) == "RANGE":
            return chr(arg[0])
    raise ValueError(f"Cannot pick a character for the set {items}")


def _char_in(char, items):
    categories = {
        "CATEGORY_DIGIT": char.isdigit(),
        "CATEGORY_NOT_DIGIT": not char.isdigit(),
        "CATEGORY_WORD": char.isalnum() or char == "_",
        "CATEGORY_NOT_WORD": not (char.isalnum() or char == "_"),
        "CATEGORY_SPACE": char.isspace(),
        "CATEGORY_NOT_SPACE": not char.isspace(),
    }
    for op, arg in items:
        op = str(op)
        if (
            (op == "LITERAL" and chr(arg) == char)
            or (op == "RANGE" and arg[0] <= ord(char) <= arg[1])
            or (op == "CATEGORY" and categories.get(str(arg), False))
        ):
            return True
    return False


def sample_for_pattern(pattern):
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAMETER.sub(
            lambda m: sample_for_converter(pattern.converters[m["parameter"]]), str(pattern)
        )
    if isinstance(pattern, RegexPattern):
        return sample_for_regex(pattern.regex.pattern)
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix
    raise TypeError(f"Unknown URL pattern type {type(pattern).__name__}")


def collect_pages(resolver=None, prefix="/", namespace=None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        path = prefix + sample_for_pattern(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or None
            if namespace and inner:
                inner = f"{namespace}:{inner}"
            yield from collect_pages(entry, path, inner or namespace)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Page(url=path, name=name, namespace=namespace, callback=entry.callback)


PAGES = list(collect_pages())
PRIVATE_PAGES = [page for page in PAGES if page.name not in PUBLIC_URL_NAMES]
PUBLIC_PAGES = [page for page in PAGES if page.name in PUBLIC_URL_NAMES]


def login_urls_for(page):
    """Where an anonymous visitor may be sent: our login page, or the admin's for its pages."""
    urls = {resolve_url(settings.LOGIN_URL)}
    if page.namespace and page.namespace.split(":")[0] == "admin":
        urls.add(reverse("admin:login"))
    return urls


def test_the_url_configuration_is_walked_completely():
    names = {page.name for page in PAGES}
    assert {"home", "admin:index", "logout", "password_change"} <= names
    assert len(PRIVATE_PAGES) > len(PUBLIC_PAGES)


def test_public_pages_are_only_names_that_exist():
    names = {page.name for page in PAGES}
    assert names >= PUBLIC_URL_NAMES, f"Unknown names: {sorted(PUBLIC_URL_NAMES - names)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.id)
def test_sample_url_reaches_its_own_view(page):
    match = resolve(page.url)
    assert match.func is page.callback, (
        f"{page.url} resolves to {match.view_name or match._func_path}, not to {page.id}: "
        "another pattern shadows it or the sample values do not fit its converters."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("page", PRIVATE_PAGES, ids=lambda page: page.id)
def test_anonymous_visitor_is_sent_to_the_login_page(client, page, method):
    response = getattr(client, method)(page.url)

    assert response.status_code == 302, f"{method.upper()} {page.url}: {response.status_code}"
    location = urlsplit(response["Location"])
    assert location.path in login_urls_for(page)
    assert parse_qs(location.query) == {"next": [page.url]}


@pytest.mark.django_db
@pytest.mark.parametrize("page", PUBLIC_PAGES, ids=lambda page: page.id)
def test_public_page_answers_an_anonymous_visitor(client, page):
    response = client.get(page.url)

    expected = 404 if page.name in SECRET_URL_NAMES | SSO_URL_NAMES else 200
    assert response.status_code == (405 if page.name in POST_ONLY_URL_NAMES else expected)
