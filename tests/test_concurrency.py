"""Two people editing the same record at once: the second save is refused, nothing is lost.

Each story: two people open the same edit page, both change it, both save. The first save
goes through; the second is refused with the first person's changes shown and the second
person's input kept; saving the merged form again records both changes.
"""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from conventions.models import Commitment, Convention
from partnership.models import Meeting
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    AgendaItemFactory,
    CommitmentFactory,
    ConventionFactory,
    ConventionPartyFactory,
    MeetingFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ThemeFactory,
)
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def convention(agreement, anact, inrs):
    convention = ConventionFactory(
        agreement=agreement,
        theme=ThemeFactory(name="TMS"),
        title="Prévention des TMS",
        purpose="Outiller les entreprises.",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        follow_up_arrangements="Point trimestriel.",
    )
    for organisation in (anact, inrs):
        ConventionPartyFactory(convention=convention, organisation=organisation)
    CommitmentFactory(
        convention=convention,
        organisation=anact,
        description="Animation des ateliers",
        person_days=Decimal("10"),
        budget=Decimal("5000"),
    )
    return convention


def _row(data, prefix, value, field="organisation"):
    """The index of the existing formset row whose ``field`` has this value (or record)."""
    value = str(getattr(value, "pk", value))
    for key, sent in data.items():
        parts = key.split("-")
        if (
            len(parts) == 3
            and (parts[0], parts[2]) == (prefix, field)
            and str(sent) == value
            and data.get(f"{prefix}-{parts[1]}-id")
        ):
            return parts[1]
    raise AssertionError(f"no {prefix} row with {field} {value}")


# The convention and its commitments -------------------------------------------------------


def test_second_save_of_a_convention_is_refused_then_merged(
    convention, anact, anact_coordinator, inrs_coordinator
):
    url = reverse("conventions:convention_update", args=[convention.pk])
    first, second = _client(anact_coordinator), _client(inrs_coordinator)
    first_data = form_data(first.get(url))
    second_data = form_data(second.get(url))
    assert first_data["version"] == str(convention.version)
    row = _row(first_data, "commitments", anact)
    assert first_data[f"commitments-{row}-version"]

    first_data.update(
        {"title": "Prévention des TMS en PME", f"commitments-{row}-description": "Ateliers"}
    )
    assert first.post(url, first_data).status_code == 302

    second_data.update(
        {
            "purpose": "Outiller les PME et les TPE.",
            f"commitments-{row}-budget": "7000",
            "follow_up_arrangements": "Point mensuel.",
        }
    )
    refused = second.post(url, second_data)
    assert refused.status_code == 200
    conflict = refused.context["conflict"]
    assert conflict is not None
    convention.refresh_from_db()
    assert convention.purpose == "Outiller les entreprises."  # nothing of the second saved
    assert convention.title == "Prévention des TMS en PME"
    # The first person's change is shown, with their name.
    assert "Prévention des TMS en PME" in refused.text
    assert any(
        change["label"] == "Titre" or change["name"] == "title"
        for entry in conflict.entries
        for change in entry["changes"]
    )
    assert [note.kind for note in conflict.notes] == ["changed"]
    # The second person's input is kept.
    assert "Outiller les PME et les TPE." in refused.text
    assert "Point mensuel." in refused.text

    merged = form_data(refused)
    assert merged["title"] == "Prévention des TMS en PME"  # theirs, not touched here
    assert merged["purpose"] == "Outiller les PME et les TPE."  # mine
    assert merged[f"commitments-{row}-description"] == "Ateliers"  # theirs
    assert Decimal(merged[f"commitments-{row}-budget"]) == Decimal("7000")  # mine
    assert merged["version"] == str(convention.version)
    assert second.post(url, merged).status_code == 302

    convention.refresh_from_db()
    assert convention.title == "Prévention des TMS en PME"
    assert convention.purpose == "Outiller les PME et les TPE."
    commitment = Commitment.objects.get(convention=convention, organisation=anact)
    assert commitment.description == "Ateliers"
    assert commitment.budget == Decimal("7000")


def test_a_field_both_changed_is_listed_with_both_values(
    convention, anact_coordinator, inrs_coordinator
):
    url = reverse("conventions:convention_update", args=[convention.pk])
    first, second = _client(anact_coordinator), _client(inrs_coordinator)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))
    first_data["follow_up_arrangements"] = "Point mensuel en visio."
    assert first.post(url, first_data).status_code == 302
    second_data["follow_up_arrangements"] = "Comité de suivi semestriel."
    refused = second.post(url, second_data)
    [conflict] = refused.context["conflict"].conflicts
    assert (conflict.theirs, conflict.mine) == (
        "Point mensuel en visio.",
        "Comité de suivi semestriel.",
    )
    assert conflict.author
    # The form keeps the second person's value; the first's is shown beside it.
    assert form_data(refused)["follow_up_arrangements"] == "Comité de suivi semestriel."
    assert "Point mensuel en visio." in refused.text


