"""The whole single sign-on story in chromium, through the provider's own login page: a first
sign-in waits, a coordinator approves, the person comes back in, then logs out of both the
site and the provider. The new pages pass axe-core (WCAG 2.1 AA) at 1280 and 390 px."""

from pathlib import Path

import pytest

from partnership.models import AccessRequest, StaffProfile
from tests.browser import (  # noqa: F401
    assert_no_horizontal_overflow,
    chromium,
    logged_in_page,
    take_console_errors,
)
from tests.oidc import oidc_server, provider  # noqa: F401
from tests.test_accessibility import nu_html_check

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _with_axe(context):
    """axe in every document of the context, added by the browser (the pages' policy lets
    no inline script in)."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make install-test` installs it.")
    context.add_init_script(path=str(AXE))
    return context


def _axe(page):
    return page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations']})).violations.map(v => v.id + ': ' +
            v.nodes.map(n => n.target.join(' ')).join(', '))""",
        AXE_TAGS,
    )


HTML = {}


def _check(page, name):
    """axe at both widths, no horizontal scrolling, a screenshot for a human eye; the page's
    HTML kept for the Nu HTML checker."""
    HTML[name] = page.content()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert _axe(page) == [], f"{name} @ {width}"
        assert_no_horizontal_overflow(page)
        page.screenshot(path=f"/tmp/sso-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _sign_in_at_provider(page, sub):
    page.get_by_role("link", name="S’identifier avec ProConnect").click()
    page.locator("#subject-input").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()


def test_first_sign_in_approval_return_and_logout_through_the_provider(
    chromium, live_server, provider, anact, anact_coordinator, password
):
    anact.email_domains = "anact.fr"
    anact.save()
    anact_coordinator.set_password(password)
    anact_coordinator.save()
    provider.set_user(
        "agent-7", email="nora.benali@anact.fr", given_name="Nora", usual_name="Benali"
    )

    context = _with_axe(
        chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    # The provider's own pages load their style sheet from the Internet: only ours count.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and page.url.startswith(live_server.url)
            and errors.append(message.text)
        ),
    )
    try:
        page.goto(f"{live_server.url}/comptes/login/")
        _check(page, "login")
        _sign_in_at_provider(page, "agent-7")
        page.wait_for_url(f"{live_server.url}/comptes/proconnect/demande/")
        assert "attend la décision" in page.content()
        _check(page, "pending")
        access_request = AccessRequest.objects.get()

        # The coordinator of Anact, logged in with their password, approves from the dashboard.
        coordinator = logged_in_page(chromium, live_server, anact_coordinator.username, password)
        _with_axe(coordinator.context)
        try:
            coordinator.get_by_role("link", name="Trancher les demandes d’accès").click()
            coordinator.wait_for_url(f"{live_server.url}/demandes-d-acces/")
            _check(coordinator, "access-requests")
            coordinator.get_by_role("link", name="Nora Benali").click()
            _check(coordinator, "access-request")
            coordinator.get_by_label("Rôle").select_option("contributor")
            coordinator.get_by_role("button", name="Accepter avec ce rôle").click()
            coordinator.wait_for_url(f"{live_server.url}/demandes-d-acces/")
            assert coordinator.errors == []
        finally:
            coordinator.context.close()
        assert StaffProfile.objects.get(user=access_request.user).role == "contributor"

        # Back through the provider: the dashboard.
        page.goto(f"{live_server.url}/comptes/login/")
        _sign_in_at_provider(page, "agent-7")
        page.wait_for_url(f"{live_server.url}/")
        assert "Nora Benali" in page.content()

        # Logging out ends the provider's session, then comes back to the login page.
        page.locator("form[action='/comptes/logout/']").evaluate("form => form.requestSubmit()")
        page.wait_for_url(f"{provider.url}/oauth2/end_session**")
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{live_server.url}/comptes/login/**")
        page.goto(f"{live_server.url}/")
        assert "/comptes/login/" in page.url
        assert errors == []
    finally:
        context.close()
    assert _our_errors(provider) == []
    assert nu_html_check({name: HTML[name] for name in HTML if name != "refused"}) == []


def test_the_refusal_page_passes_axe(chromium, live_server, provider, anact):
    provider.set_user("nobody", email="x@inconnu.fr")
    context = _with_axe(
        chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server.url}/comptes/login/")
        _sign_in_at_provider(page, "nobody")
        page.wait_for_load_state("load")
        assert "Connexion avec ProConnect refusée" in page.content()
        _check(page, "refused")
    finally:
        context.close()
    # The refusal page answers 403, on purpose.
    refused = f"{live_server.url}/comptes/proconnect/retour/"
    assert [e for e in _our_errors(provider) if not (e.startswith(refused) and "403" in e)] == []
    assert nu_html_check({"refused": HTML["refused"]}) == []


def _our_errors(provider):
    """The console errors the browser logged on our pages: the provider's own pages load their
    style sheet from the Internet, refused offline."""
    return [error for error in take_console_errors() if not error.startswith(provider.url)]
