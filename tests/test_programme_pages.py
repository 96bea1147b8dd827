"""The programme pages: the list, the programme page with its actions, edits, the yearly cycle."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.models import Action, Meeting, Programme
from partnership.programmes.services import programme_approve, programme_parties
from partnership.rules import approves_programme_for
from tests import clock
from tests.conftest import _staff
from tests.factories import (
    ActionFactory,
    AgendaItemFactory,
    AgreementPartyFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    ThemeFactory,
)
from tests.html_forms import form_data


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")


@pytest.fixture
def themes(db):
    return ThemeFactory(name="Troubles musculo-squelettiques"), ThemeFactory(name="Prospective")


@pytest.fixture
def actions(programme, anact, inrs, themes):
    tms, prospective = themes
    return [
        ActionFactory(
            programme=programme,
            title="Guide TMS commun",
            kind=Action.Kind.PUBLICATION,
            theme=tms,
            lead_organisation=anact,
            status=Action.Status.IN_PROGRESS,
            progress=40,
        ),
        ActionFactory(
            programme=programme,
            title="Colloque Le travail dans 40 ans",
            kind=Action.Kind.CONFERENCE,
            theme=prospective,
            lead_organisation=inrs,
        ),
        ActionFactory(
            programme=programme,
            title="Étude prospective",
            kind=Action.Kind.STUDY,
            theme=prospective,
            lead_organisation=inrs,
            status=Action.Status.COMPLETED,
            progress=100,
        ),
    ]


def _form_data(**overrides):
    data = {"year": "2027", "title": "Programme commun 2027", "summary": "Les chantiers de 2027."}
    data.update(overrides)
    return data


# Seeing the programme ---------------------------------------------------------------------


def test_reader_sees_the_programme_page_without_edit_buttons(
    client, programme, actions, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(programme.get_absolute_url())
    assert response.status_code == 200
    assert "Guide TMS commun" in response.text
    for name in ("programme_update", "programme_delete", "programme_next_year"):
        assert reverse(name, args=[programme.pk]) not in response.text
    assert reverse("programme_transition", args=[programme.pk, "propose"]) not in response.text
    assert reverse("action_create", args=[programme.pk]) not in response.text


def test_outsider_gets_404_on_the_programme_and_does_not_see_it_listed(client, programme, outsider):
    client.force_login(outsider)
    assert client.get(programme.get_absolute_url()).status_code == 404
    assert client.get(reverse("programme_update", args=[programme.pk])).status_code == 404
    assert client.get(reverse("programme_create", args=[programme.agreement_id])).status_code == 404
    assert "Programme commun 2026" not in client.get(reverse("programme_list")).text


def test_programme_page_groups_its_actions_by_kind_then_by_theme(
    client, programme, actions, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(programme.get_absolute_url())
    assert response.context["group_by"] == "kind"
    groups = response.context["groups"]
    # The kinds in the order of the list of kinds: publication, conference, study.
    assert [[a.title for a in group["actions"]] for group in groups] == [
        ["Guide TMS commun"],
        ["Colloque Le travail dans 40 ans"],
        ["Étude prospective"],
    ]
    response = client.get(programme.get_absolute_url(), {"group": "theme"})
    assert response.context["group_by"] == "theme"
    assert [(group["label"], len(group["actions"])) for group in response.context["groups"]] == [
        ("Prospective", 2),
        ("Troubles musculo-squelettiques", 1),
    ]


def test_programme_filters_are_in_the_url_and_keep_the_grouping(
    client, programme, actions, inrs, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(
        programme.get_absolute_url(), {"group": "theme", "lead_organisation": inrs.pk}
    )
    assert response.status_code == 200
    assert response.context["group_by"] == "theme"
    titles = [a.title for group in response.context["groups"] for a in group["actions"]]
    assert sorted(titles) == ["Colloque Le travail dans 40 ans", "Étude prospective"]
    # The filter form carries the grouping; the grouping links carry the filters.
    assert '<input type="hidden" name="group" value="theme">' in response.text
    assert f"?lead_organisation={inrs.pk}" in response.text

    response = client.get(programme.get_absolute_url(), {"status": "completed", "kind": "study"})
    titles = [a.title for group in response.context["groups"] for a in group["actions"]]
    assert titles == ["Étude prospective"]


def test_status_and_grouping_links_keep_the_other_parameters(
    client, programme, actions, inrs, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(
        programme.get_absolute_url(),
        {"status": "planned", "group": "theme", "lead_organisation": inrs.pk},
    )
    lead = f"lead_organisation={inrs.pk}"
    # A status replaces the one chosen, in its place.
    assert f'href="?status=completed&amp;group=theme&amp;{lead}"' in response.text
    # "By kind" takes the grouping out; "By theme" keeps it.
    assert f'href="?status=planned&amp;{lead}"' in response.text
    assert f'href="?status=planned&amp;group=theme&amp;{lead}"' in response.text

    response = client.get(programme.get_absolute_url())
    assert 'href="?status=planned"' in response.text
    assert 'href="?group=theme"' in response.text
    assert 'href="?"' in response.text  # "By kind", nothing left to keep


def test_programme_page_counts_actions_by_status_whatever_the_filter(
    client, programme, actions, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(programme.get_absolute_url(), {"status": "planned"})
    counts = {item["status"]: item["count"] for item in response.context["status_counts"]}
    assert counts == {
        "planned": 1,
        "in_progress": 1,
        "completed": 1,
        "postponed": 0,
        "cancelled": 0,
    }
    assert response.context["action_total"] == 3


def test_each_action_shows_its_progress_in_a_labelled_progress_element(
    client, programme, actions, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(programme.get_absolute_url())
    assert '<progress class="action-progress" value="40" max="100" aria-label="' in response.text
    assert 'style="' not in response.text


def test_invalid_filter_values_do_not_break_the_page(client, programme, actions, anact_reader):
    client.force_login(anact_reader)
    response = client.get(
        programme.get_absolute_url(), {"lead_organisation": "abc", "status": "<script>"}
    )
    assert response.status_code == 200
    assert "<script>" not in response.text.split("<main", 1)[1].split("</main>")[0]


def test_programme_list_filters_by_year_and_status(client, programme, agreement, anact_reader):
    ProgrammeFactory(agreement=agreement, year=2025, title="Programme commun 2025")
    client.force_login(anact_reader)
    response = client.get(reverse("programme_list"), {"year": 2025})
    assert [p.year for p in response.context["object_list"]] == [2025]
    response = client.get(reverse("programme_list"), {"status": "adopted"})
    assert list(response.context["object_list"]) == []
    response = client.get(reverse("programme_list"), {"o": "year"})
    assert [p.year for p in response.context["object_list"]] == [2025, 2026]


# Editing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "url_name", ["programme_update", "programme_delete", "programme_next_year", "transition"]
)
def test_reader_cannot_change_the_programme(client, programme, anact_reader, method, url_name):
    client.force_login(anact_reader)
    if url_name == "transition":
        url = reverse("programme_transition", args=[programme.pk, "propose"])
    else:
        url = reverse(url_name, args=[programme.pk])
    assert getattr(client, method)(url, _form_data()).status_code == 403
    programme.refresh_from_db()
    assert programme.title == "Programme commun 2026"
    assert Programme.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_reader_cannot_create_a_programme(client, agreement, anact_reader, method):
    client.force_login(anact_reader)
    url = reverse("programme_create", args=[agreement.pk])
    assert getattr(client, method)(url, _form_data()).status_code == 403
    assert not Programme.objects.exists()


def test_contributor_cannot_change_the_programme_but_may_add_an_action(
    client, programme, actions, anact_contributor
):
    client.force_login(anact_contributor)
    page = client.get(programme.get_absolute_url())
    assert reverse("programme_update", args=[programme.pk]) not in page.text
    assert reverse("action_create", args=[programme.pk]) in page.text
    url = reverse("programme_update", args=[programme.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _form_data(year="2026", title="Changé")).status_code == 403
    propose = reverse("programme_transition", args=[programme.pk, "propose"])
    assert client.post(propose).status_code == 403
    assert client.post(reverse("programme_create", args=[programme.agreement_id])).status_code == (
        403
    )
    programme.refresh_from_db()
    assert (programme.title, programme.status) == ("Programme commun 2026", "preparation")


def test_coordinator_creates_a_programme_under_the_agreement(
    client, programme, agreement, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("programme_create", args=[agreement.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"]["year"].value() == 2027  # the year after the latest one
    response = client.post(url, _form_data())
    created = Programme.objects.get(agreement=agreement, year=2027)
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()
    assert created.status == Programme.Status.PREPARATION
    assert created.history.first().history_user == anact_coordinator


def test_coordinator_sees_the_agreements_they_may_add_a_programme_to(
    client, agreement, anact_coordinator, anact_reader
):
    client.force_login(anact_coordinator)
    response = client.get(reverse("programme_list"))
    assert response.context["addable_agreements"] == [agreement]
    assert reverse("programme_create", args=[agreement.pk]) in response.text
    client.force_login(anact_reader)
    assert (
        reverse("programme_create", args=[agreement.pk])
        not in client.get(reverse("programme_list")).text
    )


def test_only_agreements_not_ended_are_offered_for_a_new_programme(
    client, agreement, anact, anact_coordinator
):
    terminated = SignedAgreementFactory(reference="AC-FINI", status="terminated")
    AgreementPartyFactory(agreement=terminated, organisation=anact)
    client.force_login(anact_coordinator)
    response = client.get(reverse("programme_list"))
    assert response.context["addable_agreements"] == [agreement]
    assert reverse("programme_create", args=[terminated.pk]) not in response.text


def test_coordinator_edits_the_programme(client, programme, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("programme_update", args=[programme.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, _form_data(year="2026", title="Programme 2026 révisé", version=programme.version)
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.title == "Programme 2026 révisé"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"year": ""}, "year"),
        ({"year": "1999"}, "year"),
        ({"year": "2101"}, "year"),
        ({"year": "deux mille"}, "year"),
        ({"year": "2026"}, "year"),  # the agreement already has its 2026 programme
        ({"title": "x" * 301}, "title"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"summary": '<img src=x onerror="alert(1)">'}, "summary"),
    ],
)
def test_invalid_programme_is_refused_next_to_the_field_and_kept(
    client, programme, agreement, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    response = client.post(
        reverse("programme_create", args=[agreement.pk]), _form_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Programme commun 2027" in response.text or field == "title"
    assert "Les chantiers de 2027." in response.text or field == "summary"
    assert Programme.objects.count() == 1


def test_empty_year_gets_django_french_message(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    response = client.post(reverse("programme_create", args=[agreement.pk]), _form_data(year=""))
    assert response.context["form"].errors["year"] == ["Ce champ est obligatoire."]


def test_year_of_an_adopted_programme_cannot_be_changed(client, programme, anact_coordinator):
    meeting = MeetingFactory(agreement=programme.agreement, status=Meeting.Status.HELD)
    Programme.objects.filter(pk=programme.pk).update(
        status="adopted", adopted_on=datetime.date(2026, 1, 20), adopted_at=meeting
    )
    client.force_login(anact_coordinator)
    url = reverse("programme_update", args=[programme.pk])
    client.post(url, _form_data(year="2030", title="Toujours 2026", version=programme.version))
    programme.refresh_from_db()
    assert (programme.year, programme.title) == (2026, "Toujours 2026")


def test_deleting_a_programme_with_actions_is_refused_with_a_message(
    client, programme, actions, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("programme_delete", args=[programme.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == programme.get_absolute_url()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Programme.objects.filter(pk=programme.pk).exists()


def test_coordinator_deletes_an_empty_programme(client, programme, anact_coordinator):
    client.force_login(anact_coordinator)
    response = client.post(reverse("programme_delete", args=[programme.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("programme_list")
    assert not Programme.objects.filter(pk=programme.pk).exists()


# The yearly cycle -----------------------------------------------------------------------


def test_coordinator_proposes_then_sends_back_the_programme(
    client, programme, actions, anact_coordinator
):
    client.force_login(anact_coordinator)
    propose = reverse("programme_transition", args=[programme.pk, "propose"])
    assert propose in client.get(programme.get_absolute_url()).text
    assert client.get(propose).status_code == 200
    assert client.post(propose).status_code == 302
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED
    client.post(reverse("programme_transition", args=[programme.pk, "withdraw"]))
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PREPARATION


def test_proposing_a_programme_without_actions_explains_why(client, programme, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("programme_transition", args=[programme.pk, "propose"])
    response = client.post(url, follow=True)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PREPARATION
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_adopt_is_no_button_nor_transition_url_any_more(
    client, programme, actions, anact_coordinator
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    client.force_login(anact_coordinator)
    url = reverse("programme_transition", args=[programme.pk, "adopt"])
    assert url not in client.get(programme.get_absolute_url()).text
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_each_party_approves_through_the_confirmation_page_and_the_last_one_adopts(
    client, programme, actions, agreement, anact, inrs, anact_coordinator, inrs_coordinator
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    held = MeetingFactory(agreement=agreement, title="Comité de pilotage", status="held")
    planned = MeetingFactory(
        agreement=agreement,
        title="Prochain comité",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        ends_at=timezone.now() + datetime.timedelta(days=20, hours=2),
    )
    other = MeetingFactory(title="Comité d’un autre accord", status="held")
    url = reverse("programme_approve", args=[programme.pk])

    # Anact first: no meeting asked, the programme stays proposed.
    client.force_login(anact_coordinator)
    page = client.get(programme.get_absolute_url())
    assert url in page.text
    assert [item["approval"] for item in page.context["approvals"]] == [None, None]
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "meeting" not in confirm.context["form"].fields
    assert confirm.context["organisations"] == [anact]
    response = client.post(url)
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED
    assert url not in client.get(programme.get_absolute_url()).text  # nothing left to approve

    # INRS last: the held meetings of the agreement are offered, the approval adopts.
    client.force_login(inrs_coordinator)
    confirm = client.get(url)
    choices = list(confirm.context["form"].fields["meeting"].queryset)
    assert held in choices
    assert planned not in choices
    assert other not in choices
    response = client.post(url, {"meeting": held.pk})
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ADOPTED
    assert programme.adopted_at == held
    assert programme.adopted_on == timezone.localdate(held.starts_at)
    assert programme.history.first().history_user == inrs_coordinator
    page = client.get(programme.get_absolute_url())
    assert [
        (item["organisation"], item["approval"].approved_by) for item in page.context["approvals"]
    ] == [(anact, anact_coordinator), (inrs, inrs_coordinator)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"meeting": ""}, "meeting"),
        ({"meeting": "999999"}, "meeting"),
        ({"adopted_on": "2099-01-01"}, "adopted_on"),
        ({"adopted_on": "hier"}, "adopted_on"),
    ],
)
def test_last_approval_with_bad_input_is_refused_next_to_the_field(
    client, programme, actions, agreement, anact_coordinator, inrs_coordinator, data, field
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    programme_approve(programme=programme, user=anact_coordinator)
    held = MeetingFactory(agreement=agreement, status="held")
    data = {"meeting": held.pk, **data}
    client.force_login(inrs_coordinator)
    response = client.post(reverse("programme_approve", args=[programme.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED
    assert programme.approvals.count() == 1


def test_approval_refused_by_the_service_comes_back_with_its_reason(
    client, programme, actions, agreement, anact_coordinator, inrs_coordinator, monkeypatch
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    programme_approve(programme=programme, user=anact_coordinator)
    held = MeetingFactory(agreement=agreement, status="held")
    # The agreement is terminated meanwhile: the service refuses, the form says why.
    agreement.__class__.objects.filter(pk=agreement.pk).update(status="terminated")
    client.force_login(inrs_coordinator)
    response = client.post(reverse("programme_approve", args=[programme.pk]), {"meeting": held.pk})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", ["anact_reader", "anact_contributor", "aract_coordinator"])
def test_only_a_coordinator_of_a_party_reaches_the_approval(
    request, client, programme, actions, aract, method, persona
):
    if persona == "aract_coordinator":
        user = _staff("aract.coordinateur", aract, "coordinator")
    else:
        user = request.getfixturevalue(persona)
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    client.force_login(user)
    url = reverse("programme_approve", args=[programme.pk])
    assert getattr(client, method)(url).status_code == 403
    assert url not in client.get(programme.get_absolute_url()).text
    assert not programme.approvals.exists()


def test_outsider_gets_404_on_the_approval(client, programme, outsider):
    client.force_login(outsider)
    assert client.get(reverse("programme_approve", args=[programme.pk])).status_code == 404


def test_approval_page_of_a_programme_in_preparation_explains_why_not(
    client, programme, actions, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("programme_approve", args=[programme.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["allowed"] is False
    response = client.post(url, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not programme.approvals.exists()


@pytest.mark.parametrize("organisation", ["", "999999", "outsider"])
def test_administrator_naming_no_party_is_refused_next_to_the_field(
    client, programme, actions, outsider_organisation, administrator, organisation
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    if organisation == "outsider":
        organisation = outsider_organisation.pk
    client.force_login(administrator)
    response = client.post(
        reverse("programme_approve", args=[programme.pk]), {"organisation": organisation}
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not programme.approvals.exists()


def test_administrator_chooses_the_party_they_record_the_approval_for(
    client, programme, actions, inrs, administrator
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    client.force_login(administrator)
    url = reverse("programme_approve", args=[programme.pk])
    page = client.get(url)
    assert "organisation" in page.context["form"].fields
    response = client.post(url, {"organisation": inrs.pk})
    assert response.status_code == 302
    assert list(programme.approvals.values_list("organisation", flat=True)) == [inrs.pk]


def test_a_coordinator_cannot_approve_for_another_party_by_tampering_with_the_form(
    client, programme, actions, anact, inrs, anact_coordinator
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    client.force_login(anact_coordinator)
    url = reverse("programme_approve", args=[programme.pk])
    # The form has no choice of party for a coordinator: one naming INRS approves for Anact.
    response = client.post(url, {"organisation": inrs.pk}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert list(programme.approvals.values_list("organisation", flat=True)) == [anact.pk]
    # Anact has approved: naming INRS again gives nothing left to approve, and no approval.
    response = client.post(url, {"organisation": inrs.pk}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert list(programme.approvals.values_list("organisation", flat=True)) == [anact.pk]
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED


@pytest.mark.parametrize("persona", ["anact_reader", "anact_contributor"])
def test_a_reader_or_contributor_posting_an_approval_for_their_party_is_refused(
    request, client, programme, actions, anact, persona
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    client.force_login(request.getfixturevalue(persona))
    url = reverse("programme_approve", args=[programme.pk])
    assert client.post(url, {"organisation": anact.pk}).status_code == 403
    assert not programme.approvals.exists()


@pytest.mark.parametrize("persona", ["anact_coordinator", "inrs_coordinator", "administrator"])
def test_the_approval_form_offers_only_the_parties_the_rule_module_allows(
    request, client, programme, actions, anact, inrs, persona
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    user = request.getfixturevalue(persona)
    allowed = [
        party for party in programme_parties(programme) if approves_programme_for(user, party.pk)
    ]
    client.force_login(user)
    page = client.get(reverse("programme_approve", args=[programme.pk]))
    assert page.context["organisations"] == allowed
    form = page.context["form"]
    if len(allowed) > 1:
        assert list(form.fields["organisation"].queryset) == allowed
    else:
        assert "organisation" not in form.fields
    expected = {
        "anact_coordinator": [anact],
        "inrs_coordinator": [inrs],
        "administrator": [anact, inrs],
    }
    assert allowed == expected[persona]


def test_a_party_that_approved_is_no_longer_offered_to_the_administrator(
    client, programme, actions, anact, inrs, inrs_coordinator, administrator
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.PROPOSED)
    programme_approve(programme=programme, user=inrs_coordinator)
    client.force_login(administrator)
    url = reverse("programme_approve", args=[programme.pk])
    page = client.get(url)
    assert page.context["organisations"] == [anact]
    assert "organisation" not in page.context["form"].fields
    held = MeetingFactory(agreement=programme.agreement, status="held")
    # Naming INRS again is ignored: the only approval left to record is Anact's.
    response = client.post(url, {"organisation": inrs.pk, "meeting": held.pk})
    assert response.status_code == 302
    assert set(programme.approvals.values_list("organisation", flat=True)) == {anact.pk, inrs.pk}
    assert programme.approvals.get(organisation=anact).approved_by == administrator


def _adopt(programme):
    meeting = MeetingFactory(agreement=programme.agreement, status=Meeting.Status.HELD)
    Programme.objects.filter(pk=programme.pk).update(
        status=Programme.Status.ADOPTED, adopted_on=datetime.date(2026, 1, 20), adopted_at=meeting
    )
    programme.refresh_from_db()
    return meeting


@pytest.mark.parametrize(
    ("review", "valid"),
    [("", False), ("   ", False), ("<script>alert(1)</script>", False), ("Bilan positif.", True)],
)
def test_closing_a_programme_asks_for_its_annual_review(
    client, programme, anact_coordinator, review, valid
):
    _adopt(programme)
    client.force_login(anact_coordinator)
    url = reverse("programme_transition", args=[programme.pk, "close"])
    response = client.post(url, {"review": review})
    programme.refresh_from_db()
    if valid:
        assert response.status_code == 302
        assert (programme.status, programme.review) == ("closed", "Bilan positif.")
    else:
        assert response.status_code == 200
        assert "review" in response.context["form"].errors
        assert programme.status == Programme.Status.ADOPTED


def test_prepare_next_year_is_offered_only_on_an_adopted_programme(
    client, programme, actions, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("programme_next_year", args=[programme.pk])
    assert url not in client.get(programme.get_absolute_url()).text
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["allowed"] is False
    response = client.post(url, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Programme.objects.filter(year=2027).exists()


def test_prepare_next_year_from_the_page_carries_over_once(
    client, programme, actions, anact_coordinator
):
    _adopt(programme)
    cancelled = ActionFactory(
        programme=programme, title="Action abandonnée", status=Action.Status.CANCELLED
    )
    client.force_login(anact_coordinator)
    url = reverse("programme_next_year", args=[programme.pk])
    assert url in client.get(programme.get_absolute_url()).text

    preview = client.get(url)
    assert preview.status_code == 200
    carried_titles = {row["action"].title for row in preview.context["carried_over"]}
    assert carried_titles == {"Guide TMS commun", "Colloque Le travail dans 40 ans"}
    assert cancelled.title not in preview.text

    response = client.post(url, follow=True)
    next_programme = Programme.objects.get(agreement=programme.agreement, year=2027)
    assert response.redirect_chain[-1][0] == next_programme.get_absolute_url()
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert "2" in str(list(response.context["messages"])[0])
    assert set(next_programme.actions.values_list("title", flat=True)) == carried_titles
    assert all(a.continues.programme_id == programme.pk for a in next_programme.actions.all())

    # Running it again duplicates nothing.
    assert client.get(url).context["carried_over"] == []
    response = client.post(url, follow=True)
    assert Programme.objects.filter(agreement=programme.agreement, year=2027).count() == 1
    assert next_programme.actions.count() == 2
    assert "0" in str(list(response.context["messages"])[0])


def test_prepare_next_year_is_chosen_action_by_action(
    client, programme, actions, anact_coordinator
):
    _adopt(programme)
    guide, colloquium = actions[0], actions[1]
    client.force_login(anact_coordinator)
    url = reverse("programme_next_year", args=[programme.pk])
    preview = client.get(url)
    # Every unfinished action is ticked by default, labelled by its title.
    data = form_data(preview)
    assert sorted(map(int, data["carry"])) == sorted([guide.pk, colloquium.pk])
    for action in (guide, colloquium):
        assert f'<label for="carry-{action.pk}"><a href="{action.get_absolute_url()}">' in (
            preview.text
        )
    # The page says what each becomes: the action in progress goes on in 2027.
    assert "Statut en 2027" in preview.text
    assert [row["status"] for row in preview.context["carried_over"]] == ["prévue", "en cours"]

    # One box unticked: that action stays behind.
    response = client.post(url, {"choosing": "1", "carry": [guide.pk]}, follow=True)
    next_programme = Programme.objects.get(agreement=programme.agreement, year=2027)
    assert [action.continues for action in next_programme.actions.all()] == [guide]
    assert "1 action" in str(list(response.context["messages"])[0])
    # The other is still offered, and can follow later.
    assert [row["action"] for row in client.get(url).context["carried_over"]] == [colloquium]


def test_prepare_next_year_refuses_unreadable_choices_and_does_nothing(
    client, programme, actions, anact_coordinator
):
    _adopt(programme)
    client.force_login(anact_coordinator)
    url = reverse("programme_next_year", args=[programme.pk])
    response = client.post(url, {"choosing": "1", "carry": ["1 OR 1=1"]}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert "rien n’a été fait" in str(list(response.context["messages"])[0])
    assert not Programme.objects.filter(year=2027).exists()


def test_prepare_next_year_waits_for_september_and_says_so(
    client, time_machine, programme, actions, anact_coordinator
):
    _adopt(programme)
    clock.freeze(time_machine, datetime.date(2026, 6, 15))
    client.force_login(anact_coordinator)
    url = reverse("programme_next_year", args=[programme.pk])
    page = client.get(programme.get_absolute_url())
    assert url not in page.text
    assert page.context["next_year"]["opens_on"] == datetime.date(2026, 9, 1)
    assert 'class="small text-body-secondary mb-3 next-year-note"' in page.text
    preview = client.get(url)
    assert preview.status_code == 200
    assert preview.context["allowed"] is False
    assert preview.context["status_allows"] is True
    response = client.post(url, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Programme.objects.filter(year=2027).exists()

    clock.freeze(time_machine, datetime.date(2026, 9, 1))
    client.force_login(anact_coordinator)  # the session of June has expired
    page = client.get(programme.get_absolute_url())
    assert url in page.text
    assert "next-year-note" not in page.text
    assert client.get(url).context["allowed"] is True


def test_the_programme_page_filters_and_labels_read_as_everywhere_else(
    client, programme, actions, anact_coordinator
):
    client.force_login(anact_coordinator)
    page = client.get(programme.get_absolute_url()).text
    assert "---------" not in page
    assert '<option value="" selected>Tous</option>' in page
    labels = re.findall(r'class="form-label">\s*([^<]*?)\s*</label>', page)
    assert labels[:4] == ["Organisme pilote", "Thème", "Type", "Statut"]


def test_dates_in_sentences_say_the_first_of_the_month_as_french_does(
    client, time_machine, programme, actions, anact_coordinator
):
    _adopt(programme)
    clock.freeze(time_machine, datetime.date(2026, 6, 15))
    client.force_login(anact_coordinator)
    page = client.get(programme.get_absolute_url()).text
    assert "1er septembre 2026" in page
    assert " 1 septembre" not in page


def test_contributor_cannot_prepare_next_year(client, programme, actions, anact_contributor):
    _adopt(programme)
    client.force_login(anact_contributor)
    url = reverse("programme_next_year", args=[programme.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Programme.objects.filter(year=2027).exists()


def test_programme_referred_to_by_a_meeting_agenda_cannot_be_deleted(
    client, programme, anact_coordinator
):
    AgendaItemFactory(meeting=MeetingFactory(agreement=programme.agreement), programme=programme)
    client.force_login(anact_coordinator)
    client.post(reverse("programme_delete", args=[programme.pk]))
    assert Programme.objects.filter(pk=programme.pk).exists()


# Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_programme_list_query_count_does_not_grow(
    client, agreement, anact_reader, django_assert_num_queries, rows
):
    for index in range(rows):
        programme = ProgrammeFactory(agreement=agreement, year=2000 + index)
        ActionFactory(programme=programme)
    other = SignedAgreementFactory()
    AgreementPartyFactory(agreement=other, organisation=OrganisationFactory())
    client.force_login(anact_reader)
    # session, user, staff profile, count, the model permissions of the user and of their
    # groups (asked once by the generic list for "can add"), the agreements of the filter,
    # the page of programmes with their agreement and action counts.
    # ... and the bell's unread count.
    with django_assert_num_queries(9):
        response = client.get(reverse("programme_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(rows, 25)


@pytest.mark.parametrize("rows", [1, 50])
def test_programme_page_query_count_does_not_grow(
    client, programme, anact, inrs, aract, anact_coordinator, django_assert_num_queries, rows
):
    for index in range(rows):
        action = ActionFactory(
            programme=programme,
            kind=Action.Kind.values[index % len(Action.Kind.values)],
            theme=ThemeFactory(),
            lead_organisation=anact if index % 2 else inrs,
            progress=index % 100,
        )
        action.partners.set([aract, OrganisationFactory()])
    client.force_login(anact_coordinator)
    # session, user, staff profile, the programme with its agreement and adopting meeting,
    # the agreement's parties (permission), the actions with lead organisation and theme,
    # their partners, the counts by status, the lead organisations and the themes of the
    # filter, the history.
    # ... and the bell's unread count, whether the person follows the record.
    with django_assert_num_queries(13):
        response = client.get(programme.get_absolute_url(), {"group": "theme"})
    assert response.status_code == 200
    assert response.context["shown_count"] == rows
