"""Each party's programming (issue 19), told as stories.

In October 2026 (after la rentrée) the parties enter what they plan on their own for 2027:
INRS's contributor enters INRS's projects, Anact's reader sees them and cannot change them, an
outsider does not even learn that they exist; a TMS study at INRS and a TMS intervention at
Anact overlap, and Anact's coordinator turns the two into a joint action of the programme
2027.
"""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from partnership import rules
from partnership.demo import data as demo
from partnership.models import (
    Action,
    Agreement,
    AgreementParty,
    Organisation,
    PlannedProject,
    Programme,
    ProgrammingOpening,
)
from partnership.programming.services import find_overlaps, is_open, programming_years
from partnership.rules import PartyStatus
from tests import clock
from tests.factories import PlannedProjectFactory, ProgrammeFactory, ThemeFactory
from tests.html_forms import form_data

OCTOBER = datetime.date(2026, 10, 12)
YEAR = 2027


@pytest.fixture
def autumn(time_machine):
    return clock.freeze(time_machine, OCTOBER)


@pytest.fixture
def tms(db):
    return ThemeFactory(code="tms", name="Troubles musculosquelettiques (TMS)")


@pytest.fixture
def rps(db):
    return ThemeFactory(code="rps", name="Risques psychosociaux")


def programming_url(agreement, year=YEAR):
    return reverse("programming", args=[agreement.pk, year])


@pytest.fixture
def inrs_study(agreement, inrs, tms):
    return PlannedProjectFactory(
        agreement=agreement,
        organisation=inrs,
        year=YEAR,
        theme=tms,
        title="Étude sur les TMS dans la logistique",
        summary="Mesurer les contraintes physiques des préparateurs de commandes.",
        kind=PlannedProject.Kind.STUDY,
        planned_start=datetime.date(2027, 1, 1),
        planned_end=datetime.date(2027, 9, 30),
    )


@pytest.fixture
def anact_intervention(agreement, anact, tms):
    return PlannedProjectFactory(
        agreement=agreement,
        organisation=anact,
        year=YEAR,
        theme=tms,
        title="Intervention TMS en entreprises de logistique",
        summary="Accompagner des entrepôts dans la prévention des TMS.",
        kind=PlannedProject.Kind.INTERVENTION,
        planned_start=datetime.date(2027, 3, 1),
        planned_end=datetime.date(2027, 12, 31),
    )


def test_inrs_contributor_enters_inrs_projects(
    client, autumn, agreement, inrs, inrs_contributor, tms
):
    client.force_login(inrs_contributor)
    page = client.get(programming_url(agreement))
    assert page.status_code == 200
    create = reverse("plannedproject_create", args=[agreement.pk, YEAR])
    assert create in page.content.decode()
    form = client.get(create)
    data = form_data(form)
    assert "organisation" not in data  # their own organisation's programming: not chosen
    data.update(
        title="Étude sur les TMS dans la logistique",
        summary="Mesurer les contraintes physiques.",
        theme=str(tms.pk),
        kind="study",
        certainty="planned",
        planned_start="2027-01-01",
        planned_end="2027-09-30",
        contact=str(inrs_contributor.pk),
    )
    response = client.post(create, data)
    project = PlannedProject.objects.get()
    assert response.status_code == 302
    assert (project.organisation, project.year, project.agreement) == (inrs, YEAR, agreement)
    assert project.history.get().history_user == inrs_contributor
    # Edited later: the version moves on, the history keeps both.
    edit = reverse("plannedproject_update", args=[project.pk])
    data = form_data(client.get(edit))
    data["certainty"] = "confirmed"
    assert client.post(edit, data).status_code == 302
    project.refresh_from_db()
    assert project.certainty == "confirmed" and project.version == 2
    assert project.history.count() == 2


