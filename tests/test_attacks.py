"""Trust between organisations, tried as an attacker would (issue 13).

One story per attack: a coordinator widening their organisation's reach through the
directory, renaming another organisation, imposing their agreement and its meetings on
another organisation's staff, and a partner's contributor taking an action over. Each went
through before; each is refused now, on the staff pages and, where it applies, in the admin.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.models import Action, Agreement, AgreementParty, Organisation
from partnership.overview import reminders
from tests import clock
from tests.conftest import _staff
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    DeliverableFactory,
    MeetingFactory,
    ParticipantFactory,
    ProgrammeFactory,
)
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

REFUSED = "Vous n’avez pas le droit de modifier ces champs"


# 1. Reach widened through the directory --------------------------------------------------


def test_a_coordinator_cannot_make_anact_the_network_head_of_their_organisation(
    client, agreement, anact, outsider, outsider_organisation
):
    # Cnav is party to nothing. Its coordinator set its network head to Anact, and they and
    # every colleague read and edited every agreement of Anact's network.
    kind = outsider_organisation.kind
    client.force_login(outsider)
    url = reverse("organisation_update", args=[outsider_organisation.pk])
    page = client.get(url)
    assert page.context["form"].fields["parent"].disabled
    assert page.context["form"].fields["kind"].disabled
    data = form_data(page)
    data.update(parent=anact.pk, kind=Organisation.Kind.REGIONAL_ASSOCIATION)
    response = client.post(url, data)
    assert response.status_code == 200
    assert REFUSED in response.text
    assert "« Tête de réseau »" in response.text
    outsider_organisation.refresh_from_db()
    assert outsider_organisation.parent is None
    assert outsider_organisation.kind == kind
    assert client.get(agreement.get_absolute_url()).status_code == 404
    # What they may change, they change: their own organisation's description.
    data = form_data(client.get(url))
    data["website"] = "https://www.lassuranceretraite.fr/"
    assert client.post(url, data).status_code == 302
    outsider_organisation.refresh_from_db()
    assert outsider_organisation.website == "https://www.lassuranceretraite.fr/"


def test_an_organisation_a_coordinator_creates_has_no_network_head(
    client, agreement, anact, outsider
):
    client.force_login(outsider)
    url = reverse("organisation_create")
    data = form_data(client.get(url))
    data.update(name="Caisse régionale", acronym="Carsat", parent=anact.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert REFUSED in response.text
    assert not Organisation.objects.filter(acronym="Carsat").exists()
    data.pop("parent")
    assert client.post(url, data).status_code == 302
    assert Organisation.objects.get(acronym="Carsat").parent is None


def test_a_coordinator_cannot_rename_another_organisation(client, anact, inrs, outsider):
    client.force_login(outsider)
    url = reverse("organisation_update", args=[inrs.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"name": "Organisme renommé", "acronym": "XX"})
    assert response.status_code == 403
    inrs.refresh_from_db()
    assert inrs.acronym == "INRS"


def test_a_coordinator_cannot_rename_their_own_organisation_either(
    client, anact, anact_coordinator
):
    # Its name and acronym are how the other organisations recognise it (lists of parties,
    # invitations): an administrator's to change.
    client.force_login(anact_coordinator)
    url = reverse("organisation_update", args=[anact.pk])
    data = form_data(client.get(url))
    data.update(acronym="INRS")
    response = client.post(url, data)
    assert response.status_code == 200
    assert REFUSED in response.text
    anact.refresh_from_db()
    assert anact.acronym == "Anact"


def test_the_admin_is_closed_to_coordinators_and_open_to_administrators(
    client, anact, outsider, outsider_organisation, administrator
):
    outsider.is_staff = True  # a staff flag alone opens nothing
    outsider.save()
    client.force_login(outsider)
    url = reverse("admin:partnership_organisation_change", args=[outsider_organisation.pk])
    response = client.post(url, {"name": outsider_organisation.name, "parent": anact.pk})
    assert response.status_code == 302 and "/login/" in response["Location"]
    outsider_organisation.refresh_from_db()
    assert outsider_organisation.parent is None
    # An administrator sets the network head, there.
    client.force_login(administrator)
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page)
    data["parent"] = anact.pk
    assert client.post(url, data).status_code == 302
    outsider_organisation.refresh_from_db()
    assert outsider_organisation.parent == anact


# 2. Parties imposed ------------------------------------------------------------------------


def _agreement_data(*organisations):
    data = {
        "reference": "AC-2027-IMPOSE",
        "title": "Accord imposé",
        "purpose": "Faire paraître nos rendez-vous dans leurs agendas.",
        "starts_on": "2027-01-01",
        "ends_on": "2030-12-31",
        "notice_period_months": "6",
        "meeting_frequency": "quarterly",
        "parties-TOTAL_FORMS": str(len(organisations)),
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
    }
    for index, organisation in enumerate(organisations):
        data[f"parties-{index}-organisation"] = organisation.pk
    return data


@pytest.fixture
def imposed(client, inrs, outsider, outsider_organisation):
    """The outsider's coordinator creates an agreement naming INRS as a party."""
    client.force_login(outsider)
    response = client.post(
        reverse("agreement_create"), _agreement_data(outsider_organisation, inrs)
    )
    assert response.status_code == 302
    client.logout()
    return Agreement.objects.get(reference="AC-2027-IMPOSE")


