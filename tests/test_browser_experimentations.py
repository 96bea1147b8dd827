"""The experimentations in a real browser, on the demonstration data: the map of France shades
the enrolled companies region by region and a click filters the list; a stage decision and a
company import go through their pages. Screenshots go to SCREENSHOTS_DIR (/tmp/screenshots)."""

import os
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from experimentations import francemap
from experimentations.models import EnrolledCompany, Experimentation, Gate
from partnership.demo import data as demo
from partnership.models import Region
from tests.browser import assert_no_horizontal_overflow, chromium, log_in  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "/tmp/screenshots")) / "experimentations"
LIST = "/experimentations/"


@pytest.fixture(name="page")
def browser_page(chromium):  # noqa: F811  (tests.browser's own, until conftest holds it)
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def demo_data(db):
    call_command("load_demo", "--quiet")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


def _shading(page):
    """Each region's code -> (CSS classes, count, title) as the browser has them."""
    return page.eval_on_selector_all(
        "svg.region-map a.map-region",
        """links => Object.fromEntries(links.map(a => [a.dataset.region, [
            a.getAttribute('class'), Number(a.dataset.count), a.querySelector('title').textContent
        ]]))""",
    )


def _fill(page, code):
    return page.eval_on_selector(
        f"svg.region-map a[data-region='{code}'] path", "p => getComputedStyle(p).fill"
    )


def test_the_map_renders_with_the_shading_of_the_demo_data(page, live_server, demo_data):
    log_in(page, live_server, "anact.lecteur", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}{LIST}")
    assert page.locator("svg.region-map").is_visible()
    counts = Counter(EnrolledCompany.objects.values_list("region", flat=True))
    assert counts[Region.PDL] >= 5  # the demo has something to shade
    shading = _shading(page)
    assert set(shading) == {region.value for region in Region}
    for code, (classes, count, title) in shading.items():
        assert count == counts.get(code, 0), code
        assert f"map-fill-{francemap.bucket(count)}" in classes.split(), (code, classes)
        assert title.startswith(Region(code).label), title
        assert str(count) in title
    # The colours come from the style sheet: an empty region and the fullest differ.
    fullest = max(counts, key=counts.get)
    empty = next(code for code in shading if not counts.get(code))
    assert _fill(page, fullest) != _fill(page, empty)
    assert _fill(page, fullest) == "rgb(111, 163, 207)"  # map-fill-3: five to nine companies
    # The overseas regions are drawn in their frames.
    assert page.locator("svg.region-map rect.map-inset").count() == 5
    page.locator("#map").screenshot(path=SCREENSHOTS / "map-list.png")
    page.screenshot(path=SCREENSHOTS / "list.png", full_page=True)

    # A click on a region lists the experimentations there.
    page.locator("svg.region-map a[data-region='PDL']").click()
    page.wait_for_url(f"{live_server.url}{LIST}?region=PDL")
    titles = page.locator("main table tbody td:first-child a").all_inner_texts()
    expected = {
        *Experimentation.objects.filter(companies__region=Region.PDL).values_list("title"),
        *Experimentation.objects.filter(territories__region=Region.PDL).values_list("title"),
    }
    assert sorted(titles) == sorted(title for (title,) in expected)
    assert (
        page.locator("svg.region-map a[data-region='PDL']").get_attribute("aria-current") == "true"
    )
    assert_no_horizontal_overflow(page)


def test_an_experimentation_shows_its_own_map_and_its_decisions(page, live_server, demo_data):
    home_care = Experimentation.objects.get(sector="home_care")
    log_in(page, live_server, "anact.lecteur", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}{home_care.get_absolute_url()}")
    counts = Counter(home_care.companies.values_list("region", flat=True))
    shading = _shading(page)
    assert {code: count for code, (_, count, _) in shading.items() if count} == dict(counts)
    gates = page.locator("#gates article")
    assert gates.count() == 3
    assert page.locator("#gates .criterion-met").count() >= 3
    assert page.locator("#gates .criterion-unmet").count() >= 1
    page.locator("#gates").screenshot(path=SCREENSHOTS / "gates.png")
    page.locator("#map").screenshot(path=SCREENSHOTS / "map-detail.png")


