"""Each party's programming (issue 19), what was left: the sector and COP priority of a
planned project where they apply (entered, grouped by theme and sector, filtered, exported),
and the close words found with PostgreSQL's full-text words there, by the Python fallback on
SQLite: the same pairs on both for the demonstration data. Run this module on both databases
(``DATABASE_URL`` for PostgreSQL, README).
"""

import csv
import datetime
import io
from random import Random

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from partnership.models import PlannedProject
from partnership.programming.services import close_word_pairs, find_overlaps
from tests import clock
from tests.factories import OrganisationFactory, PlannedProjectFactory, ThemeFactory
from tests.html_forms import form_data

OCTOBER = datetime.date(2026, 10, 12)
YEAR = 2027
POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def autumn(time_machine):
    return clock.freeze(time_machine, OCTOBER)


@pytest.fixture
def tms(db):
    return ThemeFactory(code="tms", name="Troubles musculosquelettiques (TMS)")


def programming_url(agreement, **query):
    url = reverse("programming", args=[agreement.pk, YEAR])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _project(agreement, organisation, title, **fields):
    return PlannedProjectFactory(
        agreement=agreement, organisation=organisation, year=YEAR, title=title, **fields
    )


# Sector and COP priority -----------------------------------------------------------------


def test_inrs_contributor_enters_the_sector_and_cop_priority(
    client, autumn, agreement, inrs, inrs_contributor, tms
):
    client.force_login(inrs_contributor)
    create = reverse("plannedproject_create", args=[agreement.pk, YEAR])
    form = client.get(create)
    text = form.content.decode()
    assert "Secteur" in text and "Priorité COP" in text
    data = form_data(form)
    data.update(
        title="Étude TMS dans l’aide à domicile",
        theme=str(tms.pk),
        sector="home_care",
        priority="wear",
        kind="study",
        certainty="planned",
    )
    assert client.post(create, data).status_code == 302
    project = PlannedProject.objects.get()
    assert (project.sector, project.priority) == ("home_care", "wear")
    detail = client.get(project.get_absolute_url()).content.decode()
    assert "Services à la personne" in detail
    # Where they do not apply, they stay empty.
    data.update(title="Guide général", sector="", priority="")
    assert client.post(create, data).status_code == 302
    assert PlannedProject.objects.get(title="Guide général").sector == ""


def test_a_sector_outside_the_list_is_refused(
    client, autumn, agreement, inrs, inrs_contributor, tms
):
    client.force_login(inrs_contributor)
    create = reverse("plannedproject_create", args=[agreement.pk, YEAR])
    data = form_data(client.get(create))
    data.update(title="X", kind="study", certainty="idea", sector="<script>", priority="nope")
    response = client.post(create, data)
    assert response.status_code == 200
    assert not PlannedProject.objects.exists()