def test_a_party_named_by_another_organisation_is_only_invited(
    client, imposed, inrs, outsider, outsider_organisation, inrs_reader
):
    own = imposed.parties.get(organisation=outsider_organisation)
    invited = imposed.parties.get(organisation=inrs)
    assert own.status == AgreementParty.Status.ACCEPTED  # the creator's organisation
    assert invited.status == AgreementParty.Status.INVITED
    assert invited.invited_by == outsider and invited.invited_at is not None
    client.force_login(inrs_reader)
    assert client.get(imposed.get_absolute_url()).status_code == 404
    assert "Accord imposé" not in client.get(reverse("agreement_list")).text


def test_a_meeting_of_an_imposed_agreement_reaches_nobody_of_the_invited_organisation(
    client, time_machine, imposed, outsider, inrs_reader
):
    clock.freeze(time_machine, datetime.date(2027, 3, 1))
    starts_at = timezone.now() + datetime.timedelta(days=3)
    # The meeting form does not offer INRS's staff...
    client.force_login(outsider)
    page = client.get(reverse("meeting_create", args=[imposed.pk]))
    assert page.status_code == 200
    assert inrs_reader.get_full_name() not in page.text
    # ...and a participant put there anyway (by hand, in the back office, before the
    # invitation was withdrawn) reaches neither their dashboard, nor their calendar feed, nor
    # the reminders sent in the application's name.
    meeting = MeetingFactory(
        agreement=imposed,
        title="Rendez-vous imposé",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        video_link="https://visio.example.com/piege",
    )
    ParticipantFactory(meeting=meeting, user=inrs_reader)
    client.force_login(inrs_reader)
    assert "Rendez-vous imposé" not in client.get(reverse("home")).text
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    inrs_reader.profile.refresh_from_db()
    feed = client.get(reverse("calendar_feed", args=[inrs_reader.profile.calendar_token]))
    assert feed.status_code == 200
    assert "Rendez-vous imposé" not in feed.content.decode()
    batches = reminders.collect(timezone.localdate())
    assert inrs_reader.pk not in batches


