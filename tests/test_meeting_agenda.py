"""Preparing a review meeting: the agenda filled with the ongoing actions of the programme
under review, grouped by lead organisation, and the follow-up tasks still open from the
earlier meetings (they come back until they are done, whatever meeting was held in between);
then arranged by hand (moved up and down, taken off, items added).

The meeting under review is a month from today and the previous review two months before it,
computed when each test runs: the programme of the meeting's year is adopted at a programming
meeting on 1 December of the year before, which falls between the two reviews in December and
January and before them the rest of the year; the agenda is the same either way."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from partnership.core.lifecycle import TransitionError
from partnership.meetings.services import (
    meeting_agenda_programme,
    meeting_cancel,
    meeting_earlier,
    meeting_prepare_agenda,
)
from partnership.models import Action, AgendaItem, Meeting, Programme
from tests import clock
from tests.factories import (
    ActionFactory,
    AgendaItemFactory,
    ConventionFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
)


def _programme(agreement, year, status=Programme.Status.ADOPTED):
    if status not in (Programme.Status.ADOPTED, Programme.Status.CLOSED):
        return ProgrammeFactory(agreement=agreement, year=year, status=status)
    adopted_at = MeetingFactory(
        agreement=agreement,
        kind=Meeting.Kind.PROGRAMMING,
        starts_at=datetime.datetime(year - 1, 12, 1, 9, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(year - 1, 12, 1, 11, tzinfo=datetime.UTC),
        status=Meeting.Status.HELD,
    )
    return ProgrammeFactory(
        agreement=agreement,
        year=year,
        status=status,
        adopted_at=adopted_at,
        adopted_on=datetime.date(year - 1, 12, 1),
        review="Bilan" if status == Programme.Status.CLOSED else "",
    )


@pytest.fixture
def next_month():
    return timezone.now() + datetime.timedelta(days=30)


@pytest.fixture
def programme(agreement, next_month):
    return _programme(agreement, timezone.localdate(next_month).year)


@pytest.fixture
def meeting(agreement, next_month):
    return MeetingFactory(
        agreement=agreement,
        title="Revue des chantiers",
        kind=Meeting.Kind.REVIEW,
        starts_at=next_month,
        ends_at=next_month + datetime.timedelta(hours=2),
    )


@pytest.fixture
def previous(agreement, next_month):
    starts = next_month - datetime.timedelta(days=60)
    return MeetingFactory(
        agreement=agreement,
        title="Revue précédente",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        status=Meeting.Status.HELD,
    )


def _action(programme, organisation, title, status=Action.Status.IN_PROGRESS):
    return ActionFactory(
        programme=programme,
        lead_organisation=organisation,
        title=title,
        status=status,
        progress=100 if status == Action.Status.COMPLETED else 30,
    )


def _heading(organisation):
    """The heading of an organisation's actions, in the site's language (not the person's)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Actions led by %(organisation)s") % {"organisation": organisation}


def _follow_up_heading():
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Follow-up tasks of the previous meeting")


def _agenda(meeting):
    return [
        (item.position, item.title, item.action_id, item.follow_up_id)
        for item in meeting.agenda_items.order_by("position", "pk")
    ]


# The service -----------------------------------------------------------------------------


def test_prepared_agenda_holds_the_ongoing_actions_by_lead_organisation_then_open_follow_ups(
    meeting, previous, programme, anact, inrs, anact_coordinator, anact_contributor
):
    inrs_study = _action(programme, inrs, "Étude sur les TMS")
    anact_guide = _action(programme, anact, "Guide QVT")
    anact_colloquium = _action(programme, anact, "Colloque RPS")
    _action(programme, anact, "Action prévue", status=Action.Status.PLANNED)
    _action(programme, inrs, "Action terminée", status=Action.Status.COMPLETED)
    last_year = ProgrammeFactory(agreement=meeting.agreement, year=programme.year - 1)
    _action(last_year, anact, "Chantier de l’an passé")  # not the programme under review
    open_task = FollowUpTaskFactory(meeting=previous, title="Envoyer la maquette", due_on=None)
    FollowUpTaskFactory(meeting=previous, title="Tâche faite", done=True)
    older = MeetingFactory(
        agreement=meeting.agreement,
        starts_at=previous.starts_at - datetime.timedelta(days=90),
        ends_at=previous.starts_at - datetime.timedelta(days=89),
    )
    still_open = FollowUpTaskFactory(meeting=older, title="Relancer l’Aract")
    AgendaItemFactory(meeting=previous, title=still_open.title, follow_up=still_open)
    not_brought_back = FollowUpTaskFactory(meeting=older, title="Tâche d’une réunion plus ancienne")
    welcome = AgendaItemFactory(meeting=meeting, title="Accueil", position=1)

    created = meeting_prepare_agenda(meeting=meeting, user=anact_coordinator)

    assert len(created) == 9  # three headings, three actions, three follow-ups
    assert _agenda(meeting) == [
        (1, "Accueil", None, None),
        (2, _heading("Anact"), None, None),
        (3, "Colloque RPS", anact_colloquium.pk, None),
        (4, "Guide QVT", anact_guide.pk, None),
        (5, _heading("INRS"), None, None),
        (6, "Étude sur les TMS", inrs_study.pk, None),
        (7, _follow_up_heading(), None, None),
        (8, "Relancer l’Aract", None, still_open.pk),
        (9, "Tâche d’une réunion plus ancienne", None, not_brought_back.pk),
        (10, "Envoyer la maquette", None, open_task.pk),
    ]
    welcome.refresh_from_db()
    assert welcome.position == 1
    assert meeting.agenda_items.last().history.first().history_user == anact_coordinator


def test_preparing_twice_adds_nothing_twice_and_new_actions_join_their_group(
    meeting, previous, programme, anact, inrs, anact_coordinator
):
    guide = _action(programme, anact, "Guide QVT")
    study = _action(programme, inrs, "Étude TMS")
    FollowUpTaskFactory(meeting=previous, title="Envoyer la maquette")
    meeting_prepare_agenda(meeting=meeting, user=anact_coordinator)
    first = _agenda(meeting)

    assert meeting_prepare_agenda(meeting=meeting, user=anact_coordinator) == []
    assert _agenda(meeting) == first

    started = _action(programme, anact, "Webinaire", status=Action.Status.IN_PROGRESS)
    created = meeting_prepare_agenda(meeting=meeting, user=anact_coordinator)
    assert [item.action for item in created] == [started]
    actions = [a for _p, _t, a, _f in _agenda(meeting)]
    assert actions.index(started.pk) == actions.index(guide.pk) + 1  # with Anact's actions
    assert actions.index(started.pk) < actions.index(study.pk)
    assert meeting.agenda_items.count() == len(first) + 1


def test_agenda_takes_the_latest_adopted_programme_until_this_year_is_adopted(
    meeting, agreement, anact, anact_coordinator
):
    year = timezone.localdate(meeting.starts_at).year
    running = _programme(agreement, year - 1)
    ProgrammeFactory(agreement=agreement, year=year, status="proposed")
    carried = _action(running, anact, "Chantier en cours")
    assert meeting_agenda_programme(meeting) == running
    meeting_prepare_agenda(meeting=meeting, user=anact_coordinator)
    assert meeting.agenda_items.filter(action=carried).exists()


def test_without_a_programme_or_previous_meeting_nothing_is_added(meeting, anact_coordinator):
    assert meeting_prepare_agenda(meeting=meeting, user=anact_coordinator) == []
    assert not meeting.agenda_items.exists()


def test_open_follow_ups_come_back_across_a_programming_meeting_held_in_between(
    time_machine, agreement, anact_coordinator
):
    """6 December 2026: the October review's open tasks were not brought back to the January
    review, because the programme of 2027 had been adopted at a meeting on 1 December."""
    clock.freeze(time_machine, datetime.date(2026, 12, 6))

    def meeting(day, kind, status=Meeting.Status.HELD):
        return MeetingFactory(
            agreement=agreement,
            kind=kind,
            status=status,
            starts_at=clock.moment(day, 9),
            ends_at=clock.moment(day, 11),
        )

    october = meeting(datetime.date(2026, 10, 6), Meeting.Kind.REVIEW)
    december = meeting(datetime.date(2026, 12, 1), Meeting.Kind.PROGRAMMING)
    january = meeting(datetime.date(2027, 1, 12), Meeting.Kind.REVIEW, Meeting.Status.PLANNED)
    late = FollowUpTaskFactory(meeting=october, title="Envoyer la maquette", due_on=None)
    FollowUpTaskFactory(meeting=october, title="Tâche faite", done=True)
    on_agenda = FollowUpTaskFactory(meeting=october, title="Déjà à l’ordre du jour")
    AgendaItemFactory(meeting=january, title=on_agenda.title, follow_up=on_agenda, position=1)
    decided = FollowUpTaskFactory(meeting=december, title="Diffuser le programme 2027")

    created = meeting_prepare_agenda(meeting=january, user=anact_coordinator)

    assert [(item.title, item.follow_up) for item in created] == [
        (_follow_up_heading(), None),
        ("Diffuser le programme 2027", decided),
        ("Envoyer la maquette", late),
    ]
    assert january.agenda_items.filter(follow_up=on_agenda).count() == 1


def test_working_group_meeting_brings_back_its_own_group_follow_ups(
    agreement, programme, anact, anact_coordinator, previous, next_month
):
    group = _action(programme, anact, "Groupe prospective")
    group.kind = Action.Kind.WORKING_GROUP
    group.save()

    def group_meeting(days):
        return MeetingFactory(
            agreement=agreement,
            kind=Meeting.Kind.WORKING_GROUP,
            working_group=group,
            starts_at=next_month + datetime.timedelta(days=days),
            ends_at=next_month + datetime.timedelta(days=days, hours=1),
        )

    first, earlier, later = group_meeting(-20), group_meeting(-10), group_meeting(0)
    FollowUpTaskFactory(meeting=previous, title="Tâche du comité")
    still_open = FollowUpTaskFactory(meeting=first, title="Tâche de la première réunion")
    mine = FollowUpTaskFactory(meeting=earlier, title="Tâche du groupe")
    assert set(meeting_earlier(later)) == {first, earlier}
    meeting_prepare_agenda(meeting=later, user=anact_coordinator)
    assert set(later.agenda_items.exclude(follow_up=None).values_list("follow_up", flat=True)) == {
        still_open.pk,
        mine.pk,
    }


@pytest.mark.parametrize("status", ["held", "cancelled", "minutes_approved"])
def test_agenda_is_prepared_only_for_a_planned_meeting(
    meeting, programme, anact, anact_coordinator, status
):
    _action(programme, anact, "Guide QVT")
    Meeting.objects.filter(pk=meeting.pk).update(status=status, minutes="CR")
    meeting.refresh_from_db()
    with pytest.raises(TransitionError):
        meeting_prepare_agenda(meeting=meeting, user=anact_coordinator)
    assert not meeting.agenda_items.exists()


# The pages -------------------------------------------------------------------------------


def test_coordinator_sees_what_will_be_added_then_prepares_the_agenda(
    client, meeting, previous, programme, anact, anact_coordinator
):
    _action(programme, anact, "Guide QVT")
    FollowUpTaskFactory(meeting=previous, title="Envoyer la maquette")
    client.force_login(anact_coordinator)
    url = reverse("meeting_prepare_agenda", args=[meeting.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Guide QVT" in page.text and "Envoyer la maquette" in page.text
    assert "de la réunion «\xa0Revue précédente\xa0» du" in page.text  # where it comes from
    assert not meeting.agenda_items.exists()  # looking changes nothing

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url() + "#agenda"
    assert meeting.agenda_items.count() == 4
    detail = client.get(meeting.get_absolute_url())
    assert url in detail.text
    assert reverse("agendaitem_up", args=[meeting.agenda_items.last().pk]) in detail.text


def test_reader_neither_prepares_nor_arranges_the_agenda(client, meeting, anact_reader):
    item = AgendaItemFactory(meeting=meeting)
    client.force_login(anact_reader)
    assert client.post(reverse("meeting_prepare_agenda", args=[meeting.pk])).status_code == 403
    for name in ("agendaitem_up", "agendaitem_down", "agendaitem_remove"):
        assert client.post(reverse(name, args=[item.pk])).status_code == 403
    html = client.get(meeting.get_absolute_url()).text
    assert reverse("agendaitem_remove", args=[item.pk]) not in html
    assert reverse("meeting_prepare_agenda", args=[meeting.pk]) not in html
    assert AgendaItem.objects.filter(pk=item.pk).exists()


def test_outsider_gets_404_on_the_agenda_pages(client, meeting, outsider):
    item = AgendaItemFactory(meeting=meeting)
    client.force_login(outsider)
    assert client.get(reverse("meeting_prepare_agenda", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("agendaitem_up", args=[item.pk])).status_code == 404
    assert client.get(reverse("agendaitem_create", args=[meeting.pk])).status_code == 404


def test_held_meeting_page_says_the_agenda_is_prepared_before(client, meeting, anact_coordinator):
    Meeting.objects.filter(pk=meeting.pk).update(status="held")
    client.force_login(anact_coordinator)
    page = client.get(reverse("meeting_prepare_agenda", args=[meeting.pk]))
    assert page.status_code == 200 and page.context["allowed"] is False
    response = client.post(reverse("meeting_prepare_agenda", args=[meeting.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_coordinator_moves_items_up_and_down_and_takes_one_off(client, meeting, anact_coordinator):
    first, second, third = (
        AgendaItemFactory(meeting=meeting, title=title, position=0)
        for title in ("Accueil", "Chantiers", "Divers")
    )
    client.force_login(anact_coordinator)

    response = client.post(reverse("agendaitem_up", args=[third.pk]))
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url() + "#agenda"
    assert [t for _p, t, _a, _f in _agenda(meeting)] == ["Accueil", "Divers", "Chantiers"]
    assert [p for p, _t, _a, _f in _agenda(meeting)] == [1, 2, 3]

    client.post(reverse("agendaitem_down", args=[first.pk]))
    assert [t for _p, t, _a, _f in _agenda(meeting)] == ["Divers", "Accueil", "Chantiers"]
    client.post(reverse("agendaitem_down", args=[second.pk]))  # already last: stays
    client.post(reverse("agendaitem_up", args=[third.pk]))  # already first: stays
    assert [t for _p, t, _a, _f in _agenda(meeting)] == ["Divers", "Accueil", "Chantiers"]

    client.post(reverse("agendaitem_remove", args=[first.pk]))
    assert [t for _p, t, _a, _f in _agenda(meeting)] == ["Divers", "Chantiers"]
    assert first.history.first().history_type == "-"
    assert first.history.first().history_user == anact_coordinator


def test_coordinator_adds_a_free_item_and_one_about_a_convention(
    client, meeting, agreement, anact_coordinator
):
    AgendaItemFactory(meeting=meeting, title="Accueil", position=4)
    convention = ConventionFactory(agreement=agreement)
    client.force_login(anact_coordinator)
    url = reverse("agendaitem_create", args=[meeting.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "Questions diverses"})
    assert response.status_code == 302
    response = client.post(url, {"title": "Avenant", "convention": convention.pk})
    assert response["Location"] == meeting.get_absolute_url() + "#agenda"
    assert _agenda(meeting)[-2:] == [
        (5, "Questions diverses", None, None),
        (6, "Avenant", None, None),
    ]
    assert meeting.agenda_items.get(title="Avenant").convention == convention


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"notes": "x" * 2001}, "notes"),
        ({"convention": "FOREIGN"}, "convention"),
        ({"programme": "PROGRAMME", "convention": "CONVENTION"}, "programme"),
    ],
)
def test_invalid_agenda_item_is_refused_next_to_the_field_and_kept(
    client, meeting, agreement, programme, anact_coordinator, data, field
):
    replacements = {
        "FOREIGN": ConventionFactory(agreement=SignedAgreementFactory()).pk,
        "PROGRAMME": programme.pk,
        "CONVENTION": ConventionFactory(agreement=agreement).pk,
    }
    values = {"title": "Point tapé", "notes": "Notes tapées"}
    values.update({key: replacements.get(value, value) for key, value in data.items()})
    client.force_login(anact_coordinator)
    response = client.post(reverse("agendaitem_create", args=[meeting.pk]), values)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if field != "notes":
        assert "Notes tapées" in response.text
    assert not meeting.agenda_items.exists()


def test_agenda_of_a_read_only_meeting_cannot_be_changed(client, meeting, anact_coordinator):
    item = AgendaItemFactory(meeting=meeting)
    meeting_cancel(meeting=meeting, user=anact_coordinator)
    client.force_login(anact_coordinator)
    for url in (
        reverse("agendaitem_up", args=[item.pk]),
        reverse("agendaitem_remove", args=[item.pk]),
        reverse("agendaitem_create", args=[meeting.pk]),
        reverse("meeting_prepare_agenda", args=[meeting.pk]),
    ):
        response = client.post(url, {"title": "Nouveau"})
        assert response.status_code == 403, url
        assert response.templates[0].name == "partnership/meeting_read_only.html"
    assert list(meeting.agenda_items.all()) == [item]


# Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_prepare_page_query_count_does_not_grow(
    client, meeting, previous, programme, anact, anact_coordinator, django_assert_num_queries, rows
):
    for i in range(rows):
        _action(programme, anact, f"Chantier {i}")
        FollowUpTaskFactory(meeting=previous)
        AgendaItemFactory(meeting=meeting)
    client.force_login(anact_coordinator)
    # session, user, staff profile, the meeting, the agreement's parties (permission), the
    # agenda items, the programme of the year, the ongoing actions with their lead
    # organisations, the earlier meetings' open follow-up tasks with their meetings.
    # ... and the bell's unread count.
    with django_assert_num_queries(10):
        response = client.get(reverse("meeting_prepare_agenda", args=[meeting.pk]))
    assert response.status_code == 200
    assert len(response.context["candidates"].groups[0][1]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_add_item_page_query_count_does_not_grow(
    client, meeting, programme, agreement, anact, anact_coordinator, django_assert_num_queries, rows
):
    for i in range(rows):
        _action(programme, anact, f"Chantier {i}")
        ConventionFactory(agreement=agreement)
    client.force_login(anact_coordinator)
    # session, user, staff profile, the meeting, its agreement and the agreement's parties
    # (permission), then each select's choices once: actions with their programmes,
    # conventions, programmes.
    # ... and the bell's unread count.
    with django_assert_num_queries(10):
        response = client.get(reverse("agendaitem_create", args=[meeting.pk]))
    assert response.status_code == 200
