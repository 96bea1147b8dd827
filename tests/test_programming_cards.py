"""The side-by-side page's project cards, drawn in Python (partnership.programming.cards):
what the template drew, escaped the same way, for each state a project may be in."""

import datetime
import os
from pathlib import Path

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


# The page's markup, kept as it was ------------------------------------------------------


@pytest.fixture
def many_states(agreement, anact, inrs, tms, django_user_model):
    """A project in each state a card shows, and overlaps enough to be cut short."""
    contact = django_user_model.objects.create(username="c.dupont", first_name="Claire")
    contact.last_name = "Dupont & <Fils>"
    contact.save()
    nameless = django_user_model.objects.create(username="j.martin")

    def make(**fields):
        return PlannedProjectFactory(agreement=agreement, year=YEAR, **fields)

    spring = {"planned_start": datetime.date(2027, 3, 1), "planned_end": datetime.date(2027, 6, 30)}
    projects = {
        "hostile": make(
            **spring,
            organisation=inrs,
            theme=tms,
            title=HOSTILE,
            summary=" ".join(f"mot{number}" for number in range(35)),
            sector="health",
            priority="qvt",
            contact=contact,
            certainty=PlannedProject.Certainty.CONFIRMED,
        ),
        "crowded": make(
            **spring,
            organisation=anact,
            theme=tms,
            title="Intervention TMS",
            kind=PlannedProject.Kind.INTERVENTION,
            contact=nameless,
            certainty=PlannedProject.Certainty.IDEA,
        ),
        "coordinated": make(
            **spring, organisation=anact, theme=tms, title="Déjà vu", coordinated=True
        ),
        "dropped": make(
            organisation=anact,
            title="Abandonné",
            certainty=PlannedProject.Certainty.DROPPED,
            planned_end=datetime.date(2027, 12, 31),
        ),
        "joined": make(
            organisation=inrs,
            title="Devenu commun",
            sector="industry",
            joint_action=ActionFactory(
                programme=ProgrammeFactory(agreement=agreement, year=YEAR),
                title="Action <commune>",
            ),
        ),
    }
    # Overlapping INRS's projects, and no joint action can be proposed from it.
    projects["joined_tms"] = make(
        **spring,
        organisation=anact,
        theme=tms,
        title="Rejoint",
        joint_action=projects["joined"].joint_action,
    )
    for number in range(4):  # four of INRS on the theme at the same time: "…" after three
        projects[f"inrs{number}"] = make(
            **spring, organisation=inrs, theme=tms, title=f"Étude TMS {number}"
        )
    return projects


CONTEXTS_OF_A_PK = (
    ("project-", '"'),
    ("tick-", '"'),
    ('value="', '" form'),
    ("projects=", "&amp;"),
    ("projects=", '"'),
)


def projects_markup(html, agreement, records):
    """From the overlaps to the last card, each record's pk and address written as its name
    (the pks differ from one database to the other)."""
    start = html.index('<section class="card mb-4 programming-overlaps"')
    markup = html[start : html.index("</main>", start)]
    programming = reverse("programming", args=[agreement.pk, YEAR])
    markup = markup.replace(f'"{programming}', '"{programming_url}')
    for name, record in records.items():
        markup = markup.replace(f'"{record.get_absolute_url()}"', f'"{{{name}_url}}"')
        for before, after in CONTEXTS_OF_A_PK:
            markup = markup.replace(f"{before}{record.pk}{after}", f"{before}{{{name}}}{after}")
    return markup


SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("person", ["anact_coordinator", "anact_reader"])
def test_the_page_draws_the_same_markup(client, autumn, agreement, many_states, request, person):
    """The overlaps and every card, byte for byte, as the page drew them when the snapshot
    was taken, for a coordinator (who may propose joint actions) and a reader: a change of
    markup shows here. A change meant: UPDATE_SNAPSHOTS=1 rewrites the file, whose diff is
    then reviewed."""
    records = {**many_states, "action": many_states["joined"].joint_action}
    html = page(client, request.getfixturevalue(person), agreement)
    markup = projects_markup(html, agreement, records)
    snapshot = SNAPSHOTS / f"programming_page_{person}.html"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(markup, encoding="utf-8")
    assert markup == snapshot.read_text(encoding="utf-8")
