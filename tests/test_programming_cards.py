"""The side-by-side page's project cards, drawn in Python (partnership.programming.cards):
what the template drew, escaped the same way, for each state a project may be in."""

import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape

from partnership.models import PlannedProject
from tests import clock
from tests.factories import ActionFactory, PlannedProjectFactory, ProgrammeFactory, ThemeFactory

YEAR = 2027
HOSTILE = "<script>alert('x')</script> & \"TMS\""


@pytest.fixture
def autumn(time_machine):
    return clock.freeze(time_machine, datetime.date(2026, 10, 12))


@pytest.fixture
def tms(db):
    return ThemeFactory(code="tms", name="Troubles musculosquelettiques (TMS)")


def page(client, person, agreement):
    client.force_login(person)
    response = client.get(reverse("programming", args=[agreement.pk, YEAR]))
    assert response.status_code == 200
    return response.content.decode()


def card_of(html, project):
    start = html.index(f'aria-labelledby="project-{project.pk}"')
    return html[start : html.index("</article>", start)]


def test_a_hostile_title_and_a_long_summary_are_escaped_and_cut(
    client, autumn, agreement, inrs, anact_reader, tms
):
    summary = " ".join(f"mot{number}" for number in range(40)) + " <b>fin</b>"
    project = PlannedProjectFactory(
        agreement=agreement,
        organisation=inrs,
        year=YEAR,
        theme=tms,
        title=HOSTILE,
        summary=summary,
        kind=PlannedProject.Kind.STUDY,
        planned_start=datetime.date(2027, 1, 1),
        planned_end=None,
    )
    card = card_of(page(client, anact_reader, agreement), project)
    assert "<script>" not in card and escape(HOSTILE) in card
    assert f'href="{project.get_absolute_url()}"' in card
    assert "mot29 …" in card and "mot30" not in card and "<b>" not in card
    assert "01/01/2027 – …" in card
    assert "Étude" in card  # the kind's label, in French
    assert 'type="checkbox"' not in card  # a reader proposes nothing


def test_a_coordinator_ticks_projects_and_sees_overlaps_and_joint_actions(
    client, autumn, agreement, anact, inrs, anact_coordinator, tms
):
    study = PlannedProjectFactory(
        agreement=agreement, organisation=inrs, year=YEAR, theme=tms, title="Étude TMS"
    )
    intervention = PlannedProjectFactory(
        agreement=agreement, organisation=anact, year=YEAR, theme=tms, title="Intervention TMS"
    )
    action = ActionFactory(
        programme=ProgrammeFactory(agreement=agreement, year=YEAR), title="Action <commune>"
    )
    joined = PlannedProjectFactory(
        agreement=agreement, organisation=inrs, year=YEAR, title="Devenu", joint_action=action
    )
    dropped = PlannedProjectFactory(
        agreement=agreement,
        organisation=anact,
        year=YEAR,
        title="Abandonné",
        certainty=PlannedProject.Certainty.DROPPED,
    )
    html = page(client, anact_coordinator, agreement)
    card = card_of(html, study)
    assert f'value="{study.pk}" form="propose-form"' in card
    assert "Chevauche" in card
    assert f'<a href="{intervention.get_absolute_url()}">Intervention TMS</a>' in card
    joined_card = card_of(html, joined)
    assert 'type="checkbox"' not in joined_card
    assert f'href="{action.get_absolute_url()}"' in joined_card
    assert escape(str(action)) in joined_card and "<commune>" not in joined_card
    dropped_card = card_of(html, dropped)
    assert 'type="checkbox"' not in dropped_card
    assert f'<article class="programming-project is-dropped" {dropped_card}' in html
