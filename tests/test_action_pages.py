"""The joint action pages (chantiers) and their deliverables."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.models import Action, ActionContact, ActionResource, Deliverable
from tests.conftest import _staff
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    ActionReviewFactory,
    AgendaItemFactory,
    ContactFactory,
    ConventionFactory,
    DeliverableFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ThemeFactory,
)
from tests.html_forms import form_data
from tests.test_dashboard import OVERDUE_BADGE


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")


@pytest.fixture
def anact_action(programme, anact):
    return ActionFactory(
        programme=programme,
        title="Guide TMS commun",
        kind=Action.Kind.PUBLICATION,
        lead_organisation=anact,
        description="Un guide pour les PME.",
    )


@pytest.fixture
def inrs_action(programme, inrs):
    return ActionFactory(programme=programme, title="Étude INRS", lead_organisation=inrs)


def _management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _action_data(lead, **overrides):
    data = {
        "title": "Colloque commun sur la prévention",
        "kind": Action.Kind.CONFERENCE,
        "lead_organisation": lead.pk,
        "description": "Un colloque pour les préventeurs.",
        "objectives": "Réunir 200 personnes.",
        "planned_start": "2026-03-01",
        "planned_end": "2026-10-31",
        "progress": "10",
        **_management("resources"),
        **_management("contacts"),
    }
    data.update(overrides)
    return data


def _edit_data(action, **overrides):
    """The edit form as the browser would send it back, unchanged."""
    data = _action_data(
        action.lead_organisation,
        title=action.title,
        kind=action.kind,
        description=action.description,
        objectives=action.objectives,
        planned_start=action.planned_start.isoformat() if action.planned_start else "",
        planned_end=action.planned_end.isoformat() if action.planned_end else "",
        progress=str(action.progress),
        version=str(action.version),
    )
    data.update(overrides)
    return data


# Seeing ---------------------------------------------------------------------------------


def test_reader_sees_the_action_page_without_edit_buttons(client, anact_action, anact_reader):
    DeliverableFactory(action=anact_action, title="Guide publié")
    client.force_login(anact_reader)
    response = client.get(anact_action.get_absolute_url())
    assert response.status_code == 200
    assert "Guide TMS commun" in response.text
    assert 'id="deliverables"' in response.text
    for name in ("action_update", "action_delete", "deliverable_create"):
        assert reverse(name, args=[anact_action.pk]) not in response.text
    assert reverse("action_transition", args=[anact_action.pk, "start"]) not in response.text
    assert "/livrables/" not in response.text


def test_outsider_gets_404_on_actions_and_deliverables(client, anact_action, outsider):
    deliverable = DeliverableFactory(action=anact_action)
    client.force_login(outsider)
    for url in (
        anact_action.get_absolute_url(),
        reverse("action_update", args=[anact_action.pk]),
        reverse("action_create", args=[anact_action.programme_id]),
        reverse("deliverable_create", args=[anact_action.pk]),
        reverse("deliverable_update", args=[deliverable.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert "Guide TMS commun" not in client.get(reverse("action_list")).text


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "url_name",
    [
        "action_update",
        "action_delete",
        "action_transition",
        "action_create",
        "deliverable_create",
        "deliverable_update",
        "deliverable_delete",
    ],
)
def test_reader_cannot_edit_the_action_or_its_deliverables(
    client, anact_action, anact_reader, method, url_name
):
    deliverable = DeliverableFactory(action=anact_action, title="Guide publié")
    args = {
        "action_transition": [anact_action.pk, "start"],
        "action_create": [anact_action.programme_id],
        "deliverable_update": [deliverable.pk],
        "deliverable_delete": [deliverable.pk],
    }.get(url_name, [anact_action.pk])
    client.force_login(anact_reader)
    response = getattr(client, method)(
        reverse(url_name, args=args), _edit_data(anact_action, title="Piraté")
    )
    assert response.status_code == 403
    anact_action.refresh_from_db()
    assert (anact_action.title, anact_action.status) == ("Guide TMS commun", "planned")
    assert Deliverable.objects.get().title == "Guide publié"
    assert Action.objects.count() == 1


def test_amounts_and_days_are_written_as_people_write_them(
    client, anact_action, anact, inrs, anact_reader
):
    """Thousands grouped (a non-breaking space in French), two decimals for money."""
    ActionResourceFactory(
        action=anact_action, organisation=anact, person_days="1212.5", budget=15000
    )
    ActionResourceFactory(action=anact_action, organisation=inrs, person_days=3, budget=500)
    client.force_login(anact_reader)
    page = client.get(anact_action.get_absolute_url()).text
    assert '<td class="text-end">15\xa0000,00</td>' in page
    assert '<td class="text-end">1\xa0212,5</td>' in page
    assert '<td class="text-end">3</td>' in page
    assert "15\xa0500,00" in page  # the total
    assert "15000" not in page


def test_action_page_shows_partners_contacts_resources_and_continuations(
    client, programme, anact_action, anact, inrs, aract, anact_reader
):
    anact_action.partners.set([inrs, aract])
    ActionResourceFactory(action=anact_action, organisation=anact, person_days=12, budget=1000)
    ActionResourceFactory(action=anact_action, organisation=inrs, person_days="3.5", budget=500)
    expert = ContactFactory(first_name="Claire", last_name="Expert", organisation=inrs)
    ActionContact.objects.create(action=anact_action, organisation=inrs, contact=expert)
    ActionContact.objects.create(action=anact_action, organisation=anact, user=anact_reader)
    previous = ActionFactory(
        programme=ProgrammeFactory(agreement=programme.agreement, year=2025),
        title="Guide TMS – préparation",
    )
    Action.objects.filter(pk=anact_action.pk).update(continues=previous)
    following = ActionFactory(
        programme=ProgrammeFactory(agreement=programme.agreement, year=2027),
        title="Guide TMS – diffusion",
        continues=anact_action,
    )
    client.force_login(anact_reader)
    response = client.get(anact_action.get_absolute_url())
    assert response.context["total_person_days"] == 15.5
    assert response.context["total_budget"] == 1500
    assert response.context["continuation"] == following
    assert previous.get_absolute_url() in response.text
    assert following.get_absolute_url() in response.text
    assert expert.get_absolute_url() in response.text
    assert "Claire Expert" in response.text
    assert aract.acronym in response.text

    response = client.get(previous.get_absolute_url())
    assert response.context["continuation"] == anact_action


def test_action_timeline_lists_reviews_newest_first_with_their_meeting(
    client, programme, anact_action, anact_reader
):
    now = timezone.now()
    older = MeetingFactory(
        agreement=programme.agreement,
        title="Revue de mars",
        status="held",
        starts_at=now - datetime.timedelta(days=200),
        ends_at=now - datetime.timedelta(days=200, hours=-2),
    )
    newer = MeetingFactory(
        agreement=programme.agreement,
        title="Revue de juin",
        status="held",
        starts_at=now - datetime.timedelta(days=100),
        ends_at=now - datetime.timedelta(days=100, hours=-2),
    )
    ActionReviewFactory(action=anact_action, meeting=older, progress=20, comment="Démarrage.")
    ActionReviewFactory(action=anact_action, meeting=newer, progress=60, comment="Bien avancé.")
    client.force_login(anact_reader)
    response = client.get(anact_action.get_absolute_url())
    text = response.text
    assert text.index("Revue de juin") < text.index("Revue de mars")
    assert newer.get_absolute_url() in text


def test_deliverables_section_shows_dates_overdue_badge_and_link(
    client, anact_action, anact_reader
):
    today = timezone.localdate()
    late = DeliverableFactory(
        action=anact_action, title="Rapport en retard", due_on=today - datetime.timedelta(days=3)
    )
    DeliverableFactory(
        action=anact_action,
        title="Guide livré",
        due_on=today - datetime.timedelta(days=30),
        delivered_on=today - datetime.timedelta(days=31),
        link="https://www.inrs.fr/guide",
    )
    client.force_login(anact_reader)
    response = client.get(anact_action.get_absolute_url())
    section = response.text.split('id="deliverables"', 1)[1].split("</section>", 1)[0]
    assert "Rapport en retard" in section
    assert section.count("overdue-badge") == section.count(OVERDUE_BADGE) == 1
    assert 'href="https://www.inrs.fr/guide"' in section
    assert late.is_overdue


def test_action_list_filters_searches_and_sorts(
    client, programme, anact_action, inrs_action, inrs, anact_reader
):
    theme = ThemeFactory(name="Risques psychosociaux")
    ActionFactory(
        programme=ProgrammeFactory(agreement=programme.agreement, year=2025),
        title="Prévention RPS",
        theme=theme,
        lead_organisation=inrs,
        status=Action.Status.IN_PROGRESS,
        progress=70,
    )
    ActionFactory(title="Action d’un autre accord")
    client.force_login(anact_reader)
    url = reverse("action_list")

    def titles(**params):
        return [a.title for a in client.get(url, params).context["object_list"]]

    assert sorted(titles()) == ["Guide TMS commun", "Prévention RPS", "Étude INRS"]
    assert sorted(titles(lead_organisation=inrs.pk)) == ["Prévention RPS", "Étude INRS"]
    assert titles(theme=theme.pk) == ["Prévention RPS"]
    assert titles(status="in_progress") == ["Prévention RPS"]
    assert titles(year=2026, kind="publication") == ["Guide TMS commun"]
    assert titles(q="PME") == ["Guide TMS commun"]  # found in the description
    assert titles(agreement=programme.agreement_id, o="-progress")[0] == "Prévention RPS"
    assert client.get(url, {"lead_organisation": "x", "o": "nope"}).status_code == 200


# Contributors ------------------------------------------------------------------------------


def test_contributor_at_anact_edits_an_anact_led_action(client, anact_action, anact_contributor):
    client.force_login(anact_contributor)
    page = client.get(anact_action.get_absolute_url())
    url = reverse("action_update", args=[anact_action.pk])
    assert url in page.text
    assert client.get(url).status_code == 200
    response = client.post(url, _edit_data(anact_action, progress="35"))
    assert response.status_code == 302
    anact_action.refresh_from_db()
    assert anact_action.progress == 35
    assert anact_action.history.first().history_user == anact_contributor


def test_contributor_at_anact_gets_403_on_an_inrs_led_action_without_anact(
    client, inrs_action, anact_contributor
):
    client.force_login(anact_contributor)
    url = reverse("action_update", args=[inrs_action.pk])
    assert url not in client.get(inrs_action.get_absolute_url()).text
    assert client.get(url).status_code == 403
    assert client.post(url, _edit_data(inrs_action, title="Piraté")).status_code == 403
    transition = reverse("action_transition", args=[inrs_action.pk, "start"])
    assert client.post(transition).status_code == 403
    assert client.get(reverse("deliverable_create", args=[inrs_action.pk])).status_code == 403
    inrs_action.refresh_from_db()
    assert (inrs_action.title, inrs_action.status) == ("Étude INRS", "planned")


def test_contributor_of_a_partner_cannot_change_what_the_action_is(
    client, inrs_action, anact, anact_contributor
):
    # Before: a partner's contributor changed anything on the action. Now its progress (what
    # the action is) belongs to the lead organisation: the post is refused, nothing saved.
    inrs_action.partners.add(anact)
    client.force_login(anact_contributor)
    url = reverse("action_update", args=[inrs_action.pk])
    response = client.post(url, _edit_data(inrs_action, progress="50", partners=[anact.pk]))
    assert response.status_code == 200
    assert "Vous n’avez pas le droit de modifier ces champs : « Avancement (%) »" in (response.text)
    inrs_action.refresh_from_db()
    assert inrs_action.progress == 0


def test_contributor_of_a_partner_saves_the_form_as_the_page_shows_it(
    client, inrs_action, anact, anact_contributor
):
    inrs_action.partners.add(anact)
    client.force_login(anact_contributor)
    url = reverse("action_update", args=[inrs_action.pk])
    page = client.get(url)
    assert page.context["form"].fields["title"].disabled
    assert client.post(url, form_data(page)).status_code == 302


def test_contributor_cannot_remove_their_organisation_from_their_action(
    client, inrs_action, anact, inrs, anact_contributor
):
    inrs_action.partners.add(anact)
    client.force_login(anact_contributor)
    url = reverse("action_update", args=[inrs_action.pk])
    response = client.post(url, _edit_data(inrs_action, partners=[inrs.pk]))
    assert response.status_code == 200
    # The partners are the lead organisation's to choose (before: "your organisation must
    # lead the action or be one of its partners"). With no partner posted at all, as a browser
    # posts a read-only list, the partners are kept as they are.
    assert response.context["form"].non_field_errors()
    assert list(inrs_action.partners.all()) == [anact]
    assert client.post(url, _edit_data(inrs_action, partners=[])).status_code == 302
    assert list(inrs_action.partners.all()) == [anact]


def test_coordinator_hands_an_action_over_to_another_organisation(
    client, anact_action, inrs, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[anact_action.pk])
    # No "your organisation must lead the action" for who may change any action of it.
    assert not client.get(url).context["form"].fields["lead_organisation"].help_text
    response = client.post(url, _edit_data(anact_action, lead_organisation=inrs.pk, partners=[]))
    assert response.status_code == 302
    anact_action.refresh_from_db()
    assert anact_action.lead_organisation == inrs


def test_aract_contributor_does_not_change_an_action_led_by_their_network_head(
    client, anact_action, aract
):
    # Before: the Aract (Anact network) contributor changed Anact's action. Now only a
    # contributor of the lead organisation itself changes what the action is.
    aract_contributor = _staff("aract.contributeur", aract, "contributor")
    client.force_login(aract_contributor)
    url = reverse("action_update", args=[anact_action.pk])
    response = client.post(url, _edit_data(anact_action, progress="30"))
    assert response.status_code == 200
    anact_action.refresh_from_db()
    assert anact_action.progress == 0


def test_contributor_creates_an_action_led_by_their_organisation(
    client, programme, anact, anact_contributor
):
    client.force_login(anact_contributor)
    url = reverse("action_create", args=[programme.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"]["lead_organisation"].value() == anact.pk
    response = client.post(url, _action_data(anact))
    action = Action.objects.get(title="Colloque commun sur la prévention")
    assert response.status_code == 302
    assert response["Location"] == action.get_absolute_url()
    assert (action.programme, action.lead_organisation, action.status) == (
        programme,
        anact,
        Action.Status.PLANNED,
    )


def test_contributor_cannot_create_an_action_of_another_organisation_only(
    client, programme, anact, inrs, anact_contributor
):
    client.force_login(anact_contributor)
    url = reverse("action_create", args=[programme.pk])
    response = client.post(url, _action_data(inrs))
    assert response.status_code == 200
    # A contributor's new action is led by their organisation: the field is read-only (before:
    # "your organisation must lead the action or be one of its partners").
    assert response.context["form"].fields["lead_organisation"].disabled
    assert response.context["form"].non_field_errors()
    assert not Action.objects.exists()
    # Before, naming their organisation a partner of an INRS-led action let them create it;
    # now INRS leads only what INRS (or a coordinator) creates.
    response = client.post(url, _action_data(inrs, partners=[anact.pk]))
    assert response.status_code == 200
    assert not Action.objects.exists()
    response = client.post(url, _action_data(anact, partners=[inrs.pk]))
    assert response.status_code == 302
    assert Action.objects.get().lead_organisation == anact


def test_contributor_starts_their_action_through_the_confirmation_page(
    client, anact_action, anact_contributor
):
    client.force_login(anact_contributor)
    url = reverse("action_transition", args=[anact_action.pk, "start"])
    assert url in client.get(anact_action.get_absolute_url()).text
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    anact_action.refresh_from_db()
    assert anact_action.status == Action.Status.IN_PROGRESS


def test_contributor_cannot_delete_an_action(client, anact_action, anact_contributor):
    client.force_login(anact_contributor)
    assert client.post(reverse("action_delete", args=[anact_action.pk])).status_code == 403
    assert Action.objects.filter(pk=anact_action.pk).exists()


# Coordinators -----------------------------------------------------------------------------


def test_coordinator_creates_an_action_with_partners_resources_and_contacts(
    client, programme, anact, inrs, aract, anact_coordinator
):
    theme = ThemeFactory(name="Prospective")
    convention = ConventionFactory(agreement=programme.agreement, title="Convention TMS")
    expert = ContactFactory(organisation=inrs)
    client.force_login(anact_coordinator)
    data = _action_data(
        inrs,
        theme=theme.pk,
        convention=convention.pk,
        partners=[anact.pk, aract.pk],
        **_management("resources", total=2),
        **{
            "resources-0-organisation": anact.pk,
            "resources-0-person_days": "15",
            "resources-0-budget": "2000",
            "resources-1-organisation": inrs.pk,
            "resources-1-person_days": "5.5",
            "resources-1-budget": "0",
        },
        **_management("contacts", total=1),
        **{
            "contacts-0-organisation": inrs.pk,
            "contacts-0-contact": expert.pk,
            "contacts-0-role": "contact",
        },
    )
    response = client.post(reverse("action_create", args=[programme.pk]), data)
    assert response.status_code == 302
    action = Action.objects.get()
    assert set(action.partners.all()) == {anact, aract}
    assert (action.theme, action.convention) == (theme, convention)
    assert sorted(action.resources.values_list("person_days", flat=True)) == [5.5, 15]
    assert action.contacts.get().contact == expert


def test_coordinator_deletes_an_action_and_goes_back_to_the_programme(
    client, anact_action, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("action_delete", args=[anact_action.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response["Location"] == anact_action.programme.get_absolute_url()
    assert not Action.objects.filter(pk=anact_action.pk).exists()


def test_action_on_a_meeting_agenda_cannot_be_deleted(client, anact_action, anact_coordinator):
    AgendaItemFactory(
        meeting=MeetingFactory(agreement=anact_action.programme.agreement), action=anact_action
    )
    client.force_login(anact_coordinator)
    response = client.post(reverse("action_delete", args=[anact_action.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Action.objects.filter(pk=anact_action.pk).exists()


def test_refused_action_transition_explains_why(client, anact_action, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("action_transition", args=[anact_action.pk, "complete"])
    page = client.get(url)
    assert page.context["allowed"] is False
    response = client.post(url, follow=True)
    anact_action.refresh_from_db()
    assert anact_action.status == Action.Status.PLANNED
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_unknown_transition_is_404(client, anact_action, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("action_transition", args=[anact_action.pk, "teleport"])
    assert client.get(url).status_code == 404


# Invalid input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "kept"),
    [
        ({"progress": "101"}, "progress", "Colloque commun sur la prévention"),
        ({"progress": "-5"}, "progress", "Colloque commun sur la prévention"),
        ({"progress": "beaucoup"}, "progress", "Colloque commun sur la prévention"),
        (
            {"planned_start": "2026-10-31", "planned_end": "2026-03-01"},
            "planned_end",
            "Colloque commun sur la prévention",
        ),
        ({"planned_start": "31/31/2026"}, "planned_start", "Colloque commun sur la prévention"),
        ({"title": ""}, "title", "Un colloque pour les préventeurs."),
        ({"title": "x" * 301}, "title", "Un colloque pour les préventeurs."),
        ({"kind": ""}, "kind", "Colloque commun sur la prévention"),
        ({"lead_organisation": ""}, "lead_organisation", "Colloque commun sur la prévention"),
        (
            {"description": "<script>alert(1)</script>"},
            "description",
            "Colloque commun sur la prévention",
        ),
        ({"title": "<b>Colloque</b>"}, "title", "Un colloque pour les préventeurs."),
    ],
)
def test_invalid_action_is_refused_next_to_the_field_and_kept(
    client, programme, anact, anact_coordinator, overrides, field, kept
):
    client.force_login(anact_coordinator)
    response = client.post(
        reverse("action_create", args=[programme.pk]), _action_data(anact, **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert kept in response.text
    assert not Action.objects.exists()


def test_progress_out_of_range_gets_a_clear_french_message(
    client, programme, anact, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("action_create", args=[programme.pk])
    response = client.post(url, _action_data(anact, progress="150"))
    assert response.context["form"].errors["progress"] == [
        "Assurez-vous que cette valeur est inférieure ou égale à 100."
    ]
    response = client.post(url, _action_data(anact, title=""))
    assert response.context["form"].errors["title"] == ["Ce champ est obligatoire."]


@pytest.mark.parametrize(
    ("rows", "error_field"),
    [
        ({"resources-0-person_days": "-3"}, "person_days"),
        ({"resources-0-budget": "12345678901234"}, "budget"),
        ({"resources-0-person_days": "beaucoup"}, "person_days"),
        ({"resources-0-organisation": ""}, "organisation"),
    ],
)
def test_invalid_resources_are_refused_and_nothing_is_saved(
    client, anact_action, anact, anact_coordinator, rows, error_field
):
    client.force_login(anact_coordinator)
    data = _edit_data(
        anact_action,
        title="Titre modifié",
        **_management("resources", total=1),
        **{
            "resources-0-organisation": anact.pk,
            "resources-0-person_days": "2",
            "resources-0-budget": "100",
            **rows,
        },
    )
    response = client.post(reverse("action_update", args=[anact_action.pk]), data)
    assert response.status_code == 200
    assert error_field in response.context["formsets"]["resources"].errors[0]
    assert "Titre modifié" in response.text
    anact_action.refresh_from_db()
    assert anact_action.title == "Guide TMS commun"
    assert not ActionResource.objects.exists()


def test_the_same_organisation_twice_in_the_resources_is_refused(
    client, anact_action, anact, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _edit_data(
        anact_action,
        **_management("resources", total=2),
        **{
            "resources-0-organisation": anact.pk,
            "resources-0-person_days": "2",
            "resources-0-budget": "0",
            "resources-1-organisation": anact.pk,
            "resources-1-person_days": "3",
            "resources-1-budget": "0",
        },
    )
    response = client.post(reverse("action_update", args=[anact_action.pk]), data)
    assert response.status_code == 200
    assert response.context["formsets"]["resources"].non_form_errors()
    assert not ActionResource.objects.exists()


def test_a_contact_is_either_a_staff_member_or_a_contact(
    client, anact_action, anact, anact_reader, anact_coordinator
):
    client.force_login(anact_coordinator)
    contact = ContactFactory(organisation=anact)
    data = _edit_data(
        anact_action,
        **_management("contacts", total=1),
        **{
            "contacts-0-organisation": anact.pk,
            "contacts-0-user": anact_reader.pk,
            "contacts-0-contact": contact.pk,
            "contacts-0-role": "contact",
        },
    )
    response = client.post(reverse("action_update", args=[anact_action.pk]), data)
    assert response.status_code == 200
    assert "user" in response.context["formsets"]["contacts"].errors[0]
    assert not ActionContact.objects.exists()


def test_a_completed_action_stays_at_100(client, anact_action, anact_coordinator):
    Action.objects.filter(pk=anact_action.pk).update(status="completed", progress=100)
    anact_action.refresh_from_db()
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[anact_action.pk])
    response = client.post(url, _edit_data(anact_action, progress="80"))
    assert response.status_code == 200
    assert "progress" in response.context["form"].errors
    anact_action.refresh_from_db()
    assert anact_action.progress == 100


def test_second_save_of_the_same_action_is_refused(
    client, anact_action, anact_coordinator, inrs_coordinator
):
    opened = _edit_data(anact_action)  # both open the form with the same version
    client.force_login(inrs_coordinator)
    url = reverse("action_update", args=[anact_action.pk])
    assert client.post(url, {**opened, "title": "Titre de l’INRS"}).status_code == 302
    client.force_login(anact_coordinator)
    response = client.post(url, {**opened, "title": "Titre de l’Anact"})
    assert response.status_code == 200
    assert response.context["conflict"]
    assert "Titre de l’Anact" in response.text
    anact_action.refresh_from_db()
    assert anact_action.title == "Titre de l’INRS"


def test_no_action_is_added_to_a_closed_programme(client, programme, anact, anact_coordinator):
    meeting = MeetingFactory(agreement=programme.agreement, status="held")
    type(programme).objects.filter(pk=programme.pk).update(
        status="closed",
        review="Bilan.",
        adopted_on=datetime.date(2026, 1, 10),
        adopted_at=meeting,
    )
    client.force_login(anact_coordinator)
    response = client.post(reverse("action_create", args=[programme.pk]), _action_data(anact))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Action.objects.exists()


# Deliverables -----------------------------------------------------------------------------


def _deliverable_data(**overrides):
    data = {
        "title": "Guide TMS pour les PME",
        "kind": "guide",
        "due_on": "2026-12-01",
        "delivered_on": "",
        "link": "https://www.anact.fr/guide-tms",
    }
    data.update(overrides)
    return data


def test_contributor_adds_a_deliverable_to_their_action(client, anact_action, anact_contributor):
    client.force_login(anact_contributor)
    url = reverse("deliverable_create", args=[anact_action.pk])
    assert url in client.get(anact_action.get_absolute_url()).text
    assert client.get(url).status_code == 200
    response = client.post(url, _deliverable_data())
    assert response.status_code == 302
    assert response["Location"] == anact_action.get_absolute_url() + "#deliverables"
    deliverable = Deliverable.objects.get()
    assert (deliverable.action, deliverable.title) == (anact_action, "Guide TMS pour les PME")


def test_contributor_edits_a_deliverable_but_only_a_coordinator_deletes_it(
    client, anact_action, anact_contributor, anact_coordinator
):
    deliverable = DeliverableFactory(action=anact_action, title="Guide")
    client.force_login(anact_contributor)
    url = reverse("deliverable_update", args=[deliverable.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, _deliverable_data(delivered_on="2026-11-02", version=deliverable.version)
    )
    assert response.status_code == 302
    deliverable.refresh_from_db()
    assert deliverable.delivered_on == datetime.date(2026, 11, 2)
    delete = reverse("deliverable_delete", args=[deliverable.pk])
    assert client.post(delete).status_code == 403

    client.force_login(anact_coordinator)
    assert delete in client.get(anact_action.get_absolute_url()).text
    response = client.post(delete)
    assert response["Location"] == anact_action.get_absolute_url() + "#deliverables"
    assert not Deliverable.objects.exists()


def test_contributor_cannot_edit_a_deliverable_of_another_organisation(
    client, inrs_action, anact_contributor
):
    deliverable = DeliverableFactory(action=inrs_action, title="Rapport INRS")
    client.force_login(anact_contributor)
    url = reverse("deliverable_update", args=[deliverable.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _deliverable_data()).status_code == 403
    deliverable.refresh_from_db()
    assert deliverable.title == "Rapport INRS"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"kind": "poème"}, "kind"),
        ({"due_on": "2026-13-45"}, "due_on"),
        ({"delivered_on": "2099-01-01"}, "delivered_on"),
        ({"link": "pas une adresse"}, "link"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "https://example.fr/" + "x" * 300}, "link"),
    ],
)
def test_invalid_deliverable_is_refused_next_to_the_field_and_kept(
    client, anact_action, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    response = client.post(
        reverse("deliverable_create", args=[anact_action.pk]), _deliverable_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if field != "title":
        assert 'value="Guide TMS pour les PME"' in response.text
    assert not Deliverable.objects.exists()


# Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_action_list_query_count_does_not_grow(
    client, programme, anact, anact_reader, django_assert_num_queries, rows
):
    for index in range(rows):
        ActionFactory(
            programme=programme,
            theme=ThemeFactory(),
            lead_organisation=anact if index % 2 else OrganisationFactory(),
        )
    client.force_login(anact_reader)
    # session, user, staff profile, count, the model permissions of the user and of their
    # groups (asked once by the generic list for "can add"), the agreements, the lead
    # organisations and the themes of the filter, the page of actions with their programme,
    # agreement, lead organisation and theme.
    # ... and the bell's unread count.
    with django_assert_num_queries(11):
        response = client.get(reverse("action_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(rows, 25)


@pytest.mark.parametrize("rows", [1, 50])
def test_action_page_query_count_does_not_grow(
    client, programme, anact_action, anact, inrs, anact_contributor, django_assert_num_queries, rows
):
    anact_action.partners.set([inrs])
    for index in range(rows):
        organisation = OrganisationFactory()
        ActionResourceFactory(action=anact_action, organisation=organisation)
        ActionContact.objects.create(
            action=anact_action, organisation=organisation, contact=ContactFactory()
        )
        DeliverableFactory(action=anact_action, due_on=datetime.date(2026, 1, 1 + index % 28))
        ActionReviewFactory(
            action=anact_action,
            meeting=MeetingFactory(agreement=programme.agreement, status="held"),
        )
    client.force_login(anact_contributor)
    # session, user, staff profile, the action with its programme, agreement, lead
    # organisation, theme, convention and continuations, then its partners, contacts,
    # resources, deliverables, their documents, reviews with meetings; the agreement's
    # parties (permissions; the contributor's "own work" uses the prefetched partners),
    # the history and the partners of its entries.
    # ... and the bell's unread count, the comments (whether the person follows the record is
    # read with the record).
    with django_assert_num_queries(15):
        response = client.get(anact_action.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["resources"]) == rows


@pytest.mark.parametrize("changes", [1, 25])
def test_action_history_shows_partner_changes_in_constant_queries(
    client, anact_action, anact_reader, django_assert_num_queries, changes
):
    organisations = [OrganisationFactory() for _ in range(3)]
    for index in range(changes):
        anact_action.partners.set(organisations[: 1 + index % 3])
    client.force_login(anact_reader)
    # session, user, staff profile, the action, partners, contacts, resources, deliverables,
    # reviews (no documents to fetch: no deliverable), the agreement's parties, the history,
    # the partners of its entries.
    # ... and the bell's unread count, the comments (whether the person follows the record is
    # read with the record).
    with django_assert_num_queries(14):
        response = client.get(anact_action.get_absolute_url())
    partners_label = Action._meta.get_field("partners").verbose_name
    labels = [
        change["label"] for entry in response.context["entries"] for change in entry["changes"]
    ]
    assert partners_label in labels


def _options(response, name):
    """The values offered by a select of the page (the empty choice left out)."""
    field = response.context["form"].fields.get(name)
    if field is None:  # a formset row's field: "contacts-0-user"
        prefix, index, field_name = name.split("-")
        form = response.context["formsets"][prefix].forms[int(index)]
        field = form.fields[field_name]
    return {str(value) for value, _ in field.widget.choices if value != ""}


def test_an_action_continues_one_of_last_years_actions_not_continued_yet(
    client, programme, anact_action, anact_coordinator
):
    last_year = ProgrammeFactory(agreement=programme.agreement, year=2025)
    free = ActionFactory(programme=last_year, title="Libre")
    taken = ActionFactory(programme=last_year, title="Déjà poursuivie")
    ActionFactory(programme=programme, title="Suite", continues=taken)
    older = ActionFactory(
        programme=ProgrammeFactory(agreement=programme.agreement, year=2024), title="Ancienne"
    )
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[anact_action.pk])
    assert _options(client.get(url), "continues") == {str(free.pk)}

    # The action chosen already stays offered, whatever its year.
    Action.objects.filter(pk=anact_action.pk).update(continues=older)
    assert _options(client.get(url), "continues") == {str(free.pk), str(older.pk)}


def test_action_contacts_are_chosen_among_the_staff_of_the_agreements_parties(
    client, programme, anact_action, anact_coordinator, inrs_reader, outsider
):
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[anact_action.pk])
    offered = _options(client.get(url), "contacts-0-user")
    assert {str(anact_coordinator.pk), str(inrs_reader.pk)} <= offered
    assert str(outsider.pk) not in offered

    # Someone chosen before their organisation left stays offered on every row.
    ActionContact.objects.create(
        action=anact_action, user=outsider, organisation=outsider.profile.organisation
    )
    response = client.get(url)
    assert str(outsider.pk) in _options(response, "contacts-0-user")
    assert str(outsider.pk) in _options(response, "contacts-1-user")


def test_the_rows_of_the_action_form_share_their_options(
    client, programme, anact_action, anact, inrs, anact_coordinator, django_assert_max_num_queries
):
    """Three resource rows and a contact row: the organisation options are read once."""
    for organisation in (anact, inrs, OrganisationFactory()):
        ActionResourceFactory(action=anact_action, organisation=organisation)
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[anact_action.pk])
    client.get(url)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    rows = response.context["formsets"]["resources"].forms
    assert len(rows) == 4
    offered = _options(response, "lead_organisation")
    assert all(_options(response, f"resources-{i}-organisation") == offered for i in range(4))
    assert str(inrs.pk) in offered


def test_a_refused_value_is_shown_by_its_field_which_names_it(
    client, anact_action, anact_contributor
):
    """An edit refused for one field comes back with the message under that field, which its
    input names (aria-describedby, after its help text) and marks invalid (RGAA 11.10)."""
    client.force_login(anact_contributor)
    url = reverse("action_update", args=[anact_action.pk])

    response = client.post(url, _edit_data(anact_action, progress="150"))

    assert response.status_code == 200
    html = response.content.decode()
    block = html.split('<div id="div_id_progress" class="mb-3">', 1)[1].split('<div id="div_', 1)[0]
    assert re.search(
        r'<label for="id_progress" class="form-label requiredField">\s*Avancement', block
    )
    field = re.search(r'<input[^>]*id="id_progress"[^>]*>', block).group(0)
    assert 'class="numberinput form-control is-invalid"' in field
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_progress_helptext id_progress_error"' in field
    error = re.search(
        r'<div id="id_progress_error" class="invalid-feedback">\s*'
        r'<p id="error_1_id_progress"><strong>([^<]*)</strong></p>',
        block,
    )
    assert "100" in error.group(1)
    assert '<div id="id_progress_helptext" class="form-text">' in block
    assert block.index("id_progress_error") < block.index('id="id_progress_helptext"')
