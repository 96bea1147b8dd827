"""History pages and restores: a coordinator brings back an earlier version of an action, a
convention or a meeting's minutes; an administrator brings back a deleted record."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from conventions.models import Commitment, Convention
from partnership.core import history, reasons
from partnership.core.lifecycle import TransitionError
from partnership.core.restore import record_restore_deleted
from partnership.meetings.services import meeting_approve_minutes, meeting_minutes_restore
from partnership.models import Action, ActionResource, Contact, Deliverable, Meeting
from partnership.programmes.services import action_restore, action_transition
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    CommitmentFactory,
    ContactFactory,
    ConventionFactory,
    ConventionPartyFactory,
    DeliverableFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ThemeFactory,
)
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _edit(client, url, **changes):
    data = form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context
    return response


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=2026)


@pytest.fixture
def action(programme, anact, inrs):
    action = ActionFactory(
        programme=programme, title="Guide TMS", lead_organisation=anact, description="Premier jet."
    )
    action.partners.add(inrs)
    return action


def _entry_records(response):
    return [entry["record"] for entry in response.context["entries"]]


# The history of a record ------------------------------------------------------------------------


def test_history_shows_foreign_keys_by_name(client, action, anact, inrs, anact_coordinator):
    theme = ThemeFactory(name="Risques psychosociaux")
    coordinator = _client(anact_coordinator)
    _edit(
        coordinator,
        reverse("action_update", args=[action.pk]),
        theme=str(theme.pk),
        lead_organisation=str(inrs.pk),
    )
    page = coordinator.get(action.get_absolute_url())
    changes = {
        change["name"]: change for entry in page.context["entries"] for change in entry["changes"]
    }
    assert changes["lead_organisation"]["old"] == str(anact)
    assert changes["lead_organisation"]["new"] == str(inrs)
    assert changes["theme"]["new"] == "Risques psychosociaux"
    assert "version" not in changes and "updated_at" not in changes


def test_full_history_shows_the_changes_of_the_rows(
    client, agreement, anact, inrs, anact_coordinator, anact_reader
):
    convention = ConventionFactory(agreement=agreement, title="RPS")
    for organisation in (anact, inrs):
        ConventionPartyFactory(convention=convention, organisation=organisation)
    commitment = CommitmentFactory(convention=convention, organisation=anact, budget=Decimal(10))
    coordinator = _client(anact_coordinator)
    url = reverse("conventions:convention_update", args=[convention.pk])
    data = form_data(coordinator.get(url))
    row = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("commitments-") and key.endswith("-id") and value == str(commitment.pk)
    )
    data[f"commitments-{row}-budget"] = "2500"
    assert coordinator.post(url, data).status_code == 302

    reader = _client(anact_reader)
    page = reader.get(convention.get_absolute_url())
    full = reverse("convention_history", args=[convention.pk])
    assert full in page.text
    response = reader.get(full)
    assert response.status_code == 200
    rows = [entry for entry in response.context["entries"] if entry["row"]]
    budget = [c for entry in rows for c in entry["changes"] if c["name"] == "budget"]
    assert budget and budget[0]["new"].startswith("2")
    assert not any(entry.get("restore_url") for entry in response.context["entries"])


def test_outsider_gets_404_on_a_full_history(client, action, outsider):
    assert _client(outsider).get(reverse("action_history", args=[action.pk])).status_code == 404


@pytest.mark.parametrize("rows", [1, 30])
def test_full_history_query_count_does_not_grow(
    action, anact, anact_reader, django_assert_num_queries, rows
):
    for index in range(rows):
        resource = ActionResourceFactory(action=action, organisation=OrganisationFactory())
        resource.person_days = Decimal(index + 2)
        resource.save()
        DeliverableFactory(action=action)
        action.title = f"Guide TMS {index}"
        action.save()
    client = _client(anact_reader)
    # session, user, staff profile, the action with its programme and agreement, the
    # agreement's parties (access), its history with authors and related records, its
    # partners' history rows, then one per model of rows: contacts, resources, deliverables,
    # reviews.
    # ... and the comments' history (a kind of row of the record), the bell's unread count.
    with django_assert_num_queries(13):
        response = client.get(reverse("action_history", args=[action.pk]))
    assert response.status_code == 200
    assert len(response.context["entries"]) > 3 * rows


# Restoring an earlier version --------------------------------------------------------------------


def test_coordinator_restores_an_earlier_version_of_an_action(
    action, anact, inrs, anact_coordinator
):
    coordinator = _client(anact_coordinator)
    url = reverse("action_update", args=[action.pk])
    _edit(coordinator, url, description="Deuxième jet.", partners=[str(inrs.pk), str(anact.pk)])
    _edit(coordinator, url, description="Troisième jet, raté.", partners=[str(anact.pk)])
    action.refresh_from_db()
    first = action.history.filter(description="Premier jet.").latest("history_date")

    page = coordinator.get(action.get_absolute_url())
    restore = reverse("action_restore", args=[first.history_id])
    assert restore in page.text
    confirm = coordinator.get(restore)
    assert confirm.status_code == 200
    changed = {change["name"] for change in confirm.context["changes"]}
    assert {"description", "partners"} <= changed
    response = coordinator.post(restore, form_data(confirm))
    assert response.status_code == 302

    action.refresh_from_db()
    assert action.description == "Premier jet."
    assert set(action.partners.all()) == {inrs}
    latest = action.history.latest("history_date")
    assert latest.history_user == anact_coordinator
    restored_from = formats.date_format(
        timezone.localtime(first.history_date), "SHORT_DATETIME_FORMAT"
    )
    assert (
        reasons.word(latest.history_change_reason, latest)
        == f"Restauration de la version du {restored_from}"
    )
    assert action.history.filter(history_date__gte=latest.history_date).count() == 1


def test_restore_is_refused_when_the_action_changed_since_the_page(
    action, anact_coordinator, inrs_coordinator
):
    first = action.history.earliest("history_date")
    _edit(
        _client(anact_coordinator),
        reverse("action_update", args=[action.pk]),
        description="Deuxième jet.",
    )
    restore = reverse("action_restore", args=[first.history_id])
    coordinator = _client(anact_coordinator)
    confirm = form_data(coordinator.get(restore))
    _edit(
        _client(inrs_coordinator),
        reverse("action_update", args=[action.pk]),
        description="Jet de l’INRS.",
    )
    response = coordinator.post(restore, confirm, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    action.refresh_from_db()
    assert action.description == "Jet de l’INRS."


def test_a_contributor_or_a_reader_cannot_restore(
    action, anact_contributor, anact_reader, anact_coordinator
):
    _edit(
        _client(anact_coordinator),
        reverse("action_update", args=[action.pk]),
        description="Deuxième jet.",
    )
    first = action.history.earliest("history_date")
    restore = reverse("action_restore", args=[first.history_id])
    for user in (anact_contributor, anact_reader):
        client = _client(user)
        assert restore not in client.get(action.get_absolute_url()).text
        assert client.get(restore).status_code == 403
        assert client.post(restore, {"version": action.version}).status_code == 403
    action.refresh_from_db()
    assert action.description == "Deuxième jet."


def test_a_completed_action_keeps_its_100_percent_when_restored(action, anact_coordinator):
    first = action.history.earliest("history_date")
    action_transition(action=action, user=anact_coordinator, name="start")
    action_transition(action=action, user=anact_coordinator, name="complete")
    action.refresh_from_db()
    action_restore(
        action=action, user=anact_coordinator, history_id=first.history_id, version=action.version
    )
    action.refresh_from_db()
    assert (action.status, action.progress) == (Action.Status.COMPLETED, 100)


def test_coordinator_restores_an_earlier_version_of_a_convention(
    agreement, anact, inrs, anact_coordinator
):
    convention = ConventionFactory(
        agreement=agreement,
        title="RPS dans les TPE",
        purpose="Outiller.",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    for organisation in (anact, inrs):
        ConventionPartyFactory(convention=convention, organisation=organisation)
    coordinator = _client(anact_coordinator)
    url = reverse("conventions:convention_update", args=[convention.pk])
    _edit(coordinator, url, title="RPS partout", confidentiality="Tout est secret.")
    first = convention.history.earliest("history_date")
    restore = reverse("convention_restore", args=[first.history_id])
    assert restore in coordinator.get(convention.get_absolute_url()).text
    confirm = coordinator.get(restore)
    assert {c["name"] for c in confirm.context["changes"]} == {"title", "confidentiality"}
    assert coordinator.post(restore, form_data(confirm)).status_code == 302
    convention.refresh_from_db()
    assert (convention.title, convention.confidentiality) == ("RPS dans les TPE", "")
    assert convention.parties.count() == 2


@pytest.fixture
def meeting(agreement):
    return MeetingFactory(
        agreement=agreement, minutes="Relevé de décisions, version 1.", status=Meeting.Status.HELD
    )


def test_coordinator_restores_earlier_minutes(meeting, anact_coordinator):
    coordinator = _client(anact_coordinator)
    _edit(coordinator, reverse("meeting_update", args=[meeting.pk]), minutes="Version 2.")
    first = meeting.history.earliest("history_date")
    restore = reverse("meeting_minutes_restore", args=[first.history_id])
    confirm = coordinator.get(restore)
    assert [c["name"] for c in confirm.context["changes"]] == ["minutes"]
    assert coordinator.post(restore, form_data(confirm)).status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "Relevé de décisions, version 1."
    assert meeting.history.latest("history_date").history_user == anact_coordinator


def test_approved_minutes_are_not_restored(meeting, anact_coordinator):
    first = meeting.history.earliest("history_date")
    _edit(
        _client(anact_coordinator),
        reverse("meeting_update", args=[meeting.pk]),
        minutes="Version 2.",
    )
    meeting.refresh_from_db()
    meeting_approve_minutes(meeting=meeting, user=anact_coordinator)
    meeting.refresh_from_db()
    with pytest.raises(TransitionError):
        meeting_minutes_restore(
            meeting=meeting,
            user=anact_coordinator,
            history_id=first.history_id,
            version=meeting.version,
        )
    meeting.refresh_from_db()
    assert meeting.minutes == "Version 2."


# Deleting -----------------------------------------------------------------------------------


def test_deleting_an_agreement_with_programmes_and_conventions_names_them(
    agreement, programme, anact_coordinator
):
    ConventionFactory(agreement=agreement, annex_number=1, title="Convention TMS")
    client = _client(anact_coordinator)
    url = reverse("agreement_delete", args=[agreement.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["blockers"]
    assert "Convention TMS" in page.text
    response = client.post(url, follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    assert "Convention TMS" in message.message and str(programme) in message.message
    assert type(agreement).objects.filter(pk=agreement.pk).exists()


def test_deleting_a_programme_with_actions_names_them(programme, action, anact_coordinator):
    client = _client(anact_coordinator)
    response = client.post(reverse("programme_delete", args=[programme.pk]), follow=True)
    [message] = list(response.context["messages"])
    assert message.level_tag == "error" and "Guide TMS" in message.message
    assert type(programme).objects.filter(pk=programme.pk).exists()


def test_delete_page_says_what_goes_with_the_record(action, anact, anact_coordinator):
    ActionResourceFactory(action=action, organisation=anact)
    page = _client(anact_coordinator).get(reverse("action_delete", args=[action.pk]))
    assert page.status_code == 200
    assert not page.context["blockers"]
    kinds = dict(page.context["deleted_with"])
    assert kinds[ActionResource._meta.verbose_name_plural.capitalize()] == 1


# Deleted records ----------------------------------------------------------------------------


def test_administrator_restores_a_deleted_action_with_its_rows(
    action, anact, inrs, anact_coordinator, administrator
):
    ActionResourceFactory(action=action, organisation=anact, person_days=Decimal(12))
    deliverable = DeliverableFactory(action=action, title="Guide imprimé")
    coordinator = _client(anact_coordinator)
    assert coordinator.post(reverse("action_delete", args=[action.pk])).status_code == 302
    assert not Action.objects.filter(pk=action.pk).exists()

    admin = _client(administrator)
    listing = admin.get(reverse("deleted_records"))
    assert listing.status_code == 200
    [row] = [row for row in listing.context["rows"] if row["label"] == "partnership.action"]
    assert row["name"] == "Guide TMS" and row["user"] == anact_coordinator
    assert "Guide imprimé" in listing.text  # the deliverable, deleted with it
    confirm = admin.get(row["restore_url"])
    assert confirm.status_code == 200
    response = admin.post(row["restore_url"])
    assert response.status_code == 302

    restored = Action.objects.get(pk=action.pk)
    assert restored.title == "Guide TMS"
    assert set(restored.partners.all()) == {inrs}
    assert restored.resources.get().person_days == Decimal(12)
    assert restored.deliverables.get().pk == deliverable.pk
    assert restored.history.latest("history_date").history_user == administrator
    assert not admin.get(reverse("deleted_records")).context["rows"]


def test_a_deleted_row_whose_record_is_gone_is_not_restored(action, administrator):
    deliverable = DeliverableFactory(action=action, title="Guide imprimé")
    pk = deliverable.pk
    deliverable.delete()
    Action.objects.filter(pk=action.pk).delete()
    record = Deliverable.history.get(id=pk, history_type="-")
    with pytest.raises(TransitionError):
        record_restore_deleted(record=record, user=administrator)


def test_only_an_administrator_sees_the_deleted_records(
    client, anact_coordinator, anact_reader, outsider
):
    contact = ContactFactory()
    contact.delete()
    record = Contact.history.get(history_type="-")
    restore = reverse("deleted_record_restore") + f"?modele=partnership.contact&version={record.pk}"
    for user in (anact_coordinator, anact_reader, outsider):
        other = _client(user)
        assert other.get(reverse("deleted_records")).status_code == 403
        assert other.get(restore).status_code == 403
        assert other.post(restore).status_code == 403
    assert not Contact.objects.exists()


def test_a_record_restored_twice_is_refused_the_second_time(administrator):
    contact = ContactFactory(first_name="Jeanne", last_name="Martin")
    contact.delete()
    record = Contact.history.get(history_type="-")
    record_restore_deleted(record=record, user=administrator)
    with pytest.raises(TransitionError):
        record_restore_deleted(record=record, user=administrator)
    assert Contact.objects.get().last_name == "Martin"


def test_a_unique_value_taken_since_refuses_the_restore(agreement, administrator):
    convention = ConventionFactory(agreement=agreement, annex_number=3)
    pk = convention.pk
    convention.delete()
    ConventionFactory(agreement=agreement, annex_number=3)
    record = Convention.history.get(id=pk, history_type="-")
    with pytest.raises(TransitionError):
        record_restore_deleted(record=record, user=administrator)


@pytest.mark.parametrize("rows", [1, 20])
def test_deleted_records_query_count_does_not_grow(
    administrator, agreement, django_assert_num_queries, rows
):
    for _ in range(rows):
        history.delete_with_history(ContactFactory(), administrator)
        history.delete_with_history(ConventionFactory(agreement=agreement), administrator)
        CommitmentFactory(convention=ConventionFactory(agreement=agreement)).delete()
    client = _client(administrator)
    # session, user, the deletions of every kind in one query, their authors.
    # ... and the bell's unread count.
    with django_assert_num_queries(5):
        response = client.get(reverse("deleted_records"))
    assert len(response.context["rows"]) == 2 * rows
    assert Commitment.objects.count() == 0


@pytest.mark.parametrize("version", ["", "abc", "-1", "99999", "1<script>"])
def test_a_restore_with_a_garbled_version_is_refused(action, anact_coordinator, version):
    coordinator = _client(anact_coordinator)
    _edit(coordinator, reverse("action_update", args=[action.pk]), description="Deuxième jet.")
    first = action.history.earliest("history_date")
    restore = reverse("action_restore", args=[first.history_id])
    response = coordinator.post(restore, {"version": version}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    action.refresh_from_db()
    assert action.description == "Deuxième jet."


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?modele=partnership.contact",
        "?modele=auth.user&version=1",
        "?modele=partnership.contact&version=abc",
        "?modele=partnership.contact&version=999999",
    ],
)
def test_a_garbled_deleted_record_address_answers_404(administrator, query):
    client = _client(administrator)
    assert client.get(reverse("deleted_record_restore") + query).status_code == 404
    assert client.post(reverse("deleted_record_restore") + query).status_code == 404


def test_a_version_of_another_kind_of_record_is_not_found(action, meeting, anact_coordinator):
    meeting_version = meeting.history.get()
    client = _client(anact_coordinator)
    response = client.get(reverse("action_restore", args=[meeting_version.history_id + 1000]))
    assert response.status_code == 404