# An action, its partners and its resources ------------------------------------------------


@pytest.fixture
def action(agreement, anact, inrs):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    action = ActionFactory(
        programme=programme,
        title="Guide TMS commun",
        lead_organisation=anact,
        description="Un guide pour les PME.",
        progress=10,
    )
    action.partners.add(inrs)
    ActionResourceFactory(action=action, organisation=anact, person_days=Decimal("20"))
    return action


def test_second_save_of_an_action_is_refused_then_merged(
    action, anact, inrs, anact_coordinator, anact_contributor
):
    # The second person changes what the action is: a contributor of its lead organisation
    # (INRS's contributor, a partner, may not since issue 13).
    url = reverse("action_update", args=[action.pk])
    first, second = _client(anact_coordinator), _client(anact_contributor)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))

    first_data.update(
        {
            "progress": "40",
            "resources-TOTAL_FORMS": str(int(first_data["resources-TOTAL_FORMS"])),
        }
    )
    blank = next(
        key.split("-")[1]
        for key, value in first_data.items()
        if key.startswith("resources-") and key.endswith("-id") and not value
    )
    first_data.update(
        {
            f"resources-{blank}-organisation": str(inrs.pk),
            f"resources-{blank}-person_days": "8",
            f"resources-{blank}-budget": "1500",
        }
    )
    assert first.post(url, first_data).status_code == 302

    second_data.update({"description": "Un guide pour les PME et les TPE.", "partners": []})
    second_data["partners"] = [str(inrs.pk), str(anact.pk)]
    refused = second.post(url, second_data)
    assert refused.status_code == 200
    conflict = refused.context["conflict"]
    assert [note.kind for note in conflict.notes] == ["added"]
    action.refresh_from_db()
    assert action.description == "Un guide pour les PME."

    merged = form_data(refused)
    assert merged["progress"] == "40"  # theirs
    assert merged["description"] == "Un guide pour les PME et les TPE."  # mine
    assert sorted(merged["partners"]) == sorted([str(inrs.pk), str(anact.pk)])  # mine
    _row(merged, "resources", inrs)  # their new row is on the page
    assert second.post(url, merged).status_code == 302

    action.refresh_from_db()
    assert (action.progress, action.description) == (40, "Un guide pour les PME et les TPE.")
    assert set(action.partners.all()) == {anact, inrs}
    assert set(action.resources.values_list("organisation", flat=True)) == {anact.pk, inrs.pk}


def test_an_edit_opened_before_a_transition_is_refused(action, anact_coordinator):
    from partnership.programmes.services import action_transition

    url = reverse("action_update", args=[action.pk])
    client = _client(anact_coordinator)
    data = form_data(client.get(url))
    action_transition(action=action, user=anact_coordinator, name="start")
    data["title"] = "Guide TMS commun (v2)"
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["conflict"].entries  # the transition, by its author
    action.refresh_from_db()
    assert (action.title, action.status) == ("Guide TMS commun", "in_progress")
    assert client.post(url, form_data(refused)).status_code == 302
    action.refresh_from_db()
    assert (action.title, action.status) == ("Guide TMS commun (v2)", "in_progress")


def test_a_form_sent_without_its_version_is_refused_and_shown_again(action, anact_coordinator):
    url = reverse("action_update", args=[action.pk])
    client = _client(anact_coordinator)
    data = form_data(client.get(url))
    del data["version"]
    data["title"] = "Sans version"
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["conflict"] is not None
    action.refresh_from_db()
    assert action.title == "Guide TMS commun"
    assert form_data(refused)["title"] == "Sans version"


# A meeting's minutes and its participants -------------------------------------------------


@pytest.fixture
def meeting(agreement, anact_contributor, inrs_contributor):
    meeting = MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage",
        minutes="Ouverture de la séance.",
        status=Meeting.Status.HELD,
    )
    ParticipantFactory(meeting=meeting, user=anact_contributor)
    ParticipantFactory(meeting=meeting, user=inrs_contributor)
    AgendaItemFactory(meeting=meeting, position=1, title="Bilan des chantiers")
    return meeting