def test_the_page_groups_by_theme_and_sector_and_filters_by_sector(
    client, autumn, agreement, anact, inrs, anact_reader, tms
):
    health = _project(agreement, inrs, "Étude TMS à l’hôpital", theme=tms, sector="health")
    industry = _project(agreement, anact, "Intervention TMS en usine", theme=tms, sector="industry")
    general = _project(agreement, anact, "Guide TMS", theme=tms, priority="prevention")
    client.force_login(anact_reader)
    page = client.get(programming_url(agreement)).content.decode()
    text = page[page.index('id="projects-title"') :]  # the grid, after the overlaps
    headings = [
        "Troubles musculosquelettiques (TMS) <span",
        "Troubles musculosquelettiques (TMS) · Industrie",
        "Troubles musculosquelettiques (TMS) · Santé",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    cards = [text.index(f'id="project-{p.pk}"') for p in (general, industry, health)]
    assert cards == sorted(cards)
    assert "COP\u00a0: Prévention des risques professionnels" in text
    filtered = client.get(programming_url(agreement, sector="health")).content.decode()
    assert health.title in filtered
    assert industry.title not in filtered and general.title not in filtered
    # An unknown sector is a filter error, not a page error.
    assert client.get(programming_url(agreement, sector="x")).status_code == 200


def test_the_exports_carry_the_sector_and_priority(
    client, autumn, agreement, anact, inrs, anact_reader, tms
):
    _project(agreement, inrs, "Étude TMS à l’hôpital", theme=tms, sector="health", priority="wear")
    client.force_login(anact_reader)
    response = client.get(reverse("programming_export", args=[agreement.pk, YEAR, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    if len(rows[0]) == 1:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert "Secteur" in header and "Priorité COP" in header
    assert row[header.index("Secteur")] == "Santé"
    assert row[header.index("Priorité COP")] == "Prévention de l’usure professionnelle"
    xlsx = client.get(reverse("programming_export", args=[agreement.pk, YEAR, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


# Close words on both databases -----------------------------------------------------------


def test_close_words_pair_projects_of_different_parties_only(agreement, anact, inrs):
    first = _project(agreement, anact, "Prévention de l’usure professionnelle des soignants")
    second = _project(agreement, inrs, "Usure professionnelle : soignants en EHPAD")
    _project(agreement, inrs, "Bruit")
    same_party = _project(agreement, anact, "Usure professionnelle des soignants (Anact)")
    projects = list(PlannedProject.objects.select_related("organisation"))
    pairs = close_word_pairs(projects)
    assert (min(first.pk, second.pk), max(first.pk, second.pk)) in pairs
    assert all(
        {PlannedProject.objects.get(pk=pk).organisation_id for pk in key} != {anact.pk}
        for key in pairs
    )
    assert (min(first.pk, same_party.pk), max(first.pk, same_party.pk)) not in pairs


def test_close_words_follow_a_title_and_a_summary_changed_after_the_project_was_made(
    agreement, anact, inrs
):
    first = _project(agreement, anact, "Prévention de l’usure professionnelle des soignants")
    second = _project(agreement, inrs, "Bruit dans les ateliers")
    key = (min(first.pk, second.pk), max(first.pk, second.pk))

    def pairs():
        return close_word_pairs(list(PlannedProject.objects.select_related("organisation")))

    assert key not in pairs()
    second.title = "Usure professionnelle : soignants en EHPAD"
    second.save()
    assert key in pairs()
    PlannedProject.objects.filter(pk=second.pk).update(title="Bruit", summary="Ateliers")
    assert key not in pairs()
    PlannedProject.objects.filter(pk=second.pk).update(summary="usure professionnelle soignants")
    assert key in pairs()


def test_the_overlaps_kept_in_the_shared_cache_follow_every_change_of_what_they_come_from(
    agreement, anact, inrs, tms, django_assert_num_queries
):
    """The overlaps are kept under a key made of the projects' content: the same projects
    again cost no query, and a change made without any save signal (in bulk, by another
    server) is seen at once, whatever it changes."""
    first = _project(agreement, anact, "Prévention de l’usure professionnelle des soignants")
    second = _project(agreement, inrs, "Bruit dans les ateliers", theme=None)

    def overlaps():
        projects = list(PlannedProject.objects.select_related("organisation", "theme"))
        with django_assert_num_queries(0):  # the first search of each state was kept
            kept = find_overlaps(projects)
        assert kept == find_overlaps(projects)
        return [(o.first.pk, o.second.pk, o.same_theme, o.similarity > 0) for o in kept]

    def now(**changes):
        PlannedProject.objects.filter(pk=second.pk).update(**changes)
        projects = list(PlannedProject.objects.select_related("organisation", "theme"))
        find_overlaps(projects)  # the search, kept
        return overlaps()

    pair = (min(first.pk, second.pk), max(first.pk, second.pk))
    first.theme = tms
    first.save()
    assert now() == []
    assert now(summary="usure professionnelle soignants") == [(*pair, False, True)]
    assert now(summary="") == []
    assert now(title="Usure professionnelle des soignants") == [(*pair, False, True)]
    assert now(title="Bruit", theme=tms) == [(*pair, True, False)]
    autumn_only = {
        "planned_start": datetime.date(2027, 9, 1),
        "planned_end": datetime.date(2027, 12, 1),
    }
    assert now(**autumn_only) == [(*pair, True, False)]
    first.planned_end = datetime.date(2027, 3, 31)
    first.save()
    assert now() == []  # the periods no longer meet
    assert now(organisation=anact) == []  # the same party
    assert now(organisation=inrs, certainty=PlannedProject.Certainty.DROPPED) == []


def test_close_words_cost_one_query_on_postgresql_none_on_sqlite(
    agreement, anact, inrs, django_assert_num_queries
):
    for index in range(30):
        _project(agreement, (anact, inrs)[index % 2], f"Prévention des TMS n° {index}")
    projects = list(PlannedProject.objects.select_related("organisation", "theme"))
    with django_assert_num_queries(1 if POSTGRESQL else 0):
        overlaps = find_overlaps(projects)
    # Each project keeps its three closest projects of the other party, not every pair (on
    # SQLite, words that a third of the projects use bring no pair at all).
    assert len(overlaps) <= 3 * len(projects) < 15 * 15


def test_each_project_keeps_its_closest_overlaps_as_comparing_every_pair_would(
    agreement, anact, inrs
):
    """find_overlaps against its definition, every pair compared: a pair of projects of two
    parties scores its close words' similarity, one half more for the same theme with periods
    that meet; each project keeps its three best pairs (the smaller pair first among equal
    scores)."""
    random = Random(2027)
    third = OrganisationFactory(name="Carsat test")
    themes = [ThemeFactory(), ThemeFactory(), None]
    words = ["usure", "soignants", "bruit", "chimique", "logistique", "hôpital", "TMS", "RPS"]
    words += ["chutes", "hauteur", "écrans", "froid", "chaleur", "nuit", "route", "amiante"]
    for index in range(45):
        start = datetime.date(YEAR, 1 + random.randrange(12), 1)
        _project(
            agreement,
            (anact, inrs, third)[index % 3],
            " ".join(random.sample(words, 3)) + f" {index}",
            theme=random.choice(themes),
            planned_start=start,
            planned_end=start + datetime.timedelta(days=random.randrange(20, 200)),
        )
    projects = list(PlannedProject.objects.select_related("organisation", "theme"))
    close = close_word_pairs(projects)

    def period(project):
        return (
            project.planned_start or datetime.date(YEAR, 1, 1),
            project.planned_end or datetime.date(YEAR, 12, 31),
        )

    scores = {}
    for first in projects:
        for second in projects:
            if first.pk >= second.pk or first.organisation_id == second.organisation_id:
                continue
            (start_a, end_a), (start_b, end_b) = period(first), period(second)
            same = bool(first.theme_id) and first.theme_id == second.theme_id
            same = same and start_a <= end_b and start_b <= end_a
            key = (first.pk, second.pk)
            if same or key in close:
                scores[key] = close.get(key, 0.0) + (0.5 if same else 0.0)
    expected = set()
    for project in projects:
        mine = sorted((-score, key) for key, score in scores.items() if project.pk in key)
        expected.update(key for _score, key in mine[:3])

    found = {(overlap.first.pk, overlap.second.pk) for overlap in find_overlaps(projects)}
    assert found == expected
    assert len(expected) < len(scores)  # the test compares a choice, not every pair


DEMO_CLOSE_WORDS = {
    frozenset({"Brochure RPS et travail hybride", "Outil de diagnostic RPS du travail hybride"}),
}
DEMO_OVERLAPS = {
    frozenset(
        {
            "Étude sur les TMS dans la logistique et les entrepôts",
            "Intervention TMS en entreprises de la logistique",
        }
    ),
    frozenset({"Brochure RPS et travail hybride", "Outil de diagnostic RPS du travail hybride"}),
    frozenset(
        {
            "Exercice de prospective : le travail en 2040",
            "Note de prospective sur le travail en 2040",
        }
    ),
}


def test_the_demonstration_has_the_same_overlaps_on_both_databases(db):
    call_command("load_demo", verbosity=0)
    year = timezone.localdate().year + 1
    projects = list(
        PlannedProject.objects.filter(year=year).select_related("organisation", "theme")
    )
    titles = {project.pk: project.title for project in projects}
    live = [p for p in projects if p.certainty != PlannedProject.Certainty.DROPPED]
    close = {frozenset(titles[pk] for pk in key) for key in close_word_pairs(live)}
    assert close == DEMO_CLOSE_WORDS
    overlaps = find_overlaps(projects)
    assert {frozenset({o.first.title, o.second.title}) for o in overlaps} == DEMO_OVERLAPS
    # Every demonstration project has its sector and priority where they apply.
    assert {p.priority for p in projects} >= {"prevention", "qvt"}
    assert any(p.sector for p in projects)