def test_the_invited_organisation_coordinator_accepts_from_the_dashboard(
    client, imposed, inrs, inrs_coordinator, inrs_reader, anact_coordinator
):
    client.force_login(inrs_coordinator)
    home = client.get(reverse("home")).text
    assert "Invitations à devenir partie à un accord-cadre" in home
    assert "Accord imposé" in home
    assert "Faire paraître nos rendez-vous dans leurs agendas." in home
    invitation = imposed.parties.get(organisation=inrs)
    # Another organisation's coordinator cannot answer it; a GET answers nothing.
    client.force_login(anact_coordinator)
    assert client.post(reverse("invitation_accept", args=[invitation.pk])).status_code == 404
    client.force_login(inrs_coordinator)
    assert client.get(reverse("invitation_accept", args=[invitation.pk])).status_code == 405
    response = client.post(reverse("invitation_accept", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == AgreementParty.Status.ACCEPTED
    assert invitation.answered_by == inrs_coordinator
    client.force_login(inrs_reader)
    assert client.get(imposed.get_absolute_url()).status_code == 200


def test_a_declined_invitation_stays_in_the_history_and_gives_nothing(
    client, imposed, inrs, inrs_coordinator, inrs_reader
):
    invitation = imposed.parties.get(organisation=inrs)
    client.force_login(inrs_coordinator)
    assert client.post(reverse("invitation_decline", args=[invitation.pk])).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == AgreementParty.Status.DECLINED
    assert [entry.status for entry in invitation.history.order_by("history_date")] == [
        "invited",
        "declined",
    ]
    assert 'id="invitations"' not in client.get(reverse("home")).text
    # Answered once: no second answer.
    client.post(reverse("invitation_accept", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == AgreementParty.Status.DECLINED
    client.force_login(inrs_reader)
    assert client.get(imposed.get_absolute_url()).status_code == 404


def test_an_administrator_records_a_party_in_the_admin(
    client, agreement, outsider_organisation, outsider, administrator
):
    # A party added in the back office is invited until the administrator records its answer.
    client.force_login(administrator)
    url = reverse("admin:partnership_agreementparty_add")
    data = {"agreement": agreement.pk, "organisation": outsider_organisation.pk}
    assert client.post(url, {**data, "status": "invited"}).status_code == 302
    party = AgreementParty.objects.get(organisation=outsider_organisation)
    assert party.invited_by == administrator and party.answered_by is None
    client.force_login(outsider)
    assert client.get(agreement.get_absolute_url()).status_code == 404


# 3. An action taken over -------------------------------------------------------------------


@pytest.fixture
def anact_action(agreement, anact, inrs):
    action = ActionFactory(
        programme=ProgrammeFactory(agreement=agreement, year=2027),
        title="Guide commun",
        lead_organisation=anact,
    )
    action.partners.add(inrs)
    return action


def test_a_partner_contributor_cannot_take_the_action_over(
    client, anact_action, anact, inrs, inrs_contributor
):
    client.force_login(inrs_contributor)
    url = reverse("action_update", args=[anact_action.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].fields["lead_organisation"].disabled
    data = form_data(page)
    data["lead_organisation"] = inrs.pk
    data["partners"] = []  # and the other partners removed
    response = client.post(url, data)
    assert response.status_code == 200
    assert REFUSED in response.text
    anact_action.refresh_from_db()
    assert anact_action.lead_organisation == anact
    assert list(anact_action.partners.all()) == [inrs]
    # Nor cancel it, nor take its title.
    transition = reverse("action_transition", args=[anact_action.pk, "cancel"])
    assert client.post(transition).status_code == 403
    data = form_data(client.get(url))
    data["title"] = "Notre guide"
    assert REFUSED in client.post(url, data).text
    anact_action.refresh_from_db()
    assert anact_action.title == "Guide commun"
    assert anact_action.status == Action.Status.PLANNED


def test_a_partner_contributor_changes_only_their_own_contribution(
    client, anact_action, anact, inrs, inrs_contributor
):
    anact_row = ActionResourceFactory(action=anact_action, organisation=anact, person_days=10)
    inrs_row = ActionResourceFactory(action=anact_action, organisation=inrs, person_days=5)
    client.force_login(inrs_contributor)
    url = reverse("action_update", args=[anact_action.pk])
    page = client.get(url)
    rows = {row.instance.pk: row for row in page.context["formsets"]["resources"].forms}
    assert rows[anact_row.pk].fields["person_days"].disabled
    assert not rows[inrs_row.pk].fields["person_days"].disabled
    data = form_data(page)
    index = {value: key for key, value in data.items() if key.endswith("-id")}
    inrs_prefix = index[str(inrs_row.pk)].removesuffix("-id")
    anact_prefix = index[str(anact_row.pk)].removesuffix("-id")
    data[f"{inrs_prefix}-person_days"] = "8"
    assert client.post(url, data).status_code == 302
    inrs_row.refresh_from_db()
    assert inrs_row.person_days == 8
    # Anact's row: neither changed nor deleted by INRS.
    data = form_data(client.get(url))
    data[f"{anact_prefix}-person_days"] = "0"
    assert REFUSED in client.post(url, data).text
    data = form_data(client.get(url))
    data[f"{anact_prefix}-DELETE"] = "on"
    assert REFUSED in client.post(url, data).text
    anact_row.refresh_from_db()
    assert anact_row.person_days == 10


def test_a_partner_contributor_changes_only_the_deliverables_of_their_organisation(
    client, anact_action, anact, inrs, inrs_contributor
):
    anact_deliverable = DeliverableFactory(action=anact_action, responsible_organisation=anact)
    inrs_deliverable = DeliverableFactory(action=anact_action, responsible_organisation=inrs)
    client.force_login(inrs_contributor)
    assert client.get(reverse("deliverable_update", args=[anact_deliverable.pk])).status_code == 403
    url = reverse("deliverable_update", args=[inrs_deliverable.pk])
    data = form_data(client.get(url))
    data["responsible_organisation"] = anact.pk  # hand it to Anact
    assert REFUSED in client.post(url, data).text
    data["responsible_organisation"] = inrs.pk
    data["title"] = "Notre part"
    assert client.post(url, data).status_code == 302
    inrs_deliverable.refresh_from_db()
    assert inrs_deliverable.title == "Notre part"
    # A deliverable they add is their organisation's.
    create = reverse("deliverable_create", args=[anact_action.pk])
    data = form_data(client.get(create))
    data.update(title="Annexe INRS", kind="report")
    assert client.post(create, data).status_code == 302
    assert anact_action.deliverables.get(title="Annexe INRS").responsible_organisation == inrs


def test_the_lead_contributor_hands_over_nothing_they_may_not(
    client, anact_action, anact, inrs, anact_contributor
):
    # The lead organisation's contributor changes what the action is.
    client.force_login(anact_contributor)
    url = reverse("action_update", args=[anact_action.pk])
    data = form_data(client.get(url))
    data["title"] = "Guide commun, deuxième édition"
    assert client.post(url, data).status_code == 302
    anact_action.refresh_from_db()
    assert anact_action.title == "Guide commun, deuxième édition"


def test_the_admin_is_closed_to_a_partner_contributor(client, anact_action, inrs_contributor):
    inrs_contributor.is_staff = True
    inrs_contributor.save()
    client.force_login(inrs_contributor)
    url = reverse("admin:partnership_action_change", args=[anact_action.pk])
    assert client.get(url).status_code == 302


def test_an_aract_coordinator_no_longer_reaches_an_agreement_only_their_head_was_invited_to(
    client, inrs, anact, aract, inrs_coordinator
):
    # INRS invites Anact: until Anact accepts, neither Anact nor its network sees it.
    aract_coordinator = _staff("aract.coordinateur", aract, "coordinator")
    client.force_login(inrs_coordinator)
    data = _agreement_data(inrs, anact)
    assert client.post(reverse("agreement_create"), data).status_code == 302
    agreement = Agreement.objects.get(reference="AC-2027-IMPOSE")
    client.force_login(aract_coordinator)
    assert client.get(agreement.get_absolute_url()).status_code == 404


def test_a_partner_contributor_cannot_change_the_lead_organisation_contacts(
    client, anact_action, anact, inrs, anact_contributor, inrs_contributor
):
    from partnership.models import ActionContact

    contact = ActionContact.objects.create(
        action=anact_action, organisation=anact, user=anact_contributor
    )
    client.force_login(inrs_contributor)
    url = reverse("action_update", args=[anact_action.pk])
    data = form_data(client.get(url))
    prefix = next(
        key.removesuffix("-id")
        for key, value in data.items()
        if key.startswith("contacts-") and key.endswith("-id") and value == str(contact.pk)
    )
    data[f"{prefix}-user"] = inrs_contributor.pk  # their own person in Anact's place
    assert REFUSED in client.post(url, data).text
    contact.refresh_from_db()
    assert contact.user == anact_contributor