def test_an_edit_over_a_newer_version_is_a_conflict(
    client, autumn, inrs_study, inrs_contributor, inrs_coordinator
):
    edit = reverse("plannedproject_update", args=[inrs_study.pk])
    client.force_login(inrs_contributor)
    stale = form_data(client.get(edit))
    client.force_login(inrs_coordinator)
    fresh = form_data(client.get(edit))
    fresh["certainty"] = "confirmed"
    assert client.post(edit, fresh).status_code == 302
    client.force_login(inrs_contributor)
    stale["title"] = "Autre titre"
    response = client.post(edit, stale)
    assert response.status_code == 200
    inrs_study.refresh_from_db()
    assert inrs_study.title == "Étude sur les TMS dans la logistique"


def test_the_contact_in_charge_is_a_person_of_the_party(
    client, autumn, inrs_study, inrs_contributor, anact_contributor
):
    client.force_login(inrs_contributor)
    edit = reverse("plannedproject_update", args=[inrs_study.pk])
    data = form_data(client.get(edit))
    data["contact"] = str(anact_contributor.pk)
    assert client.post(edit, data).status_code == 200
    inrs_study.refresh_from_db()
    assert inrs_study.contact is None


def test_anact_reader_sees_inrs_projects_and_cannot_change_them(
    client, autumn, agreement, inrs_study, anact_reader, anact_contributor, anact_coordinator
):
    client.force_login(anact_reader)
    page = client.get(programming_url(agreement))
    assert inrs_study.title in page.content.decode()
    assert client.get(inrs_study.get_absolute_url()).status_code == 200
    for person in (anact_reader, anact_contributor, anact_coordinator):
        client.force_login(person)
        for name in ("plannedproject_update", "plannedproject_delete"):
            url = reverse(name, args=[inrs_study.pk])
            assert client.get(url).status_code == 403
            assert client.post(url, {"title": "Pris par Anact"}).status_code == 403
    # Nor can Anact's staff enter a project in INRS's name.
    client.force_login(anact_contributor)
    create = reverse("plannedproject_create", args=[agreement.pk, YEAR])
    data = form_data(client.get(create))
    data.update(
        title="Projet Anact",
        kind="study",
        certainty="idea",
        organisation=str(inrs_study.organisation_id),
    )
    client.post(create, data)
    assert set(PlannedProject.objects.values_list("organisation__acronym", flat=True)) == {
        "INRS",
        "Anact",
    }
    inrs_study.refresh_from_db()
    assert inrs_study.title == "Étude sur les TMS dans la logistique"


def test_an_aract_reader_sees_and_changes_nothing(
    client, autumn, agreement, inrs_study, aract_reader
):
    client.force_login(aract_reader)
    assert client.get(programming_url(agreement)).status_code == 200
    assert client.get(reverse("plannedproject_update", args=[inrs_study.pk])).status_code == 403
    assert (
        client.get(reverse("plannedproject_create", args=[agreement.pk, YEAR])).status_code == 403
    )