def test_second_save_of_the_minutes_is_refused_then_merged(
    meeting, anact_contributor, anact_coordinator, inrs_coordinator
):
    url = reverse("meeting_update", args=[meeting.pk])
    first, second = _client(anact_coordinator), _client(inrs_coordinator)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))
    row = _row(first_data, "participants", anact_contributor, field="user")
    first_data["minutes"] = "Ouverture de la séance.\nLe guide TMS paraîtra en juin."
    first_data[f"participants-{row}-attendance"] = "present"
    assert first.post(url, first_data).status_code == 302

    second_data["minutes"] = "Ouverture de la séance.\nLa convention RPS est signée."
    second_data["place"] = "Paris"
    refused = second.post(url, second_data)
    assert refused.status_code == 200
    [conflict] = refused.context["conflict"].conflicts
    assert "Le guide TMS paraîtra en juin." in conflict.theirs
    assert "La convention RPS est signée." in conflict.mine
    meeting.refresh_from_db()
    assert "RPS" not in meeting.minutes

    merged = form_data(refused)
    assert "La convention RPS est signée." in merged["minutes"]  # mine, in the form
    assert "Le guide TMS paraîtra en juin." in refused.text  # theirs, beside it
    assert merged["place"] == "Paris"
    assert merged[f"participants-{row}-attendance"] == "present"  # theirs
    merged["minutes"] = (
        "Ouverture de la séance.\nLe guide TMS paraîtra en juin.\nLa convention RPS est signée."
    )
    assert second.post(url, merged).status_code == 302

    meeting.refresh_from_db()
    assert "Le guide TMS paraîtra en juin." in meeting.minutes
    assert "La convention RPS est signée." in meeting.minutes
    assert meeting.place == "Paris"
    assert meeting.participants.get(user=anact_contributor).attendance == "present"


def test_a_row_deleted_meanwhile_keeps_what_was_typed_in_it(
    meeting, anact_contributor, anact_coordinator, inrs_coordinator
):
    url = reverse("meeting_update", args=[meeting.pk])
    first, second = _client(anact_coordinator), _client(inrs_coordinator)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))
    row = _row(first_data, "agenda", "Bilan des chantiers", field="title")
    first_data[f"agenda-{row}-DELETE"] = "on"
    assert first.post(url, first_data).status_code == 302
    assert not meeting.agenda_items.exists()

    second_data[f"agenda-{row}-title"] = "Bilan des chantiers 2026"
    refused = second.post(url, second_data)
    assert refused.status_code == 200
    assert [note.kind for note in refused.context["conflict"].notes] == ["deleted_kept"]
    merged = form_data(refused)
    assert "Bilan des chantiers 2026" in merged.values()
    assert second.post(url, merged).status_code == 302
    assert list(meeting.agenda_items.values_list("title", flat=True)) == [
        "Bilan des chantiers 2026"
    ]


def test_a_follow_up_changed_on_its_own_page_is_not_overwritten(
    meeting, anact_contributor, anact_coordinator
):
    from tests.factories import FollowUpTaskFactory

    task = FollowUpTaskFactory(meeting=meeting, title="Envoyer le guide", owner=anact_contributor)
    outcomes = reverse("meeting_outcomes", args=[meeting.pk])
    coordinator, contributor = _client(anact_coordinator), _client(anact_contributor)
    outcomes_data = form_data(coordinator.get(outcomes))
    task_url = reverse("followuptask_update", args=[task.pk])
    task_data = form_data(contributor.get(task_url))
    task_data["done"] = "on"
    assert contributor.post(task_url, task_data).status_code == 302

    row = _row(outcomes_data, "follow_ups", "Envoyer le guide", field="title")
    outcomes_data[f"follow_ups-{row}-title"] = "Envoyer le guide imprimé"
    refused = coordinator.post(outcomes, outcomes_data)
    assert refused.status_code == 200
    assert [note.kind for note in refused.context["conflict"].notes] == ["changed"]
    merged = form_data(refused)
    assert merged[f"follow_ups-{row}-done"] == "on"  # theirs
    assert merged[f"follow_ups-{row}-title"] == "Envoyer le guide imprimé"  # mine
    assert coordinator.post(outcomes, merged).status_code == 302
    task.refresh_from_db()
    assert (task.title, task.done) == ("Envoyer le guide imprimé", True)


# The admin ----------------------------------------------------------------------------------


