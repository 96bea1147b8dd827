"""Each party's programming in a real browser, in French, at 1280 and 390 px: the parties
side by side, the TMS overlap highlighted, and the "propose a joint action" step."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from partnership.models import Action, PlannedProject
from tests.browser import (  # noqa: F401
    assert_no_horizontal_overflow,
    chromium,
    log_in,
    logged_in_page,
)
from tests.factories import PlannedProjectFactory, ThemeFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "/tmp/screenshots"))


@pytest.fixture
def programming(agreement, anact, inrs, inrs_contributor, anact_coordinator):
    year = timezone.localdate().year + 1
    tms = ThemeFactory(code="tms", name="Troubles musculosquelettiques (TMS)")
    rps = ThemeFactory(code="rps", name="Risques psychosociaux")
    rows = [
        (
            inrs,
            tms,
            "Étude sur les TMS dans la logistique",
            "study",
            (1, 9),
            "Mesurer les contraintes physiques des préparateurs de commandes.",
        ),
        (
            anact,
            tms,
            "Intervention TMS en entreprises de logistique",
            "intervention",
            (3, 12),
            "Accompagner des entrepôts dans la prévention des TMS.",
        ),
        (
            inrs,
            rps,
            "Guide de prévention des RPS chez les soignants",
            "publication",
            (2, 6),
            "Un guide pour les établissements de santé.",
        ),
        (
            anact,
            rps,
            "Formation des managers aux RPS",
            "training",
            (9, 11),
            "Des sessions régionales avec le réseau des Aract.",
        ),
        (
            anact,
            None,
            "Outil d’autodiagnostic QVCT",
            "tool",
            (1, 4),
            "Un outil en ligne pour les petites entreprises.",
        ),
    ]
    projects = {}
    for organisation, theme, title, kind, (start, end), summary in rows:
        projects[title] = PlannedProjectFactory(
            agreement=agreement,
            organisation=organisation,
            year=year,
            theme=theme,
            title=title,
            summary=summary,
            kind=kind,
            contact=inrs_contributor if organisation == inrs else anact_coordinator,
            planned_start=datetime.date(year, start, 1),
            planned_end=datetime.date(year, end, 28),
            # The guide for carers names its sector and COP priority: its own group, a badge.
            sector="health" if title.startswith("Guide") else "",
            priority="prevention" if title.startswith("Guide") else "",
        )
    return year, projects


@pytest.mark.parametrize("width", [1280, 390])
def test_the_side_by_side_page_shows_the_overlap_and_proposes_a_joint_action(
    chromium,  # noqa: F811
    live_server,
    password,
    agreement,
    programming,
    width,
):
    year, projects = programming
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password, width=width)
    try:
        page.goto(f"{live_server.url}/accords/{agreement.pk}/programmations/{year}/")
        assert page.get_by_role("heading", level=1).inner_text() == (
            f"Programmations respectives {year}"
        )
        overlaps = page.locator(".programming-overlaps")
        assert "1 chevauchement à coordonner" in overlaps.inner_text()
        assert "même thème, périodes qui se recoupent" in overlaps.inner_text()
        highlighted = page.locator(".programming-project.has-overlap h5")
        assert sorted(highlighted.all_inner_texts()) == [
            "Intervention TMS en entreprises de logistique",
            "Étude sur les TMS dans la logistique",
        ]
        assert_no_horizontal_overflow(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"programming-{width}.png", full_page=True)
        # Propose: tick the two projects, then the button under the overlaps.
        for title in (
            "Étude sur les TMS dans la logistique",
            "Intervention TMS en entreprises de logistique",
        ):
            page.get_by_role("checkbox", name=title).check()
        page.get_by_role(
            "button", name="Proposer une action commune à partir des projets cochés"
        ).click()
        page.wait_for_url("**/action-commune/**")
        title = page.get_by_label("Titre")
        assert "Étude sur les TMS dans la logistique" in title.input_value()
        page.screenshot(path=SCREENSHOTS / f"programming-propose-{width}.png", full_page=True)
        title.fill("Prévenir les TMS dans la logistique")
        page.get_by_role("button", name="Proposer l’action commune").click()
        page.wait_for_url("**/actions/**")
        action = Action.objects.get()
        assert action.title == "Prévenir les TMS dans la logistique"
        assert set(
            PlannedProject.objects.filter(joint_action=action).values_list("title", flat=True)
        ) == {
            "Étude sur les TMS dans la logistique",
            "Intervention TMS en entreprises de logistique",
        }
        page.goto(f"{live_server.url}/accords/{agreement.pk}/programmations/{year}/")
        assert "0 chevauchement à coordonner" in page.locator(".programming-overlaps").inner_text()
        assert page.get_by_role("link", name="Prévenir les TMS dans la logistique").count() == 2
        assert page.errors == []
    finally:
        page.context.close()


def test_the_programming_pages_pass_axe_and_the_html_checker(
    chromium,  # noqa: F811
    live_server,
    password,
    agreement,
    programming,
    anact_coordinator,
):
    from django.urls import reverse

    from tests.test_accessibility import Audit, _tools

    _tools()
    year, projects = programming
    study = projects["Étude sur les TMS dans la logistique"]
    intervention = projects["Intervention TMS en entreprises de logistique"]
    pages = [
        reverse("programming", args=[agreement.pk, year]),
        reverse("programming", args=[agreement.pk, year + 1]),
        study.get_absolute_url(),
        reverse("plannedproject_create", args=[agreement.pk, year]),
        reverse("plannedproject_update", args=[intervention.pk]),
        reverse("plannedproject_coordinate", args=[study.pk]),
        reverse("programming_propose", args=[agreement.pk, year])
        + f"?projects={study.pk}&projects={intervention.pk}",
        reverse("plannedproject_history", args=[study.pk]),
    ]
    audit = Audit(chromium, live_server)
    try:
        log_in(audit.page, live_server, "anact.coordinateur", password)
        audit.page.wait_for_url(f"{live_server.url}/")
        for width in (1280, 390):
            audit.width(width)
            for path in pages:
                audit.visit(path, keep_html=width == 1280)
        audit.width(1280)
        audit.submit_empty(reverse("plannedproject_create", args=[agreement.pk, year]))
        audit.assert_clean()
    finally:
        audit.close()