def test_an_outsider_gets_404(client, autumn, agreement, inrs_study, outsider):
    client.force_login(outsider)
    for url in (
        programming_url(agreement),
        inrs_study.get_absolute_url(),
        reverse("plannedproject_update", args=[inrs_study.pk]),
        reverse("plannedproject_create", args=[agreement.pk, YEAR]),
        reverse("programming_export", args=[agreement.pk, YEAR, "csv"]),
        reverse("programming_propose", args=[agreement.pk, YEAR]) + f"?projects={inrs_study.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert inrs_study.title not in client.get(reverse("search") + "?q=logistique").content.decode()


def test_the_overlap_of_a_tms_study_and_a_tms_intervention_is_shown(
    client, autumn, agreement, inrs_study, anact_intervention, anact_reader, rps, inrs
):
    unrelated = PlannedProjectFactory(
        agreement=agreement, organisation=inrs, year=YEAR, theme=rps, title="Guide RPS"
    )
    client.force_login(anact_reader)
    page = client.get(programming_url(agreement))
    content = page.content.decode()
    assert "1 overlap to coordinate" in content or "1 chevauchement" in content
    overlaps = find_overlaps(PlannedProject.objects.select_related("theme", "organisation"))
    assert [{o.first, o.second} for o in overlaps] == [{inrs_study, anact_intervention}]
    assert overlaps[0].same_theme
    assert unrelated.title in content
    # The reader is offered no proposal.
    assert reverse("programming_propose", args=[agreement.pk, YEAR]) not in content


def test_close_words_overlap_without_a_theme(agreement, anact, inrs):
    first = PlannedProjectFactory(
        agreement=agreement,
        organisation=anact,
        year=YEAR,
        title="Prévention de l’usure professionnelle des soignants",
    )
    second = PlannedProjectFactory(
        agreement=agreement,
        organisation=inrs,
        year=YEAR,
        title="Usure professionnelle : soignants en EHPAD",
    )
    PlannedProjectFactory(agreement=agreement, organisation=inrs, year=YEAR, title="Bruit")
    PlannedProjectFactory(
        agreement=agreement, organisation=anact, year=YEAR, title="Usure des soignants (Anact)"
    )  # same party as ``first``: no overlap with it
    overlaps = find_overlaps(PlannedProject.objects.select_related("theme", "organisation"))
    pairs = [{o.first.title, o.second.title} for o in overlaps]
    assert {first.title, second.title} in pairs
    assert all(o.first.organisation_id != o.second.organisation_id for o in overlaps)
    assert not any("Bruit" in pair for pair in pairs)


def test_a_dropped_project_overlaps_nothing(agreement, inrs_study, anact_intervention):
    anact_intervention.certainty = PlannedProject.Certainty.DROPPED
    anact_intervention.save()
    assert find_overlaps(PlannedProject.objects.select_related("theme", "organisation")) == []


def test_anact_coordinator_turns_the_two_into_a_joint_action(
    client, autumn, agreement, anact, inrs, inrs_study, anact_intervention, anact_coordinator
):
    client.force_login(anact_coordinator)
    page = client.get(programming_url(agreement)).content.decode()
    propose = reverse("programming_propose", args=[agreement.pk, YEAR])
    assert propose in page
    form = client.get(propose, {"projects": [anact_intervention.pk, inrs_study.pk]})
    assert form.status_code == 200
    data = form_data(form)
    # Prefilled: titles and summaries merged, the parties as lead and partners, the theme.
    assert inrs_study.title in data["title"] and anact_intervention.title in data["title"]
    assert "préparateurs de commandes" in data["description"]
    assert data["lead_organisation"] == str(anact.pk)
    assert data["partners"] in ([str(inrs.pk)], str(inrs.pk))
    assert data["theme"] == str(inrs_study.theme_id)
    assert not Programme.objects.exists()  # nothing is created before the form is saved
    data["title"] = "Prévenir les TMS dans la logistique"
    data["kind"] = "study"
    response = client.post(propose, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    action = Action.objects.get()
    assert action.title == "Prévenir les TMS dans la logistique"
    assert action.programme.year == YEAR and action.programme.status == "preparation"
    assert action.lead_organisation == anact and list(action.partners.all()) == [inrs]
    for project in (inrs_study, anact_intervention):
        project.refresh_from_db()
        assert project.joint_action == action
        assert project.history.latest().history_user == anact_coordinator
        # Stored as a code, worded for whoever reads the history.
        from partnership.core.reasons import parse, word

        reason = project.history.latest().history_change_reason
        assert parse(reason)["code"] == "becomes_joint_action"
        assert word(reason, project) == f"Devient l’action commune «\u00a0{action}\u00a0»"
        detail = client.get(project.get_absolute_url()).content.decode()
        assert action.get_absolute_url() in detail
    # The overlap is settled; the projects say what they became.
    page = client.get(programming_url(agreement)).content.decode()
    assert "0 overlaps to coordinate" in page or "0 chevauchement" in page
    assert action.get_absolute_url() in page
    # Proposing again from a project already turned into an action is refused.
    again = client.get(propose, {"projects": [anact_intervention.pk, inrs_study.pk]})
    assert again.status_code == 302
    assert Action.objects.count() == 1


def test_the_proposal_goes_to_an_existing_programme_in_preparation_only(
    client, autumn, agreement, inrs_study, anact_intervention, anact_coordinator
):
    programme = ProgrammeFactory(agreement=agreement, year=YEAR)
    Programme.objects.filter(pk=programme.pk).update(status="proposed")
    client.force_login(anact_coordinator)
    propose = reverse("programming_propose", args=[agreement.pk, YEAR])
    response = client.get(propose, {"projects": [anact_intervention.pk, inrs_study.pk]})
    assert response.status_code == 302
    assert not Action.objects.exists()


def test_a_contributor_cannot_propose_nor_an_attacker_link_other_projects(
    client,
    autumn,
    agreement,
    anact,
    inrs,
    inrs_study,
    anact_intervention,
    anact_contributor,
    anact_coordinator,
    outsider_organisation,
):
    propose = reverse("programming_propose", args=[agreement.pk, YEAR])
    client.force_login(anact_contributor)
    assert (
        client.get(propose, {"projects": [anact_intervention.pk, inrs_study.pk]}).status_code == 403
    )
    # A coordinator naming a project of another agreement: refused, nothing linked.
    from tests.factories import AgreementPartyFactory, SignedAgreementFactory

    other = SignedAgreementFactory(reference="AC-AUTRE")
    AgreementPartyFactory(agreement=other, organisation=anact)
    AgreementPartyFactory(agreement=other, organisation=outsider_organisation)
    elsewhere = PlannedProjectFactory(
        agreement=other, organisation=outsider_organisation, year=YEAR
    )
    client.force_login(anact_coordinator)
    response = client.get(propose, {"projects": [anact_intervention.pk, elsewhere.pk]})
    assert response.status_code == 302
    assert not Action.objects.exists()


def test_a_project_coordinated_without_a_joint_action(
    client, autumn, agreement, inrs_study, anact_intervention, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("plannedproject_coordinate", args=[inrs_study.pk])
    response = client.post(url, {"note": "Les deux agences échangent leurs résultats."})
    assert response.status_code == 302
    inrs_study.refresh_from_db()
    assert inrs_study.coordinated and "échangent" in inrs_study.coordination_note
    detail = client.get(inrs_study.get_absolute_url()).content.decode()
    assert "sans action commune" in detail or "Coordinated without a joint action" in detail


def test_the_programming_opens_at_la_rentree_or_when_a_coordinator_opens_it(
    client, time_machine, agreement, inrs_contributor, anact_coordinator
):
    clock.freeze(time_machine, datetime.date(2026, 6, 15))
    assert programming_years() == [2026, 2027]
    assert is_open(2027, set()) and not is_open(2028, set())
    create = reverse("plannedproject_create", args=[agreement.pk, 2028])
    client.force_login(inrs_contributor)
    assert client.get(create).status_code == 403
    page = client.get(programming_url(agreement, 2028)).content.decode()
    assert reverse("programming_open", args=[agreement.pk, 2028]) not in page
    client.force_login(anact_coordinator)
    page = client.get(programming_url(agreement, 2028)).content.decode()
    opening = reverse("programming_open", args=[agreement.pk, 2028])
    assert opening in page
    assert client.post(opening).status_code == 302
    assert ProgrammingOpening.objects.get().opened_by == anact_coordinator
    client.force_login(inrs_contributor)
    assert client.get(create).status_code == 200
    clock.freeze(time_machine, datetime.date(2026, 9, 1))
    assert programming_years() == [2027, 2028]
    assert is_open(2028, set())


def test_exports(client, autumn, agreement, inrs_study, anact_intervention, anact_reader):
    client.force_login(anact_reader)
    csv = client.get(reverse("programming_export", args=[agreement.pk, YEAR, "csv"]))
    text = csv.content.decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv")
    assert inrs_study.title in text and anact_intervention.title in text
    assert text.count("\r\n") == 3
    xlsx = client.get(reverse("programming_export", args=[agreement.pk, YEAR, "xlsx"]))
    assert xlsx.content[:2] == b"PK"
    assert (
        client.get(reverse("programming_export", args=[agreement.pk, YEAR, "pdf"])).status_code
        == 404
    )


def _projects(agreement, parties, themes, count):
    kinds = list(PlannedProject.Kind.values)
    PlannedProject.objects.bulk_create(
        PlannedProject(
            agreement=agreement,
            organisation=parties[index % len(parties)],
            year=YEAR,
            theme=themes[index % len(themes)],
            title=f"Projet {index} sur la prévention {index % 7}",
            summary="Résumé",
            kind=kinds[index % len(kinds)],
            planned_start=datetime.date(2027, 1 + index % 6, 1),
            planned_end=datetime.date(2027, 7 + index % 6, 1),
        )
        for index in range(count)
    )


@pytest.mark.parametrize("count", [4, 120])
def test_the_side_by_side_page_keeps_its_queries(
    client,
    autumn,
    agreement,
    anact,
    inrs,
    anact_coordinator,
    tms,
    rps,
    count,
    django_assert_num_queries,
):
    _projects(agreement, [anact, inrs], [tms, rps], count)
    client.force_login(anact_coordinator)
    client.get(programming_url(agreement))  # the session's first use
    caches["default"].clear()  # the overlaps it found are kept: found again
    # On PostgreSQL one more: the close words found by its full-text words. The projects'
    # parties and themes are read in a query each, not joined to every project's row.
    with django_assert_num_queries(13 + (connection.vendor == "postgresql")):
        response = client.get(programming_url(agreement))
    assert response.status_code == 200
    # The same projects again: their overlaps are kept in the shared cache.
    with django_assert_num_queries(13):
        again = client.get(programming_url(agreement))
    assert _without_csrf_token(again) == _without_csrf_token(response)


def _without_csrf_token(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)


def test_from_la_rentree_the_dashboard_and_the_agreement_invite_the_parties(
    client, time_machine, agreement, inrs_contributor, anact_reader, anact_coordinator
):
    clock.freeze(time_machine, datetime.date(2026, 8, 31))
    url = reverse("programming", args=[agreement.pk, YEAR])
    client.force_login(inrs_contributor)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and url not in home.content.decode()
    assert "La rentrée" not in client.get(agreement.get_absolute_url()).content.decode()
    clock.freeze(time_machine, datetime.date(2026, 9, 1))
    client.force_login(inrs_contributor)
    home = client.get(reverse("home")).content.decode()
    assert url in home and "0 projet saisi" in home
    assert "La rentrée" in client.get(agreement.get_absolute_url()).content.decode()
    # A reader is shown the programming, not invited to enter it.
    client.force_login(anact_reader)
    assert url not in client.get(reverse("home")).content.decode()
    assert url in client.get(agreement.get_absolute_url()).content.decode()


def test_the_dashboard_counts_the_projects_the_person_s_organisation_entered_for_the_year(
    client, time_machine, agreement, anact, inrs, tms, rps, inrs_contributor
):
    clock.freeze(time_machine, datetime.date(2026, 9, 1))
    _projects(agreement, [inrs, anact], [tms, rps], 5)  # 3 of INRS, 2 of the Anact
    PlannedProjectFactory(agreement=agreement, organisation=inrs, year=YEAR + 1)
    client.force_login(inrs_contributor)
    home = client.get(reverse("home")).content.decode()
    assert "3 projets saisis" in home


def test_a_coordinator_opening_early_invites_the_parties_before_september(
    client, time_machine, agreement, inrs_contributor, anact_coordinator
):
    clock.freeze(time_machine, datetime.date(2026, 6, 15))
    client.force_login(anact_coordinator)
    assert client.post(reverse("programming_open", args=[agreement.pk, YEAR])).status_code == 302
    client.force_login(inrs_contributor)
    home = client.get(reverse("home")).content.decode()
    assert reverse("programming", args=[agreement.pk, YEAR]) in home


def test_a_programming_meeting_puts_the_overlaps_on_its_agenda_theme_by_theme(
    client, autumn, agreement, inrs_study, anact_intervention, anact_coordinator, rps, anact
):
    from partnership.meetings.services import meeting_prepare_agenda
    from tests.factories import MeetingFactory

    start = clock.moment(datetime.date(2026, 11, 20), 10)
    meeting = MeetingFactory(
        agreement=agreement,
        kind="programming",
        title="Réunion de programmation 2027",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
    )
    client.force_login(anact_coordinator)
    preview = client.get(reverse("meeting_prepare_agenda", args=[meeting.pk])).content.decode()
    assert inrs_study.title in preview and anact_intervention.title in preview
    assert client.post(reverse("meeting_prepare_agenda", args=[meeting.pk])).status_code == 302
    titles = list(meeting.agenda_items.order_by("position").values_list("title", flat=True))
    assert titles[0].endswith("Troubles musculosquelettiques (TMS)")
    assert titles[0].startswith("Chevauchements des programmations respectives 2027")
    assert titles[1] == (
        "Étude sur les TMS dans la logistique (INRS) ↔ "
        "Intervention TMS en entreprises de logistique (Anact)"
    )
    # Prepared again: nothing twice.
    assert meeting_prepare_agenda(meeting=meeting, user=anact_coordinator) == []
    # A review meeting gets no overlaps.
    review = MeetingFactory(
        agreement=agreement,
        kind="review",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    meeting_prepare_agenda(meeting=review, user=anact_coordinator)
    assert not review.agenda_items.filter(title__contains="↔").exists()


def test_the_demonstration_holds_each_agency_programming_of_next_year(db):
    from django.core.management import call_command
    from django.utils import timezone

    call_command("load_demo", verbosity=0)
    year = timezone.localdate().year + 1
    projects = PlannedProject.objects.filter(year=year).select_related("organisation", "theme")
    assert {p.organisation.acronym for p in projects} == {"Anact", "INRS"}
    pairs = [{o.first.title, o.second.title} for o in find_overlaps(projects) if not o.settled]
    assert {
        "Étude sur les TMS dans la logistique et les entrepôts",
        "Intervention TMS en entreprises de la logistique",
    } in pairs
    linked = projects.filter(joint_action__isnull=False)
    assert linked.count() == 2
    assert len({p.joint_action_id for p in linked}) == 1
    assert linked[0].joint_action.programme.year == year


def test_the_agreements_a_person_enters_programming_for_are_the_same_in_one_query(db):
    """``rules.programming_entered_in`` (the dashboard's invitations) is
    ``rules.enters_programming_for`` asked of every agreement at once, for every demo person
    (a network member, a reader, a coordinator, an administrator) and an agreement the
    person's organisation is only invited to."""
    call_command("load_demo", verbosity=0)
    for agreement in Agreement.objects.all():  # every other organisation invited, not a party
        for organisation in Organisation.objects.exclude(agreement_parties__agreement=agreement):
            AgreementParty.objects.create(
                agreement=agreement, organisation=organisation, status=PartyStatus.INVITED
            )
    for spec in demo.ACCOUNTS:
        user = get_user_model().objects.get(username=spec.username)
        one_query = set(rules.programming_entered_in(Agreement.objects.all(), user))
        one_by_one = {a for a in Agreement.objects.all() if rules.enters_programming_for(user, a)}
        assert one_query == one_by_one, spec.username
