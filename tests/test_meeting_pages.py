"""The meeting pages: list, page, creation under an agreement with participants and agenda,
decisions and follow-up tasks, lifecycle, reviews of the actions, follow-ups ticked as done."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.core import reasons
from partnership.meetings import urls as meeting_urls
from partnership.meetings.services import (
    action_review_record,
    meeting_approve_minutes,
    meeting_cancel,
)
from partnership.models import (
    Action,
    ActionReview,
    AgendaItem,
    Decision,
    FollowUpTask,
    Meeting,
    Participant,
    ProgrammeApproval,
)
from partnership.programmes.services import programme_adopt, programme_parties
from tests import clock
from tests.factories import (
    ActionFactory,
    ActionReviewFactory,
    AgendaItemFactory,
    AgreementPartyFactory,
    ContactFactory,
    ConventionFactory,
    DecisionFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    StaffProfileFactory,
    UserFactory,
)
from tests.html_forms import form_data

PARIS_START = datetime.datetime(2025, 6, 10, 8, 0, tzinfo=datetime.UTC)  # 10:00 in Paris


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=2026)


@pytest.fixture
def action(programme, anact):
    return ActionFactory(programme=programme, title="Prévention des TMS", lead_organisation=anact)


@pytest.fixture
def meeting(agreement):
    return MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage de juin",
        kind=Meeting.Kind.STEERING_COMMITTEE,
        starts_at=PARIS_START,
        ends_at=PARIS_START + datetime.timedelta(hours=3),
        place="Lyon, siège de l’Anact",
    )


@pytest.fixture
def task(meeting, anact_contributor):
    return FollowUpTaskFactory(
        meeting=meeting, title="Envoyer le calendrier", owner=anact_contributor
    )


def _approved(meeting, user):
    meeting.minutes = "Compte rendu."
    meeting.status = Meeting.Status.HELD
    meeting.save()
    return meeting_approve_minutes(meeting=meeting, user=user)


# The access matrix, built from the URL configuration of the meeting pages -------------

PEOPLE = ["anonymous", "outsider", "reader", "contributor", "coordinator", "administrator"]
FIXTURE_OF = {
    "outsider": "outsider",
    "reader": "anact_reader",
    "contributor": "anact_contributor",
    "coordinator": "anact_coordinator",
    "administrator": "administrator",
}
OK = {200, 302}


def _rule(get, post):
    """Expected answers by person: (GET, POST), for the logged-in people in PEOPLE order."""
    return {person: (get[i], post[i]) for i, person in enumerate(PEOPLE[1:])}


# outsider, reader, contributor, coordinator, administrator
MATRIX = {
    "meeting_list": _rule((200, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
    "meeting_create_choose": _rule((200, 403, 403, 200, 200), (405, 403, 403, 405, 405)),
    "meeting_create": _rule((404, 403, 403, 200, 200), (404, 403, 403, 200, 200)),
    "meeting_detail": _rule((404, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
    "meeting_update": _rule((404, 403, 403, 200, 200), (404, 403, 403, 200, 200)),
    "meeting_outcomes": _rule((404, 403, 403, 200, 200), (404, 403, 403, 200, 200)),
    "meeting_delete": _rule((404, 403, 403, 200, 200), (404, 403, 403, 302, 302)),
    "meeting_transition": _rule((404, 403, 403, 200, 200), (404, 403, 403, 302, 302)),
    "meeting_review": _rule((404, 403, 403, 200, 200), (404, 403, 403, 200, 200)),
    "followuptask_update": _rule((404, 403, 200, 200, 200), (404, 403, 200, 200, 200)),
    "followuptask_done": _rule((405, 405, 405, 405, 405), (404, 403, 302, 302, 302)),
    "meeting_prepare_agenda": _rule((404, 403, 403, 200, 200), (404, 403, 403, 302, 302)),
    "agendaitem_create": _rule((404, 403, 403, 200, 200), (404, 403, 403, 200, 200)),
    "agendaitem_up": _rule((405, 405, 405, 405, 405), (404, 403, 403, 302, 302)),
    "agendaitem_down": _rule((405, 405, 405, 405, 405), (404, 403, 403, 302, 302)),
    "agendaitem_remove": _rule((405, 405, 405, 405, 405), (404, 403, 403, 302, 302)),
    "decision_list": _rule((200, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
    "meeting_minutes_print": _rule((404, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
    "meeting_calendar": _rule((404, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
    "meeting_minutes_pdf": _rule((404, 200, 200, 200, 200), (405, 405, 405, 405, 405)),
}


def _url(name, meeting, task):
    if name in ("meeting_list", "meeting_create_choose", "decision_list"):
        return reverse(name)
    if name in ("agendaitem_up", "agendaitem_down", "agendaitem_remove"):
        return reverse(name, args=[AgendaItemFactory(meeting=meeting).pk])
    if name == "meeting_create":
        return reverse(name, args=[meeting.agreement_id])
    if name == "meeting_transition":
        return reverse(name, args=[meeting.pk, "cancel"])
    if name.startswith("followuptask_"):
        return reverse(name, args=[task.pk])
    return reverse(name, args=[meeting.pk])


def test_every_meeting_url_has_a_rule_in_the_matrix():
    names = {
        pattern.name
        for pattern in meeting_urls.urlpatterns
        if pattern.callback.__module__ == "partnership.meetings.views"
    }
    assert names == set(MATRIX), "A meeting page without an access rule in MATRIX"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_matrix(client, request, meeting, task, name, person, method):
    url = _url(name, meeting, task)
    if person != "anonymous":
        client.force_login(request.getfixturevalue(FIXTURE_OF[person]))
    response = getattr(client, method)(url)
    if person == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        return
    expected = MATRIX[name][person][0 if method == "get" else 1]
    assert response.status_code == expected, f"{method.upper()} {url} as {person}"


# The list ---------------------------------------------------------------------------


def test_list_filters_by_agreement_kind_status_period_and_text(
    client, meeting, anact, anact_reader
):
    other_agreement = SignedAgreementFactory(reference="AC-AUTRE")
    AgreementPartyFactory(agreement=other_agreement, organisation=anact)
    other = MeetingFactory(
        agreement=other_agreement,
        title="Réunion de programmation",
        kind=Meeting.Kind.PROGRAMMING,
        status=Meeting.Status.CANCELLED,
        starts_at=PARIS_START + datetime.timedelta(days=60),
        ends_at=PARIS_START + datetime.timedelta(days=60, hours=2),
    )
    client.force_login(anact_reader)
    url = reverse("meeting_list")

    def titles(**params):
        return [m.title for m in client.get(url, params).context["object_list"]]

    assert set(titles()) == {meeting.title, other.title}
    assert titles(agreement=other_agreement.pk) == [other.title]
    assert titles(kind="steering_committee") == [meeting.title]
    assert titles(status="cancelled") == [other.title]
    assert titles(starts_from="2025-07-01") == [other.title]
    assert titles(starts_until="2025-06-10") == [meeting.title]
    assert titles(q="programmation") == [other.title]
    assert titles(q="AC-AUTRE") == [other.title]
    assert titles(o="date") == [meeting.title, other.title]
    assert titles(o="-date") == [other.title, meeting.title]


def test_list_puts_upcoming_meetings_first_soonest_first(client, agreement, anact_reader):
    now = timezone.now()
    past_recent = MeetingFactory(agreement=agreement, starts_at=now - datetime.timedelta(days=2))
    past_old = MeetingFactory(agreement=agreement, starts_at=now - datetime.timedelta(days=40))
    soon = MeetingFactory(agreement=agreement, starts_at=now + datetime.timedelta(days=3))
    later = MeetingFactory(agreement=agreement, starts_at=now + datetime.timedelta(days=30))
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_list"), {"o": "upcoming"})
    assert list(response.context["object_list"]) == [soon, later, past_recent, past_old]


def test_list_period_reversed_is_refused_next_to_the_field(client, meeting, anact_reader):
    client.force_login(anact_reader)
    response = client.get(
        reverse("meeting_list"), {"starts_from": "2026-12-31", "starts_until": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "starts_until" in response.context["filter"].form.errors
    assert 'value="2026-12-31"' in response.text


def test_outsider_does_not_see_the_meeting_listed(client, meeting, outsider):
    client.force_login(outsider)
    response = client.get(reverse("meeting_list"))
    assert meeting.title not in response.text
    assert list(response.context["filter"].form.fields["agreement"].queryset) == []


def test_coordinator_gets_a_new_meeting_button_for_the_filtered_agreement(
    client, agreement, meeting, anact_coordinator, anact_reader
):
    client.force_login(anact_coordinator)
    response = client.get(reverse("meeting_list"), {"agreement": agreement.pk})
    assert reverse("meeting_create", args=[agreement.pk]) in response.text
    assert reverse("meeting_create_choose") in client.get(reverse("meeting_list")).text
    chooser = client.get(reverse("meeting_create_choose"))
    assert reverse("meeting_create", args=[agreement.pk]) in chooser.text
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_list"), {"agreement": agreement.pk})
    assert reverse("meeting_create", args=[agreement.pk]) not in response.text
    assert reverse("meeting_create_choose") not in response.text


def test_the_chooser_offers_the_agreements_not_ended_the_person_may_add_a_meeting_to(
    client, agreement, anact, inrs, anact_coordinator
):
    terminated = SignedAgreementFactory(reference="AC-FINI", status="terminated")
    AgreementPartyFactory(agreement=terminated, organisation=anact)
    theirs = SignedAgreementFactory(reference="AC-INRS")
    AgreementPartyFactory(agreement=theirs, organisation=inrs)
    client.force_login(anact_coordinator)
    chooser = client.get(reverse("meeting_create_choose"))
    assert chooser.context["agreements"] == [agreement]


# The meeting page -------------------------------------------------------------------


def test_meeting_page_shows_everything_of_the_meeting(
    client, meeting, action, programme, agreement, anact_reader, anact_contributor, anact
):
    convention = ConventionFactory(agreement=agreement)
    contact = ContactFactory(first_name="Chloé", last_name="Expert")
    ParticipantFactory(meeting=meeting, user=anact_contributor, role="chair", attendance="present")
    ParticipantFactory(meeting=meeting, user=None, contact=contact, attendance="excused")
    AgendaItemFactory(meeting=meeting, position=1, title="Point sur les TMS", action=action)
    AgendaItemFactory(meeting=meeting, position=2, title="Convention RPS", convention=convention)
    AgendaItemFactory(meeting=meeting, position=3, title="Programme 2026", programme=programme)
    ActionReviewFactory(meeting=meeting, action=action, progress=40, comment="Enquête lancée.")
    DecisionFactory(meeting=meeting, text="Publier le guide en septembre.")
    FollowUpTaskFactory(meeting=meeting, title="Relire le guide", owner=anact_contributor)
    meeting.minutes = "Première ligne.\nSeconde ligne <script>alert(1)</script>"
    meeting.video_link = "https://visio.example.fr/copil"
    meeting.save()

    client.force_login(anact_reader)
    response = client.get(meeting.get_absolute_url())
    html = response.text
    assert response.status_code == 200
    assert meeting.agreement.get_absolute_url() in html
    assert "10:00" in html and "13:00" in html  # Paris time
    assert 'datetime="2025-06-10T10:00:00+02:00"' in html
    assert "https://visio.example.fr/copil" in html
    assert "Chloé Expert" in html and anact_contributor.get_full_name() in html
    for item in ("Point sur les TMS", "Convention RPS", "Programme 2026"):
        assert item in html
    assert action.get_absolute_url() in html
    assert convention.get_absolute_url() in html
    assert programme.get_absolute_url() in html
    assert "Enquête lancée." in html
    assert "Publier le guide en septembre." in html
    assert "Relire le guide" in html
    assert "Première ligne.<br>\nSeconde ligne" in html  # Markdown, line breaks kept
    assert "<script>alert" not in html  # the script is removed (the history shows it escaped)
    assert "<script>alert(1)" not in html


def test_reader_sees_the_meeting_without_edit_buttons(client, meeting, action, task, anact_reader):
    AgendaItemFactory(meeting=meeting, title="Point TMS", action=action)
    client.force_login(anact_reader)
    html = client.get(meeting.get_absolute_url()).text
    for name in ("meeting_update", "meeting_outcomes", "meeting_delete", "meeting_review"):
        assert reverse(name, args=[meeting.pk]) not in html
    assert reverse("meeting_transition", args=[meeting.pk, "hold"]) not in html
    assert reverse("followuptask_done", args=[task.pk]) not in html
    assert reverse("followuptask_update", args=[task.pk]) not in html


def test_coordinator_sees_the_edit_buttons_and_a_review_form_per_action(
    client, meeting, action, task, anact_coordinator
):
    item = AgendaItemFactory(meeting=meeting, title="Point TMS", action=action)
    client.force_login(anact_coordinator)
    response = client.get(meeting.get_absolute_url())
    html = response.text
    assert reverse("meeting_update", args=[meeting.pk]) in html
    assert reverse("meeting_outcomes", args=[meeting.pk]) in html
    assert reverse("meeting_transition", args=[meeting.pk, "hold"]) in html
    assert reverse("followuptask_done", args=[task.pk]) in html
    assert f'id="id_item{item.pk}_status"' in html
    assert response.context["review_form"] is not None


def test_outsider_gets_404_on_the_meeting(client, meeting, outsider):
    client.force_login(outsider)
    assert client.get(meeting.get_absolute_url()).status_code == 404


# Creating and editing a meeting with its participants and agenda ---------------------


def _management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _meeting_data(**overrides):
    data = {
        "title": "Rendez-vous de suivi de septembre",
        "kind": "review",
        "starts_at": "2026-09-15T14:00",
        "ends_at": "2026-09-15T17:00",
        "place": "Paris",
        "video_link": "",
        "minutes": "",
        **_management("participants", 2),
        **_management("agenda", 2),
    }
    data.update(overrides)
    return data


def test_coordinator_creates_a_meeting_with_participants_and_agenda(
    client, agreement, action, anact_coordinator, inrs_contributor
):
    contact = ContactFactory()
    client.force_login(anact_coordinator)
    data = _meeting_data(
        **{
            "participants-0-user": inrs_contributor.pk,
            "participants-0-role": "chair",
            "participants-0-attendance": "invited",
            "participants-1-contact": contact.pk,
            "participants-1-role": "participant",
            "participants-1-attendance": "invited",
            "agenda-0-position": "1",
            "agenda-0-title": "Point sur les TMS",
            "agenda-0-action": action.pk,
        }
    )
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    meeting = Meeting.objects.get(title="Rendez-vous de suivi de septembre")
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url()
    assert meeting.agreement == agreement
    assert meeting.starts_at == datetime.datetime(2026, 9, 15, 12, 0, tzinfo=datetime.UTC)
    assert {(p.user_id, p.contact_id, p.role) for p in meeting.participants.all()} == {
        (inrs_contributor.pk, None, "chair"),
        (None, contact.pk, "participant"),
    }
    assert list(meeting.agenda_items.values_list("title", "action")) == [
        ("Point sur les TMS", action.pk)
    ]
    assert meeting.history.first().history_user == anact_coordinator


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": "2026-09-15T17:00", "ends_at": "2026-09-15T14:00"}, "ends_at"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"minutes": "<b>gras</b>"}, "minutes"),
        ({"starts_at": "pas une date"}, "starts_at"),
        ({"video_link": "pas une adresse"}, "video_link"),
    ],
)
def test_invalid_meeting_is_refused_next_to_the_field_and_kept(
    client, agreement, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    data = _meeting_data(place="Salle Marie Curie", **overrides)
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'value="Salle Marie Curie"' in response.text
    assert not Meeting.objects.exists()


def test_participant_without_a_person_is_refused_with_a_clear_message(
    client, agreement, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _meeting_data(**{"participants-0-role": "secretary"})
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    participant_form = response.context["formsets"]["participants"].forms[0]
    assert "user" in participant_form.errors
    assert 'value="Rendez-vous de suivi de septembre"' in response.text
    assert not Meeting.objects.exists()
    assert not Participant.objects.exists()


def test_participant_with_both_a_staff_member_and_a_contact_is_refused(
    client, agreement, anact_coordinator, anact_contributor
):
    client.force_login(anact_coordinator)
    data = _meeting_data(
        **{
            "participants-0-user": anact_contributor.pk,
            "participants-0-contact": ContactFactory().pk,
            "participants-0-role": "participant",
            "participants-0-attendance": "invited",
        }
    )
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert "user" in response.context["formsets"]["participants"].forms[0].errors
    assert not Meeting.objects.exists()


def test_the_same_person_twice_is_refused(client, agreement, anact_coordinator, anact_contributor):
    client.force_login(anact_coordinator)
    row = {"user": anact_contributor.pk, "role": "participant", "attendance": "invited"}
    data = _meeting_data(
        **{f"participants-{i}-{key}": value for i in (0, 1) for key, value in row.items()}
    )
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert response.context["formsets"]["participants"].non_form_errors()
    assert not Meeting.objects.exists()


def test_staff_choices_are_those_of_the_party_organisations(
    client, agreement, anact_coordinator, anact_contributor, inrs_reader, aract_reader, outsider
):
    client.force_login(anact_coordinator)
    response = client.get(reverse("meeting_create", args=[agreement.pk]))
    field = response.context["formsets"]["participants"].forms[0].fields["user"]
    offered = {value.value for value, _label in field.choices if value}
    assert {anact_contributor.pk, inrs_reader.pk, aract_reader.pk} <= offered
    assert outsider.pk not in offered


@pytest.mark.parametrize("target", ["action", "convention", "programme"])
def test_agenda_item_cannot_point_to_a_record_of_another_agreement(
    client, agreement, anact_coordinator, target
):
    other = SignedAgreementFactory()
    foreign = {
        "action": lambda: ActionFactory(programme=ProgrammeFactory(agreement=other)),
        "convention": lambda: ConventionFactory(agreement=other),
        "programme": lambda: ProgrammeFactory(agreement=other),
    }[target]()
    client.force_login(anact_coordinator)
    data = _meeting_data(
        **{
            "agenda-0-position": "1",
            "agenda-0-title": "Hors sujet",
            f"agenda-0-{target}": foreign.pk,
        }
    )
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert target in response.context["formsets"]["agenda"].forms[0].errors
    assert not AgendaItem.objects.exists()


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"notes": "<img src=x onerror=alert(1)>"}, "notes"),
        ({"position": "-1"}, "position"),
    ],
)
def test_invalid_agenda_item_is_refused_next_to_the_field(
    client, agreement, anact_coordinator, row, field
):
    client.force_login(anact_coordinator)
    values = {"position": "1", "title": "Point", **row}
    data = _meeting_data(**{f"agenda-0-{key}": value for key, value in values.items()})
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert field in response.context["formsets"]["agenda"].forms[0].errors
    assert not Meeting.objects.exists()


def test_agenda_item_with_two_targets_is_refused(
    client, agreement, action, programme, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _meeting_data(
        **{
            "agenda-0-position": "1",
            "agenda-0-title": "Deux sujets",
            "agenda-0-action": action.pk,
            "agenda-0-programme": programme.pk,
        }
    )
    response = client.post(reverse("meeting_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert "programme" in response.context["formsets"]["agenda"].forms[0].errors
    assert not Meeting.objects.exists()


def _edit_data(meeting, **overrides):
    participants = list(meeting.participants.all())
    items = list(meeting.agenda_items.all())
    data = _meeting_data(
        title=meeting.title,
        kind=meeting.kind,
        starts_at="2025-06-10T10:00",
        ends_at="2025-06-10T13:00",
        place=meeting.place,
        version=meeting.version,
        **_management("participants", len(participants), len(participants)),
        **_management("agenda", len(items), len(items)),
    )
    for i, participant in enumerate(participants):
        data.update(
            {
                f"participants-{i}-id": participant.pk,
                f"participants-{i}-version": participant.version,
                f"participants-{i}-user": participant.user_id or "",
                f"participants-{i}-contact": participant.contact_id or "",
                f"participants-{i}-role": participant.role,
                f"participants-{i}-attendance": participant.attendance,
            }
        )
    for i, item in enumerate(items):
        data.update(
            {
                f"agenda-{i}-id": item.pk,
                f"agenda-{i}-version": item.version,
                f"agenda-{i}-position": item.position,
                f"agenda-{i}-title": item.title,
                f"agenda-{i}-action": item.action_id or "",
            }
        )
    data.update(overrides)
    return data


def test_coordinator_edits_attendance_and_reorders_the_agenda(
    client, meeting, anact_coordinator, anact_contributor
):
    participant = ParticipantFactory(meeting=meeting, user=anact_contributor)
    first = AgendaItemFactory(meeting=meeting, position=1, title="Premier")
    second = AgendaItemFactory(meeting=meeting, position=2, title="Second")
    client.force_login(anact_coordinator)
    data = _edit_data(
        meeting,
        **{"participants-0-attendance": "present", "agenda-0-position": "3"},
    )
    page = client.get(reverse("meeting_update", args=[meeting.pk]))
    assert f'<option value="{anact_contributor.pk}" selected>' in page.text
    response = client.post(reverse("meeting_update", args=[meeting.pk]), data)
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.attendance == "present"
    assert list(meeting.agenda_items.order_by("position")) == [second, first]


def test_edit_with_ends_before_start_keeps_what_was_typed(client, meeting, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _edit_data(meeting, title="Nouveau titre", ends_at="2025-06-10T09:00")
    response = client.post(reverse("meeting_update", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "ends_at" in response.context["form"].errors
    assert 'value="Nouveau titre"' in response.text
    meeting.refresh_from_db()
    assert meeting.title == "Comité de pilotage de juin"


# Read-only meetings -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["meeting_update", "meeting_outcomes", "meeting_review"])
def test_meeting_with_approved_minutes_cannot_be_edited(client, meeting, anact_coordinator, name):
    _approved(meeting, anact_coordinator)
    client.force_login(anact_coordinator)
    url = reverse(name, args=[meeting.pk])
    response = client.get(url)
    assert response.status_code == 403
    assert response.templates[0].name == "partnership/meeting_read_only.html"
    response = client.post(url, _edit_data(meeting, title="Modifié"))
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Comité de pilotage de juin"
    assert client.post(reverse("meeting_delete", args=[meeting.pk])).status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_read_only_meeting_page_hides_the_edit_buttons_but_offers_reopening(
    client, meeting, action, anact_coordinator
):
    AgendaItemFactory(meeting=meeting, action=action)
    _approved(meeting, anact_coordinator)
    client.force_login(anact_coordinator)
    response = client.get(meeting.get_absolute_url())
    html = response.text
    assert reverse("meeting_update", args=[meeting.pk]) not in html
    assert reverse("meeting_outcomes", args=[meeting.pk]) not in html
    assert reverse("meeting_review", args=[meeting.pk]) not in html
    assert reverse("meeting_delete", args=[meeting.pk]) not in html
    assert reverse("meeting_transition", args=[meeting.pk, "reopen"]) in html


def test_cancelled_meeting_cannot_be_edited_but_can_be_deleted(
    client, meeting, anact_coordinator, agreement
):
    meeting_cancel(meeting=meeting, user=anact_coordinator)
    client.force_login(anact_coordinator)
    assert client.get(reverse("meeting_update", args=[meeting.pk])).status_code == 403
    response = client.post(reverse("meeting_delete", args=[meeting.pk]))
    assert response.status_code == 302
    assert response["Location"] == agreement.get_absolute_url()
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


# Lifecycle --------------------------------------------------------------------------


def test_coordinator_holds_the_meeting_then_approves_its_minutes(
    client, meeting, anact_coordinator
):
    client.force_login(anact_coordinator)
    client.post(reverse("meeting_transition", args=[meeting.pk, "hold"]))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    response = client.post(
        reverse("meeting_transition", args=[meeting.pk, "approve_minutes"]), follow=True
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD  # no minutes yet: refused, with the reason
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"
    Meeting.objects.filter(pk=meeting.pk).update(minutes="Compte rendu.")
    client.post(reverse("meeting_transition", args=[meeting.pk, "approve_minutes"]))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.MINUTES_APPROVED
    assert meeting.minutes_approved_by == anact_coordinator


def test_marking_the_meeting_held_records_who_attended(
    client, meeting, anact_coordinator, anact_reader
):
    chair = ParticipantFactory(meeting=meeting, user=anact_coordinator, role="chair")
    excused = ParticipantFactory(meeting=meeting, user=anact_reader)
    guest = ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory())
    client.force_login(anact_coordinator)
    url = reverse("meeting_transition", args=[meeting.pk, "hold"])
    page = client.get(url)
    assert "Qui était là ?" in page.text
    data = form_data(page)
    # Everyone is present unless said otherwise.
    assert {data[f"attendance_{p.pk}"] for p in (chair, excused, guest)} == {"present"}
    for participant in (chair, excused, guest):
        assert participant.person_name in page.text
    data.update({f"attendance_{excused.pk}": "excused", f"attendance_{guest.pk}": "absent"})
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    recorded = dict(meeting.participants.values_list("pk", "attendance"))
    assert recorded == {chair.pk: "present", excused.pk: "excused", guest.pk: "absent"}
    excused.refresh_from_db()
    assert excused.history.first().history_user == anact_coordinator


def test_an_unknown_attendance_is_refused_and_nothing_changes(client, meeting, anact_coordinator):
    participant = ParticipantFactory(meeting=meeting, user=anact_coordinator)
    client.force_login(anact_coordinator)
    url = reverse("meeting_transition", args=[meeting.pk, "hold"])
    response = client.post(url, {f"attendance_{participant.pk}": "invited"})
    assert response.status_code == 200
    assert response.context["form"].errors
    meeting.refresh_from_db()
    participant.refresh_from_db()
    assert (meeting.status, participant.attendance) == ("planned", "invited")


def test_reopening_the_minutes_needs_a_reason(client, meeting, anact_coordinator):
    _approved(meeting, anact_coordinator)
    client.force_login(anact_coordinator)
    url = reverse("meeting_transition", args=[meeting.pk, "reopen"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.MINUTES_APPROVED
    client.post(url, {"reason": "Coquille dans le relevé de décisions"})
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert "Coquille" in meeting.history.first().history_change_reason
    assert client.get(reverse("meeting_update", args=[meeting.pk])).status_code == 200


def test_unknown_transition_is_not_found(client, meeting, anact_coordinator):
    client.force_login(anact_coordinator)
    assert client.get(reverse("meeting_transition", args=[meeting.pk, "sign"])).status_code == 404


def test_meeting_where_a_programme_was_adopted_is_not_deleted(
    client, meeting, programme, anact_coordinator
):
    meeting.status = Meeting.Status.HELD
    meeting.save()
    programme.status = "proposed"
    programme.save()
    # Adoption needs every party's approval: the last one adopts the programme at the meeting.
    for party in programme_parties(programme):
        ProgrammeApproval.objects.create(
            programme=programme, organisation=party, approved_by=anact_coordinator
        )
    programme_adopt(programme=programme, meeting=meeting, user=anact_coordinator)
    client.force_login(anact_coordinator)
    response = client.post(reverse("meeting_delete", args=[meeting.pk]), follow=True)
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


# Decisions and follow-up tasks --------------------------------------------------------


def _outcomes_data(**overrides):
    data = {**_management("decisions", 1), **_management("follow_ups", 1)}
    data.update(overrides)
    return data


def test_coordinator_records_decisions_and_follow_up_tasks(
    client, meeting, anact_coordinator, inrs_contributor
):
    item = AgendaItemFactory(meeting=meeting, title="Guide TMS")
    client.force_login(anact_coordinator)
    data = _outcomes_data(
        **{
            "decisions-0-agenda_item": item.pk,
            "decisions-0-text": "Le guide paraît en septembre.",
            "follow_ups-0-title": "Envoyer la maquette",
            "follow_ups-0-owner": inrs_contributor.pk,
            "follow_ups-0-due_on": "2026-07-01",
        }
    )
    response = client.post(reverse("meeting_outcomes", args=[meeting.pk]), data)
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.meeting, decision.agenda_item) == (meeting, item)
    follow_up = FollowUpTask.objects.get()
    assert (follow_up.owner, follow_up.due_on) == (inrs_contributor, datetime.date(2026, 7, 1))
    assert meeting.history.count() == 1  # the meeting itself did not change


@pytest.mark.parametrize(
    ("overrides", "formset", "field"),
    [
        ({"decisions-0-text": "<script>x</script>"}, "decisions", "text"),
        ({"decisions-0-text": "x" * 2001}, "decisions", "text"),
        ({"follow_ups-0-title": "x" * 301}, "follow_ups", "title"),
        ({"follow_ups-0-due_on": "2026-02-31"}, "follow_ups", "due_on"),
        ({"follow_ups-0-done_on": "2026-05-01"}, "follow_ups", "done_on"),
        ({"follow_ups-0-owner_contact": "CONTACT"}, "follow_ups", "owner_contact"),
        ({"follow_ups-0-owner": "OUTSIDER"}, "follow_ups", "owner"),
    ],
)
def test_invalid_decision_or_task_is_refused_next_to_the_field(
    client, meeting, anact_coordinator, anact_contributor, outsider, overrides, formset, field
):
    replacements = {"CONTACT": ContactFactory().pk, "OUTSIDER": outsider.pk}
    overrides = {key: replacements.get(value, value) for key, value in overrides.items()}
    client.force_login(anact_coordinator)
    data = _outcomes_data(
        **{
            "decisions-0-text": "Décision",
            "follow_ups-0-title": "Tâche tapée",
            "follow_ups-0-owner": anact_contributor.pk,
            **overrides,
        }
    )
    response = client.post(reverse("meeting_outcomes", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert field in response.context["formsets"][formset].forms[0].errors
    if field != "title":
        assert 'value="Tâche tapée"' in response.text
    assert not Decision.objects.exists()
    assert not FollowUpTask.objects.exists()


def test_contributor_marks_their_organisation_task_done_but_not_another(
    client, meeting, task, anact_contributor, inrs_contributor
):
    other = FollowUpTaskFactory(meeting=meeting, title="Tâche INRS", owner=inrs_contributor)
    client.force_login(anact_contributor)
    response = client.post(reverse("followuptask_done", args=[task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done and task.done_on == timezone.localdate()
    assert task.history.first().history_user == anact_contributor
    assert client.post(reverse("followuptask_done", args=[other.pk])).status_code == 403
    other.refresh_from_db()
    assert not other.done
    html = client.get(meeting.get_absolute_url()).text
    assert reverse("followuptask_update", args=[task.pk]) in html
    assert reverse("followuptask_update", args=[other.pk]) not in html
    client.post(reverse("followuptask_done", args=[task.pk]), {"done": "0"})
    task.refresh_from_db()
    assert not task.done and task.done_on is None


def test_contributor_ticks_a_task_of_a_meeting_whose_minutes_are_approved(
    client, meeting, task, anact_contributor, anact_coordinator
):
    _approved(meeting, anact_coordinator)
    client.force_login(anact_contributor)
    url = reverse("followuptask_update", args=[task.pk])
    response = client.post(
        url,
        {"title": "Autre titre", "due_on": "2027-01-01", "done": "on", "version": task.version},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done and task.title == "Envoyer le calendrier"  # what was decided stays


def test_contributor_edits_their_task(client, task, anact_contributor):
    client.force_login(anact_contributor)
    url = reverse("followuptask_update", args=[task.pk])
    response = client.post(
        url,
        {"title": "Envoyer le calendrier révisé", "due_on": "2026-10-01", "version": task.version},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Envoyer le calendrier révisé"
    assert task.due_on == datetime.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "<b>Tâche</b>"}, "title"),
        ({"due_on": "2026-13-01"}, "due_on"),
        ({"done_on": "2026-05-01"}, "done_on"),
    ],
)
def test_invalid_task_edit_is_refused_next_to_the_field(
    client, task, anact_contributor, data, field
):
    client.force_login(anact_contributor)
    values = {"title": "Titre tapé", "due_on": "2026-10-01", **data}
    response = client.post(reverse("followuptask_update", args=[task.pk]), values)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if field != "title":
        assert 'value="Titre tapé"' in response.text
    task.refresh_from_db()
    assert task.title == "Envoyer le calendrier" and not task.done


# Reviews of the actions at the meeting ------------------------------------------------


def test_review_recorded_updates_the_action_and_appears_on_the_meeting_page(
    client, meeting, action, anact_coordinator
):
    AgendaItemFactory(meeting=meeting, title="Point TMS", action=action)
    client.force_login(anact_coordinator)
    url = reverse("meeting_review", args=[meeting.pk])
    data = {"action": action.pk, "status": "in_progress", "progress": "60", "comment": "Bon rythme"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url() + "#reviews"
    action.refresh_from_db()
    assert (action.status, action.progress) == (Action.Status.IN_PROGRESS, 60)
    entry = action.history.first()
    assert entry.history_user == anact_coordinator
    assert meeting.title in entry.history_change_reason
    review = ActionReview.objects.get()
    assert (review.meeting, review.recorded_by, review.comment) == (
        meeting,
        anact_coordinator,
        "Bon rythme",
    )
    page = client.get(meeting.get_absolute_url())
    assert "Bon rythme" in page.text
    assert page.context["reviews"] == [review]

    client.post(url, {**data, "progress": "70", "comment": "Accéléré"})
    assert ActionReview.objects.get().progress == 70
    action.refresh_from_db()
    assert action.progress == 70


def test_review_form_starts_from_the_action(client, meeting, action, anact_coordinator):
    Action.objects.filter(pk=action.pk).update(status="in_progress", progress=35)
    client.force_login(anact_coordinator)
    response = client.get(reverse("meeting_review", args=[meeting.pk]), {"action": action.pk})
    assert response.context["form"].initial == {
        "action": action.pk,
        "status": "in_progress",
        "progress": 35,
        "comment": "",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"progress": "150"}, "progress"),
        ({"progress": "-5"}, "progress"),
        ({"progress": ""}, "progress"),
        ({"status": "completed", "progress": "50"}, "progress"),
        ({"status": "unknown"}, "status"),
        ({"comment": "<script>alert(1)</script>"}, "comment"),
        ({"comment": "x" * 2001}, "comment"),
        ({"action": "FOREIGN"}, "action"),
        ({"action": ""}, "action"),
    ],
)
def test_invalid_review_is_refused_next_to_the_field(
    client, meeting, action, anact_coordinator, data, field
):
    foreign = ActionFactory(programme=ProgrammeFactory(agreement=SignedAgreementFactory()))
    values = {"action": action.pk, "status": "in_progress", "progress": "40", "comment": "Tapé"}
    values.update({key: foreign.pk if value == "FOREIGN" else value for key, value in data.items()})
    client.force_login(anact_coordinator)
    response = client.post(reverse("meeting_review", args=[meeting.pk]), values)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if field != "comment":
        assert "Tapé" in response.text
    assert not ActionReview.objects.exists()
    action.refresh_from_db()
    assert (action.status, action.progress) == (Action.Status.PLANNED, 0)


def test_review_service_changes_the_status_only_if_different(meeting, action, anact_coordinator):
    Action.objects.filter(pk=action.pk).update(status="in_progress", progress=20)
    action_review_record(
        meeting=meeting,
        action=action,
        user=anact_coordinator,
        status="in_progress",
        progress=30,
        comment="",
    )
    action.refresh_from_db()
    assert action.progress == 30
    assert reasons.parse(action.history.first().history_change_reason)["code"] == "reviewed"
    action_review_record(
        meeting=meeting,
        action=action,
        user=anact_coordinator,
        status="completed",
        progress=100,
        comment="Terminé",
    )
    action.refresh_from_db()
    assert action.status == Action.Status.COMPLETED
    assert reasons.parse(action.history.first().history_change_reason) == {
        "code": "status",
        "previous": "in_progress",
        "new": "completed",
        "reviewed": meeting.title,
    }
    assert ActionReview.objects.get().status == "completed"


def test_review_service_refuses_a_read_only_meeting_and_another_agreement(
    meeting, action, anact_coordinator
):
    from partnership.core.lifecycle import TransitionError

    foreign = ActionFactory(programme=ProgrammeFactory(agreement=SignedAgreementFactory()))
    with pytest.raises(TransitionError):
        action_review_record(
            meeting=meeting, action=foreign, user=anact_coordinator, status="planned", progress=0
        )
    _approved(meeting, anact_coordinator)
    with pytest.raises(TransitionError):
        action_review_record(
            meeting=meeting, action=action, user=anact_coordinator, status="planned", progress=0
        )
    assert not ActionReview.objects.exists()


# Query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_page_query_count_does_not_grow(
    client, meeting, programme, agreement, anact, anact_coordinator, django_assert_num_queries, rows
):
    convention = ConventionFactory(agreement=agreement)
    for i in range(rows):
        staff = UserFactory()
        StaffProfileFactory(user=staff, organisation=anact)
        ParticipantFactory(meeting=meeting, user=staff)
        ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory())
        action = ActionFactory(programme=programme, lead_organisation=anact)
        AgendaItemFactory(meeting=meeting, action=action)
        AgendaItemFactory(meeting=meeting, convention=convention)
        AgendaItemFactory(meeting=meeting, programme=programme)
        ActionReviewFactory(meeting=meeting, action=action, recorded_by=staff)
        item = AgendaItemFactory(meeting=meeting)
        DecisionFactory(meeting=meeting, agenda_item=item)
        FollowUpTaskFactory(meeting=meeting, owner=staff, done=i % 2 == 0)
        FollowUpTaskFactory(meeting=meeting, owner_contact=ContactFactory())
    client.force_login(anact_coordinator)
    # session, user, staff profile, the meeting with its agreement and working group, the
    # agreement's parties (permission), agenda items with their targets, reviews with
    # their actions and authors, follow-up tasks with their owners, participants with
    # their people, decisions, documents, history, the actions of the review form.
    # ... and the bell's unread count, the comments (whether the person follows the record is
    # read with the record).
    with django_assert_num_queries(15):
        response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["tasks"]) == 2 * rows


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_list_query_count_does_not_grow(
    client, agreement, anact_reader, django_assert_num_queries, rows
):
    for _ in range(rows):
        meeting = MeetingFactory(agreement=agreement)
        ParticipantFactory(meeting=meeting)
        FollowUpTaskFactory(meeting=meeting)
    client.force_login(anact_reader)
    # session, user, staff profile, the model permissions of the user and of their groups
    # ("can add"), the agreements of the filter, count, the page of meetings with their
    # agreements and counts.
    # ... and the bell's unread count.
    with django_assert_num_queries(9):
        response = client.get(reverse("meeting_list"), {"o": "upcoming"})
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_edit_page_query_count_does_not_grow(
    client, meeting, programme, agreement, anact, anact_coordinator, django_assert_num_queries, rows
):
    ConventionFactory(agreement=agreement)
    for _ in range(rows):
        staff = UserFactory()
        StaffProfileFactory(user=staff, organisation=anact)
        ParticipantFactory(meeting=meeting, user=staff)
        ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory())
        AgendaItemFactory(meeting=meeting, action=ActionFactory(programme=programme))
    client.force_login(anact_coordinator)
    # session, user, staff profile, the meeting, the agreement's parties (permission),
    # participants, agenda items, then each select's choices once for all rows: staff
    # members, contacts, actions (also the working groups), conventions, programmes.
    # ... and the bell's unread count.
    with django_assert_num_queries(13):
        response = client.get(reverse("meeting_update", args=[meeting.pk]))
    assert response.status_code == 200
    assert len(response.context["formsets"]["participants"].forms) == 2 * rows + 3


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_outcomes_page_query_count_does_not_grow(
    client, meeting, anact, anact_coordinator, django_assert_num_queries, rows
):
    for _ in range(rows):
        staff = UserFactory()
        StaffProfileFactory(user=staff, organisation=anact)
        item = AgendaItemFactory(meeting=meeting)
        DecisionFactory(meeting=meeting, agenda_item=item)
        FollowUpTaskFactory(meeting=meeting, owner=staff)
        FollowUpTaskFactory(meeting=meeting, owner_contact=ContactFactory())
    client.force_login(anact_coordinator)
    # session, user, staff profile, the meeting, the agreement's parties (permission),
    # decisions, follow-up tasks, then the choices once: agenda items, staff, contacts.
    # ... and the bell's unread count.
    with django_assert_num_queries(11):
        response = client.get(reverse("meeting_outcomes", args=[meeting.pk]))
    assert response.status_code == 200


def test_a_meeting_not_started_says_when_it_can_be_recorded_as_held(
    client, time_machine, agreement, anact_coordinator
):
    clock.freeze(time_machine, datetime.date(2027, 1, 5), hour=10)
    meeting = MeetingFactory(
        agreement=agreement,
        starts_at=timezone.make_aware(datetime.datetime(2027, 1, 12, 9, 0)),
        ends_at=timezone.make_aware(datetime.datetime(2027, 1, 12, 12, 0)),
    )
    client.force_login(anact_coordinator)
    html = client.get(meeting.get_absolute_url()).text
    hold = reverse("meeting_transition", args=[meeting.pk, "hold"])
    assert hold not in html
    assert (
        '<button type="button" class="btn btn-sm btn-outline-secondary" disabled '
        'aria-describedby="waiting-hold">Constater la tenue</button>'
    ) in html
    assert (
        '<span id="waiting-hold" class="small text-body-secondary">Possible à partir du début '
        "de la réunion, le 12 janvier 2027 à 09:00.</span>"
    ) in html
    # Cancelling is possible now: a link as before.
    assert reverse("meeting_transition", args=[meeting.pk, "cancel"]) in html

    clock.freeze(time_machine, datetime.date(2027, 1, 12), hour=9)
    client.force_login(anact_coordinator)
    html = client.get(meeting.get_absolute_url()).text
    assert hold in html
    assert "waiting-hold" not in html


def test_the_attendance_step_changes_nobody_of_another_meeting(
    client, meeting, agreement, anact_coordinator
):
    """An attacker's post naming a participant of another meeting changes nothing there."""
    own = ParticipantFactory(meeting=meeting, user=anact_coordinator)
    elsewhere = ParticipantFactory(meeting=MeetingFactory(agreement=agreement))
    client.force_login(anact_coordinator)
    url = reverse("meeting_transition", args=[meeting.pk, "hold"])
    data = {f"attendance_{own.pk}": "present", f"attendance_{elsewhere.pk}": "absent"}
    assert client.post(url, data).status_code == 302
    elsewhere.refresh_from_db()
    assert elsewhere.attendance == "invited"
    assert elsewhere.history.count() == 1