@pytest.mark.parametrize("width", [1280, 390])
def test_experimentation_pages_fit_the_screen(page, live_server, demo_data, width):
    home_care = Experimentation.objects.get(sector="home_care")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "anact.coordinateur", demo.DEMO_PASSWORD)
    for name, url in [
        ("list", LIST),
        ("detail", home_care.get_absolute_url()),
        ("evaluation", f"{home_care.get_absolute_url()}evaluation/"),
        ("decision", f"{home_care.get_absolute_url()}decision/"),
        ("import", f"{home_care.get_absolute_url()}entreprises/importer/"),
        ("edit", f"{home_care.get_absolute_url()}modifier/"),
    ]:
        page.goto(f"{live_server.url}{url}")
        assert page.locator("h1").is_visible(), name
        assert_no_horizontal_overflow(page)
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def test_coordinator_records_a_decision_and_imports_companies(
    page, live_server, demo_data, tmp_path
):
    chronic = Experimentation.objects.get(title__contains="maladie chronique")
    assert chronic.current_gate == Gate.EXTENSION
    log_in(page, live_server, "anact.coordinateur", demo.DEMO_PASSWORD)

    # A file with a wrong row: the preview names the row and the problem, nothing to confirm.
    wrong = tmp_path / "erreurs.csv"
    wrong.write_text(
        "nom;secteur;taille;région;date d’entrée\n"
        "Scierie des Vosges;industrie;PME;Grand Est;02/03/2026\n"
        "Pharmacie du Port;santé;énorme;Bretagne;31/02/2026\n",
        encoding="utf-8-sig",
    )
    page.goto(f"{live_server.url}{chronic.get_absolute_url()}entreprises/importer/")
    page.set_input_files("input[type=file]", str(wrong))
    page.locator("main form[enctype] button[type=submit]").click()
    page.locator("#preview").wait_for()
    errors = page.locator("#line-3 .import-errors li")
    assert errors.count() == 2
    assert "énorme" in errors.first.inner_text()
    assert page.locator("button[name=confirm]").count() == 0
    page.screenshot(path=SCREENSHOTS / "import-errors.png", full_page=True)

    # The company import: a preview, then the confirmation.
    upload = tmp_path / "entreprises.csv"
    upload.write_text(
        "nom;secteur;taille;région;date d’entrée\n"
        "Scierie des Vosges;industrie;PME;Grand Est;02/03/2026\n"
        "Pharmacie du Port;santé;TPE;Bretagne;05/03/2026\n",
        encoding="utf-8-sig",
    )
    page.goto(f"{live_server.url}{chronic.get_absolute_url()}entreprises/importer/")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("main form[enctype] button[type=submit]").click()
    page.locator("#preview").wait_for()
    assert page.locator("#preview tbody tr.import-row-ok").count() == 2
    page.screenshot(path=SCREENSHOTS / "import-preview.png", full_page=True)
    page.locator("button[name=confirm]").click()
    page.wait_for_url(f"**{chronic.get_absolute_url()}#companies")
    assert chronic.companies.filter(name="Scierie des Vosges").exists()

    # The decision, criterion by criterion.
    page.goto(f"{live_server.url}{chronic.get_absolute_url()}decision/")
    criteria = list(chronic.criteria.filter(gate=Gate.EXTENSION))
    for criterion in criteria:
        page.locator(f"input[name='c{criterion.pk}-met'][value='yes']").check()
        page.fill(f"input[name='c{criterion.pk}-url']", "https://www.anact.fr/bilan")
    findings = chronic.evaluation.findings
    assert findings
    page.locator("input[name='outcome'][value='go']").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{chronic.get_absolute_url()}#gates")
    chronic.refresh_from_db()
    assert chronic.status == Experimentation.Phase.EXTENSION
    assert page.locator("#gates .gate-badge-go").count() == 2