def test_two_administrators_on_the_same_change_form(convention, anact, administrator):
    from tests.factories import UserFactory

    other = UserFactory(username="admin2", is_staff=True, is_superuser=True)
    url = reverse("admin:conventions_convention_change", args=[convention.pk])
    first, second = _client(administrator), _client(other)
    first_data = form_data(first.get(url), submit="_save")
    second_data = form_data(second.get(url), submit="_save")
    assert first_data["version"] == str(convention.version)
    row = _row(first_data, "commitments", anact)
    assert first_data[f"commitments-{row}-version"]

    first_data["title"] = "Titre revu en back office"
    first_data[f"commitments-{row}-description"] = "Ateliers régionaux"
    assert first.post(url, first_data).status_code == 302

    second_data["purpose"] = "Objet revu en back office."
    second_data["follow_up_arrangements"] = "Point mensuel."
    refused = second.post(url, second_data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.non_field_errors()
    convention.refresh_from_db()
    assert convention.purpose == "Outiller les entreprises."

    merged = form_data(refused, submit="_save")
    assert merged["title"] == "Titre revu en back office"  # theirs
    assert merged["purpose"] == "Objet revu en back office."  # mine
    assert merged["version"] == str(convention.version)
    assert second.post(url, merged).status_code == 302
    convention.refresh_from_db()
    assert convention.title == "Titre revu en back office"
    assert convention.purpose == "Objet revu en back office."
    assert convention.follow_up_arrangements == "Point mensuel."
    assert Commitment.objects.get(convention=convention).description == "Ateliers régionaux"


def test_an_admin_row_changed_on_a_staff_page_is_not_overwritten(
    convention, anact, administrator, anact_coordinator
):
    admin_url = reverse("admin:conventions_convention_change", args=[convention.pk])
    admin_client, staff = _client(administrator), _client(anact_coordinator)
    admin_data = form_data(admin_client.get(admin_url), submit="_save")
    commitment = Commitment.objects.get(convention=convention)
    commitment.description = "Changé ailleurs"
    commitment.save()  # raises its version, not the convention's

    row = _row(admin_data, "commitments", anact)
    admin_data[f"commitments-{row}-budget"] = "9000"
    refused = admin_client.post(admin_url, admin_data)
    assert refused.status_code == 200
    commitment.refresh_from_db()
    assert commitment.budget == Decimal("5000")
    merged = form_data(refused, submit="_save")
    assert merged[f"commitments-{row}-description"] == "Changé ailleurs"
    assert admin_client.post(admin_url, merged).status_code == 302
    commitment.refresh_from_db()
    assert (commitment.description, commitment.budget) == ("Changé ailleurs", Decimal("9000"))
    assert staff  # the staff page of the same convention shows the new version
    assert form_data(staff.get(reverse("conventions:convention_update", args=[convention.pk])))[
        "version"
    ] == str(Convention.objects.get(pk=convention.pk).version)


# Other cases --------------------------------------------------------------------------------


def test_two_replacements_of_a_document_at_once(agreement, anact_coordinator, inrs_coordinator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import PDF_BYTES, DocumentFactory

    document = DocumentFactory(agreement=agreement)
    url = reverse("document_replace", args=[document.pk])
    first, second = _client(anact_coordinator), _client(inrs_coordinator)
    first_data, second_data = form_data(first.get(url)), form_data(second.get(url))
    first_data["file"] = SimpleUploadedFile("version-a.pdf", PDF_BYTES, "application/pdf")
    assert first.post(url, first_data).status_code == 302
    second_data["file"] = SimpleUploadedFile("version-b.pdf", PDF_BYTES, "application/pdf")
    refused = second.post(url, second_data)
    assert refused.status_code == 200
    assert refused.context["conflict"]
    document.refresh_from_db()
    assert document.original_name == "version-a.pdf"


def test_saving_a_record_deleted_meanwhile_answers_404_and_brings_nothing_back(
    anact, anact_coordinator
):
    from partnership.models import Contact
    from tests.factories import ContactFactory

    contact = ContactFactory(organisation=anact, last_name="Martin")
    url = reverse("contact_update", args=[contact.pk])
    client = _client(anact_coordinator)
    data = form_data(client.get(url))
    contact.delete()
    data["last_name"] = "Martin-Durand"
    assert client.post(url, data).status_code == 404
    assert not Contact.objects.exists()


@pytest.mark.parametrize("changes", [1, 20])
def test_history_names_related_records_in_constant_queries(
    action, anact, inrs, anact_reader, django_assert_num_queries, changes
):
    themes = [ThemeFactory() for _ in range(3)]
    for index in range(changes):
        action.lead_organisation = (anact, inrs)[index % 2]
        action.theme = themes[index % 3]
        action.save()
    client = _client(anact_reader)
    # session, user, staff profile, the action, partners, contacts, resources, deliverables,
    # reviews, the agreement's parties, the history with its authors and related records
    # joined, the partners of its entries.
    # ... and the comments' history (a kind of row of the record), the bell's unread count.
    with django_assert_num_queries(14):
        response = client.get(action.get_absolute_url())
    names = {
        change["new"]
        for entry in response.context["entries"]
        for change in entry["changes"]
        if change["name"] == "theme"
    }
    assert names <= {theme.name for theme in themes} and names
