import pytest

from tests.browser import assert_no_horizontal_overflow, chromium, log_in, page  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_person_logs_in_in_french_and_reaches_the_dashboard(page, live_server, alice, password):
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "/comptes/login/" in page.url
    log_in(page, live_server, "alice", password)
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("navigation", name="Navigation principale").is_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_login_page_fits_the_screen(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/comptes/login/")
    assert page.get_by_role("button", name="Connexion").is_visible()
    assert_no_horizontal_overflow(page)
